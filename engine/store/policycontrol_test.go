package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
)

func TestPolicyControl(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		now := t0
		for _, rev := range []string{"rev-a", "rev-b"} {
			r := PolicyRevision{Revision: rev, Files: map[string]string{"main.rego": "package haechi.main\n"}, Tests: 3, UploadedBy: "cli:op", UploadedAt: now}
			if err := s.SavePolicyRevision(ctx, r); err != nil {
				t.Fatal(err)
			}
			if err := s.SavePolicyRevision(ctx, r); err != nil {
				t.Fatalf("saving a revision again: %v", err)
			}
		}
		got, err := s.PolicyRevision(ctx, "rev-a")
		if err != nil || got.Files["main.rego"] != "package haechi.main\n" || got.Tests != 3 {
			t.Fatalf("PolicyRevision = %+v, %v", got, err)
		}
		if _, err := s.PolicyRevision(ctx, "nope"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown revision: %v", err)
		}
		if _, err := s.PromoteCandidate(ctx, "op", now); !errors.Is(err, ErrNoCandidate) {
			t.Errorf("promote without candidate: %v", err)
		}
		if _, err := s.RollbackPolicy(ctx, "op", now); !errors.Is(err, ErrNothingToRollBack) {
			t.Errorf("rollback with nothing promoted: %v", err)
		}
		if _, err := s.StartShadow(ctx, "unknown", "op", now); !errors.Is(err, ErrNotFound) {
			t.Errorf("shadow of an unknown revision: %v", err)
		}
		steps := []struct {
			name                      string
			do                        func() (*PolicyControl, error)
			live, previous, candidate string
		}{
			{"start a", func() (*PolicyControl, error) { return s.StartShadow(ctx, "rev-a", "user:op1", now) }, "", "", "rev-a"},
			{"promote a", func() (*PolicyControl, error) { return s.PromoteCandidate(ctx, "user:op1", now) }, "rev-a", "", ""},
			{"start b", func() (*PolicyControl, error) { return s.StartShadow(ctx, "rev-b", "user:op2", now) }, "rev-a", "", "rev-b"},
			{"promote b", func() (*PolicyControl, error) { return s.PromoteCandidate(ctx, "user:op2", now) }, "rev-b", "rev-a", ""},
			{"rollback", func() (*PolicyControl, error) { return s.RollbackPolicy(ctx, "user:op1", now) }, "rev-a", "rev-b", ""},
			{"rollback again", func() (*PolicyControl, error) { return s.RollbackPolicy(ctx, "user:op1", now) }, "rev-b", "rev-a", ""},
			{"start a again", func() (*PolicyControl, error) { return s.StartShadow(ctx, "rev-a", "user:op1", now) }, "rev-b", "rev-a", "rev-a"},
			{"stop", func() (*PolicyControl, error) { return s.StopShadow(ctx, "user:op1", now) }, "rev-b", "rev-a", ""},
		}
		for i, st := range steps {
			c, err := st.do()
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			read, err := s.PolicyControl(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if *read != *c || c.LiveRevision != st.live || c.PreviousRevision != st.previous || c.CandidateRevision != st.candidate || c.Generation != int64(i+1) {
				t.Errorf("%s: control %+v (read back %+v), want live %q previous %q candidate %q generation %d", st.name, c, read, st.live, st.previous, st.candidate, i+1)
			}
		}
		if _, err := s.StartShadow(ctx, "rev-b", "op", now); !errors.Is(err, ErrConflict) {
			t.Errorf("shadow of the live revision: %v", err)
		}
		page, err := s.SearchAudit(ctx, AuditQuery{Subject: "policy:control", Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Entries) != len(steps) {
			t.Errorf("%d audit entries of policy control, want %d", len(page.Entries), len(steps))
		}
		if _, err := s.VerifyAudit(ctx); err != nil {
			t.Error(err)
		}
		// Instances report; one silent for a day is forgotten.
		for i, at := range []time.Time{now.Add(-25 * time.Hour), now.Add(-time.Hour), now} {
			if err := s.ReportPolicyInstance(ctx, PolicyInstance{ID: fmt.Sprint("i", i), Generation: 8, LiveRevision: "rev-b", SeenAt: at}); err != nil {
				t.Fatal(err)
			}
		}
		ins, err := s.PolicyInstances(ctx, now.Add(-48*time.Hour))
		if err != nil || len(ins) != 2 || ins[0].ID != "i1" || ins[1].LiveRevision != "rev-b" {
			t.Errorf("instances %+v, %v", ins, err)
		}
	})
}

func TestShadowResultsAreBounded(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		counts := []engine.ShadowCount{{Dim: "compared", N: 3}, {Dim: "transition", Key: "allow>block", N: 1}}
		var samples []engine.ShadowSample
		for i := range MaxShadowSamples + 10 {
			samples = append(samples, engine.ShadowSample{At: t0.Add(time.Duration(i) * time.Second), DecisionID: fmt.Sprintf("d-%03d", i), EventID: fmt.Sprintf("e-%03d", i),
				SpaceType: engine.SpaceYouth, Live: engine.ShadowVerdict{Action: engine.ActionAllow}, Candidate: engine.ShadowVerdict{Action: engine.ActionBlock, RuleIDs: []string{"r"}}})
		}
		for range 2 {
			if err := s.AddShadowResults(ctx, "rev-c", counts, samples); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.ShadowCounts(ctx, "rev-c")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].N != 6 || got[1].N != 2 {
			t.Errorf("counts %+v, want doubled", got)
		}
		kept, err := s.ShadowSamples(ctx, "rev-c", 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(kept) != MaxShadowSamples || kept[0].DecisionID != fmt.Sprintf("d-%03d", MaxShadowSamples+9) || kept[0].Candidate.Action != engine.ActionBlock {
			t.Errorf("%d samples kept, newest %+v", len(kept), kept[0])
		}
	})
}
