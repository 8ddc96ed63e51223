package reviewerui

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
)

// Personal information the tests put in content: a resident registration
// number with a valid checksum and mobile numbers, which the detector
// finds, and a word only the engine's decision marks.
const (
	testRRN    = "900101-1234568"
	testPhone  = "010-9876-5432"
	testPhone2 = "010-2468-1357"
	testSecret = "hunter2secret" // masked only by the decision's span
)

// spanOf is the code-point span of sub in text, as the engine reports it.
func spanOf(t *testing.T, text, sub string, typ engine.PIIType) engine.PIISpan {
	t.Helper()
	i := strings.Index(text, sub)
	if i < 0 {
		t.Fatalf("%q not in %q", sub, text)
	}
	start := utf8.RuneCountInString(text[:i])
	return engine.PIISpan{Type: typ, Start: start, End: start + utf8.RuneCountInString(sub), Score: 0.9}
}

// piiForms are the ways a number may be written: as given, digits only,
// and its digits with other separators.
func piiForms(s string) []string {
	groups := regexp.MustCompile(`\d+`).FindAllString(s, -1)
	forms := []string{s}
	if len(groups) < 2 {
		return forms // not a number
	}
	for _, sep := range []string{"", "-", " ", ".", "&#45;"} {
		forms = append(forms, strings.Join(groups, sep))
		if len(groups) > 2 {
			// The subscriber number without the prefix.
			forms = append(forms, strings.Join(groups[1:], sep))
		}
	}
	return forms
}

// noPII fails when body holds any form of the personal information.
func noPII(t *testing.T, what, body string, values ...string) {
	t.Helper()
	for _, v := range values {
		for _, f := range piiForms(v) {
			if strings.Contains(body, f) {
				t.Errorf("%s holds %q (a form of %q)", what, f, v)
			}
		}
	}
}

func TestSplitPII(t *testing.T) {
	label := func(p engine.PIIType) string { return "[" + string(p) + "]" }
	render := func(m maskedText) string {
		var b strings.Builder
		for _, p := range m.Parts {
			switch {
			case p.PII == "":
				b.WriteString(p.Text)
			case p.Shown:
				b.WriteString("<" + p.Text + ">")
			default:
				if p.Text != "" {
					t.Errorf("a masked part holds its text %q", p.Text)
				}
				b.WriteString(p.Label)
			}
		}
		return b.String()
	}
	tests := []struct {
		name   string
		text   string
		spans  []engine.PIISpan
		reveal bool
		want   string
		n      int
	}{
		{"nothing", "안녕하세요", nil, false, "안녕하세요", 0},
		{"empty", "", []engine.PIISpan{{Type: "phone", Start: 0, End: 3}}, false, "", 0},
		{"one span in Hangul text", "번호는 010-1234-5678 이야", []engine.PIISpan{{Type: "phone", Start: 4, End: 17}}, false, "번호는 [phone] 이야", 1},
		{"revealed", "번호는 010-1234-5678 이야", []engine.PIISpan{{Type: "phone", Start: 4, End: 17}}, true, "번호는 <010-1234-5678> 이야", 1},
		{"whole text", "a@b.kr", []engine.PIISpan{{Type: "email", Start: 0, End: 6}}, false, "[email]", 1},
		{"spans out of order", "x 11 y 22 z", []engine.PIISpan{{Type: "card", Start: 7, End: 9}, {Type: "phone", Start: 2, End: 4}}, false, "x [phone] y [card] z", 2},
		{"overlapping spans merge", "0123456789", []engine.PIISpan{{Type: "phone", Start: 2, End: 6}, {Type: "card", Start: 4, End: 8}}, false, "01[phone]89", 1},
		{"touching spans merge", "0123456789", []engine.PIISpan{{Type: "phone", Start: 2, End: 5}, {Type: "card", Start: 5, End: 8}}, false, "01[phone]89", 1},
		{"out of range clamped", "abc123", []engine.PIISpan{{Type: "phone", Start: 3, End: 99}, {Type: "card", Start: -5, End: 1}}, false, "[card]bc[phone]", 2},
		{"empty and inverted spans ignored", "abc", []engine.PIISpan{{Type: "phone", Start: 2, End: 2}, {Type: "card", Start: 2, End: 1}}, false, "abc", 0},
		// Each byte of invalid UTF-8 counts as one code point.
		{"invalid UTF-8", "\xff\xfe12", []engine.PIISpan{{Type: "phone", Start: 2, End: 4}}, false, "\ufffd\ufffd[phone]", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, n := splitPII(tt.text, tt.spans, tt.reveal, label)
			if got := render(m); got != tt.want || n != tt.n {
				t.Errorf("splitPII = %q, %d; want %q, %d", got, n, tt.want, tt.n)
			}
		})
	}
}

