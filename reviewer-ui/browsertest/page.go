package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Page is one browser tab for one test, in a browser context of its own:
// cookies and storage are not shared with other tests. Its helpers take CSS
// selectors, wait for what they need (up to ActionTimeout) and stop the test
// with t.Fatal when they cannot do it, so they must be called from the
// test's goroutine. The tab closes when the test ends.
type Page struct {
	t      testing.TB
	b      *Browser
	ctx    context.Context // the tab's chromedp context
	cancel context.CancelFunc

	mu        sync.Mutex
	closed    bool
	requests  []Request
	byID      map[network.RequestID]int // request id → index in requests, latest redirect
	dialogs   []Dialog
	expected  bool // the test reads the dialogs itself
	accept    bool // how opened dialogs are answered
	console   []ConsoleMessage
	listeners sync.WaitGroup // goroutines answering dialogs
}

// Request is a network request the page made: documents, scripts, images,
// fetches, including those that failed or that the browser blocked (for
// example by the Content-Security-Policy).
type Request struct {
	URL    string
	Method string
	Type   string // the resource type: Document, Script, Image, XHR, Fetch, …
	Status int64  // the response's HTTP status; 0 while none has arrived
	// Failure is why the request did not complete (a net:: error text, or
	// the reason it was blocked, such as "csp"); empty when it did.
	Failure string
}

// Dialog is a JavaScript dialog the page opened: alert, confirm, prompt or
// beforeunload.
type Dialog struct {
	Type    string
	Message string
	URL     string // the frame's
}

// ConsoleMessage is something the page wrote to the console: a console.*
// call, an uncaught exception, or an entry of the browser's log (network
// errors, Content-Security-Policy violations: Source "security" or
// "network", and so on).
type ConsoleMessage struct {
	Level  string // log, info, warning, error, exception, …
	Source string // the browser log's source; empty for console.* and exceptions
	Text   string
	URL    string
}

func (m ConsoleMessage) String() string {
	s := m.Level
	if m.Source != "" {
		s += "/" + m.Source
	}
	s += ": " + m.Text
	if m.URL != "" {
		s += " (" + m.URL + ")"
	}
	return s
}

// NewPage opens a new tab, in a new browser context, for the test t, and
// closes it when t ends. The first call starts the browser. When Chromium
// is not installed it skips t, or fails it if CI is set; a browser that is
// installed but does not start always fails t.
func (b *Browser) NewPage(t testing.TB) *Page {
	t.Helper()
	started := false
	b.once.Do(func() { b.start(); started = true })
	if b.err != nil {
		t.Fatal(b.err)
	}
	if b.path == "" {
		unavailable(t, b.missing)
	}
	if started {
		t.Logf("browsertest: %s (%s) started in %v", b.product, b.path, b.startup.Round(time.Millisecond))
	}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	p := &Page{t: t, b: b, ctx: ctx, byID: make(map[network.RequestID]int)}
	// Listen opens the tab. Its func sees each event before any later
	// command returns, so a request or a dialog caused by an action is
	// recorded by the time the action's helper returns.
	if err := chromedp.Listen(ctx, p.onEvent); err != nil {
		cancel()
		t.Fatalf("browsertest: open a tab: %v", err)
	}
	p.cancel = cancel
	t.Cleanup(p.Close)
	return p
}

// Close checks that no unexpected dialog opened (failing the test if one
// did), then closes the tab and disposes of its browser context. It runs
// by itself when the test ends; a test calls it to close a page sooner,
// for example to sign a second reviewer out. The page is unusable after.
func (p *Page) Close() {
	p.t.Helper()
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	dialogs, expected := p.dialogs, p.expected
	p.mu.Unlock()
	if len(dialogs) > 0 && !expected {
		p.t.Errorf("browsertest: the page opened %d JavaScript dialog(s), and none was expected: %s", len(dialogs), formatDialogs(dialogs))
	}
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	_ = chromedp.Cancel(ctx)
	cancel()
	p.cancel()
	p.listeners.Wait()
}

