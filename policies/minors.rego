# Responsibility for the future: extra protection of children and teens.
# Sexual content involving minors is escalated everywhere; in the youth
# space and in direct messages to minors, adults may not trade contact
# details; sexual content in a direct message to a minor is escalated at
# the lower "to_minor" level of data.json (grooming). Public posts in the
# youth space are covered by its stricter thresholds in data.json.
package haechi.principles.minors

import data.haechi.config
import data.haechi.lib

# by_threshold.<category>.<level> is the rule that fires when the category's
# score reaches that action level of data.json in the space (lib.reached).
by_threshold.sexual_minors.escalate := {
	"rule_id": "minors.sexual_minors.escalate",
	"action": "escalate",
	"category": "sexual_minors",
	"principle": "responsibility_for_the_future",
	"value": "safe_experience",
	"severity": "critical",
	"queue": "youth_safety",
	"reason": {
		"ko": "미성년자를 성적으로 다루는 내용으로 보여 차단하고 긴급 검토로 넘겼습니다.",
		"en": "The message appears to sexualise minors; it was stopped and sent for urgent review.",
	},
}

violation contains v if {
	some cat, levels in lib.reached
	some level, _ in levels
	v := by_threshold[cat][level]
}

# minors_at_risk holds where the audience includes minors: the youth space,
# or a direct message to a minor.
minors_at_risk if lib.space_type == "youth"

minors_at_risk if lib.minor(input.event.recipient)

# adult_or_unknown holds for senders not known to be minors.
adult_or_unknown if not lib.minor(input.event.sender)

violation contains {
	"rule_id": "minors.contact_exchange",
	"action": "hold",
	"category": "pii",
	"principle": "responsibility_for_the_future",
	"value": "safe_experience",
	"severity": "high",
	"queue": "youth_safety",
	"reason": {
		"ko": "미성년자가 있는 곳에서 성인이 연락처를 주고받으려 해 상담사 검토를 기다립니다.",
		"en": "An adult shared contact details where minors are present; the message awaits a counsellor's review.",
	},
} if {
	lib.has_pii
	minors_at_risk
	adult_or_unknown
	not lib.sender_role in {"staff", "official"}
	some t in config.pii.contact_types
	t in lib.pii_types
}

violation contains {
	"rule_id": "minors.sexual_to_minor.escalate",
	"action": "escalate",
	"category": "sexual",
	"principle": "responsibility_for_the_future",
	"value": "safe_experience",
	"severity": "critical",
	"queue": "youth_safety",
	"reason": {
		"ko": "미성년자에게 보낸 성적인 메시지로 보여 차단하고 긴급 검토로 넘겼습니다.",
		"en": "A sexual message sent to a minor was stopped and sent for urgent review.",
	},
} if {
	lib.minor(input.event.recipient)
	adult_or_unknown
	lib.reached.sexual.to_minor
}
