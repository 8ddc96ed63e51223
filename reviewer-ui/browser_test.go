package reviewerui_test

// Browser tests: the reviewer UI on a real SQLite store with real
// accounts, driven in Debian's Chromium through reviewer-ui/browsertest.
// They skip when scripts/setup.sh has not installed the browser and
// axe-core, and fail instead when CI is set.

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
	reviewerui "github.com/haechi-tns/haechi/reviewer-ui"
	"github.com/haechi-tns/haechi/reviewer-ui/browsertest"
)

// browser is the one Chromium of this test binary.
var browser = browsertest.New()

func TestMain(m *testing.M) {
	store.UseTestPasswordCost()
	code := m.Run()
	browser.Close()
	os.Exit(code)
}

// browserUI is the UI served over HTTP to a real browser, on a real store
// whose accounts sign reviewers in.
type browserUI struct {
	t     *testing.T
	url   string
	store *store.Store
}

func newBrowserUI(t *testing.T) *browserUI {
	t.Helper()
	st, err := store.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ui, err := reviewerui.New(reviewerui.Config{Store: st, Accounts: st})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ui)
	t.Cleanup(srv.Close)
	return &browserUI{t: t, url: srv.URL, store: st}
}

// browserPassword is every test account's password.
const browserPassword = "correct horse battery staple"

// addUser creates an account with the store's accounts API, then changes
// its one-time password as its owner would, so that signing in leads to
// the overview rather than the password page.
func (u *browserUI) addUser(name string, roles ...string) *store.User {
	u.t.Helper()
	ctx, now := u.t.Context(), time.Now()
	oneTime := store.NewPassword()
	usr, err := u.store.CreateUser(ctx, name, "Reviewer "+name, roles, oneTime, "test", now)
	if err != nil {
		u.t.Fatal(err)
	}
	if err := u.store.ChangePassword(ctx, usr.ID, oneTime, browserPassword, "127.0.0.1", now); err != nil {
		u.t.Fatal(err)
	}
	return usr
}

// totpOpts are the store's TOTP settings (RFC 6238 defaults).
var totpOpts = totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// enrolTOTP sets up an authenticator for the user and returns its secret.
// The enrolment is confirmed with the code of a minute ago, which the
// store then refuses for sign-in; the current code stays usable.
func (u *browserUI) enrolTOTP(usr *store.User) string {
	u.t.Helper()
	ctx, then := u.t.Context(), time.Now().Add(-time.Minute)
	secret, _, err := u.store.EnrollTOTP(ctx, usr.ID, then)
	if err != nil {
		u.t.Fatal(err)
	}
	code, err := totp.GenerateCodeCustom(secret, then, totpOpts)
	if err != nil {
		u.t.Fatal(err)
	}
	if err := u.store.ConfirmTOTP(ctx, usr.ID, code, then); err != nil {
		u.t.Fatal(err)
	}
	return secret
}

// signIn fills in and submits the sign-in form, and returns the status of
// the page the browser ends on.
func (u *browserUI) signIn(p *browsertest.Page, name, password, code string) int {
	u.t.Helper()
	p.Navigate(u.url + "/ui/login")
	p.Fill("#name", name)
	p.Fill("#password", password)
	if code != "" {
		p.Fill("#totp", code)
	}
	return p.ClickNavigate(`form[action="/ui/login"] button[type=submit]`)
}

// openCase stores a decision that holds content for the general queue,
// which opens its case.
func (u *browserUI) openCase(d *engine.Decision) {
	u.t.Helper()
	if _, err := u.store.SaveDecisions(u.t.Context(), []*engine.Decision{d}); err != nil {
		u.t.Fatal(err)
	}
}

func heldDecision(id string) *engine.Decision {
	return &engine.Decision{
		ID: "d-" + id, EventID: "e-" + id, EventKind: engine.KindChat, World: "w", SenderID: "author-" + id,
		Space: engine.Space{ID: "plaza-1", Type: engine.SpacePlaza}, Action: engine.ActionHold, Queue: store.QueueGeneral,
		Categories: []engine.Category{engine.Insult}, RuleIDs: []string{"hold.insult"}, Severity: "medium",
		Reasons:        []engine.Reason{{RuleID: "hold.insult", KO: "모욕적인 표현이 있습니다.", EN: "The message is insulting."}},
		Scores:         engine.Scores{engine.Insult: 0.81, engine.Toxic: 0.81},
		PolicyRevision: "rev-1", DecidedAt: time.Now().UTC().Add(-time.Minute),
	}
}

