package reviewerui

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
)

// newOpsUI is newTestUI on a SQLite file whose path it returns, for
// tests that change the database behind the store's back.
func newOpsUI(t *testing.T, tweak ...func(*Config)) (*testUI, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), store.FileName)
	st, err := store.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	u := &testUI{t: t, store: st, accounts: newFakeAccounts(), clock: &clock{now: t0}}
	cfg := Config{Store: st, Accounts: u.accounts, Now: u.clock.Now}
	for _, f := range tweak {
		f(&cfg)
	}
	if u.ui, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	u.srv = httptest.NewServer(u.ui)
	t.Cleanup(u.srv.Close)
	return u, path
}

func TestOpsRefusalsHaveMessages(t *testing.T) {
	c, err := loadCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range opsDenyReasons {
		for _, lang := range languages {
			if _, ok := c[lang]["error.forbidden."+r]; !ok {
				t.Errorf("messages/%s.json has no error.forbidden.%s", lang, r)
			}
		}
	}
}

func TestOperatorPagesAreForOperatorsAndAdmins(t *testing.T) {
	u := newTestUI(t)
	for _, path := range []string{"/ui/dashboard", "/ui/audit", "/ui/audit/status"} {
		inNav := !strings.HasSuffix(path, "/status")
		t.Run(path, func(t *testing.T) {
			for _, roles := range [][]string{{store.RoleOperator}, {store.RoleAdmin}} {
				c := u.signIn(fmt.Sprint(roles[0], len(path)), roles...)
				r := c.get(path + "?lang=en")
				if r.status != http.StatusOK {
					t.Errorf("%v: status %d", roles, r.status)
				}
				noMissingMessages(t, path, r.body)
				if inNav && (!strings.Contains(r.body, `href="/ui/dashboard"`) || !strings.Contains(r.body, `href="/ui/audit"`)) {
					t.Errorf("%v: the navigation does not link the operators' pages", roles)
				}
			}
			for _, roles := range [][]string{{store.RoleModerator}, {store.RoleCounsellor, store.RoleSenior, store.RoleAppeals}} {
				name := fmt.Sprint("m", len(roles), len(path))
				c := u.signIn(name, roles...)
				r := c.get(path)
				u.wantDenied(r, "u-"+name, "ops_role")
				if strings.Contains(c.get("/ui/").body, `href="`+path+`"`) {
					t.Errorf("%v: the navigation links %s", roles, path)
				}
			}
		})
	}
}

// wantCharts checks a page draws exactly the charts ids, in order, each
// an image named and described by its title and desc, with something
// drawn.
func wantCharts(t *testing.T, body string, ids ...string) {
	t.Helper()
	svgs := regexp.MustCompile(`(?s)<svg .*?</svg>`).FindAllString(body, -1)
	if len(svgs) != len(ids) {
		t.Fatalf("%d charts, want %d", len(svgs), len(ids))
	}
	for i, svg := range svgs {
		counts, _, root := svgElements(t, svg)
		if want := ids[i] + "-title " + ids[i] + "-desc"; attr(root, "aria-labelledby") != want || attr(root, "role") != "img" {
			t.Errorf("chart %d: role %q, labelled by %q, want %q", i, attr(root, "role"), attr(root, "aria-labelledby"), want)
		}
		if counts["title"] != 1 || counts["desc"] != 1 || counts["path"]+counts["rect"] == 0 {
			t.Errorf("chart %s: elements %v", ids[i], counts)
		}
	}
}

