package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// The audit log is append-only and hash-chained: entry n's hash covers its
// own fields and entry n-1's hash, so changing, removing or reordering any
// entry breaks every hash after it. VerifyAudit checks the chain.

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	Seq      int64     `json:"seq"`
	At       time.Time `json:"at"`
	Actor    string    `json:"actor"`
	Action   string    `json:"action"`
	Subject  string    `json:"subject"`
	Details  string    `json:"details"` // JSON
	PrevHash string    `json:"prev_hash"`
	Hash     string    `json:"hash"`
}

// genesisHash is the previous hash of the first entry.
const genesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

func auditHash(seq, at int64, actor, action, subject, details, prev string) string {
	h := sha256.New()
	// Lengths first, so that no two field lists hash alike.
	for _, f := range []string{strconv.FormatInt(seq, 10), strconv.FormatInt(at, 10), actor, action, subject, details, prev} {
		fmt.Fprintf(h, "%d:%s\n", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// appendAudit adds an entry inside tx. Appends are serialised: by an
// advisory lock on PostgreSQL, by SQLite's single writer otherwise.
func (s *Store) appendAudit(ctx context.Context, tx *sql.Tx, now time.Time, actor, action, subject string, details map[string]any) error {
	if s.postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(72620242)`); err != nil {
			return err
		}
	}
	if details == nil {
		details = map[string]any{}
	}
	d, err := json.Marshal(details)
	if err != nil {
		return err
	}
	var seq int64
	prev := genesisHash
	err = tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&seq, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	seq++
	at := ms(now)
	_, err = tx.ExecContext(ctx, s.q(`INSERT INTO audit_log (seq, at, actor, action, subject, details, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?)`),
		seq, at, actor, action, subject, string(d), prev, auditHash(seq, at, actor, action, subject, string(d), prev))
	return err
}

// Audit appends an entry in a transaction of its own (for actions that
// change nothing else, such as revealing masked personal data).
func (s *Store) Audit(ctx context.Context, now time.Time, actor, action, subject string, details map[string]any) error {
	return s.retryTx(ctx, func(tx *sql.Tx) error { return s.appendAudit(ctx, tx, now, actor, action, subject, details) })
}

// AuditLog returns entries with seq greater than after, oldest first, at
// most limit.
func (s *Store) AuditLog(ctx context.Context, after int64, limit int) ([]AuditEntry, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT seq, at, actor, action, subject, details, prev_hash, hash FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?`), after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Subject, &e.Details, &e.PrevHash, &e.Hash); err != nil {
			return nil, err
		}
		e.At = fromMS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// AuditBreak says where the chain is broken.
type AuditBreak struct {
	Seq     int64
	Problem string
}

func (b *AuditBreak) Error() string {
	return fmt.Sprintf("audit log broken at entry %d: %s", b.Seq, b.Problem)
}

// VerifyAudit walks the whole chain and returns how many entries it
// checked, or an *AuditBreak naming the first bad entry.
func (s *Store) VerifyAudit(ctx context.Context) (int64, error) {
	prev, want := genesisHash, int64(1)
	for {
		page, err := s.AuditLog(ctx, want-1, 5000)
		if err != nil {
			return 0, err
		}
		for _, e := range page {
			switch {
			case e.Seq != want:
				return 0, &AuditBreak{want, fmt.Sprintf("entry missing (next is %d)", e.Seq)}
			case e.PrevHash != prev:
				return 0, &AuditBreak{e.Seq, "previous hash does not match the entry before"}
			case auditHash(e.Seq, ms(e.At), e.Actor, e.Action, e.Subject, e.Details, e.PrevHash) != e.Hash:
				return 0, &AuditBreak{e.Seq, "hash does not match the entry's contents"}
			}
			prev, want = e.Hash, want+1
		}
		if len(page) < 5000 {
			return want - 1, nil
		}
	}
}

// retryable reports whether a transaction failed only because another
// one got there first.
func retryable(err error) bool {
	if errors.Is(err, errLostRace) {
		return true
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "23505", "40001", "40P01": // unique violation, serialisation failure, deadlock
			return true
		}
	}
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked")
}
