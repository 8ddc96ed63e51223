package shadow

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"github.com/haechi-tns/haechi/engine"
)

// Dimensions a Tally counts each side by: how many decisions had each
// action, named each category, fired each rule, and restricted content in
// each space type.
const (
	DimAction   = "action"
	DimCategory = "category"
	DimRule     = "rule"
	DimSpace    = "space"
)

// Dims lists the dimensions in the order reports show them.
var Dims = []string{DimAction, DimCategory, DimRule, DimSpace}

// Tally counts compared verdicts the way shadow status and replay diffs
// show them: per dimension, before (live) and after (candidate); the
// changes of action; the decisions that differ by space type; and, up to
// a bound, examples of differing decisions. A Tally is not safe for
// concurrent use.
type Tally struct {
	Compared  int64
	Differing int64
	counts    map[countKey]int64
	Examples  []engine.ShadowSample
	// MaxExamples bounds Examples; the first ones are kept.
	MaxExamples int
}

type countKey struct{ dim, key string }

// NewTally returns an empty tally keeping at most maxExamples examples.
func NewTally(maxExamples int) *Tally {
	return &Tally{counts: map[countKey]int64{}, MaxExamples: maxExamples}
}

// Add counts one compared decision, and keeps it as an example if it
// differs and there is room.
func (t *Tally) Add(s engine.ShadowSample) {
	t.Compared++
	t.side(&liveDims, s.SpaceType, s.Live)
	t.side(&candidateDims, s.SpaceType, s.Candidate)
	t.counts[countKey{"transition", transitionKey(s.Live.Action, s.Candidate.Action)}]++
	if s.Live.Same(s.Candidate) {
		return
	}
	t.Differing++
	t.counts[countKey{"differing.space", string(s.SpaceType)}]++
	if len(t.Examples) < t.MaxExamples {
		t.Examples = append(t.Examples, s)
	}
}

// sideDims are the count dimensions of one side, spelled once: the
// shadow adds a tally entry for every live decision.
type sideDims struct{ action, category, rule, space string }

var (
	liveDims      = sideDims{"live." + DimAction, "live." + DimCategory, "live." + DimRule, "live." + DimSpace}
	candidateDims = sideDims{"candidate." + DimAction, "candidate." + DimCategory, "candidate." + DimRule, "candidate." + DimSpace}
)

// transitionKeys are the keys of every change of action, made once.
var transitionKeys = func() map[[2]engine.Action]string {
	m := map[[2]engine.Action]string{}
	for _, a := range engine.Actions {
		for _, b := range engine.Actions {
			m[[2]engine.Action{a, b}] = string(a) + ">" + string(b)
		}
	}
	return m
}()

func transitionKey(live, cand engine.Action) string {
	if k, ok := transitionKeys[[2]engine.Action{live, cand}]; ok {
		return k
	}
	return string(live) + ">" + string(cand)
}

func (t *Tally) side(d *sideDims, space engine.SpaceType, v engine.ShadowVerdict) {
	t.counts[countKey{d.action, string(v.Action)}]++
	for _, c := range v.Categories {
		t.counts[countKey{d.category, string(c)}]++
	}
	for _, r := range v.RuleIDs {
		t.counts[countKey{d.rule, r}]++
	}
	if v.Action.Restricts() {
		t.counts[countKey{d.space, string(space)}]++
	}
}

// AddFailure counts a decision the candidate could not judge, by reason
// ("error", "timeout", "panic", "skipped").
func (t *Tally) AddFailure(reason string) { t.counts[countKey{"failure", reason}]++ }

// Failures returns the failures by reason.
func (t *Tally) Failures() map[string]int64 {
	out := map[string]int64{}
	for k, n := range t.counts {
		if k.dim == "failure" {
			out[k.key] = n
		}
	}
	return out
}

