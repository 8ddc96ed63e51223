package reviewerui

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/haechi-tns/haechi/engine/store"
)

// loginCookie holds the sign-in form's token. Before sign-in there is no
// session to hold a CSRF token, so the form and a cookie carry the same
// random value (double submit): a page elsewhere can make a browser post
// the form but cannot read or set the cookie, so it cannot sign the
// reviewer in to an account of its choosing.
const loginCookie = "haechi_login"

// loginData is the sign-in page's data.
type loginData struct {
	Token string
	Name  string // the name typed, kept after a failure
	Error string // a message key, or empty
}

// loginPage shows the sign-in form, or the overview to a reviewer
// already signed in.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	if rc.Account != nil {
		http.Redirect(w, r, basePath, http.StatusSeeOther)
		return
	}
	s.renderLogin(w, r, rc, http.StatusOK, loginData{})
}

// renderLogin renders the form with a fresh login token.
func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, rc *reqContext, status int, d loginData) {
	d.Token = randomToken()
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: d.Token, Path: basePath, HttpOnly: true, Secure: rc.secure, SameSite: http.SameSiteStrictMode})
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, status, "login", s.newView(r, rc, "login.title", d))
}

// signIn checks the name, password and one-time code. Whether the name
// or the password was wrong is never said, nor whether the account
// exists; a sign-in starts a new session and ends the one the browser
// held, so a session token planted before sign-in is worth nothing.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, rc, http.StatusBadRequest, "error.bad_request")
		return
	}
	if !s.allowSignIn(w, r, rc) {
		return
	}
	c, err := r.Cookie(loginCookie)
	token := r.PostForm.Get("login_token")
	if err != nil || token == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(token)) != 1 {
		s.deny(w, r, rc, "login_token", "login")
		return
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	password := r.PostForm.Get("password")
	code := strings.TrimSpace(r.PostForm.Get("totp"))
	if name == "" || password == "" {
		s.renderLogin(w, r, rc, http.StatusUnauthorized, loginData{Name: name, Error: "login.error.failed"})
		return
	}
	now := s.cfg.Now()
	acct, err := s.cfg.Accounts.Authenticate(r.Context(), name, password, code, remoteIP(r), now)
	if err != nil {
		key := ""
		switch {
		case errors.Is(err, store.ErrTOTPEnrollmentRequired) && acct != nil:
			// The password was right; the session may do nothing but
			// enrol an authenticator (see signedIn).
		case errors.Is(err, store.ErrBadCredentials), errors.Is(err, store.ErrLockedOut):
			// One message for both, so that a lockout does not tell an
			// account that exists from one that does not.
			key = "login.error.failed"
		case errors.Is(err, store.ErrTOTPRequired):
			key = "login.error.totp"
		default:
			s.internalError(w, r, rc, err)
			return
		}
		if key != "" {
			s.renderLogin(w, r, rc, http.StatusUnauthorized, loginData{Name: name, Error: key})
			return
		}
	}
	if rc.Session != nil {
		if err := s.cfg.Accounts.EndSession(r.Context(), rc.Session.Token); err != nil {
			s.internalError(w, r, rc, err)
			return
		}
	}
	if !s.startSession(w, r, rc, acct.ID, now) {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Path: basePath, MaxAge: -1, HttpOnly: true, Secure: rc.secure, SameSite: http.SameSiteStrictMode})
	s.cfg.Log.Info("reviewer signed in", "user_id", acct.ID)
	// The overview, or whatever the account must do first (signedIn).
	http.Redirect(w, r, basePath, http.StatusSeeOther)
}

// startSession gives the browser a new session of userID; it answers
// the request itself (and returns false) when it cannot.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, rc *reqContext, userID string, now time.Time) bool {
	sess, err := s.cfg.Accounts.CreateSession(r.Context(), userID, now)
	if err != nil {
		s.internalError(w, r, rc, err)
		return false
	}
	setSessionCookie(w, rc, sess.Token)
	return true
}

// allowSignIn applies the per-address limit on attempts to prove a
// password; beyond it the answer is 429 with Retry-After.
func (s *Server) allowSignIn(w http.ResponseWriter, r *http.Request, rc *reqContext) bool {
	ok, wait := s.limiter.Allow(remoteIP(r), s.cfg.Now())
	if ok {
		return true
	}
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(wait.Round(time.Second)/time.Second))))
	s.fail(w, r, rc, http.StatusTooManyRequests, "error.too_many")
	return false
}

// signOut ends the session.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	if err := s.cfg.Accounts.EndSession(r.Context(), rc.Session.Token); err != nil {
		s.internalError(w, r, rc, err)
		return
	}
	setSessionCookie(w, rc, "")
	http.Redirect(w, r, basePath+"login", http.StatusSeeOther)
}

// remoteIP is the address the request came from, for the accounts'
// sign-in limits. Behind a proxy it is the proxy's.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// randomToken returns 256 random bits, URL-safe.
func randomToken() string {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b[:])
}