// piiCase opens a youth-safety case whose content, context, report and
// report context hold personal information, and returns its id.
func piiCase(t *testing.T, u *testUI) (string, *engine.Decision) {
	t.Helper()
	text := "내 주민번호 " + testRRN + " 이고 폰은 " + testPhone + " 야. 비번은 " + testSecret
	d := decision("p", store.QueueYouthSafety, engine.SexualMinors)
	d.PII = []engine.PIISpan{spanOf(t, text, testRRN, engine.PIIResidentRegistration), spanOf(t, text, testPhone, engine.PIIPhone),
		spanOf(t, text, testSecret, engine.PIIBankAccount)}
	d.Content = &engine.Content{Kind: engine.KindChat, Text: text, Context: []engine.ContextMessage{
		// Sent out of order: the page shows them oldest first.
		{ID: "m-2", SenderID: "peer-2", Text: "second: call me on " + testPhone2, SentAt: t0.Add(-time.Minute)},
		{ID: "m-1", SenderID: "peer-1", Text: "first: my number is " + testRRN, SentAt: t0.Add(-2 * time.Minute)},
	}}
	u.open(d)
	if _, err := u.store.FileReport(t.Context(), &store.Report{ReporterID: "rep-1", TargetKind: store.TargetMessage, TargetID: d.EventID,
		Category: engine.Grooming, Details: "he asked for her number, gave his: " + testPhone2,
		Context: []engine.ContextMessage{{ID: d.EventID, SenderID: d.SenderID, Text: "reported copy " + testRRN, SentAt: t0}}}, t0); err != nil {
		t.Fatal(err)
	}
	return u.caseOf(d.EventID).ID, d
}

func TestCasePageMasksPersonalInformation(t *testing.T) {
	u := newTestUI(t)
	id, d := piiCase(t, u)
	c := u.signIn("park", store.RoleCounsellor)
	for _, lang := range languages {
		r := c.get("/ui/cases/" + id + "?lang=" + lang)
		if r.status != http.StatusOK {
			t.Fatalf("%s: status %d", lang, r.status)
		}
		noMissingMessages(t, "case page", r.body)
		noPII(t, "the case page ("+lang+")", r.body, testRRN, testPhone, testPhone2, testSecret)
	}
	body := c.get("/ui/cases/" + id + "?lang=en").body
	for _, want := range []string{
		"[resident registration number masked]", "[phone number masked]", "[bank account masked]",
		"내 주민번호 ", " 이고 폰은 ", "second: call me on ", "he asked for her number, gave his: ",
		"Kept when the engine decided", "Context sent with a report",
		`action="/ui/cases/` + id + `/reveal"`, `hx-post="/ui/cases/` + id + `/reveal"`, `name="reason"`,
		"peer-1", "peer-2", d.SenderID, "2026-11-22 17:58 KST", "2026-11-22 17:59 KST",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the case page lacks %q", want)
		}
	}
	// Oldest first, the case's own message last and marked.
	first, second, own := strings.Index(body, "first: my number"), strings.Index(body, "second: call me"), strings.Index(body, "내 주민번호")
	if first < 0 || !(first < second && second < own) {
		t.Errorf("messages out of order: first %d, second %d, the case's %d", first, second, own)
	}
	if n := strings.Count(body, `class="about" aria-current="true"`); n != 2 {
		// The decided message, and its copy in the report's context.
		t.Errorf("%d messages marked as the case's, want 2", n)
	}
	// 3 in the text, 2 in the context, 1 in the report, 1 in its context.
	if !strings.Contains(body, "7 pieces of personal information are masked.") {
		t.Errorf("the page does not count the masked information: %s", between(body, `id="content"`, "</form>"))
	}
}

