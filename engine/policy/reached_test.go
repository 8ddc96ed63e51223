package policy

import (
	"context"
	"encoding/json"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/internal/racetest"
	"github.com/haechi-tns/haechi/policies"
)

// TestReachedAgreesWithPolicy runs the load-time check on the repository
// bundle: the engine's levels agree with lib.computed_reached on every
// case, and the cases reach every space type, both sides of the
// repeat-offender minimum and every threshold, plain and scaled.
func TestReachedAgreesWithPolicy(t *testing.T) {
	p, err := prepare(context.Background(), loadRepoPolicies(t))
	if err != nil {
		t.Fatal(err)
	}
	lv := p.levels
	if p.floor <= 0 || p.floor > 0.5 || lv.graded(engine.Toxic) || !lv.graded(engine.Insult) {
		t.Fatalf("floor %v, graded toxic %v, graded insult %v", p.floor, lv.graded(engine.Toxic), lv.graded(engine.Insult))
	}
	cases := lv.reachedCases()
	if p.reachedChecks != len(cases) {
		t.Fatalf("checked %d cases of %d", p.reachedChecks, len(cases))
	}
	if max := len(engine.SpaceTypes) * (2*maxBoundaryRounds + randomRoundsPerSpace); len(cases) > max {
		t.Errorf("%d cases, more than the bound %d", len(cases), max)
	}
	spaces := map[engine.SpaceType]bool{}
	strikes := map[int]bool{}
	tried := map[engine.SpaceType]map[engine.Category][]float64{}
	for _, c := range cases {
		spaces[c.space] = true
		strikes[c.strikes] = true
		if tried[c.space] == nil {
			tried[c.space] = map[engine.Category][]float64{}
		}
		for cat, s := range c.evidence {
			tried[c.space][cat] = append(tried[c.space][cat], s)
		}
	}
	if len(spaces) != len(engine.SpaceTypes) || !strikes[lv.minStrikes-1] || !strikes[lv.minStrikes] {
		t.Errorf("cases cover spaces %v and strikes %v", spaces, strikes)
	}
	// Every threshold in force for a category in a space is tried, plain
	// and scaled, in that space or one where the category's thresholds are
	// the same.
	inForce := func(space engine.SpaceType, cat string) map[string]float64 {
		th := map[string]float64{}
		maps.Copy(th, lv.def[cat])
		maps.Copy(th, lv.spaces[string(space)][cat])
		return th
	}
	cats := maps.Clone(lv.def)
	for _, over := range lv.spaces {
		maps.Copy(cats, over)
	}
	for _, space := range engine.SpaceTypes {
		for cat := range cats {
			for level, th := range inForce(space, cat) {
				for _, s := range []float64{th, th * lv.factor} {
					found := false
					for _, other := range engine.SpaceTypes {
						found = found || (maps.Equal(inForce(other, cat), inForce(space, cat)) &&
							slices.Contains(tried[other][engine.Category(cat)], s))
					}
					if !found {
						t.Errorf("%s %s %s: score %v never tried", space, cat, level, s)
					}
				}
			}
		}
	}
}

// libWith returns the repository's lib.rego with each old replaced by new.
func libWith(t *testing.T, oldNew ...string) string {
	t.Helper()
	src, err := fs.ReadFile(policies.FS, "lib.rego")
	if err != nil {
		t.Fatal(err)
	}
	lib := string(src)
	for i := 0; i < len(oldNew); i += 2 {
		if !strings.Contains(lib, oldNew[i]) {
			t.Fatalf("lib.rego no longer contains %q", oldNew[i])
		}
		lib = strings.ReplaceAll(lib, oldNew[i], oldNew[i+1])
	}
	return lib
}

// disagreement is how checkReached names the first case it fails on.
var disagreement = regexp.MustCompile(`computed_reached disagree on the levels reached: (\w+) scored ([0-9.e-]+) in a (\w+) space by a sender with (\d+) strikes reaches \[[\w ]*\] for the engine, \[[\w ]*\] for the policy`)

