package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/engine/store"
	"github.com/haechi-tns/haechi/engine/store/pgtest"
)

// signedAuditLog makes a data dir and a database (SQLite in the dir, or
// PostgreSQL at pgURL) whose audit log has four entries, signed as serve
// and worker sign it (startAuditCheckpoints): at start, after three, and
// at stop, after the fourth. It returns the data dir, the database and
// the flags verify needs to find them.
func signedAuditLog(t *testing.T, pgURL string) (string, *sql.DB, []string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	dsn, driver, args := filepath.Join(dir, store.FileName), "sqlite", []string{"--data-dir", dir}
	if pgURL != "" {
		dsn, driver, args = pgURL, "pgx", append(args, "--database-url", pgURL)
	}
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	audit := func(i int) {
		if err := st.Audit(ctx, time.Unix(int64(1700000000+i), 0), "mod-kim", "case.claimed", fmt.Sprintf("case-%d", i), nil); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		audit(i)
	}
	app := &cli.App{
		Flags: []cli.Flag{dataDirFlag, auditKeyFlag},
		Action: func(c *cli.Context) error {
			signing, err := startAuditCheckpoints(c, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				return err
			}
			audit(3)
			signing.Stop()
			return nil
		},
	}
	if err := app.Run([]string{"haechi", "--data-dir", dir}); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return dir, db, args
}

func TestAuditVerifyCommand(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, dir string, db *sql.DB) []string // returns extra flags
		want   string                                              // in the output, or else in the error
		fails  bool
		sqlite bool // only on SQLite
	}{
		{name: "intact", want: "audit log intact: 4 entries\nsigned: entry 4, in the checkpoint of "},
		{name: "intact, each checkpoint counted once", want: "(checkpoints checked: 2)\n"},
		{name: "entry edited", tamper: func(t *testing.T, _ string, db *sql.DB) []string {
			mustExec(t, db, `UPDATE audit_log SET action = 'case.released' WHERE seq = 2`)
			return nil
		}, fails: true, want: "audit log tampered with: audit log broken at entry 2"},
		{name: "tail truncated", tamper: func(t *testing.T, _ string, db *sql.DB) []string {
			mustExec(t, db, `DELETE FROM audit_log WHERE seq >= 3`)
			return nil
		}, fails: true, want: "broken at entry 3: entries 3 to 4 removed"},
		{name: "table emptied", tamper: func(t *testing.T, _ string, db *sql.DB) []string {
			mustExec(t, db, `DELETE FROM audit_log`)
			return nil
		}, fails: true, want: "broken at entry 1: entries 1 to 4 removed"},
		{name: "tail and checkpoints removed; the journal remains", tamper: func(t *testing.T, _ string, db *sql.DB) []string {
			mustExec(t, db, `DELETE FROM audit_log WHERE seq >= 3`)
			mustExec(t, db, `DELETE FROM audit_checkpoints`)
			return nil
		}, fails: true, want: "broken at entry 3: entries 3 to 4 removed"},
		{name: "missing key", tamper: func(t *testing.T, dir string, _ *sql.DB) []string {
			if err := os.Remove(filepath.Join(dir, store.PublicKeyFileName)); err != nil {
				t.Fatal(err)
			}
			return nil
		}, fails: true, want: "audit log cannot be verified: no public key at"},
		{name: "wrong key", tamper: func(t *testing.T, _ string, _ *sql.DB) []string {
			other := filepath.Join(t.TempDir(), "other.key")
			if _, _, err := store.LoadOrCreateAuditKey(other); err != nil {
				t.Fatal(err)
			}
			return []string{"--audit-pubkey", store.PublicKeyPath(other)}
		}, fails: true, want: "audit log cannot be verified: store: no audit checkpoint signed by this key"},
		{name: "mistyped data dir", sqlite: true, tamper: func(t *testing.T, dir string, _ *sql.DB) []string {
			return []string{"--data-dir", dir + "-typo"}
		}, fails: true, want: "no database at"},
	} {
		for _, backend := range []string{"sqlite", "postgres"} {
			if tc.sqlite && backend != "sqlite" {
				continue
			}
			t.Run(tc.name+"/"+backend, func(t *testing.T) {
				var pgURL string
				if backend == "postgres" {
					pgURL = pgtest.URL(t)
				}
				dir, db, args := signedAuditLog(t, pgURL)
				if tc.tamper != nil {
					args = append(args, tc.tamper(t, dir, db)...)
				}
				out, _, err := run(t, "", append([]string{"audit", "verify"}, args...)...)
				switch {
				case tc.fails && (err == nil || !strings.Contains(err.Error(), tc.want)):
					t.Errorf("verify: %q, %v; want an error with %q", out, err, tc.want)
				case !tc.fails && (err != nil || !strings.Contains(out, tc.want)):
					t.Errorf("verify: %q, %v; want %q", out, err, tc.want)
				}
				if tc.name == "mistyped data dir" {
					if _, err := os.Stat(dir + "-typo"); !errors.Is(err, fs.ErrNotExist) {
						t.Errorf("verify created the mistyped data dir: %v", err)
					}
				}
			})
		}
	}
}

