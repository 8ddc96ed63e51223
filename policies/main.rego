# The decision: every principle package under haechi.principles contributes
# violations; this package picks the action by precedence
# (escalate > block > hold > redact > allow) and explains it.
package haechi.main

import data.haechi.config
import data.haechi.lib
import data.haechi.principles

# violations gathers every principle's violations. A new principle package
# must be added here; a Go test checks that none is left out.
violations := (((((principles.personal_information.violation | principles.inclusiveness.violation) | principles.safe_experience.violation) | principles.sincere_identity.violation) | principles.sustainable_prosperity.violation) | principles.minors.violation) | principles.content.violation

# A speech recogniser can mishear: a voice segment transcribed with low
# confidence is held for a person instead of blocked.
low_confidence_voice if {
	input.event.kind == "voice"
	input.event.asr_confidence < config.voice.min_confidence_to_block
}

downgraded(v) := object.union(v, {"action": "hold", "downgraded_from": "block"}) if {
	v.action == "block"
} else := v

fired := {downgraded(v) | some v in violations} if low_confidence_voice

else := violations

default top_rank := 0

top_rank := max({lib.action_rank[v.action] | some v in fired})

action := a if {
	some a, r in lib.action_rank
	r == top_rank
}

# ordered lists fired rules most restrictive first, then by rule id, so the
# decision is the same whatever order rules are evaluated in.
ordered := [by_id[pair[1]] | some pair in sort([[0 - lib.action_rank[v.action], v.rule_id] | some v in fired])]

by_id := {v.rule_id: v | some v in fired}

top := ordered[0]

default principle := ""

principle := top.principle

default value := ""

value := top.value

default severity := "none"

severity := s if {
	m := max({lib.severity_rank[v.severity] | some v in fired})
	some s, r in lib.severity_rank
	r == m
}

# queue is where a person reviews the content: a rule's own queue wins,
# else the default queue for the action.
default queue := ""

queue := q if {
	qs := [v.queue | some v in ordered; lib.action_rank[v.action] == top_rank; v.queue]
	q := qs[0]
} else := q if {
	q := object.get(config.queues, action, "")
}

redact := {
	"pii": sort({t | some v in fired; some t in object.get(v, ["redact", "pii"], [])}),
	"categories": sort({c | some v in fired; some c in object.get(v, ["redact", "categories"], [])}),
}

# When no rule fires the content is allowed.
default decision := {
	"action": "allow",
	"categories": [],
	"rule_ids": [],
	"principle": "",
	"value": "",
	"severity": "none",
	"queue": "",
	"redact": {"pii": [], "categories": []},
	"reasons": [],
	"fired": [],
}

decision := {
	"action": action,
	"categories": sort({v.category | some v in fired; v.category}),
	"rule_ids": [v.rule_id | some v in ordered],
	"principle": principle,
	"value": value,
	"severity": severity,
	"queue": queue,
	"redact": redact,
	"reasons": [{"rule_id": v.rule_id, "ko": v.reason.ko, "en": v.reason.en} | some v in ordered],
	"fired": [object.remove(v, ["reason", "redact"]) | some v in ordered],
} if count(fired) > 0
