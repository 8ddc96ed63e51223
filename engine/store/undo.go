package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// A reviewer may take a decision back for a short while after recording
// it. The outbox relay publishes within milliseconds, so an undo that had
// to beat it would almost never succeed: instead a person's actions wait
// in the outbox (publish_after) for UndoWindow, and an undo withdraws
// them before they are due. What makes the undo safe against a relay
// reading the same rows:
//
//   - The undo refuses unless every action of the decision is unsent and
//     due no sooner than undoMargin from now, measured on the store's
//     side of any wait for locks.
//   - On PostgreSQL it also holds the relay's advisory lock
//     (outboxRelayLock) until it commits: no relay is then between
//     reading messages and marking them sent, so a message withdrawn is
//     one no relay has read, whatever the clocks of the machines say.
//   - SQLite is one file on one machine, so the relay and the undo read
//     the same clock, and undoMargin covers the undo's own transaction.
//
// UndoWindow is what it costs: a person's actions reach the world
// platform a minute after the decision. Held content stays held
// meanwhile, and what the engine blocked stays blocked.

// UndoWindow is how long a person's actions wait in the outbox before
// the relay may publish them.
const UndoWindow = 60 * time.Second

// undoMargin is how long before its actions fall due a decision stops
// being undoable: room for the undo's transaction and for clocks of the
// processes sharing one SQLite file to differ.
const undoMargin = 10 * time.Second

// UndoDeadline is when a decision closed at closedAt stops being
// undoable.
func UndoDeadline(closedAt time.Time) time.Time { return closedAt.Add(UndoWindow - undoMargin) }

// ErrTooLate is returned by UndoDecision when a decision can no longer be
// taken back: its undo window passed, or an action of it was published.
var ErrTooLate = errors.New("store: too late to undo")

// UndoResult is what an undo took back.
type UndoResult struct {
	Outcome      string // the outcome undone
	Withdrawn    int    // actions withdrawn from the outbox
	Strikes      int    // strikes lifted
	Restrictions int    // restrictions lifted
}

