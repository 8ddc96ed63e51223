package reviewerui

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
)

func TestEveryResponseCarriesTheSecurityHeaders(t *testing.T) {
	u := newTestUI(t)
	c := u.signIn("kim", store.RoleModerator)
	anon := u.newClient()
	for _, tt := range []struct {
		name string
		r    *response
		page bool // a page, not to be stored
	}{
		{"overview", c.get("/ui/"), true},
		{"sign-in page", anon.get("/ui/login"), true},
		{"not found", c.get("/ui/nothing-here"), true},
		{"refusal", anon.postForm("/ui/logout", nil), true},
		{"script", c.get("/ui/static/app.js"), false},
		{"htmx", c.get("/ui/static/htmx.min.js"), false},
		{"style", c.get("/ui/static/app.css"), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.r.header
			if got := h.Get("Content-Security-Policy"); got != contentSecurityPolicy {
				t.Errorf("CSP %q", got)
			}
			if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Frame-Options") != "DENY" {
				t.Errorf("headers %v", h)
			}
			if tt.page && h.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q on a page", h.Get("Cache-Control"))
			}
		})
	}
	if !strings.Contains(contentSecurityPolicy, "script-src 'self';") || strings.Contains(contentSecurityPolicy, "unsafe") ||
		!strings.Contains(contentSecurityPolicy, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", contentSecurityPolicy)
	}
}

func TestPagesHoldNoInlineScriptOrStyle(t *testing.T) {
	u := newTestUI(t)
	u.open(decision("a", "", "insult"))
	c := u.signIn("kim", store.RoleModerator)
	r := c.post("/ui/queues/general/claim", nil)
	pages := map[string]string{
		"overview": c.get("/ui/").body,
		"queue":    c.get("/ui/queues/general").body,
		"case":     c.get(r.location).body,
		"login":    u.newClient().get("/ui/login").body,
	}
	for name, body := range pages {
		for _, bad := range []string{"<script>", "<style", " style=", " onclick=", " onload=", "javascript:"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s page contains %q", name, bad)
			}
		}
		if strings.Count(body, "<script ") != 2 || !strings.Contains(body, `<script src="/ui/static/htmx.min.js" defer></script>`) {
			t.Errorf("%s page: scripts are not the two static files", name)
		}
	}
}

func TestStaticFilesAreServedWithTheirTypesAndValidators(t *testing.T) {
	u := newTestUI(t)
	c := u.newClient()
	for name, ctype := range map[string]string{"app.js": "text/javascript; charset=utf-8", "htmx.min.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8"} {
		r := c.get("/ui/static/" + name)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != ctype || r.header.Get("ETag") == "" {
			t.Errorf("%s: %d %q etag %q", name, r.status, r.header.Get("Content-Type"), r.header.Get("ETag"))
		}
		req, _ := http.NewRequest(http.MethodGet, u.srv.URL+"/ui/static/"+name, nil)
		req.Header.Set("If-None-Match", r.header.Get("ETag"))
		if r := c.do(req); r.status != http.StatusNotModified {
			t.Errorf("%s revalidated: %d, want 304", name, r.status)
		}
	}
	// Only the embedded files, by name: nothing else of the package,
	// however the path is spelt (a cleaned path is redirected first).
	for _, p := range []string{"/ui/static/", "/ui/static/nope.js", "/ui/static/../reviewerui.go", "/ui/static/%2e%2e%2fdoc.go", "/ui/static/..%2fdoc.go"} {
		if r := c.get(p); r.status == http.StatusOK || strings.Contains(r.body, "package reviewerui") {
			t.Errorf("GET %s: %d", p, r.status)
		}
	}
}

func TestSignedOutRequestsAreSentToSignInOrRefused(t *testing.T) {
	u := newTestUI(t)
	u.open(decision("a", "", "insult"))
	anon := u.newClient()
	for _, p := range []string{"/ui/", "/ui/queues/general", "/ui/cases/whatever"} {
		r := anon.get(p)
		if r.status != http.StatusSeeOther || r.location != "/ui/login" {
			t.Errorf("GET %s signed out: %d to %q", p, r.status, r.location)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, u.srv.URL+"/ui/queues/general/rows", nil)
	req.Header.Set("HX-Request", "true")
	if r := anon.do(req); r.status != http.StatusUnauthorized || r.header.Get("HX-Refresh") != "true" {
		t.Errorf("an htmx poll signed out: %d, HX-Refresh %q", r.status, r.header.Get("HX-Refresh"))
	}
	u.wantDenied(anon.postForm("/ui/queues/general/claim", nil), "anonymous", "no_session")
	// A cookie naming no session counts as none.
	anon.http.Jar.SetCookies(mustURL(u.srv.URL+"/ui/"), []*http.Cookie{{Name: sessionCookie, Value: "forged", Path: "/ui/"}})
	u.wantDenied(anon.postForm("/ui/queues/general/claim", url.Values{"csrf": {"x"}}), "anonymous", "no_session")
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestEveryPostNeedsTheSessionsCSRFToken(t *testing.T) {
	u := newTestUI(t)
	u.open(decision("a", "", "insult"))
	c := u.signIn("kim", store.RoleModerator)
	other := u.signIn("lee", store.RoleModerator)
	for _, tt := range []struct {
		name  string
		token string
	}{
		{"none", ""},
		{"wrong", "not-the-token"},
		{"another session's", other.csrf},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u.wantDenied(c.postForm("/ui/queues/general/claim", url.Values{"csrf": {tt.token}}), "u-kim", "csrf")
		})
	}
	if n, _ := u.store.QueueSummaries(t.Context(), t0); n[0].Claimed != 0 {
		t.Fatal("a refused claim claimed a case")
	}
	// The header htmx and the heartbeat send works as the form field does.
	req, _ := http.NewRequest(http.MethodPost, u.srv.URL+"/ui/queues/general/claim", nil)
	req.Header.Set("X-CSRF-Token", c.csrf)
	if r := c.do(req); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/ui/cases/") {
		t.Errorf("claim with the header: %d to %q", r.status, r.location)
	}
	// Signing out needs it too.
	u.wantDenied(c.postForm("/ui/logout", nil), "u-kim", "csrf")
}

