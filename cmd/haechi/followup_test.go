package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
	"github.com/haechi-tns/haechi/pipelines"
)

// TestFollowUpDecisions runs haechi serve with its stream worker on the
// embedded broker and the whole engine. The poster with a phone number
// and a bank account, posted to a plaza (a space type that does not wait
// for images' text), is decided at once on its hashes and the NSFW model
// (allow, image_text pending) and followed up when its text has been
// read: a second decision on haechi.decisions with a new id that
// supersedes the first and redacts with a copy, its action on the outbox
// for haechi.actions, and the answer to a repeat of the event. The same
// holds for the event sent to POST /v1/moderate: one path. A space type
// that waits (legal) gets one decision, held, with the text read.
func TestFollowUpDecisions(t *testing.T) {
	dataDir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	brokerAddr := ln.Addr().String()
	ln.Close()
	addr := startServing(t, "serve", "--data-dir", dataDir, "--broker-addr", brokerAddr, "--ocr-engines", "1")
	st, err := store.OpenSQLite(context.Background(), filepath.Join(dataDir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	poster, err := os.ReadFile(filepath.Join(ocrFixtures, "images", "poster-phone-bank.png"))
	if err != nil {
		t.Fatal(err)
	}
	event := func(id string, space engine.SpaceType) []byte {
		ev := map[string]any{"id": id, "kind": "image", "world": "seoul-cityhall", "space": map[string]any{"id": "s-1", "type": space},
			"sender": map[string]any{"id": "citizen-" + id, "role": "citizen"}, "sent_at": "2026-11-22T09:21:00Z",
			"image": map[string]any{"content_type": "image/png", "data": base64.StdEncoding.EncodeToString(poster)}}
		b, _ := json.Marshal(ev)
		return b
	}
	moderate := func(body []byte) *engine.Decision {
		t.Helper()
		start := time.Now()
		defer func() { t.Logf("POST /v1/moderate answered in %v", time.Since(start)) }()
		resp, err := http.Post("http://"+addr+"/v1/moderate", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("moderate: %d %s", resp.StatusCode, b)
		}
		var d engine.Decision
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatal(err)
		}
		return &d
	}
	// latest waits for an event's decision to be superseded.
	latest := func(id string) *engine.Decision {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			ds, err := st.DecisionsForEvents(context.Background(), []string{id})
			if err != nil {
				t.Fatal(err)
			}
			if d := ds[id]; d != nil && d.Supersedes != "" {
				return d
			}
			if time.Now().After(deadline) {
				t.Fatalf("no follow-up of %s: latest %+v", id, ds[id])
			}
		}
	}
	checkFollowUp := func(first, follow *engine.Decision) {
		t.Helper()
		if first.Action != engine.ActionAllow || first.ImageText == nil || !first.ImageText.Pending || first.ImageText.Words != 0 {
			t.Errorf("first decision %s, image text %+v; want allow, pending", first.Action, first.ImageText)
		}
		t.Logf("follow-up %v after the first decision", follow.DecidedAt.Sub(first.DecidedAt))
		if follow.ID == first.ID || follow.Supersedes != first.ID || follow.Action != engine.ActionRedact ||
			!slices.Contains(follow.RuleIDs, "imagery.text.pii.redact") || follow.RedactedImage == nil || follow.ImageText.Pending || follow.ImageText.Words == 0 {
			t.Errorf("follow-up %s supersedes %q: %s %v, copy %+v, image text %+v", follow.ID, follow.Supersedes, follow.Action, follow.RuleIDs, follow.RedactedImage, follow.ImageText)
		}
	}

	// Through the API.
	first := moderate(event("img-api", engine.SpacePlaza))
	follow := latest("img-api")
	checkFollowUp(first, follow)
	if again := moderate(event("img-api", engine.SpacePlaza)); again.ID != follow.ID {
		t.Errorf("a repeat answers %s, want the follow-up %s", again.ID, follow.ID)
	}

	// Through the stream.
	w := &kafka.Writer{Addr: kafka.TCP(brokerAddr), Topic: pipelines.DefaultTopics.Images, RequiredAcks: kafka.RequireAll}
	value := append(append([]byte(`{"schema_version":1,"event":`), event("img-stream", engine.SpacePlaza)...), '}')
	if err := w.WriteMessages(context.Background(), kafka.Message{Key: []byte("citizen-img-stream"), Value: value}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	follow = latest("img-stream")
	firstStream, err := st.Decision(context.Background(), follow.Supersedes)
	if err != nil {
		t.Fatal(err)
	}
	checkFollowUp(firstStream, follow)
	// Both decisions reach haechi.decisions, the first before its follow-up
	// (the API's first decision is the API's answer and is not published).
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		published := readDecisions(t, []string{brokerAddr}, 2)
		if slices.Equal(published["img-stream"], []string{firstStream.ID, follow.ID}) && slices.Contains(published["img-api"], latest("img-api").ID) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("decisions published: stream %v (want %s then %s), api %v", published["img-stream"], firstStream.ID, follow.ID, published["img-api"])
		}
	}
	// The follow-up's action was queued with it and relayed.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		left, err := st.Outbox(context.Background(), 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d outbox messages not relayed", len(left))
		}
	}

	// A space type that waits: one decision, the text read, held.
	held := moderate(event("img-legal", engine.SpaceLegal))
	if held.Action != engine.ActionHold || held.ImageText == nil || held.ImageText.Pending || held.ImageText.Words == 0 {
		t.Errorf("legal: %s, image text %+v; want held with its text read", held.Action, held.ImageText)
	}
	if n, err := st.CountPendingTexts(context.Background()); err != nil || n != 0 {
		t.Errorf("%d readings pending, %v", n, err)
	}
}
