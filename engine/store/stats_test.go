package store

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
)

// statsW0 is the first day of the dashboards' test window: midnight in
// Seoul, 15:00 UTC the day before.
var statsW0 = time.Date(2026, 11, 21, 0, 0, 0, 0, time.FixedZone("KST", 9*60*60))

// catchUp calls SampleStats at now until the decision rollup has caught
// up (a first rollup starts 31 days back, 48 hours a call). It may run in
// a goroutine of its own: it reports failures with t.Error.
func catchUp(t *testing.T, s *Store, now time.Time) {
	t.Helper()
	for range 20 {
		if err := s.SampleStats(context.Background(), now); err != nil {
			t.Error(err)
			return
		}
		d, err := s.Dashboard(context.Background(), StatsWindow{From: statsW0, Days: 1})
		if err != nil {
			t.Error(err)
			return
		}
		if d.CountedUntil.Equal(now.Add(-statsLag).Truncate(time.Millisecond)) {
			return
		}
	}
	t.Error("the decision rollup did not catch up in 20 calls")
}

func statsDecision(id string, action engine.Action, space engine.SpaceType, at time.Time, cats ...engine.Category) *engine.Decision {
	d := decision("d-"+id, "e-"+id, action)
	d.Space.Type, d.Categories, d.DecidedAt, d.SenderID = space, cats, at.UTC(), "author-"+id
	return d
}

func TestDashboardCountsAutomatedDecisions(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		h := func(n float64) time.Time { return statsW0.Add(time.Duration(n * float64(time.Hour))) }
		now := h(50)
		ds := []*engine.Decision{
			statsDecision("a1", engine.ActionAllow, engine.SpacePlaza, h(1)),
			statsDecision("a2", engine.ActionAllow, engine.SpacePlaza, h(1)),
			statsDecision("a3", engine.ActionAllow, engine.SpacePlaza, h(1.5)),
			statsDecision("b1", engine.ActionBlock, engine.SpacePlaza, h(2), engine.Spam, engine.Scam),
			statsDecision("h1", engine.ActionHold, engine.SpaceYouth, h(3), engine.Insult),
			statsDecision("a4", engine.ActionAllow, engine.SpaceYouth, h(25)),
			statsDecision("a5", engine.ActionAllow, engine.SpaceYouth, h(25)),
			statsDecision("r1", engine.ActionRedact, engine.SpaceYouth, h(25.5), engine.PIICategory),
			// Before the window, and too recent to be counted yet.
			statsDecision("old", engine.ActionBlock, engine.SpacePlaza, h(-1), engine.Spam),
			statsDecision("new", engine.ActionBlock, engine.SpacePlaza, now.Add(-time.Minute), engine.Threat),
		}
		ds[4].Queue = QueueGeneral
		if _, err := s.SaveDecisions(ctx, ds); err != nil {
			t.Fatal(err)
		}
		// Callers at once, as several processes' housekeeping would be,
		// count every decision once.
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() { catchUp(t, s, now) })
		}
		wg.Wait()

		w := StatsWindow{From: statsW0, Days: 3}
		d, err := s.Dashboard(ctx, w)
		if err != nil {
			t.Fatal(err)
		}
		wantCounts(t, "decisions", d.Decisions, []DayCount{
			{0, "allow", 3}, {0, "block", 1}, {0, "hold", 1}, {1, "allow", 2}, {1, "redact", 1}})
		wantCounts(t, "categories", d.Categories, []DayCount{
			{0, "insult", 1}, {0, "scam", 1}, {0, "spam", 1}, {1, "pii", 1}})
		if want := []SpaceFlags{{"plaza", 4, 1}, {"youth", 4, 2}}; !slices.Equal(d.Spaces, want) {
			t.Errorf("spaces %+v, want %+v", d.Spaces, want)
		}
		if !d.CountedUntil.Equal(now.Add(-statsLag)) {
			t.Errorf("counted until %v, want %v", d.CountedUntil, now.Add(-statsLag))
		}

		// Ten minutes later the recent block is counted, once.
		catchUp(t, s, now.Add(10*time.Minute))
		if d, err = s.Dashboard(ctx, w); err != nil {
			t.Fatal(err)
		}
		wantCounts(t, "decisions", d.Decisions, []DayCount{
			{0, "allow", 3}, {0, "block", 1}, {0, "hold", 1}, {1, "allow", 2}, {1, "redact", 1}, {2, "block", 1}})
		if want := []SpaceFlags{{"plaza", 5, 2}, {"youth", 4, 2}}; !slices.Equal(d.Spaces, want) {
			t.Errorf("spaces %+v, want %+v", d.Spaces, want)
		}
		// The day before the window holds the older block.
		d, err = s.Dashboard(ctx, StatsWindow{From: statsW0.AddDate(0, 0, -1), Days: 1})
		if err != nil {
			t.Fatal(err)
		}
		wantCounts(t, "the day before", d.Decisions, []DayCount{{0, "block", 1}})
	})
}

