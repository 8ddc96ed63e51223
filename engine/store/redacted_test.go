package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
)

// TestRedactedImages: a redact decision's copy is stored with the
// decision, once by its id, fetched by id, named in the queued action
// without its bytes, and deleted with the decision's evidence.
func TestRedactedImages(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		copyOf := func(id string, data []byte) *engine.RedactedImage {
			return &engine.RedactedImage{ID: id, ContentType: "image/png", Size: len(data), URL: engine.RedactedImagePath(id),
				Boxes: []engine.Box{{X0: 1, Y0: 2, X1: 30, Y1: 12}}, Data: data}
		}
		d1 := reviewDecision("r1", engine.ActionRedact, "")
		d1.EventKind, d1.RedactedImage = engine.KindImage, copyOf("aa11", []byte("\x89PNG one"))
		d2 := reviewDecision("r2", engine.ActionRedact, "")
		d2.EventKind, d2.RedactedImage = engine.KindImage, copyOf("aa11", []byte("\x89PNG one"))
		d2.DecidedAt = t0.Add(48 * time.Hour)
		if _, err := s.SaveDecisions(ctx, []*engine.Decision{d1, d2}); err != nil {
			t.Fatal(err)
		}
		ct, data, err := s.RedactedImage(ctx, "aa11")
		if err != nil || ct != "image/png" || !bytes.Equal(data, []byte("\x89PNG one")) {
			t.Fatalf("RedactedImage: %q %q %v", ct, data, err)
		}
		if _, _, err := s.RedactedImage(ctx, "bb22"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown copy: %v", err)
		}
		stored, err := s.Decision(ctx, d1.ID)
		if err != nil || stored.RedactedImage == nil || stored.RedactedImage.URL != "/v1/redacted-images/aa11" || stored.RedactedImage.Data != nil {
			t.Errorf("stored decision's copy %+v, %v", stored.RedactedImage, err)
		}
		msgs, err := s.Outbox(ctx, 10)
		if err != nil || len(msgs) != 2 {
			t.Fatalf("outbox %v %v", msgs, err)
		}
		var a engine.ActionMessage
		if err := json.Unmarshal(msgs[0].Body, &a); err != nil || a.RedactedImage == nil || a.RedactedImage.ID != "aa11" {
			t.Errorf("action %s: %v", msgs[0].Body, err)
		}
		if bytes.Contains(msgs[0].Body, []byte("PNG one")) {
			t.Errorf("the action carries the copy's bytes: %s", msgs[0].Body)
		}
		// The copy is dated by the later decision: retention at the
		// first's cutoff keeps it, at the second's deletes it.
		r := DefaultRetention()
		c, err := s.ApplyRetention(ctx, t0.Add(r.DecisionEvidence+time.Hour), r)
		if err != nil || c.RedactedImages != 0 {
			t.Fatalf("retention past the first decision: %+v %v", c, err)
		}
		c, err = s.ApplyRetention(ctx, t0.Add(r.DecisionEvidence+49*time.Hour), r)
		if err != nil || c.RedactedImages != 1 {
			t.Fatalf("retention past both decisions: %+v %v", c, err)
		}
		if _, _, err := s.RedactedImage(ctx, "aa11"); !errors.Is(err, ErrNotFound) {
			t.Errorf("copy after retention: %v", err)
		}
	})
}