// messages reads the UI's message catalogue for lang.
func messages(t *testing.T, lang string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("messages", lang+".json"))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// checkPage fails the test for what no page of the UI may show: a missing
// message, a request that failed or left the UI's origin, a console error
// (a CSP violation among them), or a serious accessibility problem.
func checkPage(t *testing.T, p *browsertest.Page, base, what string) {
	t.Helper()
	if body := p.Text("body"); strings.Contains(body, "⟦missing:") {
		t.Errorf("%s shows a missing message: %q", what, body)
	}
	for _, r := range p.Requests() {
		switch {
		case r.URL == base+"/favicon.ico":
			// The browser's own request, for a page that names no icon.
		case !strings.HasPrefix(r.URL, base+"/"):
			t.Errorf("%s requested %s %s, outside the UI", what, r.Method, r.URL)
		case r.Type == "Document":
			// Its status is the test's to check: a failed sign-in is a 401.
		case r.Failure != "" || r.Status >= 400:
			t.Errorf("%s: %s %s failed: status %d %s", what, r.Method, r.URL, r.Status, r.Failure)
		}
	}
	for _, m := range p.Console() {
		// Network errors are the requests' above.
		if (m.Level == "error" || m.Level == "exception") && m.Source != "network" {
			t.Errorf("%s wrote to the console: %s", what, m)
		}
	}
	p.CheckAxe(what)
}

func hasHangul(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Hangul, r) })
}

func TestBrowserSignInPageInBothLanguages(t *testing.T) {
	u := newBrowserUI(t)
	for _, lang := range []string{"ko", "en"} {
		t.Run(lang, func(t *testing.T) {
			msgs := messages(t, lang)
			p := browser.NewPage(t)
			if status := p.Navigate(u.url + "/ui/login?lang=" + lang); status != http.StatusOK {
				t.Fatalf("sign-in page: status %d", status)
			}
			if got, _ := p.Attr("html", "lang"); got != lang {
				t.Errorf("html lang=%q, want %q", got, lang)
			}
			h1 := p.Text("h1")
			if h1 != msgs["login.title"] {
				t.Errorf("heading %q, want login.title %q", h1, msgs["login.title"])
			}
			if hasHangul(h1) != (lang == "ko") {
				t.Errorf("heading %q: Hangul %v in %s", h1, hasHangul(h1), lang)
			}
			for _, key := range []string{"login.name", "login.password", "login.totp", "login.submit"} {
				if !strings.Contains(p.Text("form"), msgs[key]) {
					t.Errorf("the form lacks %s (%q)", key, msgs[key])
				}
			}
			checkPage(t, p, u.url, "the sign-in page ("+lang+")")
			p.Screenshot("login-" + lang)
		})
	}
}

func TestBrowserSignIn(t *testing.T) {
	u := newBrowserUI(t)
	u.addUser("mina", store.RoleModerator)
	en := messages(t, "en")

	t.Run("wrong password", func(t *testing.T) {
		p := browser.NewPage(t)
		p.Navigate(u.url + "/ui/login?lang=en")
		if status := u.signIn(p, "mina", "not the password at all", ""); status != http.StatusUnauthorized {
			t.Errorf("status %d, want 401", status)
		}
		if got := p.Text("#login-error"); got != en["login.error.failed"] {
			t.Errorf("error %q, want %q", got, en["login.error.failed"])
		}
		if got, _ := p.Attr("#name", "aria-describedby"); got != "login-error" {
			t.Errorf("the name field is not described by the error: aria-describedby=%q", got)
		}
		checkPage(t, p, u.url, "the sign-in page after a failure")
	})

	t.Run("right password", func(t *testing.T) {
		p := browser.NewPage(t)
		p.Navigate(u.url + "/ui/login?lang=en")
		if status := u.signIn(p, "mina", browserPassword, ""); status != http.StatusOK {
			t.Fatalf("status %d after signing in", status)
		}
		if loc := p.Location(); loc != u.url+"/ui/" {
			t.Fatalf("signed in to %s, want the overview", loc)
		}
		if got := p.Text("h1"); got != en["overview.title"] {
			t.Errorf("heading %q, want %q", got, en["overview.title"])
		}
		if !strings.Contains(p.Text("header"), "Reviewer mina") {
			t.Errorf("the header does not name the reviewer: %q", p.Text("header"))
		}
		checkPage(t, p, u.url, "the overview")
		p.Screenshot("overview-en")
	})
}

