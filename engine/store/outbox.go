package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

// The outbox holds messages for the world platform (engine.ActionMessage
// on the actions topic), written in the same transaction as the decision
// or case outcome that caused them, so that a crash can lose neither. A
// relay (pipelines.RelayOutbox) publishes them in order and marks them
// sent; RelayOutbox below lets one relay at a time do so.
//
// A person's decisions wait: their actions carry the case they decided
// and become publishable only UndoWindow after it (publish_after), so that
// the reviewer can take the decision back meanwhile (undo.go). Messages
// due at the same time keep their order; a moderator's action may follow
// an automated action queued after it.

// outboxEntry is a message for the outbox: its kind, key and body (JSON
// encoded when queued), and for a person's decision the case it decided
// and when it may be published.
type outboxEntry struct {
	kind, key    string
	body         any
	caseID       string
	publishAfter time.Time
}

// enqueue adds messages to the outbox in tx, in order. On SQLite, whose
// writes run one at a time, a message is numbered after the largest
// number; on PostgreSQL a sequence numbers them (migration 7), so that
// transactions queueing actions do not wait for each other across the
// cluster. A message committed after one with a larger number is
// published at the relay's next round: every unsent message is, oldest
// number first, and one transaction's messages stay in order.
func (s *Store) enqueue(ctx context.Context, tx *sql.Tx, now time.Time, entries ...outboxEntry) error {
	if len(entries) == 0 {
		return nil
	}
	// PostgreSQL numbers messages itself; on SQLite they follow the
	// largest number.
	var seq int64
	query := insertOutboxPostgresSQL
	if !s.postgres {
		last, err := s.stmt(ctx, tx, lastOutboxSQL)
		if err != nil {
			return err
		}
		if err := last.QueryRowContext(ctx).Scan(&seq); err != nil {
			return err
		}
		query = insertOutboxSQL
	}
	for _, e := range entries {
		b, err := json.Marshal(e.body)
		if err != nil {
			return err
		}
		q, args := query, []any{e.kind, e.key, string(b), ms(now)}
		if e.caseID != "" || !e.publishAfter.IsZero() {
			q, args = insertHeldOutboxSQL, append(args, e.caseID, ms(e.publishAfter))
			if s.postgres {
				q = insertHeldOutboxPostgresSQL
			}
		}
		if !s.postgres {
			seq++
			args = append([]any{seq}, args...)
		}
		insert, err := s.stmt(ctx, tx, q)
		if err != nil {
			return err
		}
		if _, err := insert.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// The outbox's inserts of a person's decision's actions, which name the
// case and when they may be published (migration 15).
const (
	insertHeldOutboxSQL         = `INSERT INTO outbox (seq, kind, key, body, created_at, case_id, publish_after) VALUES (?,?,?,?,?,?,?)`
	insertHeldOutboxPostgresSQL = `INSERT INTO outbox (kind, key, body, created_at, case_id, publish_after) VALUES ($1,$2,$3,$4,$5,$6)`
)

// OutboxMessage is a message waiting to be published.
type OutboxMessage struct {
	Seq  int64
	Kind string
	Key  string
	Body []byte
}

// Outbox returns up to limit unsent messages, oldest first, those of
// people's decisions still in their undo window included.
func (s *Store) Outbox(ctx context.Context, limit int) ([]OutboxMessage, error) {
	return s.outbox(ctx, s.db, math.MaxInt64, limit)
}

// outbox returns up to limit unsent messages due by due (Unix ms),
// oldest first.
func (s *Store) outbox(ctx context.Context, q queryer, due int64, limit int) ([]OutboxMessage, error) {
	rows, err := q.QueryContext(ctx, s.q(`SELECT seq, kind, key, body FROM outbox WHERE sent_at = 0 AND publish_after <= ? ORDER BY seq LIMIT ?`), due, limit)
	if err != nil {
		return nil, fmt.Errorf("store: outbox: %w", err)
	}
	defer rows.Close()
	var out []OutboxMessage
	for rows.Next() {
		var m OutboxMessage
		var body string
		if err := rows.Scan(&m.Seq, &m.Kind, &m.Key, &body); err != nil {
			return nil, err
		}
		m.Body = []byte(body)
		out = append(out, m)
	}
	return out, rows.Err()
}

// MarkSent marks outbox messages published.
func (s *Store) MarkSent(ctx context.Context, seqs []int64, now time.Time) error {
	return s.markSent(ctx, s.db, seqs, now)
}

func (s *Store) markSent(ctx context.Context, q execQueryer, seqs []int64, now time.Time) error {
	const chunk = 500 // under SQLite's bound-parameter limit
	for start := 0; start < len(seqs); start += chunk {
		part := seqs[start:min(start+chunk, len(seqs))]
		args := make([]any, 0, len(part)+1)
		args = append(args, ms(now))
		for _, seq := range part {
			args = append(args, seq)
		}
		if _, err := q.ExecContext(ctx, s.q(`UPDATE outbox SET sent_at = ? WHERE seq IN (?`+strings.Repeat(",?", len(part)-1)+`)`), args...); err != nil {
			return err
		}
	}
	return nil
}

// outboxRelayLock is the PostgreSQL advisory lock one relay holds while
// it publishes, so that relays in several processes do not publish the
// same messages at once. UndoDecision holds it too while it withdraws a
// decision's messages, so that none is between being read and being
// marked sent.
const outboxRelayLock = 72620244

// RelayOutbox hands up to limit unsent messages due by now(), oldest
// first, to publish and marks them sent when publish returns nil. It returns how many were
// sent. On PostgreSQL it first takes an advisory lock, without waiting:
// when another relay holds it, RelayOutbox sends nothing and returns 0
// (that relay is publishing). A crash between publishing and marking
// publishes the messages again: delivery is at least once, and each
// message's action_id is stable.
func (s *Store) RelayOutbox(ctx context.Context, limit int, now func() time.Time, publish func([]OutboxMessage) error) (int, error) {
	if !s.postgres {
		return s.relayOutbox(ctx, s.db, limit, now, publish)
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: outbox: %w", err)
	}
	defer conn.Close()
	var locked bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, outboxRelayLock).Scan(&locked); err != nil {
		return 0, fmt.Errorf("store: outbox: %w", err)
	}
	if !locked {
		return 0, nil
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, outboxRelayLock)
	return s.relayOutbox(ctx, conn, limit, now, publish)
}

type execQueryer interface {
	queryer
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (s *Store) relayOutbox(ctx context.Context, q execQueryer, limit int, now func() time.Time, publish func([]OutboxMessage) error) (int, error) {
	msgs, err := s.outbox(ctx, q, ms(now()), limit)
	if err != nil || len(msgs) == 0 {
		return 0, err
	}
	if err := publish(msgs); err != nil {
		return 0, err
	}
	seqs := make([]int64, len(msgs))
	for i, m := range msgs {
		seqs[i] = m.Seq
	}
	if err := s.markSent(ctx, q, seqs, now()); err != nil {
		return 0, fmt.Errorf("store: outbox: mark sent: %w", err)
	}
	return len(msgs), nil
}
