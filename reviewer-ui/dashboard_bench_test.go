package reviewerui

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine/store"
	"github.com/haechi-tns/haechi/engine/store/pgtest"
)

// BenchmarkDashboard measures the dashboard's server time (the handler in
// process, no network) over 14 days holding 100,000 cases (30,000 still
// open), 5,000 decided appeals, a queue sample every five minutes and
// hourly decision counts, on SQLite and PostgreSQL; it reports p50 and
// p95, and logs what SampleStats took to count the cases. The rows are
// written straight into the tables, as the store would have written
// them over two weeks.
func BenchmarkDashboard(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), store.FileName)
		st, err := store.OpenSQLite(context.Background(), path)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		db, err := sql.Open("sqlite", path)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		benchDashboard(b, st, db, "?")
	})
	b.Run("postgres", func(b *testing.B) {
		url := pgtest.URL(b)
		st, err := store.OpenPostgres(context.Background(), url)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		db, err := sql.Open("pgx", url)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		benchDashboard(b, st, db, "$")
	})
}

func benchDashboard(b *testing.B, st *store.Store, db *sql.DB, ph string) {
	now := t0
	seedDashboard(b, db, ph, now)
	// Housekeeping counts the cases, as it would have over the fortnight.
	ctx := context.Background()
	start := time.Now()
	for range 20 {
		if err := st.SampleStats(ctx, now); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("counting 31 days with 100,000 cases from scratch took %v", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	if err := st.SampleStats(ctx, now.Add(30*time.Second)); err != nil {
		b.Fatal(err)
	}
	b.Logf("a call of SampleStats half a minute later took %v", time.Since(start).Round(time.Microsecond))
	accounts := newFakeAccounts()
	accounts.add("op", store.RoleOperator)
	ui, err := New(Config{Store: st, Accounts: accounts, Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	sess, err := accounts.CreateSession(context.Background(), "u-op", now)
	if err != nil {
		b.Fatal(err)
	}
	get := func() time.Duration {
		req := httptest.NewRequest(http.MethodGet, "/ui/dashboard", nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: sess.Token})
		w := httptest.NewRecorder()
		start := time.Now()
		ui.ServeHTTP(w, req)
		d := time.Since(start)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
		return d
	}
	get() // prepares the statements
	var lat []time.Duration
	b.ResetTimer()
	for b.Loop() {
		lat = append(lat, get())
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
}

// seedDashboard writes two weeks of cases, appeals, queue samples and
// decision counts before now. ph is the dialect's placeholder: ? or $.
func seedDashboard(b *testing.B, db *sql.DB, ph string, now time.Time) {
	b.Helper()
	ctx := context.Background()
	q := func(query string) string {
		if ph == "?" {
			return query
		}
		var out []byte
		k := 0
		for i := range len(query) {
			if query[i] == '?' {
				k++
				out = fmt.Appendf(out, "$%d", k)
				continue
			}
			out = append(out, query[i])
		}
		return string(out)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	ms := func(t time.Time) int64 { return t.UnixMilli() }
	span := 14 * 24 * time.Hour
	start := now.Add(-span)
	queues := []string{store.QueueGeneral, store.QueueGeneral, store.QueueGeneral, store.QueueGeneral, store.QueueGeneral, store.QueueGeneral,
		store.QueueGeneral, store.QueueYouthSafety, store.QueueYouthSafety, store.QueueSenior}
	outcomes := []string{store.OutcomeRemove, store.OutcomeRemove, store.OutcomeDismiss, store.OutcomeWarn, store.OutcomeMute}
	tx := func(f func(tx *sql.Tx) error) {
		b.Helper()
		t, err := db.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := f(t); err != nil {
			t.Rollback()
			b.Fatal(err)
		}
		if err := t.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	const cases = 100_000
	for from := 0; from < cases; from += 10_000 {
		tx(func(t *sql.Tx) error {
			stmt, err := t.PrepareContext(ctx, q(`INSERT INTO cases (case_id, content_key, source, queue, priority, severity, categories, space_type,
				subject_user_id, event_id, created_at, updated_at, sla_due_at, decided_by, outcome, closed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`))
			if err != nil {
				return err
			}
			defer stmt.Close()
			for i := from; i < from+10_000; i++ {
				id := fmt.Sprintf("case-%06d", i)
				queue := queues[i%len(queues)]
				created := start.Add(time.Duration(rng.Int64N(int64(span))))
				due := created.Add(store.SLA[queue])
				var closed any
				by, outcome := "", ""
				if i%10 >= 3 { // 70% closed, within two days
					c := created.Add(time.Duration(rng.Int64N(int64(48 * time.Hour))))
					if c.After(now) {
						c = now
					}
					closed, by, outcome = ms(c), fmt.Sprintf("reviewer-%02d", rng.IntN(20)), outcomes[rng.IntN(len(outcomes))]
				}
				if _, err := stmt.ExecContext(ctx, id, "event:"+id, store.SourceDecision, queue, 200, "medium", `["spam"]`, "plaza",
					fmt.Sprint("user-", i%5000), "e-"+id, ms(created), ms(created), ms(due), by, outcome, closed); err != nil {
					return err
				}
			}
			return nil
		})
	}
	tx(func(t *sql.Tx) error {
		stmt, err := t.PrepareContext(ctx, q(`INSERT INTO appeals (appeal_id, decision_id, case_id, appellant_id, created_at, review_case, status, decided_by, decided_at)
			VALUES (?,?,?,?,?,?,?,?,?)`))
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i := range 5000 {
			decided := start.Add(time.Duration(rng.Int64N(int64(span))))
			status, orig := store.AppealUpheld, ""
			if i%4 == 0 {
				status = store.AppealOverturned
			}
			if i%3 == 0 {
				orig = fmt.Sprintf("case-%06d", i)
			}
			if _, err := stmt.ExecContext(ctx, fmt.Sprint("appeal-", i), fmt.Sprint("d-", i), orig, fmt.Sprint("user-", i),
				ms(decided.Add(-time.Hour)), fmt.Sprintf("case-%06d", i), status, "reviewer-01", ms(decided)); err != nil {
				return err
			}
		}
		return nil
	})
	tx(func(t *sql.Tx) error {
		stmt, err := t.PrepareContext(ctx, q(`INSERT INTO queue_samples (slot, queue, at, open_cases, claimed, overdue, oldest_age_ms) VALUES (?,?,?,?,?,?,?)`))
		if err != nil {
			return err
		}
		defer stmt.Close()
		every := store.QueueSampleEvery
		for at := start.Truncate(every); at.Before(now); at = at.Add(every) {
			for _, queue := range store.QueueOrder {
				if _, err := stmt.ExecContext(ctx, ms(at)/every.Milliseconds(), queue, ms(at), rng.IntN(30000), rng.IntN(20), rng.IntN(500),
					rng.Int64N(int64(48*time.Hour/time.Millisecond))); err != nil {
					return err
				}
			}
		}
		return nil
	})
	tx(func(t *sql.Tx) error {
		stmt, err := t.PrepareContext(ctx, q(`INSERT INTO decision_counts (hour, action, category, space_type, n) VALUES (?,?,?,?,?)`))
		if err != nil {
			return err
		}
		defer stmt.Close()
		spaces := []string{"plaza", "youth", "business", "event", "library", "tourism", "hr", "legal", "mayor_office"}
		cats := []string{"spam", "insult", "profanity", "hate", "harassment", "scam", "pii", "sexual", "threat", "toxic"}
		for at := start.Truncate(time.Hour); at.Before(now); at = at.Add(time.Hour) {
			for _, action := range []string{"allow", "redact", "hold", "block", "escalate"} {
				for _, sp := range spaces {
					if _, err := stmt.ExecContext(ctx, ms(at), action, "", sp, rng.Int64N(10000)); err != nil {
						return err
					}
				}
				if action == "allow" {
					continue
				}
				for _, c := range cats {
					if _, err := stmt.ExecContext(ctx, ms(at), action, c, "", rng.Int64N(1000)); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if ph == "$" {
		if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil {
			b.Fatal(err)
		}
	}
}
