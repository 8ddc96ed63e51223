package reviewerui

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/haechi-tns/haechi/engine/store"
)

// workForms are the forms beside the decision: reassigning the case to a
// named colleague, and holding it while asking for help, each shown
// again with its error.
type workForms struct {
	HelpHolds []durationChoice
	To        string // the colleague's sign-in name, as typed
	Note      string
	Error     string // a message key, or empty
	Form      string // which form the error is about: reassign or help
}

// helpHolds are how long a case may be kept while its reviewer asks for
// help (at most store.MaxHelpHold).
var helpHolds = []durationChoice{{"1h", time.Hour}, {"4h", store.MaxHelpHold}}

// workNote reads the note of a work form: required, bounded like a
// decision's reason.
func workNote(r *http.Request) (string, string) {
	note := strings.TrimSpace(r.PostForm.Get("note"))
	switch {
	case note == "":
		return note, "work.error.note"
	case utf8.RuneCountInString(note) > maxReason:
		return note, "decide.error.reason_long"
	}
	return note, ""
}

// reassign gives a case the reviewer holds to a named colleague who may
// work its queue, with a new lease, without it going back to the queue.
// An appeal is never handed to the reviewer who decided the case it
// appeals: that is a 403, audited, like their claiming it would be.
func (s *Server) reassign(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	d, ok := s.loadCase(w, r, rc)
	if !ok {
		return
	}
	if !d.Held {
		s.conflict(w, r, rc, "conflict.lease_lost")
		return
	}
	note, errKey := workNote(r)
	name := strings.TrimSpace(r.PostForm.Get("to"))
	var to *Account
	if errKey == "" {
		u, err := s.cfg.Accounts.UserByName(r.Context(), name)
		switch {
		case errors.Is(err, store.ErrNotFound):
			errKey = "work.error.colleague"
		case err != nil:
			s.internalError(w, r, rc, err)
			return
		case u.ID == rc.Account.ID || u.Disabled || !canWork(u, d.Case.Queue):
			// One message for no such account and one that may not
			// work the queue: either way, not a colleague for this case.
			errKey = "work.error.colleague"
		default:
			to = u
		}
	}
	if errKey != "" {
		d.Work.To, d.Work.Note, d.Work.Error, d.Work.Form = name, note, errKey, "reassign"
		d.Form.ClaimNext = true
		s.render(w, r, http.StatusBadRequest, "case", s.newView(r, rc, "case.title", d))
		return
	}
	err := s.cfg.Store.Reassign(r.Context(), d.Case.ID, rc.Account.Moderator(), to.Moderator(), s.cfg.Lease, note, s.cfg.Now())
	switch {
	case errors.Is(err, store.ErrOriginalDecider):
		// The colleague decided the case this appeal reviews: the
		// appeal may not go to them (four eyes), however it is handed.
		s.deny(w, r, rc, "original_decider", d.Case.ID)
		return
	case errors.Is(err, store.ErrForbidden):
		s.conflict(w, r, rc, "conflict.lease_lost")
		return
	case err != nil:
		s.internalError(w, r, rc, err)
		return
	}
	s.cfg.Log.Info("case reassigned", "case_id", d.Case.ID, "user_id", rc.Account.ID, "to", to.ID)
	http.Redirect(w, r, basePath+"?notice=reassigned", http.StatusSeeOther)
}

// askForHelp keeps the case with the reviewer, for an hour or up to
// store.MaxHelpHold, while they ask colleagues; the question goes to the
// case's history.
func (s *Server) askForHelp(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	d, ok := s.loadCase(w, r, rc)
	if !ok {
		return
	}
	if !d.Held {
		s.conflict(w, r, rc, "conflict.lease_lost")
		return
	}
	note, errKey := workNote(r)
	i := slices.IndexFunc(helpHolds, func(h durationChoice) bool { return h.Name == r.PostForm.Get("hold") })
	if errKey == "" && i < 0 {
		errKey = "decide.error.duration"
	}
	if errKey != "" {
		d.Work.Note, d.Work.Error, d.Work.Form = note, errKey, "help"
		d.Form.ClaimNext = true
		s.render(w, r, http.StatusBadRequest, "case", s.newView(r, rc, "case.title", d))
		return
	}
	err := s.cfg.Store.AskForHelp(r.Context(), d.Case.ID, rc.Account.Moderator(), note, helpHolds[i].For, s.cfg.Now())
	switch {
	case errors.Is(err, store.ErrForbidden):
		s.conflict(w, r, rc, "conflict.lease_lost")
		return
	case err != nil:
		s.internalError(w, r, rc, err)
		return
	}
	http.Redirect(w, r, casePath(d.Case.ID)+"?notice=help_requested", http.StatusSeeOther)
}
