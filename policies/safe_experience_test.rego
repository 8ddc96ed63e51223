package haechi.principles.safe_experience_test

import data.haechi.testlib as tl

# safety.harassment.hold / block

test_harassment_hold_fires if {
	d := tl.decide(tl.chat({"harassment": 0.6}))
	d.action == "hold"
	d.rule_ids == ["safety.harassment.hold"]
	d.categories == ["harassment"]
	d.queue == "general"
	d.principle == "reciprocity"
}

test_harassment_hold_below_threshold if {
	tl.decide(tl.chat({"harassment": 0.59})).action == "allow"
}

test_harassment_block_fires if {
	d := tl.decide(tl.chat({"harassment": 0.9}))
	d.action == "block"
	d.rule_ids == ["safety.harassment.block", "safety.harassment.hold"]
	d.categories == ["harassment"]
	d.queue == ""
	d.severity == "high"
}

test_harassment_block_below_threshold if {
	d := tl.decide(tl.chat({"harassment": 0.89}))
	d.action == "hold"
	not "safety.harassment.block" in d.rule_ids
}

test_harassment_block_youth_stricter if {
	tl.decide(tl.in_space("youth", {"harassment": 0.75})).action == "block"
	tl.decide(tl.chat({"harassment": 0.75})).action == "hold"
}

# safety.threat.hold / block / escalate

test_threat_hold_fires if {
	d := tl.decide(tl.chat({"threat": 0.5}))
	d.action == "hold"
	d.rule_ids == ["safety.threat.hold"]
	d.categories == ["threat"]
	d.queue == "general"
}

test_threat_hold_below_threshold if {
	tl.decide(tl.chat({"threat": 0.49})).action == "allow"
}

test_threat_block_fires if {
	d := tl.decide(tl.chat({"threat": 0.8}))
	d.action == "block"
	d.rule_ids == ["safety.threat.block", "safety.threat.hold"]
	d.queue == ""
	d.severity == "high"
}

test_threat_block_below_threshold if {
	tl.decide(tl.chat({"threat": 0.79})).action == "hold"
}

test_threat_escalate_fires if {
	d := tl.decide(tl.chat({"threat": 0.95}))
	d.action == "escalate"
	d.rule_ids == ["safety.threat.escalate", "safety.threat.block", "safety.threat.hold"]
	d.categories == ["threat"]
	d.queue == "senior"
	d.severity == "critical"
}

test_threat_escalate_below_threshold if {
	d := tl.decide(tl.chat({"threat": 0.94}))
	d.action == "block"
	not "safety.threat.escalate" in d.rule_ids
}

test_threat_escalate_youth_stricter if {
	tl.decide(tl.in_space("youth", {"threat": 0.9})).action == "escalate"
	tl.decide(tl.chat({"threat": 0.9})).action == "block"
}

# safety.sexual.hold / block

test_sexual_hold_fires if {
	d := tl.decide(tl.chat({"sexual": 0.6}))
	d.action == "hold"
	d.rule_ids == ["safety.sexual.hold"]
	d.categories == ["sexual"]
	d.queue == "general"
	d.principle == "inclusiveness"
}

test_sexual_hold_below_threshold if {
	tl.decide(tl.chat({"sexual": 0.59})).action == "allow"
}

test_sexual_block_fires if {
	d := tl.decide(tl.chat({"sexual": 0.9}))
	d.action == "block"
	d.rule_ids == ["safety.sexual.block", "safety.sexual.hold"]
	d.queue == ""
	d.severity == "high"
}

test_sexual_block_below_threshold if {
	tl.decide(tl.chat({"sexual": 0.89})).action == "hold"
}

test_sexual_youth_stricter if {
	tl.decide(tl.in_space("youth", {"sexual": 0.4})).action == "hold"
	tl.decide(tl.chat({"sexual": 0.4})).action == "allow"
	tl.decide(tl.in_space("youth", {"sexual": 0.6})).action == "block"
}

# safety.self_harm.escalate

test_self_harm_escalate_fires if {
	d := tl.decide(tl.chat({"self_harm": 0.5}))
	d.action == "escalate"
	d.rule_ids == ["safety.self_harm.escalate"]
	d.categories == ["self_harm"]
	d.queue == "youth_safety"
	d.severity == "critical"
}

test_self_harm_escalate_below_threshold if {
	d := tl.decide(tl.chat({"self_harm": 0.49}))
	d.action == "allow"
	d.rule_ids == []
}

test_self_harm_youth_stricter if {
	tl.decide(tl.in_space("youth", {"self_harm": 0.4})).action == "escalate"
	tl.decide(tl.chat({"self_harm": 0.4})).action == "allow"
}
