package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/haechi-tns/haechi/engine"
)

// The reviewer UI's reads: queue summaries, a queue's cases a page at a
// time, a user's history, the reports on a case without their reporters,
// and what was done on a case; and the one write it adds, extending a
// lease the caller holds. Reads see committed state and lock nothing.

// QueueOrder is the order queues are shown in.
var QueueOrder = []string{QueueGeneral, QueueYouthSafety, QueueSenior, QueueAppeals}

// QueueSummary is a queue's open cases now.
type QueueSummary struct {
	Queue   string
	Open    int
	Claimed int // held under an unexpired lease
	Overdue int // past their SLA
	// Oldest is when the oldest open case was created; zero when none is
	// open.
	Oldest time.Time
}

// QueueSummaries summarises every queue of QueueOrder, empty ones
// included, in that order.
func (s *Store) QueueSummaries(ctx context.Context, now time.Time) ([]QueueSummary, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT queue, count(*),
		sum(CASE WHEN lease_until >= ? THEN 1 ELSE 0 END), sum(CASE WHEN sla_due_at < ? THEN 1 ELSE 0 END), min(created_at)
		FROM cases WHERE closed_at IS NULL GROUP BY queue`), ms(now), ms(now))
	if err != nil {
		return nil, fmt.Errorf("store: queue summaries: %w", err)
	}
	defer rows.Close()
	got := map[string]QueueSummary{}
	for rows.Next() {
		var q QueueSummary
		var oldest int64
		if err := rows.Scan(&q.Queue, &q.Open, &q.Claimed, &q.Overdue, &oldest); err != nil {
			return nil, fmt.Errorf("store: queue summaries: %w", err)
		}
		q.Oldest = fromMS(oldest)
		got[q.Queue] = q
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: queue summaries: %w", err)
	}
	out := make([]QueueSummary, 0, len(QueueOrder))
	for _, name := range QueueOrder {
		q := got[name]
		q.Queue = name
		out = append(out, q)
	}
	return out, nil
}

// CaseCursor is where a page of a queue's cases ends, in the order
// ClaimNext takes them: priority (highest first), then creation, then id.
type CaseCursor struct {
	Priority  int
	CreatedAt time.Time
	ID        string
}

// String encodes the cursor for a URL; ParseCaseCursor reads it back.
func (c CaseCursor) String() string {
	return strconv.Itoa(c.Priority) + "." + strconv.FormatInt(ms(c.CreatedAt), 10) + "." + c.ID
}

// ParseCaseCursor reads a cursor made by CaseCursor.String.
func ParseCaseCursor(s string) (CaseCursor, error) {
	parts := strings.SplitN(s, ".", 3)
	if len(parts) != 3 || parts[2] == "" {
		return CaseCursor{}, fmt.Errorf("store: malformed case cursor")
	}
	p, err1 := strconv.Atoi(parts[0])
	t, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil {
		return CaseCursor{}, fmt.Errorf("store: malformed case cursor")
	}
	return CaseCursor{Priority: p, CreatedAt: fromMS(t), ID: parts[2]}, nil
}

// CaseFilter selects a queue's open cases.
type CaseFilter struct {
	Queue     string // required
	SpaceType string // when not empty, only cases from this space type
	// Category, when not empty, keeps only cases with this category.
	Category engine.Category
	Source   string // when not empty, SourceDecision, SourceReport or SourceAppeal
	// OlderThan, when positive, keeps only cases created at least this
	// long before Now.
	OlderThan time.Duration
	Now       time.Time
	// After, when not nil, starts the page after this case.
	After *CaseCursor
	// Limit is the page size: 1 to 500; 0 means 50.
	Limit int
}

// CasePage is one page of a queue's cases.
type CasePage struct {
	Cases []*Case
	// Next is the cursor of the following page; nil on the last.
	Next *CaseCursor
}

// ListCases returns a page of the open cases f selects, in the order
// ClaimNext takes them, claimed ones included. Pages are cut by keyset
// (After), so a page costs the same however deep it is, and cases
// opened or closed meanwhile do not shift later pages.
func (s *Store) ListCases(ctx context.Context, f CaseFilter) (*CasePage, error) {
	switch {
	case f.Queue == "":
		return nil, errors.New("store: list cases: a queue is required")
	case f.Limit < 0 || f.Limit > 500:
		return nil, fmt.Errorf("store: list cases: limit %d out of 1..500", f.Limit)
	case f.Category != "" && !f.Category.Known():
		return nil, fmt.Errorf("store: list cases: unknown category %q", f.Category)
	}
	if f.Limit == 0 {
		f.Limit = 50
	}
	where := []string{"queue = ?", "closed_at IS NULL"}
	args := []any{f.Queue}
	if f.SpaceType != "" {
		where, args = append(where, "space_type = ?"), append(args, f.SpaceType)
	}
	if f.Source != "" {
		where, args = append(where, "source = ?"), append(args, f.Source)
	}
	if f.Category != "" {
		// Categories are a JSON array of names; a name is quoted in it.
		where, args = append(where, `categories LIKE ? ESCAPE '\'`), append(args, `%"`+likeEscape(string(f.Category))+`"%`)
	}
	if f.OlderThan > 0 {
		where, args = append(where, "created_at <= ?"), append(args, ms(f.Now.Add(-f.OlderThan)))
	}
	if a := f.After; a != nil {
		where = append(where, "(priority < ? OR (priority = ? AND (created_at > ? OR (created_at = ? AND case_id > ?))))")
		args = append(args, a.Priority, a.Priority, ms(a.CreatedAt), ms(a.CreatedAt), a.ID)
	}
	// One more than the page says whether another page follows.
	args = append(args, f.Limit+1)
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+caseColumns+` FROM cases WHERE `+strings.Join(where, " AND ")+`
		ORDER BY priority DESC, created_at, case_id LIMIT ?`), args...)
	if err != nil {
		return nil, fmt.Errorf("store: list cases: %w", err)
	}
	defer rows.Close()
	page := &CasePage{Cases: []*Case{}}
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list cases: %w", err)
		}
		page.Cases = append(page.Cases, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list cases: %w", err)
	}
	if len(page.Cases) > f.Limit {
		page.Cases = page.Cases[:f.Limit]
		last := page.Cases[f.Limit-1]
		page.Next = &CaseCursor{Priority: last.Priority, CreatedAt: last.CreatedAt, ID: last.ID}
	}
	return page, nil
}

