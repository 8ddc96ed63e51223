package haechi.principles.personal_information_test

import data.haechi.testlib as tl

test_pii_redact_citizen_phone_in_plaza if {
	d := tl.decide(tl.with_pii(tl.chat({}), ["phone"]))
	d.action == "redact"
	d.rule_ids == ["pii.redact"]
	d.categories == ["pii"]
	d.queue == ""
	d.severity == "low"
	d.principle == "personal_information_protection"
	d.redact == {"pii": ["phone"], "categories": []}
}

test_pii_redact_citizen_phone_in_business_space if {
	d := tl.decide(tl.with_pii(tl.in_space("business", {}), ["phone"]))
	d.action == "redact"
	d.rule_ids == ["pii.redact"]
	d.redact.pii == ["phone"]
}

test_pii_business_contacts_allowed_in_business_space if {
	d := tl.decide(tl.with_pii(tl.input_for("business", "business", {}), ["phone", "email", "kr_brn"]))
	d.action == "allow"
	d.rule_ids == []
	d.redact == tl.no_redaction
}

test_pii_business_phone_masked_outside_business_space if {
	d := tl.decide(tl.with_pii(tl.input_for("plaza", "business", {}), ["phone"]))
	d.action == "redact"
	d.rule_ids == ["pii.redact"]
	d.redact.pii == ["phone"]
}

test_pii_business_rrn_masked_in_business_space if {
	d := tl.decide(tl.with_pii(tl.input_for("business", "business", {}), ["phone", "kr_brn", "kr_rrn"]))
	d.action == "redact"
	d.redact.pii == ["kr_rrn"]
}

test_pii_staff_phone_allowed_everywhere if {
	every space in ["plaza", "youth", "business", "legal", "mayor_office", "library"] {
		d := tl.decide(tl.with_pii(tl.input_for(space, "staff", {}), ["phone", "email"]))
		d.action == "allow"
		d.rule_ids == []
	}
}

test_pii_official_email_allowed if {
	d := tl.decide(tl.with_pii(tl.input_for("hr", "official", {}), ["email"]))
	d.action == "allow"
}

test_pii_staff_rrn_masked if {
	d := tl.decide(tl.with_pii(tl.input_for("plaza", "staff", {}), ["phone", "kr_rrn"]))
	d.action == "redact"
	d.redact.pii == ["kr_rrn"]
}

test_pii_below_min_score_ignored if {
	d := tl.decide(tl.with_spans(tl.chat({}), [tl.pii_span("phone", 0.49)]))
	d.action == "allow"
	d.rule_ids == []
}

test_pii_at_min_score_masked if {
	d := tl.decide(tl.with_spans(tl.chat({}), [tl.pii_span("phone", 0.5)]))
	d.action == "redact"
	d.redact.pii == ["phone"]
}

test_pii_redact_lists_exactly_masked_types if {
	spans := [
		tl.pii_span("phone", 0.95),
		tl.pii_span("card", 0.9),
		tl.pii_span("phone", 0.8),
		tl.pii_span("email", 0.95),
		tl.pii_span("kr_rrn", 0.3),
	]
	d := tl.decide(tl.with_spans(tl.chat({}), spans))
	d.rule_ids == ["pii.redact"]
	d.redact == {"pii": ["card", "email", "phone"], "categories": []}
}