func TestCasePageShowsVoiceAndUnfetchedImages(t *testing.T) {
	u := newTestUI(t)
	voice := decision("v", "", engine.Insult)
	voice.EventKind = engine.KindVoice
	voice.Content = &engine.Content{Kind: engine.KindVoice, Text: "transcribed words", ASRConfidence: 0.62}
	byURI := decision("i", "", engine.Insult)
	byURI.EventKind = engine.KindImage
	byURI.Content = &engine.Content{Kind: engine.KindImage, ImageURI: "https://blobs.example/a.png"}
	bare := decision("n", "", engine.Insult)
	u.open(voice, byURI, bare)
	c := u.signIn("kim", store.RoleModerator)
	tests := []struct {
		event   string
		want    []string
		notWant []string
	}{
		{"e-v", []string{"Voice transcript · recognition confidence 0.62", "transcribed words"}, []string{"data-image-preview"}},
		{"e-i", []string{"never fetched in time, so no image was kept"}, []string{"data-image-preview", "blobs.example"}},
		{"e-n", []string{"No content was kept for this case."}, []string{"Reveal (audited)", "pieces of personal information"}},
	}
	for _, tt := range tests {
		t.Run(tt.event, func(t *testing.T) {
			body := c.get("/ui/cases/" + u.caseOf(tt.event).ID + "?lang=en").body
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(body, w) {
					t.Errorf("page holds %q", w)
				}
			}
		})
	}
}

