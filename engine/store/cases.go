package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/internal/backoff"
)

// Queues. The decision names its queue; appeals have theirs; reports are
// routed by category and space as the policy bundle's review settings say
// (ReviewConfig).
const (
	QueueGeneral     = "general"
	QueueYouthSafety = "youth_safety" // self-harm, grooming, anything involving minors; counsellors only
	QueueSenior      = "senior"       // escalations
	QueueAppeals     = "appeals"
)

// SLA is how long a case may wait in each queue before it is overdue.
var SLA = map[string]time.Duration{
	QueueGeneral:     24 * time.Hour,
	QueueYouthSafety: time.Hour,
	QueueSenior:      4 * time.Hour,
	QueueAppeals:     72 * time.Hour,
}

// QueueRole is the role a reviewer needs to work each queue: the one
// definition the store and the reviewer UI both check. A queue not
// listed can be worked by nobody.
var QueueRole = map[string]string{
	QueueGeneral:     RoleModerator,
	QueueYouthSafety: RoleCounsellor,
	QueueSenior:      RoleSenior,
	QueueAppeals:     RoleAppeals,
}

// Case sources.
const (
	SourceDecision = "decision"
	SourceReport   = "report"
	SourceAppeal   = "appeal"
)

// Case is one content item (or user) waiting for, or decided by, a person.
type Case struct {
	ID            string            `json:"case_id"`
	ContentKey    string            `json:"content_key"`
	Source        string            `json:"source"`
	Queue         string            `json:"queue"`
	Priority      int               `json:"priority"`
	Severity      string            `json:"severity,omitempty"`
	Categories    []engine.Category `json:"categories"`
	SpaceType     string            `json:"space_type,omitempty"`
	SubjectUserID string            `json:"subject_user_id,omitempty"`
	EventID       string            `json:"event_id,omitempty"`
	DecisionID    string            `json:"decision_id,omitempty"`
	AppealID      string            `json:"appeal_id,omitempty"`
	InvolvesMinor bool              `json:"involves_minor"`
	Reporters     int               `json:"reporters"`
	Overdue       bool              `json:"overdue"`
	CreatedAt     time.Time         `json:"created_at"`
	UpdatedAt     time.Time         `json:"updated_at"`
	SLADueAt      time.Time         `json:"sla_due_at"`
	ClaimedBy     string            `json:"claimed_by,omitempty"`
	LeaseUntil    time.Time         `json:"lease_until,omitzero"`
	DecidedBy     string            `json:"decided_by,omitempty"`
	Outcome       string            `json:"outcome,omitempty"`
	ClosedAt      *time.Time        `json:"closed_at,omitempty"`
	// HelpRequestedAt is when its reviewer asked colleagues for help
	// (AskForHelp); zero when nobody is waiting for help.
	HelpRequestedAt time.Time `json:"help_requested_at,omitzero"`
}

// Open reports whether the case still waits for a decision.
func (c *Case) Open() bool { return c.ClosedAt == nil }

// NeedsReview reports whether a decision opens a case: hold and escalate
// always; block when the policy named a queue for review.
func NeedsReview(d *engine.Decision) bool {
	switch d.Action {
	case engine.ActionHold, engine.ActionEscalate:
		return true
	case engine.ActionBlock:
		return d.Queue != ""
	}
	return false
}

// ms is a time as Unix milliseconds; the zero time is 0, as fromMS reads it.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

const caseColumns = `case_id, content_key, source, queue, priority, severity, categories, space_type, subject_user_id,
	event_id, decision_id, appeal_id, involves_minor, reporters, overdue, created_at, updated_at, sla_due_at,
	claimed_by, lease_until, decided_by, outcome, closed_at, help_requested_at`

