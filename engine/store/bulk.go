package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
)

// Bulk outcomes are for spam waves: one reviewer removes (or dismisses)
// many cases of the general queue at once, chosen by the queue page's
// filters. Each case is decided as Decide would, with its own case
// action, platform action and audit entry, and a case someone else holds
// is never touched.

// MaxBulk is the most cases one bulk outcome decides.
const MaxBulk = 500

// bulkBatch is how many cases one transaction decides: fewer commits
// (each one a sync on SQLite) than one per case, and short enough that
// the writers a transaction holds up (SQLite's single writer, the audit
// chain's lock on PostgreSQL) wait a few milliseconds, not seconds.
const bulkBatch = 50

// maxBulkScan bounds how many of a queue's cases a selection reads to
// find those it may take.
const maxBulkScan = 20 * MaxBulk

// BulkQueues are the queues whose cases may be decided in bulk: only the
// general queue, where spam waves land. Never youth safety, whose every
// case is a child's safety and is decided one at a time by a counsellor;
// never appeals, which take four eyes.
var BulkQueues = []string{QueueGeneral}

// BulkOutcomes are the outcomes a bulk action may record.
var BulkOutcomes = []string{OutcomeRemove, OutcomeDismiss}

// SelectBulk returns the open cases of f.Queue that a bulk outcome by m
// would decide, in the order ClaimNext takes them, at most MaxBulk: those
// f's filters select (f.After and f.Limit are ignored; f.Now is the
// time ages are measured at), created at or before until, and held by
// nobody but m. more reports that further cases would have been
// selected. The reviewer UI calls it to preview a bulk action, and again
// with the same f and until when it is confirmed: the same selection but
// for cases closed or claimed meanwhile.
func (s *Store) SelectBulk(ctx context.Context, f CaseFilter, until time.Time, m Moderator, now time.Time) (cases []*Case, more bool, err error) {
	if err := bulkAllowed(f.Queue, m); err != nil {
		return nil, false, fmt.Errorf("store: select bulk: %w", err)
	}
	f.After, f.Limit = nil, 500
	cases = []*Case{}
	for scanned := 0; scanned < maxBulkScan; {
		page, err := s.ListCases(ctx, f)
		if err != nil {
			return nil, false, fmt.Errorf("store: select bulk: %w", err)
		}
		scanned += len(page.Cases)
		for _, c := range page.Cases {
			if c.CreatedAt.After(until) || !bulkEligible(c, m, now) {
				continue
			}
			if len(cases) == MaxBulk {
				return cases, true, nil
			}
			cases = append(cases, c)
		}
		if page.Next == nil {
			return cases, false, nil
		}
		f.After = page.Next
	}
	return cases, true, nil
}

// bulkAllowed says why m may not decide queue's cases in bulk, if so.
func bulkAllowed(queue string, m Moderator) error {
	switch {
	case !slices.Contains(BulkQueues, queue):
		return fmt.Errorf("%w: the cases of queue %s are decided one at a time", ErrForbidden, queue)
	case m.ID == "" || !m.CanWork(queue):
		return fmt.Errorf("%w: %q may not work queue %s", ErrForbidden, m.ID, queue)
	}
	return nil
}

// bulkEligible reports whether a bulk outcome by m may decide c at now:
// open, not an appeal, held by nobody else. A lease ending exactly now
// still counts as held.
func bulkEligible(c *Case, m Moderator, now time.Time) bool {
	return c.Open() && c.Source != SourceAppeal && (c.ClaimedBy == m.ID || c.LeaseUntil.Before(now))
}

// BulkResult is what a bulk outcome did.
type BulkResult struct {
	// ID names the bulk action in its cases' audit entries.
	ID string
	// Decided are the cases decided; Skipped those that had been closed,
	// moved to another queue or claimed by someone else meanwhile.
	Decided, Skipped []string
}

