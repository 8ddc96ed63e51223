package reviewerui_test

// Browser tests of a reviewer's whole day, on the shared browser of
// browser_test.go: working a queue by keyboard alone, an appeal decided by
// three people, refusals by role, axe-core on every page a reviewer can
// reach, the break reminder, the reason templates, and screenshots of the
// main pages.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/pquerna/otp/totp"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
	reviewerui "github.com/haechi-tns/haechi/reviewer-ui"
	"github.com/haechi-tns/haechi/reviewer-ui/browsertest"
)

// newFlowUI is newBrowserUI with cfg changed by tweak.
func newFlowUI(t *testing.T, tweak func(*reviewerui.Config)) *browserUI {
	t.Helper()
	st, err := store.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := reviewerui.Config{Store: st, Accounts: st}
	if tweak != nil {
		tweak(&cfg)
	}
	ui, err := reviewerui.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ui)
	t.Cleanup(srv.Close)
	return &browserUI{t: t, url: srv.URL, store: st}
}

// flowDecision is heldDecision resting on a principle, about a message.
func flowDecision(id, text string) *engine.Decision {
	d := heldDecision(id)
	d.Principle, d.Value = "inclusiveness", "safe_experience"
	d.Fired = []engine.FiredRule{{RuleID: "hold.insult", Action: engine.ActionHold, Category: engine.Insult, Principle: "inclusiveness", Severity: "medium"}}
	d.Content = &engine.Content{Kind: engine.KindChat, Text: text}
	return d
}

// pressNavigate presses keys, with modifiers, on whatever has the focus
// and waits for the page they load; it returns the page's status.
func pressNavigate(t *testing.T, p *browsertest.Page, keys string, mods ...chromedp.Modifier) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(p.Context(), browsertest.ActionTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.KeyEvent(keys, chromedp.KeyModifiers(mods...)))
	if err != nil {
		t.Fatalf("press %q and wait for the page it loads: %v", keys, err)
	}
	return int(resp.Status)
}

// focused describes the element that has the focus: its tag, id, and
// href or form action.
func focused(p *browsertest.Page) string {
	return browsertest.Eval[string](p, `(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
		(e.getAttribute("href") ? " " + e.getAttribute("href") : "") +
		(e.form ? " " + e.form.getAttribute("action") : ""))(document.activeElement)`)
}

// caseIDOf is the case id of a case page's URL.
func caseIDOf(t *testing.T, location string) string {
	t.Helper()
	_, rest, ok := strings.Cut(location, "/ui/cases/")
	if !ok {
		t.Fatalf("%s is not a case page", location)
	}
	id, _, _ := strings.Cut(rest, "?")
	return id
}

