package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/statement"
)

// Personal data the store keeps, and how long (ApplyRetention):
//
//   - case snapshots: the content a case is about and its context
//     (texts, transcripts, images, with whatever PII they hold), deleted
//     Retention.Snapshots after the case closes;
//   - reports' free text (details, and location, which is free text
//     too), emptied Retention.ReportText after the report's case closes;
//     a report's context is a snapshot;
//   - appeals' reasons and the note of an overturn proposal, emptied
//     Retention.AppealText after the appeal is decided;
//   - decisions' evidence: scores, PII, lexicon and link spans (types and
//     offsets, never values), hash matches, fired rules, model versions,
//     the masked text of a redact (the content, PII masked) and the
//     event's fingerprint, stripped Retention.DecisionEvidence after the
//     decision to what a statement of reasons and an appeal need
//     (statement.Minimal). A decision whose content has an open case or
//     appeal keeps its evidence until they close;
//   - redacted copies of images (redacted.go), deleted
//     Retention.DecisionEvidence after the last decision that named them.
//
// What stays: the rows, with ids, times, actions, categories, outcomes
// and restrictions, which the transparency reports and the users'
// histories count, and the audit log, whose entries name ids only and
// whose hash chain may not change.
//
// Whatever is deleted or emptied is also listed in retention_forgotten
// in the same transaction, for the search index to forget (Forgotten,
// AckForgotten): a crash between the store and the index loses nothing.

// Retention is how long each kind of personal data outlives its use.
type Retention struct {
	Snapshots        time.Duration
	ReportText       time.Duration
	AppealText       time.Duration
	DecisionEvidence time.Duration
}

// DefaultDecisionEvidenceRetention is a week past the appeal window:
// an appeal filed on its last day is read with the evidence.
const DefaultDecisionEvidenceRetention = AppealWindow + 7*24*time.Hour

// DefaultRetention is 90 days for content and free text, and
// DefaultDecisionEvidenceRetention for decisions' evidence.
func DefaultRetention() Retention {
	return Retention{Snapshots: DefaultSnapshotRetention, ReportText: DefaultSnapshotRetention, AppealText: DefaultSnapshotRetention,
		DecisionEvidence: DefaultDecisionEvidenceRetention}
}

// Validate checks every period is positive and decisions keep their
// evidence for the whole appeal window.
func (r Retention) Validate() error {
	for name, d := range map[string]time.Duration{"snapshots": r.Snapshots, "report text": r.ReportText, "appeal text": r.AppealText} {
		if d <= 0 {
			return fmt.Errorf("store: retention of %s must be positive, got %v", name, d)
		}
	}
	if r.DecisionEvidence < AppealWindow {
		return fmt.Errorf("store: decisions' evidence must be kept at least the appeal window (%v), got %v", AppealWindow, r.DecisionEvidence)
	}
	return nil
}

// Kinds of Forgotten items.
const (
	// ForgottenCase: the case's snapshots were deleted.
	ForgottenCase = "case"
	// ForgottenReport: the report's free text was emptied.
	ForgottenReport = "report"
	// ForgottenAppeal: the appeal's reason was emptied.
	ForgottenAppeal = "appeal"
	// ForgottenDecision: the decision was stripped to statement.Minimal.
	ForgottenDecision = "decision"
)

// Forgotten is an item whose personal data the store deleted: a search
// index must drop what it holds of it (the text it indexed, the
// document of a case, report, appeal or decision).
type Forgotten struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// RetentionCounts says how much one ApplyRetention deleted: snapshots,
// and reports, appeals and decisions whose text or evidence it removed.
type RetentionCounts struct {
	Snapshots int `json:"snapshots"`
	Reports   int `json:"reports"`
	Appeals   int `json:"appeals"`
	Decisions int `json:"decisions"`
	// RedactedImages counts the redacted copies of images deleted with
	// their decisions' evidence.
	RedactedImages int `json:"redacted_images"`
	// More is true when a pass stopped at its bound for one call
	// (retentionBatches batches) with more left for the next.
	More bool `json:"more"`
}

const (
	// retentionBatch is how many items one transaction treats.
	retentionBatch = 500
	// retentionBatches bounds one pass of one call: a backlog (the first
	// run on an old database) is worked off over several calls.
	retentionBatches = 200
)

