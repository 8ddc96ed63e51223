package store

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
)

// claimedCase opens a held case about author-<id>'s message in the
// general queue and gives it to m.
func claimedCase(t *testing.T, s *Store, id string, m Moderator) *Case {
	t.Helper()
	openFor(t, s, reviewDecision(id, engine.ActionHold, "", engine.Insult))
	c, err := s.ClaimNext(context.Background(), QueueGeneral, m, time.Hour, t0)
	if err != nil || c.EventID != "e-"+id {
		t.Fatalf("claim: %+v, %v", c, err)
	}
	return c
}

// relayed relays the outbox as a relay whose clock says now would, and
// returns the moderators' actions it published as "action:user".
func relayed(t *testing.T, s *Store, now time.Time) []string {
	t.Helper()
	var out []string
	_, err := s.RelayOutbox(context.Background(), 100, func() time.Time { return now }, func(msgs []OutboxMessage) error {
		for _, m := range msgs {
			var a engine.ActionMessage
			if err := json.Unmarshal(m.Body, &a); err != nil {
				return err
			}
			if a.Source == engine.SourceModerator {
				out = append(out, a.Action+":"+a.UserID)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// queued returns the moderators' actions waiting in the outbox, in order.
func queued(t *testing.T, s *Store) []string {
	t.Helper()
	msgs, err := s.Outbox(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		var a engine.ActionMessage
		if err := json.Unmarshal(m.Body, &a); err != nil {
			t.Fatal(err)
		}
		if a.Source == engine.SourceModerator {
			out = append(out, a.Action+":"+a.UserID)
		}
	}
	return out
}

func TestModeratorsActionsWaitForTheUndoWindow(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := claimedCase(t, s, "a", mod)
		if err := s.Decide(ctx, c.ID, mod, Outcome{Kind: OutcomeRemove, Note: "insult", Ground: "inclusiveness"}, t0); err != nil {
			t.Fatal(err)
		}
		if got := queued(t, s); !slices.Equal(got, []string{"remove:author-a"}) {
			t.Fatalf("queued %v", got)
		}
		if got := relayed(t, s, t0.Add(UndoWindow-time.Millisecond)); len(got) != 0 {
			t.Errorf("the relay published %v inside the undo window", got)
		}
		if got := relayed(t, s, t0.Add(UndoWindow)); !slices.Equal(got, []string{"remove:author-a"}) {
			t.Errorf("after the undo window the relay published %v", got)
		}
		acts, err := s.CaseActions(ctx, c.ID)
		if err != nil || len(acts) != 1 || acts[0].Ground != "inclusiveness" || acts[0].Note != "insult" {
			t.Errorf("case actions %+v, %v", acts, err)
		}
	})
}

func TestUndoTakesTheDecisionBack(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := claimedCase(t, s, "a", mod)
		if err := s.Decide(ctx, c.ID, mod, Outcome{Kind: OutcomeSuspend, Duration: 24 * time.Hour, Note: "threats"}, t0); err != nil {
			t.Fatal(err)
		}
		if uc, _ := s.userContextAt(ctx, "author-a", t0.Add(time.Second)); !uc.Restricted || uc.Strikes != 2 {
			t.Fatalf("user context after the suspension: %+v", uc)
		}
		// Another reviewer may not undo it.
		if _, err := s.UndoDecision(ctx, c.ID, mod2, time.Hour, t0.Add(5*time.Second)); !errors.Is(err, ErrForbidden) {
			t.Errorf("undo by another reviewer: %v, want ErrForbidden", err)
		}
		now := t0.Add(UndoWindow - undoMargin - time.Second)
		res, err := s.UndoDecision(ctx, c.ID, mod, time.Hour, now)
		if err != nil {
			t.Fatal(err)
		}
		if *res != (UndoResult{Outcome: OutcomeSuspend, Withdrawn: 1, Strikes: 1, Restrictions: 1}) {
			t.Errorf("undo result %+v", res)
		}
		got, _ := s.Case(ctx, c.ID)
		if !got.Open() || got.Outcome != "" || got.DecidedBy != "" || got.ClaimedBy != mod.ID || !got.LeaseUntil.Equal(now.Add(time.Hour)) {
			t.Errorf("case after undo: %+v", got)
		}
		if uc, _ := s.userContextAt(ctx, "author-a", now); uc.Restricted || uc.Strikes != 0 {
			t.Errorf("user context after the undo: %+v", uc)
		}
		if q := queued(t, s); len(q) != 0 {
			t.Errorf("still queued after the undo: %v", q)
		}
		if got := relayed(t, s, t0.Add(time.Hour)); len(got) != 0 {
			t.Errorf("the relay published %v after the undo", got)
		}
		acts, _ := s.CaseActions(ctx, c.ID)
		if len(acts) != 2 || acts[0].Kind != OutcomeSuspend || acts[1].Kind != "undone" || acts[1].Actor != mod.ID {
			t.Errorf("case history %+v", acts)
		}
		if e := auditOf(t, s, "case.undone"); len(e) != 1 || e[0].Actor != mod.ID || e[0].Subject != c.ID {
			t.Errorf("audit of the undo: %+v", e)
		}
		// The case is the reviewer's again: decided anew, it publishes
		// only the new decision.
		if err := s.Decide(ctx, c.ID, mod, Outcome{Kind: OutcomeWarn, Note: "on reflection, a warning"}, now); err != nil {
			t.Fatal(err)
		}
		if got := relayed(t, s, now.Add(UndoWindow)); !slices.Equal(got, []string{"warn:author-a"}) {
			t.Errorf("after deciding again the relay published %v", got)
		}
		// Nothing is left to undo once published, nor is an open case.
		if _, err := s.UndoDecision(ctx, c.ID, mod, time.Hour, now.Add(time.Second)); !errors.Is(err, ErrTooLate) {
			t.Errorf("undo of a published decision: %v, want ErrTooLate", err)
		}
	})
}

func TestUndoIsRefused(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		decided := func(t *testing.T, id string) *Case {
			c := claimedCase(t, s, id, mod)
			if err := s.Decide(ctx, c.ID, mod, Outcome{Kind: OutcomeRemove, Note: "r"}, t0); err != nil {
				t.Fatal(err)
			}
			return c
		}

		t.Run("after the window", func(t *testing.T) {
			c := decided(t, "late")
			if _, err := s.UndoDecision(ctx, c.ID, mod, time.Hour, UndoDeadline(t0)); !errors.Is(err, ErrTooLate) {
				t.Errorf("undo at the deadline: %v, want ErrTooLate", err)
			}
		})
		t.Run("published early", func(t *testing.T) {
			// A relay whose clock runs ahead published it: the undo's own
			// clock is not enough, the sent mark refuses it.
			c := decided(t, "fast")
			if got := relayed(t, s, t0.Add(UndoWindow)); !slices.Contains(got, "remove:author-fast") {
				t.Fatalf("relayed %v", got)
			}
			if _, err := s.UndoDecision(ctx, c.ID, mod, time.Hour, t0.Add(time.Second)); !errors.Is(err, ErrTooLate) {
				t.Errorf("undo of a published action: %v, want ErrTooLate", err)
			}
			if got, _ := s.Case(ctx, c.ID); got.Open() {
				t.Error("a refused undo opened the case")
			}
		})
		t.Run("open case", func(t *testing.T) {
			c := claimedCase(t, s, "open", mod)
			if _, err := s.UndoDecision(ctx, c.ID, mod, time.Hour, t0); !errors.Is(err, ErrConflict) {
				t.Errorf("undo of an open case: %v, want ErrConflict", err)
			}
			if err := s.Decide(ctx, c.ID, mod, Outcome{Kind: OutcomeDismiss}, t0); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("the content has a new case", func(t *testing.T) {
			c := decided(t, "reported")
			if _, err := s.FileReport(ctx, &Report{ReporterID: "r1", TargetKind: TargetMessage, TargetID: "e-reported",
				Category: engine.Insult}, t0.Add(time.Second)); err != nil {
				t.Fatal(err)
			}
			if _, err := s.UndoDecision(ctx, c.ID, mod, time.Hour, t0.Add(2*time.Second)); !errors.Is(err, ErrConflict) {
				t.Errorf("undo with a new case about the content: %v, want ErrConflict", err)
			}
		})
		t.Run("queue no longer worked", func(t *testing.T) {
			c := decided(t, "roles")
			was := Moderator{ID: mod.ID, Roles: []string{RoleAppeals}}
			if _, err := s.UndoDecision(ctx, c.ID, was, time.Hour, t0.Add(time.Second)); !errors.Is(err, ErrForbidden) {
				t.Errorf("undo without the queue's role: %v, want ErrForbidden", err)
			}
		})
		if n := len(auditOf(t, s, "case.undone")); n != 0 {
			t.Errorf("%d refused undos audited as done", n)
		}
	})
}

// TestUndoWaitsForARelayRound: on PostgreSQL an undo never withdraws a
// message while a relay holds the outbox, between reading messages and
// marking them sent.
func TestUndoWaitsForARelayRound(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		if !s.postgres {
			t.Skip("SQLite's relay and undo share one clock; see undo.go")
		}
		ctx := context.Background()
		c := claimedCase(t, s, "a", mod)
		if err := s.Decide(ctx, c.ID, mod, Outcome{Kind: OutcomeRemove, Note: "r"}, t0); err != nil {
			t.Fatal(err)
		}
		conn, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, outboxRelayLock); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UndoDecision(ctx, c.ID, mod, time.Hour, t0.Add(time.Second)); !errors.Is(err, ErrConflict) {
			t.Errorf("undo while a relay publishes: %v, want ErrConflict", err)
		}
		if got, _ := s.Case(ctx, c.ID); got.Open() {
			t.Error("the undo went ahead while a relay published")
		}
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, outboxRelayLock); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UndoDecision(ctx, c.ID, mod, time.Hour, t0.Add(time.Second)); err != nil {
			t.Errorf("undo after the relay's round: %v", err)
		}
	})
}

