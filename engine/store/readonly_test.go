package store

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/haechi-tns/haechi/engine/store/pgtest"
)

func TestOpenReadOnlyNeverCreates(t *testing.T) {
	ctx := context.Background()
	t.Run("sqlite missing", func(t *testing.T) {
		root := t.TempDir()
		path := filepath.Join(root, "mistyped", FileName)
		if s, err := OpenReadOnly(ctx, path); err == nil || !strings.Contains(err.Error(), "no database at "+path) {
			t.Errorf("opened a missing database: %v", err)
			if s != nil {
				s.Close()
			}
		}
		if left, _ := os.ReadDir(root); len(left) != 0 {
			t.Errorf("created %v", left)
		}
	})
	t.Run("sqlite not haechi", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), FileName)
		os.WriteFile(path, nil, 0o600)
		if _, err := OpenReadOnly(ctx, path); err == nil || !strings.Contains(err.Error(), "not a Haechi database") {
			t.Errorf("an empty file: %v", err)
		}
		if st, _ := os.Stat(path); st.Size() != 0 {
			t.Errorf("the empty file was written to: %d bytes", st.Size())
		}
	})
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "a#b?c%d e", FileName)
		w, err := OpenSQLite(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		appendEntries(t, w, 2)
		w.Close()
		for _, writerOpen := range []bool{false, true} {
			if writerOpen {
				// A running haechi serve holds it open in WAL mode.
				if w, err = OpenSQLite(ctx, path); err != nil {
					t.Fatal(err)
				}
				defer w.Close()
				appendEntries(t, w, 1)
			}
			r, err := OpenReadOnly(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			n, err := r.VerifyAudit(ctx)
			if want := int64(map[bool]int{false: 2, true: 3}[writerOpen]); err != nil || n != want {
				t.Errorf("writer open %v: read %d entries, %v; want %d", writerOpen, n, err, want)
			}
			if err := r.Audit(ctx, t0, "mod-kim", "case.claimed", "case-1", nil); err == nil {
				t.Errorf("writer open %v: wrote through a read-only store", writerOpen)
			}
			r.Close()
		}
	})
	t.Run("postgres", func(t *testing.T) {
		u := pgtest.URL(t)
		if _, err := OpenReadOnly(ctx, u); err == nil || !strings.Contains(err.Error(), "not a Haechi database") {
			t.Errorf("an empty database: %v", err)
		}
		db, err := sql.Open("pgx", u)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var tables int
		db.QueryRow(`SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'public'`).Scan(&tables)
		if tables != 0 {
			t.Errorf("opening read-only created %d tables", tables)
		}
		w, err := OpenPostgres(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		appendEntries(t, w, 2)
		r, err := OpenReadOnly(ctx, u+"&max_conns=4")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if n, err := r.VerifyAudit(ctx); err != nil || n != 2 {
			t.Errorf("read %d entries, %v; want 2", n, err)
		}
		if err := r.Audit(ctx, t0, "mod-kim", "case.claimed", "case-1", nil); err == nil {
			t.Errorf("wrote through a read-only store")
		}
	})
}
