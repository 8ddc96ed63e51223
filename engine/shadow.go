package engine

import (
	"slices"
	"time"
)

// DecisionObserver is told of each decision a Pipeline makes, with the
// policy input it was made from, on the deciding goroutine, before the
// decision is stored or published. It must return at once and must not
// change either argument: it may keep them and read them later, as shadow
// policies do (engine/shadow), which evaluate a candidate bundle on the
// same input without touching the decision.
type DecisionObserver interface {
	ObserveDecision(in *PolicyInput, d *Decision)
}

// ShadowVerdict is what one policy revision decided about an event, as
// shadow policies and replays compare it: no content, only the action,
// what it named and the evidence it weighed.
type ShadowVerdict struct {
	Revision   string     `json:"revision"`
	Action     Action     `json:"action"`
	Categories []Category `json:"categories"`
	RuleIDs    []string   `json:"rule_ids"`
	Evidence   Scores     `json:"evidence,omitempty"`
}

// Same reports whether two verdicts decided alike: the same action, the
// same categories and the same rules, in any order.
func (v ShadowVerdict) Same(o ShadowVerdict) bool {
	return v.Action == o.Action && sameSet(v.Categories, o.Categories) && sameSet(v.RuleIDs, o.RuleIDs)
}

func sameSet[T ~string](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// ShadowSample is one decision on which a candidate bundle disagreed with
// the live one: ids, the space type and both verdicts, never content.
type ShadowSample struct {
	At         time.Time     `json:"at"`
	DecisionID string        `json:"decision_id,omitempty"`
	EventID    string        `json:"event_id"`
	EventKind  Kind          `json:"event_kind"`
	SpaceType  SpaceType     `json:"space_type"`
	Live       ShadowVerdict `json:"live"`
	Candidate  ShadowVerdict `json:"candidate"`
}

// ShadowCount is one count of a shadow tally (engine/shadow.Tally.Counts):
// Dim names what is counted ("compared", "live.action", "candidate.rule",
// "transition" …) and Key which one.
type ShadowCount struct {
	Dim string `json:"dim"`
	Key string `json:"key"`
	N   int64  `json:"n"`
}