// TestBrowserKeyboardOnlyFlow: a senior reviewer signs in, claims a case
// from the overview, decides it with a number key and Ctrl+Enter, undoes
// it with u and decides it again, then moves through a queue with j and
// k; everything by the keyboard. Typing "b", "6" (the ban's key), "j"
// and "k" in the reason bans nothing and moves nothing.
func TestBrowserKeyboardOnlyFlow(t *testing.T) {
	u := newFlowUI(t, nil)
	seo := u.addUser("seo", store.RoleModerator, store.RoleSenior)
	secret := u.enrolTOTP(seo)
	for i := range 4 {
		u.openCase(flowDecision(fmt.Sprint("kb", i), "너 진짜 바보 같아"))
	}
	p := browser.NewPage(t)

	// Sign in: the name field has the focus; Tab to the next fields,
	// Enter to submit.
	p.Navigate(u.url + "/ui/login?lang=en")
	if got := focused(p); got != "input#name /ui/login" {
		t.Fatalf("the sign-in page starts with the focus on %q", got)
	}
	code, err := totp.GenerateCodeCustom(secret, time.Now(), totpOpts)
	if err != nil {
		t.Fatal(err)
	}
	p.Press("seo" + kb.Tab + browserPassword + kb.Tab + code)
	if status := pressNavigate(t, p, kb.Enter); status != http.StatusOK || p.Location() != u.url+"/ui/" {
		t.Fatalf("signed in: status %d at %s", status, p.Location())
	}

	// Claim next from the overview: j selects the general queue's row,
	// Tab reaches its claim button.
	p.Press("j")
	if got := focused(p); got != "a /ui/queues/general" {
		t.Fatalf("j on the overview focused %q", got)
	}
	p.Press(kb.Tab)
	if got := focused(p); got != "button /ui/queues/general/claim" {
		t.Fatalf("Tab from the queue focused %q", got)
	}
	if status := pressNavigate(t, p, kb.Enter); status != http.StatusOK {
		t.Fatalf("claim: status %d", status)
	}
	first := caseIDOf(t, p.Location())

	// 2 picks "remove"; r goes to the reason, where keys are text.
	p.Press("2")
	if got := focused(p); got != "input#o-remove /ui/cases/"+first+"/decide" {
		t.Fatalf("2 focused %q", got)
	}
	p.Press("r")
	if got := focused(p); got != "textarea#reason /ui/cases/"+first+"/decide" {
		t.Fatalf("r focused %q", got)
	}
	const reason = "insulting a b6 jk 1"
	p.Press(reason)
	state := browsertest.Eval[map[string]any](p, `({
		reason: document.getElementById("reason").value,
		outcome: document.querySelector('input[name="outcome"]:checked').value,
		ground: document.getElementById("ground").value,
		moved: document.querySelectorAll(".selected").length,
		dialog: document.getElementById("shortcuts").open,
	})`)
	want := map[string]any{"reason": reason, "outcome": "remove", "ground": "inclusiveness", "moved": 0.0, "dialog": false}
	for k, v := range want {
		if state[k] != v {
			t.Errorf("after typing the reason, %s is %v, want %v", k, state[k], v)
		}
	}
	// Ctrl+Enter records it and, "claim next" being ticked, opens the
	// next case, which offers to undo.
	if status := pressNavigate(t, p, kb.Enter, chromedp.ModifierCtrl); status != http.StatusOK {
		t.Fatalf("Ctrl+Enter: status %d", status)
	}
	next := caseIDOf(t, p.Location())
	if next == first || !strings.Contains(p.Location(), "undo="+first) {
		t.Fatalf("after deciding, at %s", p.Location())
	}
	c, err := u.store.Case(t.Context(), first)
	if err != nil || c.Open() || c.Outcome != store.OutcomeRemove || c.DecidedBy != seo.ID {
		t.Fatalf("the first case after Ctrl+Enter: %+v, %v", c, err)
	}
	acts, _ := u.store.CaseActions(t.Context(), first)
	if len(acts) != 1 || acts[0].Note != reason || acts[0].Ground != "inclusiveness" {
		t.Errorf("recorded %+v", acts)
	}
	if h, _ := u.store.UserHistory(t.Context(), c.SubjectUserID, 10); len(h.Restrictions) != 0 {
		t.Errorf("typing in the reason restricted the account: %+v", h.Restrictions)
	}

	// u takes it back; the case is the reviewer's again, and the next
	// one back in the queue; the first is decided anew with 1 (dismiss).
	p.WaitVisible("[data-undo]")
	if status := pressNavigate(t, p, "u"); status != http.StatusOK || p.Location() != u.url+"/ui/cases/"+first+"?notice=undone_released" {
		t.Fatalf("u: status %d at %s", status, p.Location())
	}
	if c, _ := u.store.Case(t.Context(), first); !c.Open() || c.ClaimedBy != seo.ID {
		t.Fatalf("after u: %+v", c)
	}
	if c, _ := u.store.Case(t.Context(), next); c.ClaimedBy != "" {
		t.Errorf("after u the next case is still held by %q", c.ClaimedBy)
	}
	p.Press("1")
	p.Press("r")
	p.Press("banter between friends")
	if status := pressNavigate(t, p, kb.Enter, chromedp.ModifierCtrl); status != http.StatusOK {
		t.Fatalf("Ctrl+Enter again: status %d", status)
	}
	if c, _ := u.store.Case(t.Context(), first); c.Open() || c.Outcome != store.OutcomeDismiss {
		t.Fatalf("decided again: %+v", c)
	}

	// To the queue: Tab past the skip link to the home link, Enter; j and
	// o open the general queue, whose rows j and k move through.
	p.Press(kb.Tab + kb.Tab)
	if got := focused(p); got != "a /ui/" {
		t.Fatalf("two Tabs focused %q", got)
	}
	if status := pressNavigate(t, p, kb.Enter); status != http.StatusOK {
		t.Fatalf("overview: status %d", status)
	}
	p.Press("j")
	if status := pressNavigate(t, p, "o"); status != http.StatusOK || p.Location() != u.url+"/ui/queues/general" {
		t.Fatalf("o: status %d at %s", status, p.Location())
	}
	rows := browsertest.Eval[[]string](p, `[...document.querySelectorAll("#case-rows tr[data-nav-item] a[data-nav-link]")].map(a => a.getAttribute("href"))`)
	if len(rows) != 3 {
		t.Fatalf("the queue lists %v, want the 3 open cases", rows)
	}
	for _, step := range []struct {
		key string
		row int
	}{{"j", 0}, {"j", 1}, {"j", 2}, {"j", 2}, {"k", 1}} {
		p.Press(step.key)
		if got := focused(p); got != "a "+rows[step.row] {
			t.Errorf("%s focused %q, want row %d", step.key, got, step.row)
		}
		if n := p.Count("#case-rows tr.selected"); n != 1 {
			t.Errorf("%d rows selected", n)
		}
	}
	if status := pressNavigate(t, p, "o"); status != http.StatusOK || p.Location() != u.url+rows[1] {
		t.Errorf("o on row 1: status %d at %s", status, p.Location())
	}
	checkPage(t, p, u.url, "the case page after the keyboard flow")
}

