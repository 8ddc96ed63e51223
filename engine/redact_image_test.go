package engine

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeImages reports an image whose text holds the given PII.
type fakeImages struct{ text *ImageText }

func (fakeImages) Name() string    { return "img" }
func (fakeImages) Version() string { return "1" }
func (f fakeImages) ClassifyImage(context.Context, ImageInput) (ImageResult, error) {
	t := *f.text
	t.PII = slices.Clone(t.PII)
	return ImageResult{Analysed: []string{"image_hashes", "image", AnalysedImageText}, Text: &t}, nil
}

// fakeRedactor records the boxes it is asked to fill, and fails with err.
type fakeRedactor struct {
	boxes [][]Box
	err   error
}

func (r *fakeRedactor) RedactImage(_ context.Context, img *ImageUpload, boxes []Box) (*RedactedImage, error) {
	r.boxes = append(r.boxes, boxes)
	if r.err != nil {
		return nil, r.err
	}
	return &RedactedImage{ID: "abc", ContentType: "image/png", Size: 3, URL: RedactedImagePath("abc"), Boxes: boxes, Data: []byte("png")}, nil
}

func imageEvent() *Event {
	return &Event{
		ID: "i1", Kind: KindImage, World: "w", Space: Space{ID: "s", Type: SpacePlaza},
		Sender: Party{ID: "u", Role: RoleCitizen}, SentAt: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC),
		Image: &ImageUpload{Data: []byte("pixels")},
	}
}

// redactingPolicy redacts the image text's phone numbers unless it is
// told that the copy failed, when it holds (as policies/imagery.rego
// does); stubborn redacts regardless.
func redactingPolicy(calls *[]bool, stubborn bool) Policy {
	return policyFunc(func(in *PolicyInput) (*PolicyResult, error) {
		failed := in.Signals.ImageText.RedactionFailed
		*calls = append(*calls, failed)
		if failed && !stubborn {
			return &PolicyResult{Action: ActionHold, RuleIDs: []string{"imagery.text.pii.unredactable"}, Categories: []Category{PIICategory},
				Principle: "personal_information_protection", Revision: "r"}, nil
		}
		return &PolicyResult{Action: ActionRedact, RuleIDs: []string{"imagery.text.pii.redact"}, Categories: []Category{PIICategory},
			Principle: "personal_information_protection", Redact: Redaction{PII: []PIIType{PIIPhone}}, Revision: "r"}, nil
	})
}

// TestRedactImage: a redact of PII in an image's text fills the boxes of
// the masked types only and puts the copy's reference in the decision and
// its action; a failed copy asks the policy again, which holds, and a
// policy that still redacts is an error, never a redact of the original.
func TestRedactImage(t *testing.T) {
	phone := Box{X0: 10, Y0: 20, X1: 110, Y1: 40}
	text := &ImageText{Words: 5, PII: []ImagePII{
		{Type: PIIPhone, Score: 0.95, Boxes: []Box{phone}},
		{Type: PIIEmail, Score: 0.95, Boxes: []Box{{X0: 0, Y0: 50, X1: 90, Y1: 70}}},
	}}
	ctx := context.Background()

	t.Run("copy made", func(t *testing.T) {
		var calls []bool
		r := &fakeRedactor{}
		p := NewPipeline(redactingPolicy(&calls, false), WithImageClassifiers(fakeImages{text}), WithImageRedactor(r))
		d, err := p.Decide(ctx, imageEvent())
		if err != nil {
			t.Fatal(err)
		}
		if d.Action != ActionRedact || d.RedactedImage == nil || d.RedactedImage.URL != "/v1/redacted-images/abc" {
			t.Fatalf("decision %s, redacted image %+v", d.Action, d.RedactedImage)
		}
		if len(r.boxes) != 1 || !slices.Equal(r.boxes[0], []Box{phone}) {
			t.Errorf("boxes filled %v, want only the phone number's %v", r.boxes, phone)
		}
		if a := AutomatedAction(d); a.RedactedImage != d.RedactedImage {
			t.Errorf("action's redacted image %+v", a.RedactedImage)
		}
		if len(calls) != 1 {
			t.Errorf("policy asked %d times", len(calls))
		}
	})
	t.Run("copy failed", func(t *testing.T) {
		var calls []bool
		r := &fakeRedactor{err: errors.New("box outside the image")}
		p := NewPipeline(redactingPolicy(&calls, false), WithImageClassifiers(fakeImages{text}), WithImageRedactor(r))
		d, err := p.Decide(ctx, imageEvent())
		if err != nil {
			t.Fatal(err)
		}
		if d.Action != ActionHold || d.RedactedImage != nil || !d.ImageText.RedactionFailed {
			t.Errorf("decision %s %v, redacted image %+v, image text %+v; want held", d.Action, d.RuleIDs, d.RedactedImage, d.ImageText)
		}
		if !slices.Equal(calls, []bool{false, true}) {
			t.Errorf("policy asked with redaction_failed %v, want [false true]", calls)
		}
	})
	t.Run("no redactor", func(t *testing.T) {
		var calls []bool
		p := NewPipeline(redactingPolicy(&calls, false), WithImageClassifiers(fakeImages{text}))
		d, err := p.Decide(ctx, imageEvent())
		if err != nil || d.Action != ActionHold {
			t.Errorf("without a redactor: %v, %v; want held", d, err)
		}
	})
	t.Run("PII without boxes", func(t *testing.T) {
		var calls []bool
		r := &fakeRedactor{}
		unboxed := &ImageText{Words: 5, PII: []ImagePII{{Type: PIIPhone, Score: 0.95, Boxes: []Box{}}}}
		p := NewPipeline(redactingPolicy(&calls, false), WithImageClassifiers(fakeImages{unboxed}), WithImageRedactor(r))
		d, err := p.Decide(ctx, imageEvent())
		if err != nil || d.Action != ActionHold || len(r.boxes) != 0 {
			t.Errorf("decision %v, err %v, redactor asked %v; want held without asking", d, err, r.boxes)
		}
	})
	t.Run("policy redacts regardless", func(t *testing.T) {
		var calls []bool
		r := &fakeRedactor{err: errors.New("encode failed")}
		p := NewPipeline(redactingPolicy(&calls, true), WithImageClassifiers(fakeImages{text}), WithImageRedactor(r))
		d, err := p.Decide(ctx, imageEvent())
		if err == nil || !strings.Contains(err.Error(), "redaction_failed") {
			t.Errorf("decision %+v, err %v; want an error naming redaction_failed", d, err)
		}
	})
	t.Run("caption only", func(t *testing.T) {
		// PII masked in the caption, none in the image: no copy.
		var calls []bool
		r := &fakeRedactor{}
		p := NewPipeline(redactingPolicy(&calls, false), WithImageClassifiers(fakeImages{&ImageText{Words: 2}}), WithImageRedactor(r),
			WithTextClassifiers(fakeText{res: TextResult{PII: []PIISpan{{Type: PIIPhone, Start: 0, End: 3, Score: 0.9}}}}))
		ev := imageEvent()
		ev.Image.Caption = "010"
		d, err := p.Decide(ctx, ev)
		if err != nil || d.Action != ActionRedact || d.RedactedImage != nil || len(r.boxes) != 0 || d.RedactedText != "***" {
			t.Errorf("decision %+v, err %v, redactor asked %v", d, err, r.boxes)
		}
	})
}

