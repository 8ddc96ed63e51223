package store

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
)

func TestParseMonth(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Month
		ok   bool
	}{
		{"2026-11", Month{2026, time.November}, true},
		{"2000-01", Month{2000, time.January}, true},
		{"2026-13", Month{}, false},
		{"2026-00", Month{}, false},
		{"1999-12", Month{}, false},
		{"2026-1", Month{}, false},
		{"2026-11-01", Month{}, false},
		{" 2026-11", Month{}, false},
		{"２０２６-11", Month{}, false},
		{"", Month{}, false},
	} {
		got, err := ParseMonth(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseMonth(%q) = %v, %v", tt.in, got, err)
		}
	}
	m := Month{2026, time.November}
	if got := m.Start(); !got.Equal(time.Date(2026, 10, 31, 15, 0, 0, 0, time.UTC)) {
		t.Errorf("start %v", got)
	}
	if got := m.End(); !got.Equal(time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC)) {
		t.Errorf("end %v", got)
	}
	if m.Prev() != (Month{2026, time.October}) || (Month{2026, time.January}).Prev() != (Month{2025, time.December}) {
		t.Error("Prev")
	}
	if MonthOf(time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC)) != (Month{2026, time.December}) {
		t.Error("MonthOf the first instant of December in KST")
	}
}

var november = Month{2026, time.November}

// utc is a time of 2026 in UTC; KST is nine hours ahead, so November
// in KST runs from 10-31 15:00 to 11-30 15:00 UTC.
func utc(month time.Month, day, hour, minute int) time.Time {
	return time.Date(2026, month, day, hour, minute, 0, 0, time.UTC)
}

