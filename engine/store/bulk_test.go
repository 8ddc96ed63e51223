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

func TestBulkDecideRemovesASpamWaveButNoCaseSomeoneHolds(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		var ds []*engine.Decision
		for i, id := range []string{"s1", "s2", "s3", "s4", "s5"} {
			d := reviewDecision(id, engine.ActionHold, QueueGeneral, engine.Spam)
			d.DecidedAt = t0.Add(time.Duration(i) * time.Minute)
			ds = append(ds, d)
		}
		insult := reviewDecision("i1", engine.ActionHold, QueueGeneral, engine.Insult)
		insult.Severity = "low" // below the spam, so claims take spam first
		youth := reviewDecision("y1", engine.ActionEscalate, QueueYouthSafety, engine.Spam)
		late := reviewDecision("s6", engine.ActionHold, QueueGeneral, engine.Spam)
		late.DecidedAt = t0.Add(time.Hour) // after the preview
		cases := map[string]*Case{}
		for _, c := range openFor(t, s, slices.Concat(ds, []*engine.Decision{insult, youth, late})...) {
			cases[strings.TrimPrefix(c.EventID, "e-")] = c
		}
		preview, now := t0.Add(30*time.Minute), t0.Add(2*time.Hour)
		claim := func(m Moderator, want string) {
			t.Helper()
			if c, err := s.ClaimNext(ctx, QueueGeneral, m, time.Hour, now); err != nil || c.ID != cases[want].ID {
				t.Fatalf("%s claimed %+v (%v), want %s", m.ID, c, err, want)
			}
		}

		// Another reviewer holds the oldest spam case; the bulk's own
		// reviewer holds the next.
		claim(mod2, "s1")
		claim(mod, "s2")
		f := CaseFilter{Queue: QueueGeneral, Category: engine.Spam, Now: preview}
		sel, more, err := s.SelectBulk(ctx, f, preview, mod, now)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range sel {
			got = append(got, strings.TrimPrefix(c.EventID, "e-"))
		}
		if want := []string{"s2", "s3", "s4", "s5"}; !slices.Equal(got, want) || more {
			t.Fatalf("selected %v (more %v), want %v: not s1 (held by mod2), s6 (after the preview), i1 or y1", got, more, want)
		}

		// mod2 claims s3 after the preview; the ids also name s1 (held)
		// and y1 (youth safety).
		claim(mod2, "s3")
		ids := []string{cases["s1"].ID, cases["s2"].ID, cases["s3"].ID, cases["s4"].ID, cases["s5"].ID, cases["y1"].ID}
		res, err := s.BulkDecide(ctx, QueueGeneral, ids, mod, Outcome{Kind: OutcomeRemove, Note: "spam wave"}, now)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{cases["s2"].ID, cases["s4"].ID, cases["s5"].ID}; !slices.Equal(res.Decided, want) {
			t.Errorf("decided %v, want s2, s4, s5 %v", res.Decided, want)
		}
		if want := []string{cases["s1"].ID, cases["s3"].ID, cases["y1"].ID}; !slices.Equal(res.Skipped, want) {
			t.Errorf("skipped %v, want s1, s3, y1 %v", res.Skipped, want)
		}
		for _, name := range []string{"s1", "s3", "y1", "i1", "s6"} {
			c, err := s.Case(ctx, cases[name].ID)
			if err != nil {
				t.Fatal(err)
			}
			wantHolder := map[string]string{"s1": mod2.ID, "s3": mod2.ID}[name]
			if !c.Open() || c.ClaimedBy != wantHolder {
				t.Errorf("%s was touched: open %v, held by %q", name, c.Open(), c.ClaimedBy)
			}
		}
		for _, name := range []string{"s2", "s4", "s5"} {
			c, err := s.Case(ctx, cases[name].ID)
			if err != nil {
				t.Fatal(err)
			}
			if c.Open() || c.Outcome != OutcomeRemove || c.DecidedBy != mod.ID || c.ClaimedBy != "" {
				t.Errorf("%s: open %v, outcome %q by %q, held by %q", name, c.Open(), c.Outcome, c.DecidedBy, c.ClaimedBy)
			}
			acts, err := s.CaseActions(ctx, c.ID)
			if err != nil || len(acts) != 1 || acts[0].Kind != OutcomeRemove || acts[0].Note != "spam wave" {
				t.Errorf("%s: case actions %+v (%v)", name, acts, err)
			}
			h, err := s.UserHistory(ctx, c.SubjectUserID, 10)
			if err != nil || len(h.Strikes) != 1 {
				t.Errorf("%s: strikes %+v (%v), want one", name, h.Strikes, err)
			}
		}

		// One audit entry per case, naming the bulk action, then one for
		// the whole.
		log, err := s.AuditLog(ctx, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		var decided []string
		for _, e := range log {
			if e.Action == "case.decided" && strings.Contains(e.Details, `"bulk_id":"`+res.ID+`"`) && e.Actor == mod.ID {
				decided = append(decided, e.Subject)
			}
		}
		if !slices.Equal(decided, res.Decided) {
			t.Errorf("audited %v, want %v", decided, res.Decided)
		}
		last := log[len(log)-1]
		if last.Action != "cases.bulk_decided" || last.Actor != mod.ID || last.Subject != "queue:general" ||
			!strings.Contains(last.Details, `"decided":3`) || !strings.Contains(last.Details, `"skipped":3`) {
			t.Errorf("last audit entry %+v", last)
		}
		if _, err := s.VerifyAudit(ctx); err != nil {
			t.Errorf("audit chain: %v", err)
		}
		// The platform is told to remove each.
		msgs, err := s.Outbox(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		removes := 0
		for _, m := range msgs {
			if strings.Contains(string(m.Body), `"action":"remove"`) {
				removes++
			}
		}
		if removes != 3 {
			t.Errorf("%d remove actions in the outbox, want 3", removes)
		}
	})
}

