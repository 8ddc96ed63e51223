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
