package haechi.principles.inclusiveness_test

import data.haechi.testlib as tl

# respect.profanity.redact

test_profanity_redact_fires if {
	d := tl.decide(tl.chat({"profanity": 0.5}))
	d.action == "redact"
	d.rule_ids == ["respect.profanity.redact"]
	d.categories == ["profanity"]
	d.queue == ""
	d.severity == "low"
	d.redact == {"pii": [], "categories": ["profanity"]}
}

test_profanity_redact_below_threshold if {
	d := tl.decide(tl.chat({"profanity": 0.49}))
	d.action == "allow"
	d.rule_ids == []
}

test_profanity_redact_youth_lower_threshold if {
	tl.fires("respect.profanity.redact", tl.in_space("youth", {"profanity": 0.4}))
	not tl.fires("respect.profanity.redact", tl.in_space("youth", {"profanity": 0.39}))
}

# respect.profanity.hold (only the youth space has a hold level)

test_profanity_hold_fires_in_youth if {
	d := tl.decide(tl.in_space("youth", {"profanity": 0.9}))
	d.action == "hold"
	d.rule_ids == ["respect.profanity.hold", "respect.profanity.redact"]
	d.categories == ["profanity"]
	d.queue == "general"
	d.severity == "medium"
}

test_profanity_hold_below_threshold_in_youth if {
	d := tl.decide(tl.in_space("youth", {"profanity": 0.89}))
	d.action == "redact"
	d.rule_ids == ["respect.profanity.redact"]
}

test_profanity_hold_never_in_plaza if {
	d := tl.decide(tl.chat({"profanity": 1}))
	d.action == "redact"
	d.rule_ids == ["respect.profanity.redact"]
}

# respect.insult.redact

test_insult_redact_fires if {
	d := tl.decide(tl.chat({"insult": 0.5}))
	d.action == "redact"
	d.rule_ids == ["respect.insult.redact"]
	d.categories == ["insult"]
	d.queue == ""
	d.redact == {"pii": [], "categories": ["insult", "profanity"]}
}

test_insult_redact_below_threshold if {
	d := tl.decide(tl.chat({"insult": 0.49}))
	d.action == "allow"
}

# respect.insult.block

test_insult_block_fires if {
	d := tl.decide(tl.chat({"insult": 0.9}))
	d.action == "block"
	d.rule_ids == ["respect.insult.block", "respect.insult.redact"]
	d.categories == ["insult"]
	d.queue == ""
	d.severity == "medium"
}

test_insult_block_below_threshold if {
	d := tl.decide(tl.chat({"insult": 0.89}))
	d.action == "redact"
	not "respect.insult.block" in d.rule_ids
}

test_insult_youth_stricter_than_plaza if {
	tl.decide(tl.in_space("youth", {"insult": 0.8})).action == "block"
	tl.decide(tl.chat({"insult": 0.8})).action == "redact"
	tl.decide(tl.in_space("youth", {"insult": 0.45})).action == "redact"
	tl.decide(tl.chat({"insult": 0.45})).action == "allow"
}

# respect.hate.hold

test_hate_hold_fires if {
	d := tl.decide(tl.chat({"hate": 0.5}))
	d.action == "hold"
	d.rule_ids == ["respect.hate.hold"]
	d.categories == ["hate"]
	d.queue == "general"
	d.severity == "medium"
}

test_hate_hold_below_threshold if {
	d := tl.decide(tl.chat({"hate": 0.49}))
	d.action == "allow"
	d.rule_ids == []
}

# respect.hate.block

test_hate_block_fires if {
	d := tl.decide(tl.chat({"hate": 0.7}))
	d.action == "block"
	d.rule_ids == ["respect.hate.block", "respect.hate.hold"]
	d.categories == ["hate"]
	d.queue == ""
	d.severity == "high"
	d.principle == "inclusiveness"
	d.value == "safe_experience"
}

test_hate_block_below_threshold if {
	d := tl.decide(tl.chat({"hate": 0.69}))
	d.action == "hold"
	d.rule_ids == ["respect.hate.hold"]
}

test_hate_youth_stricter_than_plaza if {
	tl.decide(tl.in_space("youth", {"hate": 0.6})).action == "block"
	tl.decide(tl.chat({"hate": 0.6})).action == "hold"
	tl.decide(tl.in_space("youth", {"hate": 0.4})).action == "hold"
	tl.decide(tl.chat({"hate": 0.4})).action == "allow"
}