func TestDashboardCountsQueuesSLAsOutcomesAndAppeals(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		h := func(n float64) time.Time { return statsW0.Add(time.Duration(n * float64(time.Hour))) }
		now := h(50)
		a := statsDecision("A", engine.ActionHold, engine.SpacePlaza, h(1), engine.Insult)
		b := statsDecision("B", engine.ActionHold, engine.SpacePlaza, h(2), engine.Spam)
		y := statsDecision("Y", engine.ActionEscalate, engine.SpaceYouth, h(3), engine.SelfHarm)
		c := statsDecision("C", engine.ActionBlock, engine.SpacePlaza, h(1), engine.Threat) // no case: automated
		a.Queue, b.Queue, y.Queue = QueueGeneral, QueueGeneral, QueueYouthSafety
		a.Severity, b.Severity, y.Severity, c.Severity = "medium", "low", "high", "high"
		for _, d := range []*engine.Decision{c, a, b, y} {
			if _, err := s.SaveDecisions(ctx, []*engine.Decision{d}); err != nil {
				t.Fatal(err)
			}
		}
		sample := func(at time.Time) {
			t.Helper()
			if err := s.SampleStats(ctx, at); err != nil {
				t.Fatal(err)
			}
		}
		decide := func(queue string, m Moderator, kind string, at time.Time) *Case {
			t.Helper()
			got, err := s.ClaimNext(ctx, queue, m, time.Hour, at)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Decide(ctx, got.ID, m, Outcome{Kind: kind}, at); err != nil {
				t.Fatal(err)
			}
			return got
		}
		file := func(d *engine.Decision, at time.Time) {
			t.Helper()
			if _, err := s.FileAppeal(ctx, d.ID, d.SenderID, "please", at); err != nil {
				t.Fatal(err)
			}
		}
		decideAppeal := func(m Moderator, overturn bool, at time.Time) {
			t.Helper()
			got, err := s.ClaimNext(ctx, QueueAppeals, m, time.Hour, at)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.DecideAppeal(ctx, got.ID, m, overturn, "", at); err != nil {
				t.Fatal(err)
			}
		}

		sample(h(3.5))
		sample(h(3.55))                                           // the same five minutes: no second sample
		decide(QueueYouthSafety, counselor, OutcomeDismiss, h(5)) // an hour past its SLA
		decide(QueueGeneral, mod, OutcomeRemove, h(6))            // A, in time
		file(a, h(6.5))
		decideAppeal(mod2, false, h(6.75)) // upheld by another reviewer
		file(c, h(7))
		decideAppeal(mod, true, h(7.25)) // proposed
		sample(h(26))
		decideAppeal(mod2, true, h(30)) // and approved the next day

		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM queue_samples`).Scan(&n); err != nil || n != 2*len(QueueOrder) {
			t.Errorf("%d queue samples (%v), want %d: one per queue per five minutes", n, err, 2*len(QueueOrder))
		}
		d, err := s.Dashboard(ctx, StatsWindow{From: statsW0, Days: 3})
		if err != nil {
			t.Fatal(err)
		}
		var points []QueuePoint
		for _, p := range d.Queues {
			if p.Open > 0 {
				points = append(points, p)
			}
		}
		wantPoints := []QueuePoint{
			{3, QueueGeneral, 2, 150 * time.Minute}, {3, QueueYouthSafety, 1, 30 * time.Minute},
			{26, QueueAppeals, 1, 19 * time.Hour}, {26, QueueGeneral, 1, 24 * time.Hour},
		}
		if !slices.Equal(points, wantPoints) {
			t.Errorf("queue points %+v, want %+v", points, wantPoints)
		}
		if len(d.Queues) != 2*len(QueueOrder) {
			t.Errorf("%d queue points, want every queue at both hours", len(d.Queues))
		}
		if !d.LastSample.Equal(h(26)) {
			t.Errorf("last sample %v, want %v", d.LastSample, h(26))
		}

		// Cases are counted up to five minutes ago: once caught up, all.
		catchUp(t, s, now)
		if d, err = s.Dashboard(ctx, StatsWindow{From: statsW0, Days: 3}); err != nil {
			t.Fatal(err)
		}
		// Y was decided after its hour; B is still open past its day.
		wantCounts(t, "SLA breaches", d.SLABreaches, []DayCount{{0, QueueYouthSafety, 1}, {1, QueueGeneral, 1}})
		wantCounts(t, "outcomes", d.Outcomes, []DayCount{{0, OutcomeDismiss, 1}, {0, OutcomeRemove, 1}, {0, AppealUpheld, 1}, {1, AppealOverturned, 1}})
		wantCounts(t, "reviewers", d.Reviewers, []DayCount{{0, counselor.ID, 1}, {0, mod.ID, 1}, {0, mod2.ID, 1}, {1, mod2.ID, 1}})
		if want := []AppealDay{{Day: 0, Automated: false, Upheld: 1}, {Day: 1, Automated: true, Overturned: 1}}; !slices.Equal(d.Appeals, want) {
			t.Errorf("appeals %+v, want %+v", d.Appeals, want)
		}

		// A window after all of it is empty, and one too long is refused.
		if d, err = s.Dashboard(ctx, StatsWindow{From: statsW0.AddDate(0, 0, 3), Days: 7}); err != nil {
			t.Fatal(err)
		} else if len(d.Queues)+len(d.SLABreaches)+len(d.Outcomes)+len(d.Appeals) != 0 || !d.LastSample.IsZero() {
			t.Errorf("a later window holds %+v", d)
		}
		if _, err := s.Dashboard(ctx, StatsWindow{From: statsW0, Days: MaxStatsDays + 1}); err == nil {
			t.Error("a window of 32 days was read")
		}
	})
}

func wantCounts(t *testing.T, what string, got, want []DayCount) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: %+v, want %+v", what, got, want)
	}
}