// ApplyRetention deletes, empties or strips what r says has outlived its
// use at now, and lists each item in retention_forgotten. It is
// idempotent and safe to run from several processes at once; each pass
// treats at most retentionBatches × retentionBatch items per call.
func (s *Store) ApplyRetention(ctx context.Context, now time.Time, r Retention) (RetentionCounts, error) {
	var c RetentionCounts
	if err := r.Validate(); err != nil {
		return c, err
	}
	cutoff := now.Add(-r.DecisionEvidence)
	passes := []retentionPass{
		{"snapshots", func() (bool, error) {
			return s.purgeBatch(ctx, now, purgeSnapshotsSQL, now.Add(-r.Snapshots), ForgottenCase, &c.Snapshots)
		}},
		{"report text", func() (bool, error) {
			return s.purgeBatch(ctx, now, purgeReportTextSQL, now.Add(-r.ReportText), ForgottenReport, &c.Reports)
		}},
		{"appeal text", func() (bool, error) {
			return s.purgeBatch(ctx, now, purgeAppealTextSQL, now.Add(-r.AppealText), ForgottenAppeal, &c.Appeals)
		}},
	}
	for _, a := range engine.Actions {
		passes = append(passes, retentionPass{"decisions " + string(a), func() (bool, error) {
			return s.minimiseDecisionsBatch(ctx, now, a, cutoff, &c.Decisions)
		}})
	}
	passes = append(passes, retentionPass{"decisions of closed cases", func() (bool, error) { return s.minimiseClosedBatch(ctx, now, cutoff, &c.Decisions) }})
	passes = append(passes, retentionPass{"redacted images", func() (bool, error) { return s.purgeRedactedImagesBatch(ctx, cutoff, &c.RedactedImages) }})
	for _, p := range passes {
		done := false
		for range retentionBatches {
			var err error
			if done, err = p.run(); err != nil {
				return c, fmt.Errorf("store: retention: %s: %w", p.name, err)
			}
			if done {
				break
			}
		}
		c.More = c.More || !done
	}
	return c, nil
}

// retentionPass is one kind of item ApplyRetention treats, a batch per
// call of run, which reports whether none is left.
type retentionPass struct {
	name string
	run  func() (bool, error)
}

// The purges: each selects up to a batch of ids past the cutoff (its
// select) and deletes or empties them (its change, on the same ids).
type purge struct{ sel, change string }

var (
	// Only snapshots not yet deleted are read, and the partial indexes
	// of migration 17 hold only texts not yet emptied, so each pass
	// reads what is left to do, not the whole history.
	purgeSnapshotsSQL = purge{
		sel: `SELECT DISTINCT s.case_id FROM case_snapshots s JOIN cases c ON c.case_id = s.case_id
			WHERE c.closed_at IS NOT NULL AND c.closed_at < ? LIMIT ?`,
		change: `DELETE FROM case_snapshots WHERE case_id IN (%s)`,
	}
	purgeReportTextSQL = purge{
		sel: `SELECT r.report_id FROM reports r JOIN cases c ON c.case_id = r.case_id
			WHERE (r.details <> '' OR r.location <> '') AND c.closed_at IS NOT NULL AND c.closed_at < ? LIMIT ?`,
		change: `UPDATE reports SET details = '', location = '' WHERE report_id IN (%s)`,
	}
	purgeAppealTextSQL = purge{
		sel:    `SELECT appeal_id FROM appeals WHERE (reason <> '' OR proposal_note <> '') AND decided_at > 0 AND decided_at < ? LIMIT ?`,
		change: `UPDATE appeals SET reason = '', proposal_note = '' WHERE appeal_id IN (%s)`,
	}
)

// purgeBatch runs one batch of p for items past cutoff, adding the rows
// it changed to n, and reports whether it found none left.
func (s *Store) purgeBatch(ctx context.Context, now time.Time, p purge, cutoff time.Time, kind string, n *int) (bool, error) {
	done := false
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		var ids []any
		err := s.eachIn(ctx, tx, p.sel, []any{ms(cutoff), retentionBatch}, func(r *sql.Rows) error {
			var id string
			err := r.Scan(&id)
			ids = append(ids, id)
			return err
		})
		if err != nil {
			return err
		}
		done = len(ids) < retentionBatch
		if len(ids) == 0 {
			return nil
		}
		res, err := tx.ExecContext(ctx, s.q(fmt.Sprintf(p.change, placeholders(len(ids)))), ids...)
		if err != nil {
			return err
		}
		changed, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if err := s.forget(ctx, tx, now, kind, ids); err != nil {
			return err
		}
		*n += int(changed)
		return nil
	})
	return done, err
}

