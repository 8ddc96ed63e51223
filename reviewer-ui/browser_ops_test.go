package reviewerui_test

// Browser tests of the operators' pages (dashboards, audit log) and the
// moderators' bulk action, on the shared browser of browser_test.go.

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
	"github.com/haechi-tns/haechi/reviewer-ui/browsertest"
)

// seedOps gives the operators' pages something to show: held and allowed
// decisions, a queue sample and a decided case.
func (u *browserUI) seedOps() {
	u.t.Helper()
	ctx, now := u.t.Context(), time.Now()
	var ds []*engine.Decision
	for i := range 4 {
		d := heldDecision(fmt.Sprint("ops", i))
		d.DecidedAt = now.Add(-time.Hour).UTC()
		if i == 3 {
			d.Action, d.Queue = engine.ActionAllow, ""
		}
		ds = append(ds, d)
	}
	if _, err := u.store.SaveDecisions(ctx, ds); err != nil {
		u.t.Fatal(err)
	}
	m := store.Moderator{ID: "seed", Roles: []string{store.RoleModerator}}
	c, err := u.store.ClaimNext(ctx, store.QueueGeneral, m, time.Hour, now)
	if err != nil {
		u.t.Fatal(err)
	}
	if err := u.store.Decide(ctx, c.ID, m, store.Outcome{Kind: store.OutcomeRemove}, now); err != nil {
		u.t.Fatal(err)
	}
	for range 20 {
		if err := u.store.SampleStats(ctx, now); err != nil {
			u.t.Fatal(err)
		}
	}
}

func TestBrowserOperatorReadsTheDashboardAndTheAuditLog(t *testing.T) {
	u := newBrowserUI(t)
	u.seedOps()
	u.addUser("ohyun", store.RoleOperator)
	en := messages(t, "en")

	p := browser.NewPage(t)
	p.Navigate(u.url + "/ui/login?lang=en")
	if status := u.signIn(p, "ohyun", browserPassword, ""); status != http.StatusOK {
		t.Fatalf("sign-in: status %d", status)
	}

	if status := p.ClickNavigate(`nav a[href="/ui/dashboard"]`); status != http.StatusOK {
		t.Fatalf("dashboard: status %d", status)
	}
	if got := p.Text("h1"); got != en["dashboard.title"] {
		t.Errorf("heading %q, want %q", got, en["dashboard.title"])
	}
	if n := p.Count(`svg[role="img"]`); n != 9 {
		t.Errorf("%d charts, want 9", n)
	}
	// Each chart is named by its title, as assistive technology reads it.
	names := browsertest.Eval[[]string](p, `[...document.querySelectorAll('svg[role="img"]')].map(s =>
		s.getAttribute("aria-labelledby").split(" ").map(id => document.getElementById(id).textContent).join(": "))`)
	if len(names) == 0 || !strings.HasPrefix(names[0], en["dashboard.queue_depth"]+": ") {
		t.Errorf("chart names %q", names)
	}
	checkPage(t, p, u.url, "the dashboard")
	p.Screenshot("dashboard-en")

	if status := p.ClickNavigate(`nav a[href="/ui/audit"]`); status != http.StatusOK {
		t.Fatalf("audit log: status %d", status)
	}
	// The chain's status arrives after the page, fetched by htmx.
	p.WaitVisible("#audit-status p.notice")
	if got := p.Text("#audit-status p.notice"); !strings.Contains(got, "The chain links:") {
		t.Errorf("chain status %q", got)
	}
	if n := p.Count("table.audit tbody tr[id^=entry-]"); n == 0 {
		t.Error("the audit log lists no entry")
	}
	checkPageWithDateInputs(t, p, u.url, "the audit log")
	p.Screenshot("audit-en")
}

