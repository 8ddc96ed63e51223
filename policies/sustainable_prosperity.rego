# Sustainable prosperity (fairness): fraud, phishing and illegal trade, with
# stricter thresholds in business spaces where money changes hands, and spam.
package haechi.principles.sustainable_prosperity

import data.haechi.lib

# by_threshold.<category>.<level> is the rule that fires when the category's
# score reaches that action level of data.json in the space (lib.reached).
by_threshold.scam.hold := {
	"rule_id": "prosperity.scam.hold",
	"action": "hold",
	"category": "scam",
	"principle": "fairness",
	"value": "sustainable_prosperity",
	"severity": "medium",
	"reason": {
		"ko": "사기나 불법 거래로 의심되는 내용이 있어 검토를 기다립니다.",
		"en": "The message may be a scam or illegal trade and awaits review.",
	},
}

by_threshold.scam.block := {
	"rule_id": "prosperity.scam.block",
	"action": "block",
	"category": "scam",
	"principle": "fairness",
	"value": "sustainable_prosperity",
	"severity": "high",
	"reason": {
		"ko": "사기 또는 불법 거래 권유로 판단되어 차단되었습니다.",
		"en": "The message was blocked as a scam or an offer of illegal trade.",
	},
}

by_threshold.spam.hold := {
	"rule_id": "prosperity.spam.hold",
	"action": "hold",
	"category": "spam",
	"principle": "fairness",
	"value": "sustainable_prosperity",
	"severity": "low",
	"reason": {
		"ko": "광고성 도배로 보여 검토를 기다립니다.",
		"en": "The message looks like spam and awaits review.",
	},
}

violation contains v if {
	some cat, levels in lib.reached
	some level, _ in levels
	v := by_threshold[cat][level]
}

# A bank account next to scam language is how money leaves victims: it is
# stopped at a lower scam score (the "account" level of data.json).
violation contains {
	"rule_id": "prosperity.scam.account",
	"action": "block",
	"category": "scam",
	"principle": "fairness",
	"value": "sustainable_prosperity",
	"severity": "high",
	"reason": {
		"ko": "사기로 의심되는 내용과 함께 계좌번호가 있어 차단되었습니다.",
		"en": "The message was blocked: it pairs a bank account number with signs of a scam.",
	},
} if {
	lib.has_pii
	"bank_account" in lib.pii_types
	lib.reached.scam.account
}

# Advertising wording alone is how a booth talks, and the spam score (the
# lexicon's advertising terms and the strong text model's spam head, which
# learnt from text-message spam) is no more than that: no level of
# data.json holds a message on it alone. Next to a way to reach the
# sender, a phone number or an e-mail address, a high score is how spam
# reads (the "contact" level, 0.7: a citizen's "my number is …, I'm free
# after 2:30" scores about 0.6, "free" being a spam word in the text
# messages the model learnt from); next to a link to an unknown site, see
# the link rules.
violation contains {
	"rule_id": "prosperity.spam.contact",
	"action": "hold",
	"category": "spam",
	"principle": "fairness",
	"value": "sustainable_prosperity",
	"severity": "low",
	"reason": {
		"ko": "광고성 문구와 함께 연락처가 있어 검토를 기다립니다.",
		"en": "The message pairs advertising language with contact details and awaits review.",
	},
} if {
	lib.has_pii
	lib.reached.spam.contact
	some t in {"phone", "email"}
	t in lib.pii_types
}

# Links. data.haechi.config.links holds the allow-list of the city's own
# sites, the link shorteners and, per space type, the share of link text
# that makes a message "mostly a link"; the "link" levels of spam and scam
# in the thresholds are the scores that, next to a link, are enough. Only
# links the allow-list does not name count (lib.unknown_links).
#
# config.links.shorteners: public URL-shortening services whose links hide
# where they lead, the international ones and those Korean services and
# portals run (han.gl, me2.do, naver.me, vo.la), listed 2026-12 from the
# services' own names; add new ones as spam starts using them.

# The link rules are gathered under one test of lib.has_links, so that a
# message without links, the most of them, pays for it once.
violation contains v if {
	lib.has_links
	some v in link_violation
}

# A shortened link hides where it leads; city staff and officials may
# shorten their own forms and notices.
link_violation contains {
	"rule_id": "prosperity.link.shortener",
	"action": "hold",
	"category": "spam",
	"principle": "fairness",
	"value": "sustainable_prosperity",
	"severity": "low",
	"reason": {
		"ko": "실제 주소를 가리는 단축 URL 링크가 있어 검토를 기다립니다.",
		"en": "The message has a link through a URL shortener, which hides where it leads, and awaits review.",
	},
} if {
	some l in lib.unknown_links
	lib.shortener(l)
	not lib.city_account
}

# A message that is mostly a link to a site the city does not know is how
# link spam looks; the share is lower in youth spaces and business booths.
link_violation contains {
	"rule_id": "prosperity.link.mostly_link",
	"action": "hold",
	"category": "spam",
	"principle": "fairness",
	"value": "sustainable_prosperity",
	"severity": "low",
	"reason": {
		"ko": "메시지 대부분이 확인되지 않은 사이트로 가는 링크라 광고성 도배로 보여 검토를 기다립니다.",
		"en": "The message is mostly a link to a site the city has not verified and awaits review as possible spam.",
	},
} if {
	count(lib.unknown_links) > 0
	input.signals.link_share >= lib.link_share_at_most
	not lib.city_account
}

# A link spelled to slip past filters (hxxp, example[.]com, bit점ly,
# full-width letters) is evasion, which a plain link is not. Voice
# transcripts are left out: a dictated address is written "naver 닷 com".
link_violation contains {
	"rule_id": "prosperity.link.obfuscated",
	"action": "hold",
	"category": "spam",
	"principle": "fairness",
	"value": "sustainable_prosperity",
	"severity": "medium",
	"reason": {
		"ko": "필터를 피하려고 주소를 변형한 링크(hxxp, [.], 점·닷 등)가 있어 검토를 기다립니다.",
		"en": "The message has a link disguised to get past filters (hxxp, [.], a spelled-out dot) and awaits review.",
	},
} if {
	input.event.kind != "voice"
	some l in lib.unknown_links
	l.obfuscated
}

# Advertising language is too weak to act on alone (the spam "hold"
# level); next to a link to an unknown site it is how spam reads.
link_violation contains {
	"rule_id": "prosperity.link.spam",
	"action": "hold",
	"category": "spam",
	"principle": "fairness",
	"value": "sustainable_prosperity",
	"severity": "low",
	"reason": {
		"ko": "광고성 문구와 함께 확인되지 않은 사이트 링크가 있어 검토를 기다립니다.",
		"en": "The message pairs advertising language with a link to a site the city has not verified and awaits review.",
	},
} if {
	lib.reached.spam.link
	count(lib.unknown_links) > 0
}

# Scam language with a link to an unknown site is phishing's shape: it is
# stopped at a lower scam score, like a bank account next to scam
# language.
link_violation contains {
	"rule_id": "prosperity.link.scam",
	"action": "block",
	"category": "scam",
	"principle": "fairness",
	"value": "sustainable_prosperity",
	"severity": "high",
	"reason": {
		"ko": "사기로 의심되는 내용과 함께 확인되지 않은 사이트 링크가 있어 차단되었습니다.",
		"en": "The message was blocked: it pairs signs of a scam with a link to a site the city has not verified.",
	},
} if {
	lib.reached.scam.link
	count(lib.unknown_links) > 0
}
