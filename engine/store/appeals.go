package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// AppealWindow is how long after a decision its user may appeal it.
const AppealWindow = 183 * 24 * time.Hour // six months

// Appeal statuses.
const (
	AppealOpen       = "open"
	AppealUpheld     = "upheld"     // the decision stands
	AppealOverturned = "overturned" // the content is restored, restrictions lifted
)

// Appeal is a user's request to reverse a decision about their content.
type Appeal struct {
	ID          string    `json:"appeal_id"`
	DecisionID  string    `json:"decision_id"`
	CaseID      string    `json:"case_id,omitempty"` // the case that decided, when a person did
	AppellantID string    `json:"appellant_id"`
	Reason      string    `json:"reason,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	ReviewCase  string    `json:"review_case"`
	Status      string    `json:"status"`
	DecidedBy   string    `json:"decided_by,omitempty"`
	DecidedAt   time.Time `json:"decided_at,omitzero"`
	// ProposedBy proposed to overturn the decision; another reviewer must
	// approve it (four eyes). Empty when nobody has.
	ProposedBy string    `json:"proposed_by,omitempty"`
	ProposedAt time.Time `json:"proposed_at,omitzero"`
}

// FileAppeal opens an appeal of a decision by the user it restricted,
// within AppealWindow; a decision can be appealed once. The appeal waits
// in the appeals queue.
func (s *Store) FileAppeal(ctx context.Context, decisionID, appellantID, reason string, now time.Time) (*Appeal, error) {
	d, err := s.Decision(ctx, decisionID)
	if err != nil {
		return nil, err
	}
	// Whether the decision is the appellant's is asked first: anyone
	// else learns nothing about it, not even whether it restricted
	// anything.
	switch {
	case d.SenderID != appellantID:
		return nil, fmt.Errorf("%w: only the user the decision is about may appeal it", ErrForbidden)
	case !d.Action.Restricts():
		return nil, fmt.Errorf("%w: decision %s restricted nothing", ErrForbidden, decisionID)
	case now.Sub(d.DecidedAt) > AppealWindow:
		return nil, fmt.Errorf("%w: the six months to appeal decision %s ended on %s", ErrForbidden, decisionID, d.DecidedAt.Add(AppealWindow).Format(time.DateOnly))
	}
	a := &Appeal{ID: uuid.NewString(), DecisionID: decisionID, AppellantID: appellantID, Reason: reason, CreatedAt: now.UTC(), Status: AppealOpen}
	err = s.retryTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT count(*) FROM appeals WHERE decision_id = ?`), decisionID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%w: decision %s was already appealed", ErrConflict, decisionID)
		}
		// The case a person decided on this content, if any.
		var caseID string
		err := tx.QueryRowContext(ctx, s.q(`SELECT case_id FROM cases WHERE content_key = ? AND closed_at IS NOT NULL ORDER BY closed_at DESC LIMIT 1`), "event:"+d.EventID).Scan(&caseID)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		a.CaseID = caseID
		c, _, err := s.openCase(ctx, tx, newCase{
			contentKey: "appeal:" + decisionID, source: SourceAppeal, queue: QueueAppeals, severity: d.Severity,
			spaceType: string(d.Space.Type), subject: d.SenderID, eventID: d.EventID, decisionID: decisionID,
			appealID: a.ID, categories: d.Categories,
		}, now)
		if err != nil {
			return err
		}
		a.ReviewCase = c.ID
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO appeals (appeal_id, decision_id, case_id, appellant_id, reason, created_at, review_case, status) VALUES (?,?,?,?,?,?,?,?)`),
			a.ID, decisionID, caseID, appellantID, reason, ms(now), c.ID, AppealOpen); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, now, "user:"+appellantID, "appeal.filed", c.ID, map[string]any{"appeal_id": a.ID, "decision_id": decisionID})
	})
	if err != nil {
		return nil, fmt.Errorf("store: file appeal: %w", err)
	}
	return a, nil
}

// ErrConflict is returned for a request that clashes with stored state.
var ErrConflict = errors.New("store: conflict")

// AppealByID returns an appeal.
func (s *Store) AppealByID(ctx context.Context, id string) (*Appeal, error) {
	var a Appeal
	var created, decided, proposed int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT appeal_id, decision_id, case_id, appellant_id, reason, created_at, review_case, status, decided_by, decided_at,
		proposed_by, proposed_at FROM appeals WHERE appeal_id = ?`), id).
		Scan(&a.ID, &a.DecisionID, &a.CaseID, &a.AppellantID, &a.Reason, &created, &a.ReviewCase, &a.Status, &a.DecidedBy, &decided,
			&a.ProposedBy, &proposed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: appeal %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("store: appeal: %w", err)
	}
	a.CreatedAt, a.DecidedAt, a.ProposedAt = fromMS(created), fromMS(decided), fromMS(proposed)
	return &a, nil
}

