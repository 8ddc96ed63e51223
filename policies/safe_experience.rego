# Safe experience: harassment, threats of violence, sexual content and
# self-harm. Self-harm is not punished: it goes to counsellors who can help.
package haechi.principles.safe_experience

import data.haechi.lib

# by_threshold.<category>.<level> is the rule that fires when the category's
# score reaches that action level of data.json in the space (lib.reached).
by_threshold.harassment.hold := {
	"rule_id": "safety.harassment.hold",
	"action": "hold",
	"category": "harassment",
	"principle": "reciprocity",
	"value": "safe_experience",
	"severity": "medium",
	"reason": {
		"ko": "다른 이용자를 괴롭히는 표현일 수 있어 검토를 기다립니다.",
		"en": "The message may harass another user and awaits review.",
	},
}

by_threshold.harassment.block := {
	"rule_id": "safety.harassment.block",
	"action": "block",
	"category": "harassment",
	"principle": "reciprocity",
	"value": "safe_experience",
	"severity": "high",
	"reason": {
		"ko": "다른 이용자를 괴롭히는 표현이 있어 차단되었습니다.",
		"en": "The message was blocked because it harasses another user.",
	},
}

by_threshold.threat.hold := {
	"rule_id": "safety.threat.hold",
	"action": "hold",
	"category": "threat",
	"principle": "reciprocity",
	"value": "safe_experience",
	"severity": "medium",
	"reason": {
		"ko": "폭력을 암시하는 표현이 있어 검토를 기다립니다.",
		"en": "The message suggests violence and awaits review.",
	},
}

by_threshold.threat.block := {
	"rule_id": "safety.threat.block",
	"action": "block",
	"category": "threat",
	"principle": "reciprocity",
	"value": "safe_experience",
	"severity": "high",
	"reason": {
		"ko": "다른 사람을 해치겠다는 위협이 있어 차단되었습니다.",
		"en": "The message was blocked because it threatens to harm someone.",
	},
}

by_threshold.threat.escalate := {
	"rule_id": "safety.threat.escalate",
	"action": "escalate",
	"category": "threat",
	"principle": "reciprocity",
	"value": "safe_experience",
	"severity": "critical",
	"queue": "senior",
	"reason": {
		"ko": "구체적인 폭력 위협으로 보여 차단하고 긴급 검토로 넘겼습니다.",
		"en": "The message looks like a concrete threat of violence; it was stopped and sent for urgent review.",
	},
}

by_threshold.sexual.hold := {
	"rule_id": "safety.sexual.hold",
	"action": "hold",
	"category": "sexual",
	"principle": "inclusiveness",
	"value": "safe_experience",
	"severity": "medium",
	"reason": {
		"ko": "성적인 내용이 포함되어 검토를 기다립니다.",
		"en": "The message has sexual content and awaits review.",
	},
}

by_threshold.sexual.block := {
	"rule_id": "safety.sexual.block",
	"action": "block",
	"category": "sexual",
	"principle": "inclusiveness",
	"value": "safe_experience",
	"severity": "high",
	"reason": {
		"ko": "노골적인 성적 내용이 있어 차단되었습니다.",
		"en": "The message was blocked for explicit sexual content.",
	},
}

by_threshold.self_harm.escalate := {
	"rule_id": "safety.self_harm.escalate",
	"action": "escalate",
	"category": "self_harm",
	"principle": "reciprocity",
	"value": "safe_experience",
	"severity": "critical",
	"queue": "youth_safety",
	"reason": {
		"ko": "도움이 필요할 수 있는 메시지라 상담사에게 전달했습니다. 힘드시면 자살예방상담전화 109(24시간)로 연락하세요.",
		"en": "This message suggests you may need support, so it was passed to a counsellor. In Korea you can call 109 at any hour.",
	},
}

violation contains v if {
	some cat, levels in lib.reached
	some level, _ in levels
	v := by_threshold[cat][level]
}
