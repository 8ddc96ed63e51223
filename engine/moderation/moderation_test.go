package moderation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/blob"
	"github.com/haechi-tns/haechi/engine/store"
	"github.com/haechi-tns/haechi/internal/backoff"
)

// fakeDecider escalates texts with "self-harm", blocks "bad", fails
// "fail" always, holds images without pixels and allows the rest.
type fakeDecider struct {
	calls atomic.Int64
	down  atomic.Bool
}

func (f *fakeDecider) DecideBatch(_ context.Context, evs []*engine.Event) ([]*engine.Decision, []error) {
	out := make([]*engine.Decision, len(evs))
	errs := make([]error, len(evs))
	for i, ev := range evs {
		f.calls.Add(1)
		if f.down.Load() || strings.Contains(ev.Text(), "fail") {
			errs[i] = errors.New("classifier unavailable")
			continue
		}
		action, queue := engine.ActionAllow, ""
		switch {
		case strings.Contains(ev.Text(), "self-harm"):
			action, queue = engine.ActionEscalate, "youth_safety"
		case strings.Contains(ev.Text(), "bad"):
			action = engine.ActionBlock
		case ev.Image != nil && len(ev.Image.Data) == 0:
			action, queue = engine.ActionHold, "general"
		}
		out[i] = &engine.Decision{
			ID: uuid.NewString(), EventID: ev.ID, EventKind: ev.Kind, World: ev.World, Space: ev.Space, SenderID: ev.Sender.ID,
			Action: action, Queue: queue, Severity: "high", PolicyRevision: "test", RuleIDs: []string{"r"}, DecidedAt: time.Now().UTC(),
			Categories: []engine.Category{engine.SelfHarm},
		}
	}
	return out, errs
}

func chat(id, text string) *engine.Event {
	return &engine.Event{
		ID: id, Kind: engine.KindChat, World: "w", Space: engine.Space{ID: "youth-1", Type: engine.SpaceYouth},
		Sender: engine.Party{ID: "user-" + id, Role: engine.RoleCitizen}, SentAt: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC),
		Chat: &engine.ChatMessage{Text: text},
	}
}

