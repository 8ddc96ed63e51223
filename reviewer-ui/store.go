package reviewerui

import (
	"context"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
)

// Store is the review state the UI reads and changes; *store.Store
// implements it. Every change a reviewer makes goes through one of its
// methods, each of which writes its own audit entry.
type Store interface {
	QueueSummaries(ctx context.Context, now time.Time) ([]store.QueueSummary, error)
	ListCases(ctx context.Context, f store.CaseFilter) (*store.CasePage, error)
	Case(ctx context.Context, id string) (*store.Case, error)
	CaseReports(ctx context.Context, caseID string, limit int) ([]store.CaseReport, error)
	CaseActions(ctx context.Context, caseID string) ([]store.CaseAction, error)
	UserHistory(ctx context.Context, userID string, limit int) (*store.UserHistory, error)
	Decision(ctx context.Context, id string) (*engine.Decision, error)
	DecisionsForEvents(ctx context.Context, eventIDs []string) (map[string]*engine.Decision, error)
	AppealByID(ctx context.Context, id string) (*store.Appeal, error)
	// SnapshotRefs reads a case's snapshots without their images' bytes,
	// which only the image routes read (SnapshotImage).
	SnapshotRefs(ctx context.Context, caseID string) ([]store.Snapshot, error)
	SnapshotImage(ctx context.Context, caseID, ref string) ([]byte, error)
	CountReveals(ctx context.Context, actor string, since, until time.Time) (int, error)
	// SearchAudit reads the reviewer's own entries of the audit log, from
	// which the wellbeing limits count their day (wellbeing.go).
	SearchAudit(ctx context.Context, q store.AuditQuery) (*store.AuditPage, error)

	ClaimNext(ctx context.Context, queue string, m store.Moderator, lease time.Duration, now time.Time) (*store.Case, error)
	ExtendLease(ctx context.Context, caseID string, m store.Moderator, lease time.Duration, now time.Time) (time.Time, error)
	Release(ctx context.Context, caseID string, m store.Moderator, now time.Time) error
	Decide(ctx context.Context, caseID string, m store.Moderator, o store.Outcome, now time.Time) error
	DecideMany(ctx context.Context, caseID string, m store.Moderator, outcomes []store.Outcome, now time.Time) error
	UndoDecision(ctx context.Context, caseID string, m store.Moderator, lease time.Duration, now time.Time) (*store.UndoResult, error)
	DecideAppeal(ctx context.Context, caseID string, m store.Moderator, overturn bool, note string, now time.Time) error
	Reassign(ctx context.Context, caseID string, m, to store.Moderator, lease time.Duration, note string, now time.Time) error
	AskForHelp(ctx context.Context, caseID string, m store.Moderator, note string, hold time.Duration, now time.Time) error
	HelpRequested(ctx context.Context, caseID string) (time.Time, error)

	// Audit records what the UI refused (and other events that change
	// nothing else).
	Audit(ctx context.Context, now time.Time, actor, action, subject string, details map[string]any) error
}

var _ Store = (*store.Store)(nil)
