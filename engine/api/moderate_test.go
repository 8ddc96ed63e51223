package api

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/moderation"
	"github.com/haechi-tns/haechi/engine/store"
)

// textDecider judges by the text it is given: "self-harm" escalates to
// the counsellors, "씨발" blocks, anything else is allowed. It sees what
// the engine would see, so a decoding trick that changes the text shows.
type textDecider struct{ calls int }

func (d *textDecider) DecideBatch(_ context.Context, evs []*engine.Event) ([]*engine.Decision, []error) {
	out := make([]*engine.Decision, len(evs))
	for i, ev := range evs {
		d.calls++
		action, queue, cats := engine.ActionAllow, "", []engine.Category{}
		switch {
		case strings.Contains(ev.Text(), "self-harm"):
			action, queue, cats = engine.ActionEscalate, store.QueueYouthSafety, []engine.Category{engine.SelfHarm}
		case strings.Contains(ev.Text(), "씨발"):
			action, cats = engine.ActionBlock, []engine.Category{engine.Profanity}
		}
		out[i] = &engine.Decision{
			ID: uuid.NewString(), EventID: ev.ID, EventKind: ev.Kind, World: ev.World, Space: ev.Space, SenderID: ev.Sender.ID,
			Action: action, Queue: queue, Categories: cats, RuleIDs: []string{"rule." + string(action)}, Severity: "high",
			Principle: "responsibility", Value: "safe_experience",
			Reasons:        []engine.Reason{{RuleID: "rule." + string(action), KO: "이유", EN: "reason"}},
			PolicyRevision: "rev", DecidedAt: t0,
		}
	}
	return out, make([]error, len(evs))
}

// newServiceEnv is a server whose moderate route runs a moderation
// service over d and the env's store.
func newServiceEnv(t *testing.T, d moderation.Decider) *env {
	return newEnv(t, func(c *Config, st *store.Store) {
		svc, err := moderation.New(moderation.Config{Decider: d, Store: st})
		if err != nil {
			t.Fatal(err)
		}
		c.Moderator = svc
	})
}

func chatBody(id, sender, text string) map[string]any {
	return map[string]any{
		"id": id, "kind": "chat", "world": "seoul",
		"space":   map[string]any{"id": "youth-1", "type": "youth"},
		"sender":  map[string]any{"id": sender, "role": "citizen", "age_band": "teen"},
		"sent_at": t0.Add(-time.Second).Format(time.RFC3339),
		"chat":    map[string]any{"text": text},
	}
}

// TestModerateIsTheOnePath: the pre-send check goes through the
// moderation service: its decision is stored, opens the counsellors' case,
// has a statement of reasons, can be appealed by its sender, and a repeat
// of the event answers the same decision; other content under its id is
// refused.
func TestModerateIsTheOnePath(t *testing.T) {
	d := &textDecider{}
	e := newServiceEnv(t, d)
	ctx := context.Background()
	body := chatBody("evt-1", "teen-1", "I want to self-harm tonight")
	body["context"] = []map[string]any{{"id": "m-0", "sender_id": "teen-2", "text": "are you ok?"}}
	r := e.do(t, "POST", "/v1/moderate", body)
	if r.status != 200 {
		t.Fatalf("moderate: %d %s", r.status, r.body)
	}
	got := r.json(t)
	id, _ := got["decision_id"].(string)
	if got["action"] != "escalate" || id == "" {
		t.Fatalf("decision %s", r.body)
	}
	if _, err := e.store.Decision(ctx, id); err != nil {
		t.Errorf("the decision was not stored: %v", err)
	}
	c, err := e.store.ClaimNext(ctx, store.QueueYouthSafety, store.Moderator{ID: "counsellor-1", Roles: []string{"counsellor"}}, time.Minute, t0)
	if err != nil || c.DecisionID != id {
		t.Errorf("the counsellors' queue: %+v %v; want the escalation's case", c, err)
	}
	// The counsellor sees the message as it was, with what came before.
	if sn, err := e.store.Snapshots(ctx, c.ID); err != nil || len(sn) != 1 || sn[0].Text != "I want to self-harm tonight" ||
		len(sn[0].Context) != 1 || sn[0].Context[0].Text != "are you ok?" {
		t.Errorf("snapshot of the case: %+v %v", sn, err)
	}
	if st := e.do(t, "GET", "/v1/decisions/"+id+"/statement", nil); st.status != 200 {
		t.Errorf("statement of reasons: %d %s", st.status, st.body)
	}
	if ap := e.do(t, "POST", "/v1/appeals", map[string]any{"decision_id": id, "appellant_id": "teen-1", "reason": "it was a quote"}); ap.status != 201 {
		t.Errorf("appeal: %d %s", ap.status, ap.body)
	}

	again := e.do(t, "POST", "/v1/moderate", body)
	if again.status != 200 || again.json(t)["decision_id"] != id || d.calls != 1 {
		t.Errorf("repeat: %d %s after %d decisions; want the stored %s", again.status, again.body, d.calls, id)
	}
	other := e.do(t, "POST", "/v1/moderate", chatBody("evt-1", "teen-1", "never mind"))
	if other.status != 409 || other.apiError(t).Code != "conflict" {
		t.Errorf("other content under a decided id: %d %s", other.status, other.body)
	}
}

