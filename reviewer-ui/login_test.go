package reviewerui

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/haechi-tns/haechi/engine/store"
)

func TestSignIn(t *testing.T) {
	u := newTestUI(t)
	u.accounts.add("kim", store.RoleModerator)
	totp := u.accounts.add("park", store.RoleSenior)
	u.accounts.users["park"].totp = "123456"
	u.accounts.add("choi", store.RoleModerator)
	u.accounts.users["choi"].locked = true

	failed := func(r *response) string {
		t.Helper()
		if r.status != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", r.status)
		}
		i := strings.Index(r.body, `role="alert"`)
		if i < 0 {
			t.Fatalf("no error message:\n%s", r.body)
		}
		return r.body[i : i+strings.Index(r.body[i:], "</p>")]
	}
	c := u.newClient()
	wrongPassword := failed(c.login("kim", "nope", ""))
	noSuchUser := failed(c.login("nobody", "nope", ""))
	lockedOut := failed(c.login("choi", "pw-choi", ""))
	if wrongPassword != noSuchUser || wrongPassword != lockedOut {
		t.Errorf("failures can be told apart:\n%s\n%s\n%s", wrongPassword, noSuchUser, lockedOut)
	}
	if strings.Contains(wrongPassword, "kim") {
		t.Error("the message names the user")
	}
	needCode := failed(c.login("park", "pw-park", ""))
	if needCode == wrongPassword {
		t.Error("a missing one-time code is not explained")
	}
	if r := c.login("park", "pw-park", "123456"); r.status != http.StatusSeeOther || r.location != "/ui/" {
		t.Fatalf("sign-in with the code: %d to %q", r.status, r.location)
	}
	if r := c.get("/ui/"); r.status != http.StatusOK || !strings.Contains(r.body, totp.DisplayName) {
		t.Errorf("signed in, the overview: %d", r.status)
	}
	// The cookie is HttpOnly, same-site only, under /ui/.
	r := u.newClient()
	page := r.get("/ui/login")
	tok := loginTokenRE.FindStringSubmatch(page.body)[1]
	res := r.postForm("/ui/login", url.Values{"login_token": {tok}, "name": {"kim"}, "password": {"pw-kim"}})
	var cookie string
	for _, sc := range res.header.Values("Set-Cookie") {
		if strings.HasPrefix(sc, sessionCookie+"=") {
			cookie = sc
		}
	}
	for _, attr := range []string{"Path=/ui/", "HttpOnly", "SameSite=Strict"} {
		if !strings.Contains(cookie, attr) {
			t.Errorf("session cookie %q lacks %s", cookie, attr)
		}
	}
	if strings.Contains(cookie, "Secure") {
		t.Errorf("session cookie %q is Secure over plain HTTP without SecureCookies", cookie)
	}
}

func TestSignInRotatesTheSession(t *testing.T) {
	u := newTestUI(t)
	c := u.signIn("kim", store.RoleModerator)
	first := c.cookie(sessionCookie)
	u.accounts.add("lee", store.RoleModerator)
	// The sign-in page sends a signed-in reviewer on; the form can
	// still be posted, as a session planted before sign-in would be.
	c.http.Jar.SetCookies(mustURL(u.srv.URL+"/ui/"), []*http.Cookie{{Name: loginCookie, Value: "tok", Path: "/ui/"}})
	if r := c.postForm("/ui/login", url.Values{"login_token": {"tok"}, "name": {"lee"}, "password": {"pw-lee"}}); r.status != http.StatusSeeOther {
		t.Fatalf("sign-in again: %d", r.status)
	}
	second := c.cookie(sessionCookie)
	if first == "" || second == "" || first == second {
		t.Fatalf("session tokens %q then %q", first, second)
	}
	if !slices.Contains(u.accounts.ended, first) {
		t.Error("the session held before signing in again was not ended")
	}
	if _, ok := u.accounts.sessions[first]; ok {
		t.Error("the old session lives on")
	}
}

func (c *client) cookie(name string) string {
	for _, ck := range c.http.Jar.Cookies(mustURL(c.ui.srv.URL + "/ui/")) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

func TestSignInFormNeedsItsToken(t *testing.T) {
	u := newTestUI(t)
	u.accounts.add("kim", store.RoleModerator)
	c := u.newClient()
	c.get("/ui/login")
	u.wantDenied(c.postForm("/ui/login", url.Values{"name": {"kim"}, "password": {"pw-kim"}}), "anonymous", "login_token")
	u.wantDenied(c.postForm("/ui/login", url.Values{"login_token": {"guess"}, "name": {"kim"}, "password": {"pw-kim"}}), "anonymous", "login_token")
	if len(u.accounts.sessions) != 0 {
		t.Error("a session was made")
	}
}

func TestSignOut(t *testing.T) {
	u := newTestUI(t)
	c := u.signIn("kim", store.RoleModerator)
	tok := c.cookie(sessionCookie)
	r := c.post("/ui/logout", nil)
	if r.status != http.StatusSeeOther || r.location != "/ui/login" {
		t.Fatalf("sign out: %d to %q", r.status, r.location)
	}
	if _, ok := u.accounts.sessions[tok]; ok {
		t.Error("the session was not ended")
	}
	if r := c.get("/ui/"); r.status != http.StatusSeeOther {
		t.Errorf("after signing out the overview answers %d", r.status)
	}
	// A signed-in reviewer visiting the sign-in page goes to the overview.
	c = u.signIn("lee", store.RoleModerator)
	if r := c.get("/ui/login"); r.status != http.StatusSeeOther || r.location != "/ui/" {
		t.Errorf("sign-in page when signed in: %d to %q", r.status, r.location)
	}
}

func TestCookiesAreSecureBehindTLS(t *testing.T) {
	u := newTestUI(t, func(c *Config) { c.SecureCookies = true })
	u.accounts.add("kim", store.RoleModerator)
	c := u.newClient()
	page := c.get("/ui/login?lang=en")
	for _, sc := range page.header.Values("Set-Cookie") {
		if !strings.Contains(sc, "Secure") {
			t.Errorf("cookie %q is not Secure with SecureCookies", sc)
		}
	}
}
