package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
)

func TestQueueSummaries(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := reviewDecision("a", engine.ActionHold, "", engine.Insult)
		b := reviewDecision("b", engine.ActionHold, "", engine.Spam)
		b.DecidedAt = t0.Add(time.Hour)
		y := reviewDecision("y", engine.ActionEscalate, QueueYouthSafety, engine.SelfHarm)
		openFor(t, s, a, b, y)
		now := t0.Add(2 * time.Hour)
		if _, err := s.ClaimNext(ctx, QueueGeneral, mod, time.Minute, now); err != nil {
			t.Fatal(err)
		}
		got, err := s.QueueSummaries(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		want := []QueueSummary{
			{Queue: QueueGeneral, Open: 2, Claimed: 1, Oldest: t0},
			{Queue: QueueYouthSafety, Open: 1, Overdue: 1, Oldest: t0},
			{Queue: QueueSenior},
			{Queue: QueueAppeals},
		}
		if len(got) != len(want) {
			t.Fatalf("got %d queues, want %d: %+v", len(got), len(want), got)
		}
		for i := range want {
			if got[i].Queue != want[i].Queue || got[i].Open != want[i].Open || got[i].Claimed != want[i].Claimed ||
				got[i].Overdue != want[i].Overdue || !got[i].Oldest.Equal(want[i].Oldest) {
				t.Errorf("queue %d = %+v, want %+v", i, got[i], want[i])
			}
		}
	})
}

func TestListCasesFiltersAndPages(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		var ds []*engine.Decision
		for i := range 25 {
			cat := engine.Insult
			if i%5 == 0 {
				cat = engine.SelfHarm // ranks above insult
			}
			d := reviewDecision(fmt.Sprintf("c%02d", i), engine.ActionHold, "", cat)
			d.DecidedAt = t0.Add(time.Duration(i) * time.Minute)
			if i%2 == 0 {
				d.Space.Type = engine.SpaceYouth
			}
			ds = append(ds, d)
		}
		// A category name with LIKE's wildcard must not match others.
		other := reviewDecision("harm", engine.ActionHold, "", engine.Harassment)
		other.DecidedAt = t0
		ds = append(ds, other)
		openFor(t, s, ds...)
		now := t0.Add(time.Hour)

		// Paging walks every case once, in ClaimNext's order.
		var walked []*Case
		f := CaseFilter{Queue: QueueGeneral, Now: now, Limit: 4}
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("paging does not end")
			}
			p, err := s.ListCases(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			walked = append(walked, p.Cases...)
			if p.Next == nil {
				break
			}
			cur, err := ParseCaseCursor(p.Next.String())
			if err != nil || cur != *p.Next {
				t.Fatalf("cursor %q read back as %+v, %v", p.Next.String(), cur, err)
			}
			f.After = &cur
		}
		if len(walked) != 26 {
			t.Fatalf("paging returned %d cases, want 26", len(walked))
		}
		sorted := slices.IsSortedFunc(walked, func(a, b *Case) int {
			if a.Priority != b.Priority {
				return b.Priority - a.Priority
			}
			return a.CreatedAt.Compare(b.CreatedAt)
		})
		if !sorted {
			t.Error("pages are not in priority, then age, order")
		}
		var claimOrder []string
		for range 3 {
			c, err := s.ClaimNext(ctx, QueueGeneral, mod, time.Minute, now)
			if err != nil {
				t.Fatal(err)
			}
			claimOrder = append(claimOrder, c.ID)
		}
		if walked[0].ID != claimOrder[0] || walked[1].ID != claimOrder[1] || walked[2].ID != claimOrder[2] {
			t.Error("the list's order is not ClaimNext's")
		}

		tests := []struct {
			name string
			f    CaseFilter
			want int
		}{
			{"space type", CaseFilter{SpaceType: string(engine.SpaceYouth)}, 13},
			{"category", CaseFilter{Category: engine.SelfHarm}, 5},
			{"category with an underscore", CaseFilter{Category: engine.SexualMinors}, 0},
			{"source", CaseFilter{Source: SourceReport}, 0},
			{"older than", CaseFilter{OlderThan: 50 * time.Minute}, 12}, // created by 10 minutes past t0, with "harm"
			{"all together", CaseFilter{SpaceType: string(engine.SpaceYouth), Category: engine.SelfHarm, OlderThan: 50 * time.Minute}, 2},
			{"other queue", CaseFilter{Queue: QueueSenior}, 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				f := tt.f
				if f.Queue == "" {
					f.Queue = QueueGeneral
				}
				f.Now, f.Limit = now, 100
				p, err := s.ListCases(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Cases) != tt.want || p.Next != nil {
					t.Errorf("got %d cases (next %v), want %d", len(p.Cases), p.Next, tt.want)
				}
			})
		}
		for _, bad := range []CaseFilter{{}, {Queue: QueueGeneral, Limit: 501}, {Queue: QueueGeneral, Category: "nonsense"}} {
			if _, err := s.ListCases(ctx, bad); err == nil {
				t.Errorf("ListCases(%+v) accepted", bad)
			}
		}
	})
}

func TestParseCaseCursorRefusesJunk(t *testing.T) {
	for _, s := range []string{"", "1.2", "x.2.id", "1.y.id", "1.2."} {
		if _, err := ParseCaseCursor(s); err == nil {
			t.Errorf("ParseCaseCursor(%q) accepted", s)
		}
	}
}