// dashboardFigures seeds a store with a day of work: decisions in two
// space types, cases decided in time and late, and an appeal overturned.
func dashboardFigures(t *testing.T, u *testUI) {
	t.Helper()
	ctx := context.Background()
	at := func(h float64) time.Time { return t0.Add(time.Duration(h * float64(time.Hour))) }
	var ds []*engine.Decision
	for i := range 8 { // plaza: six allowed, two held for review
		d := decision(fmt.Sprint("p", i), store.QueueGeneral, engine.Spam)
		d.DecidedAt = at(-3)
		if i >= 2 {
			d.Action, d.Categories = engine.ActionAllow, nil
		}
		ds = append(ds, d)
	}
	b := decision("blk", "", engine.Threat) // blocked outright, later appealed
	b.Action, b.Space.Type, b.DecidedAt = engine.ActionBlock, engine.SpaceYouth, at(-3)
	ds = append(ds, b)
	u.open(ds...)
	if err := u.store.SampleStats(ctx, at(-2.5)); err != nil {
		t.Fatal(err)
	}
	// The reviewers have accounts in the store, which names them.
	var kim, lee store.Moderator
	for _, m := range []*store.Moderator{&kim, &lee} {
		name := map[*store.Moderator]string{&kim: "kim", &lee: "lee"}[m]
		usr, err := u.store.CreateUser(ctx, name, "Reviewer "+name, []string{store.RoleModerator, store.RoleAppeals}, "a long enough password", "test", at(-4))
		if err != nil {
			t.Fatal(err)
		}
		*m = usr.Moderator()
	}
	for _, m := range []store.Moderator{kim, lee} {
		c, err := u.store.ClaimNext(ctx, store.QueueGeneral, m, time.Hour, at(-2))
		if err != nil {
			t.Fatal(err)
		}
		if err := u.store.Decide(ctx, c.ID, m, store.Outcome{Kind: store.OutcomeRemove}, at(-2)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := u.store.FileAppeal(ctx, b.ID, b.SenderID, "not a threat", at(-1.5)); err != nil {
		t.Fatal(err)
	}
	for _, m := range []store.Moderator{kim, lee} {
		c, err := u.store.ClaimNext(ctx, store.QueueAppeals, m, time.Hour, at(-1))
		if err != nil {
			t.Fatal(err)
		}
		if err := u.store.DecideAppeal(ctx, c.ID, m, true, "", at(-1)); err != nil {
			t.Fatal(err)
		}
	}
	for range 20 { // the first rollup counts 31 days back, 48 hours a call
		if err := u.store.SampleStats(ctx, t0); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDashboardDrawsTheFigures(t *testing.T) {
	u := newTestUI(t)
	dashboardFigures(t, u)
	op := u.signIn("op", store.RoleOperator)
	r := op.get("/ui/dashboard?lang=en")
	if r.status != http.StatusOK {
		t.Fatalf("status %d:\n%s", r.status, r.body)
	}
	noMissingMessages(t, "dashboard", r.body)

	wantCharts(t, r.body, "queue-depth", "queue-age", "sla-breaches", "decisions-action", "decisions-category", "automated-human",
		"overturn-rate", "flag-rate", "reviewer-throughput")

	// The figures, in the tables: t0 is 18:00 in Seoul, so the work of
	// the last hours is on the last day of the window.
	table := func(id string) string {
		t.Helper()
		i := strings.Index(r.body, `id="`+id+`-heading"`)
		if i < 0 {
			t.Fatalf("no chart %s", id)
		}
		sec, _, _ := strings.Cut(r.body[i:], "</section>")
		_, tab, _ := strings.Cut(sec, "<table")
		return regexp.MustCompile(`\s+`).ReplaceAllString(tab, " ")
	}
	lastDay := t0.In(kst).Format("2006-01-02")
	for _, tt := range []struct{ chart, want string }{
		// Two general cases open at the sample, the oldest 30 minutes old.
		{"queue-depth", `<th scope="row">` + t0.Add(-3*time.Hour).In(kst).Format("2006-01-02 15:04") + `</th><td class="num">2</td>`},
		{"queue-age", `<td class="num">0.5</td>`},
		// Held: 2; blocked: 1 (on the last day).
		{"decisions-action", `<th scope="row">` + lastDay + `</th><td class="num">0</td><td class="num">2</td><td class="num">1</td><td class="num">0</td>`},
		{"decisions-category", `<td class="num">2</td>`},
		// Automated: the block; human: two removals and the overturn.
		{"automated-human", `<th scope="row">` + lastDay + `</th><td class="num">1</td><td class="num">3</td>`},
		{"overturn-rate", `<th scope="row">` + lastDay + `</th><td class="num">100.0%</td><td class="num">—</td>`},
		// Plaza: 2 of 8 restricted; youth: 1 of 1.
		{"flag-rate", `<th scope="row">plaza</th><td class="num">25.0%</td></tr> <tr><th scope="row">youth space</th><td class="num">100.0%</td>`},
		// lee removed a case and approved the overturn; kim removed one.
		{"reviewer-throughput", `<th scope="col" class="num">Reviewer lee</th> <th scope="col" class="num">Reviewer kim</th>`},
		{"reviewer-throughput", `<th scope="row">` + lastDay + `</th><td class="num">2</td><td class="num">1</td>`},
	} {
		if got := table(tt.chart); !strings.Contains(got, tt.want) {
			t.Errorf("%s: table lacks %s:\n%s", tt.chart, tt.want, got)
		}
	}
	if !strings.Contains(r.body, "In this period 1 of 1 appeals of automated decisions and 0 of 0 appeals") {
		t.Error("the overturn chart does not sum up the period")
	}

	for _, days := range []string{"7", "30"} {
		if r := op.get("/ui/dashboard?days=" + days); r.status != http.StatusOK {
			t.Errorf("days=%s: status %d", days, r.status)
		}
	}
	for _, days := range []string{"5", "365", "x"} {
		if r := op.get("/ui/dashboard?days=" + days); r.status != http.StatusBadRequest {
			t.Errorf("days=%s: status %d, want 400", days, r.status)
		}
	}
}

// tamper sets an audit entry's details in the database file, as someone
// with access to the database but not the signing key could.
func tamper(t *testing.T, path string, seq int64, details string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.Exec(`UPDATE audit_log SET details = ? WHERE seq = ?`, details, seq)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("no entry %d to tamper with", seq)
	}
}

func TestAuditViewNamesWhereTheChainBreaks(t *testing.T) {
	for _, signed := range []bool{false, true} {
		t.Run(map[bool]string{false: "chain only", true: "signed"}[signed], func(t *testing.T) {
			pub, key, err := ed25519.GenerateKey(nil)
			if err != nil {
				t.Fatal(err)
			}
			journal := filepath.Join(t.TempDir(), store.JournalName)
			u, path := newOpsUI(t, func(c *Config) {
				if signed {
					c.AuditPublicKey, c.AuditJournal = pub, journal
				}
			})
			ctx := context.Background()
			for i := 1; i <= 12; i++ {
				if err := u.store.Audit(ctx, t0.Add(time.Duration(i)*time.Minute), "u-kim", "case.decided", fmt.Sprint("case-", i), map[string]any{"outcome": "remove"}); err != nil {
					t.Fatal(err)
				}
			}
			if signed {
				cp, err := u.store.StartCheckpoints(ctx, store.CheckpointerConfig{Key: key, Journal: journal, Interval: time.Hour, Log: slog.New(slog.DiscardHandler)})
				if err != nil {
					t.Fatal(err)
				}
				if err := cp.Close(ctx); err != nil {
					t.Fatal(err)
				}
			}
			u.accounts.add("kim", store.RoleModerator)
			op := u.signIn("op", store.RoleOperator)
			want := "The chain links: 12 entries."
			if signed {
				want = "The chain is intact: 12 entries, checked against"
			}
			// The page does not wait for a verification: it has the
			// browser fetch one.
			r := op.get("/ui/audit?lang=en")
			if r.status != http.StatusOK || !strings.Contains(r.body, `hx-get="/ui/audit/status"`) || strings.Contains(r.body, want) {
				t.Fatalf("status %d; the first page should fetch the chain's status:\n%s", r.status, r.body)
			}
			if r = op.get("/ui/audit/status?lang=en"); r.status != http.StatusOK || !strings.Contains(r.body, want) || strings.Contains(r.body, "<html") {
				t.Fatalf("status part: %d, want %q alone:\n%s", r.status, want, r.body)
			}
			r = op.get("/ui/audit?lang=en")
			if !strings.Contains(r.body, want) || strings.Contains(r.body, "hx-get") || strings.Contains(r.body, "chain breaks here") {
				t.Fatalf("the page after a verification:\n%s", r.body)
			}

			tamper(t, path, 5, `{"outcome":"dismiss"}`)
			// The last result is shown for a minute; asking checks again.
			if r = op.get("/ui/audit?lang=en"); !strings.Contains(r.body, want) || strings.Contains(r.body, "hx-get") {
				t.Errorf("the page verified again before a minute passed")
			}
			if r = op.get("/ui/audit/status?lang=en"); !strings.Contains(r.body, want) {
				t.Errorf("the status part verified again before a minute passed")
			}
			for _, page := range []string{"/ui/audit?lang=en&verify=now", "/ui/audit?lang=en&actor=kim&before=" + url.QueryEscape(store.AuditCursor{At: t0.Add(7 * time.Minute), Seq: 7}.String())} {
				r = op.get(page)
				if r.status != http.StatusOK || !strings.Contains(r.body, "The chain is broken at entry 5.") {
					t.Fatalf("%s: status %d, the page does not name entry 5:\n%s", page, r.status, r.body)
				}
				row := regexp.MustCompile(`(?s)<tr id="entry-5"[^>]*>.*?</tr>`).FindString(r.body)
				if !strings.Contains(row, `class="overdue"`) || !strings.Contains(row, "chain breaks here") {
					t.Errorf("%s: entry 5 is not marked: %q", page, row)
				}
				if n := strings.Count(r.body, "chain breaks here"); n != 1 {
					t.Errorf("%s: %d entries marked, want 1", page, n)
				}
			}
			// The link to the break lists the log from entry 5.
			link := regexp.MustCompile(`<a href="(/ui/audit\?before=[^"]+)">Show entry 5</a>`).FindStringSubmatch(r.body)
			if link == nil {
				t.Fatal("no link to the broken entry")
			}
			r = op.get(strings.ReplaceAll(link[1], "&amp;", "&"))
			if first := regexp.MustCompile(`<tr id="entry-(\d+)"`).FindStringSubmatch(r.body); first == nil || first[1] != "5" {
				t.Errorf("the link lists from entry %v, want 5", first)
			}
			// Put right, the entry passes again once the page checks anew,
			// which it does by itself after a minute.
			tamper(t, path, 5, `{"outcome":"remove"}`)
			if r = op.get("/ui/audit?lang=en"); !strings.Contains(r.body, "The chain is broken at entry 5.") {
				t.Error("the page verified again before a minute passed")
			}
			u.clock.Advance(2 * time.Minute)
			r = op.get("/ui/audit?lang=en")
			if !strings.Contains(r.body, "The chain is broken at entry 5.") || !strings.Contains(r.body, `hx-get="/ui/audit/status"`) {
				t.Error("a result older than a minute is not shown while a new one is fetched")
			}
			if r = op.get("/ui/audit/status?lang=en"); !strings.Contains(r.body, want) {
				t.Error("the status part kept an old result for more than a minute")
			}
		})
	}
}

func TestAuditViewFiltersAndPages(t *testing.T) {
	u := newTestUI(t)
	u.accounts.add("kim", store.RoleModerator)
	ctx := context.Background()
	for i := 1; i <= 60; i++ {
		actor := "u-kim"
		if i%3 == 0 {
			actor = "haechi"
		}
		if err := u.store.Audit(ctx, t0.Add(time.Duration(i)*time.Minute), actor, "case.claimed", fmt.Sprint("case-", i%4), nil); err != nil {
			t.Fatal(err)
		}
	}
	op := u.signIn("op", store.RoleOperator)
	entries := func(r *response) []int {
		t.Helper()
		if r.status != http.StatusOK {
			t.Fatalf("status %d:\n%s", r.status, r.body)
		}
		var out []int
		for _, m := range regexp.MustCompile(`<tr id="entry-(\d+)"`).FindAllStringSubmatch(r.body, -1) {
			n, _ := strconv.Atoi(m[1])
			out = append(out, n)
		}
		return out
	}
	minute := func(m int) string { return t0.Add(time.Duration(m) * time.Minute).In(kst).Format(auditTimeLayout) }
	tests := []struct {
		name, query string
		first, n    int
	}{
		{"newest first, a page of 50", "", 60, 50},
		{"an actor by name", "actor=kim", 59, 40},
		{"an actor as logged", "actor=haechi", 60, 20},
		{"a subject", "subject=case-1", 57, 15},
		{"a time range", "from=" + minute(10) + "&to=" + minute(20), 19, 10},
		{"an action", "action=case.claimed&actor=haechi&subject=case-2", 54, 5},
		{"nothing", "action=case.decided", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := entries(op.get("/ui/audit?" + tt.query))
			if len(got) != tt.n || (tt.n > 0 && got[0] != tt.first) {
				t.Errorf("entries %v: want %d from %d", got, tt.n, tt.first)
			}
		})
	}
	r := op.get("/ui/audit")
	next := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(r.body)
	if next == nil {
		t.Fatal("no next page")
	}
	if got := entries(op.get(strings.ReplaceAll(next[1], "&amp;", "&"))); len(got) != 10 || got[0] != 10 || got[9] != 1 {
		t.Errorf("the second page holds %v, want 10 to 1", got)
	}
	for _, bad := range []string{"from=yesterday", "to=2026-13-01T00:00", "before=x", "actor=" + strings.Repeat("a", 201)} {
		if r := op.get("/ui/audit?" + bad); r.status != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", bad, r.status)
		}
	}
}

// spamWave opens n spam cases in the general queue, one a minute before
// t0.
func spamWave(u *testUI, n int) {
	var ds []*engine.Decision
	for i := range n {
		d := decision(fmt.Sprint("spam", i), store.QueueGeneral, engine.Spam)
		d.DecidedAt = t0.Add(time.Duration(i-n) * time.Minute)
		ds = append(ds, d)
	}
	u.open(ds...)
}

var (
	previewRE = regexp.MustCompile(`name="preview" value="(\d+)"`)
	untilRE   = regexp.MustCompile(`name="until" value="(\d+)"`)
)

// bulkFormOf reads a bulk page's preview and returns the form to post.
func bulkFormOf(t *testing.T, r *response) url.Values {
	t.Helper()
	p, until := previewRE.FindStringSubmatch(r.body), untilRE.FindStringSubmatch(r.body)
	if p == nil || until == nil {
		t.Fatalf("no bulk form: status %d\n%s", r.status, r.body)
	}
	return url.Values{"category": {"spam"}, "preview": {p[1]}, "until": {until[1]}, "outcome": {"remove"}, "reason": {"spam wave"}}
}

func TestBulkRemovesTheSelectedCasesOnceTheirNumberIsTyped(t *testing.T) {
	u := newTestUI(t)
	spamWave(u, 5)
	other := decision("other", store.QueueGeneral, engine.Insult)
	other.Severity = "low" // below the spam: claims take spam first
	u.open(other)
	kim := u.signIn("kim", store.RoleModerator)

	r := kim.get("/ui/queues/general/bulk?category=spam&lang=en")
	noMissingMessages(t, "bulk", r.body)
	if !strings.Contains(r.body, "<strong>5 cases</strong>") {
		t.Fatalf("the preview does not count 5 cases:\n%s", r.body)
	}
	form := bulkFormOf(t, r)
	if form.Get("preview") != "5" {
		t.Fatalf("preview %s", form.Get("preview"))
	}

	// A wrong number, or none, decides nothing.
	for _, typed := range []string{"4", "", "five", "50"} {
		form.Set("count", typed)
		r = kim.post("/ui/queues/general/bulk?lang=en", form)
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "The number you typed is not the number of selected cases.") {
			t.Errorf("typed %q: status %d", typed, r.status)
		}
	}
	form.Set("count", "5")
	for _, bad := range []struct{ field, value string }{{"reason", " "}, {"outcome", "ban"}, {"outcome", "warn"}} {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		f.Set(bad.field, bad.value)
		if r = kim.post("/ui/queues/general/bulk", f); r.status != http.StatusBadRequest {
			t.Errorf("%s=%q: status %d, want 400", bad.field, bad.value, r.status)
		}
	}
	if n := len(u.openCases(store.QueueGeneral)); n != 6 {
		t.Fatalf("%d open cases after refused posts, want 6", n)
	}

	// The selection changed since the preview: shown again, decided not.
	lee := store.Moderator{ID: "u-lee", Roles: []string{store.RoleModerator}}
	held, err := u.store.ClaimNext(context.Background(), store.QueueGeneral, lee, time.Hour, t0)
	if err != nil {
		t.Fatal(err)
	}
	r = kim.post("/ui/queues/general/bulk?lang=en", form)
	if r.status != http.StatusConflict || !strings.Contains(r.body, "it now holds 4 cases") {
		t.Fatalf("a changed selection: status %d\n%s", r.status, r.body)
	}
	if n := len(u.openCases(store.QueueGeneral)); n != 6 {
		t.Fatalf("%d open cases after a changed selection, want 6", n)
	}
	form = bulkFormOf(t, r)
	form.Set("count", "4")
	r = kim.post("/ui/queues/general/bulk", form)
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/ui/queues/general/bulk?") {
		t.Fatalf("confirmed: status %d to %q\n%s", r.status, r.location, r.body)
	}
	if body := kim.get(r.location + "&lang=en").body; !strings.Contains(body, "4 cases were decided; 0 were skipped") {
		t.Errorf("the result is not shown")
	}
	open := u.openCases(store.QueueGeneral)
	if len(open) != 2 {
		t.Fatalf("%d open cases, want the held spam case and the insult", len(open))
	}
	for _, c := range open {
		if c.ID != held.ID && c.EventID != "e-other" {
			t.Errorf("case of %s is still open", c.EventID)
		}
	}
	log, err := u.store.AuditLog(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	decided := 0
	for _, e := range log {
		if e.Action == "case.decided" && e.Actor == "u-kim" && strings.Contains(e.Details, `"bulk_id"`) {
			decided++
		}
	}
	if decided != 4 || log[len(log)-1].Action != "cases.bulk_decided" {
		t.Errorf("%d audited bulk decisions (want 4), last entry %s", decided, log[len(log)-1].Action)
	}
}

