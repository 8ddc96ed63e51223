package shadow

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/haechi-tns/haechi/engine"
)

// policyFunc is a policy made of a function.
type policyFunc func(ctx context.Context, in *engine.PolicyInput) (*engine.PolicyResult, error)

func (f policyFunc) Evaluate(ctx context.Context, in *engine.PolicyInput) (*engine.PolicyResult, error) {
	return f(ctx, in)
}

func result(rev string, a engine.Action, rules ...string) *engine.PolicyResult {
	r := &engine.PolicyResult{Action: a, Revision: rev, Severity: "none", Categories: []engine.Category{}, RuleIDs: rules, Reasons: []engine.Reason{}}
	if a != engine.ActionAllow {
		r.Severity, r.Categories, r.Principle, r.Value = "high", []engine.Category{engine.Insult}, "inclusiveness", "safe_experience"
		for _, id := range rules {
			r.Reasons = append(r.Reasons, engine.Reason{RuleID: id, KO: "이유", EN: "reason"})
		}
	}
	return r
}

// live blocks events whose id starts with "bad", allows the rest.
var live = policyFunc(func(_ context.Context, in *engine.PolicyInput) (*engine.PolicyResult, error) {
	if strings.HasPrefix(in.Event.ID, "bad") {
		return result("live", engine.ActionBlock, "live.rule"), nil
	}
	return result("live", engine.ActionAllow), nil
})

type textClassifier struct{}

func (textClassifier) Name() string    { return "fake" }
func (textClassifier) Version() string { return "1" }
func (textClassifier) ClassifyText(context.Context, engine.TextInput) (engine.TextResult, error) {
	return engine.TextResult{}, nil
}

func events(ids ...string) []*engine.Event {
	var out []*engine.Event
	for _, id := range ids {
		out = append(out, &engine.Event{ID: id, Kind: engine.KindChat, World: "w", Space: engine.Space{ID: "s", Type: engine.SpaceYouth},
			Sender: engine.Party{ID: "u", Role: engine.RoleCitizen}, Chat: &engine.ChatMessage{Text: "hello"}})
	}
	return out
}

// decide runs the pipeline, with the shadow observing it, as the
// moderation service does for the API and the worker, and checks that
// every decision is the live policy's.
func decide(t *testing.T, sh *Shadow, evs []*engine.Event) time.Duration {
	t.Helper()
	p := engine.NewPipeline(live, engine.WithTextClassifiers(textClassifier{}), engine.WithObserver(sh))
	start := time.Now()
	ds, errs := p.DecideBatch(context.Background(), evs)
	took := time.Since(start)
	for i, d := range ds {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		want := engine.ActionAllow
		if strings.HasPrefix(evs[i].ID, "bad") {
			want = engine.ActionBlock
		}
		if d.Action != want || d.PolicyRevision != "live" {
			t.Errorf("%s decided %s by %s, want %s by the live policy", evs[i].ID, d.Action, d.PolicyRevision, want)
		}
	}
	return took
}

