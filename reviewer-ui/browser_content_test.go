package reviewerui_test

// Browser tests of a case's content (content.go, reveal.go, image.go):
// personal information masked until a permitted reviewer reveals it with
// a reason, images blurred until clicked and blurred again, and user
// content in the conversation inert, in Chromium on a real store.

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
	reviewerui "github.com/haechi-tns/haechi/reviewer-ui"
	"github.com/haechi-tns/haechi/reviewer-ui/browsertest"
)

// Personal information in the tests' content: a resident registration
// number with a valid checksum and two mobile numbers.
const (
	browserRRN    = "900101-1234568"
	browserPhone  = "010-9876-5432"
	browserPhone2 = "010-2468-1357"
)

// testReblur is the re-blur delay of the content tests' UI, shorter than
// the default 10 s so that a test need not wait that long.
const testReblur = 1500 * time.Millisecond

// newContentUI is newBrowserUI with the tests' re-blur delay.
func newContentUI(t *testing.T) *browserUI {
	t.Helper()
	st, err := store.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ui, err := reviewerui.New(reviewerui.Config{Store: st, Accounts: st, ReblurAfter: testReblur})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ui)
	t.Cleanup(srv.Close)
	return &browserUI{t: t, url: srv.URL, store: st}
}

// caseOf returns the id of the open case of an event in a queue.
func (u *browserUI) caseOf(queue, eventID string) string {
	u.t.Helper()
	p, err := u.store.ListCases(u.t.Context(), store.CaseFilter{Queue: queue, Now: time.Now(), Limit: 100})
	if err != nil {
		u.t.Fatal(err)
	}
	for _, c := range p.Cases {
		if c.EventID == eventID {
			return c.ID
		}
	}
	u.t.Fatalf("no open case for %s in %s", eventID, queue)
	return ""
}