func TestCrossOriginPostsAreRefused(t *testing.T) {
	u := newTestUI(t)
	u.open(decision("a", "", "insult"))
	c := u.signIn("kim", store.RoleModerator)
	for _, h := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Origin": "https://evil.example"},
	} {
		req, _ := http.NewRequest(http.MethodPost, u.srv.URL+"/ui/queues/general/claim", strings.NewReader(url.Values{"csrf": {c.csrf}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range h {
			req.Header.Set(k, v)
		}
		u.wantDenied(c.do(req), "u-kim", "cross_origin")
	}
	// Same-origin requests from the page itself pass.
	req, _ := http.NewRequest(http.MethodPost, u.srv.URL+"/ui/queues/general/claim", strings.NewReader(url.Values{"csrf": {c.csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if r := c.do(req); r.status != http.StatusSeeOther {
		t.Errorf("same-origin claim: %d", r.status)
	}
}

func TestUserContentIsRenderedAsText(t *testing.T) {
	u := newTestUI(t)
	const (
		script = `<script>alert(1)</script>`
		img    = `"><img src=x onerror=alert(2)>`
		tmpl   = `{{.CSRF}}`
		link   = `javascript:alert(3)`
	)
	d := decision("x", "", "insult")
	d.SenderID = "user" + img
	d.EventID = "e" + script
	d.Reasons = []engine.Reason{{RuleID: "r" + script, KO: "사유" + script, EN: "reason" + script}}
	d.PolicyRevision = link
	u.open(d)
	ctx := t.Context()
	if _, err := u.store.FileReport(ctx, &store.Report{ReporterID: "rep-1", TargetKind: store.TargetMessage, TargetID: d.EventID,
		Category: engine.Harassment, Details: script + img + tmpl, Location: "plaza" + img}, t0); err != nil {
		t.Fatal(err)
	}
	c := u.signIn("kim", store.RoleModerator)
	r := c.post("/ui/queues/general/claim", nil)
	body := c.get(r.location).body
	for _, raw := range []string{script, "<img src=x", `"><img`} {
		if strings.Contains(body, raw) {
			t.Errorf("the case page holds %q unescaped", raw)
		}
	}
	for _, escaped := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(2)&gt;", "{{.CSRF}}"} {
		if !strings.Contains(body, escaped) {
			t.Errorf("the case page does not show %q as text", escaped)
		}
	}
	if strings.Contains(body, `href="javascript:`) {
		t.Error("a javascript: link")
	}
	// Decisions' reasons hold the escaped text in the queue list too.
	q := c.get("/ui/queues/general").body
	if strings.Contains(q, script) {
		t.Error("the queue page holds a script")
	}
	// A note's text is user content as well.
	r = c.post("/ui/cases/"+u.caseOf(d.EventID).ID+"/decide", url.Values{"outcome": {"note"}, "reason": {script}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("note: %d\n%s", r.status, r.body)
	}
	if body := c.get(r.location).body; strings.Contains(body, script) || !strings.Contains(body, "&lt;script&gt;alert(1)") {
		t.Error("a note is not shown as text")
	}
}

// TestBackgroundRequestsDoNotKeepSessionsAlive: a page refreshing itself
// and the lease heartbeat check the session without counting as the
// reviewer's activity, so an unattended tab still signs out.
func TestBackgroundRequestsDoNotKeepSessionsAlive(t *testing.T) {
	u := newTestUI(t)
	c := u.signIn("mod-bg", store.RoleModerator)
	if r := c.get("/ui/"); r.status != 200 {
		t.Fatalf("overview: %d", r.status)
	}
	before := u.accounts.peeks
	req, err := http.NewRequest(http.MethodGet, u.srv.URL+"/ui/queues/general/rows", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("HX-Request", "true")
	req.Header.Set(backgroundHeader, "1")
	if r := c.do(req); r.status != 200 {
		t.Fatalf("rows: %d %s", r.status, r.body)
	}
	if u.accounts.peeks != before+1 {
		t.Errorf("a background request was looked up as activity (%d peeks, want %d)", u.accounts.peeks, before+1)
	}
	// The queue page's polling and the heartbeat send the header.
	if r := c.get("/ui/queues/general"); !strings.Contains(r.body, backgroundHeader) {
		t.Error("the queue rows do not mark their polling as background")
	}
}
