# Behavioural rules: the harm is in the pattern, not in one message.
# input.signals.behaviour holds counts the engine keeps across messages
# (engine/behaviour): the sender's rate and repeats in this space, how many
# senders posted a near-copy of the text (a wave), how many linked to each
# domain, how old the account is, how many other senders attacked this
# message's target, and the grooming cues of the conversation with a minor.
# user.reporters counts the distinct users who reported the sender lately.
# Thresholds per space type are in config.behaviour; each rule names the
# pattern in its reason, and the decision keeps the counts.
package haechi.principles.behaviour

import data.haechi.config
import data.haechi.lib

b := input.signals.behaviour

# The pattern rules are gathered in patterns and evaluated only for a
# notable message: one whose counts pass the floors of
# engine.BehaviourSignals.Notable (more than one message in a window, a
# repeat, a second sender of a wave or a domain, an account younger than a
# week, another attacker of the target, a grooming cue). An ordinary
# message then costs this one rule instead of every pattern's. The engine
# refuses a bundle whose patterns fire on a message below the floors
# (engine/policy/behaviourgate.go), so the gate never changes a decision:
# a threshold below its floor is refused, not ignored. A wave alone (no
# link, an account that is not new, nothing else past a floor) does not
# open the gate while no pattern here fires on one, which the engine also
# checks at every load (checkQuietWaves). (The gate names
# input.signals.behaviour in full rather than b: evaluating the rule b
# on every message costs more than the lookup.)
violation contains v if {
	input.signals.behaviour.notable
	some v in patterns
}

# The settings of each pattern in this space type: its defaults with the
# space type's own values laid over them. Each is a rule, so a query
# computes it once, and only when a rule reads it; the rules test what
# the input alone decides first, so an ordinary message reads only the
# flood settings. (Paths are written out: a path with a variable in it
# makes OPA read and convert the whole behaviour block.)
flood := object.union(config.behaviour.flood["default"], object.get(config.behaviour.flood.spaces, lib.space_type, {}))

wave := object.union(config.behaviour.wave["default"], object.get(config.behaviour.wave.spaces, lib.space_type, {}))

domain := object.union(config.behaviour.domain["default"], object.get(config.behaviour.domain.spaces, lib.space_type, {}))

pile_on := object.union(config.behaviour.pile_on["default"], object.get(config.behaviour.pile_on.spaces, lib.space_type, {}))

reports := object.union(config.behaviour.reports["default"], object.get(config.behaviour.reports.spaces, lib.space_type, {}))

grooming := object.union(config.behaviour.grooming["default"], object.get(config.behaviour.grooming.spaces, lib.space_type, {}))

# new_account holds when the platform says the account is younger than
# hours.
new_account(hours) if {
	b.account_age_hours >= 0
	b.account_age_hours < hours
}

# abusive(level) holds when some abuse category's evidence is at least
# level: the lower bar a message meets when it joins a pattern of abuse.
abusive(level) if {
	some cat in config.behaviour.abuse_categories
	lib.evidence[cat] >= level
}

# Flooding: many messages, or the same message again and again, in one
# space. Removed without a case: the flood is the harm, and a case per
# message would flood the reviewers too.
patterns contains {
	"rule_id": "prosperity.flood.rate",
	"action": "block",
	"category": "spam",
	"principle": "fairness",
	"value": "sustainable_prosperity",
	"severity": "low",
	"reason": {
		"ko": "짧은 시간에 메시지를 너무 많이 보내 이 메시지가 전달되지 않았습니다.",
		"en": "Too many messages were sent in a short time, so this one was not delivered.",
	},
} if {
	some w in ["rate_10s", "rate_60s"]
	b[w] >= flood[w]
}

