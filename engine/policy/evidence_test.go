package policy

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/haechi-tns/haechi/engine"
)

func TestScaleProbability(t *testing.T) {
	tests := []struct{ p, t, want float64 }{
		{0, 0.4, 0},
		{0.2, 0.4, 0.25},
		{0.4, 0.4, 0.5},
		{0.7, 0.4, 0.75},
		{1, 0.4, 1},
		{0.1, 0.1, 0.5},
		{-1, 0.5, 0},
		{2, 0.5, 1},
	}
	for _, tt := range tests {
		if got := ScaleProbability(tt.p, tt.t); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("ScaleProbability(%v, %v) = %v, want %v", tt.p, tt.t, got, tt.want)
		}
	}
}

func TestEvidence(t *testing.T) {
	mt := modelThresholds{"text": {
		"insult":    {"ko": 0.6, "en": 0.8, "all": 0.7},
		"self_harm": {"all": 0.4},
	}}
	sig := &engine.Signals{
		Scores: engine.Scores{engine.Profanity: 0.9, engine.Insult: 0.2},
		Models: map[string]engine.Scores{"text": {engine.Insult: 0.6, engine.SelfHarm: 0.2, engine.Threat: 0.5}},
	}
	tests := []struct {
		lang string
		want engine.Scores
	}{
		{"ko", engine.Scores{engine.Profanity: 0.9, engine.Insult: 0.5, engine.SelfHarm: 0.25, engine.Threat: 0.5}},
		{"en", engine.Scores{engine.Profanity: 0.9, engine.Insult: 0.375, engine.SelfHarm: 0.25, engine.Threat: 0.5}},
		{"", engine.Scores{engine.Profanity: 0.9, engine.Insult: 0.5 * 0.6 / 0.7, engine.SelfHarm: 0.25, engine.Threat: 0.5}},
	}
	for _, tt := range tests {
		sig.Lang = tt.lang
		got := mt.evidence(sig)
		for c, w := range tt.want {
			if math.Abs(got[c]-w) > 1e-12 {
				t.Errorf("lang %q: evidence[%s] = %v, want %v", tt.lang, c, got[c], w)
			}
		}
	}
}

func TestReadModelThresholds(t *testing.T) {
	mt, err := readModelThresholds(loadRepoPolicies(t).Data)
	if err != nil {
		t.Fatal(err)
	}
	if th := mt["text"]["toxic"]; th["ko"] == 0 || th["en"] == 0 || th["all"] == 0 {
		t.Errorf("repository policies lack text model thresholds: %v", th)
	}
	for _, bad := range []any{1.5, "x", 0} {
		_, err := readModelThresholds(map[string]any{"models": map[string]any{"text": map[string]any{"thresholds": map[string]any{"toxic": map[string]any{"ko": bad}}}}})
		if err == nil {
			t.Errorf("threshold %v accepted", bad)
		}
	}
}

// TestModelEvidenceInDecisions runs the repository policy on model
// probabilities: the insult probability at the Korean threshold redacts.
func TestModelEvidenceInDecisions(t *testing.T) {
	ctx := context.Background()
	e, err := New(ctx, loadRepoPolicies(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	thr := e.cur.Load().models.threshold("text", "insult", "ko")
	in := chatInput(engine.SpacePlaza, engine.Scores{})
	in.Signals.Lang = "ko"
	for _, tc := range []struct {
		p    float64
		want engine.Action
	}{{thr - 0.01, engine.ActionAllow}, {thr, engine.ActionRedact}, {0.999, engine.ActionBlock}} {
		in.Signals.Models = map[string]engine.Scores{"text": {engine.Insult: tc.p}}
		res, err := e.Evaluate(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if res.Action != tc.want {
			t.Errorf("insult probability %.3f (threshold %.3f): %s, want %s", tc.p, thr, res.Action, tc.want)
		}
	}
}

// TestReachedAgreesWithPolicy holds the engine's Go computation of the
// levels reached to the policy's own definition (lib.computed_reached) on
// random evidence, spaces and strike counts, including scores exactly at
// thresholds.
func TestReachedAgreesWithPolicy(t *testing.T) {
	ctx := context.Background()
	b := loadRepoPolicies(t)
	opts := []func(*rego.Rego){
		rego.Query("data.haechi.lib.computed_reached"),
		rego.Store(inmem.NewFromObject(b.Data)),
		rego.SetRegoVersion(ast.RegoV1),
	}
	for _, m := range b.Modules {
		opts = append(opts, rego.ParsedModule(m.Copy()))
	}
	pq, err := rego.New(opts...).PrepareForEval(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, err := prepare(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	lv := p.levels
	if p.floor <= 0 || p.floor > 0.5 || lv.graded(engine.Toxic) || !lv.graded(engine.Insult) {
		t.Fatalf("floor %v, graded toxic %v, graded insult %v", p.floor, lv.graded(engine.Toxic), lv.graded(engine.Insult))
	}
	// Scores drawn from the thresholds themselves, their scaled values and
	// random numbers, so boundaries are hit.
	var marks []float64
	for _, lvls := range lv.def {
		for _, th := range lvls {
			marks = append(marks, th, th*lv.factor, th-0.001)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	cats := []engine.Category{engine.Insult, engine.Profanity, engine.Hate, engine.Harassment, engine.Sexual,
		engine.SexualMinors, engine.Threat, engine.SelfHarm, engine.Scam, engine.Spam, engine.Impersonation, engine.Toxic,
		engine.Nudity, engine.Suggestive}
	for i := range 400 {
		evidence := engine.Scores{}
		for _, c := range cats {
			switch rng.IntN(3) {
			case 0:
				evidence[c] = marks[rng.IntN(len(marks))]
			case 1:
				evidence[c] = rng.Float64()
			}
		}
		space := engine.SpaceTypes[rng.IntN(len(engine.SpaceTypes))]
		strikes := rng.IntN(5)
		in := chatInput(space, evidence)
		in.User.Strikes = strikes
		val := inputValue(in, evidence, nil)
		rs, err := pq.Eval(ctx, rego.EvalParsedInput(val))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]map[string]bool{}
		if len(rs) == 1 {
			for c, lv := range rs[0].Expressions[0].Value.(map[string]any) {
				want[c] = map[string]bool{}
				for l := range lv.(map[string]any) {
					want[c][l] = true
				}
			}
		}
		got := map[string]map[string]bool{}
		// Through the candidate filter, as the engine does: it must never
		// drop a score that reaches a level.
		for c, ls := range lv.reached(p.candidates(evidence), space, strikes) {
			got[string(c)] = map[string]bool{}
			for _, l := range ls {
				got[string(c)][l] = true
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("case %d (space %s, strikes %d, evidence %v): Go reached %v, policy %v", i, space, strikes, evidence, got, want)
		}
	}
}
