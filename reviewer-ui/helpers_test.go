package reviewerui

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
)

// t0 is the tests' start time: 18:00 in Seoul.
var t0 = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fakeAccounts stands in for the store's accounts: named users with a
// password and optionally a TOTP code, and sessions in memory.
type fakeAccounts struct {
	mu       sync.Mutex
	users    map[string]*fakeUser // by name
	sessions map[string]*Session  // by token
	ended    []string
	// peeks counts PeekSession calls.
	peeks int
}

type fakeUser struct {
	acct     Account
	password string
	totp     string // the one code accepted; empty for none
	pending  string // a TOTP secret being enrolled
	locked   bool
}

func newFakeAccounts() *fakeAccounts {
	return &fakeAccounts{users: map[string]*fakeUser{}, sessions: map[string]*Session{}}
}

// add makes an account whose id is "u-"+name and password "pw-"+name.
func (f *fakeAccounts) add(name string, roles ...string) *Account {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := &fakeUser{acct: Account{ID: "u-" + name, Name: name, DisplayName: "Reviewer " + name, Roles: roles, TOTPEnabled: true}, password: "pw-" + name}
	f.users[name] = u
	return &u.acct
}

func (f *fakeAccounts) Authenticate(_ context.Context, name, password, code, _ string, _ time.Time) (*Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[name]
	switch {
	case !ok || u.password != password:
		return nil, fmt.Errorf("fake: %w", store.ErrBadCredentials)
	case u.locked:
		return nil, &store.LockedOutError{Until: t0.Add(time.Hour)}
	case u.totp != "" && code != u.totp:
		return nil, fmt.Errorf("fake: %w", store.ErrTOTPRequired)
	case u.acct.NeedsTOTPEnrollment():
		a := u.acct
		return &a, store.ErrTOTPEnrollmentRequired
	}
	a := u.acct
	return &a, nil
}

func (f *fakeAccounts) CreateSession(_ context.Context, userID string, now time.Time) (*Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := &Session{Token: randomToken(), CSRF: randomToken(), UserID: userID, CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(12 * time.Hour)}
	f.sessions[s.Token] = s
	return s, nil
}

func (f *fakeAccounts) SessionByToken(_ context.Context, token string, now time.Time) (*Session, *Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.sessions[token]
	if !ok || !now.Before(s.ExpiresAt) {
		return nil, nil, fmt.Errorf("fake: %w: session", store.ErrNotFound)
	}
	for _, u := range f.users {
		if u.acct.ID == s.UserID {
			a := u.acct
			return s, &a, nil
		}
	}
	return nil, nil, fmt.Errorf("fake: %w: user", store.ErrNotFound)
}

// PeekSession counts the lookups that were not the reviewer's activity.
func (f *fakeAccounts) PeekSession(ctx context.Context, token string, now time.Time) (*Session, *Account, error) {
	f.mu.Lock()
	f.peeks++
	f.mu.Unlock()
	return f.SessionByToken(ctx, token, now)
}

func (f *fakeAccounts) user(id string) *fakeUser {
	for _, u := range f.users {
		if u.acct.ID == id {
			return u
		}
	}
	return nil
}

func (f *fakeAccounts) ChangePassword(_ context.Context, id, old, next, _ string, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := f.user(id)
	switch {
	case u == nil || u.password != old:
		return fmt.Errorf("fake: %w", store.ErrBadCredentials)
	case len(next) < store.MinPasswordLength:
		return fmt.Errorf("fake: %w: too short", store.ErrInvalidUser)
	}
	u.password, u.acct.PasswordChangeRequired = next, false
	for tok, s := range f.sessions {
		if s.UserID == id {
			delete(f.sessions, tok)
		}
	}
	return nil
}

func (f *fakeAccounts) EnrollTOTP(_ context.Context, id string, _ time.Time) (string, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := f.user(id)
	if u == nil {
		return "", "", fmt.Errorf("fake: %w", store.ErrNotFound)
	}
	u.pending = "JBSWY3DPEHPK3PXP"
	return u.pending, "otpauth://totp/Haechi:" + u.acct.Name + "?secret=" + u.pending, nil
}

func (f *fakeAccounts) ConfirmTOTP(_ context.Context, id, code string, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := f.user(id)
	if u == nil || u.pending == "" || code != "654321" {
		return store.ErrBadTOTPCode
	}
	u.acct.TOTPEnabled, u.totp, u.pending = true, code, ""
	return nil
}

func (f *fakeAccounts) UserByName(_ context.Context, name string) (*Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.users[strings.ToLower(name)]
	if !ok {
		return nil, fmt.Errorf("fake: %w: user %s", store.ErrNotFound, name)
	}
	a := u.acct
	return &a, nil
}

func (f *fakeAccounts) EndSession(_ context.Context, token string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.sessions, token)
	f.ended = append(f.ended, token)
	return nil
}

// testUI is the UI on a real SQLite store, served over HTTP.
type testUI struct {
	t        *testing.T
	srv      *httptest.Server
	ui       *Server
	store    *store.Store
	accounts *fakeAccounts
	clock    *clock
}

func newTestUI(t *testing.T, tweak ...func(*Config)) *testUI {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	u := &testUI{t: t, store: st, accounts: newFakeAccounts(), clock: &clock{now: t0}}
	cfg := Config{Store: st, Accounts: u.accounts, Now: u.clock.Now, AppealURL: "https://haechi.example/v1/appeals", Search: st.SearchIndex()}
	for _, f := range tweak {
		f(&cfg)
	}
	u.ui, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	u.srv = httptest.NewServer(u.ui)
	t.Cleanup(u.srv.Close)
	return u
}

