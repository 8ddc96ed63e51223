package reviewerui

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
)

func TestAPasswordSomebodyElseChoseMustBeChangedFirst(t *testing.T) {
	u := newTestUI(t)
	u.open(decision("a", "", engine.Insult))
	u.accounts.add("kim", store.RoleModerator)
	u.accounts.users["kim"].acct.PasswordChangeRequired = true
	c := u.newClient()
	if r := c.login("kim", "pw-kim", ""); r.status != http.StatusSeeOther {
		t.Fatalf("sign in: %d", r.status)
	}
	for _, p := range []string{"/ui/", "/ui/queues/general", "/ui/totp"} {
		if r := c.get(p); r.status != http.StatusSeeOther || r.location != "/ui/password" {
			t.Errorf("GET %s: %d to %q, want the password page", p, r.status, r.location)
		}
	}
	page := c.get("/ui/password?lang=en")
	if page.status != http.StatusOK || !strings.Contains(page.body, "Somebody else chose this password") {
		t.Fatalf("password page: %d", page.status)
	}
	u.wantDenied(c.post("/ui/queues/general/claim", nil), "u-kim", "password_change")
	for _, tt := range []struct {
		name string
		form url.Values
		key  string
	}{
		{"mismatch", url.Values{"current": {"pw-kim"}, "new": {"a long new password"}, "again": {"a long new passwort"}}, "password.error.mismatch"},
		{"same", url.Values{"current": {"pw-kim"}, "new": {"pw-kim"}, "again": {"pw-kim"}}, "password.error.same"},
		{"wrong current", url.Values{"current": {"guess"}, "new": {"a long new password"}, "again": {"a long new password"}}, "password.error.current"},
		{"too short", url.Values{"current": {"pw-kim"}, "new": {"short"}, "again": {"short"}}, "password.error.rules"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := c.post("/ui/password", tt.form)
			if r.status != http.StatusBadRequest || !strings.Contains(r.body, u.ui.msgs.text("en", tt.key)) {
				t.Errorf("%d, want 400 saying %q", r.status, u.ui.msgs.text("en", tt.key))
			}
		})
	}
	old := c.cookie(sessionCookie)
	r := c.post("/ui/password", url.Values{"current": {"pw-kim"}, "new": {"a long new password"}, "again": {"a long new password"}})
	if r.status != http.StatusSeeOther || r.location != "/ui/?notice=password_changed" {
		t.Fatalf("change: %d to %q", r.status, r.location)
	}
	if c.cookie(sessionCookie) == old {
		t.Error("the session was not renewed after the store ended it")
	}
	if r := c.get(r.location); r.status != http.StatusOK || !strings.Contains(r.body, "Your password was changed.") {
		t.Errorf("overview after the change: %d\n%s", r.status, r.body)
	}
}

func TestASeniorReviewerMustEnrolAnAuthenticatorFirst(t *testing.T) {
	u := newTestUI(t)
	u.accounts.add("park", store.RoleSenior)
	u.accounts.users["park"].acct.TOTPEnabled = false
	c := u.newClient()
	if r := c.login("park", "pw-park", ""); r.status != http.StatusSeeOther {
		t.Fatalf("sign in with the right password: %d", r.status)
	}
	if r := c.get("/ui/"); r.status != http.StatusSeeOther || r.location != "/ui/totp" {
		t.Fatalf("overview before enrolling: %d to %q", r.status, r.location)
	}
	u.wantDenied(c.post("/ui/queues/senior/claim", nil), "u-park", "totp_enrolment")
	page := c.get("/ui/totp?lang=en")
	if page.status != http.StatusOK || !strings.Contains(page.body, "JBSWY3DPEHPK3PXP") || !strings.Contains(page.body, "Your role signs in with a code") {
		t.Fatalf("enrolment page: %d\n%s", page.status, page.body)
	}
	r := c.post("/ui/totp", url.Values{"code": {"000000"}, "secret": {"JBSWY3DPEHPK3PXP"}, "url": {"otpauth://x"}})
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "The code did not match") || !strings.Contains(r.body, "JBSWY3DPEHPK3PXP") {
		t.Errorf("wrong code: %d", r.status)
	}
	r = c.post("/ui/totp", url.Values{"code": {"654321"}})
	if r.status != http.StatusSeeOther || r.location != "/ui/?notice=totp_enrolled" {
		t.Fatalf("confirm: %d to %q", r.status, r.location)
	}
	if r := c.get("/ui/"); r.status != http.StatusOK {
		t.Errorf("overview after enrolling: %d", r.status)
	}
}

func TestSignInAttemptsAreLimitedPerAddress(t *testing.T) {
	u := newTestUI(t, func(c *Config) { c.SignInsPerMinute = 2 })
	u.accounts.add("kim", store.RoleModerator)
	c := u.newClient()
	c.login("kim", "wrong", "")
	c.login("kim", "wrong", "")
	r := c.login("kim", "pw-kim", "")
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Errorf("third attempt in a minute: %d, Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	u.clock.Advance(time.Minute)
	if r := c.login("kim", "pw-kim", ""); r.status != http.StatusSeeOther {
		t.Errorf("a minute later: %d", r.status)
	}
}