// Counts returns every count, Compared and Differing included, in a
// stable order: what the store keeps of a tally.
func (t *Tally) Counts() []engine.ShadowCount {
	out := make([]engine.ShadowCount, 0, len(t.counts)+2)
	if t.Compared > 0 {
		out = append(out, engine.ShadowCount{Dim: "compared", N: t.Compared})
	}
	if t.Differing > 0 {
		out = append(out, engine.ShadowCount{Dim: "differing", N: t.Differing})
	}
	for _, k := range slices.SortedFunc(maps.Keys(t.counts), func(a, b countKey) int {
		return cmp.Or(strings.Compare(a.dim, b.dim), strings.Compare(a.key, b.key))
	}) {
		out = append(out, engine.ShadowCount{Dim: k.dim, Key: k.key, N: t.counts[k]})
	}
	return out
}

// Merge adds counts (as Counts returns them) to t.
func (t *Tally) Merge(counts []engine.ShadowCount) {
	for _, c := range counts {
		switch c.Dim {
		case "compared":
			t.Compared += c.N
		case "differing":
			t.Differing += c.N
		default:
			t.counts[countKey{c.Dim, c.Key}] += c.N
		}
	}
}

// Row is one line of a dimension's table: how many decisions counted Key
// before (live) and after (candidate).
type Row struct {
	Key       string `json:"key"`
	Live      int64  `json:"live"`
	Candidate int64  `json:"candidate"`
}

// Change is Candidate - Live.
func (r Row) Change() int64 { return r.Candidate - r.Live }

// Rows returns a dimension's table, the largest changes first, then by
// key.
func (t *Tally) Rows(dim string) []Row {
	byKey := map[string]*Row{}
	for k, n := range t.counts {
		var live bool
		switch k.dim {
		case "live." + dim:
			live = true
		case "candidate." + dim:
		default:
			continue
		}
		r := byKey[k.key]
		if r == nil {
			r = &Row{Key: k.key}
			byKey[k.key] = r
		}
		if live {
			r.Live = n
		} else {
			r.Candidate = n
		}
	}
	out := make([]Row, 0, len(byKey))
	for _, r := range byKey {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b Row) int {
		return cmp.Or(cmp.Compare(abs(b.Change()), abs(a.Change())), strings.Compare(a.Key, b.Key))
	})
	return out
}

// Transition is a change of action and how many decisions made it.
type Transition struct {
	Live      engine.Action `json:"live"`
	Candidate engine.Action `json:"candidate"`
	N         int64         `json:"n"`
}

// Transitions returns the decisions whose action changed, by change, the
// most frequent first.
func (t *Tally) Transitions() []Transition {
	var out []Transition
	for k, n := range t.counts {
		if k.dim != "transition" {
			continue
		}
		live, cand, _ := strings.Cut(k.key, ">")
		if live != cand {
			out = append(out, Transition{engine.Action(live), engine.Action(cand), n})
		}
	}
	slices.SortFunc(out, func(a, b Transition) int {
		return cmp.Or(cmp.Compare(b.N, a.N), strings.Compare(string(a.Live+a.Candidate), string(b.Live+b.Candidate)))
	})
	return out
}

// DifferingBySpace returns how many decisions differed in each space type.
func (t *Tally) DifferingBySpace() []Row {
	var out []Row
	for k, n := range t.counts {
		if k.dim == "differing.space" {
			out = append(out, Row{Key: k.key, Candidate: n})
		}
	}
	slices.SortFunc(out, func(a, b Row) int {
		return cmp.Or(cmp.Compare(b.Candidate, a.Candidate), strings.Compare(a.Key, b.Key))
	})
	return out
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// Verdict is what a decision shows of itself for comparison.
func Verdict(d *engine.Decision) engine.ShadowVerdict {
	return engine.ShadowVerdict{
		Revision: d.PolicyRevision, Action: d.Action,
		Categories: slices.Clone(d.Categories), RuleIDs: slices.Clone(d.RuleIDs), Evidence: maps.Clone(d.Evidence),
	}
}

// ResultVerdict is what a policy result shows of itself for comparison;
// it shares r's slices and map, so r must not change afterwards.
func ResultVerdict(r *engine.PolicyResult) engine.ShadowVerdict {
	return engine.ShadowVerdict{Revision: r.Revision, Action: r.Action, Categories: r.Categories, RuleIDs: r.RuleIDs, Evidence: r.Evidence}
}
