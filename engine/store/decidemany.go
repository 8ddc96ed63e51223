package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// A reviewer may take more than one action on a case: remove the content
// and also restrict its author's account. The outcomes are recorded
// together, in the order given, in one transaction.

// AlsoOutcomes says which outcomes may follow a case's first outcome in
// DecideMany: after removing the content, one outcome about its author's
// account. Nothing may join dismiss or restore (no breach, nothing to
// sanction), nor an outcome about the account alone.
var AlsoOutcomes = map[string][]string{
	OutcomeRemove: {OutcomeWarn, OutcomeMute, OutcomeSuspend, OutcomeBan},
}

// ValidateMany checks the outcomes of one decision: one outcome
// (Validate), or a first outcome followed by one that AlsoOutcomes allows
// after it.
func ValidateMany(outcomes []Outcome) error {
	switch len(outcomes) {
	case 0:
		return errors.New("store: no outcome")
	case 1:
		return outcomes[0].Validate()
	case 2:
	default:
		return fmt.Errorf("store: %d outcomes on one case; at most 2", len(outcomes))
	}
	for _, o := range outcomes {
		if err := o.Validate(); err != nil {
			return err
		}
	}
	if !slices.Contains(AlsoOutcomes[outcomes[0].Kind], outcomes[1].Kind) {
		return fmt.Errorf("store: %s may not follow %s on one case", outcomes[1].Kind, outcomes[0].Kind)
	}
	return nil
}

// DecideMany records several outcomes on a case m holds, as one decision:
// a single outcome is Decide's; two (ValidateMany) close the case with
// the first as its outcome, each in its own case action (the first
// with the note), and give what each gives (restrictions, platform
// actions in the order given, held for UndoWindow) but one strike, of
// the heaviest weight among them: one breach, however it is sanctioned.
// One audit entry case.decided names them all. UndoDecision takes back
// all of them.
func (s *Store) DecideMany(ctx context.Context, caseID string, m Moderator, outcomes []Outcome, now time.Time) error {
	if err := ValidateMany(outcomes); err != nil {
		return err
	}
	if len(outcomes) == 1 {
		return s.Decide(ctx, caseID, m, outcomes[0], now)
	}
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		c, err := s.leasedCase(ctx, tx, caseID, m, now)
		if err != nil {
			return err
		}
		switch {
		case c.Source == SourceAppeal:
			return fmt.Errorf("%w: case %s is an appeal; use DecideAppeal", ErrForbidden, caseID)
		case c.SubjectUserID == "":
			return fmt.Errorf("store: case %s is about no user whose account an outcome could restrict", caseID)
		}
		// The actions share an id but for a suffix, so that the case's
		// history (ordered by time, then id) lists them in order.
		base := uuid.NewString()
		weight := 0
		for i, o := range outcomes {
			note := ""
			if i == 0 {
				note = o.Note
			}
			if err := s.outcomeAction(ctx, tx, base+"."+strconv.Itoa(i), caseID, m.ID, o, note, now); err != nil {
				return err
			}
			weight = max(weight, strikeWeight[o.Kind])
		}
		if err := s.closeCase(ctx, tx, caseID, outcomes[0].Kind, m, now); err != nil {
			return err
		}
		if err := s.giveStrike(ctx, tx, c, weight, now); err != nil {
			return err
		}
		details := map[string]any{"outcome": outcomes[0].Kind, "queue": c.Queue}
		var also []string
		for i, o := range outcomes {
			if err := s.enforce(ctx, tx, c, o, m.ID, now); err != nil {
				return err
			}
			if i > 0 {
				also = append(also, o.Kind)
			}
			if o.Duration > 0 {
				details["duration"] = o.Duration.String()
			}
		}
		details["also"] = also
		if g := outcomes[0].Ground; g != "" {
			details["ground"] = g
		}
		return s.appendAudit(ctx, tx, now, m.ID, "case.decided", caseID, details)
	})
	if err != nil {
		return fmt.Errorf("store: decide case %s: %w", caseID, err)
	}
	return nil
}
