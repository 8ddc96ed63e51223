package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/haechi-tns/haechi/engine"
)

// Outcome kinds a moderator can record on a case.
const (
	OutcomeDismiss  = "dismiss"  // no violation; held content is released
	OutcomeRemove   = "remove"   // the content is removed
	OutcomeWarn     = "warn"     // the user is warned
	OutcomeMute     = "mute"     // the user may not speak for Duration
	OutcomeSuspend  = "suspend"  // the account is suspended for Duration
	OutcomeBan      = "ban"      // the account is closed
	OutcomeRestore  = "restore"  // restricted content is put back
	OutcomeEscalate = "escalate" // the case moves to ToQueue
	OutcomeNote     = "note"     // a note; the case stays open
)

// Outcome is what a moderator decides on a case.
type Outcome struct {
	Kind     string        `json:"kind"`
	Duration time.Duration `json:"duration,omitempty"` // mute and suspend
	ToQueue  string        `json:"to_queue,omitempty"` // escalate
	Note     string        `json:"note,omitempty"`
	// Ground is the principle of the code of ethics the outcome rests on
	// (such as "inclusiveness"), kept with the case's action; the reviewer
	// UI requires it for the outcomes that close a case.
	Ground string `json:"ground,omitempty"`
}

// banEnds is when a ban ends: never, in a form JSON and both databases
// can hold.
var banEnds = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// strikeWeight is how many strikes each outcome gives the case's subject.
var strikeWeight = map[string]int{OutcomeRemove: 1, OutcomeWarn: 1, OutcomeMute: 1, OutcomeSuspend: 2, OutcomeBan: 3}

// Validate checks an outcome before it is recorded.
func (o Outcome) Validate() error {
	if o.Ground != "" && !slices.Contains(engine.Principles, o.Ground) {
		return fmt.Errorf("store: %q is not a principle of the code of ethics", o.Ground)
	}
	switch o.Kind {
	case OutcomeDismiss, OutcomeRemove, OutcomeWarn, OutcomeBan, OutcomeRestore:
	case OutcomeMute, OutcomeSuspend:
		if o.Duration <= 0 {
			return fmt.Errorf("store: %s needs a positive duration", o.Kind)
		}
	case OutcomeEscalate:
		if _, ok := SLA[o.ToQueue]; !ok {
			return fmt.Errorf("store: escalate needs a known queue, got %q", o.ToQueue)
		}
	case OutcomeNote:
		if o.Note == "" {
			return fmt.Errorf("store: a note needs text")
		}
	default:
		return fmt.Errorf("store: unknown outcome %q", o.Kind)
	}
	return nil
}

// Decide records m's outcome on a case m holds. A note leaves the case
// open and escalation moves it to another queue (unclaimed); every other
// outcome closes it, gives the subject strikes and restrictions where it
// says so, and queues the action for the world platform, publishable
// UndoWindow later (UndoDecision may take it back until then).
// Everything, including the audit entry, happens in one transaction.
func (s *Store) Decide(ctx context.Context, caseID string, m Moderator, o Outcome, now time.Time) error {
	if err := o.Validate(); err != nil {
		return err
	}
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		c, err := s.leasedCase(ctx, tx, caseID, m, now)
		if err != nil {
			return err
		}
		if c.Source == SourceAppeal {
			return fmt.Errorf("%w: case %s is an appeal; use DecideAppeal", ErrForbidden, caseID)
		}
		if err := s.outcomeAction(ctx, tx, uuid.NewString(), caseID, m.ID, o, o.Note, now); err != nil {
			return err
		}
		details := map[string]any{"outcome": o.Kind, "queue": c.Queue}
		if o.Ground != "" {
			details["ground"] = o.Ground
		}
		switch o.Kind {
		case OutcomeNote:
			return s.appendAudit(ctx, tx, now, m.ID, "case.note", caseID, details)
		case OutcomeEscalate:
			details["to_queue"] = o.ToQueue
			_, err := tx.ExecContext(ctx, s.q(`UPDATE cases SET queue = ?, claimed_by = '', lease_until = 0, sla_due_at = ?, updated_at = ? WHERE case_id = ?`),
				o.ToQueue, ms(now.Add(slaOf(o.ToQueue))), ms(now), caseID)
			if err != nil {
				return err
			}
			return s.appendAudit(ctx, tx, now, m.ID, "case.escalated", caseID, details)
		}
		if err := s.closeCase(ctx, tx, caseID, o.Kind, m, now); err != nil {
			return err
		}
		if err := s.applyOutcome(ctx, tx, c, o, m.ID, now); err != nil {
			return err
		}
		if o.Duration > 0 {
			details["duration"] = o.Duration.String()
		}
		return s.appendAudit(ctx, tx, now, m.ID, "case.decided", caseID, details)
	})
	if err != nil {
		return fmt.Errorf("store: decide case %s: %w", caseID, err)
	}
	return nil
}

// closeCase records the outcome and closes a case m holds. The update
// checks the lease again, so that whatever slipped past the read cannot
// close a case twice or one another moderator holds.
func (s *Store) closeCase(ctx context.Context, tx *sql.Tx, caseID, outcome string, m Moderator, now time.Time) error {
	res, err := tx.ExecContext(ctx, s.q(`UPDATE cases SET outcome = ?, decided_by = ?, closed_at = ?, claimed_by = '', lease_until = 0, updated_at = ?
		WHERE case_id = ? AND closed_at IS NULL AND claimed_by = ? AND lease_until > ?`),
		outcome, m.ID, ms(now), ms(now), caseID, m.ID, ms(now))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return fmt.Errorf("%w: %s no longer holds case %s", ErrForbidden, m.ID, caseID)
	}
	return nil
}