func newService(t *testing.T, d Decider, edit func(*Config)) (*Service, *store.Store) {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := Config{
		Decider: d, Store: st,
		DecideRetry: backoff.Policy{Initial: time.Millisecond, Attempts: 3},
		StoreRetry:  backoff.Policy{Initial: time.Millisecond, Max: 10 * time.Millisecond, Attempts: 5},
	}
	if edit != nil {
		edit(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, st
}

// TestModerateStoresOpensTheCaseAndQueuesTheAction: the pre-send check
// stores its decision like the stream does; a self-harm escalation opens
// a counsellors' case, queues the platform action and counts in the
// sender's history.
func TestModerateStoresOpensTheCaseAndQueuesTheAction(t *testing.T) {
	ctx := context.Background()
	queued := 0
	s, st := newService(t, &fakeDecider{}, func(c *Config) { c.OnQueued = func() { queued++ } })
	res, err := s.Moderate(ctx, chat("e1", "i want to self-harm"))
	if err != nil || res.Repeat || res.Decision.Action != engine.ActionEscalate {
		t.Fatalf("Moderate = %+v, %v", res, err)
	}
	stored, err := st.Decision(ctx, res.Decision.ID)
	if err != nil || stored.EventID != "e1" || stored.Fingerprint == "" {
		t.Fatalf("stored decision %+v, %v", stored, err)
	}
	// The encoding kept for publishing is the decision's, as stored.
	want, _ := json.Marshal(res.Decision)
	if again, _ := json.Marshal(stored); !bytes.Equal(res.Encoded, want) || !bytes.Equal(again, want) {
		t.Errorf("Encoded %s\nwant    %s\nstored  %s", res.Encoded, want, again)
	}
	c, err := st.ClaimNext(ctx, store.QueueYouthSafety, store.Moderator{ID: "counsellor-1", Roles: []string{"counsellor"}}, time.Minute, time.Now())
	if err != nil || c.DecisionID != res.Decision.ID {
		t.Errorf("the counsellors' queue holds %+v, %v; want the escalation's case", c, err)
	}
	out, err := st.Outbox(ctx, 10)
	if err != nil || len(out) != 1 || !strings.Contains(string(out[0].Body), res.Decision.ID+":escalate") || queued != 1 {
		t.Errorf("outbox %v (%v), relay woken %d times", out, err, queued)
	}
	uc, err := st.UserContexts(time.Minute, 10).UserContext(ctx, engine.Party{ID: "user-e1"})
	if err != nil || uc.RecentFlags != 1 {
		t.Errorf("sender's recent flags %d (%v), want 1", uc.RecentFlags, err)
	}
}

// TestRepeatsAnswerTheStoredDecision: the same event again is answered
// from the store without deciding; other content under its id is a
// conflict, in later calls and within one batch.
func TestRepeatsAnswerTheStoredDecision(t *testing.T) {
	ctx := context.Background()
	d := &fakeDecider{}
	s, _ := newService(t, d, nil)
	first, err := s.Moderate(ctx, chat("e1", "this is bad"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.Moderate(ctx, chat("e1", "this is bad"))
	if err != nil || !again.Repeat || again.Decision.ID != first.Decision.ID || d.calls.Load() != 1 || again.Encoded != nil {
		t.Errorf("repeat: %+v, %v after %d decisions; want the stored %s", again, err, d.calls.Load(), first.Decision.ID)
	}
	// The abuse was blocked; a harmless text under its id must not
	// inherit anything, nor replace it.
	if _, err := s.Moderate(ctx, chat("e1", "hello")); !errors.Is(err, ErrConflict) {
		t.Errorf("other content under a decided id: %v, want ErrConflict", err)
	}
	b, err := s.Decide(ctx, []*engine.Event{chat("e2", "hello"), chat("e2", "this is bad"), chat("e2", "hello")})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, b); err != nil {
		t.Fatal(err)
	}
	r := b.Results()
	if r[0].Err != nil || r[0].Repeat || !errors.Is(r[1].Err, ErrConflict) || !r[2].Repeat || r[2].Decision.ID != r[0].Decision.ID {
		t.Errorf("batch with copies: %+v", r)
	}
}

// TestRaceWithAnotherWriter: when another worker stored the event first,
// Save answers its decision, or a conflict if it was other content.
func TestRaceWithAnotherWriter(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t, &fakeDecider{}, nil)
	other, _ := newService(t, &fakeDecider{}, nil)
	other.cfg.Store = s.cfg.Store // a second service over the same store
	b1, err := s.Decide(ctx, []*engine.Event{chat("e1", "hello"), chat("e2", "hello")})
	if err != nil {
		t.Fatal(err)
	}
	won, err := other.Moderate(ctx, chat("e1", "hello"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Moderate(ctx, chat("e2", "this is bad")); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, b1); err != nil {
		t.Fatal(err)
	}
	r := b1.Results()
	if !r[0].Repeat || r[0].Decision.ID != won.Decision.ID {
		t.Errorf("lost race, same content: %+v, want the winner's %s", r[0], won.Decision.ID)
	}
	if !errors.Is(r[1].Err, ErrConflict) {
		t.Errorf("lost race, other content: %+v, want a conflict", r[1])
	}
}

func TestFailuresAreUndecidableOrAnOutage(t *testing.T) {
	ctx := context.Background()
	d := &fakeDecider{}
	var retried atomic.Int64
	s, st := newService(t, d, func(c *Config) { c.OnRetry = func(_ string, n int) { retried.Add(int64(n)) } })
	b, err := s.Decide(ctx, []*engine.Event{chat("ok", "hello"), chat("f", "fail")})
	if err != nil {
		t.Fatal(err)
	}
	var u *UndecidableError
	if r := b.Results(); r[0].Err != nil || !errors.As(r[1].Err, &u) || u.Attempts != 3 {
		t.Errorf("results %+v, want the failing one undecidable after 3 attempts", r)
	}
	if retried.Load() != 2 {
		t.Errorf("%d retries reported, want 2", retried.Load())
	}
	d.down.Store(true)
	_, err = s.Decide(ctx, []*engine.Event{chat("a", "hello"), chat("b", "hello")})
	var o *OutageError
	if !errors.As(err, &o) || o.Events != 2 {
		t.Errorf("everything failing: %v, want an outage", err)
	}
	if n, _ := st.CountDecisions(ctx); n != 0 {
		t.Errorf("%d decisions stored by Decide alone", n)
	}
	// Invalid events are told apart from failures and never retried.
	calls := d.calls.Load()
	d.down.Store(false)
	bad := chat("v", "hello")
	bad.Space.Type = "moon"
	invalid := &validatingDecider{d}
	s2, _ := newService(t, invalid, nil)
	b, err = s2.Decide(ctx, []*engine.Event{bad})
	if err != nil || !engine.IsValidationError(b.Results()[0].Err) || d.calls.Load() != calls {
		t.Errorf("invalid event: %+v, %v", b.Results(), err)
	}
}

type validatingDecider struct{ *fakeDecider }

func (v *validatingDecider) DecideBatch(ctx context.Context, evs []*engine.Event) ([]*engine.Decision, []error) {
	errs := make([]error, len(evs))
	for i, ev := range evs {
		errs[i] = ev.Validate()
	}
	return make([]*engine.Decision, len(evs)), errs
}

// TestSlowBlobCostsAtMostTheBudget: an image whose server answers after
// 15 s is given up within the budget and held; the rest of the batch is
// decided meanwhile, not after.
func TestSlowBlobCostsAtMostTheBudget(t *testing.T) {
	release := make(chan struct{})
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-release:
		case <-time.After(15 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	s, _ := newService(t, &fakeDecider{}, func(c *Config) {
		c.Blobs = &blob.HTTP{Prefixes: []string{srv.URL + "/"}}
		c.BlobBudget = 500 * time.Millisecond
	})
	img := chat("img", "")
	img.Kind, img.Chat = engine.KindImage, nil
	img.Image = &engine.ImageUpload{URI: srv.URL + "/slow.png"}
	start := time.Now()
	b, err := s.Decide(context.Background(), []*engine.Event{img, chat("c1", "hello")})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if took > 2*time.Second {
		t.Errorf("a slow image held the batch for %v", took)
	}
	r := b.Results()
	if r[0].Decision == nil || r[0].Decision.Action != engine.ActionHold || r[1].Decision.Action != engine.ActionAllow {
		t.Errorf("results %+v: want the image held and the chat decided", r)
	}
	if hits.Load() == 0 {
		t.Error("the image was never requested")
	}
}

// TestImagesByReferenceAreFetched: a URI under the prefixes is fetched
// and its bytes analysed; one outside them is never requested and held.
func TestImagesByReferenceAreFetched(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, "\x89PNG")
	}))
	defer srv.Close()
	s, _ := newService(t, &fakeDecider{}, func(c *Config) { c.Blobs = &blob.HTTP{Prefixes: []string{srv.URL + "/ok/"}} })
	image := func(id, uri string) *engine.Event {
		ev := chat(id, "")
		ev.Kind, ev.Chat = engine.KindImage, nil
		ev.Image = &engine.ImageUpload{URI: uri}
		return ev
	}
	in, out := image("in", srv.URL+"/ok/a.png"), image("out", srv.URL+"/elsewhere/a.png")
	var mu sync.Mutex
	mu.Lock()
	defer mu.Unlock()
	res, err := s.Moderate(context.Background(), in)
	if err != nil || res.Decision.Action != engine.ActionAllow || string(in.Image.Data) != "\x89PNG" {
		t.Errorf("image under the prefix: %+v %v", res, err)
	}
	res, err = s.Moderate(context.Background(), out)
	if err != nil || res.Decision.Action != engine.ActionHold {
		t.Errorf("image outside the prefixes: %+v %v", res, err)
	}
	if hits.Load() != 1 {
		t.Errorf("%d requests, want 1", hits.Load())
	}
}