// decideInBrowser records an outcome on the case page p shows, with a
// reason, and returns the status of the page it leads to.
func decideInBrowser(t *testing.T, p *browsertest.Page, outcome, reason string) int {
	t.Helper()
	p.Click(`input[name="outcome"][value="` + outcome + `"]`)
	p.Fill("#reason", reason)
	return p.ClickNavigate(`#decide-form button[type="submit"]`)
}

// TestBrowserAppealTakesFourEyes: three reviewers, each in a browser of
// their own. The one who removed the content is not given its appeal,
// by claiming or by a colleague's hand; the second proposes to overturn and may not approve the proposal; the
// third approves, which restores the content and lifts the restriction:
// both actions wait in the outbox.
func TestBrowserAppealTakesFourEyes(t *testing.T) {
	u := newFlowUI(t, nil)
	kim := u.addUser("kim", store.RoleModerator, store.RoleAppeals)
	lee := u.addUser("lee", store.RoleAppeals)
	choi := u.addUser("choi", store.RoleAppeals)
	d := flowDecision("appealed", "그건 인용이었어요")
	u.openCase(d)
	en := messages(t, "en")
	claimAppeal := func(p *browsertest.Page) string {
		t.Helper()
		p.Navigate(u.url + "/ui/?lang=en")
		if status := p.ClickNavigate(`form[action="/ui/queues/appeals/claim"] button`); status != http.StatusOK {
			t.Fatalf("claim the appeal: status %d", status)
		}
		return caseIDOf(t, p.Location())
	}
	release := func(p *browsertest.Page, id string) {
		t.Helper()
		p.Navigate(u.url + "/ui/cases/" + id)
		if status := p.ClickNavigate(`form[action="/ui/cases/` + id + `/release"] button`); status != http.StatusOK {
			t.Fatalf("release: status %d", status)
		}
	}
	denied := func(p *browsertest.Page, who *store.User, reason string) {
		t.Helper()
		if got := p.Text("main"); !strings.Contains(got, en["error.forbidden."+reason]) {
			t.Errorf("the refusal page says %q, want %s", got, reason)
		}
		var found bool
		for _, e := range u.audits("ui.denied") {
			found = found || (e.Actor == who.ID && strings.Contains(e.Details, `"reason":"`+reason+`"`))
		}
		if !found {
			t.Errorf("no audited refusal of %s for %s", who.Name, reason)
		}
	}

	pk := browser.NewPage(t)
	u.signIn(pk, "kim", browserPassword, "")
	pk.Navigate(u.url + "/ui/?lang=en")
	if status := pk.ClickNavigate(`form[action="/ui/queues/general/claim"] button`); status != http.StatusOK {
		t.Fatalf("claim: status %d", status)
	}
	original := caseIDOf(t, pk.Location())
	if status := decideInBrowser(t, pk, "remove", "insulting"); status != http.StatusOK {
		t.Fatalf("remove: status %d", status)
	}
	a, err := u.store.FileAppeal(t.Context(), d.ID, d.SenderID, "I was quoting someone", time.Now())
	if err != nil {
		t.Fatal(err)
	}

	// The original decider is not given the appeal.
	pk.Navigate(u.url + "/ui/?lang=en")
	if status := pk.ClickNavigate(`form[action="/ui/queues/appeals/claim"] button`); status != http.StatusOK ||
		pk.Location() != u.url+"/ui/?notice=queue_empty" {
		t.Fatalf("the original decider claiming the appeal: status %d at %s", status, pk.Location())
	}

	// The second reviewer may not hand it to kim either; they propose,
	// and their own proposal is not theirs to approve.
	pl := browser.NewPage(t)
	u.signIn(pl, "lee", browserPassword, "")
	if id := claimAppeal(pl); id != a.ReviewCase {
		t.Fatalf("lee claimed %s, want the appeal %s", id, a.ReviewCase)
	}
	pl.Fill("#reassign-to", "kim")
	pl.Fill("#reassign-note", "you know this user")
	if status := pl.ClickNavigate(`form[action="/ui/cases/` + a.ReviewCase + `/reassign"] button`); status != http.StatusForbidden {
		t.Errorf("handing the appeal to the original decider: status %d, want 403", status)
	}
	denied(pl, lee, "original_decider")
	pl.Navigate(u.url + "/ui/cases/" + a.ReviewCase + "?lang=en")
	if status := decideInBrowser(t, pl, "overturn", "a quotation, not an insult"); status != http.StatusOK ||
		pl.Location() != u.url+"/ui/?notice=overturn_proposed" {
		t.Fatalf("the proposal: status %d at %s", status, pl.Location())
	}
	if id := claimAppeal(pl); id != a.ReviewCase {
		t.Fatalf("lee claimed %s, want the proposal %s", id, a.ReviewCase)
	}
	if got := pl.Text("main"); !strings.Contains(got, en["case.proposal_yours"]) {
		t.Error("the appeal page does not tell lee the proposal is theirs")
	}
	if status := decideInBrowser(t, pl, "overturn", "approving my own"); status != http.StatusForbidden {
		t.Errorf("the proposer approving: status %d, want 403", status)
	}
	denied(pl, lee, "own_proposal")
	release(pl, a.ReviewCase)

	// The third approves.
	pc := browser.NewPage(t)
	u.signIn(pc, "choi", browserPassword, "")
	claimAppeal(pc)
	// "Claim next" is ticked, and no appeal is left.
	if status := decideInBrowser(t, pc, "overturn", "agreed: a quotation"); status != http.StatusOK ||
		pc.Location() != u.url+"/ui/?notice=queue_empty" {
		t.Fatalf("the approval: status %d at %s", status, pc.Location())
	}
	checkPage(t, pc, u.url, "the overview after approving an overturn")
	got, err := u.store.AppealByID(t.Context(), a.ID)
	if err != nil || got.Status != store.AppealOverturned || got.ProposedBy != lee.ID || got.DecidedBy != choi.ID {
		t.Errorf("the appeal: %+v, %v", got, err)
	}
	msgs, err := u.store.Outbox(t.Context(), 100)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, m := range msgs {
		var am engine.ActionMessage
		if err := json.Unmarshal(m.Body, &am); err != nil {
			t.Fatal(err)
		}
		if am.Source == engine.SourceModerator {
			actions = append(actions, am.Action+" "+am.CaseID+" "+am.DecidedBy)
		}
	}
	want := []string{"remove " + original + " " + kim.ID, "restore " + a.ReviewCase + " " + choi.ID, "unrestrict " + a.ReviewCase + " " + choi.ID}
	if !slices.Equal(actions, want) {
		t.Errorf("the outbox holds %q, want %q", actions, want)
	}
}