patterns contains {
	"rule_id": "prosperity.flood.repeat",
	"action": "block",
	"category": "spam",
	"principle": "fairness",
	"value": "sustainable_prosperity",
	"severity": "low",
	"reason": {
		"ko": "같은 메시지를 짧은 시간에 여러 번 보내 이 메시지가 전달되지 않았습니다.",
		"en": "The same message was sent repeatedly in a short time, so this one was not delivered.",
	},
} if {
	b.near_repeats >= flood.repeats
	b.rate_60s >= flood.repeat_rate_60s
}

# Spam waves: near-copies of one text from many senders at once. A wave
# alone is not spam (a festival greeting, a cheer); with a link to a site
# the city has not verified, or from new accounts, it is how spam runs.
patterns contains {
	"rule_id": "prosperity.wave.link",
	"action": "hold",
	"category": "spam",
	"principle": "fairness",
	"value": "sustainable_prosperity",
	"severity": "medium",
	"reason": {
		"ko": "여러 계정이 거의 같은 내용을 확인되지 않은 링크와 함께 한꺼번에 올리고 있어 검토를 기다립니다.",
		"en": "Many accounts are posting nearly the same text with an unverified link at once; the message awaits review.",
	},
} if {
	count(lib.unknown_links) > 0
	b.wave_senders >= wave.senders
	not lib.city_account
}

patterns contains {
	"rule_id": "prosperity.wave.new_accounts",
	"action": "hold",
	"category": "spam",
	"principle": "fairness",
	"value": "sustainable_prosperity",
	"severity": "medium",
	"reason": {
		"ko": "새로 만든 계정들이 거의 같은 내용을 한꺼번에 올리고 있어 검토를 기다립니다.",
		"en": "New accounts are posting nearly the same text at once; the message awaits review.",
	},
} if {
	new_account(config.behaviour.new_account_hours)
	b.wave_senders >= wave.senders
	not lib.city_account
}

# One unverified domain linked by many senders within minutes, this one a
# new account: a campaign whose texts vary too much to be near-copies.
patterns contains {
	"rule_id": "prosperity.domain.spread",
	"action": "hold",
	"category": "spam",
	"principle": "fairness",
	"value": "sustainable_prosperity",
	"severity": "medium",
	"reason": {
		"ko": "새 계정이 최근 여러 계정이 퍼뜨리는 확인되지 않은 사이트 링크를 올려 검토를 기다립니다.",
		"en": "A new account posted a link to an unverified site that many accounts are spreading; the message awaits review.",
	},
} if {
	some l in lib.unknown_links
	not lib.city_account
	new_account(domain.account_hours)
	b.domain_senders[l.domain] >= domain.senders
}

# A brand-new account's links wait for review where the audience is most
# exposed (config.behaviour.new_account_link_spaces).
patterns contains {
	"rule_id": "prosperity.new_account.link",
	"action": "hold",
	"category": "spam",
	"principle": "fairness",
	"value": "sustainable_prosperity",
	"severity": "low",
	"reason": {
		"ko": "새로 만든 계정이 확인되지 않은 사이트 링크를 올려 검토를 기다립니다.",
		"en": "A newly created account posted a link to an unverified site; the message awaits review.",
	},
} if {
	lib.space_type in config.behaviour.new_account_link_spaces
	not lib.city_account
	new_account(config.behaviour.new_account_hours)
	count(lib.unknown_links) > 0
}

# Pile-ons: several others have already attacked this message's target
# within minutes; a message that joins in is held at a lower bar than an
# insult on its own. (A threshold below 1 sender acts as 1: with no
# pile-on there is nothing to join.)
patterns contains {
	"rule_id": "reciprocity.pile_on",
	"action": "hold",
	"category": "harassment",
	"principle": "reciprocity",
	"value": "safe_experience",
	"severity": "high",
	"reason": {
		"ko": "여러 사용자가 한 사람을 한꺼번에 공격하는 중에 보낸 공격적인 메시지라 검토를 기다립니다.",
		"en": "The message joins several users attacking one person at once and awaits review.",
	},
} if {
	b.pile_on_senders > 0
	b.pile_on_senders >= pile_on.senders
	abusive(pile_on.level)
}