func scanCase(row interface{ Scan(...any) error }) (*Case, error) {
	var c Case
	var cats string
	var minor, overdue int
	var created, updated, due, lease, help int64
	var closed sql.NullInt64
	err := row.Scan(&c.ID, &c.ContentKey, &c.Source, &c.Queue, &c.Priority, &c.Severity, &cats, &c.SpaceType, &c.SubjectUserID,
		&c.EventID, &c.DecisionID, &c.AppealID, &minor, &c.Reporters, &overdue, &created, &updated, &due,
		&c.ClaimedBy, &lease, &c.DecidedBy, &c.Outcome, &closed, &help)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(cats), &c.Categories); err != nil {
		return nil, fmt.Errorf("case %s categories: %w", c.ID, err)
	}
	c.InvolvesMinor, c.Overdue = minor == 1, overdue == 1
	c.CreatedAt, c.UpdatedAt, c.SLADueAt, c.LeaseUntil = fromMS(created), fromMS(updated), fromMS(due), fromMS(lease)
	c.HelpRequestedAt = fromMS(help)
	if closed.Valid {
		t := fromMS(closed.Int64)
		c.ClosedAt = &t
	}
	return &c, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// newCase is what opening a case needs.
type newCase struct {
	contentKey, source, queue, severity, spaceType, subject, eventID, decisionID, appealID string
	categories                                                                             []engine.Category
	involvesMinor                                                                          bool
	// reporters is the distinct counted reporters a new case starts with.
	reporters int
	// review ranks the case; nil means the configuration in use. A report
	// sets the one it was routed by, so that both agree.
	review *ReviewConfig
}

