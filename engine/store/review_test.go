package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store/pgtest"
)

// backends runs f against SQLite and PostgreSQL. PostgreSQL comes from
// pgtest: make test starts a scratch cluster, and in CI a missing one
// fails the test.
func backends(t *testing.T, f func(t *testing.T, s *Store)) {
	t.Run("sqlite", func(t *testing.T) {
		s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), FileName))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		f(t, s)
	})
	t.Run("postgres", func(t *testing.T) {
		s, err := OpenPostgres(context.Background(), pgtest.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		f(t, s)
	})
}

var t0 = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

func reviewDecision(id string, action engine.Action, queue string, cats ...engine.Category) *engine.Decision {
	d := decision("d-"+id, "e-"+id, action)
	d.Queue, d.Categories, d.Severity, d.SenderID = queue, cats, "medium", "author-"+id
	d.DecidedAt = t0
	return d
}

// openFor stores decisions, which opens the cases of those that need
// review, and returns those cases.
func openFor(t *testing.T, s *Store, ds ...*engine.Decision) []*Case {
	t.Helper()
	ctx := context.Background()
	if _, err := s.SaveDecisions(ctx, ds); err != nil {
		t.Fatal(err)
	}
	var cs []*Case
	for _, d := range ds {
		if c, err := s.openCaseFor(ctx, s.db, "event:"+d.EventID); err == nil {
			cs = append(cs, c)
		} else if !errors.Is(err, ErrNotFound) {
			t.Fatal(err)
		}
	}
	return cs
}

func openCases(t *testing.T, s *Store) int {
	t.Helper()
	qs, err := s.Queues(context.Background(), t0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, q := range qs {
		n += q.Open
	}
	return n
}

var (
	mod       = Moderator{ID: "mod-kim", Roles: []string{"moderator", "appeals"}}
	mod2      = Moderator{ID: "mod-lee", Roles: []string{"moderator", "appeals"}}
	counselor = Moderator{ID: "counsellor-park", Roles: []string{"counsellor"}}
)

func TestCasesOpenForDecisionsThatNeedReview(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ds := []*engine.Decision{
			reviewDecision("hold", engine.ActionHold, "", engine.Harassment),
			reviewDecision("esc", engine.ActionEscalate, QueueYouthSafety, engine.SelfHarm),
			reviewDecision("blockq", engine.ActionBlock, QueueSenior, engine.Threat),
			reviewDecision("block", engine.ActionBlock, ""),
			reviewDecision("redact", engine.ActionRedact, ""),
			reviewDecision("allow", engine.ActionAllow, ""),
		}
		cs := openFor(t, s, ds...)
		if len(cs) != 3 {
			t.Fatalf("%d cases opened, want 3 (hold, escalate, block with a queue)", len(cs))
		}
		queues := map[string]string{}
		for _, c := range cs {
			queues[c.EventID] = c.Queue
		}
		if queues["e-hold"] != QueueGeneral || queues["e-esc"] != QueueYouthSafety || queues["e-blockq"] != QueueSenior {
			t.Errorf("queues = %v", queues)
		}
		// A redelivered decision opens nothing new.
		openFor(t, s, ds...)
		if n := openCases(t, s); n != 3 {
			t.Errorf("%d open cases after a redelivery, want 3", n)
		}
		// Self-harm in the youth queue outranks harassment in general.
		var esc, hold *Case
		for _, c := range cs {
			switch c.EventID {
			case "e-esc":
				esc = c
			case "e-hold":
				hold = c
			}
		}
		if esc.Priority <= hold.Priority || !esc.InvolvesMinor {
			t.Errorf("priorities: self-harm %d, harassment %d", esc.Priority, hold.Priority)
		}
		if !esc.SLADueAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("youth safety SLA due %v, want an hour after opening", esc.SLADueAt)
		}
		n, err := s.MarkOverdue(context.Background(), t0.Add(2*time.Hour))
		if err != nil || n != 1 {
			t.Errorf("MarkOverdue after 2h marked %d (%v), want the youth-safety case only", n, err)
		}
	})
}

