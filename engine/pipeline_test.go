package engine

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

type fakeText struct {
	res TextResult
	err error
}

func (f fakeText) Name() string    { return "fake" }
func (f fakeText) Version() string { return "1" }
func (f fakeText) ClassifyText(context.Context, TextInput) (TextResult, error) {
	return f.res, f.err
}

// policyFunc adapts a function to Policy.
type policyFunc func(*PolicyInput) (*PolicyResult, error)

func (p policyFunc) Evaluate(_ context.Context, in *PolicyInput) (*PolicyResult, error) { return p(in) }

func chat(text string) *Event {
	return &Event{
		ID: "e1", Kind: KindChat, World: "w", Space: Space{ID: "s", Type: SpacePlaza},
		Sender: Party{ID: "u", Role: RoleCitizen}, SentAt: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC),
		Chat: &ChatMessage{Text: text},
	}
}

func TestDecide(t *testing.T) {
	text := fakeText{res: TextResult{
		Sources: map[string]Scores{"lexicon": {Profanity: 0.9}, "model": {Profanity: 0.4, Insult: 0.7}},
		PII:     []PIISpan{{Type: PIIPhone, Start: 7, End: 20, Score: 0.95}},
		Terms:   []TermMatch{{Category: Profanity, Term: "씨발", Weight: 0.9, Start: 0, End: 2}},
	}}
	var seen *PolicyInput
	pol := policyFunc(func(in *PolicyInput) (*PolicyResult, error) {
		seen = in
		return &PolicyResult{
			Action: ActionRedact, RuleIDs: []string{"r1"}, Categories: []Category{Profanity}, Principle: "inclusiveness",
			Redact: Redaction{PII: []PIIType{PIIPhone}, Categories: []Category{Profanity}}, Revision: "rev1",
		}, nil
	})
	p := NewPipeline(pol, WithTextClassifiers(text), WithIDs(func() string { return "d1" }),
		WithClock(func() time.Time { return time.Date(2026, 11, 22, 9, 0, 1, 0, time.UTC) }))
	d, err := p.Decide(context.Background(), chat("씨발 번호는 010-1234-5678 이야"))
	if err != nil {
		t.Fatal(err)
	}
	if got := seen.Signals.Scores; got[Profanity] != 0.9 || got[Insult] != 0.7 || got[Toxic] != 0.9 {
		t.Errorf("combined scores = %v, want the maximum per category and toxic 0.9", got)
	}
	if seen.Signals.Sources["model"][Profanity] != 0.4 {
		t.Errorf("sources lost: %v", seen.Signals.Sources)
	}
	if seen.Event.TextLength != 23 || seen.Event.Space.Type != SpacePlaza {
		t.Errorf("policy event = %+v", seen.Event)
	}
	if d.RedactedText != "** 번호는 ************* 이야" {
		t.Errorf("redacted = %q", d.RedactedText)
	}
	if d.ID != "d1" || d.EventID != "e1" || d.PolicyRevision != "rev1" || d.ModelVersions["fake"] != "1" || d.DecidedAt.Second() != 1 {
		t.Errorf("decision = %+v", d)
	}
	if len(d.Terms) != 1 || d.Terms[0].Start != 0 {
		t.Errorf("terms = %+v", d.Terms)
	}
}

// TestDecisionKeepsLinkDomains: the policy sees the links, and a decision
// keeps their registrable domains and offsets only when it restricts the
// content; the host and the rest of the link are never kept.
func TestDecisionKeepsLinkDomains(t *testing.T) {
	link := Link{Host: "promo.free-gift.example", Domain: "free-gift.example", Obfuscated: true, Start: 3, End: 30}
	text := fakeText{res: TextResult{Links: []Link{link}, LinkShare: 0.9}}
	for _, action := range []Action{ActionAllow, ActionHold} {
		t.Run(string(action), func(t *testing.T) {
			var seen *PolicyInput
			pol := policyFunc(func(in *PolicyInput) (*PolicyResult, error) {
				seen = in
				res := &PolicyResult{Action: action, Revision: "rev1"}
				if action != ActionAllow {
					res.RuleIDs, res.Principle = []string{"prosperity.link.mostly_link"}, "fairness"
				}
				return res, nil
			})
			d, err := NewPipeline(pol, WithTextClassifiers(text)).Decide(context.Background(), chat("보세요 hxxp://promo.free-gift[.]example"))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(seen.Signals.Links, []Link{link}) || seen.Signals.LinkShare != 0.9 {
				t.Errorf("policy saw links %+v share %v", seen.Signals.Links, seen.Signals.LinkShare)
			}
			want := []LinkSpan{{Domain: "free-gift.example", Start: 3, End: 30}}
			if action == ActionAllow {
				want = nil
			}
			if !slices.Equal(d.Links, want) {
				t.Errorf("decision links %+v, want %+v", d.Links, want)
			}
		})
	}
}