// TestBrowserModeratorIsRefusedYouthSafetyAndTheDashboard: a moderator
// who opens a youth-safety case, or the dashboards, gets a 403 page, and
// each refusal is in the audit log.
func TestBrowserModeratorIsRefusedYouthSafetyAndTheDashboard(t *testing.T) {
	u := newFlowUI(t, nil)
	mina := u.addUser("mina", store.RoleModerator)
	youth := flowDecision("youth", "몇 살이야? 사진 보내줘")
	youth.Queue, youth.Categories = store.QueueYouthSafety, []engine.Category{engine.Grooming}
	u.openCase(youth)
	id := u.caseOf(store.QueueYouthSafety, youth.EventID)
	en := messages(t, "en")

	p := browser.NewPage(t)
	u.signIn(p, "mina", browserPassword, "")
	for _, tt := range []struct {
		path, reason, subject string
	}{
		{"/ui/cases/" + id + "?lang=en", "queue_role", id},
		{"/ui/dashboard?lang=en", "ops_role", "page:dashboard"},
	} {
		if status := p.Navigate(u.url + tt.path); status != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", tt.path, status)
		}
		if got := p.Text("main"); !strings.Contains(got, en["error.forbidden."+tt.reason]) || strings.Contains(got, "사진") {
			t.Errorf("%s shows %q", tt.path, got)
		}
		var found bool
		for _, e := range u.audits("ui.denied") {
			found = found || (e.Actor == mina.ID && e.Subject == tt.subject && strings.Contains(e.Details, `"reason":"`+tt.reason+`"`))
		}
		if !found {
			t.Errorf("%s: no audited refusal of %s", tt.path, tt.subject)
		}
		checkPage(t, p, u.url, "the refusal of "+tt.path)
	}
}