// BulkDecide records outcome o (remove or dismiss, with its reason in
// o.Note) on each of the cases ids of queue, as m, and returns which it
// decided and which it skipped. A case is skipped unless it is still open
// in queue, not an appeal, and held by nobody but m: the check and the
// decision happen in one statement, so a reviewer who claims a case
// while the bulk action runs keeps it. Each case gets what Decide gives
// it (a case action, strikes, the platform action in the outbox) and an
// audit entry case.decided naming the bulk action; a last entry
// cases.bulk_decided says who ran it, with what outcome, and how many
// cases it decided and skipped. Cases are decided bulkBatch to a
// transaction; an error stops the action, and the cases of the batches
// committed before it stay decided.
func (s *Store) BulkDecide(ctx context.Context, queue string, ids []string, m Moderator, o Outcome, now time.Time) (*BulkResult, error) {
	switch {
	case !slices.Contains(BulkOutcomes, o.Kind):
		return nil, fmt.Errorf("store: bulk decide: outcome %q is not one of %v", o.Kind, BulkOutcomes)
	case o.Note == "":
		return nil, errors.New("store: bulk decide: a reason is required")
	case len(ids) > MaxBulk:
		return nil, fmt.Errorf("store: bulk decide: %d cases, at most %d", len(ids), MaxBulk)
	}
	if err := bulkAllowed(queue, m); err != nil {
		return nil, fmt.Errorf("store: bulk decide: %w", err)
	}
	res := &BulkResult{ID: uuid.NewString(), Decided: []string{}, Skipped: []string{}}
	for start := 0; start < len(ids); start += bulkBatch {
		batch := ids[start:min(start+bulkBatch, len(ids))]
		var decided, skipped []string
		err := s.retryTx(ctx, func(tx *sql.Tx) error {
			decided, skipped = decided[:0], skipped[:0]
			for _, id := range batch {
				ok, err := s.bulkDecideOne(ctx, tx, res.ID, queue, id, m, o, now)
				if err != nil {
					return err
				}
				if ok {
					decided = append(decided, id)
				} else {
					skipped = append(skipped, id)
				}
			}
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("store: bulk decide: %w", err)
		}
		res.Decided, res.Skipped = append(res.Decided, decided...), append(res.Skipped, skipped...)
	}
	err := s.Audit(ctx, now, m.ID, "cases.bulk_decided", "queue:"+queue, map[string]any{
		"bulk_id": res.ID, "outcome": o.Kind, "decided": len(res.Decided), "skipped": len(res.Skipped)})
	if err != nil {
		return res, fmt.Errorf("store: bulk decide: %w", err)
	}
	return res, nil
}

// bulkDecideOne closes one case of a bulk action in tx, if it may, and
// reports whether it did.
func (s *Store) bulkDecideOne(ctx context.Context, tx *sql.Tx, bulkID, queue, caseID string, m Moderator, o Outcome, now time.Time) (bool, error) {
	r, err := tx.ExecContext(ctx, s.q(`UPDATE cases SET outcome = ?, decided_by = ?, closed_at = ?, claimed_by = '', lease_until = 0, help_requested_at = 0, updated_at = ?
		WHERE case_id = ? AND closed_at IS NULL AND queue = ? AND source <> ? AND (claimed_by = ? OR lease_until < ?)`),
		o.Kind, m.ID, ms(now), ms(now), caseID, queue, SourceAppeal, m.ID, ms(now))
	if err != nil {
		return false, err
	}
	if n, err := r.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	c, err := s.caseByID(ctx, tx, caseID)
	if err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO case_actions (action_id, case_id, actor, kind, note, at) VALUES (?,?,?,?,?,?)`),
		uuid.NewString(), caseID, m.ID, o.Kind, o.Note, ms(now)); err != nil {
		return false, err
	}
	if err := s.applyOutcome(ctx, tx, c, o, m.ID, now); err != nil {
		return false, err
	}
	return true, s.appendAudit(ctx, tx, now, m.ID, "case.decided", caseID, map[string]any{"outcome": o.Kind, "queue": queue, "bulk_id": bulkID})
}
