# The decision: every principle package under haechi.principles contributes
# violations; this package picks the action by precedence
# (escalate > block > hold > redact > allow) and explains it.
package haechi.main

import data.haechi.config
import data.haechi.lib
import data.haechi.principles

# violations gathers every principle's violations. A new principle package
# must be added here; a Go test checks that none is left out.
violations := {v |
	some set in [
		principles.personal_information.violation,
		principles.inclusiveness.violation,
		principles.safe_experience.violation,
		principles.sincere_identity.violation,
		principles.sustainable_prosperity.violation,
		principles.minors.violation,
		principles.content.violation,
		principles.imagery.violation,
		principles.behaviour.violation,
	]
	some v in set
}

# A speech recogniser can mishear: a voice segment transcribed with low
# confidence is held for a person instead of blocked.
low_confidence_voice if {
	input.event.kind == "voice"
	input.event.asr_confidence < config.voice.min_confidence_to_block
}

# fired is the violations, each block downgraded to a hold where the
# voice transcript is unsure. It is written without else, so that the
# engine can prove by partial evaluation which messages no rule fires on
# (engine/policy/fastpath.go): OPA does not partially evaluate ordered
# rules.
fired := violations if not downgrades

fired := {fire(v) | some v in violations} if downgrades

# downgrades is true when a violation blocks an unsure voice transcript.
downgrades if {
	some v in violations
	v.action == "block"
	low_confidence_voice
}

fire(v) := object.union(v, {"action": "hold", "downgraded_from": "block"}) if v.action == "block"

fire(v) := v if not v.action == "block"

# ordered lists fired rules most restrictive first, then by rule id, so the
# decision is the same whatever order rules are evaluated in.
ordered := [by_id[key[1]] | some key in sort([[0 - lib.action_rank[v.action], v.rule_id] | some v in fired])]

by_id := {v.rule_id: v | some v in fired}

# top is the rule that decides the action; it names the principle.
top := ordered[0]

severity := lib.severity_names[max({lib.severity_rank[v.severity] | some v in fired})]

# queue is where a person reviews the content: the first queue named by a
# rule with the deciding action, else the default queue for that action.
queue := q if {
	qs := [v.queue | some v in ordered; v.action == top.action; v.queue]
	q := qs[0]
} else := object.get(config.queues, top.action, "")

redact := {
	"pii": sort({t | some v in fired; some t in object.get(v, ["redact", "pii"], [])}),
	"categories": sort({c | some v in fired; some c in object.get(v, ["redact", "categories"], [])}),
}

# When no rule fires the content is allowed.
decision := {
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
} if count(fired) == 0

decision := {
	"action": top.action,
	"categories": sort({v.category | some v in fired; v.category}),
	"rule_ids": [v.rule_id | some v in ordered],
	"principle": top.principle,
	"value": top.value,
	"severity": severity,
	"queue": queue,
	"redact": redact,
	"reasons": [{"rule_id": v.rule_id, "ko": v.reason.ko, "en": v.reason.en} | some v in ordered],
	"fired": [object.remove(v, ["reason", "redact"]) | some v in ordered],
} if count(fired) > 0