// TestBrowserEveryPageHasNoSeriousAxeViolations visits every page a
// reviewer can reach, in each state worth checking, with the break
// reminder showing, and runs axe-core on each.
func TestBrowserEveryPageHasNoSeriousAxeViolations(t *testing.T) {
	u := newFlowUI(t, func(c *reviewerui.Config) { c.BreakAfter = time.Millisecond })
	u.seedOps()
	for i := range 3 {
		u.openCase(flowDecision(fmt.Sprint("axe", i), "너 진짜 바보 같아"))
	}
	u.addUser("mina", store.RoleModerator)
	u.addUser("ohyun", store.RoleOperator)
	u.addUser("seo", store.RoleSenior) // without an authenticator yet
	if _, err := u.store.CreateUser(t.Context(), "new", "New reviewer", []string{store.RoleModerator}, "one-time password 1", "test", time.Now()); err != nil {
		t.Fatal(err)
	}

	type visit struct {
		what string
		// go reaches the page from where the previous visit left p.
		go_   func(p *browsertest.Page) int
		want  int
		dates bool // the page has date inputs (checkPageWithDateInputs)
	}
	nav := func(path string) func(p *browsertest.Page) int {
		return func(p *browsertest.Page) int { return p.Navigate(u.url + path) }
	}
	signIn := func(name, password string) func(p *browsertest.Page) int {
		return func(p *browsertest.Page) int { return u.signIn(p, name, password, "") }
	}
	for _, lang := range []string{"ko", "en"} {
		t.Run(lang, func(t *testing.T) {
			pages := map[string][]visit{
				"mina": {
					{"sign-in", nav("/ui/login?lang=" + lang), http.StatusOK, false},
					{"overview", signIn("mina", browserPassword), http.StatusOK, false},
					{"queue", nav("/ui/queues/general"), http.StatusOK, false},
					{"case, held", func(p *browsertest.Page) int {
						p.Navigate(u.url + "/ui/")
						return p.ClickNavigate(`form[action="/ui/queues/general/claim"] button`)
					}, http.StatusOK, false},
					{"case, a form error", func(p *browsertest.Page) int {
						p.Click(`input[name="outcome"][value="dismiss"]`)
						p.Fill("#reason", "fine")
						browsertest.Eval[string](p, `document.getElementById("ground").value = ""`)
						return p.ClickNavigate(`#decide-form button[type="submit"]`)
					}, http.StatusBadRequest, false},
					{"case, after a decision, offering to undo", func(p *browsertest.Page) int {
						browsertest.Eval[string](p, `document.getElementById("ground").value = "fairness"`)
						return decideInBrowser(t, p, "dismiss", "fine")
					}, http.StatusOK, false},
					{"bulk", nav("/ui/queues/general/bulk"), http.StatusOK, false},
					{"not found", nav("/ui/no-such-page"), http.StatusNotFound, false},
					{"forbidden", nav("/ui/dashboard"), http.StatusForbidden, false},
					{"conflict", func(p *browsertest.Page) int {
						// Undoing a decision that was never made.
						p.Navigate(u.url + "/ui/queues/general")
						id := browsertest.Eval[string](p, `document.querySelector("#case-rows a[data-nav-link]").getAttribute("href")`)
						return u.postFrom(p, id+"/undo")
					}, http.StatusConflict, false},
				},
				"ohyun": {
					{"dashboard", func(p *browsertest.Page) int {
						u.signIn(p, "ohyun", browserPassword, "")
						return p.Navigate(u.url + "/ui/dashboard")
					}, http.StatusOK, true},
					{"audit log", nav("/ui/audit"), http.StatusOK, true},
				},
				"new": {{"password change", signIn("new", "one-time password 1"), http.StatusOK, false}},
				"seo": {{"authenticator enrolment", signIn("seo", browserPassword), http.StatusOK, false}},
			}
			for _, who := range []string{"mina", "ohyun", "new", "seo"} {
				p := browser.NewPage(t)
				p.Navigate(u.url + "/ui/login?lang=" + lang)
				for _, v := range pages[who] {
					status := v.go_(p)
					if status != v.want {
						t.Errorf("%s (%s): status %d, want %d", v.what, lang, status, v.want)
					}
					what := v.what + " (" + lang + ")"
					if v.what != "sign-in" && p.Count("[data-break]:not([hidden])") != 1 {
						t.Errorf("%s does not show the break reminder", what)
					}
					if v.dates {
						checkPageWithDateInputs(t, p, u.url, what)
					} else {
						checkPage(t, p, u.url, what)
					}
				}
				p.Close()
			}
		})
	}
}

