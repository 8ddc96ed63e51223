package main

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/behaviour"
	"github.com/haechi-tns/haechi/internal/racetest"
	"github.com/haechi-tns/haechi/pipelines/demo"
)

// TestDemoTrafficIsJudgedAsWritten runs the demo's chat and voice events
// through the real engine: the benign lines must pass and the harmful ones
// must be caught, or the demo would show a newcomer the wrong picture.
//
// The engine keeps behavioural state, as serve does, and the demo's clock
// runs at the 20 events a second of `make run`, so rates, waves and
// conversations unfold as they would there.
func TestDemoTrafficIsJudgedAsWritten(t *testing.T) {
	racetest.Heavy(t)
	ctx := context.Background()
	tracker, err := behaviour.NewTracker(behaviour.TrackerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	k, err := newCore(ctx, Config{DataDir: t.TempDir(), Behaviour: tracker}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	gen := demo.New(7, demoClock(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC), 50*time.Millisecond))
	type tally struct{ n, restricted int }
	byCat := map[string]*tally{}
	for range demoEvents {
		ev, cat := gen.NextLabelled()
		if ev.Kind == engine.KindImage {
			continue
		}
		d, err := k.pipeline.Decide(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		if byCat[cat] == nil {
			byCat[cat] = &tally{}
		}
		byCat[cat].n++
		if d.Action.Restricts() {
			byCat[cat].restricted++
		}
	}
	for cat, c := range byCat {
		rate := float64(c.restricted) / float64(c.n)
		t.Logf("%-10s %4d events, %5.1f%% restricted", cat, c.n, 100*rate)
		switch {
		case cat == "benign" && rate > 0.01:
			t.Errorf("%.1f%% of benign demo lines restricted, want at most 1%%", 100*rate)
		case cat != "benign" && rate < minCaught[cat]:
			t.Errorf("%.1f%% of %s demo lines restricted, want at least %.0f%%", 100*rate, cat, 100*minCaught[cat])
		}
	}
}

// demoEvents is how many demo events the test draws: enough for a few
// dozen of each behavioural pattern.
const demoEvents = 12_000

// demoClock is a clock that moves on by step at each reading.
func demoClock(start time.Time, step time.Duration) func() time.Time {
	now := start
	return func() time.Time {
		now = now.Add(step)
		return now
	}
}

// minCaught is, per harm, the share of demo lines the engine must restrict,
// a little under what it restricted when the demo was written (seed 7:
// profanity 91 %, PII 84 %, scam 60 %, self-harm 55 %, insult 51 %,
// threats 50 %) and when its link spam took obfuscated forms (spam 84 %:
// every line with a link but one, not the flood of ㅋ without one). Hate
// without slurs (about 5 %) is a known gap, logged but not held to a
// floor until the engine catches it. The behavioural patterns were
// measured with the tracker over seeds 1-3, 20,000 events each (without
// it in brackets): grooming 81.0 % (18.1 %), adults' contact lines 87.7 %
// (38.0 %), spam waves 87.1 % (60.6 %), floods 71.5 % (3.2 %), pile-ons
// 51.7 % (43.2 %), benign 0.4 % (0.3 %). A grooming conversation's opener
// shows no cue and is never held; pile-ons are held only where the text
// model sees some abuse, and it misses much mild Korean scorn.
var minCaught = map[string]float64{
	"profanity": 0.85, "pii": 0.75, "scam": 0.5, "self_harm": 0.45, "insult": 0.4, "threat": 0.4,
	"spam": 0.75, "hate": 0, "contact": 0.75,
	"grooming": 0.72, "spam_wave": 0.75, "pile_on": 0.4, "flood": 0.6,
}
