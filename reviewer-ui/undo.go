package reviewerui

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/haechi-tns/haechi/engine/store"
)

// A decision that closed a case may be taken back for a short while: its
// actions wait in the outbox until then (store.UndoWindow, engine/store/
// undo.go says why that is safe). The page a reviewer lands on after
// deciding carries the offer in its URL (?undo=<case>&undo_until=<ms>),
// and the layout shows it above the page with a countdown; the store
// checks everything again when the reviewer takes it.

// undoQuery is the query that offers to undo the decision on caseID
// until deadline.
func undoQuery(caseID string, deadline time.Time) url.Values {
	return url.Values{"undo": {caseID}, "undo_until": {strconv.FormatInt(deadline.UnixMilli(), 10)}}
}

// undoOffer is the offer shown atop a page: the case whose decision may
// be undone, and for how many more seconds.
type undoOffer struct {
	CaseID  string
	Seconds int
}

// caseIDPattern is what a case id in an undo offer may look like (the
// store's ids are UUIDs): nothing that could turn the form's action into
// another path.
var caseIDPattern = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)

// Undo is the undo offer of the page's URL while it lasts, or nil. The
// URL is the reviewer's own and only decides whether a button shows; the
// store decides whether the undo happens.
func (v *view) Undo() *undoOffer {
	if v.Account == nil {
		return nil
	}
	_, query, _ := strings.Cut(v.Path, "?")
	q, err := url.ParseQuery(query)
	if err != nil || !caseIDPattern.MatchString(q.Get("undo")) {
		return nil
	}
	until, err := strconv.ParseInt(q.Get("undo_until"), 10, 64)
	if err != nil {
		return nil
	}
	left := int(time.UnixMilli(until).Sub(v.now) / time.Second)
	if left <= 0 || left > int(store.UndoWindow/time.Second) {
		return nil
	}
	return &undoOffer{CaseID: q.Get("undo"), Seconds: left}
}

// undo takes back the reviewer's decision on a case (store.UndoDecision):
// the case opens again, held by them, and its page says so. Another
// reviewer's decision, or one on a case they may no longer work, is
// refused (403, audited); a decision whose time passed, or that changed
// meanwhile, is a 409 page saying so.
func (s *Server) undo(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	c, ok := s.workableCase(w, r, rc)
	if !ok {
		return
	}
	res, err := s.cfg.Store.UndoDecision(r.Context(), c.ID, rc.Account.Moderator(), s.cfg.Lease, s.cfg.Now())
	switch {
	case errors.Is(err, store.ErrForbidden):
		s.deny(w, r, rc, "undo_not_yours", c.ID)
		return
	case errors.Is(err, store.ErrTooLate):
		s.conflict(w, r, rc, "conflict.undo_too_late")
		return
	case errors.Is(err, store.ErrConflict):
		s.conflict(w, r, rc, "conflict.undo_changed")
		return
	case err != nil:
		s.internalError(w, r, rc, err)
		return
	}
	s.cfg.Log.Info("decision undone", "case_id", c.ID, "outcome", res.Outcome, "withdrawn", res.Withdrawn, "user_id", rc.Account.ID)
	http.Redirect(w, r, casePath(c.ID)+"?notice=undone", http.StatusSeeOther)
}