func TestBulkIsRefusedInYouthSafety(t *testing.T) {
	u := newTestUI(t)
	u.open(decision("y1", store.QueueYouthSafety, engine.Spam), decision("y2", store.QueueYouthSafety, engine.Spam))
	park := u.signIn("park", store.RoleCounsellor, store.RoleModerator, store.RoleSenior, store.RoleAppeals)
	for _, q := range []string{store.QueueYouthSafety, store.QueueSenior, store.QueueAppeals} {
		u.wantDenied(park.get("/ui/queues/"+q+"/bulk"), "u-park", "bulk_queue")
		// A post made up by hand, with what a preview would hold.
		u.wantDenied(park.post("/ui/queues/"+q+"/bulk", url.Values{"preview": {"2"}, "count": {"2"}, "outcome": {"remove"},
			"reason": {"x"}, "until": {strconv.FormatInt(t0.UnixMilli(), 10)}}), "u-park", "bulk_queue")
	}
	if n := len(u.openCases(store.QueueYouthSafety)); n != 2 {
		t.Errorf("%d youth-safety cases open, want 2", n)
	}
	if strings.Contains(park.get("/ui/queues/youth_safety").body, `href="/ui/queues/youth_safety/bulk"`) {
		t.Error("the youth-safety queue page offers a bulk action")
	}
	// Without the general queue's role, nor there.
	op := u.signIn("op", store.RoleOperator, store.RoleCounsellor)
	u.wantDenied(op.get("/ui/queues/general/bulk"), "u-op", "queue_role")
	if r := op.get("/ui/queues/nowhere/bulk"); r.status != http.StatusNotFound {
		t.Errorf("an unknown queue: status %d", r.status)
	}
}

// openCases returns a queue's open cases.
func (u *testUI) openCases(queue string) []*store.Case {
	u.t.Helper()
	p, err := u.store.ListCases(context.Background(), store.CaseFilter{Queue: queue, Now: u.clock.Now(), Limit: 500})
	if err != nil {
		u.t.Fatal(err)
	}
	return p.Cases
}