func TestCaseReportsNameNoReporter(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		r1, err := s.FileReport(ctx, &Report{ReporterID: "reporter-secret-1", TargetKind: TargetUser, TargetID: "troll", Category: engine.Harassment, Details: "<b>follows me</b>"}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.FileReport(ctx, &Report{ReporterID: "reporter-secret-2", TargetKind: TargetUser, TargetID: "troll", Category: engine.Spam}, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		got, err := s.CaseReports(ctx, r1.CaseID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Category != engine.Harassment || got[0].Details != "<b>follows me</b>" || got[1].Category != engine.Spam || !got[0].Counted {
			t.Errorf("reports = %+v", got)
		}
		if s := fmt.Sprintf("%+v", got); strings.Contains(s, "reporter-secret") {
			t.Errorf("case reports name a reporter: %s", s)
		}
		h, err := s.UserHistory(ctx, "troll", 10)
		if err != nil {
			t.Fatal(err)
		}
		if h.ReportsAgainst != 2 || len(h.Cases) != 1 {
			t.Errorf("history of the reported user: %d reports, %d cases", h.ReportsAgainst, len(h.Cases))
		}
	})
}

func TestUserHistoryAndCaseActions(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		d1 := reviewDecision("h1", engine.ActionHold, "", engine.Insult)
		d2 := reviewDecision("h2", engine.ActionHold, "", engine.Threat)
		d1.SenderID, d2.SenderID = "repeat", "repeat"
		d2.DecidedAt = t0.Add(time.Minute)
		openFor(t, s, d1, d2)
		now := t0.Add(time.Hour)
		c, err := s.ClaimNext(ctx, QueueGeneral, mod, time.Minute, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Decide(ctx, c.ID, mod, Outcome{Kind: OutcomeNote, Note: "looking"}, now); err != nil {
			t.Fatal(err)
		}
		if err := s.Decide(ctx, c.ID, mod, Outcome{Kind: OutcomeMute, Duration: time.Hour, Note: "threatened a player"}, now.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		acts, err := s.CaseActions(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(acts) != 2 || acts[0].Kind != OutcomeNote || acts[1].Kind != OutcomeMute || acts[1].Duration != time.Hour || acts[1].Note != "threatened a player" || acts[1].Actor != mod.ID {
			t.Errorf("case actions = %+v", acts)
		}
		h, err := s.UserHistory(ctx, "repeat", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Decisions) != 2 || h.Decisions[0].ID != "d-h2" || len(h.Cases) != 2 {
			t.Errorf("decisions %+v, %d cases", h.Decisions, len(h.Cases))
		}
		if len(h.Strikes) != 1 || h.Strikes[0].Weight != 1 || len(h.Restrictions) != 1 || h.Restrictions[0].Kind != OutcomeMute ||
			!h.Restrictions[0].Active(now.Add(time.Minute)) || h.Restrictions[0].Active(now.Add(2*time.Hour)) {
			t.Errorf("strikes %+v, restrictions %+v", h.Strikes, h.Restrictions)
		}
		if h, err := s.UserHistory(ctx, "", 10); err != nil || len(h.Cases) != 0 {
			t.Errorf("history of no user: %+v, %v", h, err)
		}
	})
}

func TestExtendLease(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		openFor(t, s, reviewDecision("l", engine.ActionHold, "", engine.Insult))
		c, err := s.ClaimNext(ctx, QueueGeneral, mod, time.Minute, t0)
		if err != nil {
			t.Fatal(err)
		}
		until, err := s.ExtendLease(ctx, c.ID, mod, time.Minute, t0.Add(30*time.Second))
		if err != nil || !until.Equal(t0.Add(90*time.Second)) {
			t.Fatalf("extend: %v, %v", until, err)
		}
		// A shorter lease never shortens the one held.
		if until, err := s.ExtendLease(ctx, c.ID, mod, time.Second, t0.Add(31*time.Second)); err != nil || !until.Equal(t0.Add(90*time.Second)) {
			t.Errorf("a shorter extension: %v, %v", until, err)
		}
		if _, err := s.ExtendLease(ctx, c.ID, mod2, time.Minute, t0.Add(time.Minute)); !errors.Is(err, ErrForbidden) {
			t.Errorf("another moderator extended the lease: %v", err)
		}
		// Run out, the lease is not revived.
		if _, err := s.ExtendLease(ctx, c.ID, mod, time.Minute, t0.Add(2*time.Minute)); !errors.Is(err, ErrForbidden) {
			t.Errorf("an expired lease was extended: %v", err)
		}
		got, err := s.Case(ctx, c.ID)
		if err != nil || !got.LeaseUntil.Equal(t0.Add(90*time.Second)) {
			t.Errorf("lease until %v, %v", got.LeaseUntil, err)
		}
		log, err := s.AuditLog(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range log {
			if e.Action == "case.lease_extended" && e.Actor == mod.ID && e.Subject == c.ID {
				n++
			}
		}
		if n != 0 {
			t.Errorf("%d lease extensions audited: heartbeats are not decisions", n)
		}
		if _, err := s.VerifyAudit(ctx); err != nil {
			t.Error(err)
		}
	})
}
