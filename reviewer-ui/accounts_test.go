package reviewerui

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
)

// TestSignInWithTheStoresAccounts runs the first sign-in of a new senior
// reviewer against the store's real accounts and sessions: the one-time
// password must be changed, then an authenticator enrolled, and the next
// sign-in needs its code. (The other tests use fakeAccounts: each real
// sign-in costs an Argon2id hash with the production parameters.)
func TestSignInWithTheStoresAccounts(t *testing.T) {
	u := newTestUI(t, func(c *Config) { c.Accounts = c.Store.(*store.Store) })
	u.open(decision("a", store.QueueSenior, engine.Threat))
	ctx := t.Context()
	oneTime := store.NewPassword()
	if _, err := u.store.CreateUser(ctx, "park", "Park", []string{store.RoleSenior}, oneTime, "cli:test", u.clock.Now()); err != nil {
		t.Fatal(err)
	}
	c := u.newClient()
	if r := c.login("park", "wrong password here", ""); r.status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", r.status)
	}
	if r := c.login("park", oneTime, ""); r.status != http.StatusSeeOther {
		t.Fatalf("one-time password: %d\n%s", r.status, r.body)
	}
	// Signed in, the account may only enrol an authenticator (its role
	// needs one), and first change the password somebody else chose.
	if r := c.get("/ui/"); r.location != "/ui/password" {
		t.Fatalf("first page: %d to %q", r.status, r.location)
	}
	c.get("/ui/password")
	const chosen = "correct horse battery staple"
	r := c.post("/ui/password", url.Values{"current": {oneTime}, "new": {chosen}, "again": {chosen}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("change password: %d\n%s", r.status, r.body)
	}
	if r := c.get("/ui/"); r.location != "/ui/totp" {
		t.Fatalf("after the password: %d to %q", r.status, r.location)
	}
	page := c.get("/ui/totp")
	m := regexpSecret.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("no key on the enrolment page:\n%s", page.body)
	}
	code, err := totp.GenerateCode(m[1], u.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if r := c.post("/ui/totp", url.Values{"code": {code}}); r.status != http.StatusSeeOther {
		t.Fatalf("confirm: %d\n%s", r.status, r.body)
	}
	if r := c.get("/ui/"); r.status != http.StatusOK || !strings.Contains(r.body, `href="/ui/queues/senior"`) {
		t.Fatalf("overview: %d", r.status)
	}
	if r := c.post("/ui/logout", nil); r.status != http.StatusSeeOther {
		t.Fatalf("sign out: %d", r.status)
	}
	// The next sign-in needs a fresh code.
	u.clock.Advance(time.Minute)
	c = u.newClient()
	if r := c.login("park", chosen, ""); r.status != http.StatusUnauthorized {
		t.Errorf("without the code: %d", r.status)
	}
	code, _ = totp.GenerateCode(m[1], u.clock.Now())
	if r := c.login("park", chosen, code); r.status != http.StatusSeeOther {
		t.Fatalf("with the code: %d", r.status)
	}
	if r := c.post("/ui/queues/senior/claim", nil); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/ui/cases/") {
		t.Errorf("claim: %d to %q", r.status, r.location)
	}
}

var regexpSecret = regexp.MustCompile(`<dd class="mono secret">([A-Z2-7]+)</dd>`)