// likeEscape escapes LIKE's wildcards (and its escape character) in s.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// CaseReport is a report on a case as reviewers see it: what was
// reported, where and when, never who reported it.
type CaseReport struct {
	ID         string
	TargetKind string
	Category   engine.Category
	Details    string // the reporter's words; content, never logged
	SpaceType  string
	Location   string
	OccurredAt time.Time
	CreatedAt  time.Time
	// Counted is false for a report from a reporter whose reports no
	// longer count.
	Counted bool
}

// CaseReports returns the reports attached to a case, oldest first, at
// most limit, without the reporters' identities.
func (s *Store) CaseReports(ctx context.Context, caseID string, limit int) ([]CaseReport, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT report_id, target_kind, category, details, space_type, location, occurred_at, created_at, counted
		FROM reports WHERE case_id = ? ORDER BY created_at, report_id LIMIT ?`), caseID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: case reports: %w", err)
	}
	defer rows.Close()
	out := []CaseReport{}
	for rows.Next() {
		var r CaseReport
		var cat string
		var occurred, created int64
		var counted int
		if err := rows.Scan(&r.ID, &r.TargetKind, &cat, &r.Details, &r.SpaceType, &r.Location, &occurred, &created, &counted); err != nil {
			return nil, fmt.Errorf("store: case reports: %w", err)
		}
		r.Category, r.OccurredAt, r.CreatedAt, r.Counted = engine.Category(cat), fromMS(occurred), fromMS(created), counted == 1
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: case reports: %w", err)
	}
	return out, nil
}

// CaseAction is one thing a person did on a case: an outcome, a note, an
// escalation or an appeal's decision.
type CaseAction struct {
	Actor    string
	Kind     string
	Duration time.Duration
	ToQueue  string
	Note     string
	Ground   string // the principle the outcome rests on, when given
	At       time.Time
}

// CaseActions returns what people did on a case, oldest first.
func (s *Store) CaseActions(ctx context.Context, caseID string) ([]CaseAction, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT actor, kind, duration_ms, to_queue, note, ground, at FROM case_actions
		WHERE case_id = ? ORDER BY at, action_id`), caseID)
	if err != nil {
		return nil, fmt.Errorf("store: case actions: %w", err)
	}
	defer rows.Close()
	out := []CaseAction{}
	for rows.Next() {
		var a CaseAction
		var dur, at int64
		if err := rows.Scan(&a.Actor, &a.Kind, &dur, &a.ToQueue, &a.Note, &a.Ground, &at); err != nil {
			return nil, fmt.Errorf("store: case actions: %w", err)
		}
		a.Duration, a.At = time.Duration(dur)*time.Millisecond, fromMS(at)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: case actions: %w", err)
	}
	return out, nil
}

