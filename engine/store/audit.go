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
// entry breaks every hash after it. VerifyAudit checks the chain. The
// chain alone cannot show that its tail was cut off, or that it was
// rewritten with every later hash recomputed: checkpoint.go signs its head
// with a key kept outside the database, and VerifyAuditSigned checks the
// chain against those signatures.

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
	last, err := s.stmt(ctx, tx, lastAuditSQL)
	if err != nil {
		return err
	}
	err = last.QueryRowContext(ctx).Scan(&seq, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	seq++
	at := ms(now)
	insert, err := s.stmt(ctx, tx, s.q(insertAuditSQL))
	if err != nil {
		return err
	}
	_, err = insert.ExecContext(ctx, seq, at, actor, action, subject, string(d), prev, auditHash(seq, at, actor, action, subject, string(d), prev))
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

// AuditBreak says where the chain is broken: Seq is the entry that was
// changed, inserted or removed, as far as the chain and its signed
// checkpoints tell.
type AuditBreak struct {
	Seq     int64
	Problem string
}

func (b *AuditBreak) Error() string {
	return fmt.Sprintf("audit log broken at entry %d: %s", b.Seq, b.Problem)
}

// auditPage is how many entries a walk reads at a time.
const auditPage = 5000

// VerifyAudit walks the whole chain and returns how many entries it
// checked, or an *AuditBreak naming the first bad entry. It trusts the
// database: a chain cut short, or rewritten with every later hash
// recomputed, passes. VerifyAuditSigned checks the chain against the
// signed checkpoints as well.
func (s *Store) VerifyAudit(ctx context.Context) (int64, error) {
	if err := s.auditOutsideChain(ctx); err != nil {
		return 0, err
	}
	n, _, err := s.walkAudit(ctx, 0, genesisHash, nil)
	return n, err
}

// auditOutsideChain finds entries numbered below 1, which no walk reads.
func (s *Store) auditOutsideChain(ctx context.Context) error {
	var low sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT min(seq) FROM audit_log`).Scan(&low); err != nil {
		return fmt.Errorf("store: verify audit: %w", err)
	}
	if low.Valid && low.Int64 < 1 {
		return &AuditBreak{low.Int64, "entry numbered outside the chain, which starts at 1"}
	}
	return nil
}

// walkAudit checks the chain from entry after+1, which must follow the
// hash prev, to its end. It calls visit (if not nil) with each entry once
// the entry is checked, and returns the last entry's seq and hash (after
// and prev for none), or an *AuditBreak naming the first bad entry.
func (s *Store) walkAudit(ctx context.Context, after int64, prev string, visit func(AuditEntry) error) (int64, string, error) {
	want := after + 1
	for {
		page, err := s.AuditLog(ctx, want-1, auditPage)
		if err != nil {
			return 0, "", err
		}
		for _, e := range page {
			if e.Seq != want {
				return 0, "", &AuditBreak{want, fmt.Sprintf("entry missing (next is %d)", e.Seq)}
			}
			if err := s.checkAuditEntry(ctx, e, prev); err != nil {
				return 0, "", err
			}
			if visit != nil {
				if err := visit(e); err != nil {
					return 0, "", err
				}
			}
			prev, want = e.Hash, want+1
		}
		if len(page) < auditPage {
			return want - 1, prev, nil
		}
	}
}

// checkAuditEntry checks that e follows the hash prev and that its hash
// covers its contents. When e does not follow prev it works out which
// entry is at fault, so that a forged entry is named by its own number:
// one slipped in before e (the entries after it renumbered) leaves e
// following an earlier entry; one put in place of e's predecessor, its
// hash recomputed, leaves e intact but following another hash.
func (s *Store) checkAuditEntry(ctx context.Context, e AuditEntry, prev string) error {
	intact := auditHash(e.Seq, ms(e.At), e.Actor, e.Action, e.Subject, e.Details, e.PrevHash) == e.Hash
	if e.PrevHash == prev {
		if !intact {
			return &AuditBreak{e.Seq, "hash does not match the entry's contents"}
		}
		return nil
	}
	var j int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT seq FROM audit_log WHERE hash = ? AND seq < ? ORDER BY seq LIMIT 1`), e.PrevHash, e.Seq-1).Scan(&j)
	switch {
	case err == nil && j == e.Seq-2:
		return &AuditBreak{j + 1, fmt.Sprintf("entry inserted: entry %d was written to follow entry %d", e.Seq, j)}
	case err == nil:
		return &AuditBreak{j + 1, fmt.Sprintf("entries %d to %d inserted: entry %d was written to follow entry %d", j+1, e.Seq-1, e.Seq, j)}
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("store: verify audit: %w", err)
	case e.Seq == 1:
		return &AuditBreak{1, "the first entry does not start the chain"}
	case intact:
		return &AuditBreak{e.Seq - 1, fmt.Sprintf("entry replaced: its hash is not the one entry %d was written to follow", e.Seq)}
	}
	return &AuditBreak{e.Seq, "previous hash does not match the entry before"}
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
