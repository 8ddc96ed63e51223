package main

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine/retention"
	"github.com/haechi-tns/haechi/engine/store"
)

// TestHousekeepingDeletesExpiredSessions: housekeeping deletes the
// reviewer UI's expired sessions (with its hourly chores) and keeps the
// live ones.
func TestHousekeepingDeletesExpiredSessions(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), store.FileName)
	st, err := store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	u, err := st.CreateUser(ctx, "kim", "Kim", []string{store.RoleModerator}, "a first password for kim", "test", t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateSession(ctx, u.ID, t0); err != nil {
		t.Fatal(err)
	}
	// An hour later kim's session has been idle too long; lee's has just
	// begun. (A user's own sign-in deletes their expired sessions, so
	// lee's does not touch kim's.)
	now := t0.Add(time.Hour)
	lee, err := st.CreateUser(ctx, "lee", "Lee", []string{store.RoleModerator}, "a first password for lee", "test", t0)
	if err != nil {
		t.Fatal(err)
	}
	live, err := st.CreateSession(ctx, lee.ID, now)
	if err != nil {
		t.Fatal(err)
	}
	h := &housekeeper{st: st, retention: &retention.Job{Store: st, Retention: store.DefaultRetention(), Log: slog.New(slog.DiscardHandler)},
		log: slog.New(slog.DiscardHandler)}
	h.round(ctx, now)

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sessions`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d sessions stored after housekeeping, want the live one only", n)
	}
	if _, _, err := st.PeekSession(ctx, live.Token, now); err != nil {
		t.Errorf("the live session: %v", err)
	}
}