func TestBulkIsRefusedOutsideTheGeneralQueue(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		cs := openFor(t, s, reviewDecision("y1", engine.ActionEscalate, QueueYouthSafety, engine.Spam),
			reviewDecision("g1", engine.ActionHold, QueueGeneral, engine.Spam))
		youth, general := cs[0], cs[1]
		both := Moderator{ID: "both", Roles: []string{RoleModerator, RoleCounsellor, RoleSenior}}
		remove := Outcome{Kind: OutcomeRemove, Note: "spam"}
		for _, queue := range []string{QueueYouthSafety, QueueSenior, QueueAppeals} {
			if _, _, err := s.SelectBulk(ctx, CaseFilter{Queue: queue, Now: t0}, t0, both, t0); !errors.Is(err, ErrForbidden) {
				t.Errorf("select in %s: %v, want ErrForbidden", queue, err)
			}
			if _, err := s.BulkDecide(ctx, queue, []string{youth.ID}, both, remove, t0); !errors.Is(err, ErrForbidden) {
				t.Errorf("decide in %s: %v, want ErrForbidden", queue, err)
			}
		}
		// Without the general queue's role.
		if _, err := s.BulkDecide(ctx, QueueGeneral, []string{general.ID}, counselor, remove, t0); !errors.Is(err, ErrForbidden) {
			t.Errorf("a counsellor's bulk: %v, want ErrForbidden", err)
		}
		// Only remove and dismiss, with a reason, at most MaxBulk.
		for _, o := range []Outcome{{Kind: OutcomeWarn, Note: "x"}, {Kind: OutcomeBan, Note: "x"}, {Kind: OutcomeRemove}} {
			if _, err := s.BulkDecide(ctx, QueueGeneral, []string{general.ID}, mod, o, t0); err == nil {
				t.Errorf("bulk %+v was recorded", o)
			}
		}
		if _, err := s.BulkDecide(ctx, QueueGeneral, make([]string, MaxBulk+1), mod, remove, t0); err == nil {
			t.Error("a bulk of 501 cases was accepted")
		}
		for _, c := range cs {
			if got, _ := s.Case(ctx, c.ID); !got.Open() {
				t.Errorf("case in %s was closed", c.Queue)
			}
		}
	})
}

func TestSelectBulkStopsAtMaxBulk(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	var ds []*engine.Decision
	for i := range MaxBulk + 3 {
		ds = append(ds, reviewDecision(fmt.Sprint("s", i), engine.ActionHold, QueueGeneral, engine.Spam))
	}
	if _, err := s.SaveDecisions(ctx, ds); err != nil {
		t.Fatal(err)
	}
	sel, more, err := s.SelectBulk(ctx, CaseFilter{Queue: QueueGeneral, Now: t0}, t0, mod, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(sel) != MaxBulk || !more {
		t.Errorf("selected %d (more %v), want %d and more", len(sel), more, MaxBulk)
	}
}