func TestShadowCountsDifferencesAndNeverEnforces(t *testing.T) {
	sh := New(Config{Workers: 2})
	defer sh.Close(context.Background())
	reg := prometheus.NewRegistry()
	if err := sh.Register(reg); err != nil {
		t.Fatal(err)
	}
	decide(t, sh, events("bad-0", "ok-0")) // no candidate: nothing counted
	// The candidate holds everything.
	sh.SetCandidate(&Candidate{Revision: "cand", Policy: policyFunc(func(context.Context, *engine.PolicyInput) (*engine.PolicyResult, error) {
		return result("cand", engine.ActionHold, "cand.rule"), nil
	})})
	decide(t, sh, events("bad-1", "ok-1", "ok-2", "bad-2", "ok-3"))
	if err := sh.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	rev, tally := sh.Drain()
	if rev != "cand" || tally.Compared != 5 || tally.Differing != 5 {
		t.Fatalf("drained %s: %d compared, %d differing", rev, tally.Compared, tally.Differing)
	}
	tr := tally.Transitions()
	if len(tr) != 2 || tr[0] != (Transition{engine.ActionAllow, engine.ActionHold, 3}) || tr[1] != (Transition{engine.ActionBlock, engine.ActionHold, 2}) {
		t.Errorf("transitions %+v", tr)
	}
	rows := tally.Rows(DimRule)
	if len(rows) != 2 || rows[0] != (Row{"cand.rule", 0, 5}) || rows[1] != (Row{"live.rule", 2, 0}) {
		t.Errorf("rules %+v", rows)
	}
	if sp := tally.Rows(DimSpace); len(sp) != 1 || sp[0] != (Row{"youth", 2, 5}) {
		t.Errorf("restricted by space %+v", sp)
	}
	if n := counter(t, reg, "haechi_shadow_differences_total", "hold", "allow", "youth"); n != 3 {
		t.Errorf("allow → hold in youth counted %v", n)
	}
	if n := counter(t, reg, "haechi_shadow_rule_differences_total", "removed", "live.rule"); n != 2 {
		t.Errorf("live.rule removed counted %v", n)
	}
	if len(tally.Examples) != 5 || tally.Examples[0].DecisionID == "" || tally.Examples[0].Live.Revision != "live" {
		t.Errorf("examples %+v", tally.Examples)
	}
	// Stopping the shadow counts nothing more.
	sh.SetCandidate(nil)
	decide(t, sh, events("bad-3"))
	sh.Wait(context.Background())
	if rev, tally := sh.Drain(); rev != "" || tally.Compared != 0 {
		t.Errorf("after stop: %s %d", rev, tally.Compared)
	}
}

func TestFailingCandidateDoesNotAffectLive(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	cases := []struct {
		name   string
		policy policyFunc
		reason string
	}{
		{"error", func(context.Context, *engine.PolicyInput) (*engine.PolicyResult, error) {
			return nil, errors.New("boom")
		}, "error"},
		{"invalid result", func(context.Context, *engine.PolicyInput) (*engine.PolicyResult, error) {
			return &engine.PolicyResult{Action: "obliterate"}, nil
		}, "error"},
		{"panic", func(context.Context, *engine.PolicyInput) (*engine.PolicyResult, error) { panic("candidate bug") }, "panic"},
		{"timeout", func(ctx context.Context, _ *engine.PolicyInput) (*engine.PolicyResult, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}, "timeout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sh := New(Config{Workers: 1, Timeout: 20 * time.Millisecond})
			defer sh.Close(context.Background())
			sh.SetCandidate(&Candidate{Revision: "cand", Policy: tc.policy})
			decide(t, sh, events("bad-1", "ok-1"))
			if err := sh.Wait(context.Background()); err != nil {
				t.Fatal(err)
			}
			_, tally := sh.Drain()
			if f := tally.Failures(); f[tc.reason] != 2 || tally.Compared != 0 {
				t.Errorf("failures %v, compared %d; want 2 %s", f, tally.Compared, tc.reason)
			}
		})
	}
	t.Run("stuck", func(t *testing.T) {
		// A candidate that ignores its deadline holds its one worker;
		// the queue fills and later comparisons are skipped, while live
		// decisions go on at their own speed.
		sh := New(Config{Workers: 1, Queue: 2, Timeout: 10 * time.Millisecond})
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
			defer cancel()
			sh.Close(ctx)
		}()
		sh.SetCandidate(&Candidate{Revision: "cand", Policy: policyFunc(func(context.Context, *engine.PolicyInput) (*engine.PolicyResult, error) {
			<-block
			return nil, errors.New("released")
		})})
		took := decide(t, sh, events("a", "b", "c", "d", "e", "f", "g", "h"))
		if took > 500*time.Millisecond {
			t.Errorf("live decisions took %v beside a stuck candidate", took)
		}
		time.Sleep(20 * time.Millisecond)
		_, tally := sh.Drain()
		if f := tally.Failures(); f["skipped"] < 5 {
			t.Errorf("failures %v, want most comparisons skipped", f)
		}
	})
}

// counter returns the value of the counter name whose label values, in
// the order of the label names, are values.
func counter(t *testing.T, reg *prometheus.Registry, name string, values ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for i, l := range m.GetLabel() {
				if i >= len(values) || l.GetValue() != values[i] {
					continue metrics
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}
