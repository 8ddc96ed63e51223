package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// behaviourTables keep the behavioural state of each input partition
// (engine/behaviour): the rates, repeats and grooming conversations of the
// senders whose events it carries, as the snapshot the tracker writes. The
// state names senders by 64-bit hashes, never by id or content. The index
// counts the distinct reporters of a user (UserContext.Reporters).
func behaviourTables(blob string) string {
	return `CREATE TABLE behaviour_state (
		state_key TEXT PRIMARY KEY,
		saved_at  BIGINT NOT NULL,
		data      ` + blob + ` NOT NULL
	);
	CREATE INDEX reports_subject ON reports (subject_user, created_at)`
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