// deferringImages reports a pending text when asked to defer it, and
// records what it was asked.
type deferringImages struct{ asked []bool }

func (*deferringImages) Name() string    { return "img" }
func (*deferringImages) Version() string { return "1" }
func (f *deferringImages) ClassifyImage(_ context.Context, in ImageInput) (ImageResult, error) {
	f.asked = append(f.asked, in.DeferText)
	if in.DeferText {
		return ImageResult{Analysed: []string{"image_hashes", "image"}, Text: &ImageText{Pending: true}}, nil
	}
	return ImageResult{Analysed: []string{"image_hashes", "image", AnalysedImageText}, Text: &ImageText{Words: 3}}, nil
}

// TestTextDeferral: an image in a space type that does not wait is
// decided without its text, the decision pending with the behaviour to
// judge the follow-up on; in a space type that waits, and in FollowUp,
// the text is read, and the follow-up sees the first behaviour.
func TestTextDeferral(t *testing.T) {
	images := &deferringImages{}
	var seen []*Signals
	pol := policyFunc(func(in *PolicyInput) (*PolicyResult, error) {
		seen = append(seen, in.Signals)
		return &PolicyResult{Action: ActionAllow, Revision: "r"}, nil
	})
	p := NewPipeline(pol, WithImageClassifiers(images), WithTextDeferral(func(s SpaceType) bool { return s == SpacePlaza }))
	ctx := context.Background()
	d, err := p.Decide(ctx, imageEvent())
	if err != nil {
		t.Fatal(err)
	}
	if !d.ImageText.Pending || d.Pending == nil || d.ImageText.Words != 0 {
		t.Fatalf("plaza: image text %+v, pending %+v", d.ImageText, d.Pending)
	}
	ev := imageEvent()
	ev.Space.Type = SpaceLegal
	if d, err = p.Decide(ctx, ev); err != nil || d.ImageText.Pending || d.Pending != nil {
		t.Fatalf("legal: %+v %v", d, err)
	}
	b := &BehaviourSignals{Rate60s: 7}
	f, err := p.FollowUp(ctx, imageEvent(), b)
	if err != nil || f.ImageText.Pending || f.Pending != nil || f.ImageText.Words != 3 || f.ID == "" {
		t.Fatalf("follow-up %+v %v", f, err)
	}
	if !slices.Equal(images.asked, []bool{true, false, false}) {
		t.Errorf("asked to defer %v, want [true false false]", images.asked)
	}
	if seen[2].Behaviour != b {
		t.Errorf("the follow-up's behaviour %+v, want the first's", seen[2].Behaviour)
	}
}
