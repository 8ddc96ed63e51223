package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/haechi-tns/haechi/engine"
)

// Report targets.
const (
	TargetMessage = "message" // a chat message or voice segment, by event id
	TargetImage   = "image"   // an image upload, by event id
	TargetUser    = "user"    // a user, by user id
)

// Report is a citizen's report of a violation.
type Report struct {
	ID         string          `json:"report_id"`
	ReporterID string          `json:"reporter_id"`
	TargetKind string          `json:"target_kind"`
	TargetID   string          `json:"target_id"`
	Category   engine.Category `json:"category"`          // one of engine.ReportCategories
	Details    string          `json:"details,omitempty"` // free text; never logged
	World      string          `json:"world,omitempty"`
	SpaceID    string          `json:"space_id,omitempty"`
	SpaceType  string          `json:"space_type,omitempty"`
	Location   string          `json:"location,omitempty"` // where in the world
	OccurredAt time.Time       `json:"occurred_at,omitzero"`
	CreatedAt  time.Time       `json:"created_at"`
	CaseID     string          `json:"case_id"`
	// Counted is false for a reporter whose reports no longer count.
	Counted bool `json:"counted"`
	// Context is what the world platform attached: up to
	// engine.MaxContextMessages messages around the reported one. It is
	// kept only as a snapshot of the case.
	Context []engine.ContextMessage `json:"context,omitempty"`
}

// ReportStatus is what a reporter may learn about their report; it never
// names the reporter.
type ReportStatus struct {
	ReportID  string    `json:"report_id"`
	Status    string    `json:"status"` // received, in_review, closed
	Outcome   string    `json:"outcome,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	ClosedAt  time.Time `json:"closed_at,omitzero"`
}

// FileReport stores a report and attaches it to the open case of its
// target, opening one if there is none, in the queue the review
// configuration in use routes its category and space to (Review).
// Distinct counted reporters raise the case's priority.
func (s *Store) FileReport(ctx context.Context, r *Report, now time.Time) (*Report, error) {
	if r.ReporterID == "" || r.TargetID == "" || r.Category == "" {
		return nil, errors.New("store: a report needs a reporter, a target and a category")
	}
	if !slices.Contains(engine.ReportCategories, r.Category) {
		return nil, fmt.Errorf("store: %q is not a category a citizen may report", r.Category)
	}
	cfg, err := s.Review()
	if err != nil {
		return nil, fmt.Errorf("store: file report: %w", err)
	}
	key := "event:" + r.TargetID
	switch r.TargetKind {
	case TargetMessage, TargetImage:
	case TargetUser:
		key = "user:" + r.TargetID
	default:
		return nil, fmt.Errorf("store: unknown report target %q", r.TargetKind)
	}
	out := *r
	out.ID, out.CreatedAt = uuid.NewString(), now.UTC()
	err = s.retryTx(ctx, func(tx *sql.Tx) error {
		var ignored int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT count(*) FROM ignored_reporters WHERE reporter_id = ?`), r.ReporterID).Scan(&ignored); err != nil {
			return err
		}
		out.Counted = ignored == 0
		subject, eventID := "", ""
		if r.TargetKind == TargetUser {
			subject = r.TargetID
		} else {
			eventID = r.TargetID
			err := tx.QueryRowContext(ctx, s.q(`SELECT sender_id FROM decisions WHERE event_id = ?`), r.TargetID).Scan(&subject)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		c, created, err := s.openCase(ctx, tx, newCase{
			contentKey: key, source: SourceReport, queue: cfg.ReportQueue(r.Category, r.SpaceType), spaceType: r.SpaceType,
			subject: subject, eventID: eventID, categories: []engine.Category{r.Category},
			involvesMinor: cfg.ReportInvolvesMinor(r.Category), reporters: b2i(out.Counted), review: cfg,
		}, now)
		if err != nil {
			return err
		}
		out.CaseID = c.ID
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO reports (report_id, reporter_id, target_kind, target_id, subject_user, category, details, world, space_id, space_type, location, occurred_at, created_at, counted, case_id)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`),
			out.ID, r.ReporterID, r.TargetKind, r.TargetID, subject, string(r.Category), r.Details, r.World, r.SpaceID, r.SpaceType, r.Location,
			ms(r.OccurredAt), ms(now), b2i(out.Counted), c.ID); err != nil {
			return err
		}
		if len(r.Context) > 0 {
			if err := s.saveSnapshot(ctx, tx, c.ID, out.ID, SourceReport, &engine.Content{Context: r.Context}, now); err != nil {
				return err
			}
		}
		// A new case was opened with this reporter counted; a report on an
		// open case may add a distinct reporter.
		if !created {
			if err := s.reprioritise(ctx, tx, cfg, c, now); err != nil {
				return err
			}
		}
		action := "report.attached"
		if created {
			action = "report.opened_case"
		}
		return s.appendAudit(ctx, tx, now, "reporter:"+r.ReporterID, action, c.ID, map[string]any{"report_id": out.ID, "category": r.Category, "counted": out.Counted})
	})
	if err != nil {
		return nil, fmt.Errorf("store: file report: %w", err)
	}
	return &out, nil
}

// ReportStatus returns a report's status and outcome.
func (s *Store) ReportStatus(ctx context.Context, id string) (*ReportStatus, error) {
	var created int64
	var caseID string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT created_at, case_id FROM reports WHERE report_id = ?`), id).Scan(&created, &caseID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: report %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("store: report: %w", err)
	}
	c, err := s.Case(ctx, caseID)
	if err != nil {
		return nil, err
	}
	st := &ReportStatus{ReportID: id, Status: "received", CreatedAt: fromMS(created)}
	switch {
	case !c.Open():
		st.Status, st.Outcome, st.ClosedAt = "closed", c.Outcome, *c.ClosedAt
	case c.ClaimedBy != "":
		st.Status = "in_review"
	}
	return st, nil
}

// CountRecentReports counts a reporter's reports since a time, for rate
// limits.
func (s *Store) CountRecentReports(ctx context.Context, reporterID string, since time.Time) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT count(*) FROM reports WHERE reporter_id = ? AND created_at >= ?`), reporterID, ms(since)).Scan(&n)
	return n, err
}

// IgnoreReporter stops counting a reporter's reports toward priority (a
// reporter acting in bad faith). Their reports are still stored.
func (s *Store) IgnoreReporter(ctx context.Context, reporterID, reason string, m Moderator, now time.Time) error {
	return s.retryTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO ignored_reporters (reporter_id, reason, by_actor, at) VALUES (?,?,?,?) ON CONFLICT (reporter_id) DO NOTHING`),
			reporterID, reason, m.ID, ms(now)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE reports SET counted = 0 WHERE reporter_id = ?`), reporterID); err != nil {
			return err
		}
		// Their reports stop raising the priority of cases still open.
		rows, err := tx.QueryContext(ctx, s.q(`SELECT DISTINCT case_id FROM reports WHERE reporter_id = ?`), reporterID)
		if err != nil {
			return err
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		cfg, err := s.Review()
		if err != nil {
			return err
		}
		for _, id := range ids {
			c, err := s.caseByID(ctx, tx, id)
			if err != nil {
				return err
			}
			if c.Open() {
				if err := s.reprioritise(ctx, tx, cfg, c, now); err != nil {
					return err
				}
			}
		}
		return s.appendAudit(ctx, tx, now, m.ID, "reporter.ignored", "reporter:"+reporterID, map[string]any{"reason": reason})
	})
}
