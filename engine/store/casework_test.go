package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
)

func TestReassignAndAskForHelp(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		openFor(t, s, reviewDecision("w", engine.ActionHold, QueueGeneral, engine.Insult))
		c, err := s.ClaimNext(ctx, QueueGeneral, mod, time.Minute, t0)
		if err != nil {
			t.Fatal(err)
		}
		other := Moderator{ID: "mod-choi", Roles: []string{"moderator"}}
		if err := s.Reassign(ctx, c.ID, mod, other, time.Hour, "you know this user", t0); err != nil {
			t.Fatal(err)
		}
		if err := s.Decide(ctx, c.ID, mod, Outcome{Kind: OutcomeDismiss}, t0); !errors.Is(err, ErrForbidden) {
			t.Errorf("the reviewer who gave the case away still decided it: %v", err)
		}
		if err := s.AskForHelp(ctx, c.ID, other, "is this a slur in Jeju dialect?", 10*time.Hour, t0); err != nil {
			t.Fatal(err)
		}
		got, _ := s.Case(ctx, c.ID)
		if got.ClaimedBy != other.ID || !got.LeaseUntil.Equal(t0.Add(MaxHelpHold)) {
			t.Errorf("while asking for help: held by %s until %v, want %s until %v", got.ClaimedBy, got.LeaseUntil, other.ID, t0.Add(MaxHelpHold))
		}
		if at, err := s.HelpRequested(ctx, c.ID); err != nil || !at.Equal(t0) || !got.HelpRequestedAt.Equal(t0) {
			t.Errorf("help requested at %v (case says %v) %v", at, got.HelpRequestedAt, err)
		}
		// The case is not claimable meanwhile.
		if _, err := s.ClaimNext(ctx, QueueGeneral, mod2, time.Minute, t0.Add(time.Hour)); !errors.Is(err, ErrNoCase) {
			t.Errorf("a case held while asking for help was claimed: %v", err)
		}
		if err := s.Release(ctx, c.ID, other, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if at, _ := s.HelpRequested(ctx, c.ID); !at.IsZero() {
			t.Error("a released case still asks for help")
		}

		openFor(t, s, reviewDecision("y", engine.ActionEscalate, QueueYouthSafety, engine.SelfHarm))
		y, err := s.ClaimNext(ctx, QueueYouthSafety, counselor, time.Minute, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Reassign(ctx, y.ID, counselor, mod, time.Hour, "", t0); !errors.Is(err, ErrForbidden) {
			t.Errorf("a youth-safety case went to a moderator without the counsellor role: %v", err)
		}
		if err := s.Reassign(ctx, y.ID, mod, counselor, time.Hour, "", t0); !errors.Is(err, ErrForbidden) {
			t.Errorf("someone who does not hold the case reassigned it: %v", err)
		}
	})
}

// TestOutcomeGroundIsAPrinciple: a decision rests on a principle of the
// code of ethics or is refused; CaseGround returns the one given.
func TestOutcomeGroundIsAPrinciple(t *testing.T) {
	if err := (Outcome{Kind: OutcomeRemove, Ground: "kindness"}).Validate(); err == nil {
		t.Error("an outcome on an unknown ground was accepted")
	}
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		openFor(t, s, reviewDecision("g", engine.ActionHold, QueueGeneral, engine.Insult))
		c, err := s.ClaimNext(ctx, QueueGeneral, mod, time.Minute, t0)
		if err != nil {
			t.Fatal(err)
		}
		if g, err := s.CaseGround(ctx, c.ID); err != nil || g != "" {
			t.Errorf("ground before any decision: %q %v", g, err)
		}
		if err := s.Decide(ctx, c.ID, mod, Outcome{Kind: OutcomeRemove, Ground: "inclusiveness"}, t0); err != nil {
			t.Fatal(err)
		}
		if g, err := s.CaseGround(ctx, c.ID); err != nil || g != "inclusiveness" {
			t.Errorf("ground %q %v, want inclusiveness", g, err)
		}
	})
}