// onEvent runs on chromedp's reading goroutine, in the order events
// arrive: it must only record and return (see chromedp.Listen).
func (p *Page) onEvent(ev any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	switch e := ev.(type) {
	case *page.EventJavascriptDialogOpening:
		p.dialogs = append(p.dialogs, Dialog{Type: string(e.Type), Message: e.Message, URL: e.URL})
		// An open dialog stops the page's scripts until it is answered, and
		// an answer is a command, which cannot be sent from here.
		accept := p.accept
		p.listeners.Add(1)
		go func() {
			defer p.listeners.Done()
			_, _ = chromedp.Call(p.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: accept})
		}()
	case *network.EventRequestWillBeSent:
		if e.Request == nil {
			return
		}
		p.byID[e.RequestID] = len(p.requests)
		p.requests = append(p.requests, Request{URL: e.Request.URL, Method: e.Request.Method, Type: string(e.Type)})
	case *network.EventResponseReceived:
		if i, ok := p.byID[e.RequestID]; ok && e.Response != nil {
			p.requests[i].Status = e.Response.Status
		}
	case *network.EventLoadingFailed:
		if i, ok := p.byID[e.RequestID]; ok {
			p.requests[i].Failure = e.ErrorText
			if e.BlockedReason != "" {
				p.requests[i].Failure = string(e.BlockedReason)
			}
		}
	case *runtime.EventConsoleAPICalled:
		args := make([]string, 0, len(e.Args))
		for _, a := range e.Args {
			args = append(args, remoteText(a))
		}
		m := ConsoleMessage{Level: string(e.Type), Text: strings.Join(args, " ")}
		if e.StackTrace != nil && len(e.StackTrace.CallFrames) > 0 {
			m.URL = e.StackTrace.CallFrames[0].URL
		}
		p.console = append(p.console, m)
	case *runtime.EventExceptionThrown:
		if d := e.ExceptionDetails; d != nil {
			text := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				text += " " + d.Exception.Description
			}
			p.console = append(p.console, ConsoleMessage{Level: "exception", Text: text, URL: d.URL})
		}
	case *cdplog.EventEntryAdded:
		if en := e.Entry; en != nil {
			p.console = append(p.console, ConsoleMessage{Level: string(en.Level), Source: string(en.Source), Text: en.Text, URL: en.URL})
		}
	}
}

func remoteText(o *runtime.RemoteObject) string {
	if o == nil {
		return ""
	}
	if len(o.Value) > 0 {
		var s string
		if json.Unmarshal(o.Value, &s) == nil {
			return s
		}
		return string(o.Value)
	}
	if o.UnserializableValue != "" {
		return string(o.UnserializableValue)
	}
	return o.Description
}

// Context is the tab's chromedp context, for actions the helpers do not
// cover: chromedp.Run(p.Context(), …). Derive a context with a timeout from
// it for each call; a deadline on it would close the tab.
func (p *Page) Context() context.Context { return p.ctx }

// do runs actions on the tab within ActionTimeout, failing the test with
// what and the error.
func (p *Page) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, ActionTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("browsertest: %s: %v", what, err)
	}
}

// run is do for an action with a result.
func run[T any](p *Page, what string, a chromedp.Action[T]) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, ActionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		p.t.Fatalf("browsertest: %s: %v", what, err)
	}
	return v
}

// Navigate loads url and waits for its load event; it returns the HTTP
// status of the document.
func (p *Page) Navigate(url string) int {
	p.t.Helper()
	resp := run(p, "navigate to "+url, chromedp.NavigateResponse(url))
	if resp == nil {
		return 0
	}
	return int(resp.Status)
}

// SetLanguage makes the tab send Accept-Language: lang with every request
// from now on.
func (p *Page) SetLanguage(lang string) {
	p.t.Helper()
	p.do("set Accept-Language", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
			Headers: network.Headers{"Accept-Language": lang},
		})
		return err
	}))
}

