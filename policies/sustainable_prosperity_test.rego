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

# prosperity.spam.contact: advertising wording next to a phone number or
# an e-mail address; the wording alone is never held.

test_spam_contact_fires if {
	d := tl.decide(tl.with_pii(tl.chat({"spam": 0.7}), ["phone"]))
	d.action == "hold"
	d.rule_ids == ["prosperity.spam.contact", "pii.redact"]
	{c | some c in d.categories} == {"spam", "pii"}
	d.queue == "general"
	tl.fires("prosperity.spam.contact", tl.with_pii(tl.chat({"spam": 0.7}), ["email"]))
}

test_spam_contact_below_threshold if {
	not tl.fires("prosperity.spam.contact", tl.with_pii(tl.chat({"spam": 0.69}), ["phone"]))
}

test_spam_contact_needs_a_contact if {
	not tl.fires("prosperity.spam.contact", tl.with_pii(tl.chat({"spam": 0.9}), ["bank_account"]))
}

test_spam_wording_alone_is_never_held if {
	tl.decide(tl.chat({"spam": 1})).action == "allow"
	tl.decide(tl.in_space("business", {"spam": 1})).action == "allow"
	tl.decide(tl.in_space("youth", {"spam": 1})).action == "allow"
}

# Links. A short message with one link covers about a third of it.

unknown := tl.link("free-gift.example", "free-gift.example")

city := tl.link("news.seoul.go.kr", "seoul.go.kr")

shortened := tl.link("bit.ly", "bit.ly")

# prosperity.link.shortener

test_link_shortener_fires if {
	d := tl.decide(tl.with_links(tl.chat({}), [shortened], 0.3))
	d.action == "hold"
	d.rule_ids == ["prosperity.link.shortener"]
	d.categories == ["spam"]
	d.queue == "general"
	d.principle == "fairness"
	d.value == "sustainable_prosperity"
	d.severity == "low"
	contains(d.reasons[0].en, "URL shortener")
	contains(d.reasons[0].ko, "단축 URL")
}

test_link_shortener_by_registrable_domain if {
	tl.fires("prosperity.link.shortener", tl.with_links(tl.chat({}), [tl.link("www.bit.ly", "bit.ly")], 0.3))
}

test_link_shortener_not_when_allow_listed if {
	inp := tl.with_links(tl.chat({}), [shortened], 0.3)
	d := tl.decide(inp) with data.haechi.config.links.allow as ["bit.ly"]
	d.action == "allow"
}

test_link_shortener_not_for_city_accounts if {
	every role in ["staff", "official"] {
		tl.decide(tl.with_links(tl.input_for("plaza", role, {}), [shortened], 0.3)).action == "allow"
	}
	tl.fires("prosperity.link.shortener", tl.with_links(tl.input_for("business", "business", {}), [shortened], 0.3))
}

# prosperity.link.mostly_link

test_link_mostly_link_fires if {
	d := tl.decide(tl.with_links(tl.chat({}), [unknown], 0.6))
	d.action == "hold"
	d.rule_ids == ["prosperity.link.mostly_link"]
	d.categories == ["spam"]
	d.principle == "fairness"
	contains(d.reasons[0].en, "mostly a link")
}

test_link_mostly_link_below_share if {
	tl.decide(tl.with_links(tl.chat({}), [unknown], 0.59)).action == "allow"
}

test_link_mostly_link_stricter_in_youth_and_business if {
	every space in ["youth", "business"] {
		tl.fires("prosperity.link.mostly_link", tl.with_links(tl.in_space(space, {}), [unknown], 0.4))
		not tl.fires("prosperity.link.mostly_link", tl.with_links(tl.in_space(space, {}), [unknown], 0.39))
	}
	not tl.fires("prosperity.link.mostly_link", tl.with_links(tl.chat({}), [unknown], 0.4))
}

test_link_mostly_link_not_to_the_city if {
	tl.decide(tl.with_links(tl.in_space("youth", {}), [city], 1)).action == "allow"
}

test_link_mostly_link_any_unknown_link if {
	tl.fires("prosperity.link.mostly_link", tl.with_links(tl.chat({}), [city, unknown], 0.9))
}

test_link_mostly_link_not_for_city_accounts if {
	tl.decide(tl.with_links(tl.input_for("plaza", "staff", {}), [unknown], 1)).action == "allow"
}

# The allow-list: "*.seoul.go.kr" is seoul.go.kr and every host under it,
# nothing else; an entry without "*." is that host alone.

test_allow_list_wildcard if {
	every host in ["seoul.go.kr", "news.seoul.go.kr", "a.b.seoul.go.kr"] {
		tl.decide(tl.with_links(tl.chat({}), [tl.link(host, "seoul.go.kr")], 1)).action == "allow"
	}
	every l in [
		tl.link("fakeseoul.go.kr", "fakeseoul.go.kr"),
		tl.link("seoul.go.kr.evil.example", "evil.example"),
		tl.link("xn--seul-65d.go.kr", "xn--seul-65d.go.kr"),
	] {
		tl.fires("prosperity.link.mostly_link", tl.with_links(tl.chat({}), [l], 1))
	}
}

