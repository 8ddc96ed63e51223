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
// deciding carries the offer in its URL (?undo=<case>&undo_until=<ms>,
// and &undo_next=<case> when "claim next" gave them another case), and
// the layout shows it above the page with a countdown; the store checks
// everything again when the reviewer takes it.
//
// Undoing gives the reviewer the undone case back and returns the case
// claimed after the decision, if they still hold it, to its queue: they
// go back to the first, and the second would otherwise sit under their
// lease, unseen and blocking colleagues, until the lease ran out.

// undoQuery is the query that offers to undo the decision on caseID
// until deadline.
func undoQuery(caseID string, deadline time.Time) url.Values {
	return url.Values{"undo": {caseID}, "undo_until": {strconv.FormatInt(deadline.UnixMilli(), 10)}}
}

// undoOffer is the offer shown atop a page: the case whose decision may
// be undone, and for how many more seconds; Next is the case claimed
// after the decision, or empty.
type undoOffer struct {
	CaseID  string
	Seconds int
	Next    string
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
	o := &undoOffer{CaseID: q.Get("undo"), Seconds: left}
	if next := q.Get("undo_next"); caseIDPattern.MatchString(next) && next != o.CaseID {
		o.Next = next
	}
	return o
}

// undo takes back the reviewer's decision on a case (store.UndoDecision):
// the case opens again, held by them, and its page says so. The case
// named by the form's release, claimed after the decision, goes back to
// its queue if the reviewer still holds it (the store checks; a case
// they decided or lost meanwhile stays as it is). Another
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
	notice := "undone"
	if next := r.PostForm.Get("release"); next != c.ID && caseIDPattern.MatchString(next) {
		switch err := s.cfg.Store.Release(r.Context(), next, rc.Account.Moderator(), s.cfg.Now()); {
		case err == nil:
			notice = "undone_released"
		case errors.Is(err, store.ErrForbidden) || errors.Is(err, store.ErrNotFound):
			// Decided, released or lost meanwhile: nothing to give back.
		default:
			// The undo stands; the case's lease runs out by itself.
			s.cfg.Log.Error("releasing the case claimed after an undone decision failed", "case_id", next, "user_id", rc.Account.ID, "err", err)
		}
	}
	http.Redirect(w, r, casePath(c.ID)+"?notice="+notice, http.StatusSeeOther)
}