func TestDecideManyRemovesAndRestricts(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		c := claimedCase(t, s, "a", mod)
		for _, bad := range [][]Outcome{
			nil,
			{{Kind: OutcomeDismiss}, {Kind: OutcomeMute, Duration: time.Hour}},
			{{Kind: OutcomeMute, Duration: time.Hour}, {Kind: OutcomeRemove}},
			{{Kind: OutcomeRemove}, {Kind: OutcomeMute}},
			{{Kind: OutcomeRemove}, {Kind: OutcomeWarn}, {Kind: OutcomeMute, Duration: time.Hour}},
		} {
			if err := s.DecideMany(ctx, c.ID, mod, bad, t0); err == nil {
				t.Errorf("DecideMany accepted %+v", bad)
			}
		}
		err := s.DecideMany(ctx, c.ID, mod, []Outcome{
			{Kind: OutcomeRemove, Note: "insults, again", Ground: "inclusiveness"},
			{Kind: OutcomeMute, Duration: 24 * time.Hour, Ground: "inclusiveness"},
		}, t0)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := s.Case(ctx, c.ID)
		if got.Open() || got.Outcome != OutcomeRemove || got.DecidedBy != mod.ID {
			t.Errorf("case after remove and mute: %+v", got)
		}
		acts, _ := s.CaseActions(ctx, c.ID)
		if len(acts) != 2 || acts[0].Kind != OutcomeRemove || acts[0].Note != "insults, again" ||
			acts[1].Kind != OutcomeMute || acts[1].Duration != 24*time.Hour || acts[1].Ground != "inclusiveness" {
			t.Errorf("case actions %+v", acts)
		}
		h, err := s.UserHistory(ctx, "author-a", 10)
		if err != nil || len(h.Strikes) != 1 || h.Strikes[0].Weight != 1 || len(h.Restrictions) != 1 || h.Restrictions[0].Kind != OutcomeMute {
			t.Errorf("history after remove and mute: %+v, %v", h, err)
		}
		if q := queued(t, s); !slices.Equal(q, []string{"remove:author-a", "mute:author-a"}) {
			t.Errorf("queued %v, want the removal then the mute", q)
		}
		if e := auditOf(t, s, "case.decided"); len(e) != 1 || !strings.Contains(e[0].Details, `"also":["mute"]`) {
			t.Errorf("audit of the decision: %+v", e)
		}
		res, err := s.UndoDecision(ctx, c.ID, mod, time.Hour, t0.Add(time.Second))
		if err != nil || res.Withdrawn != 2 || res.Restrictions != 1 || res.Strikes != 1 {
			t.Errorf("undo of remove and mute: %+v, %v", res, err)
		}
		// A ban after removal weighs as a ban.
		if err := s.DecideMany(ctx, c.ID, mod, []Outcome{{Kind: OutcomeRemove, Note: "r"}, {Kind: OutcomeBan}}, t0.Add(2*time.Second)); err != nil {
			t.Fatal(err)
		}
		if h, _ := s.UserHistory(ctx, "author-a", 10); len(h.Strikes) != 2 || h.Strikes[0].Weight+h.Strikes[1].Weight != 4 {
			t.Errorf("strikes after remove and ban: %+v", h.Strikes)
		}
	})
}
