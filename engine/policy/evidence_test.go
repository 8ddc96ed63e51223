package policy

import (
	"context"
	"math"
	"testing"

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
