package policy

import (
	"context"
	"math"
	"slices"
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
	e := repoEngine(t)
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

// TestImageTextEvidence runs the repository policy on an image whose text
// the model scores: the image text's evidence is scaled with the model's
// threshold for the text's language, decides through the imagery.text
// rules, is returned apart from the caption's evidence and leaves
// signals.reached (the caption's levels) empty.
func TestImageTextEvidence(t *testing.T) {
	ctx := context.Background()
	e := repoEngine(t)
	thr := e.cur.Load().models.threshold("text", "threat", "ko")
	for _, tc := range []struct {
		name  string
		text  *engine.ImageText
		want  engine.Action
		rules []string
	}{
		{"below the threshold", &engine.ImageText{Lang: "ko", Words: 5, Models: map[string]engine.Scores{"text": {engine.Threat: thr - 0.01}}}, engine.ActionAllow, nil},
		{"at the threshold", &engine.ImageText{Lang: "ko", Words: 5, Models: map[string]engine.Scores{"text": {engine.Threat: thr}}}, engine.ActionHold, []string{"imagery.text.threat.hold"}},
		{"lexicon", &engine.ImageText{Lang: "ko", Words: 5, Scores: engine.Scores{engine.Scam: 0.95}}, engine.ActionBlock, []string{"imagery.text.scam.block", "imagery.text.scam.hold"}},
		{"PII", &engine.ImageText{Words: 5, PII: []engine.ImagePII{{Type: engine.PIIType("kr_rrn"), Score: 0.95, Boxes: []engine.Box{{X0: 1, Y0: 2, X1: 3, Y1: 4}}}}}, engine.ActionRedact, []string{"imagery.text.pii.redact"}},
		{"PII partly outside its boxes", &engine.ImageText{Words: 5, PII: []engine.ImagePII{{Type: engine.PIIType("kr_rrn"), Score: 0.95, Boxes: []engine.Box{{X0: 1, Y0: 2, X1: 3, Y1: 4}}, Partial: true}}}, engine.ActionHold, []string{"imagery.text.pii.unredactable"}},
		{"PII without boxes", &engine.ImageText{Words: 5, PII: []engine.ImagePII{{Type: engine.PIIType("kr_rrn"), Score: 0.95, Boxes: []engine.Box{}}}}, engine.ActionHold, []string{"imagery.text.pii.unredactable"}},
		{"PII, copy failed", &engine.ImageText{Words: 5, RedactionFailed: true, PII: []engine.ImagePII{{Type: engine.PIIType("kr_rrn"), Score: 0.95, Boxes: []engine.Box{{X0: 1, Y0: 2, X1: 3, Y1: 4}}}}}, engine.ActionHold, []string{"imagery.text.pii.unredactable"}},
		{"not read, plaza", &engine.ImageText{Error: "timeout"}, engine.ActionAllow, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := chatInput(engine.SpacePlaza, engine.Scores{})
			in.Event.Kind = engine.KindImage
			in.Signals.Analysed = []string{"image_hashes", "image"}
			if tc.text.Error == "" {
				in.Signals.Analysed = append(in.Signals.Analysed, engine.AnalysedImageText)
			}
			in.Signals.ImageText = tc.text
			res, err := e.Evaluate(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			if res.Action != tc.want || !slices.Equal(res.RuleIDs, tc.rules) && len(tc.rules) > 0 {
				t.Errorf("%s %v, want %s %v", res.Action, res.RuleIDs, tc.want, tc.rules)
			}
			if res.Evidence[engine.Threat] != 0 || res.Evidence[engine.Scam] != 0 {
				t.Errorf("image text leaked into the caption's evidence: %v", res.Evidence)
			}
			if tc.text.Error == "" && res.ImageTextEvidence == nil {
				t.Error("no image text evidence")
			}
			if tc.text.Error != "" && res.ImageTextEvidence != nil {
				t.Errorf("evidence of unread text: %v", res.ImageTextEvidence)
			}
		})
	}
	t.Run("not read, youth", func(t *testing.T) {
		in := chatInput(engine.SpaceYouth, engine.Scores{})
		in.Event.Kind = engine.KindImage
		in.Signals.Analysed = []string{"image_hashes", "image"}
		in.Signals.ImageText = &engine.ImageText{Error: "timeout"}
		res, err := e.Evaluate(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if res.Action != engine.ActionHold || !slices.Equal(res.RuleIDs, []string{"imagery.text.unanalysed"}) {
			t.Errorf("%s %v, want hold by imagery.text.unanalysed", res.Action, res.RuleIDs)
		}
	})
}