// DecisionSummary is an earlier restricting decision about a user.
type DecisionSummary struct {
	ID         string
	EventID    string
	Action     engine.Action
	Categories []engine.Category
	RuleIDs    []string
	DecidedAt  time.Time
}

// Strike is a strike a person's decision gave a user.
type Strike struct {
	CaseID string
	Weight int
	At     time.Time
	Lifted bool // by an overturned appeal
}

// Restriction is a mute, suspension or ban of a user's account.
type Restriction struct {
	Kind     string // OutcomeMute, OutcomeSuspend or OutcomeBan
	CaseID   string
	StartsAt time.Time
	EndsAt   time.Time
	LiftedAt time.Time // zero unless an appeal lifted it
}

// Active reports whether the restriction holds at now.
func (r Restriction) Active(now time.Time) bool {
	return r.LiftedAt.IsZero() && !now.Before(r.StartsAt) && now.Before(r.EndsAt)
}

// UserHistory is what reviewers see of a user's past: the most recent of
// each kind, newest first.
type UserHistory struct {
	UserID string
	// Decisions are the engine's decisions that restricted the user's
	// content.
	Decisions    []DecisionSummary
	Cases        []*Case // cases about the user, open and closed
	Strikes      []Strike
	Restrictions []Restriction
	Appeals      []Appeal // appeals the user filed
	// ReportsAgainst counts every report whose subject is the user.
	ReportsAgainst int
}

