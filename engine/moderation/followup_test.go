package moderation

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
)

// deferringDecider decides an image at once with its text pending, as
// engine.Pipeline with WithTextDeferral does, and decides it again in
// FollowUp: the caption says what the text would give ("phone" redacts
// with a copy, "threat" blocks, "fail" keeps failing, anything else
// allows). first is the first decision's action.
type deferringDecider struct {
	first engine.Action
	mu    sync.Mutex
	reads int
	gate  chan struct{} // when set, FollowUp waits for it
}

func (f *deferringDecider) decision(ev *engine.Event, a engine.Action, cats ...engine.Category) *engine.Decision {
	return &engine.Decision{ID: uuid.NewString(), EventID: ev.ID, EventKind: ev.Kind, World: ev.World, Space: ev.Space, SenderID: ev.Sender.ID,
		Action: a, Categories: cats, RuleIDs: []string{"r"}, Severity: "low", PolicyRevision: "test", DecidedAt: time.Now().UTC()}
}

func (f *deferringDecider) DecideBatch(_ context.Context, evs []*engine.Event) ([]*engine.Decision, []error) {
	out := make([]*engine.Decision, len(evs))
	for i, ev := range evs {
		out[i] = f.decision(ev, f.first)
		out[i].ImageText = &engine.ImageTextEvidence{Pending: true}
		out[i].Pending = &engine.PendingText{Behaviour: &engine.BehaviourSignals{Rate60s: 2}}
	}
	return out, make([]error, len(evs))
}

func (f *deferringDecider) FollowUp(ctx context.Context, ev *engine.Event, b *engine.BehaviourSignals) (*engine.Decision, error) {
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f.mu.Lock()
	f.reads++
	f.mu.Unlock()
	if b == nil || b.Rate60s != 2 {
		return nil, errors.New("behaviour of the first decision lost")
	}
	switch c := ev.Image.Caption; {
	case strings.Contains(c, "fail"):
		return nil, errors.New("ocr down")
	case strings.Contains(c, "phone"):
		d := f.decision(ev, engine.ActionRedact, engine.PIICategory)
		d.RedactedImage = &engine.RedactedImage{ID: "c0ffee", ContentType: "image/png", Size: 4, URL: engine.RedactedImagePath("c0ffee"),
			Boxes: []engine.Box{{X0: 1, Y0: 1, X1: 5, Y1: 5}}, Data: []byte("copy")}
		return d, nil
	case strings.Contains(c, "threat"):
		return f.decision(ev, engine.ActionBlock, engine.Threat), nil
	}
	return f.decision(ev, engine.ActionAllow), nil
}

func imageEvent(id, caption string) *engine.Event {
	return &engine.Event{
		ID: id, Kind: engine.KindImage, World: "w", Space: engine.Space{ID: "plaza-1", Type: engine.SpacePlaza},
		Sender: engine.Party{ID: "user-" + id, Role: engine.RoleCitizen}, SentAt: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC),
		Image: &engine.ImageUpload{Data: []byte("pixels"), Caption: caption},
	}
}

type results struct {
	mu   sync.Mutex
	byOf map[string]int
}

func (r *results) add(result string, _ time.Duration) {
	r.mu.Lock()
	r.byOf[result]++
	r.mu.Unlock()
}

func (r *results) get(result string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byOf[result]
}

func newFollowUps(t *testing.T, d *deferringDecider, st *store.Store, edit func(*FollowUpConfig)) (*FollowUps, *results) {
	t.Helper()
	res := &results{byOf: map[string]int{}}
	cfg := FollowUpConfig{Decider: d, Store: st, Sweep: 20 * time.Millisecond, Lease: time.Minute, OnResult: res.add}
	if edit != nil {
		edit(&cfg)
	}
	f, err := NewFollowUps(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f, res
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestFollowUpSupersedes: an image decided before its text was read gets
// a follow-up that supersedes its first decision when the text changes
// the outcome; a repeat of the event then answers with the follow-up; a
// follow-up that changes nothing, or would lift a restriction, is not
// stored; a reading that keeps failing is given up and the first stands.
func TestFollowUpSupersedes(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		first   engine.Action
		caption string
		want    engine.Action // the latest decision's action
		result  string
	}{
		{"redacts with a copy", engine.ActionAllow, "my phone", engine.ActionRedact, FollowUpPublished},
		{"blocks a threat", engine.ActionAllow, "a threat", engine.ActionBlock, FollowUpPublished},
		{"harmless text", engine.ActionAllow, "hello", engine.ActionAllow, FollowUpUnchanged},
		{"never lifts a block", engine.ActionBlock, "hello", engine.ActionBlock, FollowUpUnchanged},
		{"never lowers a block to a redact", engine.ActionBlock, "my phone", engine.ActionBlock, FollowUpUnchanged},
		{"keeps failing", engine.ActionAllow, "fail", engine.ActionAllow, FollowUpFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dec := &deferringDecider{first: tc.first}
			_, st := newService(t, dec, nil)
			var queued atomic.Int32
			fu, res := newFollowUps(t, dec, st, func(c *FollowUpConfig) {
				c.Attempts = 2
				c.Retry.Initial = time.Millisecond
				c.OnQueued = func() { queued.Add(1) }
			})
			s, err := New(Config{Decider: dec, Store: st, FollowUps: fu})
			if err != nil {
				t.Fatal(err)
			}
			fu.Start()
			defer fu.Close(ctx)
			ev := imageEvent("i1", tc.caption)
			first, err := s.Moderate(ctx, ev)
			if err != nil || first.Decision.Action != tc.first || !first.Decision.ImageText.Pending {
				t.Fatalf("first decision %+v, %v", first.Decision, err)
			}
			waitFor(t, "the reading", func() bool {
				n, _ := st.CountPendingTexts(ctx)
				return n == 0 && res.get(tc.result) == 1
			})
			again, err := s.Moderate(ctx, imageEvent("i1", tc.caption))
			if err != nil || !again.Repeat || again.Decision.Action != tc.want {
				t.Fatalf("repeat: %+v, %v; want %s", again.Decision, err, tc.want)
			}
			published := tc.result == FollowUpPublished
			if published != (again.Decision.Supersedes == first.Decision.ID) {
				t.Errorf("latest decision %s supersedes %q (first %s)", again.Decision.ID, again.Decision.Supersedes, first.Decision.ID)
			}
			msgs, _ := st.Outbox(ctx, 10)
			var decisions int
			for _, m := range msgs {
				if m.Kind == store.OutboxDecision {
					decisions++
				}
			}
			if published && (decisions != 1 || queued.Load() != 1) || !published && decisions != 0 {
				t.Errorf("%d follow-up decisions in the outbox, relay woken %d times", decisions, queued.Load())
			}
			if tc.want == engine.ActionRedact {
				if ri := again.Decision.RedactedImage; ri == nil || ri.ID != "c0ffee" {
					t.Errorf("follow-up copy %+v", ri)
				} else if ct, b, err := st.RedactedImage(ctx, "c0ffee"); err != nil || ct != "image/png" || string(b) != "copy" {
					t.Errorf("stored copy %q %q %v", ct, b, err)
				}
			}
		})
	}
}