func TestClaimIsExclusiveUnderConcurrency(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		const cases = 200
		var ds []*engine.Decision
		for i := range cases {
			ds = append(ds, reviewDecision(fmt.Sprintf("c%03d", i), engine.ActionHold, ""))
		}
		openFor(t, s, ds...)
		ctx := context.Background()
		var mu sync.Mutex
		holder := map[string]string{}
		var wg sync.WaitGroup
		for g := range 16 {
			m := Moderator{ID: fmt.Sprintf("mod-%02d", g), Roles: []string{RoleModerator}}
			wg.Go(func() {
				for {
					c, err := s.ClaimNext(ctx, QueueGeneral, m, time.Minute, t0)
					if errors.Is(err, ErrNoCase) {
						return
					}
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					if prev, dup := holder[c.ID]; dup {
						t.Errorf("case %s claimed by %s and %s", c.ID, prev, m.ID)
					}
					holder[c.ID] = m.ID
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(holder) != cases {
			t.Fatalf("%d of %d cases claimed", len(holder), cases)
		}
		// Leases expire: after the minute, cases can be claimed again.
		c, err := s.ClaimNext(ctx, QueueGeneral, mod, time.Minute, t0.Add(2*time.Minute))
		if err != nil {
			t.Fatalf("claim after the leases expired: %v", err)
		}
		if err := s.Decide(ctx, c.ID, Moderator{ID: holder[c.ID]}, Outcome{Kind: OutcomeDismiss}, t0.Add(2*time.Minute)); !errors.Is(err, ErrForbidden) {
			t.Errorf("the previous holder decided a case after losing its lease: %v", err)
		}
	})
}

func TestOutcomesRestrictStrikeAndPublish(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		openFor(t, s, reviewDecision("a", engine.ActionHold, "", engine.Insult), reviewDecision("y", engine.ActionEscalate, QueueYouthSafety, engine.SelfHarm))
		if _, err := s.ClaimNext(ctx, QueueYouthSafety, mod, time.Minute, t0); !errors.Is(err, ErrForbidden) {
			t.Errorf("a moderator without the counsellor role claimed from youth safety: %v", err)
		}
		if _, err := s.ClaimNext(ctx, QueueYouthSafety, counselor, time.Minute, t0); err != nil {
			t.Errorf("a counsellor could not claim: %v", err)
		}
		c, err := s.ClaimNext(ctx, QueueGeneral, mod, time.Minute, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Decide(ctx, c.ID, mod2, Outcome{Kind: OutcomeRemove}, t0); !errors.Is(err, ErrForbidden) {
			t.Errorf("a moderator decided a case another holds: %v", err)
		}
		if err := s.Decide(ctx, c.ID, mod, Outcome{Kind: OutcomeNote, Note: "checked the context"}, t0); err != nil {
			t.Fatal(err)
		}
		if err := s.Decide(ctx, c.ID, mod, Outcome{Kind: OutcomeMute, Duration: time.Hour}, t0); err != nil {
			t.Fatal(err)
		}
		got, _ := s.Case(ctx, c.ID)
		if got.Open() || got.Outcome != OutcomeMute || got.DecidedBy != mod.ID {
			t.Errorf("case after mute: %+v", got)
		}
		uc, err := s.userContextAt(ctx, "author-a", t0.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if !uc.Restricted || uc.Strikes != 1 {
			t.Errorf("user context during the mute: %+v", uc)
		}
		if uc, _ = s.userContextAt(ctx, "author-a", t0.Add(2*time.Hour)); uc.Restricted {
			t.Errorf("still restricted after the mute ended")
		}
		// Strikes decay: one strike counts half after the half-life.
		if uc, _ = s.userContextAt(ctx, "author-a", t0.Add(3*StrikeHalfLife)); uc.Strikes != 0 {
			t.Errorf("strikes after three half-lives: %d", uc.Strikes)
		}
		// The automated actions of the two decisions saved above, then the
		// moderator's mute, in order.
		out, err := s.Outbox(ctx, 10)
		if err != nil || len(out) != 3 {
			t.Fatalf("outbox = %v, %v", out, err)
		}
		var sources []string
		var seqs []int64
		for _, m := range out {
			var a engine.ActionMessage
			if err := json.Unmarshal(m.Body, &a); err != nil || m.Kind != "action" {
				t.Fatalf("outbox message %s: %v", m.Body, err)
			}
			sources = append(sources, a.Source+":"+a.Action)
			seqs = append(seqs, m.Seq)
		}
		if want := []string{"automated:hold", "automated:escalate", "moderator:mute"}; !slices.Equal(sources, want) {
			t.Errorf("outbox holds %v, want %v", sources, want)
		}
		if err := s.MarkSent(ctx, seqs, t0); err != nil {
			t.Fatal(err)
		}
		if out, _ = s.Outbox(ctx, 10); len(out) != 0 {
			t.Errorf("sent messages still in the outbox")
		}
		if err := (Outcome{Kind: OutcomeSuspend}).Validate(); err == nil {
			t.Errorf("a suspension without a duration was accepted")
		}
	})
}

func TestReportsShareACaseAndRaiseItsPriority(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		openFor(t, s, reviewDecision("m", engine.ActionAllow, ""))
		file := func(reporter string) *Report {
			r, err := s.FileReport(ctx, &Report{ReporterID: reporter, TargetKind: TargetMessage, TargetID: "e-m", Category: "harassment", Details: "keeps following me"}, t0)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		r1 := file("citizen-1")
		file("citizen-1")
		r3 := file("citizen-2")
		if r1.CaseID != r3.CaseID {
			t.Fatalf("reports on one message opened two cases")
		}
		c, _ := s.Case(ctx, r1.CaseID)
		if c.Reporters != 2 || c.SubjectUserID != "author-m" {
			t.Errorf("case: %d distinct reporters (want 2), subject %q", c.Reporters, c.SubjectUserID)
		}
		before := c.Priority
		if err := s.IgnoreReporter(ctx, "citizen-2", "mass false reports", mod, t0); err != nil {
			t.Fatal(err)
		}
		c, _ = s.Case(ctx, r1.CaseID)
		if c.Reporters != 1 || c.Priority >= before {
			t.Errorf("after ignoring a reporter: %d reporters, priority %d (was %d)", c.Reporters, c.Priority, before)
		}
		st, err := s.ReportStatus(ctx, r1.ID)
		if err != nil || st.Status != "received" {
			t.Fatalf("status %+v, %v", st, err)
		}
		claimed, err := s.ClaimNext(ctx, QueueGeneral, mod, time.Minute, t0)
		if err != nil || claimed.ID != r1.CaseID {
			t.Fatalf("claim: %v %v", claimed, err)
		}
		if st, _ = s.ReportStatus(ctx, r1.ID); st.Status != "in_review" {
			t.Errorf("status while claimed: %s", st.Status)
		}
		if err := s.Decide(ctx, claimed.ID, mod, Outcome{Kind: OutcomeWarn}, t0); err != nil {
			t.Fatal(err)
		}
		if st, _ = s.ReportStatus(ctx, r3.ID); st.Status != "closed" || st.Outcome != OutcomeWarn {
			t.Errorf("status after the decision: %+v", st)
		}
		if n, _ := s.CountRecentReports(ctx, "citizen-1", t0.Add(-time.Minute)); n != 2 {
			t.Errorf("recent reports of citizen-1: %d", n)
		}
	})
}

func TestAppeals(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		d := reviewDecision("ap", engine.ActionHold, "", engine.Insult)
		openFor(t, s, d)
		c, _ := s.ClaimNext(ctx, QueueGeneral, mod, time.Minute, t0)
		if err := s.Decide(ctx, c.ID, mod, Outcome{Kind: OutcomeSuspend, Duration: 72 * time.Hour}, t0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.FileAppeal(ctx, d.ID, "someone-else", "", t0); !errors.Is(err, ErrForbidden) {
			t.Errorf("a stranger appealed: %v", err)
		}
		if _, err := s.FileAppeal(ctx, d.ID, d.SenderID, "", t0.Add(AppealWindow+time.Hour)); !errors.Is(err, ErrForbidden) {
			t.Errorf("an appeal after six months was accepted: %v", err)
		}
		a, err := s.FileAppeal(ctx, d.ID, d.SenderID, "it was a joke between friends", t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.FileAppeal(ctx, d.ID, d.SenderID, "again", t0.Add(time.Hour)); !errors.Is(err, ErrConflict) {
			t.Errorf("a second appeal: %v", err)
		}
		now := t0.Add(2 * time.Hour)
		if uc, _ := s.userContextAt(ctx, d.SenderID, now); !uc.Restricted {
			t.Fatalf("the suspension is not in force")
		}
		// The moderator who decided the case is not given its appeal
		// (TestTheOriginalDeciderCannotTakeTheAppeal).
		if c, err := s.ClaimNext(ctx, QueueAppeals, mod, time.Minute, now); !errors.Is(err, ErrNoCase) {
			t.Errorf("the moderator who decided the case claimed its appeal: %v %v", c, err)
		}
		ac, err := s.ClaimNext(ctx, QueueAppeals, mod2, time.Minute, now)
		if err != nil || ac.ID != a.ReviewCase {
			t.Fatalf("claim appeal: %v %v", ac, err)
		}
		// Four eyes: mod2 proposes the overturn, which changes nothing yet
		// and gives the case back to the queue; mod2 cannot approve it;
		// mod3 does.
		if err := s.DecideAppeal(ctx, ac.ID, mod2, true, "context shows banter", now); err != nil {
			t.Fatal(err)
		}
		got, err := s.AppealByID(ctx, a.ID)
		if err != nil || got.Status != AppealOpen || got.ProposedBy != mod2.ID {
			t.Errorf("appeal after the proposal: %+v %v", got, err)
		}
		if uc, _ := s.userContextAt(ctx, d.SenderID, now); !uc.Restricted {
			t.Error("a proposal alone lifted the suspension")
		}
		if _, err := s.ClaimNext(ctx, QueueAppeals, mod2, time.Minute, now); err != nil {
			t.Fatalf("the proposed appeal is not back in the queue: %v", err)
		}
		if err := s.DecideAppeal(ctx, ac.ID, mod2, true, "", now); !errors.Is(err, ErrForbidden) {
			t.Errorf("the proposer approved their own overturn: %v", err)
		}
		s.Release(ctx, ac.ID, mod2, now)
		mod3 := Moderator{ID: "mod-park", Roles: mod2.Roles}
		if _, err := s.ClaimNext(ctx, QueueAppeals, mod3, time.Minute, now); err != nil {
			t.Fatal(err)
		}
		if err := s.DecideAppeal(ctx, ac.ID, mod3, true, "agreed", now); err != nil {
			t.Fatal(err)
		}
		got, err = s.AppealByID(ctx, a.ID)
		if err != nil || got.Status != AppealOverturned || got.DecidedBy != mod3.ID || got.ProposedBy != mod2.ID {
			t.Errorf("appeal after overturning: %+v %v", got, err)
		}
		if uc, _ := s.userContextAt(ctx, d.SenderID, now); uc.Restricted || uc.Strikes != 0 {
			t.Errorf("after the appeal was overturned the user is still restricted or struck: %+v", uc)
		}
		out, _ := s.Outbox(ctx, 10)
		var acts []string
		for _, m := range out {
			acts = append(acts, string(m.Body))
		}
		if len(out) != 4 { // the decision's hold, the suspension, then restore and unrestrict
			t.Errorf("outbox after the appeal: %v", acts)
		}
	})
}

func TestAuditChainDetectsTampering(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		openFor(t, s, reviewDecision("x", engine.ActionHold, ""), reviewDecision("y", engine.ActionHold, ""))
		c, _ := s.ClaimNext(ctx, QueueGeneral, mod, time.Minute, t0)
		s.Decide(ctx, c.ID, mod, Outcome{Kind: OutcomeRemove}, t0)
		s.Audit(ctx, t0, mod.ID, "pii.revealed", c.ID, map[string]any{"types": []string{"phone"}})
		n, err := s.VerifyAudit(ctx)
		if err != nil || n != 5 { // two cases opened, a claim, a decision, a reveal
			t.Fatalf("verify: %d entries, %v", n, err)
		}
		if _, err := s.db.ExecContext(ctx, s.q(`UPDATE audit_log SET actor = ? WHERE seq = 3`), "mod-nobody"); err != nil {
			t.Fatal(err)
		}
		var br *AuditBreak
		if _, err := s.VerifyAudit(ctx); !errors.As(err, &br) || br.Seq != 3 {
			t.Errorf("an edited entry was not found: %v", err)
		}
		if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM audit_log WHERE seq = 3`)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.VerifyAudit(ctx); !errors.As(err, &br) || br.Seq != 3 {
			t.Errorf("a removed entry was not found: %v", err)
		}
	})
}

func TestPostgresPoolSize(t *testing.T) {
	u := pgtest.URL(t)
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	if _, err := OpenPostgres(context.Background(), u+sep+"max_conns=none"); err == nil {
		t.Errorf("max_conns=none was accepted")
	}
	s, err := OpenPostgres(context.Background(), u+sep+"max_conns=3")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.db.Stats().MaxOpenConnections; got != 3 {
		t.Errorf("pool of %d connections, want 3", got)
	}
}

func TestReviewFixesUnderConcurrency(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		openFor(t, s, reviewDecision("ban", engine.ActionHold, "", engine.Hate), reviewDecision("twice", engine.ActionHold, ""))
		// A ban can be recorded and publishes its action.
		c, err := s.ClaimNext(ctx, QueueGeneral, mod, time.Minute, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Decide(ctx, c.ID, mod, Outcome{Kind: OutcomeBan}, t0); err != nil {
			t.Fatalf("ban: %v", err)
		}
		if uc, _ := s.userContextAt(ctx, c.SubjectUserID, t0.Add(10*365*24*time.Hour)); !uc.Restricted {
			t.Errorf("a ban ended")
		}
		// The same decision submitted eight times at once closes the case
		// once: one strike, one action.
		c, err = s.ClaimNext(ctx, QueueGeneral, mod, time.Minute, t0)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for range 8 {
			wg.Go(func() {
				if err := s.Decide(ctx, c.ID, mod, Outcome{Kind: OutcomeWarn}, t0); err == nil {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if ok != 1 {
			t.Errorf("%d of 8 concurrent decisions on one case succeeded, want 1", ok)
		}
		if uc, _ := s.userContextAt(ctx, c.SubjectUserID, t0); uc.Strikes != 1 {
			t.Errorf("%d strikes from one warning", uc.Strikes)
		}
		// Concurrent reports on one message count every distinct reporter.
		openFor(t, s, reviewDecision("many", engine.ActionAllow, ""))
		for i := range 12 {
			wg.Go(func() {
				if _, err := s.FileReport(ctx, &Report{ReporterID: fmt.Sprintf("r-%d", i), TargetKind: TargetMessage, TargetID: "e-many", Category: "insult"}, t0); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		rc, err := s.openCaseFor(ctx, s.db, "event:e-many")
		if err != nil || rc.Reporters != 12 {
			t.Errorf("case after 12 concurrent reports: %v reporters, %v", rc, err)
		}
		// A grooming report moves the open case to the counsellors.
		if _, err := s.FileReport(ctx, &Report{ReporterID: "r-x", TargetKind: TargetMessage, TargetID: "e-many", Category: "grooming"}, t0); err != nil {
			t.Fatal(err)
		}
		if rc, _ = s.openCaseFor(ctx, s.db, "event:e-many"); rc.Queue != QueueYouthSafety || !rc.InvolvesMinor {
			t.Errorf("after a grooming report the case is in %s (minor %v)", rc.Queue, rc.InvolvesMinor)
		}
	})
}

func TestAppealWaitsForTheCaseAndRefusesItsModerator(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		d := reviewDecision("early", engine.ActionBlock, QueueGeneral, engine.Insult)
		openFor(t, s, d)
		// Appealed while its case is still open.
		a, err := s.FileAppeal(ctx, d.ID, d.SenderID, "", t0)
		if err != nil {
			t.Fatal(err)
		}
		ac, err := s.ClaimNext(ctx, QueueAppeals, mod2, time.Minute, t0)
		if err != nil || ac.ID != a.ReviewCase {
			t.Fatalf("claim appeal: %v %v", ac, err)
		}
		if err := s.DecideAppeal(ctx, ac.ID, mod2, true, "", t0); !errors.Is(err, ErrConflict) {
			t.Errorf("an appeal was decided while the case it appeals is open: %v", err)
		}
		s.Release(ctx, ac.ID, mod2, t0)
		// mod claims the appeal while nobody has decided the case, then
		// claims the case and decides it.
		if _, err := s.ClaimNext(ctx, QueueAppeals, mod, time.Minute, t0); err != nil {
			t.Fatal(err)
		}
		c, err := s.ClaimNext(ctx, QueueGeneral, mod, time.Minute, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Decide(ctx, c.ID, mod, Outcome{Kind: OutcomeSuspend, Duration: time.Hour}, t0); err != nil {
			t.Fatal(err)
		}
		if err := s.DecideAppeal(ctx, ac.ID, mod, true, "", t0); !errors.Is(err, ErrForbidden) {
			t.Errorf("the moderator who decided the case after the appeal was filed decided the appeal: %v", err)
		}
		s.Release(ctx, ac.ID, mod, t0)
		if c, err := s.ClaimNext(ctx, QueueAppeals, mod, time.Minute, t0); !errors.Is(err, ErrNoCase) {
			t.Errorf("the moderator who decided the case claimed its appeal again: %v %v", c, err)
		}
	})
}

// TestTheOriginalDeciderCannotTakeTheAppeal: claiming skips the appeals
// of the claimer's own decisions, whatever their priority, and nobody may
// hand such an appeal to its original decider.
func TestTheOriginalDeciderCannotTakeTheAppeal(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		// mod decides the first case (a ban: the appeal ranks high), mod2
		// the second.
		byMod, byMod2 := reviewDecision("mine", engine.ActionHold, "", engine.Hate), reviewDecision("theirs", engine.ActionHold, "", engine.Spam)
		byMod.Severity, byMod2.Severity = "critical", "low"
		openFor(t, s, byMod, byMod2)
		for _, w := range []struct {
			m Moderator
			o Outcome
		}{{mod, Outcome{Kind: OutcomeBan}}, {mod2, Outcome{Kind: OutcomeRemove}}} {
			c, err := s.ClaimNext(ctx, QueueGeneral, w.m, time.Minute, t0)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Decide(ctx, c.ID, w.m, w.o, t0); err != nil {
				t.Fatal(err)
			}
		}
		now := t0.Add(time.Hour)
		mine, err := s.FileAppeal(ctx, byMod.ID, byMod.SenderID, "", now)
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := s.FileAppeal(ctx, byMod2.ID, byMod2.SenderID, "", now)
		if err != nil {
			t.Fatal(err)
		}
		if mc, _ := s.Case(ctx, mine.ReviewCase); mc.Priority <= mustCase(t, s, theirs.ReviewCase).Priority {
			t.Fatalf("the appeal of mod's ban ranks %d, not above the other's %d", mc.Priority, mustCase(t, s, theirs.ReviewCase).Priority)
		}
		got, err := s.ClaimNext(ctx, QueueAppeals, mod, time.Minute, now)
		if err != nil || got.ID != theirs.ReviewCase {
			t.Fatalf("mod claimed %v, %v; want the appeal of mod2's decision %s", got, err, theirs.ReviewCase)
		}
		if _, err := s.ClaimNext(ctx, QueueAppeals, mod, time.Minute, now); !errors.Is(err, ErrNoCase) {
			t.Errorf("mod claimed the appeal of their own ban: %v", err)
		}
		// mod2 takes the appeal of mod's ban and cannot hand it back to
		// mod; a third reviewer may have it.
		got, err = s.ClaimNext(ctx, QueueAppeals, mod2, time.Minute, now)
		if err != nil || got.ID != mine.ReviewCase {
			t.Fatalf("mod2 claimed %v, %v; want %s", got, err, mine.ReviewCase)
		}
		err = s.Reassign(ctx, got.ID, mod2, mod, time.Hour, "you know this user", now)
		if !errors.Is(err, ErrOriginalDecider) || !errors.Is(err, ErrForbidden) {
			t.Errorf("the appeal was handed to the reviewer who decided the case: %v", err)
		}
		if c := mustCase(t, s, got.ID); c.ClaimedBy != mod2.ID {
			t.Errorf("after the refused reassignment the appeal is held by %q", c.ClaimedBy)
		}
		park := Moderator{ID: "mod-park", Roles: mod.Roles}
		if err := s.Reassign(ctx, got.ID, mod2, park, time.Hour, "a second opinion", now); err != nil {
			t.Errorf("reassigning the appeal to a third reviewer: %v", err)
		}
	})
}

func mustCase(t *testing.T, s *Store, id string) *Case {
	t.Helper()
	c, err := s.Case(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
