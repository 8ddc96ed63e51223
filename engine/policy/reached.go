package policy

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"

	"github.com/haechi-tns/haechi/engine"
)

// The levels a score reaches are defined twice: by the policy
// (data.haechi.lib.computed_reached) and by the engine (levels.reached),
// which serves because OPA's arithmetic is too slow to compare every score
// with every level on every message. The engine sends its result as
// input.signals.reached. So that an edit to the policy's definition cannot
// silently change nothing, prepare holds the two to agree on the bundle's
// own data before the bundle may serve (checkReached).

// reachedQuery is the policy's definition of the levels reached.
const reachedQuery = "data.haechi.lib.computed_reached"

// Bounds on the cases checkReached evaluates; OPA takes about a
// millisecond per case, so together they bound what the check adds to a
// bundle load.
const (
	// maxBoundaryRounds caps the boundary cases per space type and strike
	// count; more than that, which takes more than eight levels for one
	// category in one space, are thinned evenly.
	maxBoundaryRounds = 64
	// randomRoundsPerSpace is the number of cases with seeded random
	// scores for every category, per space type.
	randomRoundsPerSpace = 2
)

// reachedCase is one input on which the two definitions are compared.
type reachedCase struct {
	space    engine.SpaceType
	strikes  int
	evidence engine.Scores
}

// checkReached compares the engine's levels with the policy's
// computed_reached on the cases levels.reachedCases builds from the
// bundle's data. compiler is the bundle's compiled policy and store its
// data, as prepared for serving. It returns the number of cases compared,
// or an error naming the first disagreement.
//
// A bundle that never reads input.signals.reached decides on its own
// definition, whatever it is, and is not checked (0 cases). A bundle that
// reads it must define data.haechi.lib.computed_reached: without it the
// engine's levels, which would decide, could not be checked.
func (p *prepared) checkReached(ctx context.Context, compiler *ast.Compiler, store storage.Store) (int, error) {
	if !readsSignalsReached(compiler.Modules) {
		return 0, nil
	}
	if len(compiler.GetRulesExact(ast.MustParseRef(reachedQuery))) == 0 {
		return 0, fmt.Errorf("the bundle reads input.signals.reached, the levels the engine computes, "+
			"but defines no %s to check them against: define it (see policies/lib.rego) or stop reading input.signals.reached", reachedQuery)
	}
	pq, err := prepareCheck(ctx, reachedQuery, compiler, store)
	if err != nil {
		return 0, err
	}
	cases := p.levels.reachedCases()
	for _, c := range cases {
		in := &engine.PolicyInput{
			Event: engine.PolicyEvent{
				ID: "reached-check", Kind: engine.KindChat,
				Space:  engine.Space{ID: "reached-check", Type: c.space},
				Sender: engine.Party{ID: "reached-check", Role: engine.RoleCitizen},
			},
			Signals: &engine.Signals{Scores: c.evidence, Analysed: []string{"text"}},
			User:    engine.UserContext{Strikes: c.strikes},
		}
		// signals.reached is sent empty: the policy must compute its own.
		rs, err := pq.Eval(ctx, rego.EvalParsedInput(inputValue(in, c.evidence, nil, nil, p.reads, false)))
		if err != nil {
			return 0, fmt.Errorf("evaluate %s: %w", reachedQuery, err)
		}
		var want map[string][]string // undefined: no levels, as for lib.reached
		if len(rs) == 1 && len(rs[0].Expressions) == 1 {
			if want, err = decodeReached(rs[0].Expressions[0].Value); err != nil {
				return 0, err
			}
		}
		got := map[string][]string{}
		for cat, lv := range p.levels.reached(p.candidates(c.evidence), c.space, c.strikes) {
			got[string(cat)] = slices.Sorted(slices.Values(lv))
		}
		cats := slices.Sorted(maps.Keys(got))
		for cat := range want {
			if _, ok := got[cat]; !ok {
				cats = append(cats, cat)
			}
		}
		slices.Sort(cats)
		for _, cat := range cats {
			if !slices.Equal(got[cat], want[cat]) {
				return 0, fmt.Errorf("the engine and %s disagree on the levels reached: %s scored %s in a %s space by a sender with %d strikes reaches %v for the engine, %v for the policy; "+
					"the engine's levels decide (input.signals.reached), so keep the policy's definition in step with engine/policy/evidence.go or stop reading input.signals.reached",
					reachedQuery, cat, strconv.FormatFloat(c.evidence[engine.Category(cat)], 'g', -1, 64), c.space, c.strikes, got[cat], want[cat])
			}
		}
	}
	return len(cases), nil
}

// prepareCheck prepares query over a bundle's compiled policy and data,
// for the checks a bundle passes before it may serve.
func prepareCheck(ctx context.Context, query string, compiler *ast.Compiler, store storage.Store) (rego.PreparedEvalQuery, error) {
	pq, err := rego.New(
		rego.Query(query),
		rego.Compiler(compiler),
		rego.Store(store),
		rego.SetRegoVersion(ast.RegoV1),
		rego.StrictBuiltinErrors(true),
	).PrepareForEval(ctx)
	if err != nil {
		return pq, fmt.Errorf("prepare %s: %w", query, err)
	}
	return pq, nil
}

