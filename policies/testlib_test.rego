# Shared helpers for the policy tests: build inputs in the shape the engine
# sends (engine/policy/input.go) and evaluate the decision on them.
package haechi.testlib

# input_for builds a chat message from an adult sender with the given space
# type, sender role and scores, no PII, text analysed, no strikes.
input_for(space, role, scores) := {
	"event": {
		"id": "e1",
		"kind": "chat",
		"world": "w",
		"space": {"id": "s1", "type": space},
		"sender": {"id": "u1", "role": role, "age_band": "adult"},
		"lang": "ko",
		"text_length": 12,
	},
	"signals": {
		"scores": scores,
		"sources": {"lexicon": scores},
		"pii": [],
		"terms": [],
		"analysed": ["text"],
	},
	"user": {"strikes": 0, "recent_flags": 0, "restricted": false, "labels": []},
}

# chat is a citizen's message in the plaza.
chat(scores) := input_for("plaza", "citizen", scores)

# in_space is a citizen's message in a space of the given type.
in_space(space, scores) := input_for(space, "citizen", scores)

# pii_span is one PII finding of type t with detector confidence s.
pii_span(t, s) := {"type": t, "start": 0, "end": 13, "score": s}

# with_pii adds confident findings of the given PII types.
with_pii(inp, types) := object.union(inp, {"signals": {"pii": [pii_span(t, 0.95) | some t in types]}})

# with_spans sets the PII findings as given.
with_spans(inp, spans) := object.union(inp, {"signals": {"pii": spans}})

# link is a link to host, whose registrable domain is domain, as the engine
# sends it: fields such as skeleton and the flags obfuscated, idn and
# mixed_script are added only when set (see with_link_fields).
link(host, domain) := {"host": host, "domain": domain}

# with_link_fields adds fields to a link.
with_link_fields(l, fields) := object.union(l, fields)

# with_links adds links that cover share of the message's text.
with_links(inp, ls, share) := object.union(inp, {"signals": {"links": ls, "link_share": share}})

with_strikes(inp, n) := object.union(inp, {"user": {"strikes": n}})

with_sender_age(inp, band) := object.union(inp, {"event": {"sender": {"age_band": band}}})

# with_recipient makes the message a direct message to a citizen of the
# given age band.
with_recipient(inp, band) := object.union(inp, {"event": {"recipient": {"id": "u2", "role": "citizen", "age_band": band}}})

# as_voice makes the event a voice segment with the given ASR confidence.
as_voice(inp, confidence) := object.union(inp, {"event": {"kind": "voice", "asr_confidence": confidence}})

# as_image makes the event an image upload; analysed lists what the
# classifiers examined.
as_image(inp, analysed) := object.union(inp, {"event": {"kind": "image"}, "signals": {"analysed": analysed}})

# decide is the decision for inp.
decide(inp) := d if {
	d := data.haechi.main.decision with input as inp
}

# ids are the rule ids the decision lists for inp.
ids(inp) := decide(inp).rule_ids

# fires holds when rule is in the decision for inp.
fires(rule, inp) if rule in ids(inp)

# no_redaction is the redact object of a decision that masks nothing.
no_redaction := {"pii": [], "categories": []}
