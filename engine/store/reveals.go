package store

import (
	"context"
	"fmt"
	"time"
)

// A reviewer sees a case's content masked (personal information) and
// blurred (images) until they ask for more. Every such reveal is an entry
// of the audit log, written by the reviewer UI with one of the actions
// below; the wellbeing counter of what a reviewer revealed today is
// counted from those entries, so it says exactly what the log says and
// there is nothing else to keep in step with it.

// Audit actions of reveals.
const (
	// AuditContentRevealed is a reviewer unmasking a case's content:
	// the subject is the case, the details hold the reviewer's reason.
	AuditContentRevealed = "case.revealed"
	// AuditImageRevealed is a reviewer loading the original of a case's
	// image instead of its blurred preview.
	AuditImageRevealed = "case.image_revealed"
)

// revealActions is the SQL list of the actions CountReveals counts; the
// partial index (migration 11) and the query name the same list, so that
// the query can use the index.
const revealActions = `('` + AuditContentRevealed + `', '` + AuditImageRevealed + `')`

// revealsIndex is migration 11: the reveals by reviewer and time. It is
// partial, so it costs nothing for the many other entries of the log.
const revealsIndex = `CREATE INDEX audit_log_reveals ON audit_log (actor, at) WHERE action IN ` + revealActions

// CountReveals returns how many reveals (content and images) actor made
// at or after since and before until, by the audit log. The reviewer UI
// calls it for the header of every page, so it reads only the partial
// index.
func (s *Store) CountReveals(ctx context.Context, actor string, since, until time.Time) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT count(*) FROM audit_log WHERE action IN `+revealActions+` AND actor = ? AND at >= ? AND at < ?`),
		actor, ms(since), ms(until)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count reveals: %w", err)
	}
	return n, nil
}
