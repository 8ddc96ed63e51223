package haechi.models_test

import data.haechi.testlib as tl

# The engine puts the rule-based scores combined with the text model's
# scaled probabilities into signals.evidence (engine/policy/evidence.go);
# rules decide on it.

with_evidence(inp, evidence) := object.union(inp, {"signals": {"evidence": evidence}})

test_evidence_is_what_rules_decide_on if {
	# The lexicon saw nothing; the model's evidence for insult is at its
	# operating point.
	d := tl.decide(with_evidence(tl.chat({}), {"insult": 0.5}))
	d.action == "redact"
	d.rule_ids == ["respect.insult.redact"]
}

test_evidence_below_first_level_allows if {
	d := tl.decide(with_evidence(tl.chat({}), {"insult": 0.49, "toxic": 0.49}))
	d.action == "allow"
}

test_evidence_overrides_scores if {
	# Evidence already holds the maximum of scores and models; when present
	# the scores are not consulted again.
	d := tl.decide(with_evidence(tl.chat({"hate": 0.9}), {"hate": 0.55}))
	d.action == "hold"
	d.rule_ids == ["respect.hate.hold"]
}

test_scores_used_without_evidence if {
	d := tl.decide(tl.chat({"hate": 0.9}))
	d.action == "block"
}

test_confident_model_blocks if {
	d := tl.decide(with_evidence(tl.chat({}), {"insult": 0.97}))
	d.action == "block"
}

test_model_self_harm_escalates if {
	d := tl.decide(with_evidence(tl.chat({}), {"self_harm": 0.55}))
	d.action == "escalate"
	d.queue == "youth_safety"
}

test_toxic_alone_does_not_act if {
	# toxic is the overall score; rules act on categories.
	d := tl.decide(with_evidence(tl.chat({}), {"toxic": 0.99}))
	d.action == "allow"
}
