package reviewerui

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/statement"
	"github.com/haechi-tns/haechi/engine/store"
)

// caseData is the case page's data.
type caseData struct {
	Case *store.Case
	// Held is true when the reviewer holds the case's lease now: only
	// then does the page offer the decision form.
	Held         bool
	HeldByOther  bool
	LeaseSeconds int // left on the reviewer's lease
	LeaseURL     string
	// Decision is the engine's decision on the content (for an appeal,
	// the decision appealed); nil when there is none, as for a report
	// about a user.
	Decision *engine.Decision
	Scores   []scoreRow
	// Appeal and AppealedCase are set on an appeal's case: the appeal,
	// and the case in which a person decided the content, if one did.
	Appeal       *store.Appeal
	AppealedCase *store.Case
	// Statement is the statement of reasons the user gets for Decision
	// as things stand.
	Statement *statement.Statement
	// Content is what the case is about, as it was, masked (content.go);
	// never nil.
	Content      *contentData
	Reports      []store.CaseReport
	ReportCounts []categoryCount
	History      *store.UserHistory
	Actions      []store.CaseAction
	Form         decisionForm
	Choices      decisionChoices
	Notice       string // a message key, or empty
	// HelpSince is when the holder asked for help, or zero.
	HelpSince time.Time
	// Proposal is set on an appeal whose overturn somebody proposed: a
	// second reviewer approves it by overturning, rejects it by
	// upholding.
	ProposedByMe bool
	Work         workForms
}

// scoreRow is one category's score in the evidence.
type scoreRow struct {
	Category engine.Category
	Score    float64
}

// categoryCount is how many reports named a category.
type categoryCount struct {
	Category engine.Category
	Count    int
}

// caseLimits bound the lists on a case page.
const (
	reportsShown = 100
	historyShown = 10
)

// casePage shows a case: what it is about, the evidence, the reports on
// it without their reporters, the user's history, the statement of
// reasons, and, to the reviewer holding its lease, the decision form.
func (s *Server) casePage(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	d, ok := s.loadCase(w, r, rc)
	if !ok {
		return
	}
	if n := r.URL.Query().Get("notice"); slices.Contains(notices, n) {
		d.Notice = "notice." + n
	}
	d.Form.ClaimNext = true
	s.render(w, r, http.StatusOK, "case", s.newView(r, rc, "case.title", d))
}

// loadCase reads everything the case page shows; it answers the request
// itself (and returns false) when the case is unknown or not the
// reviewer's to see.
func (s *Server) loadCase(w http.ResponseWriter, r *http.Request, rc *reqContext) (*caseData, bool) {
	ctx := r.Context()
	id := r.PathValue("id")
	c, err := s.cfg.Store.Case(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.fail(w, r, rc, http.StatusNotFound, "error.not_found")
		return nil, false
	case err != nil:
		s.internalError(w, r, rc, err)
		return nil, false
	}
	if !canWork(rc.Account, c.Queue) {
		s.deny(w, r, rc, "queue_role", c.ID)
		return nil, false
	}
	d, err := s.caseData(ctx, rc, c)
	if err != nil {
		s.internalError(w, r, rc, err)
		return nil, false
	}
	return d, true
}

func (s *Server) caseData(ctx context.Context, rc *reqContext, c *store.Case) (*caseData, error) {
	now := s.cfg.Now()
	d := &caseData{Case: c, LeaseURL: casePath(c.ID) + "/lease"}
	leased := c.Open() && c.ClaimedBy != "" && c.LeaseUntil.After(now)
	d.Held = leased && c.ClaimedBy == rc.Account.ID
	d.HeldByOther = leased && !d.Held
	if d.Held {
		d.LeaseSeconds = int(c.LeaseUntil.Sub(now) / time.Second)
	}
	var err error
	switch {
	case c.DecisionID != "":
		if d.Decision, err = s.cfg.Store.Decision(ctx, c.DecisionID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	case c.EventID != "":
		// A report about content the engine decided (and let through).
		ds, err := s.cfg.Store.DecisionsForEvents(ctx, []string{c.EventID})
		if err != nil {
			return nil, err
		}
		d.Decision = ds[c.EventID]
	}
	if c.AppealID != "" {
		if d.Appeal, err = s.cfg.Store.AppealByID(ctx, c.AppealID); err != nil {
			return nil, err
		}
		if d.Appeal.CaseID != "" {
			if d.AppealedCase, err = s.cfg.Store.Case(ctx, d.Appeal.CaseID); err != nil {
				return nil, err
			}
		}
	}
	if d.Decision != nil {
		d.Scores = scores(d.Decision)
		st := statement.Build(d.Decision, s.humanDecision(c, d.AppealedCase), s.cfg.AppealURL)
		d.Statement = &st
	}
	if d.Reports, err = s.cfg.Store.CaseReports(ctx, c.ID, reportsShown); err != nil {
		return nil, err
	}
	d.ReportCounts = countReports(d.Reports)
	if err := s.loadContent(ctx, rc, d, false); err != nil {
		return nil, err
	}
	if d.History, err = s.cfg.Store.UserHistory(ctx, c.SubjectUserID, historyShown); err != nil {
		return nil, err
	}
	if d.Actions, err = s.cfg.Store.CaseActions(ctx, c.ID); err != nil {
		return nil, err
	}
	if c.Open() {
		if d.HelpSince, err = s.cfg.Store.HelpRequested(ctx, c.ID); err != nil {
			return nil, err
		}
	}
	if d.Appeal != nil {
		d.ProposedByMe = d.Appeal.ProposedBy == rc.Account.ID
	}
	d.Choices = choicesFor(rc.Account, c)
	d.Work.HelpHolds = helpHolds
	return d, nil
}

// humanDecision is a person's decision on the content for its statement
// of reasons: the case's own outcome once closed, or for an appeal the
// outcome of the case it appeals.
func (s *Server) humanDecision(c, appealed *store.Case) *statement.HumanDecision {
	decided := c
	if c.Source == store.SourceAppeal {
		decided = appealed
	}
	if decided == nil || decided.ClosedAt == nil || decided.Source == store.SourceAppeal {
		return nil
	}
	return &statement.HumanDecision{Outcome: decided.Outcome, DecidedAt: *decided.ClosedAt, FromReport: decided.Source == store.SourceReport}
}

// scores lists the decision's evidence (or, without it, its rule-based
// scores), highest first.
func scores(d *engine.Decision) []scoreRow {
	src := d.Evidence
	if len(src) == 0 {
		src = d.Scores
	}
	out := make([]scoreRow, 0, len(src))
	for c, v := range src {
		out = append(out, scoreRow{Category: c, Score: v})
	}
	slices.SortFunc(out, func(a, b scoreRow) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Category, b.Category)
	})
	return out
}

// countReports counts the reports per category, most reported first.
func countReports(rs []store.CaseReport) []categoryCount {
	var out []categoryCount
	for _, r := range rs {
		i := slices.IndexFunc(out, func(c categoryCount) bool { return c.Category == r.Category })
		if i < 0 {
			out = append(out, categoryCount{Category: r.Category})
			i = len(out) - 1
		}
		out[i].Count++
	}
	slices.SortStableFunc(out, func(a, b categoryCount) int { return b.Count - a.Count })
	return out
}