// TestFollowUpAfterACrash: readings left pending by a first decision
// whose instance died before reading them (no FollowUps ran) are taken
// by the next instance's sweep at its start and followed up.
func TestFollowUpAfterACrash(t *testing.T) {
	ctx := context.Background()
	dec := &deferringDecider{first: engine.ActionAllow}
	s, st := newService(t, dec, nil) // the instance that dies: no follow-ups
	for _, id := range []string{"c1", "c2", "c3"} {
		if _, err := s.Moderate(ctx, imageEvent(id, "a threat")); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := st.CountPendingTexts(ctx); n != 3 {
		t.Fatalf("%d readings pending, want 3", n)
	}
	fu, res := newFollowUps(t, dec, st, nil)
	fu.Start()
	defer fu.Close(ctx)
	waitFor(t, "three follow-ups", func() bool { return res.get(FollowUpPublished) == 3 })
	latest, err := st.DecisionsForEvents(ctx, []string{"c1", "c2", "c3"})
	if err != nil {
		t.Fatal(err)
	}
	for id, d := range latest {
		if d.Action != engine.ActionBlock || d.Supersedes == "" {
			t.Errorf("%s: latest %s supersedes %q", id, d.Action, d.Supersedes)
		}
	}
}

// TestFollowUpQueueFull: readings beyond the queue wait in the store,
// counted, and are read once there is room; none is lost.
func TestFollowUpQueueFull(t *testing.T) {
	ctx := context.Background()
	dec := &deferringDecider{first: engine.ActionAllow, gate: make(chan struct{})}
	_, st := newService(t, dec, nil)
	full := 0
	fu, res := newFollowUps(t, dec, st, func(c *FollowUpConfig) {
		c.Queue, c.Workers = 1, 1
		c.Sweep = time.Hour // only the wake-up after a reading takes the rest
		c.OnQueueFull = func(n int) { full += n }
	})
	s, err := New(Config{Decider: dec, Store: st, FollowUps: fu})
	if err != nil {
		t.Fatal(err)
	}
	// The first sweep holds the queue's place while it looks in the
	// store: a reading stored meanwhile would find the queue full too.
	first := make(chan struct{})
	var once sync.Once
	fu.swept = func() { once.Do(func() { close(first) }) }
	fu.Start()
	defer fu.Close(ctx)
	<-first
	// The first reading is taken by the worker (which waits at the
	// gate), the second fills the queue, the other three find it full.
	if _, err := s.Moderate(ctx, imageEvent("q0", "a threat")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the worker to take the first reading", func() bool { return len(fu.queue) == 0 })
	for _, id := range []string{"q1", "q2", "q3", "q4"} {
		if _, err := s.Moderate(ctx, imageEvent(id, "a threat")); err != nil {
			t.Fatal(err)
		}
	}
	if full != 3 {
		t.Errorf("%d readings found the queue full, want 3", full)
	}
	close(dec.gate)
	waitFor(t, "all five follow-ups", func() bool { return res.get(FollowUpPublished) == 5 })
	if n, _ := st.CountPendingTexts(ctx); n != 0 {
		t.Errorf("%d readings left", n)
	}
}

// TestFollowUpCloseGivesReadingsBack: readings queued but not started
// when the service closes are given back to the store at once, for the
// next start.
func TestFollowUpCloseGivesReadingsBack(t *testing.T) {
	ctx := context.Background()
	dec := &deferringDecider{first: engine.ActionAllow, gate: make(chan struct{})}
	_, st := newService(t, dec, nil)
	fu, _ := newFollowUps(t, dec, st, func(c *FollowUpConfig) { c.Queue, c.Workers, c.Sweep = 4, 1, time.Hour })
	s, err := New(Config{Decider: dec, Store: st, FollowUps: fu})
	if err != nil {
		t.Fatal(err)
	}
	fu.Start()
	for _, id := range []string{"k1", "k2", "k3"} {
		if _, err := s.Moderate(ctx, imageEvent(id, "a threat")); err != nil {
			t.Fatal(err)
		}
	}
	if err := fu.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// All three are free to claim now, without waiting for their lease.
	ps, err := st.ClaimPendingTexts(ctx, "next-start", 10, time.Now(), time.Minute)
	if err != nil || len(ps) != 3 {
		t.Fatalf("claimable after close: %d, %v; want 3", len(ps), err)
	}
}