// TestReachedCheckRefuses edits the policy's definition of the levels
// reached in ways the bundle's own Rego tests do not notice, while the
// engine would go on serving its own: each bundle is refused by New and by
// Load, which keeps the previous revision serving.
func TestReachedCheckRefuses(t *testing.T) {
	racetest.Heavy(t)
	ctx := context.Background()
	e := repoEngine(t)
	good := e.Revision()
	tests := []struct {
		name    string
		lib     string
		wantErr *regexp.Regexp // matched against the error
	}{
		{"wider tolerance", libWith(t, "tolerance := 0.000001", "tolerance := 0.001"), disagreement},
		{"narrower tolerance", libWith(t, "tolerance := 0.000001", "tolerance := 0.0000001"), disagreement},
		{
			"escalation thresholds not scaled for repeat offenders",
			libWith(t, "else := t * strictness", "else := t if t >= 0.95\n\nelse := t * strictness"),
			regexp.MustCompile(`threat scored [0-9.]+ in a \w+ space by a sender with 3 strikes reaches \[block escalate hold\] for the engine, \[block hold\] for the policy`),
		},
		{
			"no computed_reached but reads signals.reached",
			libWith(t, "computed_reached", "levels_reached"),
			regexp.MustCompile(`reads input.signals.reached.*defines no data.haechi.lib.computed_reached`),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := LoadFS(bundleWith(t, map[string]string{"lib.rego": tt.lib}))
			if err != nil {
				t.Fatal(err)
			}
			// Without the check nothing would refuse it.
			if err := b.TestsPass(ctx); err != nil {
				t.Fatalf("the edited bundle fails its own tests: %v", err)
			}
			if _, err := New(ctx, b, nil); err == nil || !tt.wantErr.MatchString(err.Error()) {
				t.Errorf("New error = %v, want a match for %q", err, tt.wantErr)
			}
			err = e.Load(ctx, b)
			if err == nil || !tt.wantErr.MatchString(err.Error()) {
				t.Errorf("Load error = %v, want a match for %q", err, tt.wantErr)
			}
			if e.Revision() != good {
				t.Errorf("revision changed to %s after a refused load", e.Revision())
			}
			if res, err := e.Evaluate(ctx, chatInput(engine.SpacePlaza, engine.Scores{engine.Profanity: 0.9})); err != nil || res.Action != engine.ActionRedact {
				t.Errorf("previous revision stopped serving: %v %v", res, err)
			}
		})
	}
	t.Run("score at a threshold no longer reaches it", func(t *testing.T) {
		// The bundle's own tests catch this one too; the check names the
		// first case it sees, before the tests run.
		b, err := LoadFS(bundleWith(t, map[string]string{"lib.rego": libWith(t, "reaches(s, t) if s >= t", "reaches(s, t) if s > t")}))
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Load(ctx, b); err == nil || !disagreement.MatchString(err.Error()) {
			t.Errorf("Load error = %v, want a disagreement", err)
		}
	})
}

