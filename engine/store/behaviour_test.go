package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/behaviour"
)

func TestBehaviourStateAndMarks(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if b, err := s.LoadBehaviour(ctx, "haechi.chat/0"); err != nil || b != nil {
			t.Fatalf("nothing saved: %v, %v", b, err)
		}
		for _, data := range [][]byte{{1, 2, 3}, {4, 5}} {
			if err := s.SaveBehaviour(ctx, "haechi.chat/0", data); err != nil {
				t.Fatal(err)
			}
		}
		if b, err := s.LoadBehaviour(ctx, "haechi.chat/0"); err != nil || string(b) != string([]byte{4, 5}) {
			t.Fatalf("after two saves: %v, %v", b, err)
		}

		// Marks: each instance reads the others' only; the full 64 bits
		// of hashes survive the signed columns.
		start := time.Now()
		marks := make([]behaviour.Mark, 450)
		for i := range marks {
			marks[i] = behaviour.Mark{Kind: behaviour.MarkDomain, Key: 1<<63 | uint64(i), Sender: ^uint64(i), Sim: 0, At: int64(i)}
		}
		if err := s.AppendMarks(ctx, "worker-a", marks); err != nil {
			t.Fatal(err)
		}
		if err := s.AppendMarks(ctx, "worker-b", []behaviour.Mark{{Kind: behaviour.MarkWave, Sender: 7, Sim: 1<<63 | 5, At: 9}}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Marks(ctx, "worker-b", start.Add(-time.Second), 1000)
		if err != nil || len(got) != 450 {
			t.Fatalf("worker-b reads %d marks (%v), want worker-a's 450", len(got), err)
		}
		if m := got[449]; m.Key != 1<<63|449 || m.Sender != ^uint64(449) || m.Kind != behaviour.MarkDomain || m.Seq == 0 {
			t.Errorf("last mark read back as %+v", m)
		}
		got, err = s.Marks(ctx, "worker-a", start.Add(-time.Second), 1000)
		if err != nil || len(got) != 1 || got[0].Sim != 1<<63|5 {
			t.Fatalf("worker-a reads %+v (%v), want worker-b's one", got, err)
		}
		if err := s.PurgeMarks(ctx, time.Now().Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Marks(ctx, "worker-c", start.Add(-time.Hour), 1000); len(got) != 0 {
			t.Errorf("%d marks after the purge", len(got))
		}
	})
}

// TestUserContextCountsReporters: distinct reporters of a user in the
// last 7 days; reporters an operator ignores do not count.
func TestUserContextCountsReporters(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		now := time.Now()
		file := func(reporter string, at time.Time) {
			if _, err := s.FileReport(ctx, &Report{ReporterID: reporter, TargetKind: TargetUser, TargetID: "troll", Category: engine.Harassment}, at); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 3 {
			file(fmt.Sprintf("rep-%d", i), now.Add(-time.Hour))
		}
		file("rep-0", now.Add(-time.Minute))      // the same reporter again
		file("rep-old", now.Add(-8*24*time.Hour)) // too long ago
		if err := s.IgnoreReporter(ctx, "rep-2", "abuse of reports", mod, now); err != nil {
			t.Fatal(err)
		}
		file("rep-2", now.Add(-time.Minute)) // an ignored reporter's reports no longer count
		uc, err := s.UserContext(ctx, engine.Party{ID: "troll"})
		if err != nil {
			t.Fatal(err)
		}
		if uc.Reporters != 2 {
			t.Errorf("reporters = %d, want 2 (rep-0, rep-1; rep-2 is ignored, rep-old too old)", uc.Reporters)
		}
		if uc, _ := s.UserContext(ctx, engine.Party{ID: "someone-else"}); uc.Reporters != 0 {
			t.Errorf("an unreported user has %d reporters", uc.Reporters)
		}
	})
}