test_allow_list_exact_host if {
	inp := tl.with_links(tl.chat({}), [tl.link("www.example.org", "example.org")], 1)
	tl.decide(inp).action == "hold" with data.haechi.config.links.allow as ["example.org"]
	tl.decide(inp).action == "allow" with data.haechi.config.links.allow as ["www.example.org"]
}

test_allow_list_entries_are_lower_case_ascii_names if {
	every e in data.haechi.config.links.allow {
		regex.match(`^(\*\.)?([a-z0-9-]+\.)+[a-z0-9-]+$`, e)
	}
	every e in array.concat(data.haechi.config.links.brands, data.haechi.config.links.shorteners) {
		regex.match(`^([a-z0-9-]+\.)+[a-z0-9-]+$`, e)
	}
}

# prosperity.link.obfuscated

obfuscated := tl.with_link_fields(unknown, {"obfuscated": true})

test_link_obfuscated_fires if {
	d := tl.decide(tl.with_links(tl.chat({}), [obfuscated], 0.3))
	d.action == "hold"
	d.rule_ids == ["prosperity.link.obfuscated"]
	d.categories == ["spam"]
	d.severity == "medium"
	contains(d.reasons[0].en, "disguised")
}

test_link_obfuscated_plain_link_alone_allowed if {
	tl.decide(tl.with_links(tl.chat({}), [unknown], 0.3)).action == "allow"
}

test_link_obfuscated_not_in_voice if {
	tl.decide(tl.with_links(tl.as_voice(tl.chat({}), 0.9), [obfuscated], 0.3)).action == "allow"
}

test_link_obfuscated_not_to_the_city if {
	l := tl.with_link_fields(city, {"obfuscated": true})
	tl.decide(tl.with_links(tl.chat({}), [l], 0.3)).action == "allow"
}

# prosperity.link.spam: the "link" level of spam, 0.3 (0.25 in youth
# spaces and business booths), with a link to an unknown site.

test_link_spam_fires if {
	d := tl.decide(tl.with_links(tl.chat({"spam": 0.3}), [unknown], 0.3))
	d.action == "hold"
	d.rule_ids == ["prosperity.link.spam"]
	d.categories == ["spam"]
	contains(d.reasons[0].en, "link")
}

test_link_spam_below_threshold if {
	tl.decide(tl.with_links(tl.chat({"spam": 0.29}), [unknown], 0.3)).action == "allow"
}

test_link_spam_needs_an_unknown_link if {
	tl.decide(tl.chat({"spam": 0.5})).action == "allow"
	tl.decide(tl.with_links(tl.chat({"spam": 0.5}), [city], 0.3)).action == "allow"
}

test_link_spam_stricter_in_youth_and_business if {
	every space in ["youth", "business"] {
		tl.fires("prosperity.link.spam", tl.with_links(tl.in_space(space, {"spam": 0.25}), [unknown], 0.3))
	}
	not tl.fires("prosperity.link.spam", tl.with_links(tl.chat({"spam": 0.25}), [unknown], 0.3))
}

test_link_spam_repeat_offender if {
	# 0.3 × 0.8
	tl.fires("prosperity.link.spam", tl.with_strikes(tl.with_links(tl.chat({"spam": 0.24}), [unknown], 0.3), 3))
}

# prosperity.link.scam: the "link" level of scam, 0.45 (0.375 in youth
# spaces and business booths), with a link to an unknown site.

test_link_scam_fires if {
	d := tl.decide(tl.with_links(tl.chat({"scam": 0.45}), [unknown], 0.3))
	d.action == "block"
	d.rule_ids == ["prosperity.link.scam"]
	d.categories == ["scam"]
	d.queue == ""
	d.severity == "high"
	contains(d.reasons[0].en, "link")
}

test_link_scam_below_threshold if {
	tl.decide(tl.with_links(tl.chat({"scam": 0.44}), [unknown], 0.3)).action == "allow"
}

test_link_scam_not_with_the_city_link if {
	d := tl.decide(tl.with_links(tl.chat({"scam": 0.7}), [city], 0.3))
	d.rule_ids == ["prosperity.scam.hold"]
}

test_link_scam_stricter_in_youth_and_business if {
	every space in ["youth", "business"] {
		tl.fires("prosperity.link.scam", tl.with_links(tl.in_space(space, {"scam": 0.375}), [unknown], 0.3))
	}
	not tl.fires("prosperity.link.scam", tl.with_links(tl.chat({"scam": 0.375}), [unknown], 0.3))
}

test_link_scam_with_shortener_and_obfuscation if {
	l := tl.with_link_fields(shortened, {"obfuscated": true})
	d := tl.decide(tl.with_links(tl.chat({"scam": 0.5}), [l], 0.5))
	d.action == "block"
	d.rule_ids == ["prosperity.link.scam", "prosperity.link.obfuscated", "prosperity.link.shortener"]
	d.categories == ["scam", "spam"]
}
