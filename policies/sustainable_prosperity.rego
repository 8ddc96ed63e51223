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
