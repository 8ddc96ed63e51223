package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// A reviewer holding a case may give it to a named colleague, or keep it
// while asking for help, without it going back to the queue (and to
// whoever claims next) in between.

// MaxHelpHold bounds how long a case may be held while its reviewer waits
// for help; after it the lease ends and the case goes back to the queue.
const MaxHelpHold = 4 * time.Hour

// Reassign gives the case m holds to another reviewer, who must be able
// to work its queue and, for an appeal, must not have decided the case
// it appeals (ErrOriginalDecider), with a lease of lease from now. The
// note says why; it goes to the case's history, never to the user.
func (s *Store) Reassign(ctx context.Context, caseID string, m, to Moderator, lease time.Duration, note string, now time.Time) error {
	if to.ID == "" || to.ID == m.ID || lease <= 0 {
		return errors.New("store: reassign needs another reviewer and a lease")
	}
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		c, err := s.leasedCase(ctx, tx, caseID, m, now)
		if err != nil {
			return err
		}
		if !to.CanWork(c.Queue) {
			return fmt.Errorf("%w: %s may not work queue %s", ErrForbidden, to.ID, c.Queue)
		}
		if c.Source == SourceAppeal {
			var decider string
			if err := tx.QueryRowContext(ctx, s.q(`SELECT `+originalDeciderSQL+` FROM cases WHERE case_id = ?`), caseID).Scan(&decider); err != nil {
				return err
			}
			if decider == to.ID {
				return fmt.Errorf("%w: %s decided it", ErrOriginalDecider, to.ID)
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE cases SET claimed_by = ?, lease_until = ?, help_requested_at = 0, updated_at = ? WHERE case_id = ?`),
			to.ID, ms(now.Add(lease)), ms(now), caseID); err != nil {
			return err
		}
		if err := s.caseAction(ctx, tx, caseID, m.ID, "reassign", note, now); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, now, m.ID, "case.reassigned", caseID, map[string]any{"to": to.ID, "queue": c.Queue, "lease_until": now.Add(lease).UTC()})
	})
	if err != nil {
		return fmt.Errorf("store: reassign case %s: %w", caseID, err)
	}
	return nil
}

// AskForHelp keeps the case m holds for up to hold (at most MaxHelpHold)
// while m asks colleagues for help; the case shows as asking for help
// until it is decided, reassigned or released. The note is the question.
func (s *Store) AskForHelp(ctx context.Context, caseID string, m Moderator, note string, hold time.Duration, now time.Time) error {
	if note == "" || hold <= 0 {
		return errors.New("store: asking for help needs a question and a time to hold the case")
	}
	hold = min(hold, MaxHelpHold)
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.leasedCase(ctx, tx, caseID, m, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE cases SET lease_until = ?, help_requested_at = ?, updated_at = ? WHERE case_id = ?`),
			ms(now.Add(hold)), ms(now), ms(now), caseID); err != nil {
			return err
		}
		if err := s.caseAction(ctx, tx, caseID, m.ID, "help_requested", note, now); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, now, m.ID, "case.help_requested", caseID, map[string]any{"lease_until": now.Add(hold).UTC()})
	})
	if err != nil {
		return fmt.Errorf("store: ask for help on case %s: %w", caseID, err)
	}
	return nil
}

// HelpRequested reports since when a case has been waiting for help, or
// the zero time.
func (s *Store) HelpRequested(ctx context.Context, caseID string) (time.Time, error) {
	var at int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT help_requested_at FROM cases WHERE case_id = ?`), caseID).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, fmt.Errorf("%w: case %s", ErrNotFound, caseID)
	}
	return fromMS(at), err
}

// caseAction records one step of a case's history.
func (s *Store) caseAction(ctx context.Context, tx *sql.Tx, caseID, actor, kind, note string, now time.Time) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO case_actions (action_id, case_id, actor, kind, note, at) VALUES (?,?,?,?,?,?)`),
		uuid.NewString(), caseID, actor, kind, note, ms(now))
	return err
}

// CaseGround returns the principle of the code of ethics the latest
// decision on a case rests on (Outcome.Ground), or "" when none was given.
func (s *Store) CaseGround(ctx context.Context, caseID string) (string, error) {
	var ground string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT ground FROM case_actions WHERE case_id = ? AND ground <> '' ORDER BY at DESC, action_id DESC LIMIT 1`), caseID).Scan(&ground)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: ground of case %s: %w", caseID, err)
	}
	return ground, nil
}
