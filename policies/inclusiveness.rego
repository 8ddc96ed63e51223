# Respect and inclusiveness: profanity and insults are masked or stopped;
# attacks on people for who they are (hate) are held or blocked.
package haechi.principles.inclusiveness

import data.haechi.lib

# by_threshold.<category>.<level> is the rule that fires when the category's
# score reaches that action level of data.json in the space (lib.reached).
by_threshold.profanity.redact := {
	"rule_id": "respect.profanity.redact",
	"action": "redact",
	"category": "profanity",
	"principle": "inclusiveness",
	"value": "safe_experience",
	"severity": "low",
	"redact": {"categories": ["profanity"]},
	"reason": {
		"ko": "욕설이 포함되어 해당 표현을 가렸습니다.",
		"en": "The message contained profanity, which was masked.",
	},
}

by_threshold.profanity.hold := {
	"rule_id": "respect.profanity.hold",
	"action": "hold",
	"category": "profanity",
	"principle": "inclusiveness",
	"value": "safe_experience",
	"severity": "medium",
	"reason": {
		"ko": "이 공간에서 허용되지 않는 심한 욕설이 포함되어 검토를 기다립니다.",
		"en": "The message contains strong profanity not allowed in this space and awaits review.",
	},
}

by_threshold.insult.redact := {
	"rule_id": "respect.insult.redact",
	"action": "redact",
	"category": "insult",
	"principle": "inclusiveness",
	"value": "safe_experience",
	"severity": "low",
	"redact": {"categories": ["insult", "profanity"]},
	"reason": {
		"ko": "모욕적인 표현이 포함되어 해당 표현을 가렸습니다.",
		"en": "The message contained an insult, which was masked.",
	},
}

by_threshold.insult.block := {
	"rule_id": "respect.insult.block",
	"action": "block",
	"category": "insult",
	"principle": "inclusiveness",
	"value": "safe_experience",
	"severity": "medium",
	"reason": {
		"ko": "다른 사람을 심하게 모욕하는 표현이 있어 메시지가 차단되었습니다.",
		"en": "The message was blocked because it insults another person.",
	},
}

by_threshold.hate.hold := {
	"rule_id": "respect.hate.hold",
	"action": "hold",
	"category": "hate",
	"principle": "inclusiveness",
	"value": "safe_experience",
	"severity": "medium",
	"reason": {
		"ko": "지역, 성별, 출신, 종교 등을 이유로 한 혐오 표현일 수 있어 검토를 기다립니다.",
		"en": "The message may attack people for their region, gender, origin or religion and awaits review.",
	},
}

by_threshold.hate.block := {
	"rule_id": "respect.hate.block",
	"action": "block",
	"category": "hate",
	"principle": "inclusiveness",
	"value": "safe_experience",
	"severity": "high",
	"reason": {
		"ko": "지역, 성별, 출신, 종교 등을 이유로 사람을 공격하는 혐오 표현이 있어 차단되었습니다.",
		"en": "The message was blocked as hate speech attacking people for their region, gender, origin or religion.",
	},
}

violation contains v if {
	some cat, levels in lib.reached
	some level, _ in levels
	v := by_threshold[cat][level]
}
