package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine/store"
)

func TestAuditVerifyCommand(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	for i, action := range []string{"case.claimed", "pii.revealed", "case.decided"} {
		if err := st.Audit(ctx, time.Unix(int64(1700000000+i), 0), "mod-kim", action, "case-1", nil); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	out, _, err := run(t, "", "audit", "verify", "--data-dir", dir)
	if err != nil || !strings.Contains(out, "intact: 3 entries") {
		t.Fatalf("verify on an intact log: %q, %v", out, err)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE audit_log SET action = 'case.released' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, _, err = run(t, "", "audit", "verify", "--data-dir", dir)
	if err == nil || !strings.Contains(err.Error(), "entry 2") {
		t.Errorf("verify on an edited log: %v, want an error naming entry 2", err)
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