// forget lists ids of kind in retention_forgotten, and in the search
// change feed (searchfeed.go), whose kinds are the same: every search
// index reads the records again, as retention left them, at its next
// sync, so what retention deleted leaves the indexes too.
func (s *Store) forget(ctx context.Context, tx *sql.Tx, now time.Time, kind string, ids []any) error {
	args := make([][]any, len(ids))
	changes := make([][]any, len(ids))
	for i, id := range ids {
		args[i] = []any{kind, id, ms(now)}
		changes[i] = []any{kind, id}
	}
	if err := s.execEach(ctx, tx, `INSERT INTO search_changes (kind, ref) VALUES (?,?)`, changes); err != nil {
		return err
	}
	return s.execEach(ctx, tx, `INSERT INTO retention_forgotten (kind, id, at) VALUES (?,?,?) ON CONFLICT (kind, id) DO NOTHING`, args)
}

// execEach runs query in tx once with each of args, prepared once.
func (s *Store) execEach(ctx context.Context, tx *sql.Tx, query string, args [][]any) error {
	if len(args) == 0 {
		return nil
	}
	st, err := tx.PrepareContext(ctx, s.q(query))
	if err != nil {
		return err
	}
	defer st.Close()
	for _, a := range args {
		if _, err := st.ExecContext(ctx, a...); err != nil {
			return err
		}
	}
	return nil
}

// progress reads (and on PostgreSQL locks until the transaction ends)
// how far the pass name has gone: a position and an id after which it
// goes on; both empty at first.
func (s *Store) progress(ctx context.Context, tx *sql.Tx, name string) (position, id string, err error) {
	if _, err = tx.ExecContext(ctx, s.q(`INSERT INTO retention_progress (name, position, id) VALUES (?, '', '') ON CONFLICT (name) DO NOTHING`), name); err != nil {
		return "", "", err
	}
	err = tx.QueryRowContext(ctx, s.q(`SELECT position, id FROM retention_progress WHERE name = ?`+s.forUpdate()), name).Scan(&position, &id)
	return position, id, err
}

func (s *Store) setProgress(ctx context.Context, tx *sql.Tx, name, position, id string) error {
	_, err := tx.ExecContext(ctx, s.q(`UPDATE retention_progress SET position = ?, id = ? WHERE name = ?`), position, id, name)
	return err
}

// heldSQL is 1 when a decision (the outer query's d) is about content
// with an open case or has an open appeal: its evidence is still read.
const heldSQL = `CASE WHEN EXISTS (SELECT 1 FROM cases c WHERE c.content_key = 'event:' || d.event_id AND c.closed_at IS NULL)
	OR EXISTS (SELECT 1 FROM appeals a WHERE a.decision_id = d.decision_id AND a.status = 'open') THEN 1 ELSE 0 END`

// minimiseDecisionsBatch strips the next batch of decisions of action a
// decided before cutoff, in the order of the decisions (action,
// decided_at) index, from where the last batch stopped. Decisions held
// by an open case or appeal are passed over; minimiseClosedBatch comes
// back to them when their case closes.
func (s *Store) minimiseDecisionsBatch(ctx context.Context, now time.Time, a engine.Action, cutoff time.Time, n *int) (bool, error) {
	name := "decisions." + string(a)
	done := false
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		at, id, err := s.progress(ctx, tx, name)
		if err != nil {
			return err
		}
		var rows []heldDecision
		err = s.eachIn(ctx, tx, `SELECT d.decision_id, d.decided_at, d.body, `+heldSQL+` FROM decisions d
			WHERE d.action = ? AND d.decided_at >= ? AND d.decided_at < ? AND NOT (d.decided_at = ? AND d.decision_id <= ?)
			ORDER BY d.decided_at, d.decision_id LIMIT ?`,
			[]any{string(a), at, cutoff.UTC().Format(sortableTime), at, id, retentionBatch}, scanHeld(&rows))
		if err != nil {
			return err
		}
		done = len(rows) < retentionBatch
		if len(rows) == 0 {
			return nil
		}
		if err := s.minimise(ctx, tx, now, rows, n); err != nil {
			return err
		}
		last := rows[len(rows)-1]
		return s.setProgress(ctx, tx, name, last.at, last.id)
	})
	return done, err
}