func TestBrowserSignInWithTOTP(t *testing.T) {
	u := newBrowserUI(t)
	secret := u.enrolTOTP(u.addUser("seo", store.RoleSenior))
	en := messages(t, "en")

	p := browser.NewPage(t)
	p.Navigate(u.url + "/ui/login?lang=en")
	if status := u.signIn(p, "seo", browserPassword, ""); status != http.StatusUnauthorized {
		t.Errorf("without a code: status %d, want 401", status)
	}
	if got := p.Text("#login-error"); got != en["login.error.totp"] {
		t.Errorf("without a code: error %q, want %q", got, en["login.error.totp"])
	}
	code, err := totp.GenerateCodeCustom(secret, time.Now(), totpOpts)
	if err != nil {
		t.Fatal(err)
	}
	if status := u.signIn(p, "seo", browserPassword, code); status != http.StatusOK || p.Location() != u.url+"/ui/" {
		t.Fatalf("with the code: status %d at %s, want the overview", status, p.Location())
	}
}

// TestBrowserPostsWithoutCSRFTokenAreRefused posts, from a signed-in
// browser, what a forged request would: the claim form without the
// session's token, from the UI's own page and from a page on another
// origin of the same site (SameSite=Strict cookies go along with it).
// Each is a 403 and claims nothing; the same post with the token claims.
func TestBrowserPostsWithoutCSRFTokenAreRefused(t *testing.T) {
	u := newBrowserUI(t)
	u.addUser("mina", store.RoleModerator)
	d := heldDecision("csrf")
	u.openCase(d)

	// A page elsewhere whose button posts the claim form to the UI.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><html lang="en"><head><title>Prize</title></head><body><main>
<form method="post" action="` + u.url + `/ui/queues/general/claim"><button type="submit">Win a prize</button></form>
</main></body></html>`))
	}))
	defer evil.Close()

	p := browser.NewPage(t)
	if status := u.signIn(p, "mina", browserPassword, ""); status != http.StatusOK {
		t.Fatalf("sign-in: status %d", status)
	}
	claimed := func() string {
		t.Helper()
		pg, err := u.store.ListCases(t.Context(), store.CaseFilter{Queue: store.QueueGeneral, Now: time.Now(), Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range pg.Cases {
			if c.EventID == d.EventID {
				return c.ClaimedBy
			}
		}
		t.Fatalf("no open case for %s", d.EventID)
		return ""
	}

	post := func(withToken bool) int {
		t.Helper()
		headers := `{}`
		if withToken {
			headers = `{"X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content}`
		}
		return browsertest.Eval[int](p, `fetch("/ui/queues/general/claim", {method: "POST", redirect: "manual", headers: `+headers+`}).then(r => r.status)`)
	}
	if status := post(false); status != http.StatusForbidden {
		t.Errorf("same-origin fetch without the token: status %d, want 403", status)
	}
	if by := claimed(); by != "" {
		t.Fatalf("claimed by %s without a token", by)
	}

	p.Navigate(evil.URL)
	if status := p.ClickNavigate("button"); status != http.StatusForbidden {
		t.Errorf("cross-origin form post: status %d, want 403", status)
	}
	if by := claimed(); by != "" {
		t.Fatalf("claimed by %s from another origin", by)
	}

	p.Navigate(u.url + "/ui/")
	if status := post(true); status == http.StatusForbidden {
		t.Errorf("same-origin fetch with the token: status %d", status)
	}
	if by := claimed(); by == "" {
		t.Error("the post with the token claimed nothing: the refusals above prove nothing")
	}
}