// TestReachedNotReadIsNotChecked: a bundle whose lib.reached is its own
// computed_reached, never input.signals.reached, decides on its own
// definition, so it is served unchecked even where that differs from the
// engine's.
func TestReachedNotReadIsNotChecked(t *testing.T) {
	racetest.Heavy(t)
	ctx := context.Background()
	lib := libWith(t,
		"reached := input.signals.reached\n\nreached := computed_reached if not input.signals.reached", "reached := computed_reached",
		"tolerance := 0.000001", "tolerance := 0.001")
	b, err := LoadFS(bundleWith(t, map[string]string{"lib.rego": lib}))
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(ctx, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := e.cur.Load().reachedChecks; n != 0 {
		t.Errorf("%d cases checked", n)
	}
	repo := repoEngine(t)
	// Insult block is 0.9, 0.72 for a repeat offender: 0.7195 is within
	// the edited tolerance only.
	in := chatInput(engine.SpacePlaza, engine.Scores{engine.Insult: 0.7195})
	in.User.Strikes = 3
	for _, tc := range []struct {
		e    *Engine
		want engine.Action
	}{{repo, engine.ActionRedact}, {e, engine.ActionBlock}} {
		res, err := tc.e.Evaluate(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if res.Action != tc.want {
			t.Errorf("revision %s: %s, want %s", tc.e.Revision(), res.Action, tc.want)
		}
	}
}

// TestReachedFollowsData: thresholds changed in data.json change both
// definitions alike, so the bundle is accepted and decides on them.
func TestReachedFollowsData(t *testing.T) {
	racetest.Heavy(t)
	ctx := context.Background()
	src, err := fs.ReadFile(policies.FS, "data.json")
	if err != nil {
		t.Fatal(err)
	}
	var data map[string]any
	if err := json.Unmarshal(src, &data); err != nil {
		t.Fatal(err)
	}
	spaces := data["haechi"].(map[string]any)["config"].(map[string]any)["thresholds"].(map[string]any)["spaces"].(map[string]any)
	spaces["tourism"] = map[string]any{"spam": map[string]any{"hold": 0.55}, "profanity": map[string]any{"redact": 0.35}}
	changed, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadFS(bundleWith(t, map[string]string{"data.json": string(changed)}))
	if err != nil {
		t.Fatal(err)
	}
	e := repoEngine(t)
	if err := e.Load(ctx, b); err != nil {
		t.Fatal(err)
	}
	if e.Revision() != b.Revision || e.cur.Load().reachedChecks == 0 {
		t.Fatalf("serving %s after %d checks, want %s checked", e.Revision(), e.cur.Load().reachedChecks, b.Revision)
	}
	tests := []struct {
		space   engine.SpaceType
		scores  engine.Scores
		strikes int
		want    engine.Action
	}{
		{engine.SpaceTourism, engine.Scores{engine.Spam: 0.55}, 0, engine.ActionHold},
		{engine.SpacePlaza, engine.Scores{engine.Spam: 0.55}, 0, engine.ActionAllow},
		{engine.SpaceTourism, engine.Scores{engine.Profanity: 0.35}, 0, engine.ActionRedact},
		{engine.SpaceTourism, engine.Scores{engine.Profanity: 0.34}, 0, engine.ActionAllow},
		{engine.SpaceTourism, engine.Scores{engine.Profanity: 0.28}, 3, engine.ActionRedact}, // 0.35 × 0.8
		{engine.SpaceTourism, engine.Scores{engine.Profanity: 0.279}, 3, engine.ActionAllow},
	}
	for _, tt := range tests {
		in := chatInput(tt.space, tt.scores)
		in.User.Strikes = tt.strikes
		res, err := e.Evaluate(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if res.Action != tt.want {
			t.Errorf("%s %v, %d strikes: %s, want %s", tt.space, tt.scores, tt.strikes, res.Action, tt.want)
		}
	}
}

func TestReadsSignalsReached(t *testing.T) {
	tests := []struct {
		src  string
		want bool
	}{
		{"x := input.signals.reached", true},
		{"x := input.signals.reached.insult.block", true},
		{"x := input.signals", true},
		{"x := input", true},
		{"x := object.get(input, [\"signals\", \"reached\"], {})", true},
		{"x contains k if { some k; input.signals[k] }", true},
		{"import input.signals as s\nx := s.reached", true},
		{"x := input.signals.evidence", false},
		{"x := input.event.space.type", false},
		{"x := data.haechi.lib.reached", false},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			m, err := ast.ParseModuleWithOpts("m.rego", "package m\n"+tt.src+"\n", ast.ParserOptions{RegoVersion: ast.RegoV1})
			if err != nil {
				t.Fatal(err)
			}
			if got := readsSignalsReached(map[string]*ast.Module{"m.rego": m}); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDecodeReached(t *testing.T) {
	got, err := decodeReached(map[string]any{"insult": map[string]any{"redact": true, "block": true}, "hate": map[string]any{}})
	if err != nil || strings.Join(got["insult"], ",") != "block,redact" || len(got["hate"]) != 0 {
		t.Errorf("got %v, %v", got, err)
	}
	for _, bad := range []any{
		[]any{"insult"},
		map[string]any{"insult": []any{"redact"}},
		map[string]any{"insult": map[string]any{"redact": false}},
	} {
		if _, err := decodeReached(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