// TestModerateRefusesKeyTricks: a body that a case-insensitive reader and
// a case-sensitive client would read differently is refused, and the
// abuse it hides is never judged as the harmless text.
func TestModerateRefusesKeyTricks(t *testing.T) {
	d := &textDecider{}
	e := newServiceEnv(t, d)
	valid := `{"id":"evt-2","kind":"chat","world":"seoul","space":{"id":"plaza-1","type":"plaza"},"sender":{"id":"u1","role":"citizen"},"sent_at":"2026-11-22T09:00:00Z","chat":{"text":"안녕하세요"}}`
	tests := []struct{ name, body, field string }{
		{"key differing in case", strings.Replace(valid, `"text":"안녕하세요"`, `"text":"씨발 개새끼 병신아 꺼져","Text":"안녕하세요"`, 1), "chat.Text"},
		{"duplicate key", strings.Replace(valid, `"text":"안녕하세요"`, `"text":"씨발 개새끼 병신아 꺼져","text":"안녕하세요"`, 1), "chat.text"},
		{"Kelvin sign", strings.Replace(valid, `"kind"`, `"\u212aind"`, 1), `"\u212aind"`},
		{"bad time", strings.Replace(valid, `2026-11-22T09:00:00Z`, `yesterday`, 1), "sent_at"},
		{"bad base64", strings.Replace(valid, `"chat":{"text":"안녕하세요"}`, `"image":{"data":"%%%"}`, 1), "image.data"},
		{"bidi in an id", strings.Replace(valid, `"id":"u1"`, `"id":"u1\u202e"`, 1), "sender.id"},
		{"context sender", strings.Replace(valid, `"chat":`, `"context":[{"sender_id":"a b","text":"hi"}],"chat":`, 1), "context[0].sender_id"},
		{"context too long", strings.Replace(valid, `"chat":`, `"context":[`+strings.Repeat(`{"sender_id":"a","text":"hi"},`, 20)+`{"sender_id":"a","text":"hi"}],"chat":`, 1), "context"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, "POST", "/v1/moderate", tt.body)
			if r.status != 400 {
				t.Fatalf("%d %s, want 400", r.status, r.body)
			}
			if f := r.apiError(t).Fields; len(f) == 0 || f[0].Field != tt.field {
				t.Errorf("fields %+v, want %s", f, tt.field)
			}
		})
	}
	if d.calls != 0 {
		t.Errorf("%d events decided from refused bodies", d.calls)
	}
	if n, _ := e.store.CountDecisions(context.Background()); n != 0 {
		t.Errorf("%d decisions stored from refused bodies", n)
	}
}