// TestBrowserUserContentIsInert opens a case whose ids and texts hold
// markup, script, javascript: links and template syntax, and checks in
// the browser that they are shown as text: no dialog opens, no request
// leaves for them, no element or handler is injected.
func TestBrowserUserContentIsInert(t *testing.T) {
	const (
		script = `<script>alert(1)</script>`
		img    = `"><img src=x onerror=alert(2)>`
		link   = `<a href="javascript:alert(3)">javascript:alert(3)</a>`
		tmpl   = `{{.}}{{.CSRF}}`
	)
	u := newBrowserUI(t)
	u.addUser("mina", store.RoleModerator)
	d := heldDecision("xss")
	d.SenderID = "user" + script
	d.EventID = "e" + img
	d.Reasons = []engine.Reason{{RuleID: "hold.insult", KO: "사유" + script + link, EN: "reason" + script + link}}
	d.PolicyRevision = "javascript:alert(4)"
	d.Content = &engine.Content{Kind: engine.KindChat, Text: script + img + link + tmpl, Context: []engine.ContextMessage{
		{ID: "m" + img, SenderID: "peer" + script, Text: link + tmpl, SentAt: time.Now().Add(-2 * time.Minute)},
	}}
	u.openCase(d)
	if _, err := u.store.FileReport(t.Context(), &store.Report{ReporterID: "rep-1", TargetKind: store.TargetMessage, TargetID: d.EventID,
		Category: engine.Harassment, Details: script + img + link + tmpl, Location: "plaza" + img}, time.Now()); err != nil {
		t.Fatal(err)
	}

	p := browser.NewPage(t)
	if status := u.signIn(p, "mina", browserPassword, ""); status != http.StatusOK {
		t.Fatalf("sign-in: status %d", status)
	}
	if status := p.ClickNavigate(`form[action="/ui/queues/general/claim"] button`); status != http.StatusOK {
		t.Fatalf("claim: status %d", status)
	}
	casePage := p.Location()
	if !strings.Contains(casePage, "/ui/cases/") {
		t.Fatalf("claim led to %s, not a case", casePage)
	}
	pages := map[string]string{
		"the case page":  casePage,
		"the queue page": u.url + "/ui/queues/general",
	}
	for what, addr := range pages {
		t.Run(what, func(t *testing.T) {
			before := len(p.Requests())
			p.Navigate(addr)
			text := p.Text("main")
			for _, s := range []string{script, "<img src=x onerror=alert(2)>"} {
				if what == "the case page" && !strings.Contains(text, s) {
					t.Errorf("%s does not show %q as text", what, s)
				}
			}
			if what == "the case page" && !strings.Contains(text, "{{.}}") {
				t.Errorf("%s does not show the template syntax as text", what)
			}
			if ds := p.Dialogs(); len(ds) > 0 {
				t.Errorf("%s opened dialogs: %+v", what, ds)
			}
			// What the payloads would inject if they were markup.
			injected := browsertest.Eval[[]string](p, `[...document.querySelectorAll("*")].flatMap(e => {
				const bad = [];
				if (e.tagName === "SCRIPT" && !(e.getAttribute("src") || "").startsWith("/ui/static/")) bad.push(e.outerHTML);
				if (e.tagName === "IMG" && e.getAttribute("src") === "x") bad.push(e.outerHTML);
				for (const a of e.attributes) {
					if (a.name.startsWith("on")) bad.push(e.tagName + " " + a.name);
					if (/^\s*javascript:/i.test(a.value)) bad.push(e.tagName + " " + a.name + "=" + a.value);
				}
				return bad;
			})`)
			if len(injected) > 0 {
				t.Errorf("%s holds injected markup: %q", what, injected)
			}
			for _, r := range p.Requests()[before:] {
				path := strings.TrimPrefix(r.URL, u.url)
				if r.Type == "Document" || strings.HasPrefix(path, "/ui/static/") {
					continue
				}
				if r.Type != "XHR" && r.Type != "Fetch" {
					t.Errorf("%s requested %s %s (%s): user content loaded something", what, r.Method, r.URL, r.Type)
				}
			}
			// A CSP violation would mean markup reached the DOM and only
			// the policy stopped it.
			for _, m := range p.Console() {
				if strings.Contains(m.Text, "Content Security Policy") {
					t.Errorf("%s: %s", what, m)
				}
			}
		})
	}
	if t.Failed() {
		p.Screenshot("xss-case")
	}
}
