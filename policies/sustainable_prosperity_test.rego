package haechi.principles.sustainable_prosperity_test

import data.haechi.testlib as tl

# prosperity.scam.hold

test_scam_hold_fires if {
	d := tl.decide(tl.chat({"scam": 0.6}))
	d.action == "hold"
	d.rule_ids == ["prosperity.scam.hold"]
	d.categories == ["scam"]
	d.queue == "general"
	d.principle == "fairness"
	d.value == "sustainable_prosperity"
}

test_scam_hold_below_threshold if {
	tl.decide(tl.chat({"scam": 0.59})).action == "allow"
}

test_scam_hold_lower_in_business if {
	tl.decide(tl.in_space("business", {"scam": 0.5})).action == "hold"
	tl.decide(tl.chat({"scam": 0.5})).action == "allow"
}

# prosperity.scam.block

test_scam_block_fires if {
	d := tl.decide(tl.chat({"scam": 0.9}))
	d.action == "block"
	d.rule_ids == ["prosperity.scam.block", "prosperity.scam.hold"]
	d.categories == ["scam"]
	d.queue == ""
	d.severity == "high"
}

test_scam_block_below_threshold if {
	d := tl.decide(tl.chat({"scam": 0.89}))
	d.action == "hold"
	not "prosperity.scam.block" in d.rule_ids
}

test_scam_block_lower_in_business if {
	tl.decide(tl.in_space("business", {"scam": 0.6})).action == "block"
	tl.decide(tl.in_space("business", {"scam": 0.59})).action == "hold"
	tl.decide(tl.chat({"scam": 0.6})).action == "hold"
}

# prosperity.scam.account: a bank account with scam at 75% of the hold level

test_scam_account_fires if {
	d := tl.decide(tl.with_pii(tl.chat({"scam": 0.46}), ["bank_account"]))
	d.action == "block"
	d.rule_ids == ["prosperity.scam.account", "pii.redact"]
	d.categories == ["pii", "scam"]
	d.queue == ""
	d.redact == {"pii": ["bank_account"], "categories": []}
}

test_scam_account_below_threshold if {
	d := tl.decide(tl.with_pii(tl.chat({"scam": 0.44}), ["bank_account"]))
	d.action == "redact"
	d.rule_ids == ["pii.redact"]
}

test_scam_account_needs_bank_account if {
	d := tl.decide(tl.with_pii(tl.chat({"scam": 0.7}), ["phone"]))
	d.action == "hold"
	not "prosperity.scam.account" in d.rule_ids
}

test_scam_account_ignores_unconfident_account if {
	d := tl.decide(tl.with_spans(tl.chat({"scam": 0.7}), [tl.pii_span("bank_account", 0.4)]))
	d.rule_ids == ["prosperity.scam.hold"]
}

test_scam_account_lower_in_business if {
	# 0.75 * business hold 0.5 = 0.375
	tl.fires("prosperity.scam.account", tl.with_pii(tl.in_space("business", {"scam": 0.38}), ["bank_account"]))
	not tl.fires("prosperity.scam.account", tl.with_pii(tl.chat({"scam": 0.38}), ["bank_account"]))
}

# The rule fires at threshold(scam, hold) * 0.75, 0.45 in the plaza,
# despite OPA computing 0.6 * 0.75 as 0.45000000000000000002.
test_scam_account_exact_scaled_threshold if {
	tl.fires("prosperity.scam.account", tl.with_pii(tl.chat({"scam": 0.45}), ["bank_account"]))
	not tl.fires("prosperity.scam.account", tl.with_pii(tl.chat({"scam": 0.44}), ["bank_account"]))
}

# prosperity.spam.hold

test_spam_hold_fires if {
	d := tl.decide(tl.chat({"spam": 0.7}))
	d.action == "hold"
	d.rule_ids == ["prosperity.spam.hold"]
	d.categories == ["spam"]
	d.queue == "general"
	d.severity == "low"
}

test_spam_hold_below_threshold if {
	tl.decide(tl.chat({"spam": 0.69})).action == "allow"
}

test_spam_hold_lower_in_business if {
	tl.decide(tl.in_space("business", {"spam": 0.6})).action == "hold"
	tl.decide(tl.chat({"spam": 0.6})).action == "allow"
}