func TestBrowserModeratorIsRefusedTheOperatorsPages(t *testing.T) {
	u := newBrowserUI(t)
	mod := u.addUser("mina", store.RoleModerator)
	p := browser.NewPage(t)
	if status := u.signIn(p, "mina", browserPassword, ""); status != http.StatusOK {
		t.Fatalf("sign-in: status %d", status)
	}
	if n := p.Count(`nav a[href="/ui/dashboard"], nav a[href="/ui/audit"]`); n != 0 {
		t.Errorf("the navigation offers a moderator %d operators' pages", n)
	}
	for _, path := range []string{"/ui/dashboard", "/ui/audit"} {
		if status := p.Navigate(u.url + path); status != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", path, status)
		}
	}
	log, err := u.store.AuditLog(t.Context(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var refused []string
	for _, e := range log {
		if e.Action == "ui.denied" && e.Actor == mod.ID && strings.Contains(e.Details, `"reason":"ops_role"`) {
			refused = append(refused, e.Subject)
		}
	}
	if strings.Join(refused, ",") != "page:dashboard,page:audit" {
		t.Errorf("audited refusals %q, want the dashboard's and the audit log's", refused)
	}
}

func TestBrowserBulkActionNeedsTheRightCount(t *testing.T) {
	u := newBrowserUI(t)
	u.addUser("mina", store.RoleModerator)
	for i := range 3 {
		d := heldDecision(fmt.Sprint("wave", i))
		d.Categories = []engine.Category{engine.Spam}
		u.openCase(d)
	}
	other := heldDecision("other")
	u.openCase(other)
	en := messages(t, "en")
	open := func() int {
		t.Helper()
		pg, err := u.store.ListCases(t.Context(), store.CaseFilter{Queue: store.QueueGeneral, Now: time.Now(), Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		return len(pg.Cases)
	}

	p := browser.NewPage(t)
	p.Navigate(u.url + "/ui/login?lang=en")
	if status := u.signIn(p, "mina", browserPassword, ""); status != http.StatusOK {
		t.Fatalf("sign-in: status %d", status)
	}
	if status := p.ClickNavigate(`nav a[href="/ui/queues/general/bulk"]`); status != http.StatusOK {
		t.Fatalf("bulk page: status %d", status)
	}
	browsertest.Eval[bool](p, `(() => { document.querySelector('select[name="category"]').value = "spam"; return true })()`)
	if status := p.ClickNavigate(`form.filters button[type=submit]`); status != http.StatusOK {
		t.Fatalf("preview: status %d", status)
	}
	if got := p.Text("#bulk-count-summary strong"); got != fmt.Sprintf(en["bulk.count"], 3) {
		t.Fatalf("preview %q, want 3 cases", got)
	}
	checkPage(t, p, u.url, "the bulk page")

	p.Click(`input[name="outcome"][value="remove"]`)
	p.Fill("#bulk-reason", "spam wave")
	p.Fill("#bulk-count", "4")
	if status := p.ClickNavigate(`form.stack button[type=submit]`); status != http.StatusBadRequest {
		t.Errorf("a wrong count: status %d, want 400", status)
	}
	if got := p.Text("#bulk-error"); got != en["bulk.error.count"] {
		t.Errorf("error %q, want %q", got, en["bulk.error.count"])
	}
	if n := open(); n != 4 {
		t.Fatalf("%d cases open after a wrong count, want 4", n)
	}
	checkPage(t, p, u.url, "the bulk page with its error")

	p.Fill("#bulk-count", "3")
	if status := p.ClickNavigate(`form.stack button[type=submit]`); status != http.StatusOK {
		t.Fatalf("the right count: status %d", status)
	}
	if got := p.Text(`p.notice[role="status"]`); got != fmt.Sprintf(en["bulk.done"], 3, 0) {
		t.Errorf("result %q", got)
	}
	if n := open(); n != 1 {
		t.Errorf("%d cases open, want only the one that is not spam", n)
	}
}

// checkPageWithDateInputs is checkPage for a page with date inputs, whose
// calendar icon Chromium draws from a data: URL of its own: that request
// stays in the browser, and is the only one outside the UI allowed.
func checkPageWithDateInputs(t *testing.T, p *browsertest.Page, base, what string) {
	t.Helper()
	for _, r := range p.Requests() {
		switch {
		case strings.HasPrefix(r.URL, "data:image/svg+xml;"), r.URL == base+"/favicon.ico", r.Type == "Document":
		case !strings.HasPrefix(r.URL, base+"/"):
			t.Errorf("%s requested %s %s, outside the UI", what, r.Method, r.URL)
		case r.Failure != "" || r.Status >= 400:
			t.Errorf("%s: %s %s failed: status %d %s", what, r.Method, r.URL, r.Status, r.Failure)
		}
	}
	if body := p.Text("body"); strings.Contains(body, "⟦missing:") {
		t.Errorf("%s shows a missing message: %q", what, body)
	}
	for _, m := range p.Console() {
		if (m.Level == "error" || m.Level == "exception") && m.Source != "network" {
			t.Errorf("%s wrote to the console: %s", what, m)
		}
	}
	p.CheckAxe(what)
}
