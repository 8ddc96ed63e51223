package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/haechi-tns/haechi/engine/behaviour"
)

// behaviourTables keep the behavioural state of each input partition
// (engine/behaviour): the rates, repeats and grooming conversations of the
// senders whose events it carries, as the snapshot the tracker writes. The
// state names senders by 64-bit hashes, never by id or content. The index
// counts the distinct reporters of a user (UserContext.Reporters).
//
// behaviour_marks is how instances share what they count across senders
// (waves, link domains, pile-on targets): hashes and times only, deleted
// once older than every window.
func behaviourTables(postgres bool) string {
	blob, seq := "BLOB", "INTEGER PRIMARY KEY AUTOINCREMENT"
	if postgres {
		blob, seq = "BYTEA", "BIGSERIAL PRIMARY KEY"
	}
	return `CREATE TABLE behaviour_state (
		state_key TEXT PRIMARY KEY,
		saved_at  BIGINT NOT NULL,
		data      ` + blob + ` NOT NULL
	);
	CREATE INDEX reports_subject ON reports (subject_user, created_at);
	CREATE TABLE behaviour_marks (
		seq       ` + seq + `,
		instance  TEXT NOT NULL,
		kind      INTEGER NOT NULL,
		mark_key  BIGINT NOT NULL,
		sender    BIGINT NOT NULL,
		sim       BIGINT NOT NULL,
		at        BIGINT NOT NULL,
		stored_at BIGINT NOT NULL
	);
	CREATE INDEX behaviour_marks_stored ON behaviour_marks (stored_at)`
}

// LoadBehaviour returns the state saved under key, or nil when there is
// none. It implements behaviour.Persister.
func (s *Store) LoadBehaviour(ctx context.Context, key string) ([]byte, error) {
	var b []byte
	err := s.db.QueryRowContext(ctx, s.q(`SELECT data FROM behaviour_state WHERE state_key = ?`), key).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: load behaviour: %w", err)
	}
	return b, nil
}

// SaveBehaviour replaces the state saved under key.
func (s *Store) SaveBehaviour(ctx context.Context, key string, data []byte) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO behaviour_state (state_key, saved_at, data) VALUES (?,?,?)
		ON CONFLICT (state_key) DO UPDATE SET saved_at = excluded.saved_at, data = excluded.data`), key, ms(time.Now()), data)
	if err != nil {
		return fmt.Errorf("store: save behaviour: %w", err)
	}
	return nil
}

// marksPerInsert is how many marks one INSERT writes.
const marksPerInsert = 200

// AppendMarks stores marks made by instance, in one transaction. It
// implements behaviour.MarkStore.
func (s *Store) AppendMarks(ctx context.Context, instance string, marks []behaviour.Mark) error {
	now := ms(time.Now())
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for len(marks) > 0 {
			chunk := marks[:min(len(marks), marksPerInsert)]
			marks = marks[len(chunk):]
			var q strings.Builder
			q.WriteString(`INSERT INTO behaviour_marks (instance, kind, mark_key, sender, sim, at, stored_at) VALUES `)
			args := make([]any, 0, 7*len(chunk))
			for i, m := range chunk {
				if i > 0 {
					q.WriteString(",")
				}
				q.WriteString("(?,?,?,?,?,?,?)")
				args = append(args, instance, int(m.Kind), int64(m.Key), int64(m.Sender), int64(m.Sim), m.At, now)
			}
			if _, err := tx.ExecContext(ctx, s.q(q.String()), args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: append marks: %w", err)
	}
	return nil
}

// Marks returns the marks other instances stored at or after since,
// oldest first, at most limit.
func (s *Store) Marks(ctx context.Context, instance string, since time.Time, limit int) ([]behaviour.Mark, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT seq, kind, mark_key, sender, sim, at FROM behaviour_marks
		WHERE stored_at >= ? AND instance <> ? ORDER BY stored_at, seq LIMIT ?`), ms(since), instance, limit)
	if err != nil {
		return nil, fmt.Errorf("store: marks: %w", err)
	}
	defer rows.Close()
	var out []behaviour.Mark
	for rows.Next() {
		var m behaviour.Mark
		var kind int
		var key, sender, sim int64
		if err := rows.Scan(&m.Seq, &kind, &key, &sender, &sim, &m.At); err != nil {
			return nil, fmt.Errorf("store: marks: %w", err)
		}
		m.Kind, m.Key, m.Sender, m.Sim = behaviour.MarkKind(kind), uint64(key), uint64(sender), uint64(sim)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: marks: %w", err)
	}
	return out, nil
}

// PurgeMarks deletes the marks stored before before.
func (s *Store) PurgeMarks(ctx context.Context, before time.Time) error {
	if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM behaviour_marks WHERE stored_at < ?`), ms(before)); err != nil {
		return fmt.Errorf("store: purge marks: %w", err)
	}
	return nil
}