// TestAuditCheckpointsWiring checks what serve and worker leave in the data
// dir: the key, readable by its owner only, the public key beside it, and
// the journal of the checkpoints written at start and at stop.
func TestAuditCheckpointsWiring(t *testing.T) {
	dir, _, _ := signedAuditLog(t, "")
	for name, mode := range map[string]fs.FileMode{store.KeyFileName: 0o600, store.PublicKeyFileName: 0o644} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Mode().Perm() != mode {
			t.Errorf("%s: %v; want mode %04o", name, err, mode)
		}
	}
	cps, _, err := store.ReadJournal(filepath.Join(dir, store.JournalName))
	if err != nil || len(cps) != 2 || cps[0].Seq != 3 || cps[1].Seq != 4 {
		t.Errorf("journal: %+v, %v; want checkpoints at entries 3 (start) and 4 (stop)", cps, err)
	}
}

func mustExec(t *testing.T, db *sql.DB, query string) {
	t.Helper()
	if _, err := db.Exec(query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func TestReportersIgnoreCommand(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	r, err := st.FileReport(ctx, &store.Report{ReporterID: "troll-1", TargetKind: store.TargetUser, TargetID: "user-5", Category: "hate"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if _, _, err := run(t, "", "reporters", "ignore", "--data-dir", dir, "--reason", "hundreds of false reports", "--by", "mod-kim", "troll-1"); err != nil {
		t.Fatal(err)
	}
	st, err = store.OpenSQLite(ctx, filepath.Join(dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := st.Case(ctx, r.CaseID)
	if err != nil || c.Reporters != 0 {
		t.Errorf("case after ignoring its only reporter: %d reporters, %v", c.Reporters, err)
	}
}

// TestAuditKeyThatCannotBeMadeStopsStartUp: a signing key path that can
// be neither read nor created is a configuration mistake, refused at
// start-up rather than leaving the audit log unsigned.
func TestAuditKeyThatCannotBeMadeStopsStartUp(t *testing.T) {
	dir := t.TempDir()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	blocker := filepath.Join(dir, "not-a-folder")
	if err := os.WriteFile(blocker, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	app := &cli.App{
		Flags: []cli.Flag{dataDirFlag, auditKeyFlag},
		Action: func(c *cli.Context) error {
			signing, err := startAuditCheckpoints(c, st, slog.New(slog.DiscardHandler))
			if err == nil {
				signing.Stop()
			}
			return err
		},
	}
	err = app.Run([]string{"haechi", "--data-dir", dir, "--audit-key", filepath.Join(blocker, "key.pem")})
	if err == nil || !strings.Contains(err.Error(), "--audit-key") {
		t.Fatalf("start-up with an impossible --audit-key: %v, want an error naming the flag", err)
	}
}
