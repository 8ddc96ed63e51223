package haechi.principles.sincere_identity_test

import data.haechi.testlib as tl

# identity.impersonation.hold

test_impersonation_hold_fires_for_citizen if {
	d := tl.decide(tl.chat({"impersonation": 0.6}))
	d.action == "hold"
	d.rule_ids == ["identity.impersonation.hold"]
	d.categories == ["impersonation"]
	d.queue == "general"
	d.principle == "authenticity"
	d.value == "sincere_identity"
}

test_impersonation_hold_fires_for_business if {
	tl.fires("identity.impersonation.hold", tl.input_for("plaza", "business", {"impersonation": 0.6}))
}

test_impersonation_hold_below_threshold if {
	tl.decide(tl.chat({"impersonation": 0.59})).action == "allow"
}

test_impersonation_hold_not_for_staff_or_official if {
	every role in ["staff", "official"] {
		d := tl.decide(tl.input_for("mayor_office", role, {"impersonation": 0.95}))
		d.action == "allow"
		d.rule_ids == []
	}
}

test_impersonation_hold_stricter_in_official_spaces if {
	every space in ["mayor_office", "legal", "hr"] {
		tl.decide(tl.in_space(space, {"impersonation": 0.5})).action == "hold"
	}
	tl.decide(tl.chat({"impersonation": 0.5})).action == "allow"
}

# identity.impersonation.phishing

test_impersonation_phishing_fires if {
	d := tl.decide(tl.chat({"impersonation": 0.6, "scam": 0.6}))
	d.action == "block"
	d.rule_ids == ["identity.impersonation.phishing", "identity.impersonation.hold", "prosperity.scam.hold"]
	d.categories == ["impersonation", "scam"]
	d.queue == ""
	d.severity == "high"
	d.principle == "authenticity"
}

test_impersonation_phishing_needs_scam if {
	d := tl.decide(tl.chat({"impersonation": 0.6, "scam": 0.59}))
	d.action == "hold"
	d.rule_ids == ["identity.impersonation.hold"]
}

test_impersonation_phishing_needs_impersonation if {
	d := tl.decide(tl.chat({"impersonation": 0.59, "scam": 0.8}))
	d.action == "hold"
	d.rule_ids == ["prosperity.scam.hold"]
}

test_impersonation_phishing_not_for_staff if {
	d := tl.decide(tl.input_for("plaza", "staff", {"impersonation": 0.95, "scam": 0.6}))
	d.action == "hold"
	d.rule_ids == ["prosperity.scam.hold"]
}

# identity.impersonation.block

test_impersonation_block_fires if {
	d := tl.decide(tl.input_for("plaza", "business", {"impersonation": 0.9}))
	d.action == "block"
	d.rule_ids == ["identity.impersonation.block", "identity.impersonation.hold"]
	d.categories == ["impersonation"]
	d.queue == ""
	d.severity == "high"
}

test_impersonation_block_below_threshold if {
	d := tl.decide(tl.chat({"impersonation": 0.89}))
	d.action == "hold"
	not "identity.impersonation.block" in d.rule_ids
}

test_impersonation_block_stricter_in_mayor_office if {
	tl.decide(tl.in_space("mayor_office", {"impersonation": 0.8})).action == "block"
	tl.decide(tl.chat({"impersonation": 0.8})).action == "hold"
}

test_impersonation_block_not_for_official if {
	tl.decide(tl.input_for("plaza", "official", {"impersonation": 1})).action == "allow"
}