// audits returns the audit log's entries of action.
func (u *testUI) audits(action string) []store.AuditEntry {
	u.t.Helper()
	log, err := u.store.AuditLog(u.t.Context(), 0, 1000)
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

func TestRevealShowsTheContentAndIsAudited(t *testing.T) {
	u := newTestUI(t)
	id, _ := piiCase(t, u)
	park := u.signIn("park", store.RoleCounsellor)
	reveal := func(c *client, reason string, htmx bool) *response {
		t.Helper()
		form := url.Values{"reason": {reason}, "csrf": {c.csrf}}
		req, err := http.NewRequest(http.MethodPost, u.srv.URL+"/ui/cases/"+id+"/reveal?lang=en", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if htmx {
			req.Header.Set("HX-Request", "true")
		}
		return c.do(req)
	}

	t.Run("a reason is required", func(t *testing.T) {
		for _, reason := range []string{"", "   ", strings.Repeat("가", maxRevealReason+1)} {
			r := reveal(park, reason, true)
			if r.status != http.StatusBadRequest {
				t.Errorf("reason %q: status %d", reason, r.status)
			}
			noPII(t, "a refused reveal", r.body, testRRN, testPhone, testPhone2, testSecret)
		}
		if n := len(u.audits(store.AuditContentRevealed)); n != 0 {
			t.Errorf("%d reveals audited without a reason", n)
		}
	})

	t.Run("htmx gets the content revealed", func(t *testing.T) {
		r := reveal(park, "  checking whether the number is the one in the other report  ", true)
		if r.status != http.StatusOK {
			t.Fatalf("status %d\n%s", r.status, r.body)
		}
		if strings.Contains(r.body, "<html") {
			t.Error("htmx got a whole page")
		}
		for _, want := range []string{
			`<section id="content"`, `<mark class="pii">` + testRRN + `</mark>`, `<mark class="pii">` + testPhone + `</mark>`,
			`<mark class="pii">` + testSecret + `</mark>`, testPhone2,
			`<span id="report-text-0" hx-swap-oob="true">he asked for her number, gave his: <mark class="pii">` + testPhone2 + `</mark></span>`,
			`<span id="reveals-today" hx-swap-oob="innerHTML">Revealed today <strong data-reveal-count>1</strong></span>`,
			"This reveal was written to the audit log.",
		} {
			if !strings.Contains(r.body, want) {
				t.Errorf("the reveal lacks %q:\n%s", want, r.body)
			}
		}
		if strings.Contains(r.body, "masked]") || strings.Contains(r.body, `name="reason"`) {
			t.Error("the revealed content still masks something, or offers the form again")
		}
		as := u.audits(store.AuditContentRevealed)
		if len(as) != 1 {
			t.Fatalf("%d reveal audits, want 1", len(as))
		}
		if a := as[0]; a.Actor != "u-park" || a.Subject != id ||
			!strings.Contains(a.Details, `"reason":"checking whether the number is the one in the other report"`) || !strings.Contains(a.Details, `"masked":7`) {
			t.Errorf("audit entry %+v", a)
		}
	})

	t.Run("a page without script gets the whole page", func(t *testing.T) {
		r := reveal(park, "second look", false)
		if r.status != http.StatusOK || !strings.Contains(r.body, "</html>") || !strings.Contains(r.body, `<mark class="pii">`+testRRN) {
			t.Fatalf("status %d\n%s", r.status, r.body)
		}
		if !strings.Contains(r.body, `data-reveal-count>2</strong>`) {
			t.Error("the header does not count the second reveal")
		}
		noMissingMessages(t, "the revealed page", r.body)
	})

	t.Run("the page is masked again after", func(t *testing.T) {
		noPII(t, "the case page after a reveal", park.get("/ui/cases/"+id).body, testRRN, testPhone, testPhone2, testSecret)
	})

	t.Run("reviewers of other queues are refused", func(t *testing.T) {
		kim := u.signIn("kim", store.RoleModerator)
		r := reveal(kim, "curious", true)
		u.wantDenied(r, "u-kim", "queue_role")
		noPII(t, "a refused reveal", r.body, testRRN, testPhone)
		if n := len(u.audits(store.AuditContentRevealed)); n != 2 {
			t.Errorf("%d reveals audited, want the 2 allowed", n)
		}
	})

	t.Run("without the CSRF token", func(t *testing.T) {
		r := park.postForm("/ui/cases/"+id+"/reveal", url.Values{"reason": {"x"}})
		u.wantDenied(r, "u-park", "csrf")
		noPII(t, "a refused reveal", r.body, testRRN, testPhone)
	})
}

// TestModeratorsMayNotReveal: a moderator works the general queue and sees
// its cases masked, with no reveal form, and the endpoint refuses them
// (403, audited) while it answers a senior reviewer on the same case.
func TestModeratorsMayNotReveal(t *testing.T) {
	u := newTestUI(t)
	d := decision("g", "", engine.Scam)
	text := "입금은 " + testPhone + " 로 연락"
	d.PII = []engine.PIISpan{spanOf(t, text, testPhone, engine.PIIPhone)}
	d.Content = &engine.Content{Kind: engine.KindChat, Text: text}
	u.open(d)
	id := u.caseOf(d.EventID).ID
	kim := u.signIn("kim", store.RoleModerator)
	body := kim.get("/ui/cases/" + id + "?lang=en").body
	noPII(t, "the case page", body, testPhone)
	if strings.Contains(body, `name="reason" type="text" required maxlength="500"`) || !strings.Contains(body, "Only counsellors, senior reviewers and appeals reviewers may reveal them.") {
		t.Error("a moderator is offered the reveal form, or not told why not")
	}
	r := kim.post("/ui/cases/"+id+"/reveal", url.Values{"reason": {"need to see it"}})
	u.wantDenied(r, "u-kim", "reveal_role")
	noPII(t, "the refusal", r.body, testPhone)
	if n := len(u.audits(store.AuditContentRevealed)); n != 0 {
		t.Errorf("%d reveals audited", n)
	}

	seo := u.signIn("seo", store.RoleModerator, store.RoleSenior)
	r = seo.post("/ui/cases/"+id+"/reveal", url.Values{"reason": {"ban review"}})
	if r.status != http.StatusOK || !strings.Contains(r.body, testPhone) {
		t.Errorf("a senior reviewer's reveal: %d", r.status)
	}
}

func TestRevealRolesDecideEveryRole(t *testing.T) {
	for _, r := range store.Roles {
		if _, ok := revealRoles[r]; !ok {
			t.Errorf("revealRoles does not decide the role %q", r)
		}
	}
	if len(revealRoles) != len(store.Roles) {
		t.Errorf("revealRoles names %d roles, the store has %d", len(revealRoles), len(store.Roles))
	}
	tests := []struct {
		roles []string
		want  bool
	}{
		{[]string{store.RoleModerator}, false},
		{[]string{store.RoleCounsellor}, true},
		{[]string{store.RoleSenior}, true},
		{[]string{store.RoleAppeals}, true},
		{[]string{store.RoleOperator}, false},
		{[]string{store.RoleAdmin}, false},
		{[]string{store.RoleOperator, store.RoleAdmin}, false},
		{[]string{store.RoleModerator, store.RoleSenior}, true},
		{nil, false},
	}
	for _, tt := range tests {
		if got := canReveal(&Account{Roles: tt.roles}); got != tt.want {
			t.Errorf("canReveal(%v) = %v, want %v", tt.roles, got, tt.want)
		}
	}
	if canReveal(nil) {
		t.Error("canReveal(nil)")
	}
}

// TestRevealsAreCountedPerDayInKST: the header counts the reviewer's own
// reveals of the day in Korea, and starts again at midnight KST.
func TestRevealsAreCountedPerDayInKST(t *testing.T) {
	u := newTestUI(t)
	id, _ := piiCase(t, u)
	park := u.signIn("park", store.RoleCounsellor)
	lee := u.signIn("lee", store.RoleCounsellor)
	count := func(c *client) string {
		t.Helper()
		m := regexp.MustCompile(`id="reveals-today"[^>]*>[^<]*<strong data-reveal-count>(\d+)</strong>`).FindStringSubmatch(c.get("/ui/").body)
		if m == nil {
			t.Fatal("no reveal count in the header")
		}
		return m[1]
	}
	if got := count(park); got != "0" {
		t.Errorf("before any reveal: %s", got)
	}
	for range 2 {
		if r := park.post("/ui/cases/"+id+"/reveal", url.Values{"reason": {"r"}}); r.status != http.StatusOK {
			t.Fatalf("reveal: %d", r.status)
		}
	}
	if got, other := count(park), count(lee); got != "2" || other != "0" {
		t.Errorf("after two reveals: %s, another reviewer %s", got, other)
	}
	// t0 is 18:00 KST: 5 h 59 min later it is still the same day.
	u.clock.Advance(5*time.Hour + 59*time.Minute)
	if got := count(park); got != "2" {
		t.Errorf("at 23:59 KST: %s", got)
	}
	u.clock.Advance(time.Minute)
	if got := count(park); got != "0" {
		t.Errorf("at midnight KST: %s", got)
	}
	if strings.Contains(u.newClient().get("/ui/login").body, "reveals-today") {
		t.Error("the sign-in page shows a reveal count")
	}
}

// between returns the part of s from the first a to the next b, for
// failure messages.
func between(s, a, b string) string {
	i := strings.Index(s, a)
	if i < 0 {
		return ""
	}
	j := strings.Index(s[i:], b)
	if j < 0 {
		return s[i:]
	}
	return s[i : i+j+len(b)]
}