// Click clicks the first element matching sel once it is visible. It does
// not wait for what the click starts; see ClickNavigate.
func (p *Page) Click(sel string) {
	p.t.Helper()
	p.do("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// ClickNavigate clicks the first element matching sel, waits for the
// navigation it starts (a link, a form's submit button) to load, and
// returns the new document's HTTP status.
func (p *Page) ClickNavigate(sel string) int {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, ActionTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		p.t.Fatalf("browsertest: click %s and wait for the page it loads: %v", sel, err)
	}
	return int(resp.Status)
}

// Fill replaces the value of the input or textarea matching sel by typing
// value into it, key by key, so the page's key handlers see each one.
func (p *Page) Fill(sel, value string) {
	p.t.Helper()
	// chromedp.SetValue(sel, "") fails in v0.23.1 ("could not set value"),
	// so the old value is cleared by a script.
	p.do("fill "+sel,
		chromedp.Query(chromedp.CSS(sel), chromedp.NodeVisible),
		chromedp.Evaluate[chromedp.Void]("document.querySelector("+jsString(sel)+").value = ''"),
		chromedp.SendKeys(chromedp.CSS(sel), value, chromedp.NodeVisible),
	)
}

// Type types keys into the element matching sel, after focusing it,
// without clearing it first. "\n" is Enter; kb holds names of other keys.
func (p *Page) Type(sel, keys string) {
	p.t.Helper()
	p.do("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), keys, chromedp.NodeVisible))
}

// Press sends keys to whatever has the focus (the document's body when
// nothing does), as a person at the keyboard would: a keydown, a char and
// a keyup per key. Special keys are in github.com/chromedp/chromedp/kb
// (kb.Enter, kb.Escape, kb.Tab, …).
func (p *Page) Press(keys string) {
	p.t.Helper()
	p.do(fmt.Sprintf("press %q", keys), chromedp.KeyEvent(keys))
}

// Focus gives the element matching sel the focus.
func (p *Page) Focus(sel string) {
	p.t.Helper()
	p.do("focus "+sel, chromedp.Focus(chromedp.CSS(sel), chromedp.NodeVisible))
}

// Text returns the rendered text (innerText) of the first element matching
// sel.
func (p *Page) Text(sel string) string {
	p.t.Helper()
	return run(p, "read the text of "+sel, chromedp.Text(chromedp.CSS(sel)))
}

// Attr returns the attribute name of the first element matching sel, and
// whether it has it.
func (p *Page) Attr(sel, name string) (string, bool) {
	p.t.Helper()
	r := run(p, "read "+name+" of "+sel, chromedp.AttributeValue(chromedp.CSS(sel), name))
	return r.Value, r.Exists
}

// Count returns how many elements match sel now, without waiting: 0 is an
// answer, not a failure.
func (p *Page) Count(sel string) int {
	p.t.Helper()
	return Eval[int](p, "document.querySelectorAll("+jsString(sel)+").length")
}

// WaitVisible waits until an element matching sel is visible.
func (p *Page) WaitVisible(sel string) {
	p.t.Helper()
	p.do("wait for "+sel+" to be visible", chromedp.Query(chromedp.CSS(sel), chromedp.NodeVisible))
}

// WaitGone waits until no element matches sel.
func (p *Page) WaitGone(sel string) {
	p.t.Helper()
	p.do("wait for "+sel+" to go", chromedp.Query(chromedp.CSS(sel), chromedp.NodeNotPresent))
}

// Location returns the document's URL.
func (p *Page) Location() string {
	p.t.Helper()
	return run(p, "read the location", chromedp.Location())
}

// HTML returns the serialised DOM as it is now (not the HTML the server
// sent: scripts may have changed it).
func (p *Page) HTML() string {
	p.t.Helper()
	return Eval[string](p, "document.documentElement.outerHTML")
}

// Eval evaluates a JavaScript expression in the page and decodes its
// result into T (see chromedp.Evaluate). A promise is awaited.
func Eval[T any](p *Page, expression string) T {
	p.t.Helper()
	return run(p, "evaluate "+abbreviate(expression), chromedp.Evaluate[T](expression, chromedp.EvalAwaitPromise))
}

// Screenshot captures the whole page, not only the viewport, as a PNG
// named name.png in the test's artefact folder (t.ArtifactDir: kept under
// -outputdir when go test runs with -artifacts, else removed after the
// test), and returns the file's path.
func (p *Page) Screenshot(name string) string {
	p.t.Helper()
	png := run(p, "take a screenshot", chromedp.FullScreenshot(100))
	path := filepath.Join(p.t.ArtifactDir(), safeName(name)+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatalf("browsertest: write the screenshot: %v", err)
	}
	p.t.Logf("browsertest: screenshot %s", path)
	return path
}

// Requests returns every request the page has made so far, in order.
func (p *Page) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.requests)
}

// RequestsTo returns the requests whose URL contains part.
func (p *Page) RequestsTo(part string) []Request {
	var out []Request
	for _, r := range p.Requests() {
		if strings.Contains(r.URL, part) {
			out = append(out, r)
		}
	}
	return out
}

// WaitRequest waits until the page has made a request whose URL contains
// part, and returns the first one.
func (p *Page) WaitRequest(part string) Request {
	p.t.Helper()
	deadline := time.Now().Add(ActionTimeout)
	for {
		if rs := p.RequestsTo(part); len(rs) > 0 {
			return rs[0]
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("browsertest: no request to %q within %v; requests: %s", part, ActionTimeout, formatRequests(p.Requests()))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Dialogs returns the JavaScript dialogs the page has opened so far. Each
// was dismissed at once (or accepted: see ExpectDialogs).
func (p *Page) Dialogs() []Dialog {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.dialogs)
}

// ExpectDialogs tells the page that the test checks dialogs itself, so
// that one opening does not fail the test when it ends, and whether to
// accept dialogs that open from now on (OK) or dismiss them (Cancel).
func (p *Page) ExpectDialogs(accept bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.expected, p.accept = true, accept
}

// Console returns what the page has written to the console so far.
func (p *Page) Console() []ConsoleMessage {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.console)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func safeName(s string) string {
	s = unsafeChars.ReplaceAllString(s, "_")
	if s == "" {
		return "screenshot"
	}
	return s
}

func abbreviate(s string) string {
	if r := []rune(s); len(r) > 80 {
		return string(r[:77]) + "…"
	}
	return s
}

func formatDialogs(ds []Dialog) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = fmt.Sprintf("%s(%q) from %s", d.Type, d.Message, d.URL)
	}
	return strings.Join(parts, "; ")
}

func formatRequests(rs []Request) string {
	if len(rs) == 0 {
		return "none"
	}
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.Method + " " + r.URL
	}
	return strings.Join(parts, ", ")
}
