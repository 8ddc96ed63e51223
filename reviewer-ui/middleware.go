package reviewerui

import (
	"crypto/subtle"
	"errors"
	"net/http"

	"github.com/haechi-tns/haechi/engine/store"
)

// reqContext is what a handler knows about the request besides the
// request itself: the reviewer's language and, once signed in, the
// account and session.
type reqContext struct {
	Lang    string
	Account *Account // nil when not signed in
	Session *Session // nil when not signed in
	secure  bool     // cookies get the Secure attribute
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, rc *reqContext)

// sessionCookie holds the session token.
const sessionCookie = "haechi_session"

// backgroundHeader marks requests a page makes by itself (htmx polling,
// the lease heartbeat); they do not keep a session from going idle.
const backgroundHeader = "X-Haechi-Background"

// maxFormBytes bounds a form body: a decision's reason is the longest
// field.
const maxFormBytes = 64 << 10

// requestContext reads the language and the session cookie, if any. A
// cookie that names no live session is ignored (and the store's error
// other than not-found logged).
func (s *Server) requestContext(w http.ResponseWriter, r *http.Request) *reqContext {
	rc := &reqContext{secure: r.TLS != nil || s.cfg.SecureCookies}
	rc.Lang = language(w, r, rc.secure)
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return rc
	}
	lookup := s.cfg.Accounts.SessionByToken
	if r.Header.Get(backgroundHeader) == "1" {
		// A page refreshing itself or a lease heartbeat: not activity,
		// or an open tab would keep a session alive forever.
		lookup = s.cfg.Accounts.PeekSession
	}
	sess, acct, err := lookup(r.Context(), c.Value, s.cfg.Now())
	switch {
	case err == nil:
		rc.Account, rc.Session = acct, sess
	case !errors.Is(err, store.ErrNotFound):
		s.cfg.Log.Error("session lookup failed", "path", r.URL.Path, "err", err)
	}
	return rc
}

// public serves pages that need no session (sign-in, not found).
func (s *Server) public(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h(w, r, s.requestContext(w, r))
	})
}

// signedIn serves pages to signed-in reviewers; anyone else is sent to
// sign in (a GET) or refused (anything else).
func (s *Server) signedIn(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := s.requestContext(w, r)
		if rc.Account == nil {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				// An htmx poll whose session ended reloads the whole page,
				// which then goes to sign-in.
				if r.Header.Get("HX-Request") == "true" {
					w.Header().Set("HX-Refresh", "true")
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				http.Redirect(w, r, basePath+"login", http.StatusSeeOther)
				return
			}
			s.deny(w, r, rc, "no_session", r.URL.Path)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if step, reason := firstStep(rc.Account); step != "" && r.URL.Path != step && r.URL.Path != basePath+"logout" {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, step, http.StatusSeeOther)
				return
			}
			s.deny(w, r, rc, reason, r.URL.Path)
			return
		}
		h(w, r, rc)
	})
}

// firstStep is the page an account must finish before any other, and the
// reason for refusing anything else meanwhile: a password somebody else
// chose must be changed, then an admin or senior reviewer must enrol an
// authenticator app.
func firstStep(a *Account) (path, reason string) {
	switch {
	case a.PasswordChangeRequired:
		return basePath + "password", "password_change"
	case a.NeedsTOTPEnrollment():
		return basePath + "totp", "totp_enrolment"
	}
	return "", ""
}

// action serves state-changing requests: signed in, with the session's
// CSRF token as the form field csrf or the X-CSRF-Token header.
func (s *Server) action(h handlerFunc) http.Handler {
	return s.signedIn(func(w http.ResponseWriter, r *http.Request, rc *reqContext) {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			s.fail(w, r, rc, http.StatusBadRequest, "error.bad_request")
			return
		}
		token := r.Header.Get("X-CSRF-Token")
		if token == "" {
			token = r.PostForm.Get("csrf")
		}
		if token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(rc.Session.CSRF)) != 1 {
			s.deny(w, r, rc, "csrf", r.URL.Path)
			return
		}
		h(w, r, rc)
	})
}

// setSessionCookie gives the browser a session's token: HttpOnly, for
// same-site requests only, under /ui/, Secure over TLS. It has no expiry
// of its own; the store ends idle and old sessions.
func setSessionCookie(w http.ResponseWriter, rc *reqContext, token string) {
	c := &http.Cookie{Name: sessionCookie, Value: token, Path: basePath, HttpOnly: true, Secure: rc.secure, SameSite: http.SameSiteStrictMode}
	if token == "" {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

// actor names the requester in the audit log.
func (rc *reqContext) actor() string {
	if rc.Account != nil {
		return rc.Account.ID
	}
	return "anonymous"
}

// denyReasons are why deny refuses; each has the message
// error.forbidden.<reason>.
var denyReasons = []string{"cross_origin", "no_session", "csrf", "login_token", "queue_role", "ban_role", "own_decision",
	"own_proposal", "password_change", "totp_enrolment", "reveal_role", "undo_not_yours", "wellbeing_cap", "original_decider"}

// deny refuses a request with a 403 page and writes the refusal to the
// audit log: who, what was asked (method and path), and why. The path
// never holds content, only ids.
func (s *Server) deny(w http.ResponseWriter, r *http.Request, rc *reqContext, reason, subject string) {
	// Refusals of signed-in reviewers are audited. Anonymous ones are
	// only logged: anyone who reaches the port could otherwise fill the
	// audit log.
	if rc.Account != nil {
		err := s.cfg.Store.Audit(r.Context(), s.cfg.Now(), rc.actor(), "ui.denied", subject,
			map[string]any{"reason": reason, "method": r.Method, "path": r.URL.Path})
		if err != nil {
			// The refusal stands; its record is lost, and the log says so.
			s.cfg.Log.Error("audit of a refusal failed", "reason", reason, "path", r.URL.Path, "err", err)
		}
	}
	s.cfg.Log.Info("ui request refused", "reason", reason, "actor", rc.actor(), "method", r.Method, "path", r.URL.Path)
	s.fail(w, r, rc, http.StatusForbidden, "error.forbidden."+reason)
}

// internalError answers 500, logging the cause and showing none of it.
func (s *Server) internalError(w http.ResponseWriter, r *http.Request, rc *reqContext, err error) {
	s.cfg.Log.Error("ui request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	s.fail(w, r, rc, http.StatusInternalServerError, "error.internal")
}
