package pgtest_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine/store/pgtest"
)

func TestURL(t *testing.T) {
	first, second := pgtest.URL(t), pgtest.URL(t)
	if dbName(t, first) == dbName(t, second) {
		t.Fatalf("two calls gave the same database %s", dbName(t, first))
	}
	for _, tc := range []struct{ name, url string }{
		{"first", first},
		{"second", second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := open(t, tc.url)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()

			var current string
			if err := db.QueryRowContext(ctx, "SELECT current_database()").Scan(&current); err != nil {
				t.Fatalf("current_database: %v", err)
			}
			if want := dbName(t, tc.url); current != want {
				t.Errorf("connected to %s, want %s", current, want)
			}
			var tables int
			err := db.QueryRowContext(ctx, `SELECT count(*) FROM pg_catalog.pg_tables
				WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`).Scan(&tables)
			if err != nil {
				t.Fatalf("count tables: %v", err)
			}
			if tables != 0 {
				t.Errorf("new database has %d user tables, want 0", tables)
			}
		})
	}
}

func TestURLDropsAtCleanup(t *testing.T) {
	parent := t
	var name string
	t.Run("use", func(t *testing.T) {
		u := pgtest.URL(t)
		name = dbName(t, u)
		// A connection still open when the subtest ends (it is closed at
		// the parent's cleanup) must not keep the database from being dropped.
		if err := open(parent, u).Ping(); err != nil {
			t.Fatalf("ping: %v", err)
		}
	})
	if name == "" {
		return // the subtest skipped or failed and says why
	}
	var exists bool
	err := open(t, os.Getenv(pgtest.EnvURL)).QueryRow(
		"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists)
	if err != nil {
		t.Fatalf("look up %s: %v", name, err)
	}
	if exists {
		t.Errorf("database %s still exists after the test that made it ended", name)
	}
}

// TestURLWithoutServer checks that a missing server fails the test in CI,
// where skipping would hide the PostgreSQL tests, and skips it elsewhere.
func TestURLWithoutServer(t *testing.T) {
	for _, tc := range []struct {
		name, ci string
		want     string
	}{
		{"CI fails", "true", "fatal"},
		{"no CI skips", "", "skip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(pgtest.EnvURL, "")
			t.Setenv("CI", tc.ci)
			r := &recorder{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				pgtest.URL(r)
			}()
			<-done
			if r.outcome != tc.want {
				t.Fatalf("outcome %q, want %q", r.outcome, tc.want)
			}
			if !strings.Contains(r.msg, "make test") {
				t.Errorf("message %q does not say how to get PostgreSQL", r.msg)
			}
		})
	}
}

// recorder stands in for a test, recording how URL ended it instead of
// ending the real one.
type recorder struct {
	testing.TB
	outcome, msg string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatal(args ...any) { r.stop("fatal", fmt.Sprint(args...)) }

func (r *recorder) Fatalf(format string, args ...any) { r.stop("fatal", fmt.Sprintf(format, args...)) }

func (r *recorder) Skip(args ...any) { r.stop("skip", fmt.Sprint(args...)) }

func (r *recorder) Skipf(format string, args ...any) { r.stop("skip", fmt.Sprintf(format, args...)) }

func (r *recorder) stop(outcome, msg string) {
	r.outcome, r.msg = outcome, msg
	runtime.Goexit()
}

func dbName(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatalf("parse %q: %v", rawURL, err)
	}
	return strings.TrimPrefix(u.Path, "/")
}

func open(t *testing.T, rawURL string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", rawURL)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