// audits returns the audit log's entries of action.
func (u *browserUI) audits(action string) []store.AuditEntry {
	u.t.Helper()
	log, err := u.store.AuditLog(u.t.Context(), 0, 10000)
	if err != nil {
		u.t.Fatal(err)
	}
	var out []store.AuditEntry
	for _, e := range log {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

// piiSpan is the code-point span of sub in text.
func piiSpan(t *testing.T, text, sub string, typ engine.PIIType) engine.PIISpan {
	t.Helper()
	i := strings.Index(text, sub)
	if i < 0 {
		t.Fatalf("%q not in %q", sub, text)
	}
	start := utf8.RuneCountInString(text[:i])
	return engine.PIISpan{Type: typ, Start: start, End: start + utf8.RuneCountInString(sub), Score: 0.95}
}

// noBrowserPII fails when s holds any way of writing the numbers: as
// given, digits only, or the digits with other separators.
func noBrowserPII(t *testing.T, what, s string, numbers ...string) {
	t.Helper()
	for _, n := range numbers {
		groups := regexp.MustCompile(`\d+`).FindAllString(n, -1)
		forms := []string{n}
		for _, sep := range []string{"", "-", " ", "."} {
			forms = append(forms, strings.Join(groups, sep), strings.Join(groups[1:], sep))
		}
		for _, f := range forms {
			if strings.Contains(s, f) {
				t.Errorf("%s holds %q (a form of %q)", what, f, n)
			}
		}
	}
}

// youthCase opens a youth-safety case about a message that shares a
// registration number and a phone number, after two messages of context,
// one of which shares another number.
func youthCase(t *testing.T, u *browserUI, id string, extraContext ...engine.ContextMessage) *engine.Decision {
	t.Helper()
	text := "내 주민번호 " + browserRRN + " 이고 폰은 " + browserPhone + " 이야"
	d := heldDecision(id)
	d.Queue, d.Categories = store.QueueYouthSafety, []engine.Category{engine.SexualMinors}
	d.PII = []engine.PIISpan{piiSpan(t, text, browserRRN, engine.PIIResidentRegistration), piiSpan(t, text, browserPhone, engine.PIIPhone)}
	now := time.Now().UTC()
	d.Content = &engine.Content{Kind: engine.KindChat, Text: text, Context: append([]engine.ContextMessage{
		{ID: "m-1", SenderID: "peer-1", Text: "몇 살이야?", SentAt: now.Add(-3 * time.Minute)},
		{ID: "m-2", SenderID: d.SenderID, Text: "여기로 연락해 " + browserPhone2, SentAt: now.Add(-2 * time.Minute)},
	}, extraContext...)}
	u.openCase(d)
	return d
}

// TestBrowserPersonalInformationIsRevealedOnlyWithAReason: a counsellor's
// case page holds no personal information, in the HTML or the DOM, until
// they reveal it with a reason; the reveal shows it in place, is audited
// with the reason and counted in the header. A moderator, whose role may
// not reveal, is refused (403, audited).
func TestBrowserPersonalInformationIsRevealedOnlyWithAReason(t *testing.T) {
	u := newContentUI(t)
	u.addUser("park", store.RoleCounsellor)
	u.addUser("mina", store.RoleModerator)
	d := youthCase(t, u, "pii")
	id := u.caseOf(store.QueueYouthSafety, d.EventID)
	en := messages(t, "en")

	p := browser.NewPage(t)
	if status := u.signIn(p, "park", browserPassword, ""); status != http.StatusOK {
		t.Fatalf("sign-in: status %d", status)
	}
	if status := p.Navigate(u.url + "/ui/cases/" + id + "?lang=en"); status != http.StatusOK {
		t.Fatalf("case page: status %d", status)
	}
	// What the server sent, read again without the page's scripts, and
	// the DOM as the scripts left it.
	sent := browsertest.Eval[string](p, `fetch(location.href).then(r => r.text())`)
	noBrowserPII(t, "the case page's HTML", sent, browserRRN, browserPhone, browserPhone2)
	noBrowserPII(t, "the case page's DOM", p.HTML(), browserRRN, browserPhone, browserPhone2)
	if !strings.Contains(p.Text("#content"), "[resident registration number masked]") {
		t.Errorf("the content does not say what was masked: %q", p.Text("#content"))
	}
	checkPage(t, p, u.url, "a case page with masked content")
	p.Screenshot("case-content-masked")
	if n := len(u.audits(store.AuditContentRevealed)); n != 0 {
		t.Fatalf("%d reveals before any", n)
	}

	p.Fill("#reveal-reason", "checking the number against the other report")
	p.Click(`form.reveal button[type=submit]`)
	p.WaitVisible("#content mark.pii")
	text := p.Text("#content")
	for _, want := range []string{browserRRN, browserPhone, browserPhone2, en["content.revealed"]} {
		if !strings.Contains(text, want) {
			t.Errorf("the revealed content lacks %q: %q", want, text)
		}
	}
	// htmx settles the swap (and the page moves the focus) a moment later.
	focused := browsertest.Eval[string](p, `new Promise(r => { const t0 = Date.now(); (function check() {
		const id = document.activeElement ? document.activeElement.id : "";
		if (id === "content" || Date.now() - t0 > 2000) r(id); else setTimeout(check, 20); })(); })`)
	if focused != "content" {
		t.Errorf("after the reveal the focus is on %q, not the content", focused)
	}
	if got := p.Text("#reveals-today [data-reveal-count]"); got != "1" {
		t.Errorf("the header counts %q reveals, want 1", got)
	}
	as := u.audits(store.AuditContentRevealed)
	if len(as) != 1 || as[0].Subject != id || !strings.Contains(as[0].Details, `"reason":"checking the number against the other report"`) {
		t.Errorf("reveal audits %+v", as)
	}
	checkPage(t, p, u.url, "a case page with revealed content")
	p.Screenshot("case-content-revealed")

	// Reloading masks it again.
	p.Navigate(u.url + "/ui/cases/" + id)
	noBrowserPII(t, "the case page after reloading", p.HTML(), browserRRN, browserPhone, browserPhone2)

	// A moderator's case in the general queue: masked, no form, and the
	// endpoint refuses them.
	g := heldDecision("general-pii")
	text = "입금 문의는 " + browserPhone
	g.PII = []engine.PIISpan{piiSpan(t, text, browserPhone, engine.PIIPhone)}
	g.Content = &engine.Content{Kind: engine.KindChat, Text: text}
	u.openCase(g)
	gid := u.caseOf(store.QueueGeneral, g.EventID)
	m := browser.NewPage(t)
	u.signIn(m, "mina", browserPassword, "")
	m.Navigate(u.url + "/ui/cases/" + gid + "?lang=en")
	noBrowserPII(t, "a moderator's case page", m.HTML(), browserPhone)
	if m.Count("#reveal-reason") != 0 {
		t.Error("a moderator is offered the reveal form")
	}
	checkPage(t, m, u.url, "a moderator's case page with masked content")
	status := browsertest.Eval[int](m, `fetch("/ui/cases/`+gid+`/reveal", {method: "POST",
		headers: {"X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content, "Content-Type": "application/x-www-form-urlencoded"},
		body: "reason=just+curious"}).then(r => r.status)`)
	if status != http.StatusForbidden {
		t.Errorf("a moderator's reveal: status %d, want 403", status)
	}
	denied := u.audits("ui.denied")
	if len(denied) == 0 || !strings.Contains(denied[len(denied)-1].Details, `"reason":"reveal_role"`) || denied[len(denied)-1].Subject != gid {
		t.Errorf("the refusal is not audited: %+v", denied)
	}
	if n := len(u.audits(store.AuditContentRevealed)); n != 1 {
		t.Errorf("%d reveals audited, want the counsellor's 1", n)
	}
}

// colourPNG is an image of fine red and blue squares.
func colourPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{220, 20, 20, 255}
			if (x/8+y/8)%2 == 1 {
				c = color.RGBA{20, 20, 230, 255}
			}
			m.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestBrowserImagesAreBlurredUntilClicked: an image case loads only the
// blurred preview; clicking asks for the original (audited, counted),
// shows it, and the page blurs it again after the configured delay. A
// second click asks the server again.
func TestBrowserImagesAreBlurredUntilClicked(t *testing.T) {
	u := newContentUI(t)
	u.addUser("mina", store.RoleModerator)
	d := heldDecision("img")
	d.EventKind = engine.KindImage
	d.Categories = []engine.Category{engine.Nudity}
	d.Content = &engine.Content{Kind: engine.KindImage, ContentType: "image/png", Image: colourPNG(t, 480, 360)}
	u.openCase(d)
	id := u.caseOf(store.QueueGeneral, d.EventID)
	const img = "[data-preview-image]"
	// attr reads an attribute from the page itself: chromedp's copy of
	// the DOM (Page.Attr) learns of a script's change by an event that
	// may arrive after the next read.
	attr := func(p *browsertest.Page, sel, name string) string {
		t.Helper()
		return browsertest.Eval[string](p, `document.querySelector("`+sel+`").getAttribute("`+name+`") || ""`)
	}
	src := func(p *browsertest.Page) string {
		t.Helper()
		return attr(p, img, "src")
	}
	// loaded waits for the image to finish loading and returns its
	// natural width.
	loaded := func(p *browsertest.Page) int {
		t.Helper()
		return browsertest.Eval[int](p, `new Promise(r => { const i = document.querySelector("`+img+`");
			const done = () => r(i.naturalWidth); if (i.complete && i.naturalWidth) done(); else i.addEventListener("load", done, {once: true}); })`)
	}

	p := browser.NewPage(t)
	u.signIn(p, "mina", browserPassword, "")
	if status := p.Navigate(u.url + "/ui/cases/" + id + "?lang=en"); status != http.StatusOK {
		t.Fatalf("case page: status %d", status)
	}
	if w := loaded(p); w != 480 {
		t.Errorf("blurred preview %d pixels wide, want 480", w)
	}
	if rs := p.RequestsTo("/image/blurred"); len(rs) != 1 || rs[0].Status != http.StatusOK {
		t.Errorf("requests for the blurred preview: %+v", rs)
	}
	if rs := p.RequestsTo("/image/original"); len(rs) != 0 {
		t.Fatalf("the original was requested before any click: %+v", rs)
	}
	if n := len(u.audits(store.AuditImageRevealed)); n != 0 {
		t.Fatalf("%d image reveals before any click", n)
	}
	checkPage(t, p, u.url, "an image case page")
	p.Screenshot("case-image-blurred")

	for look := 1; look <= 2; look++ {
		start := time.Now()
		p.Click(img)
		if !strings.Contains(src(p), "/image/original?look=") {
			t.Fatalf("look %d: the image shows %s, not the original", look, src(p))
		}
		if w := loaded(p); w != 480 {
			t.Errorf("look %d: original %d pixels wide", look, w)
		}
		if rs := p.RequestsTo("/image/original"); len(rs) != look || rs[look-1].Status != http.StatusOK {
			t.Errorf("look %d: requests for the original: %+v", look, rs)
		}
		if pressed := attr(p, "[data-show-original]", "aria-pressed"); pressed != "true" {
			t.Errorf("look %d: the button is not pressed: %q", look, pressed)
		}
		if look == 1 {
			// Greyscale until colour is asked for.
			filter := func() string {
				return browsertest.Eval[string](p, `getComputedStyle(document.querySelector("`+img+`")).filter`)
			}
			if f := filter(); !strings.Contains(f, "grayscale(1)") {
				t.Errorf("the original shows with filter %q, not greyscale", f)
			}
			p.Click("[data-colour]")
			if f := filter(); f != "none" {
				t.Errorf("with colour on, filter %q", f)
			}
			p.Screenshot("case-image-original")
		}
		// Blurred again after the delay, not before.
		browsertest.Eval[bool](p, `new Promise(r => { (function check() {
			if (document.querySelector("`+img+`").getAttribute("src").endsWith("/image/blurred")) r(true); else setTimeout(check, 25); })(); })`)
		if since := time.Since(start); since < testReblur-100*time.Millisecond {
			t.Errorf("look %d: blurred again after %v, before the delay of %v", look, since, testReblur)
		}
		if as := u.audits(store.AuditImageRevealed); len(as) != look || as[look-1].Subject != id {
			t.Errorf("look %d: image reveal audits %+v", look, as)
		}
		if got := p.Text("#reveals-today [data-reveal-count]"); got != fmt.Sprint(look) {
			t.Errorf("look %d: the header counts %s", look, got)
		}
	}
	if pressed := attr(p, "[data-show-original]", "aria-pressed"); pressed != "false" {
		t.Errorf("after re-blurring the button is still pressed")
	}
	checkPage(t, p, u.url, "an image case page after re-blurring")
}

// TestBrowserConversationIsInert: markup, script and handlers in the
// messages of a conversation, their senders and the reported copy render
// as text, before the reveal and after htmx swaps the revealed content
// in: no dialog, no request, no injected element.
func TestBrowserConversationIsInert(t *testing.T) {
	const (
		script = `<script>alert(1)</script>`
		img    = `"><img src=x onerror=alert(2)>`
		link   = `<a href="javascript:alert(3)">go</a>`
	)
	u := newContentUI(t)
	u.addUser("park", store.RoleCounsellor)
	d := youthCase(t, u, "xss",
		engine.ContextMessage{ID: "m-3" + img, SenderID: "peer" + script, Text: script + img + link + " " + browserPhone2, SentAt: time.Now().Add(-time.Minute)})
	id := u.caseOf(store.QueueYouthSafety, d.EventID)

	p := browser.NewPage(t)
	u.signIn(p, "park", browserPassword, "")
	check := func(what string) {
		t.Helper()
		text := p.Text("#content")
		for _, s := range []string{script, "<img src=x onerror=alert(2)>", link, "peer" + script} {
			if !strings.Contains(text, s) {
				t.Errorf("%s does not show %q as text", what, s)
			}
		}
		if ds := p.Dialogs(); len(ds) > 0 {
			t.Errorf("%s opened dialogs: %+v", what, ds)
		}
		injected := browsertest.Eval[[]string](p, `[...document.querySelectorAll("#content *")].flatMap(e => {
			const bad = [];
			if (e.tagName === "SCRIPT" || (e.tagName === "A" && !(e.getAttribute("href") || "").startsWith("/ui/")) ||
				(e.tagName === "IMG" && !e.hasAttribute("data-preview-image"))) bad.push(e.outerHTML);
			for (const a of e.attributes) if (a.name.startsWith("on")) bad.push(e.tagName + " " + a.name);
			return bad;
		})`)
		if len(injected) > 0 {
			t.Errorf("%s holds injected markup: %q", what, injected)
		}
		if rs := p.RequestsTo("/x"); len(rs) > 0 {
			t.Errorf("%s requested %+v", what, rs)
		}
		for _, m := range p.Console() {
			if strings.Contains(m.Text, "Content Security Policy") {
				t.Errorf("%s: %s", what, m)
			}
		}
	}
	p.Navigate(u.url + "/ui/cases/" + id + "?lang=en")
	check("the masked conversation")
	p.Fill("#reveal-reason", "xss check")
	p.Click(`form.reveal button[type=submit]`)
	p.WaitVisible("#content mark.pii")
	check("the revealed conversation")
	checkPage(t, p, u.url, "a revealed conversation with markup in it")
}