# A sender many distinct users reported lately is held at a lower bar (a
# threshold below 1 reporter acts as 1).
violation contains {
	"rule_id": "reciprocity.reported_sender",
	"action": "hold",
	"category": "harassment",
	"principle": "reciprocity",
	"value": "safe_experience",
	"severity": "medium",
	"reason": {
		"ko": "최근 여러 사용자에게 신고된 사용자의 공격적인 메시지라 검토를 기다립니다.",
		"en": "The sender was recently reported by several users and the message is abusive; it awaits review.",
	},
} if {
	input.user.reporters > 0
	input.user.reporters >= reports.reporters
	abusive(reports.level)
}

# Grooming: the cues of one conversation from a sender not known to be a
# minor to a minor (or in a youth space), weighed together. Each cue
# counts once however often it recurs; the weights and levels are
# config.behaviour.grooming. Only a message that itself shows a cue is
# stopped, so the minor's conversation is not cut off for good. The city's
# own staff and officials are left out: a counsellor's work shows every
# cue (a student's grade and school, "what we say stays between us", a
# number to call).
grooming_score := sum([config.behaviour.grooming.weights[c] | some c in b.grooming.cues])

grooming_cue_now if count(input.signals.cues) > 0

# grooming_hold is the weight at which a cue is held: in a direct message
# to a minor any cue at direct_hold (an adult stranger asking a child's
# age, school or whereabouts in private waits for a counsellor, as trading
# contact details does: minors.contact_exchange), in a youth space's
# public chat the hold level.
grooming_hold := grooming.direct_hold if {
	lib.minor(input.event.recipient)
} else := grooming.hold

patterns contains {
	"rule_id": "minors.grooming.escalate",
	"action": "escalate",
	"category": "grooming",
	"principle": "responsibility_for_the_future",
	"value": "safe_experience",
	"severity": "critical",
	"queue": "youth_safety",
	"reason": {
		"ko": "미성년자와의 대화에서 나이·연락처·비밀·선물·만남 요구 같은 그루밍 징후가 여러 번 나타나 상담사 긴급 검토로 넘겼습니다.",
		"en": "The conversation with a minor shows several signs of grooming (age, contact, secrecy, gifts, meeting); it was stopped and sent to counsellors urgently.",
	},
} if {
	grooming_cue_now
	not lib.city_account
	grooming_score >= grooming.escalate
}

patterns contains {
	"rule_id": "minors.grooming.hold",
	"action": "hold",
	"category": "grooming",
	"principle": "responsibility_for_the_future",
	"value": "safe_experience",
	"severity": "high",
	"queue": "youth_safety",
	"reason": {
		"ko": "미성년자에게 나이·연락처·사진·비밀·만남 등을 요구하는 그루밍 징후가 있어 상담사 검토를 기다립니다.",
		"en": "The message to a minor shows signs of grooming (asking age, contact, photos, secrecy or a meeting); it awaits a counsellor's review.",
	},
} if {
	grooming_cue_now
	not lib.city_account
	grooming_score >= grooming_hold
}

# Once a conversation has reached the escalation level, the sender's
# further messages in it wait for the counsellor, cue or not: the case is
# open, and the rapport between the moves is part of the pattern. The
# minor's own messages, and everyone else's, go on as before.
patterns contains {
	"rule_id": "minors.grooming.conversation_held",
	"action": "hold",
	"category": "grooming",
	"principle": "responsibility_for_the_future",
	"value": "safe_experience",
	"severity": "high",
	"queue": "youth_safety",
	"reason": {
		"ko": "그루밍 징후로 상담사 검토 중인 대화라 이 사용자의 메시지가 검토를 기다립니다.",
		"en": "A counsellor is reviewing this conversation for signs of grooming; this sender's messages in it await review.",
	},
} if {
	count(b.grooming.cues) > 0
	not grooming_cue_now
	not lib.city_account
	grooming_score >= grooming.escalate
}