// DecideAppeal records m's decision on an appeal case m holds. The
// moderator who decided the original case may not decide its appeal.
//
// Upholding the decision closes the appeal. Overturning takes two people:
// the first overturn records m's proposal and releases the case to the
// appeals queue, unclaimed (the case stays open; AppealByID shows who
// proposed); an overturn by another reviewer approves it, which restores
// the content and lifts the restrictions and strikes the original case
// gave (the restore and unrestrict actions wait UndoWindow in the outbox,
// like every person's action, so that a user's actions keep their
// order). Whoever proposed may not approve. Upholding after a proposal
// rejects it.
func (s *Store) DecideAppeal(ctx context.Context, caseID string, m Moderator, overturn bool, note string, now time.Time) error {
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		c, err := s.leasedCase(ctx, tx, caseID, m, now)
		if err != nil {
			return err
		}
		if c.Source != SourceAppeal {
			return fmt.Errorf("%w: case %s is not an appeal", ErrForbidden, caseID)
		}
		// The case about the content is looked up now, not when the
		// appeal was filed: a moderator may have decided it since.
		if _, err := s.openCaseFor(ctx, tx, "event:"+c.EventID); err == nil {
			return fmt.Errorf("%w: the case about the appealed content is still open; decide it first", ErrConflict)
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		var origCase, decidedBy string
		err = tx.QueryRowContext(ctx, s.q(`SELECT case_id, decided_by FROM cases WHERE content_key = ? AND closed_at IS NOT NULL
			ORDER BY closed_at DESC, case_id DESC LIMIT 1`), "event:"+c.EventID).Scan(&origCase, &decidedBy)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if origCase != "" && decidedBy == m.ID {
			return fmt.Errorf("%w: %s decided the case under appeal; another moderator must decide the appeal", ErrForbidden, m.ID)
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE appeals SET case_id = ? WHERE appeal_id = ?`), origCase, c.AppealID); err != nil {
			return err
		}
		var proposedBy string
		if err := tx.QueryRowContext(ctx, s.q(`SELECT proposed_by FROM appeals WHERE appeal_id = ?`), c.AppealID).Scan(&proposedBy); err != nil {
			return err
		}
		switch {
		case overturn && proposedBy == "":
			return s.proposeOverturn(ctx, tx, c, m, note, now)
		case overturn && proposedBy == m.ID:
			return fmt.Errorf("%w: %s proposed this overturn; another reviewer must approve it", ErrForbidden, m.ID)
		}
		status := AppealUpheld
		if overturn {
			status = AppealOverturned
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE appeals SET status = ?, decided_by = ?, decided_at = ? WHERE appeal_id = ?`), status, m.ID, ms(now), c.AppealID); err != nil {
			return err
		}
		if err := s.closeCase(ctx, tx, caseID, status, m, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO case_actions (action_id, case_id, actor, kind, note, at) VALUES (?,?,?,?,?,?)`),
			uuid.NewString(), caseID, m.ID, status, note, ms(now)); err != nil {
			return err
		}
		if overturn {
			if origCase != "" {
				for _, table := range []string{"restrictions", "strikes"} {
					if _, err := tx.ExecContext(ctx, s.q(`UPDATE `+table+` SET lifted_at = ? WHERE case_id = ? AND lifted_at = 0`), ms(now), origCase); err != nil {
						return err
					}
				}
			}
			var entries []outboxEntry
			for _, act := range []string{OutcomeRestore, "unrestrict"} {
				a := moderatorAction(caseID, c.EventID, c.SubjectUserID, m.ID, now)
				a.Action = act
				entries = append(entries, heldAction(caseID, a, now))
			}
			if err := s.enqueue(ctx, tx, now, entries...); err != nil {
				return err
			}
		}
		details := map[string]any{"appeal_id": c.AppealID, "status": status}
		if proposedBy != "" {
			details["proposed_by"] = proposedBy
		}
		return s.appendAudit(ctx, tx, now, m.ID, "appeal.decided", caseID, details)
	})
	if err != nil {
		return fmt.Errorf("store: decide appeal: %w", err)
	}
	return nil
}

// proposeOverturn records m's proposal to overturn the appeal case c and
// gives the case back to the queue for a second reviewer.
func (s *Store) proposeOverturn(ctx context.Context, tx *sql.Tx, c *Case, m Moderator, note string, now time.Time) error {
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE appeals SET proposed_by = ?, proposed_at = ?, proposal_note = ? WHERE appeal_id = ?`),
		m.ID, ms(now), note, c.AppealID); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, s.q(`UPDATE cases SET claimed_by = '', lease_until = 0, updated_at = ? WHERE case_id = ? AND claimed_by = ?`),
		ms(now), c.ID, m.ID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return fmt.Errorf("%w: %s no longer holds case %s", ErrForbidden, m.ID, c.ID)
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO case_actions (action_id, case_id, actor, kind, note, at) VALUES (?,?,?,?,?,?)`),
		uuid.NewString(), c.ID, m.ID, "overturn_proposed", note, ms(now)); err != nil {
		return err
	}
	return s.appendAudit(ctx, tx, now, m.ID, "appeal.overturn_proposed", c.ID, map[string]any{"appeal_id": c.AppealID})
}