// postFrom posts an empty form with the session's token to path from the
// page p shows, as a form of the UI would, and returns the status of the
// page it leads to.
func (u *browserUI) postFrom(p *browsertest.Page, path string) int {
	u.t.Helper()
	browsertest.Eval[bool](p, `(() => {
		const f = document.createElement("form");
		f.method = "post";
		f.action = `+"`"+path+"`"+`;
		const c = document.createElement("input");
		c.type = "hidden"; c.name = "csrf";
		c.value = document.querySelector('meta[name="csrf-token"]').content;
		f.append(c);
		document.body.append(f);
		return true;
	})()`)
	ctx, cancel := context.WithTimeout(p.Context(), browsertest.ActionTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Evaluate[chromedp.Void](`document.body.lastElementChild.submit()`))
	if err != nil {
		u.t.Fatalf("post %s: %v", path, err)
	}
	return int(resp.Status)
}

// TestBrowserBreakReminderSnoozes: the reminder shows on an open page
// once it falls due; snoozing hides it, and pages loaded meanwhile keep it
// hidden, until the snooze ends.
func TestBrowserBreakReminderSnoozes(t *testing.T) {
	const breakAfter = 5 * time.Second
	u := newFlowUI(t, func(c *reviewerui.Config) { c.BreakAfter = breakAfter })
	u.addUser("mina", store.RoleModerator)
	p := browser.NewPage(t)
	start := time.Now()
	u.signIn(p, "mina", browserPassword, "")
	// Under -race on a busy machine signing in can take seconds; the
	// reminder is checked hidden only while it is surely not yet due.
	if n := p.Count("[data-break]:not([hidden])"); n != 0 && time.Since(start) < breakAfter-time.Second {
		t.Fatal("the reminder shows at once")
	}
	p.WaitVisible("[data-break]")
	p.Click("[data-break-snooze]")
	if n := p.Count("[data-break]:not([hidden])"); n != 0 {
		t.Error("snoozing left the reminder showing")
	}
	p.Navigate(u.url + "/ui/")
	attr, _ := p.Attr("[data-break]", "data-break-in-ms")
	in, err := strconv.Atoi(attr)
	if n := p.Count("[data-break]:not([hidden])"); n != 0 || err != nil || in < 14*60*1000 || in > 15*60*1000 {
		t.Errorf("after snoozing a new page shows the reminder (%d) or shows it in %s ms, not in 15 min", n, attr)
	}
	p.Click("[data-shortcuts-open]") // the page is still usable
	p.Press(kb.Escape)
	checkPage(t, p, u.url, "the overview with the reminder snoozed")
}

