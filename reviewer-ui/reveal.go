package reviewerui

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/haechi-tns/haechi/engine/store"
)

// revealRoles says, role by role, whether a reviewer holding the role may
// reveal the personal information masked on a case page. It is the one
// place this is decided, and it names every role (a test checks that), so
// a new role is decided here rather than by default. A reviewer must
// besides be allowed to work the case's queue (canWork), and every reveal
// is written to the audit log with the reviewer's reason.
//
//   - moderator: no. The general queue is insults, spam and scams in
//     volume. Whether a message shares a phone number or a registration
//     number shows in the masked text, which names what was masked, and
//     in the decision's evidence; whose number it is does not change the
//     outcome there, and a case where it does is escalated to a senior
//     reviewer. The role most people hold is kept from the data, which is
//     the least privilege the personal information principle asks for.
//   - counsellor: yes. Youth-safety cases turn on contact details: an
//     adult giving a minor a number or asking for theirs is grooming
//     evidence, and whether the same number recurs across messages and
//     reports is part of the judgement.
//   - senior: yes. Senior reviewers decide bans and escalations, on the
//     evidence in full.
//   - appeals: yes. An appeal may dispute that what was masked was
//     personal information at all (a price, an order number): the
//     reviewer has to see it to decide.
//   - operator, admin: no. They run policies, dashboards, accounts and
//     keys, and work no queue.
var revealRoles = map[string]bool{
	store.RoleModerator:  false,
	store.RoleCounsellor: true,
	store.RoleSenior:     true,
	store.RoleAppeals:    true,
	store.RoleOperator:   false,
	store.RoleAdmin:      false,
}

// canReveal reports whether a holds a role that may reveal personal
// information.
func canReveal(a *Account) bool {
	return a != nil && slices.ContainsFunc(a.Roles, func(r string) bool { return revealRoles[r] })
}

// maxRevealReason bounds a reveal's reason, in characters.
const maxRevealReason = 500

// reveal answers the reveal form of a case page: the case's content
// unmasked, for a reviewer who may work the case's queue and reveal
// (revealRoles), with a reason. The reveal is written to the audit log
// (store.AuditContentRevealed) before anything is shown, and it counts
// in the reviewer's reveals of the day. htmx gets the content section and
// the page's other revealed texts (out of band); a browser without
// script gets the whole page.
func (s *Server) reveal(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	ctx := r.Context()
	c, ok := s.workableCase(w, r, rc)
	if !ok {
		return
	}
	if !canReveal(rc.Account) {
		s.deny(w, r, rc, "reveal_role", c.ID)
		return
	}
	reason := strings.TrimSpace(r.PostForm.Get("reason"))
	errKey := ""
	switch {
	case reason == "":
		errKey = "content.error.reason"
	case utf8.RuneCountInString(reason) > maxRevealReason:
		errKey = "content.error.reason_long"
	}
	d, err := s.caseData(ctx, rc, c)
	if err != nil {
		s.internalError(w, r, rc, err)
		return
	}
	if errKey != "" {
		d.Content.Reason, d.Content.Error = reason, errKey
		s.renderContent(w, r, rc, http.StatusBadRequest, d)
		return
	}
	if err := s.loadContent(ctx, rc, d, true); err != nil {
		s.internalError(w, r, rc, err)
		return
	}
	// The reason is the reviewer's own words, not user content: it is
	// what an auditor asks about a reveal, so the log keeps it whole.
	err = s.cfg.Store.Audit(ctx, s.cfg.Now(), rc.actor(), store.AuditContentRevealed, c.ID,
		map[string]any{"reason": reason, "queue": c.Queue, "masked": d.Content.Masked, "snapshots": len(d.Content.Snapshots)})
	if err != nil {
		// Nothing is revealed that the log does not record.
		s.internalError(w, r, rc, err)
		return
	}
	s.cfg.Log.Info("case content revealed", "case_id", c.ID, "user_id", rc.Account.ID, "masked", d.Content.Masked)
	s.renderContent(w, r, rc, http.StatusOK, d)
}

// renderContent answers a reveal: the content section (and the texts
// revealed elsewhere on the page, out of band) to htmx, the whole page to
// anything else.
func (s *Server) renderContent(w http.ResponseWriter, r *http.Request, rc *reqContext, status int, d *caseData) {
	v := s.newView(r, rc, "case.title", d)
	if r.Header.Get("HX-Request") == "true" {
		s.execute(w, r, status, "case", "content_swap", v)
		return
	}
	d.Form.ClaimNext = true
	s.render(w, r, status, "case", v)
}

// workableCase reads the case of the request's path; it answers the
// request itself (and returns false) when the case is unknown or the
// reviewer may not work its queue (a 403, audited).
func (s *Server) workableCase(w http.ResponseWriter, r *http.Request, rc *reqContext) (*store.Case, bool) {
	c, err := s.cfg.Store.Case(r.Context(), r.PathValue("id"))
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
	return c, true
}

// revealsToday is how many times the signed-in reviewer revealed content
// or an image today (the day in KST), counted from the audit log, for the
// header of every page; -1 when nobody is signed in or the count failed
// (which is logged), and then the header shows no count.
func (s *Server) revealsToday(ctx context.Context, rc *reqContext) int {
	if rc.Account == nil {
		return -1
	}
	since := kstDay(s.cfg.Now())
	n, err := s.cfg.Store.CountReveals(ctx, rc.Account.ID, since, since.AddDate(0, 0, 1))
	if err != nil {
		s.cfg.Log.Error("counting reveals failed", "user_id", rc.Account.ID, "err", err)
		return -1
	}
	return n
}

// kstDay is the start of t's day in Korea.
func kstDay(t time.Time) time.Time {
	y, m, d := t.In(kst).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, kst)
}

// RevealsToday is the reviewer's reveals today for the page header, or
// -1 for none. It is counted only when a template asks, so partials
// (htmx polls) cost no query.
func (v *view) RevealsToday() int {
	if v.reveals == nil {
		return -1
	}
	return v.reveals()
}