// minimiseClosedBatch goes through the cases closed since it last ran
// (statsLag ago at most, so that no case closing now is passed over) and
// strips the decisions about their content that were decided before
// cutoff: those the decisions' pass left because the case was open.
func (s *Store) minimiseClosedBatch(ctx context.Context, now time.Time, cutoff time.Time, n *int) (bool, error) {
	const name = "closed_cases"
	done := false
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		pos, id, err := s.progress(ctx, tx, name)
		if err != nil {
			return err
		}
		var after int64
		if pos != "" {
			if after, err = strconv.ParseInt(pos, 10, 64); err != nil {
				return fmt.Errorf("progress of %s: %w", name, err)
			}
		}
		type closed struct {
			at          int64
			id, eventID string
		}
		var cases []closed
		err = s.eachIn(ctx, tx, `SELECT closed_at, case_id, event_id FROM cases
			WHERE closed_at IS NOT NULL AND closed_at >= ? AND closed_at < ? AND NOT (closed_at = ? AND case_id <= ?)
			ORDER BY closed_at, case_id LIMIT ?`,
			[]any{after, ms(now.Add(-statsLag)), after, id, retentionBatch}, func(r *sql.Rows) error {
				var c closed
				err := r.Scan(&c.at, &c.id, &c.eventID)
				cases = append(cases, c)
				return err
			})
		if err != nil {
			return err
		}
		done = len(cases) < retentionBatch
		if len(cases) == 0 {
			return nil
		}
		var rows []heldDecision
		for _, c := range cases {
			if c.eventID == "" {
				continue
			}
			err := s.eachIn(ctx, tx, `SELECT d.decision_id, d.decided_at, d.body, `+heldSQL+` FROM decisions d
				WHERE d.event_id = ? AND d.decided_at < ?`, []any{c.eventID, cutoff.UTC().Format(sortableTime)}, scanHeld(&rows))
			if err != nil {
				return err
			}
		}
		if err := s.minimise(ctx, tx, now, rows, n); err != nil {
			return err
		}
		last := cases[len(cases)-1]
		return s.setProgress(ctx, tx, name, strconv.FormatInt(last.at, 10), last.id)
	})
	return done, err
}

// heldDecision is a decision retention may strip, unless held.
type heldDecision struct {
	id, at, body string
	held         bool
}

func scanHeld(out *[]heldDecision) func(*sql.Rows) error {
	return func(r *sql.Rows) error {
		var d heldDecision
		var held int
		err := r.Scan(&d.id, &d.at, &d.body, &held)
		d.held = held == 1
		*out = append(*out, d)
		return err
	}
}

// minimise rewrites each decision not held as statement.Minimal of it,
// without its fingerprint, and lists those it changed as forgotten.
func (s *Store) minimise(ctx context.Context, tx *sql.Tx, now time.Time, rows []heldDecision, n *int) error {
	var changed []any
	for _, d := range rows {
		if d.held {
			continue
		}
		var full engine.Decision
		if err := json.Unmarshal([]byte(d.body), &full); err != nil {
			return fmt.Errorf("decision %s: %w", d.id, err)
		}
		body, err := json.Marshal(statement.Minimal(&full))
		if err != nil {
			return err
		}
		if bytes.Equal(body, []byte(d.body)) {
			continue
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE decisions SET body = ?, fingerprint = '' WHERE decision_id = ?`), body, d.id); err != nil {
			return err
		}
		changed = append(changed, d.id)
	}
	*n += len(changed)
	return s.forget(ctx, tx, now, ForgottenDecision, changed)
}

// Forgotten returns up to limit of the items retention deleted that no
// one has acknowledged (AckForgotten), oldest first.
func (s *Store) Forgotten(ctx context.Context, limit int) ([]Forgotten, error) {
	if limit <= 0 {
		return nil, errors.New("store: forgotten: limit must be positive")
	}
	var out []Forgotten
	err := s.each(ctx, `SELECT kind, id FROM retention_forgotten ORDER BY at, kind, id LIMIT ?`, []any{limit}, func(r *sql.Rows) error {
		var f Forgotten
		err := r.Scan(&f.Kind, &f.ID)
		out = append(out, f)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: forgotten: %w", err)
	}
	return out, nil
}

// AckForgotten removes items from the list Forgotten reads, once the
// search index has forgotten them.
func (s *Store) AckForgotten(ctx context.Context, items []Forgotten) error {
	args := make([][]any, len(items))
	for i, f := range items {
		args[i] = []any{f.Kind, f.ID}
	}
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		return s.execEach(ctx, tx, `DELETE FROM retention_forgotten WHERE kind = ? AND id = ?`, args)
	})
	if err != nil {
		return fmt.Errorf("store: ack forgotten: %w", err)
	}
	return nil
}