func TestDecideNeverAllowsOnFailure(t *testing.T) {
	allow := policyFunc(func(*PolicyInput) (*PolicyResult, error) {
		return &PolicyResult{Action: ActionAllow, Revision: "r"}, nil
	})
	tests := []struct {
		name string
		p    *Pipeline
		ev   *Event
		want string
	}{
		{"classifier fails", NewPipeline(allow, WithTextClassifiers(fakeText{err: errors.New("boom")})), chat("hi"), "classify text"},
		{"no classifier", NewPipeline(allow), chat("hi"), "no text classifier"},
		{"policy fails", NewPipeline(policyFunc(func(*PolicyInput) (*PolicyResult, error) { return nil, errors.New("eval") }),
			WithTextClassifiers(fakeText{})), chat("hi"), "policy"},
		{"unknown action", NewPipeline(policyFunc(func(*PolicyInput) (*PolicyResult, error) {
			return &PolicyResult{Action: "shrug", Revision: "r"}, nil
		}), WithTextClassifiers(fakeText{})), chat("hi"), "unknown action"},
		{"block without rule", NewPipeline(policyFunc(func(*PolicyInput) (*PolicyResult, error) {
			return &PolicyResult{Action: ActionBlock, Revision: "r"}, nil
		}), WithTextClassifiers(fakeText{})), chat("hi"), "without a rule id"},
		{"block on no principle", NewPipeline(policyFunc(func(*PolicyInput) (*PolicyResult, error) {
			return &PolicyResult{Action: ActionBlock, RuleIDs: []string{"r"}, Principle: "kindness", Revision: "r"}, nil
		}), WithTextClassifiers(fakeText{})), chat("hi"), "not a principle"},
		{"unknown value", NewPipeline(policyFunc(func(*PolicyInput) (*PolicyResult, error) {
			return &PolicyResult{Action: ActionBlock, RuleIDs: []string{"r"}, Principle: "fairness", Value: "speed", Revision: "r"}, nil
		}), WithTextClassifiers(fakeText{})), chat("hi"), "not a value"},
		{"invalid event", NewPipeline(allow, WithTextClassifiers(fakeText{})), &Event{ID: "x"}, "invalid event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := tt.p.Decide(context.Background(), tt.ev)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Decide = %+v, %v; want an error containing %q", d, err, tt.want)
			}
		})
	}
}

func TestActionRank(t *testing.T) {
	order := []Action{ActionAllow, ActionRedact, ActionHold, ActionBlock, ActionEscalate}
	for i := 1; i < len(order); i++ {
		if order[i].Rank() <= order[i-1].Rank() {
			t.Errorf("%s should outrank %s", order[i], order[i-1])
		}
	}
	if Action("nope").Rank() != -1 || ActionAllow.Restricts() || !ActionRedact.Restricts() {
		t.Error("rank or restricts wrong")
	}
}

// failingImages fails every image with a validation error, as a corrupt
// upload does.
type failingImages struct{}

func (failingImages) Name() string    { return "img" }
func (failingImages) Version() string { return "1" }
func (failingImages) ClassifyImage(context.Context, ImageInput) (ImageResult, error) {
	return ImageResult{}, &ValidationError{Fields: []FieldError{{Field: "image.data", Problem: "truncated"}}}
}

func TestDecideBatchMatchesDecideAndIsolatesFailures(t *testing.T) {
	text := fakeText{res: TextResult{Sources: map[string]Scores{"lexicon": {Insult: 0.8}}}}
	pol := policyFunc(func(in *PolicyInput) (*PolicyResult, error) {
		if in.Signals.Scores[Insult] > 0.5 && in.Event.Kind == KindChat {
			return &PolicyResult{Action: ActionBlock, RuleIDs: []string{"insult"}, Categories: []Category{Insult}, Principle: "inclusiveness", Revision: "r"}, nil
		}
		return &PolicyResult{Action: ActionAllow, Revision: "r"}, nil
	})
	p := NewPipeline(pol, WithTextClassifiers(text), WithImageClassifiers(failingImages{}))
	a, b := chat("you idiot"), chat("hello")
	b.ID = "e2"
	img := chat("")
	img.ID, img.Kind, img.Chat = "e3", KindImage, nil
	img.Image = &ImageUpload{ContentType: "image/png", Data: []byte{1, 2, 3}}
	ds, errs := p.DecideBatch(context.Background(), []*Event{a, img, b})
	if len(ds) != 3 || len(errs) != 3 {
		t.Fatalf("%d decisions and %d errors for 3 events", len(ds), len(errs))
	}
	if errs[0] != nil || errs[2] != nil {
		t.Fatalf("good events failed: %v, %v", errs[0], errs[2])
	}
	if !IsValidationError(errs[1]) || ds[1] != nil {
		t.Errorf("corrupt image: decision %v, error %v; want no decision and a validation error", ds[1], errs[1])
	}
	for i, ev := range []*Event{a, b} {
		want, err := p.Decide(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		got := ds[i*2]
		if got.EventID != ev.ID || got.Action != want.Action || !slices.Equal(got.RuleIDs, want.RuleIDs) {
			t.Errorf("%s: batch decided %s %v, Decide %s %v", ev.ID, got.Action, got.RuleIDs, want.Action, want.RuleIDs)
		}
	}
	// A classifier failure fails every event of the batch, and none is allowed.
	broken := NewPipeline(pol, WithTextClassifiers(fakeText{err: errors.New("model down")}))
	ds, errs = broken.DecideBatch(context.Background(), []*Event{a, b})
	for i := range ds {
		if ds[i] != nil || errs[i] == nil {
			t.Errorf("event %d with a failed classifier: decision %v, error %v", i, ds[i], errs[i])
		}
	}
}

func TestDecideRefusesNaNScores(t *testing.T) {
	text := fakeText{res: TextResult{Sources: map[string]Scores{"model": {Insult: math.NaN()}}}}
	allow := policyFunc(func(*PolicyInput) (*PolicyResult, error) {
		return &PolicyResult{Action: ActionAllow, Revision: "r"}, nil
	})
	p := NewPipeline(allow, WithTextClassifiers(text))
	if d, err := p.Decide(context.Background(), chat("hi")); err == nil {
		t.Errorf("a NaN score was decided: %v", d.Action)
	}
}