// openCase inserts c unless its content already has an open case, and
// returns the open case and whether it was created. Categories of a
// later source are added to the open case's. The priority follows
// c.review, or else the review configuration in use (Review).
func (s *Store) openCase(ctx context.Context, tx *sql.Tx, c newCase, now time.Time) (*Case, bool, error) {
	cfg := c.review
	if cfg == nil {
		var err error
		if cfg, err = s.Review(); err != nil {
			return nil, false, err
		}
	}
	cats := c.categories
	existing, err := s.openCaseFor(ctx, tx, c.contentKey)
	if err == nil {
		merged := existing.Categories
		for _, cat := range cats {
			if !slices.Contains(merged, cat) {
				merged = append(merged, cat)
			}
		}
		if len(merged) != len(existing.Categories) || (c.involvesMinor && !existing.InvolvesMinor) {
			existing.Categories, existing.InvolvesMinor = merged, existing.InvolvesMinor || c.involvesMinor
			if err := s.reprioritise(ctx, tx, cfg, existing, now); err != nil {
				return nil, false, err
			}
		}
		// Harm to a minor reported on a case in another queue moves it to
		// the counsellors, unclaimed, with their SLA.
		if c.queue == QueueYouthSafety && existing.Queue != QueueYouthSafety && existing.Queue != QueueAppeals {
			existing.Queue, existing.ClaimedBy, existing.LeaseUntil = QueueYouthSafety, "", time.Time{}
			existing.SLADueAt = now.Add(slaOf(QueueYouthSafety)).UTC().Truncate(time.Millisecond)
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE cases SET queue = ?, claimed_by = '', lease_until = 0, sla_due_at = ?, updated_at = ? WHERE case_id = ?`),
				QueueYouthSafety, ms(existing.SLADueAt), ms(now), existing.ID); err != nil {
				return nil, false, err
			}
			if err := s.appendAudit(ctx, tx, now, "haechi", "case.moved", existing.ID, map[string]any{"to_queue": QueueYouthSafety, "source": c.source}); err != nil {
				return nil, false, err
			}
		}
		return existing, false, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return nil, false, err
	}
	if c.queue == "" {
		c.queue = QueueGeneral
	}
	catsJSON, _ := json.Marshal(nonNil(cats))
	created := &Case{
		ID: uuid.NewString(), ContentKey: c.contentKey, Source: c.source, Queue: c.queue,
		Priority: cfg.CasePriority(c.severity, cats, c.reporters, c.spaceType, c.involvesMinor), Severity: c.severity,
		Categories: nonNil(cats), SpaceType: c.spaceType, SubjectUserID: c.subject, EventID: c.eventID,
		DecisionID: c.decisionID, AppealID: c.appealID, InvolvesMinor: c.involvesMinor, Reporters: c.reporters,
		CreatedAt: now.UTC().Truncate(time.Millisecond), UpdatedAt: now.UTC().Truncate(time.Millisecond),
		SLADueAt: now.Add(slaOf(c.queue)).UTC().Truncate(time.Millisecond),
	}
	_, err = tx.ExecContext(ctx, s.q(`INSERT INTO cases (`+caseColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`),
		created.ID, c.contentKey, c.source, c.queue, created.Priority, c.severity, string(catsJSON), c.spaceType, c.subject,
		c.eventID, c.decisionID, c.appealID, b2i(c.involvesMinor), c.reporters, 0, ms(now), ms(now), ms(created.SLADueAt), "", int64(0), "", "", nil, int64(0))
	if err != nil {
		return nil, false, err
	}
	return created, true, nil
}

func slaOf(queue string) time.Duration {
	if d, ok := SLA[queue]; ok {
		return d
	}
	return SLA[QueueGeneral]
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// reprioritise recomputes a case's priority from its fields, its counted
// reporters and cfg, and stores it with its categories.
func (s *Store) reprioritise(ctx context.Context, tx *sql.Tx, cfg *ReviewConfig, c *Case, now time.Time) error {
	if err := tx.QueryRowContext(ctx, s.q(`SELECT count(DISTINCT reporter_id) FROM reports WHERE case_id = ? AND counted = 1`), c.ID).Scan(&c.Reporters); err != nil {
		return err
	}
	c.Priority = cfg.CasePriority(c.Severity, c.Categories, c.Reporters, c.SpaceType, c.InvolvesMinor)
	if c.Overdue {
		c.Priority += cfg.Priority.Overdue
	}
	cats, _ := json.Marshal(nonNil(c.Categories))
	_, err := tx.ExecContext(ctx, s.q(`UPDATE cases SET priority = ?, reporters = ?, categories = ?, involves_minor = ?, updated_at = ? WHERE case_id = ?`),
		c.Priority, c.Reporters, string(cats), b2i(c.InvolvesMinor), ms(now), c.ID)
	return err
}

// forUpdate locks the rows a PostgreSQL query reads until the transaction
// ends, so that read-modify-write on a case cannot lose a concurrent
// update; SQLite's write transactions already run one at a time.
func (s *Store) forUpdate() string {
	if s.postgres {
		return " FOR UPDATE"
	}
	return ""
}

// openCaseFor returns the open case of a content item, locked when q is a
// transaction on PostgreSQL.
func (s *Store) openCaseFor(ctx context.Context, q queryer, contentKey string) (*Case, error) {
	lock := ""
	if _, ok := q.(*sql.Tx); ok {
		lock = s.forUpdate()
	}
	c, err := scanCase(q.QueryRowContext(ctx, s.q(`SELECT `+caseColumns+` FROM cases WHERE content_key = ? AND closed_at IS NULL`+lock), contentKey))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: open case for %s", ErrNotFound, contentKey)
	}
	return c, err
}

func (s *Store) caseByID(ctx context.Context, q queryer, id string) (*Case, error) {
	c, err := scanCase(q.QueryRowContext(ctx, s.q(`SELECT `+caseColumns+` FROM cases WHERE case_id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: case %s", ErrNotFound, id)
	}
	return c, err
}

// Case returns a case by id.
func (s *Store) Case(ctx context.Context, id string) (*Case, error) { return s.caseByID(ctx, s.db, id) }

// openDecisionCase opens (or adds to) the case of a decision's event and
// records a new case in the audit log. SaveDecisions calls it for each new
// decision that needs review (NeedsReview).
func (s *Store) openDecisionCase(ctx context.Context, tx *sql.Tx, d *engine.Decision, now time.Time) (*Case, bool, error) {
	c, created, err := s.openCase(ctx, tx, newCase{
		contentKey: "event:" + d.EventID, source: SourceDecision, queue: d.Queue, severity: d.Severity,
		spaceType: string(d.Space.Type), subject: d.SenderID, eventID: d.EventID, decisionID: d.ID,
		categories: d.Categories, involvesMinor: d.Queue == QueueYouthSafety,
	}, now)
	if err != nil {
		return c, created, err
	}
	if d.Content != nil {
		if err := s.saveSnapshot(ctx, tx, c.ID, d.ID, SourceDecision, d.Content, now); err != nil {
			return nil, false, err
		}
	}
	if !created {
		return c, false, nil
	}
	err = s.appendAudit(ctx, tx, now, "haechi", "case.opened", c.ID, map[string]any{"source": SourceDecision, "decision_id": d.ID, "queue": c.Queue})
	return c, true, err
}

// ErrNoCase is returned when a queue has no case to claim.
var ErrNoCase = errors.New("store: no case to claim")

// ErrForbidden is returned when a moderator may not do what was asked.
var ErrForbidden = errors.New("store: not allowed")

// Moderator is a person working the queues.
type Moderator struct {
	ID    string
	Roles []string // "counsellor" for youth safety, "senior" for escalations
}

// CanWork reports whether m may take cases from queue.
func (m Moderator) CanWork(queue string) bool {
	role, ok := QueueRole[queue]
	return ok && slices.Contains(m.Roles, role)
}

// ErrOriginalDecider is returned (wrapping ErrForbidden) when a case
// about an appeal would go to the reviewer who decided the case it
// appeals: they may not take it, by claiming it or being handed it.
var ErrOriginalDecider = fmt.Errorf("%w: the reviewer who decided a case may not take its appeal", ErrForbidden)

// originalDeciderSQL is the reviewer who decided the content an appeal's
// case (the outer query's cases row) is about: the decider of the
// content's case a person most recently closed, as DecideAppeal finds it;
// empty when no person decided it.
const originalDeciderSQL = `coalesce((SELECT o.decided_by FROM cases o
	WHERE o.content_key = 'event:' || cases.event_id AND o.closed_at IS NOT NULL
	ORDER BY o.closed_at DESC, o.case_id DESC LIMIT 1), '')`

// closedContentIndex is migration 16: without it, finding the original
// decider reads every closed case, for each appeal ClaimNext passes over.
const closedContentIndex = `CREATE INDEX cases_content_closed ON cases (content_key, closed_at) WHERE closed_at IS NOT NULL`

// ClaimNext gives m the highest-priority (then oldest) open case of queue
// that nobody holds, with an exclusive lease until now+lease, skipping
// the appeals of decisions m made (ErrOriginalDecider). Two moderators
// never hold the same case: PostgreSQL skips rows another claim has
// locked, and SQLite runs claims one at a time.
func (s *Store) ClaimNext(ctx context.Context, queue string, m Moderator, lease time.Duration, now time.Time) (*Case, error) {
	if !m.CanWork(queue) {
		return nil, fmt.Errorf("%w: queue %s needs the %s role", ErrForbidden, queue, QueueRole[queue])
	}
	if m.ID == "" || lease <= 0 {
		return nil, errors.New("store: claim needs a moderator and a lease")
	}
	lock := ""
	if s.postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	var c *Case
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		var id string
		err := tx.QueryRowContext(ctx, s.q(`SELECT case_id FROM cases
			WHERE queue = ? AND closed_at IS NULL AND lease_until < ?
			AND (source <> ? OR `+originalDeciderSQL+` <> ?)
			ORDER BY priority DESC, created_at, case_id LIMIT 1`+lock), queue, ms(now), SourceAppeal, m.ID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNoCase
		}
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE cases SET claimed_by = ?, lease_until = ?, updated_at = ?
			WHERE case_id = ? AND closed_at IS NULL AND lease_until < ?`), m.ID, ms(now.Add(lease)), ms(now), id, ms(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errLostRace
		}
		if err := s.appendAudit(ctx, tx, now, m.ID, "case.claimed", id, map[string]any{"queue": queue, "lease_until": now.Add(lease).UTC()}); err != nil {
			return err
		}
		c, err = s.caseByID(ctx, tx, id)
		return err
	})
	if errors.Is(err, ErrNoCase) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("store: claim: %w", err)
	}
	return c, nil
}

