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

# Look-alike links. A Cyrillic о in seoul.go.kr, as the engine sends it.

fake_city := tl.with_link_fields(
	tl.link("xn--seul-65d.go.kr", "xn--seul-65d.go.kr"),
	{"skeleton": "seoul.go.kr", "idn": true, "mixed_script": true},
)

fake_apple := tl.with_link_fields(
	tl.link("xn--pple-43d.com", "xn--pple-43d.com"),
	{"skeleton": "apple.com", "idn": true, "mixed_script": true},
)

# identity.link.city_lookalike

test_link_city_lookalike_fires if {
	d := tl.decide(tl.with_links(tl.chat({}), [fake_city], 0.3))
	d.action == "block"
	d.rule_ids == ["identity.link.city_lookalike"]
	d.categories == ["impersonation"]
	d.principle == "authenticity"
	d.value == "sincere_identity"
	d.severity == "high"
	contains(d.reasons[0].en, "look like the city's own website")
}

test_link_city_lookalike_under_the_city if {
	l := tl.with_link_fields(tl.link("news.xn--seul-65d.go.kr", "xn--seul-65d.go.kr"), {"skeleton": "news.seoul.go.kr", "idn": true})
	tl.fires("identity.link.city_lookalike", tl.with_links(tl.chat({}), [l], 0.3))
}

test_link_city_lookalike_whoever_sends_it if {
	tl.fires("identity.link.city_lookalike", tl.with_links(tl.input_for("mayor_office", "staff", {}), [fake_city], 0.3))
}

# identity.link.brand_lookalike

test_link_brand_lookalike_fires if {
	d := tl.decide(tl.with_links(tl.chat({}), [fake_apple], 0.3))
	d.action == "block"
	d.rule_ids == ["identity.link.brand_lookalike"]
	d.categories == ["scam"]
	d.principle == "authenticity"
	contains(d.reasons[0].ko, "흉내 낸")
}

test_link_brand_lookalike_ascii if {
	l := tl.with_link_fields(tl.link("paypa1.com", "paypa1.com"), {"skeleton": "paypal.com"})
	tl.fires("identity.link.brand_lookalike", tl.with_links(tl.chat({}), [l], 0.3))
}

test_link_brand_lookalike_not_the_brand_itself if {
	# A name of the brand whose skeleton differs (a1 reads al) is the brand's.
	l := tl.with_link_fields(tl.link("a1.google.com", "google.com"), {"skeleton": "al.google.com"})
	tl.decide(tl.with_links(tl.chat({}), [l], 0.3)).action == "allow"
	tl.decide(tl.with_links(tl.chat({}), [tl.link("www.apple.com", "apple.com")], 0.3)).action == "allow"
}

test_link_brand_lookalike_other_skeletons_allowed if {
	l := tl.with_link_fields(tl.link("deal10.example", "deal10.example"), {"skeleton": "dealio.example"})
	tl.decide(tl.with_links(tl.chat({}), [l], 0.3)).action == "allow"
}

test_link_lookalike_held_on_uncertain_voice if {
	d := tl.decide(tl.with_links(tl.as_voice(tl.chat({}), 0.4), [fake_apple], 0.3))
	d.action == "hold"
	d.fired[0].downgraded_from == "block"
}

# identity.link.mixed_script

test_link_mixed_script_fires if {
	l := tl.with_link_fields(tl.link("xn--pypl-53dc.com", "xn--pypl-53dc.com"), {"skeleton": "paypal.com", "idn": true, "mixed_script": true})
	d := tl.decide(tl.with_links(tl.chat({}), [l], 0.3)) with data.haechi.config.links.brands as []
	d.action == "hold"
	d.rule_ids == ["identity.link.mixed_script"]
	d.categories == ["scam"]
	d.principle == "authenticity"
}

test_link_mixed_script_not_beside_a_lookalike if {
	d := tl.decide(tl.with_links(tl.chat({}), [fake_apple], 0.3))
	not "identity.link.mixed_script" in d.rule_ids
}

test_link_international_name_alone_allowed if {
	l := tl.with_link_fields(tl.link("xn--e1afmkfd.xn--p1ai", "xn--e1afmkfd.xn--p1ai"), {"skeleton": "npиmep.pф", "idn": true})
	tl.decide(tl.with_links(tl.chat({}), [l], 0.3)).action == "allow"
}
