package haechi.principles.minors_test

import data.haechi.testlib as tl

# minors.sexual_minors.escalate

test_sexual_minors_escalate_fires if {
	d := tl.decide(tl.chat({"sexual_minors": 0.5}))
	d.action == "escalate"
	d.rule_ids == ["minors.sexual_minors.escalate"]
	d.categories == ["sexual_minors"]
	d.queue == "youth_safety"
	d.severity == "critical"
	d.principle == "responsibility_for_the_future"
}

test_sexual_minors_escalate_any_role_any_space if {
	every role in ["citizen", "staff", "official", "business"] {
		tl.decide(tl.input_for("library", role, {"sexual_minors": 0.6})).action == "escalate"
	}
}

test_sexual_minors_escalate_below_threshold if {
	d := tl.decide(tl.chat({"sexual_minors": 0.49}))
	d.action == "allow"
	d.rule_ids == []
}

# minors.contact_exchange

test_contact_exchange_fires_in_youth_space if {
	d := tl.decide(tl.with_pii(tl.in_space("youth", {}), ["phone"]))
	d.action == "hold"
	d.rule_ids == ["minors.contact_exchange", "pii.redact"]
	d.categories == ["pii"]
	d.queue == "youth_safety"
	d.severity == "high"
	d.principle == "responsibility_for_the_future"
	d.redact == {"pii": ["phone"], "categories": []}
}

test_contact_exchange_fires_for_unknown_age_sender if {
	tl.fires("minors.contact_exchange", tl.with_sender_age(tl.with_pii(tl.in_space("youth", {}), ["email"]), ""))
}

test_contact_exchange_fires_in_dm_to_minor if {
	every band in ["teen", "child"] {
		tl.fires("minors.contact_exchange", tl.with_recipient(tl.with_pii(tl.chat({}), ["phone"]), band))
	}
}

test_contact_exchange_business_dm_to_teen_even_where_phone_allowed if {
	inp := tl.with_recipient(tl.with_pii(tl.input_for("business", "business", {}), ["phone"]), "teen")
	d := tl.decide(inp)
	d.action == "hold"
	d.rule_ids == ["minors.contact_exchange"]
	d.queue == "youth_safety"
	d.redact == tl.no_redaction
}

test_contact_exchange_not_for_minor_sender if {
	d := tl.decide(tl.with_sender_age(tl.with_pii(tl.in_space("youth", {}), ["phone"]), "teen"))
	d.action == "redact"
	d.rule_ids == ["pii.redact"]
}

test_contact_exchange_not_for_staff_or_official if {
	every role in ["staff", "official"] {
		d := tl.decide(tl.with_pii(tl.input_for("youth", role, {}), ["phone", "email"]))
		d.action == "allow"
		d.rule_ids == []
	}
}

test_contact_exchange_not_outside_youth_without_minor_recipient if {
	tl.ids(tl.with_pii(tl.chat({}), ["phone"])) == ["pii.redact"]
	tl.ids(tl.with_recipient(tl.with_pii(tl.chat({}), ["phone"]), "adult")) == ["pii.redact"]
	tl.ids(tl.with_recipient(tl.with_pii(tl.chat({}), ["phone"]), "")) == ["pii.redact"]
}

test_contact_exchange_not_for_non_contact_pii if {
	d := tl.decide(tl.with_pii(tl.in_space("youth", {}), ["kr_rrn", "card"]))
	d.action == "redact"
	d.rule_ids == ["pii.redact"]
}

test_contact_exchange_not_for_unconfident_contact if {
	d := tl.decide(tl.with_spans(tl.in_space("youth", {}), [tl.pii_span("phone", 0.4)]))
	d.action == "allow"
}

# minors.sexual_to_minor.escalate: 75% of the space's sexual hold level

test_sexual_to_minor_escalate_fires if {
	d := tl.decide(tl.with_recipient(tl.chat({"sexual": 0.46}), "teen"))
	d.action == "escalate"
	d.rule_ids == ["minors.sexual_to_minor.escalate"]
	d.categories == ["sexual"]
	d.queue == "youth_safety"
	d.severity == "critical"
}

test_sexual_to_minor_escalate_with_other_sexual_rules if {
	d := tl.decide(tl.with_recipient(tl.chat({"sexual": 0.9}), "child"))
	d.action == "escalate"
	d.rule_ids == ["minors.sexual_to_minor.escalate", "safety.sexual.block", "safety.sexual.hold"]
	d.queue == "youth_safety"
}

test_sexual_to_minor_escalate_unknown_age_sender if {
	tl.fires("minors.sexual_to_minor.escalate", tl.with_sender_age(tl.with_recipient(tl.chat({"sexual": 0.5}), "child"), ""))
}

test_sexual_to_minor_escalate_youth_dm_stricter if {
	# 0.75 * youth hold 0.4 = 0.3
	tl.fires("minors.sexual_to_minor.escalate", tl.with_recipient(tl.in_space("youth", {"sexual": 0.3}), "teen"))
	not tl.fires("minors.sexual_to_minor.escalate", tl.with_recipient(tl.chat({"sexual": 0.3}), "teen"))
}

test_sexual_to_minor_escalate_below_threshold if {
	d := tl.decide(tl.with_recipient(tl.chat({"sexual": 0.44}), "teen"))
	d.action == "allow"
	d.rule_ids == []
}

test_sexual_to_minor_not_for_adult_recipient if {
	d := tl.decide(tl.with_recipient(tl.chat({"sexual": 0.7}), "adult"))
	d.action == "hold"
	d.rule_ids == ["safety.sexual.hold"]
}

test_sexual_to_minor_not_between_minors if {
	inp := tl.with_sender_age(tl.with_recipient(tl.chat({"sexual": 0.7}), "teen"), "teen")
	d := tl.decide(inp)
	d.action == "hold"
	d.rule_ids == ["safety.sexual.hold"]
}

# Only direct messages to a minor: a public message in the youth space is
# judged by the youth space's sexual thresholds (hold 0.4) alone.
test_sexual_to_minor_not_for_public_youth_message if {
	d := tl.decide(tl.in_space("youth", {"sexual": 0.35}))
	d.action == "allow"
}

# The rule fires at threshold(sexual, hold) * 0.75, 0.45 outside the
# youth space, despite OPA computing 0.6 * 0.75 as 0.45000000000000000002.
test_sexual_to_minor_exact_scaled_threshold if {
	d := tl.decide(tl.with_recipient(tl.chat({"sexual": 0.45}), "teen"))
	"minors.sexual_to_minor.escalate" in d.rule_ids
	d.action == "escalate"
}
