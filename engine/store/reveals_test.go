package store

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestCountRevealsCountsTheAuditLog: a reviewer's reveals of content and
// of images between two times, and nothing else: not other actions, not
// other reviewers, not reveals outside the window.
func TestCountRevealsCountsTheAuditLog(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		day := t0.Truncate(24 * time.Hour)
		entries := []struct {
			at            time.Time
			actor, action string
		}{
			{day.Add(-time.Millisecond), "u-kim", AuditContentRevealed}, // the day before
			{day, "u-kim", AuditContentRevealed},
			{day.Add(time.Hour), "u-kim", AuditImageRevealed},
			{day.Add(2 * time.Hour), "u-kim", AuditImageRevealed},
			{day.Add(3 * time.Hour), "u-kim", "ui.denied"},
			{day.Add(3 * time.Hour), "u-kim", "case.lease_extended"},
			{day.Add(4 * time.Hour), "u-lee", AuditContentRevealed},
			{day.Add(24 * time.Hour), "u-kim", AuditContentRevealed}, // the next day
		}
		for _, e := range entries {
			if err := s.Audit(ctx, e.at, e.actor, e.action, "case-1", map[string]any{"reason": "x"}); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			actor        string
			since, until time.Time
			want         int
		}{
			{"u-kim", day, day.Add(24 * time.Hour), 3},
			{"u-kim", day.Add(-24 * time.Hour), day, 1},
			{"u-kim", day.Add(24 * time.Hour), day.Add(48 * time.Hour), 1},
			{"u-lee", day, day.Add(24 * time.Hour), 1},
			{"u-nobody", day, day.Add(24 * time.Hour), 0},
		}
		for _, tt := range tests {
			got, err := s.CountReveals(ctx, tt.actor, tt.since, tt.until)
			if err != nil || got != tt.want {
				t.Errorf("CountReveals(%s, %v, %v) = %d, %v; want %d", tt.actor, tt.since, tt.until, got, err, tt.want)
			}
		}
	})
}

// TestCountRevealsUsesItsIndex: the count runs on every page of the
// reviewer UI, so on SQLite its plan must search the partial index, not
// scan the audit log.
func TestCountRevealsUsesItsIndex(t *testing.T) {
	s, _ := openTemp(t)
	p := queryPlan(t, s, `SELECT count(*) FROM audit_log WHERE action IN `+revealActions+` AND actor = ? AND at >= ? AND at < ?`, "u", 0, 1)
	if !strings.Contains(p, "USING COVERING INDEX audit_log_reveals") && !strings.Contains(p, "USING INDEX audit_log_reveals") {
		t.Errorf("plan %q does not use audit_log_reveals", p)
	}
}

// queryPlan is SQLite's plan for query with args, its steps joined by "; ".
func queryPlan(t *testing.T, s *Store, query string, args ...any) string {
	t.Helper()
	rows, err := s.db.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "; ")
}
