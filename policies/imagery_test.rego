package haechi.principles.imagery_test

import data.haechi.testlib as tl

# image is an image whose content, hashes and text were examined; its text
# had nothing in it.
image(scores, matches) := object.union(
	tl.as_image(tl.chat(scores), ["image_hashes", "image", "image_text"]),
	{"signals": {"hash_matches": matches, "image_text": no_text}},
)

no_text := {"evidence": {}, "pii": [], "words": 0}

# with_text gives an image's text the evidence and PII (types, score 0.9,
# each covered by its boxes).
with_text(inp, evidence, pii) := object.union(inp, {"signals": {"image_text": {
	"evidence": evidence,
	"pii": [{"type": t, "score": 0.9, "boxed": true} | some t in pii],
	"words": 12,
}}})

# unboxed marks the image text's PII as lying partly outside its boxes.
unboxed(inp) := object.union(inp, {"signals": {"image_text": {"pii": [object.union(p, {"boxed": false}) |
	some p in inp.signals.image_text.pii
]}}})

# copy_failed is inp asked again after the redacted copy failed.
copy_failed(inp) := object.union(inp, {"signals": {"image_text": {"redaction_failed": true}}})

in_space(inp, space) := object.union(inp, {"event": {"space": {"type": space}}})

# unread is an image whose text could not be read.
unread(inp) := object.union(
	object.remove(inp, ["signals"]),
	{"signals": object.union(object.remove(inp.signals, ["image_text"]), {"analysed": ["image_hashes", "image"]})},
)

in_youth(inp) := object.union(inp, {"event": {"space": {"type": "youth"}}})

match(bank, negative) := {"bank": bank, "label": "x", "algorithm": "pdq", "distance": 12, "negative": negative}

test_bank_match_blocks if {
	d := tl.decide(image({}, [match("ncmec", false)]))
	d.action == "block"
	d.rule_ids == ["imagery.hash_match"]
	d.categories == ["hash_match"]
}

test_bank_action_from_data if {
	d := tl.decide(image({}, [match("csam", false)])) with data.haechi.config.images.banks as {"csam": {"action": "escalate", "queue": "youth_safety"}}
	d.action == "escalate"
	d.queue == "youth_safety"
}

test_negative_bank_cancels_match if {
	d := tl.decide(image({}, [match("ncmec", false), match("known_good", true)]))
	d.action == "allow"
}

test_negative_match_alone_allows if {
	tl.decide(image({}, [match("known_good", true)])).action == "allow"
}

test_bank_match_only_for_images if {
	# hash matches on a chat message (not expected) fire nothing here
	d := tl.decide(object.union(tl.chat({}), {"signals": {"hash_matches": [match("ncmec", false)]}}))
	d.action == "allow"
}

test_nudity_blocks_everywhere if {
	tl.decide(image({"nudity": 0.7}, [])).action == "block"
	tl.decide(in_youth(image({"nudity": 0.7}, []))).action == "block"
	tl.decide(image({"nudity": 0.69}, [])).action == "allow"
}

test_suggestive_held_in_youth_only if {
	d := tl.decide(in_youth(image({"suggestive": 0.6}, [])))
	d.action == "hold"
	d.rule_ids == ["imagery.suggestive.hold"]
	tl.decide(image({"suggestive": 0.95}, [])).action == "allow"
	tl.decide(in_youth(image({"suggestive": 0.59}, []))).action == "allow"
}

test_analysed_image_not_held_as_unanalysed if {
	d := tl.decide(image({}, []))
	not "content.image.unanalysed" in d.rule_ids
}

test_text_threat_by_level if {
	d := tl.decide(with_text(image({}, []), {"threat": 0.6}, []))
	d.action == "hold"
	d.rule_ids == ["imagery.text.threat.hold"]
	d.categories == ["threat"]
	tl.decide(with_text(image({}, []), {"threat": 0.85}, [])).rule_ids == ["imagery.text.threat.block", "imagery.text.threat.hold"]
	tl.decide(with_text(image({}, []), {"threat": 0.49}, [])).action == "allow"

	# the youth thresholds apply: 0.45 reaches hold there, not in the plaza
	tl.decide(in_youth(with_text(image({}, []), {"threat": 0.45}, []))).action == "hold"
}

test_text_hate_and_scam if {
	tl.decide(with_text(image({}, []), {"hate": 0.75}, [])).rule_ids == ["imagery.text.hate.block", "imagery.text.hate.hold"]
	tl.decide(with_text(image({}, []), {"scam": 0.65}, [])).rule_ids == ["imagery.text.scam.hold"]
	tl.decide(with_text(image({}, []), {"scam": 0.95}, [])).action == "block"

	# business spaces are stricter on scams, as in chat
	tl.decide(in_space(with_text(image({}, []), {"scam": 0.55}, []), "business")).action == "hold"
}

test_text_profanity_held_in_youth_only if {
	d := tl.decide(in_youth(with_text(image({}, []), {"profanity": 0.5}, [])))
	d.action == "hold"
	d.rule_ids == ["imagery.text.profanity.hold"]
	tl.decide(with_text(image({}, []), {"profanity": 0.95}, [])).action == "allow"
	tl.decide(in_youth(with_text(image({}, []), {"profanity": 0.39}, []))).action == "allow"
}

test_text_categories_without_rules_allow if {
	tl.decide(with_text(image({}, []), {"insult": 0.95, "spam": 0.95, "toxic": 0.95}, [])).action == "allow"
}

test_text_levels_for_repeat_offenders if {
	# the repeat-offender factor scales the thresholds, as in chat
	inp := tl.with_strikes(with_text(image({}, []), {"threat": 0.45}, []), 3)
	tl.decide(inp).action == "hold"
}