// outcomeAction records an outcome in the case's history, with note.
func (s *Store) outcomeAction(ctx context.Context, tx *sql.Tx, actionID, caseID, actor string, o Outcome, note string, now time.Time) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO case_actions (action_id, case_id, actor, kind, duration_ms, to_queue, note, ground, at) VALUES (?,?,?,?,?,?,?,?,?)`),
		actionID, caseID, actor, o.Kind, o.Duration.Milliseconds(), o.ToQueue, note, o.Ground, ms(now))
	return err
}

// applyOutcome gives strikes and restrictions and queues the platform
// action of a closing outcome.
func (s *Store) applyOutcome(ctx context.Context, tx *sql.Tx, c *Case, o Outcome, actor string, now time.Time) error {
	if err := s.giveStrike(ctx, tx, c, strikeWeight[o.Kind], now); err != nil {
		return err
	}
	return s.enforce(ctx, tx, c, o, actor, now)
}

// giveStrike gives the case's subject a strike of weight w (none when w
// is 0 or the case is about no user).
func (s *Store) giveStrike(ctx context.Context, tx *sql.Tx, c *Case, w int, now time.Time) error {
	if w <= 0 || c.SubjectUserID == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO strikes (strike_id, user_id, case_id, weight, at) VALUES (?,?,?,?,?)`),
		uuid.NewString(), c.SubjectUserID, c.ID, w, ms(now))
	return err
}

// enforce gives the restriction of a closing outcome and queues its
// platform action, held for UndoWindow.
func (s *Store) enforce(ctx context.Context, tx *sql.Tx, c *Case, o Outcome, actor string, now time.Time) error {
	a := moderatorAction(c.ID, c.EventID, c.SubjectUserID, actor, now)
	switch o.Kind {
	case OutcomeDismiss:
		// Content held or blocked pending review goes back up.
		a.Action = OutcomeRestore
	case OutcomeMute, OutcomeSuspend, OutcomeBan:
		until := now.Add(o.Duration)
		if o.Kind == OutcomeBan {
			until = banEnds
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO restrictions (restriction_id, user_id, kind, case_id, starts_at, ends_at) VALUES (?,?,?,?,?,?)`),
			uuid.NewString(), c.SubjectUserID, o.Kind, c.ID, ms(now), ms(until)); err != nil {
			return err
		}
		a.Action, a.Until = o.Kind, until.UTC()
	default:
		a.Action = o.Kind
	}
	if a.Action == OutcomeRestore && c.EventID == "" {
		return nil // nothing to put back for a case about a user
	}
	return s.enqueue(ctx, tx, now, heldAction(c.ID, a, now))
}

// heldAction is the outbox entry of a person's action on case caseID,
// publishable UndoWindow after now.
func heldAction(caseID string, a engine.ActionMessage, now time.Time) outboxEntry {
	return outboxEntry{kind: "action", key: a.UserID, body: a, caseID: caseID, publishAfter: now.Add(UndoWindow)}
}

// moderatorAction starts the action message of a person's decision on a
// case; the caller sets Action (and Until).
func moderatorAction(caseID, eventID, userID, actor string, now time.Time) engine.ActionMessage {
	return engine.ActionMessage{SchemaVersion: engine.ActionSchemaVersion, Source: engine.SourceModerator, ActionID: uuid.NewString(),
		CaseID: caseID, EventID: eventID, UserID: userID, DecidedBy: actor, IssuedAt: now.UTC()}
}

// ReporterWindow is how far back UserContext.Reporters counts reports.
const ReporterWindow = 7 * 24 * time.Hour

// StrikeHalfLife is how fast strikes fade: a strike counts half after it.
const StrikeHalfLife = 30 * 24 * time.Hour

// UserContext is the sender's history for the policy: strikes after
// decay, restricting decisions in the last day, and whether the account
// is muted, suspended or banned now. It implements
// engine.UserContextSource (see UserContexts for a cached one).
func (s *Store) UserContext(ctx context.Context, p engine.Party) (engine.UserContext, error) {
	return s.userContextAt(ctx, p.ID, time.Now())
}

func (s *Store) userContextAt(ctx context.Context, userID string, now time.Time) (engine.UserContext, error) {
	uc := engine.UserContext{Labels: []string{}}
	q, err := s.stmt(ctx, nil, s.q(userContextSQL))
	if err != nil {
		return uc, fmt.Errorf("store: user context: %w", err)
	}
	var strikes float64
	var restricted int
	err = q.QueryRowContext(ctx,
		ms(now), float64(StrikeHalfLife.Milliseconds()), userID,
		userID, ms(now), ms(now),
		userID, now.Add(-24*time.Hour).UTC().Format(sortableTime), engine.MaxRecentFlags,
		userID, ms(now.Add(-ReporterWindow)), engine.MaxRecentFlags,
	).Scan(&strikes, &restricted, &uc.RecentFlags, &uc.Reporters)
	if err != nil {
		return uc, fmt.Errorf("store: user context: %w", err)
	}
	uc.Strikes = int(math.Round(strikes))
	uc.Restricted = restricted > 0
	return uc, nil
}