// TestBrowserReasonTemplatesFillTheReason: picking a template puts it
// after what the reviewer wrote; arrowing on to another replaces it; the
// list offers the chosen outcome's templates only, and an action on the
// account is offered after a removal only.
func TestBrowserReasonTemplatesFillTheReason(t *testing.T) {
	u := newFlowUI(t, nil)
	u.addUser("mina", store.RoleModerator)
	u.openCase(flowDecision("tpl", "너 진짜 바보 같아"))
	p := browser.NewPage(t)
	u.signIn(p, "mina", browserPassword, "")
	p.Navigate(u.url + "/ui/?lang=en")
	p.ClickNavigate(`form[action="/ui/queues/general/claim"] button`)
	alsoOpen := func() bool { return !browsertest.Eval[bool](p, `document.getElementById("also").disabled`) }
	if alsoOpen() {
		t.Error("an account action is offered before any outcome is chosen")
	}
	p.Press("3") // warn
	if alsoOpen() {
		t.Error("an account action is offered after a warning")
	}
	p.Press("2") // remove
	if !alsoOpen() {
		t.Error("no account action is offered after a removal")
	}
	groups := browsertest.Eval[[]string](p, `[...document.querySelectorAll("#reason-template optgroup:not([hidden])")].map(g => g.dataset.templateOutcome)`)
	if !slices.Equal(groups, []string{"remove"}) {
		t.Errorf("the templates offered for a removal: %v", groups)
	}
	p.Type("#reason", "Second time today.")
	p.Focus("#reason-template")
	p.Press(kb.ArrowDown)
	reason := func() string { return browsertest.Eval[string](p, `document.getElementById("reason").value`) }
	if got := reason(); got != "Second time today.\nThe message insults another user and is removed." {
		t.Errorf("after picking a template the reason is %q", got)
	}
	p.Press(kb.ArrowDown)
	if got := reason(); got != "Second time today.\nThe content breaches the code of ethics and is removed." {
		t.Errorf("after picking another the reason is %q", got)
	}
	if status := p.ClickNavigate(`#decide-form button[type="submit"]`); status != http.StatusOK {
		t.Fatalf("decide: status %d", status)
	}
	checkPage(t, p, u.url, "the overview after deciding")
}

