package reviewerui

import (
	"errors"
	"net/http"

	"github.com/haechi-tns/haechi/engine/store"
)

// passwordData is the password page's data.
type passwordData struct {
	Required bool   // the password is one somebody else chose
	Error    string // a message key, or empty
}

// passwordPage shows the form to change one's password; an account whose
// password somebody else chose (a new account, a reset) can reach no
// other page until it is changed.
func (s *Server) passwordPage(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	s.render(w, r, http.StatusOK, "password", s.newView(r, rc, "password.title", passwordData{Required: rc.Account.PasswordChangeRequired}))
}

// changePassword changes the reviewer's password, proven by the current
// one. The store ends every session of the account, this one included,
// so the browser gets a new one.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	d := passwordData{Required: rc.Account.PasswordChangeRequired}
	current, next, again := r.PostForm.Get("current"), r.PostForm.Get("new"), r.PostForm.Get("again")
	if next != again {
		d.Error = "password.error.mismatch"
		s.render(w, r, http.StatusBadRequest, "password", s.newView(r, rc, "password.title", d))
		return
	}
	if next == current {
		d.Error = "password.error.same"
		s.render(w, r, http.StatusBadRequest, "password", s.newView(r, rc, "password.title", d))
		return
	}
	if !s.allowSignIn(w, r, rc) {
		return
	}
	now := s.cfg.Now()
	err := s.cfg.Accounts.ChangePassword(r.Context(), rc.Account.ID, current, next, remoteIP(r), now)
	switch {
	case errors.Is(err, store.ErrBadCredentials), errors.Is(err, store.ErrLockedOut):
		d.Error = "password.error.current"
	case errors.Is(err, store.ErrInvalidUser):
		d.Error = "password.error.rules"
	case err != nil:
		s.internalError(w, r, rc, err)
		return
	}
	if d.Error != "" {
		s.render(w, r, http.StatusBadRequest, "password", s.newView(r, rc, "password.title", d))
		return
	}
	if !s.startSession(w, r, rc, rc.Account.ID, now) {
		return
	}
	s.cfg.Log.Info("reviewer changed their password", "user_id", rc.Account.ID)
	http.Redirect(w, r, basePath+"?notice=password_changed", http.StatusSeeOther)
}