// client is one browser: its cookies, and the CSRF token of the last
// page it read.
type client struct {
	t    *testing.T
	ui   *testUI
	http *http.Client
	csrf string
}

func (u *testUI) newClient() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: u.t, ui: u, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// signIn makes an account with roles and a browser signed in to it.
func (u *testUI) signIn(name string, roles ...string) *client {
	u.t.Helper()
	u.accounts.add(name, roles...)
	c := u.newClient()
	c.login(name, "pw-"+name, "")
	if c.csrf == "" {
		u.t.Fatalf("%s: no CSRF token after signing in", name)
	}
	return c
}

var (
	loginTokenRE = regexp.MustCompile(`name="login_token" value="([^"]+)"`)
	csrfRE       = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)
)

// login fills in the sign-in form and returns the answer to posting it.
func (c *client) login(name, password, code string) *response {
	c.t.Helper()
	page := c.get("/ui/login")
	m := loginTokenRE.FindStringSubmatch(page.body)
	if m == nil {
		c.t.Fatalf("no login token on the sign-in page:\n%s", page.body)
	}
	r := c.postForm("/ui/login", url.Values{"login_token": {m[1]}, "name": {name}, "password": {password}, "totp": {code}})
	if r.status == http.StatusSeeOther {
		c.get(r.location)
	}
	return r
}

// response is an answer, read.
type response struct {
	status   int
	header   http.Header
	body     string
	location string
}

func (c *client) do(req *http.Request) *response {
	c.t.Helper()
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	r := &response{status: res.StatusCode, header: res.Header, body: string(b), location: res.Header.Get("Location")}
	if m := csrfRE.FindStringSubmatch(r.body); m != nil {
		c.csrf = m[1]
	}
	return r
}

func (c *client) get(path string) *response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.ui.srv.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

// postForm posts a form as it is, without adding the CSRF token.
func (c *client) postForm(path string, form url.Values) *response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.ui.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// post posts a form with the session's CSRF token.
func (c *client) post(path string, form url.Values) *response {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", c.csrf)
	return c.postForm(path, form)
}

// decision is a stored decision that opens a case (hold) in queue.
func decision(id string, queue string, cats ...engine.Category) *engine.Decision {
	return &engine.Decision{
		ID: "d-" + id, EventID: "e-" + id, EventKind: engine.KindChat, World: "w", SenderID: "author-" + id,
		Space: engine.Space{ID: "plaza-1", Type: engine.SpacePlaza}, Action: engine.ActionHold, Queue: queue,
		Categories: cats, RuleIDs: []string{"hold.insult"}, Principle: "inclusiveness", Value: "safe_experience", Severity: "medium",
		Reasons:        []engine.Reason{{RuleID: "hold.insult", KO: "모욕적인 표현이 있습니다.", EN: "The message is insulting."}},
		Fired:          []engine.FiredRule{{RuleID: "hold.insult", Action: engine.ActionHold, Category: engine.Insult, Principle: "inclusiveness", Severity: "medium"}},
		Scores:         engine.Scores{engine.Insult: 0.81, engine.Toxic: 0.81},
		PolicyRevision: "rev-1", ModelVersions: map[string]string{"text": "v1"}, DecidedAt: t0,
	}
}

// open stores decisions, which opens their cases.
func (u *testUI) open(ds ...*engine.Decision) {
	u.t.Helper()
	if _, err := u.store.SaveDecisions(context.Background(), ds); err != nil {
		u.t.Fatal(err)
	}
}

// caseOf returns the open case of an event.
func (u *testUI) caseOf(eventID string) *store.Case {
	u.t.Helper()
	for _, q := range store.QueueOrder {
		p, err := u.store.ListCases(context.Background(), store.CaseFilter{Queue: q, Now: u.clock.Now(), Limit: 500})
		if err != nil {
			u.t.Fatal(err)
		}
		for _, c := range p.Cases {
			if c.EventID == eventID {
				return c
			}
		}
	}
	u.t.Fatalf("no open case for event %s", eventID)
	return nil
}

// denials returns the audit log's refusals as "actor reason".
func (u *testUI) denials() []string {
	u.t.Helper()
	log, err := u.store.AuditLog(context.Background(), 0, 1000)
	if err != nil {
		u.t.Fatal(err)
	}
	var out []string
	for _, e := range log {
		if e.Action == "ui.denied" {
			m := regexp.MustCompile(`"reason":"([a-z_]+)"`).FindStringSubmatch(e.Details)
			reason := ""
			if m != nil {
				reason = m[1]
			}
			out = append(out, e.Actor+" "+reason)
		}
	}
	return out
}

// wantDenied checks that the answer is a 403 and the audit log's last
// refusal is actor's for reason.
func (u *testUI) wantDenied(r *response, actor, reason string) {
	u.t.Helper()
	if r.status != http.StatusForbidden {
		u.t.Fatalf("status %d, want 403:\n%s", r.status, r.body)
	}
	d := u.denials()
	if actor == "anonymous" {
		// Only signed-in reviewers' refusals are audited: anyone could
		// fill the audit log with anonymous ones.
		if len(d) != 0 {
			u.t.Errorf("anonymous refusals audited: %v", d)
		}
		return
	}
	if len(d) == 0 || d[len(d)-1] != actor+" "+reason {
		u.t.Errorf("audit log refusals %v, want the last to be %q", d, actor+" "+reason)
	}
}

// noMissingMessages fails when a page shows a key no catalogue holds.
func noMissingMessages(t *testing.T, what, body string) {
	t.Helper()
	if i := strings.Index(body, missingMessage); i >= 0 {
		t.Errorf("%s shows a missing message: %s", what, body[i:min(len(body), i+80)])
	}
}