// decodeReached reads computed_reached's {category: {level: true}} as
// sorted level names per category.
func decodeReached(v any) (map[string][]string, error) {
	obj, ok := v.(map[string]any)
	out := make(map[string][]string, len(obj))
	for cat, lv := range obj {
		lo, isObj := lv.(map[string]any)
		ok = ok && isObj
		for level, t := range lo {
			ok = ok && t == true
			out[cat] = append(out[cat], level)
		}
		slices.Sort(out[cat])
	}
	if !ok {
		return nil, fmt.Errorf("%s is %v, want {category: {level: true}}", reachedQuery, v)
	}
	return out, nil
}

// readsSignalsReached reports whether any of the modules may read
// input.signals.reached: by naming it, by taking input or input.signals
// whole, or through a variable key in place of "signals" or "reached".
// It errs on the side of yes.
func readsSignalsReached(modules map[string]*ast.Module) bool {
	want := []string{"signals", "reached"}
	found := false
	for _, m := range modules {
		ast.WalkRefs(m, func(r ast.Ref) bool {
			if found || !r.HasPrefix(ast.InputRootRef) {
				return found
			}
			found = true
			for i, k := range want {
				if 1+i >= len(r) {
					break
				}
				if s, ok := r[1+i].Value.(ast.String); ok && string(s) != k {
					found = false
					break
				}
			}
			return found
		})
		if found {
			return true
		}
	}
	return false
}

// reachedCases builds, deterministically from the data, the cases on
// which checkReached compares the two definitions.
//
// Boundary cases: for every category and space type, each threshold in
// force there (the space's own or the default) and that threshold scaled
// by the repeat-offender factor, each exactly, just under by half the
// tolerance (reached only with the tolerance), just under by twice the
// tolerance (not reached) and just over; for a sender just below and at
// the repeat-offender minimum of strikes. One case carries a score for
// every category at once. Space types where a category's thresholds are
// the same share that category's scores out among them rather than each
// repeating all of them.
//
// Random cases: randomRoundsPerSpace per space type, with a seeded random
// score for every category of the taxonomy and of the data, graded or
// not, and strike counts from none to above the minimum.
func (l *levels) reachedCases() []reachedCase {
	graded := map[string]bool{}
	for c := range l.def {
		graded[c] = true
	}
	for _, cats := range l.spaces {
		for c := range cats {
			graded[c] = true
		}
	}
	cats := slices.Sorted(maps.Keys(graded))
	strikes := []int{0}
	if l.minStrikes > 0 {
		strikes = []int{l.minStrikes - 1, l.minStrikes}
	}

	// scores[space][cat] are the boundary scores tried for cat in space.
	scores := map[engine.SpaceType]map[string][]float64{}
	for _, c := range cats {
		// Space types with the same thresholds for c, in SpaceTypes order.
		var keys []string
		groups := map[string][]engine.SpaceType{}
		thresholds := map[string]map[string]float64{}
		for _, space := range engine.SpaceTypes {
			th := map[string]float64{}
			maps.Copy(th, l.def[c])
			maps.Copy(th, l.spaces[string(space)][c])
			key := fmt.Sprint(th) // fmt prints maps sorted by key
			if _, ok := groups[key]; !ok {
				keys = append(keys, key)
				thresholds[key] = th
			}
			groups[key] = append(groups[key], space)
		}
		for _, key := range keys {
			group := groups[key]
			for i, base := range l.bases(thresholds[key]) {
				for k, d := range []float64{-2 * tolerance, -tolerance / 2, 0, tolerance / 2} {
					// Rotated so that each space of the group gets every
					// kind of boundary score.
					space := group[(i+k)%len(group)]
					if scores[space] == nil {
						scores[space] = map[string][]float64{}
					}
					scores[space][c] = append(scores[space][c], base+d)
				}
			}
		}
	}

	var out []reachedCase
	for _, space := range engine.SpaceTypes {
		rounds := 0
		for _, s := range scores[space] {
			rounds = max(rounds, len(s))
		}
		for r := range rounds {
			if rounds > maxBoundaryRounds && r*maxBoundaryRounds/rounds == (r+1)*maxBoundaryRounds/rounds {
				continue // thinned: keeps maxBoundaryRounds evenly spread rounds
			}
			ev := engine.Scores{}
			for c, s := range scores[space] {
				if r < len(s) {
					ev[engine.Category(c)] = s[r]
				}
			}
			for _, n := range strikes {
				out = append(out, reachedCase{space: space, strikes: n, evidence: ev})
			}
		}
	}

	all := slices.Clone(cats)
	for _, c := range append(slices.Clone(engine.TextCategories), engine.Toxic, engine.Nudity, engine.Suggestive, engine.HashMatchC) {
		if !graded[string(c)] {
			all = append(all, string(c))
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for k := range randomRoundsPerSpace * len(engine.SpaceTypes) {
		ev := engine.Scores{}
		for _, c := range all {
			ev[engine.Category(c)] = rng.Float64()
		}
		out = append(out, reachedCase{
			space:    engine.SpaceTypes[k%len(engine.SpaceTypes)],
			strikes:  k % (max(l.minStrikes, 0) + 2),
			evidence: ev,
		})
	}
	return out
}

// bases returns, sorted and without repeats, the thresholds th and th
// scaled by the repeat-offender factor.
func (l *levels) bases(th map[string]float64) []float64 {
	var out []float64
	for _, t := range th {
		out = append(out, t, t*l.factor)
	}
	slices.SortFunc(out, cmp.Compare)
	return slices.Compact(out)
}