// errLostRace makes retryTx try again.
var errLostRace = errors.New("store: lost a race; retrying")

// Release gives a claimed case back to its queue.
func (s *Store) Release(ctx context.Context, caseID string, m Moderator, now time.Time) error {
	return s.retryTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.leasedCase(ctx, tx, caseID, m, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE cases SET claimed_by = '', lease_until = 0, help_requested_at = 0, updated_at = ? WHERE case_id = ?`), ms(now), caseID); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, now, m.ID, "case.released", caseID, nil)
	})
}

// leasedCase returns the case, locked until tx ends, if m holds its lease
// now.
func (s *Store) leasedCase(ctx context.Context, tx *sql.Tx, caseID string, m Moderator, now time.Time) (*Case, error) {
	c, err := scanCase(tx.QueryRowContext(ctx, s.q(`SELECT `+caseColumns+` FROM cases WHERE case_id = ?`+s.forUpdate()), caseID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: case %s", ErrNotFound, caseID)
	}
	if err != nil {
		return nil, err
	}
	switch {
	case !c.Open():
		return nil, fmt.Errorf("%w: case %s is closed", ErrForbidden, caseID)
	case c.ClaimedBy != m.ID || !c.LeaseUntil.After(now):
		return nil, fmt.Errorf("%w: %s does not hold case %s", ErrForbidden, m.ID, caseID)
	}
	return c, nil
}

// MarkOverdue marks the open cases past their SLA and raises their
// priority once, by the review configuration's overdue weight; it returns
// how many it marked.
func (s *Store) MarkOverdue(ctx context.Context, now time.Time) (int, error) {
	cfg, err := s.Review()
	if err != nil {
		return 0, fmt.Errorf("store: mark overdue: %w", err)
	}
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE cases SET overdue = 1, priority = priority + ?, updated_at = ?
		WHERE closed_at IS NULL AND overdue = 0 AND sla_due_at < ?`), cfg.Priority.Overdue, ms(now), ms(now))
	if err != nil {
		return 0, fmt.Errorf("store: mark overdue: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// QueueStats is a queue's open cases.
type QueueStats struct {
	Queue   string `json:"queue"`
	Open    int    `json:"open"`
	Claimed int    `json:"claimed"`
	Overdue int    `json:"overdue"`
}

// Queues counts the open cases of every queue.
func (s *Store) Queues(ctx context.Context, now time.Time) ([]QueueStats, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT queue, count(*),
		sum(CASE WHEN lease_until >= ? THEN 1 ELSE 0 END), sum(CASE WHEN sla_due_at < ? THEN 1 ELSE 0 END)
		FROM cases WHERE closed_at IS NULL GROUP BY queue ORDER BY queue`), ms(now), ms(now))
	if err != nil {
		return nil, fmt.Errorf("store: queues: %w", err)
	}
	defer rows.Close()
	var out []QueueStats
	for rows.Next() {
		var q QueueStats
		if err := rows.Scan(&q.Queue, &q.Open, &q.Claimed, &q.Overdue); err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

// retryTx runs fn in a transaction, again when it lost a race: a unique
// violation from a concurrent insert, a serialisation failure, or
// errLostRace; up to 21 attempts, a millisecond or so apart and growing.
// Other errors are returned at once.
func (s *Store) retryTx(ctx context.Context, fn func(*sql.Tx) error) error {
	return txRetry.Do(ctx, func(ctx context.Context) error {
		err := s.tx(ctx, fn)
		if err != nil && !retryable(err) {
			return backoff.Permanent(err)
		}
		return err
	}, nil)
}

// txRetry is how retryTx retries a transaction that lost a race.
var txRetry = backoff.Policy{Initial: time.Millisecond, Multiplier: 1.5, Max: 20 * time.Millisecond, Jitter: 0.5, Attempts: 21}

// ClosedCaseForEvent returns the case a person most recently closed about
// an event's content (not an appeal), or ErrNotFound.
func (s *Store) ClosedCaseForEvent(ctx context.Context, eventID string) (*Case, error) {
	c, err := scanCase(s.db.QueryRowContext(ctx, s.q(`SELECT `+caseColumns+` FROM cases
		WHERE content_key = ? AND closed_at IS NOT NULL ORDER BY closed_at DESC, case_id DESC LIMIT 1`), "event:"+eventID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: closed case for event %s", ErrNotFound, eventID)
	}
	return c, err
}
