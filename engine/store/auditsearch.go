package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The audit view's reads: entries found by actor, action, subject and
// time, newest first, a page at a time. Every filter has an index that
// yields entries in the view's order, (at, seq) after the filtered
// column (migration 13), so a page reads about as many entries as it
// shows, however long the log or rare the match, except when two or
// more of actor, action and subject are combined: then one index is
// read and the others are checked entry by entry.

// auditIndexes are the audit view's indexes (migration 13).
const auditIndexes = `CREATE INDEX audit_log_at ON audit_log (at, seq);
	CREATE INDEX audit_log_actor ON audit_log (actor, at, seq);
	CREATE INDEX audit_log_action ON audit_log (action, at, seq);
	CREATE INDEX audit_log_subject ON audit_log (subject, at, seq)`

// AuditCursor is where a page of the audit view ends: the last entry's
// time and number. Entries are ordered newest first by time, then
// number, which is the chain's order unless clocks disagreed.
type AuditCursor struct {
	At  time.Time
	Seq int64
}

// String encodes the cursor for a URL; ParseAuditCursor reads it back.
func (c AuditCursor) String() string {
	return strconv.FormatInt(ms(c.At), 10) + "." + strconv.FormatInt(c.Seq, 10)
}

// ParseAuditCursor reads a cursor made by AuditCursor.String.
func ParseAuditCursor(s string) (AuditCursor, error) {
	a, b, ok := strings.Cut(s, ".")
	at, err1 := strconv.ParseInt(a, 10, 64)
	seq, err2 := strconv.ParseInt(b, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return AuditCursor{}, errors.New("store: malformed audit cursor")
	}
	return AuditCursor{At: time.UnixMilli(at).UTC(), Seq: seq}, nil
}

// AuditQuery selects audit entries; empty fields select everything.
type AuditQuery struct {
	Actor   string // exactly
	Action  string // exactly, such as "case.decided"
	Subject string // exactly, such as a case id
	// From and To bound the entries' times: From included, To not.
	From, To time.Time
	// Before, when not nil, starts the page after this entry.
	Before *AuditCursor
	// Limit is the page size: 1 to 500; 0 means 50.
	Limit int
}

// AuditPage is a page of audit entries, newest first.
type AuditPage struct {
	Entries []AuditEntry
	// Next is the cursor of the following (older) page; nil on the last.
	Next *AuditCursor
}

// SearchAudit returns a page of the entries q selects, newest first. It
// shows entries as the database holds them, checked or not: VerifyAudit
// says whether the chain holds.
func (s *Store) SearchAudit(ctx context.Context, q AuditQuery) (*AuditPage, error) {
	if q.Limit < 0 || q.Limit > 500 {
		return nil, fmt.Errorf("store: search audit: limit %d out of 1..500", q.Limit)
	}
	if q.Limit == 0 {
		q.Limit = 50
	}
	var where []string
	var args []any
	for _, f := range []struct{ column, value string }{{"actor", q.Actor}, {"action", q.Action}, {"subject", q.Subject}} {
		if f.value != "" {
			where, args = append(where, f.column+" = ?"), append(args, f.value)
		}
	}
	if !q.From.IsZero() {
		where, args = append(where, "at >= ?"), append(args, ms(q.From))
	}
	if !q.To.IsZero() {
		where, args = append(where, "at < ?"), append(args, ms(q.To))
	}
	if c := q.Before; c != nil {
		where = append(where, "(at, seq) < (?, ?)")
		args = append(args, ms(c.At), c.Seq)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	page := &AuditPage{Entries: []AuditEntry{}}
	err := s.each(ctx, `SELECT seq, at, actor, action, subject, details, prev_hash, hash FROM audit_log`+cond+`
		ORDER BY at DESC, seq DESC LIMIT ?`, append(args, q.Limit+1), func(rows *sql.Rows) error {
		var e AuditEntry
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Subject, &e.Details, &e.PrevHash, &e.Hash); err != nil {
			return err
		}
		e.At = time.UnixMilli(at).UTC()
		page.Entries = append(page.Entries, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: search audit: %w", err)
	}
	if len(page.Entries) > q.Limit {
		page.Entries = page.Entries[:q.Limit]
		last := page.Entries[q.Limit-1]
		page.Next = &AuditCursor{At: last.At, Seq: last.Seq}
	}
	return page, nil
}

// AuditEntryAt returns the entry numbered seq or, when there is none, the
// next one after it; ErrNotFound when the log ends before seq.
func (s *Store) AuditEntryAt(ctx context.Context, seq int64) (*AuditEntry, error) {
	es, err := s.AuditLog(ctx, seq-1, 1)
	if err != nil {
		return nil, err
	}
	if len(es) == 0 {
		return nil, fmt.Errorf("%w: audit entry %d", ErrNotFound, seq)
	}
	return &es[0], nil
}
