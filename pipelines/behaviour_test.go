package pipelines_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/behaviour"
	"github.com/haechi-tns/haechi/pipelines"
)

// trackingDecider decides every event allow and keeps, in the decision,
// the behavioural signals its tracker observed, as engine.Pipeline does
// for restricting decisions.
type trackingDecider struct{ t *behaviour.Tracker }

func (d trackingDecider) DecideBatch(ctx context.Context, evs []*engine.Event) ([]*engine.Decision, []error) {
	out := make([]*engine.Decision, len(evs))
	errs := make([]error, len(evs))
	for i, ev := range evs {
		b, err := d.t.Observe(ctx, ev, &engine.Signals{Fingerprint: behaviour.NewFingerprint([]rune(ev.Text()))})
		if err != nil {
			errs[i] = err
			continue
		}
		out[i] = &engine.Decision{
			ID: uuid.NewString(), EventID: ev.ID, EventKind: ev.Kind, World: ev.World, Space: ev.Space,
			SenderID: ev.Sender.ID, Action: engine.ActionAllow, Severity: "none", PolicyRevision: "test",
			RuleIDs: []string{}, Reasons: []engine.Reason{}, DecidedAt: time.Now().UTC(), Behaviour: b,
		}
	}
	return out, errs
}

// TestBehaviourSurvivesTheWorker: a worker that stops saves its
// partitions' behavioural state; the worker that takes the partitions
// over (a restart, or another member of the group) reads it back and
// counts on, so a sender's rate does not start again from zero.
func TestBehaviourSurvivesTheWorker(t *testing.T) {
	e := newEnv(t)
	flood := func(from, n int) []*engine.Event {
		var evs []*engine.Event
		for i := from; i < from+n; i++ {
			ev := chatEvent(fmt.Sprintf("flood-%04d", i), "같은 말 또 하고 또 하고")
			ev.Sender.ID = "flooder"
			ev.SentAt = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
			evs = append(evs, ev)
		}
		return evs
	}
	newTracker := func() *behaviour.Tracker {
		tr, err := behaviour.NewTracker(behaviour.TrackerConfig{Persister: e.store})
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	first := newTracker()
	w1, _ := e.worker(t, trackingDecider{first}, "behaviour", workerOpt(func(c *pipelines.WorkerConfig) { c.Behaviour = first }))
	stop1 := run(w1)
	produce(t, e, flood(0, 20)...)
	waitStored(t, e, 20, 60*time.Second)
	stop1()

	second := newTracker()
	w2, _ := e.worker(t, trackingDecider{second}, "behaviour", workerOpt(func(c *pipelines.WorkerConfig) { c.Behaviour = second }))
	stop2 := run(w2)
	defer stop2()
	produce(t, e, flood(20, 5)...)
	waitStored(t, e, 25, 60*time.Second)
	ids := []string{"flood-0020", "flood-0021", "flood-0022", "flood-0023", "flood-0024"}
	got, err := e.store.DecisionsForEvents(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	// The five messages after the hand-over may arrive in any order; the
	// last one the new worker observed counts all 25 in the last 10
	// minutes (without the saved state it would count 5).
	most := 0
	for _, id := range ids {
		d := got[id]
		if d == nil || d.Behaviour == nil {
			t.Fatalf("%s: decision %+v", id, d)
		}
		most = max(most, d.Behaviour.Rate10m)
	}
	if most != 25 {
		t.Errorf("after the hand-over the flooder's messages count at most %d in 10 minutes, want 25", most)
	}
}