// seedNovember stores a month of moderation with its edges: decisions,
// reports and restrictions on both sides of November's first and last
// instants in KST, an ignored reporter, appeals filed in October and
// decided in November and filed in November and decided in December.
func seedNovember(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	dec := func(id string, action engine.Action, queue string, space engine.SpaceType, at time.Time, cats ...engine.Category) *engine.Decision {
		d := reviewDecision(id, action, queue, cats...)
		d.Space.Type, d.DecidedAt = space, at
		return d
	}
	start, end := november.Start(), november.End()
	ds := []*engine.Decision{
		dec("first", engine.ActionBlock, "", engine.SpacePlaza, start, engine.Insult), // first instant
		dec("held", engine.ActionHold, QueueGeneral, engine.SpaceBusiness, utc(11, 10, 0, 0), engine.Spam, engine.Scam),
		dec("fine", engine.ActionAllow, "", engine.SpacePlaza, utc(11, 10, 0, 0)),
		dec("masked", engine.ActionRedact, "", engine.SpaceYouth, utc(11, 11, 0, 0), engine.PIICategory),
		dec("last", engine.ActionBlock, "", engine.SpacePlaza, end.Add(-time.Second), engine.Insult), // last second
		dec("december", engine.ActionBlock, "", engine.SpacePlaza, end, engine.Insult),               // next month
		dec("october", engine.ActionEscalate, QueueYouthSafety, engine.SpaceYouth, start.Add(-time.Second), engine.SelfHarm),
		dec("oct-block", engine.ActionBlock, "", engine.SpacePlaza, utc(10, 10, 0, 0), engine.Hate),
	}
	if _, err := s.SaveDecisions(ctx, ds); err != nil {
		t.Fatal(err)
	}
	mod := Moderator{ID: "mod-1", Roles: []string{RoleModerator, RoleAppeals, RoleCounsellor, RoleSenior}}
	mod2 := Moderator{ID: "mod-2", Roles: []string{RoleModerator, RoleAppeals}}
	if err := s.IgnoreReporter(ctx, "bad", "floods", mod, utc(11, 1, 0, 0)); err != nil {
		t.Fatal(err)
	}
	if err := s.IgnoreReporter(ctx, "older", "floods", mod, utc(10, 1, 0, 0)); err != nil {
		t.Fatal(err)
	}
	report := func(reporter, kind, target string, cat engine.Category, space string, at time.Time) *Report {
		r, err := s.FileReport(ctx, &Report{ReporterID: reporter, TargetKind: kind, TargetID: target, Category: cat,
			SpaceType: space, Details: "free text about " + target}, at)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r1 := report("a", TargetMessage, "e-x", engine.Insult, "plaza", utc(11, 5, 0, 0))
	report("b", TargetMessage, "e-x", engine.Insult, "plaza", utc(11, 5, 1, 0))
	r3 := report("bad", TargetUser, "u-z", engine.Harassment, "", utc(11, 6, 0, 0))
	r4 := report("c", TargetMessage, "e-y", engine.Hate, "youth", end)
	r5 := report("d", TargetImage, "e-img", engine.Sexual, "plaza", start)

	decideCase(t, s, r1.CaseID, mod, Outcome{Kind: OutcomeRemove}, utc(11, 5, 2, 0))                             // 2 h after the first report
	decideCase(t, s, r5.CaseID, mod, Outcome{Kind: OutcomeSuspend, Duration: 72 * time.Hour}, utc(11, 1, 15, 0)) // 24 h
	decideCase(t, s, r3.CaseID, mod, Outcome{Kind: OutcomeDismiss}, utc(11, 7, 0, 0))
	held, err := s.openCaseFor(ctx, s.db, "event:e-held")
	if err != nil {
		t.Fatal(err)
	}
	decideCase(t, s, held.ID, mod, Outcome{Kind: OutcomeDismiss}, utc(11, 10, 1, 0))
	decideCase(t, s, r4.CaseID, mod, Outcome{Kind: OutcomeBan}, end.Add(time.Hour)) // December

	appeal := func(id string, filed time.Time) {
		t.Helper()
		if _, err := s.FileAppeal(ctx, "d-"+id, "author-"+id, "I did nothing wrong", filed); err != nil {
			t.Fatal(err)
		}
	}
	appeal("oct-block", utc(10, 20, 0, 0))
	decideAppeal(t, s, []Moderator{mod, mod2}, true, utc(11, 3, 0, 0)) // 14 days
	appeal("last", utc(11, 30, 14, 0))
	decideAppeal(t, s, []Moderator{mod}, false, utc(11, 30, 14, 30)) // 30 min
	appeal("first", utc(11, 20, 0, 0))
	decideAppeal(t, s, []Moderator{mod, mod2}, true, utc(12, 2, 0, 0)) // open at the end of November
}

// decideCase has m claim case caseID (passing over the others of its
// queue) and decide o on it at at.
func decideCase(t *testing.T, s *Store, caseID string, m Moderator, o Outcome, at time.Time) {
	t.Helper()
	ctx := context.Background()
	target, err := s.Case(ctx, caseID)
	if err != nil {
		t.Fatal(err)
	}
	var others []string
	for {
		c, err := s.ClaimNext(ctx, target.Queue, m, time.Hour, at)
		if err != nil {
			t.Fatalf("claiming %s: %v", caseID, err)
		}
		if c.ID == caseID {
			break
		}
		others = append(others, c.ID)
	}
	if err := s.Decide(ctx, caseID, m, o, at); err != nil {
		t.Fatal(err)
	}
	for _, id := range others {
		if err := s.Release(ctx, id, m, at); err != nil {
			t.Fatal(err)
		}
	}
}

// decideAppeal has each of ms claim the next appeal and decide it: one
// to uphold, two to overturn.
func decideAppeal(t *testing.T, s *Store, ms []Moderator, overturn bool, at time.Time) {
	t.Helper()
	for _, m := range ms {
		c, err := s.ClaimNext(context.Background(), QueueAppeals, m, time.Hour, at)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.DecideAppeal(context.Background(), c.ID, m, overturn, "", at); err != nil {
			t.Fatal(err)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestTransparencyCountsTheMonth: a seeded November gives exact counts
// and medians, edges in KST included.
func TestTransparencyCountsTheMonth(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		seedNovember(t, s)
		r, err := s.TransparencyReport(ctx, november, utc(12, 5, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		if !r.Final || r.Period.Month != "2026-11" || !r.Period.Start.Equal(november.Start()) || !strings.Contains(r.Period.TimeZone, "+09:00") {
			t.Errorf("period %+v final %v", r.Period, r.Final)
		}
		n := r.Notices
		check(t, "notices.received", n.Received, 4)
		check(t, "notices.by_category", n.ByCategory, map[string]int64{"insult": 2, "harassment": 1, "sexual": 1}, zeroOf(n.ByCategory))
		check(t, "notices.by_space", n.BySpaceType, map[string]int64{"plaza": 3, "unspecified": 1}, zeroOf(n.BySpaceType))
		check(t, "notices.by_target", n.ByTarget, map[string]int64{"message": 2, "user": 1, "image": 1})
		check(t, "notices.from_ignored", n.FromIgnored, 1)
		check(t, "notices.reporters_ignored", n.ReportersIgnored, 1)
		check(t, "notices.cases_closed", n.CasesClosed, 3)
		check(t, "notices.by_outcome", n.ByOutcome, map[string]int64{"remove": 1, "suspend": 1, "dismiss": 1}, zeroOf(n.ByOutcome))
		check(t, "notices.actioned", n.Actioned, 2)
		check(t, "notices.median", n.MedianSecondsToAction, ptr(int64((7200+86400)/2)))

		o := r.OwnInitiative
		check(t, "own.decisions", o.Decisions, 5)
		check(t, "own.restricting", o.Restricting, 4)
		check(t, "own.by_action", o.ByAction, map[string]int64{"allow": 1, "redact": 1, "hold": 1, "block": 2, "escalate": 0})
		check(t, "own.by_restriction", o.ByRestriction, map[string]int64{"content_removed": 2, "content_disabled": 1, "content_partially_masked": 1})
		check(t, "own.by_space", o.RestrictingBySpace, map[string]int64{"plaza": 2, "business": 1, "youth": 1}, zeroOf(o.RestrictingBySpace))
		check(t, "own.sent_to_review", o.SentToReview, 1)
		for cat, want := range map[string]map[string]int64{"insult": {"block": 2}, "spam": {"hold": 1}, "scam": {"hold": 1}, "pii": {"redact": 1}} {
			check(t, "own.by_category."+cat, o.ByCategoryAction[cat], want, zeroOf(o.ByCategoryAction[cat]))
		}
		if len(o.ByCategoryAction) != 4 {
			t.Errorf("categories %v", o.ByCategoryAction)
		}

		h := r.Human
		check(t, "human.closed", h.Closed, 4)
		check(t, "human.by_source", h.BySource, map[string]int64{"report": 3, "decision": 1})
		check(t, "human.median", h.MedianSecondsToClose, ptr(int64((7200+86400)/2)))

		c := r.Complaints
		check(t, "complaints.received", c.Received, 2)
		check(t, "complaints.received_automated", c.ReceivedOfAutomated, 2)
		check(t, "complaints.decided", c.Decided, 2)
		check(t, "complaints.upheld", c.Upheld, 1)
		check(t, "complaints.reversed", c.Overturned, 1)
		check(t, "complaints.median", c.MedianSecondsToDecide, ptr(int64((1800+14*86400)/2)))
		check(t, "complaints.open_at_end", c.OpenAtPeriodEnd, 1)

		check(t, "restrictions.total", r.Restrictions.Total, 1)
		check(t, "restrictions.by_kind", r.Restrictions.ByKind, map[string]int64{"suspend": 1, "mute": 0, "ban": 0})

		a := r.Automated
		check(t, "automated.restrictions", a.Restrictions, 4)
		check(t, "automated.reviewed", a.Reviewed, 1)
		check(t, "automated.released", a.Released, 1)
		check(t, "automated.release_rate", a.ReleaseRate, ptr(1.0))
		check(t, "automated.appeals", a.AppealsDecided, 2)
		check(t, "automated.reversed", a.Overturned, 1)
		check(t, "automated.reversal_rate", a.OverturnRate, ptr(0.5))

		// December holds the rest; October's decisions stay October's.
		dec, err := s.TransparencyReport(ctx, Month{2026, time.December}, utc(12, 5, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		check(t, "december.decisions", dec.OwnInitiative.Decisions, 1)
		check(t, "december.notices", dec.Notices.Received, 1)
		check(t, "december.ban", dec.Restrictions.ByKind["ban"], 1)
		check(t, "december.appeals_decided", dec.Complaints.Decided, 1)
		if dec.Final {
			t.Error("the current month is final")
		}
	})
}

// TestTransparencyReportIsFrozen: a month's report, once its month has
// ended, reads the same after what it counted changes (a reporter
// ignored later, retention); the current month is not kept; a month to
// come is refused.
func TestTransparencyReportIsFrozen(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		seedNovember(t, s)
		// During November: provisional, not stored.
		during, err := s.TransparencyReport(ctx, november, utc(11, 25, 0, 0))
		if err != nil || during.Final {
			t.Fatalf("during the month: %+v %v", during, err)
		}
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM transparency_reports`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d reports stored during the month (%v)", n, err)
		}
		// Just after its end, before every decision is surely stored: still provisional.
		if r, err := s.TransparencyReport(ctx, november, november.End().Add(time.Minute)); err != nil || r.Final {
			t.Errorf("a minute after the end: final %v, %v", r != nil && r.Final, err)
		}
		first, err := s.TransparencyReport(ctx, november, utc(12, 5, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.IgnoreReporter(ctx, "a", "late", Moderator{ID: "mod-1"}, utc(12, 6, 0, 0)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ApplyRetention(ctx, utc(12, 6, 0, 0).AddDate(1, 0, 0), DefaultRetention()); err != nil {
			t.Fatal(err)
		}
		again, err := s.TransparencyReport(ctx, november, utc(12, 7, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		a, _ := json.Marshal(first)
		b, _ := json.Marshal(again)
		if string(a) != string(b) {
			t.Errorf("the frozen report changed:\n%s\n%s", a, b)
		}
		// Recomputed, the ignored reporter would show.
		fresh, err := s.computeTransparency(ctx, november, utc(12, 7, 0, 0))
		if err != nil || fresh.Notices.FromIgnored != 2 {
			t.Errorf("recomputed, %d reports from ignored reporters (%v), want 2", fresh.Notices.FromIgnored, err)
		}
		if _, err := s.TransparencyReport(ctx, Month{2027, time.January}, utc(12, 7, 0, 0)); !errors.Is(err, ErrMonthNotBegun) {
			t.Errorf("a month to come: %v", err)
		}
	})
}

// zeroOf is m's keys not named in want, each 0: check passes when they
// are all zero.
func zeroOf(m map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for k := range m {
		out[k] = 0
	}
	return out
}

// check compares got with want; for maps, want's keys over the zeros
// given (the keys a report lists with nothing counted).
func check[T any](t *testing.T, name string, got, want T, zeros ...map[string]int64) {
	t.Helper()
	if w, ok := any(want).(map[string]int64); ok && len(zeros) > 0 {
		full := zeros[0]
		for k, v := range w {
			full[k] = v
		}
		want = any(full).(T)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %v, want %v", name, deref(got), deref(want))
	}
}

func deref(v any) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		return rv.Elem().Interface()
	}
	return v
}
