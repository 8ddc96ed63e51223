# Sincere identity (authenticity): citizens and businesses must not pose as
# city staff, officials or platform operators; only accounts whose role the
# platform verified may speak for the city.
package haechi.principles.sincere_identity

import data.haechi.lib

unverified if lib.sender_role in {"citizen", "business"}

# by_level holds the rules for each action level the impersonation score
# reaches; they apply only to senders whose official role is not verified.
by_level["hold"] := {
	"rule_id": "identity.impersonation.hold",
	"action": "hold",
	"category": "impersonation",
	"principle": "authenticity",
	"value": "sincere_identity",
	"severity": "medium",
	"reason": {
		"ko": "공무원이나 운영자를 사칭하는 것으로 보여 검토를 기다립니다.",
		"en": "The message appears to pose as city staff or an operator and awaits review.",
	},
}

by_level["block"] := {
	"rule_id": "identity.impersonation.block",
	"action": "block",
	"category": "impersonation",
	"principle": "authenticity",
	"value": "sincere_identity",
	"severity": "high",
	"reason": {
		"ko": "공무원이나 운영자를 사칭하는 메시지라 차단되었습니다.",
		"en": "The message was blocked for posing as city staff or an operator.",
	},
}

violation contains v if {
	some level, _ in lib.reached.impersonation
	unverified
	v := by_level[level]
}

# Posing as an official while asking for money or personal data is
# phishing: stop it.
violation contains {
	"rule_id": "identity.impersonation.phishing",
	"action": "block",
	"category": "impersonation",
	"principle": "authenticity",
	"value": "sincere_identity",
	"severity": "high",
	"reason": {
		"ko": "공무원이나 운영자를 사칭해 돈이나 개인정보를 요구하는 메시지로 보여 차단되었습니다.",
		"en": "The message was blocked: it poses as an official and asks for money or personal data.",
	},
} if {
	lib.reached.impersonation.hold
	lib.reached.scam.hold
	unverified
}

# The link rules are gathered under one test of lib.has_links, so that a
# message without links, the most of them, pays for it once.
violation contains v if {
	lib.has_links
	some v in link_violation
}

# A link whose address is made to look like the city's own site (seоul.go.kr
# with a Cyrillic о) poses as the city, whoever sends it: a hijacked staff
# account too. The allow-list names the city's sites (lib.city_names).
link_violation contains {
	"rule_id": "identity.link.city_lookalike",
	"action": "block",
	"category": "impersonation",
	"principle": "authenticity",
	"value": "sincere_identity",
	"severity": "high",
	"reason": {
		"ko": "시 공식 누리집 주소를 흉내 낸 가짜 주소의 링크가 있어 차단되었습니다.",
		"en": "The message was blocked: it links to a fake address made to look like the city's own website.",
	},
} if {
	some l in lib.unknown_links
	l.skeleton
	lib.imitates(l, lib.city_names)
}

# The same for the well-known companies and institutions that phishing
# imitates (data.haechi.config.links.brands): аpple.com, paypa1.com.
link_violation contains {
	"rule_id": "identity.link.brand_lookalike",
	"action": "block",
	"category": "scam",
	"principle": "authenticity",
	"value": "sincere_identity",
	"severity": "high",
	"reason": {
		"ko": "잘 알려진 기업이나 기관의 주소를 흉내 낸 가짜 주소의 링크가 있어 차단되었습니다.",
		"en": "The message was blocked: it links to a fake address made to look like a well-known company's or institution's site.",
	},
} if {
	some l in lib.unknown_links
	l.skeleton
	lib.imitates(l, lib.brand_names)
}

# A host that mixes alphabets within a label (Latin with Cyrillic or Greek)
# is made to pass for another name even when it is not one the policy
# knows; no language writes that way.
link_violation contains {
	"rule_id": "identity.link.mixed_script",
	"action": "hold",
	"category": "scam",
	"principle": "authenticity",
	"value": "sincere_identity",
	"severity": "medium",
	"reason": {
		"ko": "여러 나라 문자를 섞어 다른 주소처럼 보이게 만든 링크가 있어 검토를 기다립니다.",
		"en": "The message has a link whose address mixes alphabets to pass for another and awaits review.",
	},
} if {
	some l in lib.unknown_links
	l.mixed_script
	not lib.imitates(l, lib.city_names | lib.brand_names)
}
