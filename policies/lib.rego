# Shared helpers for the code-of-ethics rules: scores, thresholds per space
# type, and the shape of a violation.
package haechi.lib

import data.haechi.config

# never is a threshold no score reaches: a level missing from data.json
# means the category never triggers that action.
never := 2

space_type := input.event.space.type

sender_role := input.event.sender.role

# evidence is each category's score on the policy's scale: the highest of
# the rule-based score (lexicon, hash banks) and each learned model's
# probability mapped through the model's threshold for the text's language
# (data.models.<name>.thresholds, written by `haechi train text`), so that
# the model's operating point lands at 0.5 and 1 stays 1. The engine
# computes it with those thresholds (Rego arithmetic is too slow for every
# message); inputs without it fall back to the rule-based scores.
evidence := e if {
	e := input.signals.evidence
} else := s if {
	s := input.signals.scores
} else := {}

# strictness scales every threshold down for repeat offenders.
default strictness := 1

strictness := config.repeat_offender.threshold_factor if {
	input.user.strikes >= config.repeat_offender.min_strikes
}

# threshold is the score at which cat reaches level in this space: the
# space type's own value where data.json has one, else the default, scaled
# by strictness; never if neither sets the level.
threshold(cat, level) := scaled(t) if {
	t := config.thresholds.spaces[space_type][cat][level]
} else := scaled(t) if {
	t := config.thresholds.default[cat][level]
} else := never

# scaled applies strictness; arithmetic is slow in OPA, so only when needed.
scaled(t) := t if strictness == 1

else := t * strictness

# reached maps each category to the action levels its evidence reaches in
# this space, as {cat: {level: true}}. Principles look their rules up by
# category and level from it, so a message whose scores reach nothing
# costs no rule evaluation at all.
reached := r if {
	r := input.signals.reached
} else := computed_reached

# computed_reached is the definition of reached. The engine computes the
# same in Go from this bundle's data (engine/policy/evidence.go) and sends
# it as signals.reached, because OPA's decimal arithmetic makes comparing
# every score against every level cost more than the rest of the decision.
# When a bundle loads, the engine evaluates this rule on inputs built from
# the bundle's thresholds and refuses the bundle if the two disagree
# (engine/policy/reached.go): editing the definition here without the Go
# side is refused, never silently ignored.
computed_reached := {cat: levels |
	some cat, s in evidence
	s > 0
	levels := {level: true | some level, _ in levels_of(cat); reaches(s, threshold(cat, level))}
	count(levels) > 0
}

levels_of(cat) := object.union(
	object.get(config.thresholds.default, cat, {}),
	object.get(config.thresholds.spaces, [space_type, cat], {}),
)

# tolerance absorbs rounding in thresholds scaled for repeat offenders: OPA
# computes 0.6 * 0.8 as 0.48000000000000000002, which a score of 0.48 must
# still reach.
tolerance := 0.000001

reaches(s, t) if s >= t

reaches(s, t) if {
	strictness != 1
	s >= t - tolerance
}

# severity levels, for ordering, and their names by rank.
severity_rank := {"none": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}

severity_names := ["none", "low", "medium", "high", "critical"]

# action precedence: escalate > block > hold > redact > allow.
action_rank := {"allow": 0, "redact": 1, "hold": 2, "block": 3, "escalate": 4}

minor(party) if party.age_band in {"child", "teen"}

# has_pii holds when any PII was found; rules test it first because it is
# cheap and usually false.
has_pii if count(input.signals.pii) > 0

# pii_types are the PII types found with enough confidence.
pii_types contains p.type if {
	some p in input.signals.pii
	p.score >= config.pii.min_score
}

# analysed holds for what the classifiers examined ("text", "image").
analysed(what) if what in input.signals.analysed
