# Shared helpers for the code-of-ethics rules: scores, thresholds per space
# type, and the shape of a violation.
package haechi.lib

import data.haechi.config

# never is a threshold no score reaches: a level missing from data.json
# means the category never triggers that action.
never := 2

space_type := input.event.space.type

sender_role := input.event.sender.role

# score returns a category's evidence, 0 when absent.
score(cat) := object.get(evidence, cat, 0)

# evidence is each category's score on the policy's scale: the highest of
# the rule-based score (lexicon, hash banks) and the text model's
# probability mapped through the model's own threshold, so that the
# threshold chosen for the model (data.models.text, written by
# `haechi train text`) lands at 0.5 and 1 stays 1.
evidence := object.union(input.signals.scores, {cat: s |
	some cat, p in text_model
	s := max([object.get(input.signals.scores, cat, 0), model_scale(p, model_threshold(cat))])
})

default text_model := {}

text_model := input.signals.models.text

model_lang := l if {
	l := input.signals.lang
	l in {"ko", "en"}
} else := "all"

model_threshold(cat) := t if {
	t := data.models.text.thresholds[cat][model_lang]
} else := t if {
	t := data.models.text.thresholds[cat].all
} else := 0.5

model_scale(p, t) := (0.5 * p) / t if {
	p < t
} else := 0.5 + ((0.5 * (p - t)) / (1 - t))

# strictness scales every threshold down for repeat offenders.
default strictness := 1

strictness := config.repeat_offender.threshold_factor if {
	input.user.strikes >= config.repeat_offender.min_strikes
}

# threshold is the score at which cat reaches level in this space: the
# space type's own value where data.json has one, else the default, scaled
# by strictness; never if neither sets the level.
threshold(cat, level) := t * strictness if {
	t := config.thresholds.spaces[space_type][cat][level]
} else := t * strictness if {
	t := config.thresholds.default[cat][level]
} else := never

# reached maps each category to the action levels its score reaches in this
# space, as {cat: {level: true}}. It is computed once per evaluation and
# only over categories with a score. Principles look their rules up by
# category and level from it, so a message whose scores reach nothing
# costs no rule evaluation at all.
reached := {cat: levels |
	some cat, s in evidence
	s > 0
	levels := {level: true | some level, _ in levels_of(cat); reaches(s, threshold(cat, level))}
	count(levels) > 0
}

levels_of(cat) := object.union(
	object.get(config.thresholds.default, cat, {}),
	object.get(config.thresholds.spaces, [space_type, cat], {}),
)

# tolerance absorbs rounding in scaled thresholds: OPA computes 0.6 * 0.75
# as 0.45000000000000000002, which a score of 0.45 must still reach.
tolerance := 0.000001

reaches(s, t) if s >= t - tolerance

# over holds when cat's score reaches level's threshold.
over(cat, level) if reached[cat][level]

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
