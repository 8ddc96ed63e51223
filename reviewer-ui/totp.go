package reviewerui

import (
	"errors"
	"net/http"
	"strings"

	"github.com/haechi-tns/haechi/engine/store"
)

// totpData is the authenticator enrolment page's data.
type totpData struct {
	Required bool // the account's roles need a second factor it lacks
	// Secret and URL are the new authenticator's key, to type or paste
	// into the app.
	Secret string
	URL    string
	Error  string // a message key, or empty
}

// totpPage starts enrolling an authenticator app: a new secret, pending
// until a code from the app confirms it (an enrolled one stays in force
// meanwhile). Admins and senior reviewers without one can reach no other
// page.
func (s *Server) totpPage(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	secret, u, err := s.cfg.Accounts.EnrollTOTP(r.Context(), rc.Account.ID, s.cfg.Now())
	if err != nil {
		s.internalError(w, r, rc, err)
		return
	}
	d := totpData{Required: rc.Account.NeedsTOTPEnrollment(), Secret: secret, URL: u}
	s.render(w, r, http.StatusOK, "totp", s.newView(r, rc, "totp.title", d))
}

// confirmTOTP completes the enrolment with a code from the app. A wrong
// code shows the same key again (the form carries it back for display
// only; the store checks the code against the pending secret it keeps).
func (s *Server) confirmTOTP(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	code := strings.TrimSpace(r.PostForm.Get("code"))
	err := s.cfg.Accounts.ConfirmTOTP(r.Context(), rc.Account.ID, code, s.cfg.Now())
	switch {
	case errors.Is(err, store.ErrBadTOTPCode):
		d := totpData{Required: rc.Account.NeedsTOTPEnrollment(), Secret: r.PostForm.Get("secret"), URL: r.PostForm.Get("url"), Error: "totp.error.code"}
		s.render(w, r, http.StatusBadRequest, "totp", s.newView(r, rc, "totp.title", d))
		return
	case err != nil:
		s.internalError(w, r, rc, err)
		return
	}
	s.cfg.Log.Info("reviewer enrolled an authenticator", "user_id", rc.Account.ID)
	http.Redirect(w, r, basePath+"?notice=totp_enrolled", http.StatusSeeOther)
}