// TestBrowserScreenshotsOfTheMainPages keeps screenshots of the overview,
// a case page (whole, and its decision form) and the dashboards as test
// artefacts (go test -artifacts keeps them under -outputdir);
// docs/screenshots holds two of them, cropped.
func TestBrowserScreenshotsOfTheMainPages(t *testing.T) {
	u := newFlowUI(t, nil)
	u.seedOps()
	now := time.Now().UTC()
	for i, c := range []struct {
		text string
		cats []engine.Category
		age  time.Duration
	}{
		{"너 진짜 바보 같아", []engine.Category{engine.Insult}, 40 * time.Minute},
		{"이 링크 누르면 상품권 드려요 bit.ly/free", []engine.Category{engine.Spam, engine.Scam}, 3 * time.Hour},
		{"ㅅㅂ 줄 진짜 길다", []engine.Category{engine.Profanity}, 30 * time.Hour},
		{"닥치고 나가", []engine.Category{engine.Insult, engine.Harassment}, 2 * time.Hour},
	} {
		d := flowDecision(fmt.Sprint("shot", i), c.text)
		d.Categories, d.DecidedAt = c.cats, now.Add(-c.age)
		u.openCase(d)
	}
	// Another reviewer holds one of them.
	other := store.Moderator{ID: "lee", Roles: []string{store.RoleModerator}}
	if _, err := u.store.ClaimNext(t.Context(), store.QueueGeneral, other, time.Hour, now); err != nil {
		t.Fatal(err)
	}
	// The case the reviewer claims: a scam by someone posing as an
	// official, in a conversation, reported twice.
	scam := flowDecision("scam", "시청 민원과 주무관입니다. 환급금 입금을 위해 계좌번호와 비밀번호를 보내 주세요")
	scam.Categories, scam.Severity, scam.Principle, scam.Value = []engine.Category{engine.Impersonation, engine.Scam}, "high", "authenticity", "sincere_identity"
	scam.Reasons = []engine.Reason{{RuleID: "hold.impersonation", KO: "공무원을 사칭해 금융 정보를 요구합니다.", EN: "Poses as an official and asks for financial details."}}
	scam.Fired = []engine.FiredRule{{RuleID: "hold.impersonation", Action: engine.ActionHold, Category: engine.Impersonation, Principle: "authenticity", Severity: "high"}}
	scam.Scores = engine.Scores{engine.Impersonation: 0.93, engine.Scam: 0.88}
	scam.Space = engine.Space{ID: "mayor-office-1", Type: engine.SpaceMayorOffice}
	scam.DecidedAt = now.Add(-25 * time.Minute)
	scam.Content.Context = []engine.ContextMessage{
		{ID: "m-1", SenderID: "citizen-7", Text: "전입신고 하려고 왔는데 어디로 가면 되나요?", SentAt: now.Add(-28 * time.Minute)},
		{ID: "m-2", SenderID: scam.SenderID, Text: "제가 도와드릴게요. 환급금도 있으시네요", SentAt: now.Add(-27 * time.Minute)},
	}
	u.openCase(scam)
	for _, rep := range []string{"citizen-7", "citizen-9"} {
		if _, err := u.store.FileReport(t.Context(), &store.Report{ReporterID: rep, TargetKind: store.TargetMessage, TargetID: scam.EventID,
			Category: engine.Scam, Details: "공무원이라면서 계좌 비밀번호를 물어봐요", Location: "민원실 창구"}, now.Add(-20*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	youth := flowDecision("shot-youth", "몇 살이야? 사진 보내줘")
	youth.Queue, youth.Categories, youth.DecidedAt = store.QueueYouthSafety, []engine.Category{engine.Grooming}, now.Add(-12*time.Minute)
	u.openCase(youth)
	u.addUser("mina", store.RoleModerator, store.RoleCounsellor, store.RoleAppeals)
	u.addUser("ohyun", store.RoleOperator)

	p := browser.NewPage(t)
	u.signIn(p, "mina", browserPassword, "")
	p.Navigate(u.url + "/ui/?lang=en")
	checkPage(t, p, u.url, "the overview")
	p.Screenshot("overview")
	p.ClickNavigate(`form[action="/ui/queues/general/claim"] button`)
	p.Click(`input[name="outcome"][value="remove"]`)
	p.Focus("#reason-template")
	p.Press(kb.ArrowDown)
	checkPage(t, p, u.url, "a case page")
	p.Screenshot("case")
	ctx, cancel := context.WithTimeout(p.Context(), browsertest.ActionTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS("section.decide"), chromedp.NodeVisible))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(t.ArtifactDir(), "case-decision.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}

	po := browser.NewPage(t)
	u.signIn(po, "ohyun", browserPassword, "")
	po.Navigate(u.url + "/ui/dashboard?lang=en")
	checkPageWithDateInputs(t, po, u.url, "the dashboards")
	po.Screenshot("dashboard")
}
