package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestSearchAuditFiltersAndPagesNewestFirst(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		// Entry i (1..30) at t0+i min, by kim when i is odd, lee when even; every third
		// is a claim; subjects case-0..case-4.
		for i := 1; i <= 30; i++ {
			actor := []string{"lee", "kim"}[i%2]
			action := "case.decided"
			if i%3 == 0 {
				action = "case.claimed"
			}
			if err := s.Audit(ctx, t0.Add(time.Duration(i)*time.Minute), actor, action, fmt.Sprint("case-", i%5), nil); err != nil {
				t.Fatal(err)
			}
		}
		seqs := func(es []AuditEntry) []int64 {
			var out []int64
			for _, e := range es {
				out = append(out, e.Seq)
			}
			return out
		}
		tests := []struct {
			name string
			q    AuditQuery
			want []int64
		}{
			{"everything", AuditQuery{Limit: 4}, []int64{30, 29, 28, 27}},
			{"actor", AuditQuery{Actor: "kim", Limit: 3}, []int64{29, 27, 25}},
			{"action", AuditQuery{Action: "case.claimed", Limit: 3}, []int64{30, 27, 24}},
			{"subject", AuditQuery{Subject: "case-2"}, []int64{27, 22, 17, 12, 7, 2}},
			{"actor and action", AuditQuery{Actor: "lee", Action: "case.claimed"}, []int64{30, 24, 18, 12, 6}},
			{"time range", AuditQuery{From: t0.Add(10 * time.Minute), To: t0.Add(13 * time.Minute)}, []int64{12, 11, 10}},
			{"before", AuditQuery{Before: &AuditCursor{At: t0.Add(5 * time.Minute), Seq: 5}}, []int64{4, 3, 2, 1}},
			{"nothing", AuditQuery{Actor: "park"}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p, err := s.SearchAudit(ctx, tt.q)
				if err != nil {
					t.Fatal(err)
				}
				if got := seqs(p.Entries); !slices.Equal(got, tt.want) {
					t.Errorf("entries %v, want %v", got, tt.want)
				}
			})
		}

		// Paging through kim's entries a few at a time sees each once.
		var all []int64
		q := AuditQuery{Actor: "kim", Limit: 4}
		for range 10 {
			p, err := s.SearchAudit(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, seqs(p.Entries)...)
			if p.Next == nil {
				break
			}
			c, err := ParseAuditCursor(p.Next.String())
			if err != nil || c != *p.Next {
				t.Fatalf("cursor %v read back as %v (%v)", p.Next, c, err)
			}
			q.Before = &c
		}
		if want := []int64{29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1}; !slices.Equal(all, want) {
			t.Errorf("pages of kim's entries %v, want %v", all, want)
		}

		if e, err := s.AuditEntryAt(ctx, 7); err != nil || e.Seq != 7 || !e.At.Equal(t0.Add(7*time.Minute)) {
			t.Errorf("entry 7: %+v (%v)", e, err)
		}
		if _, err := s.AuditEntryAt(ctx, 31); !errors.Is(err, ErrNotFound) {
			t.Errorf("entry 31: %v, want ErrNotFound", err)
		}
		for _, bad := range []string{"", "1", "x.1", "1.x", "1.2.3"} {
			if _, err := ParseAuditCursor(bad); err == nil {
				t.Errorf("cursor %q was read", bad)
			}
		}
	})
}

// BenchmarkAuditView measures the audit view's reads over a log of a
// million entries (a few weeks of a busy service): a page newest first,
// a page by a rare actor, a subject, a time range, and a verification of
// the whole chain (once; reported as verify-ms). Entries are written
// straight into the table with their hashes, as the store would have.
func BenchmarkAuditView(b *testing.B) {
	const entries = 1_000_000
	run := func(b *testing.B, s *Store) {
		ctx := context.Background()
		prev := genesisHash
		for start := int64(1); start <= entries; start += 10_000 {
			err := s.tx(ctx, func(tx *sql.Tx) error {
				stmt, err := tx.PrepareContext(ctx, s.q(insertAuditSQL))
				if err != nil {
					return err
				}
				defer stmt.Close()
				for seq := start; seq < start+10_000; seq++ {
					at := ms(t0.Add(time.Duration(seq) * time.Second))
					actor := fmt.Sprintf("reviewer-%02d", seq%40)
					if seq%100_000 == 0 {
						actor = "rare"
					}
					action, subject, details := "case.lease_extended", fmt.Sprint("case-", seq/7), `{"lease_until":"2026-11-22T09:00:00Z"}`
					h := auditHash(seq, at, actor, action, subject, details, prev)
					if _, err := stmt.ExecContext(ctx, seq, at, actor, action, subject, details, prev, h); err != nil {
						return err
					}
					prev = h
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		if s.postgres {
			if _, err := s.db.ExecContext(ctx, `ANALYZE audit_log`); err != nil {
				b.Fatal(err)
			}
		}
		start := time.Now()
		if n, err := s.VerifyAudit(ctx); err != nil || n != entries {
			b.Fatalf("verify: %d, %v", n, err)
		}
		verify := time.Since(start)
		queries := []AuditQuery{
			{},
			{Actor: "rare"},
			{Subject: "case-70000"},
			{From: t0.Add(100_000 * time.Second), To: t0.Add(200_000 * time.Second)},
			{Actor: "reviewer-07", Before: &AuditCursor{At: t0.Add(500_000 * time.Second), Seq: 500_000}},
		}
		var lat []time.Duration
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			t := time.Now()
			if _, err := s.SearchAudit(ctx, queries[i%len(queries)]); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t))
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(verify.Milliseconds()), "verify-ms")
	}
	benchBackends(b, run)
}
