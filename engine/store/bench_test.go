package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
)

// fillQueue inserts n open cases into the general queue directly, in
// batches, with spread priorities.
func fillQueue(b *testing.B, s *Store, n int) {
	b.Helper()
	ctx := context.Background()
	for start := 0; start < n; start += 5000 {
		err := s.tx(ctx, func(tx *sql.Tx) error {
			stmt, err := tx.PrepareContext(ctx, s.q(`INSERT INTO cases (`+caseColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`))
			if err != nil {
				return err
			}
			defer stmt.Close()
			for i := start; i < min(start+5000, n); i++ {
				id := fmt.Sprintf("case-%07d", i)
				at := ms(t0.Add(time.Duration(i) * time.Second))
				if _, err := stmt.ExecContext(ctx, id, "event:"+id, SourceDecision, QueueGeneral, 100+i%400, "medium", "[]", "plaza", "u",
					id, "", "", 0, 0, 0, at, at, at+ms(time.Unix(0, 0).Add(24*time.Hour)), "", int64(0), "", "", nil, int64(0)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClaimNext claims one case after another from a queue of
// 100,000 open cases (the claimed ones stay claimed, so the queue only
// shrinks by b.N) and reports the median and p99 claim time.
func BenchmarkClaimNext(b *testing.B) {
	run := func(b *testing.B, s *Store) {
		fillQueue(b, s, 100_000)
		ctx := context.Background()
		var lat []time.Duration
		m := Moderator{ID: "bench", Roles: []string{RoleModerator}}
		b.ResetTimer()
		for b.Loop() {
			t := time.Now()
			if _, err := s.ClaimNext(ctx, QueueGeneral, m, time.Hour, t0); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t))
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
	benchBackends(b, run)
}

// BenchmarkSaveDecision stores one decision per transaction, as a lone
// POST /v1/moderate does: allows, and holds that open a case and queue an
// action.
func BenchmarkSaveDecision(b *testing.B) {
	for _, action := range []engine.Action{engine.ActionAllow, engine.ActionHold} {
		b.Run(string(action), func(b *testing.B) {
			s, err := OpenSQLite(context.Background(), filepath.Join(b.TempDir(), FileName))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			i := 0
			for b.Loop() {
				i++
				d := decision(fmt.Sprintf("d-%d", i), fmt.Sprintf("e-%d", i), action)
				d.Queue, d.Severity = QueueGeneral, "medium"
				if _, err := s.SaveDecisions(ctx, []*engine.Decision{d}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSaveDecisionsBatch stores decisions as the worker does, 500 to
// a transaction, from 1,000 senders, nine in ten allowed; the figure is
// per decision.
func BenchmarkSaveDecisionsBatch(b *testing.B) {
	s, err := OpenSQLite(context.Background(), filepath.Join(b.TempDir(), FileName))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	const batch = 500
	n := 0
	for b.Loop() {
		ds := make([]*engine.Decision, batch)
		for j := range ds {
			n++
			action := engine.ActionAllow
			if n%10 == 0 {
				action = engine.ActionRedact
			}
			ds[j] = decision(fmt.Sprintf("d-%09d", n), fmt.Sprintf("evt-%x", n*2654435761), action)
			ds[j].SenderID = fmt.Sprintf("citizen-%d", n%1000)
		}
		if _, err := s.SaveDecisions(ctx, ds); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/decision")
}
