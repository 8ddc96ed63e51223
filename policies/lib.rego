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
#
# It is written as two exclusive rules rather than with else: OPA does not
# partially evaluate ordered rules, and the engine's fast path for messages
# that reach nothing is proven by partial evaluation (engine/policy/fastpath.go).
reached := input.signals.reached

reached := computed_reached if not input.signals.reached

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

# Links (classifiers/links): input.signals.links lists the text's web
# addresses, each with its host and registrable domain in ASCII (punycode
# for international names), a skeleton when the host looks like another
# name, and the flags obfuscated, idn and mixed_script when set;
# input.signals.link_share is the share of the message that is link text.
# Both are absent when the text has no link.

# has_links holds when the text has links; link rules test it first
# because it is cheap and usually false. input.signals.links is named in
# full: a rule that takes input.signals whole counts as reading the levels
# the engine sends (engine/policy/reached.go).
has_links if count(input.signals.links) > 0

links := input.signals.links

# city_account holds for the city's own verified staff and officials, who
# share the city's forms and notices, shortened or not.
city_account if sender_role in {"staff", "official"}

# The allow-list, config.links.allow, names the city's own sites: "x.kr"
# is that host alone, "*.x.kr" is x.kr and every host under it. Entries
# are lower-case ASCII, international names in punycode.
allow_hosts := {e | some e in config.links.allow; not startswith(e, "*.")}

allow_domains := {substring(e, 2, -1) | some e in config.links.allow; startswith(e, "*.")}

allowed_link(l) if l.host in allow_hosts

# The registrable domain is looked up first: it is the usual entry
# (*.seoul.go.kr), and a lookup costs less than comparing suffixes.
allowed_link(l) if l.domain in allow_domains

allowed_link(l) if {
	not l.domain in allow_domains
	some name in allow_domains
	under(l.host, name)
}

# under holds when host is name or a host under it.
under(host, name) if host == name

under(host, name) if endswith(host, concat("", [".", name]))

# unknown_links are the links to sites the allow-list does not name. Only
# they can make a message spam or a scam: a link to the city's own site
# never does by itself.
unknown_links contains l if {
	some l in links
	not allowed_link(l)
}

shortener(l) if l.domain in config.links.shorteners

# city_names and brand_names are the names look-alike hosts are held
# against: the city's own, and the well-known companies and institutions
# of config.links.brands.
city_names := allow_hosts | allow_domains

brand_names := {b | some b in config.links.brands}

# imitates holds when link l looks like one of names without being it or
# a host under it: its skeleton (Cyrillic а read as a, 0 as o, rn as m) is
# a name or under one. Names are compared as written, so a name with 0, 1,
# rn or vv in it is protected only against other look-alikes. Looked up by
# the skeleton's own names, which are few, rather than by every name.
imitates(l, names) if {
	some name in names_of(l.skeleton)
	name in names
	not under(l.host, name)
}

# names_of(host) is host and every name it is under: a.b.c, b.c and c.
names_of(host) := {concat(".", array.slice(labels, i, count(labels))) |
	labels := split(host, ".")
	some i, _ in labels
}

# link_share_at_most is the share of link text above which a message is
# "mostly a link" in this space.
link_share_at_most := object.get(config.links.mostly_link.spaces, space_type, config.links.mostly_link.default)