// UserHistory returns up to limit of each kind of a user's history.
func (s *Store) UserHistory(ctx context.Context, userID string, limit int) (*UserHistory, error) {
	h := &UserHistory{UserID: userID, Decisions: []DecisionSummary{}, Cases: []*Case{}, Strikes: []Strike{},
		Restrictions: []Restriction{}, Appeals: []Appeal{}}
	if userID == "" {
		return h, nil
	}
	wrap := func(err error) error { return fmt.Errorf("store: user history: %w", err) }
	err := s.each(ctx, `SELECT body FROM decisions WHERE sender_id = ? AND action <> 'allow' ORDER BY decided_at DESC LIMIT ?`,
		[]any{userID, limit}, func(rows *sql.Rows) error {
			var body string
			if err := rows.Scan(&body); err != nil {
				return err
			}
			var d engine.Decision
			if err := json.Unmarshal([]byte(body), &d); err != nil {
				return err
			}
			h.Decisions = append(h.Decisions, DecisionSummary{ID: d.ID, EventID: d.EventID, Action: d.Action,
				Categories: d.Categories, RuleIDs: d.RuleIDs, DecidedAt: d.DecidedAt})
			return nil
		})
	if err != nil {
		return nil, wrap(err)
	}
	err = s.each(ctx, `SELECT `+caseColumns+` FROM cases WHERE subject_user_id = ? ORDER BY created_at DESC, case_id LIMIT ?`,
		[]any{userID, limit}, func(rows *sql.Rows) error {
			c, err := scanCase(rows)
			if err == nil {
				h.Cases = append(h.Cases, c)
			}
			return err
		})
	if err != nil {
		return nil, wrap(err)
	}
	err = s.each(ctx, `SELECT case_id, weight, at, lifted_at FROM strikes WHERE user_id = ? ORDER BY at DESC, strike_id LIMIT ?`,
		[]any{userID, limit}, func(rows *sql.Rows) error {
			var st Strike
			var at, lifted int64
			if err := rows.Scan(&st.CaseID, &st.Weight, &at, &lifted); err != nil {
				return err
			}
			st.At, st.Lifted = fromMS(at), lifted != 0
			h.Strikes = append(h.Strikes, st)
			return nil
		})
	if err != nil {
		return nil, wrap(err)
	}
	err = s.each(ctx, `SELECT kind, case_id, starts_at, ends_at, lifted_at FROM restrictions WHERE user_id = ? ORDER BY starts_at DESC, restriction_id LIMIT ?`,
		[]any{userID, limit}, func(rows *sql.Rows) error {
			var r Restriction
			var starts, ends, lifted int64
			if err := rows.Scan(&r.Kind, &r.CaseID, &starts, &ends, &lifted); err != nil {
				return err
			}
			r.StartsAt, r.EndsAt, r.LiftedAt = fromMS(starts), fromMS(ends), fromMS(lifted)
			h.Restrictions = append(h.Restrictions, r)
			return nil
		})
	if err != nil {
		return nil, wrap(err)
	}
	err = s.each(ctx, `SELECT appeal_id, decision_id, case_id, appellant_id, reason, created_at, review_case, status, decided_by, decided_at
		FROM appeals WHERE appellant_id = ? ORDER BY created_at DESC, appeal_id LIMIT ?`,
		[]any{userID, limit}, func(rows *sql.Rows) error {
			var a Appeal
			var created, decided int64
			if err := rows.Scan(&a.ID, &a.DecisionID, &a.CaseID, &a.AppellantID, &a.Reason, &created, &a.ReviewCase, &a.Status, &a.DecidedBy, &decided); err != nil {
				return err
			}
			a.CreatedAt, a.DecidedAt = fromMS(created), fromMS(decided)
			h.Appeals = append(h.Appeals, a)
			return nil
		})
	if err != nil {
		return nil, wrap(err)
	}
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT count(*) FROM reports WHERE subject_user = ?`), userID).Scan(&h.ReportsAgainst); err != nil {
		return nil, wrap(err)
	}
	return h, nil
}

// each runs query (with ? placeholders) and calls scan for every row.
func (s *Store) each(ctx context.Context, query string, args []any, scan func(*sql.Rows) error) error {
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ExtendLease extends m's lease on a case m holds to now+lease (never
// shortening it) and returns when it now ends. A lease that has already
// run out is not revived: the case may have gone back to the queue and
// to someone else, so the answer is ErrForbidden, as for a case m does
// not hold or that is closed. Extensions are not audited (the claim and
// the decision are). The reviewer UI calls it while the case's page is
// open.
func (s *Store) ExtendLease(ctx context.Context, caseID string, m Moderator, lease time.Duration, now time.Time) (time.Time, error) {
	if m.ID == "" || lease <= 0 {
		return time.Time{}, errors.New("store: extend lease: needs a moderator and a lease")
	}
	var until time.Time
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		c, err := s.leasedCase(ctx, tx, caseID, m, now)
		if err != nil {
			return err
		}
		until = now.Add(lease).UTC().Truncate(time.Millisecond)
		if c.LeaseUntil.After(until) {
			until = c.LeaseUntil
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE cases SET lease_until = ?, updated_at = ?
			WHERE case_id = ? AND closed_at IS NULL AND claimed_by = ? AND lease_until > ?`), ms(until), ms(now), caseID, m.ID, ms(now))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return fmt.Errorf("%w: %s no longer holds case %s", ErrForbidden, m.ID, caseID)
		}
		// Not audited: a heartbeat every 30 s of an open page is not a
		// decision; claims, releases and decisions are.
		return nil
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("store: extend lease of case %s: %w", caseID, err)
	}
	return until, nil
}