test_text_pii_redacted_where_chat_masks if {
	some t in ["kr_rrn", "bank_account", "phone", "email"]
	some space in ["plaza", "business", "tourism", "event", "mayor_office", "library"]
	d := tl.decide(in_space(with_text(image({}, []), {}, [t]), space))
	d.action == "redact"
	d.rule_ids == ["imagery.text.pii.redact"]
	d.categories == ["pii"]
	d.redact == {"pii": [t], "categories": []}
}

test_text_pii_redacts_every_type_found if {
	d := tl.decide(with_text(image({}, []), {}, ["phone", "bank_account"]))
	d.redact.pii == ["bank_account", "phone"]
}

test_text_pii_held_where_the_space_must_not_risk_a_copy if {
	some space in ["youth", "legal", "hr"]
	d := tl.decide(in_space(with_text(image({}, []), {}, ["phone"]), space))
	d.action == "hold"
	d.rule_ids == ["imagery.text.pii.hold"]
	d.redact == tl.no_redaction
}

test_text_pii_hold_spaces_from_data if {
	inp := in_space(with_text(image({}, []), {}, ["phone"]), "library")
	d := tl.decide(inp) with data.haechi.config.images.text.pii_hold_spaces as ["library"]
	d.rule_ids == ["imagery.text.pii.hold"]
}

test_text_pii_held_when_boxes_do_not_cover_it if {
	# one of two pieces lies partly outside its boxes: no copy hides it
	inp := with_text(image({}, []), {}, ["phone", "kr_rrn"])
	partial := object.union(inp, {"signals": {"image_text": {"pii": [
		{"type": "phone", "score": 0.9, "boxed": true},
		{"type": "kr_rrn", "score": 0.9, "boxed": false},
	]}}})
	d := tl.decide(partial)
	d.action == "hold"
	d.rule_ids == ["imagery.text.pii.unredactable"]
	d.redact == tl.no_redaction
	tl.decide(unboxed(with_text(image({}, []), {}, ["phone"]))).rule_ids == ["imagery.text.pii.unredactable"]
}

test_text_pii_held_when_the_copy_failed if {
	d := tl.decide(copy_failed(with_text(image({}, []), {}, ["phone"])))
	d.action == "hold"
	d.rule_ids == ["imagery.text.pii.unredactable"]
	d.redact == tl.no_redaction
}

test_text_pii_copy_failure_never_redacts if {
	# whatever else redacts, a failed copy leaves the image held
	some space in ["plaza", "business", "youth", "legal"]
	inp := copy_failed(in_space(with_text(image({}, []), {}, ["phone"]), space))
	d := tl.decide(inp)
	d.action == "hold"
	not "imagery.text.pii.redact" in d.rule_ids
}

test_text_pii_with_caption_pii_masks_both if {
	# the caption's PII is masked by the chat rule; the image's by the image's
	inp := with_text(object.union(image({}, []), {"signals": {"pii": [tl.pii_span("email", 0.9)]}}), {}, ["phone"])
	d := tl.decide(inp)
	d.action == "redact"
	d.rule_ids == ["imagery.text.pii.redact", "pii.redact"]
	d.redact.pii == ["email", "phone"]
}

test_text_pii_redact_yields_to_stronger_rules if {
	d := tl.decide(with_text(image({"nudity": 0.9}, []), {}, ["phone"]))
	d.action == "block"
	"imagery.text.pii.redact" in d.rule_ids
}

test_text_pii_allowances_of_chat_apply if {
	# a business may show its phone number in its booth, as in chat
	inp := object.union(in_space(with_text(image({}, []), {}, ["phone"]), "business"), {"event": {"sender": {"role": "business"}}})
	tl.decide(inp).action == "allow"
	d := tl.decide(object.union(inp, {"signals": {"image_text": {"pii": [{"type": "kr_rrn", "score": 0.9, "boxed": true}]}}}))
	d.action == "redact"
	d.redact.pii == ["kr_rrn"]
}

test_text_pii_below_min_score_ignored if {
	inp := object.union(image({}, []), {"signals": {"image_text": {"evidence": {}, "pii": [{"type": "phone", "score": 0.3, "boxed": true}], "words": 3}}})
	tl.decide(inp).action == "allow"
}

test_text_pii_types_from_data if {
	inp := with_text(image({}, []), {}, ["email"])
	tl.decide(inp).action == "redact"
	d := tl.decide(inp) with data.haechi.config.images.text.pii_types as ["kr_rrn"]
	d.action == "allow"
}

test_text_unread_held_where_images_wait if {
	some space in ["youth", "legal", "hr"]
	d := tl.decide(in_space(unread(image({}, [])), space))
	d.action == "hold"
	d.rule_ids == ["imagery.text.unanalysed"]
}

test_text_unread_decided_on_the_rest_elsewhere if {
	tl.decide(unread(image({}, []))).action == "allow"
	tl.decide(unread(image({"nudity": 0.8}, []))).action == "block"
}

test_text_rules_only_for_images if {
	inp := object.union(tl.chat({}), {"signals": {"image_text": {"evidence": {"threat": 0.99}, "pii": [{"type": "kr_rrn", "score": 0.9}], "words": 3}}})
	tl.decide(inp).action == "allow"
	tl.decide(in_space(inp, "youth")).action == "allow"
}

test_caption_rules_unchanged_by_image_text if {
	# the caption's own evidence still decides through the chat rules
	d := tl.decide(with_text(image({"threat": 0.85}, []), {}, []))
	d.rule_ids == ["safety.threat.block", "safety.threat.hold"]
}