// UndoDecision takes back the decision m recorded on a case (Decide or
// DecideMany) while its undo window lasts: in one transaction it
// withdraws the decision's actions from the outbox, lifts the strikes and
// restrictions the case gave, and opens the case again, held by m with a
// lease of lease from now, as it was before the decision. The case's
// history keeps the decision and gains an "undone" action; the audit log
// gains case.undone.
//
// It returns ErrForbidden when the case was not decided by m, is an
// appeal, or is in a queue m may no longer work; ErrTooLate when the
// window has passed (UndoDeadline) or an action was published; and
// ErrConflict when the case is open, or another case has opened about
// the same content since.
func (s *Store) UndoDecision(ctx context.Context, caseID string, m Moderator, lease time.Duration, now time.Time) (*UndoResult, error) {
	if m.ID == "" || lease <= 0 {
		return nil, errors.New("store: undo needs a moderator and a lease")
	}
	// now is the caller's clock when it asked; time spent waiting here
	// (for SQLite's write lock, for row locks, in retries) is added to it.
	began := time.Now()
	var res UndoResult
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		res = UndoResult{}
		if s.postgres {
			var locked bool
			if err := tx.QueryRowContext(ctx, `SELECT pg_try_advisory_xact_lock($1)`, outboxRelayLock).Scan(&locked); err != nil {
				return err
			}
			if !locked {
				return errLostRace // a relay is publishing: try again when its round ends
			}
		}
		c, err := scanCase(tx.QueryRowContext(ctx, s.q(`SELECT `+caseColumns+` FROM cases WHERE case_id = ?`+s.forUpdate()), caseID))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: case %s", ErrNotFound, caseID)
		}
		if err != nil {
			return err
		}
		switch {
		case c.Open():
			return fmt.Errorf("%w: case %s is open; there is no decision to undo", ErrConflict, caseID)
		case c.Source == SourceAppeal:
			return fmt.Errorf("%w: case %s is an appeal, whose decisions are not undone", ErrForbidden, caseID)
		case c.DecidedBy != m.ID:
			return fmt.Errorf("%w: %s did not decide case %s", ErrForbidden, m.ID, caseID)
		case !m.CanWork(c.Queue):
			return fmt.Errorf("%w: %s may no longer work queue %s", ErrForbidden, m.ID, c.Queue)
		}
		if _, err := s.openCaseFor(ctx, tx, c.ContentKey); err == nil {
			return fmt.Errorf("%w: another case is open about the content of case %s", ErrConflict, caseID)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		at := now.Add(time.Since(began))
		if !at.Before(UndoDeadline(*c.ClosedAt)) {
			return fmt.Errorf("%w: case %s was decided at %s", ErrTooLate, caseID, c.ClosedAt.Format(time.RFC3339))
		}
		var gone int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT count(*) FROM outbox WHERE case_id = ? AND (sent_at <> 0 OR publish_after <= ?)`),
			caseID, ms(at.Add(undoMargin))).Scan(&gone); err != nil {
			return err
		}
		if gone > 0 {
			return fmt.Errorf("%w: %d actions of case %s are published or due", ErrTooLate, gone, caseID)
		}
		r, err := tx.ExecContext(ctx, s.q(`DELETE FROM outbox WHERE case_id = ? AND sent_at = 0`), caseID)
		if err != nil {
			return err
		}
		res.Outcome, res.Withdrawn = c.Outcome, affected(r)
		for table, n := range map[string]*int{"strikes": &res.Strikes, "restrictions": &res.Restrictions} {
			r, err := tx.ExecContext(ctx, s.q(`UPDATE `+table+` SET lifted_at = ? WHERE case_id = ? AND lifted_at = 0`), ms(now), caseID)
			if err != nil {
				return err
			}
			*n = affected(r)
		}
		r, err = tx.ExecContext(ctx, s.q(`UPDATE cases SET closed_at = NULL, outcome = '', decided_by = '', claimed_by = ?, lease_until = ?,
			help_requested_at = 0, updated_at = ? WHERE case_id = ? AND closed_at IS NOT NULL`), m.ID, ms(now.Add(lease)), ms(now), caseID)
		if err != nil {
			return err
		}
		if affected(r) != 1 {
			return errLostRace
		}
		if err := s.caseAction(ctx, tx, caseID, m.ID, "undone", "", now); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, now, m.ID, "case.undone", caseID, map[string]any{"outcome": c.Outcome, "queue": c.Queue,
			"withdrawn": res.Withdrawn, "strikes": res.Strikes, "restrictions": res.Restrictions, "lease_until": now.Add(lease).UTC()})
	})
	if errors.Is(err, errLostRace) {
		err = fmt.Errorf("%w: the outbox relay stayed busy", ErrConflict)
	}
	if err != nil {
		return nil, fmt.Errorf("store: undo decision on case %s: %w", caseID, err)
	}
	return &res, nil
}

// affected is how many rows a statement changed; a driver that cannot
// say counts as none.
func affected(r sql.Result) int {
	n, err := r.RowsAffected()
	if err != nil {
		return 0
	}
	return int(n)
}

// undoColumns is migration 15: the outbox's case and due time of a
// person's actions, the ground of a case's actions, and the indexes that
// find a case's outbox messages, strikes and restrictions.
const undoColumns = `ALTER TABLE outbox ADD COLUMN case_id TEXT NOT NULL DEFAULT '';
	ALTER TABLE outbox ADD COLUMN publish_after BIGINT NOT NULL DEFAULT 0;
	CREATE INDEX outbox_case ON outbox (case_id) WHERE case_id <> '';
	ALTER TABLE case_actions ADD COLUMN ground TEXT NOT NULL DEFAULT '';
	CREATE INDEX strikes_case ON strikes (case_id);
	CREATE INDEX restrictions_case ON restrictions (case_id)`
