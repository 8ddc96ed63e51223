package browsertest_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp/kb"

	"github.com/haechi-tns/haechi/reviewer-ui/browsertest"
)

var browser = browsertest.New()

func TestMain(m *testing.M) {
	code := m.Run()
	browser.Close()
	os.Exit(code)
}

// The pages of the harness's own tests. Scripts are files, never inline,
// because the pages are served with a Content-Security-Policy as strict as
// the reviewer UI's: the harness must work under it.
const csp = "default-src 'self'; script-src 'self'; img-src 'self'; style-src 'self'; frame-ancestors 'none'"

var pages = map[string]string{
	"/": `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Start</title><script src="/app.js"></script></head>
<body><main>
<h1 id="title">Start</h1>
<button id="go" type="button">Go</button>
<label for="note">Note</label> <input id="note" type="text">
<p id="keys"></p>
<img id="photo" src="/blurred.png" alt="A blurred photo" width="8" height="8">
<button id="reveal" type="button">Reveal</button>
<a id="next" href="/next">Next page</a>
</main></body></html>`,
	"/app.js": `document.addEventListener("DOMContentLoaded", () => {
	const $ = id => document.getElementById(id);
	$("go").addEventListener("click", () => { $("title").textContent = "Clicked"; });
	document.addEventListener("keydown", e => {
		const where = e.target.id || e.target.tagName.toLowerCase();
		$("keys").textContent += ($("keys").textContent ? "," : "") + where + ":" + e.key;
	});
	$("reveal").addEventListener("click", () => { $("photo").src = "/original.png"; });
});`,
	"/next": `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Next</title></head>
<body><main><h1>Next</h1></main></body></html>`,
	"/alert": `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Alert</title></head>
<body><main><h1>Alert</h1><p id="after"></p><script src="/alert.js"></script></main></body></html>`,
	"/alert.js": `alert("boom"); document.getElementById("after").textContent = "went on";`,
	"/confirm": `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Confirm</title></head>
<body><main><h1>Confirm</h1><p id="answer"></p><script src="/confirm.js"></script></main></body></html>`,
	"/confirm.js": `document.getElementById("answer").textContent = String(confirm("Ban?"));`,
	// Inaccessible on purpose: an image without alt, a field without a
	// label, a button without a name.
	"/bad": `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bad</title></head>
<body><main><h1>Bad</h1><img src="/blurred.png"><input id="q" type="text"><button type="button"></button></main></body></html>`,
	"/tall": `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tall</title><link rel="stylesheet" href="/tall.css"></head>
<body><main><h1>Tall</h1><div class="tall"></div><p id="end">End</p></main></body></html>`,
	"/tall.css": `.tall { height: 2400px; background: linear-gradient(#fff, #ccc); }`,
	// An inline script and an image from elsewhere, both refused by the
	// CSP: what injected markup would look like to the browser.
	"/injected": `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Injected</title></head>
<body><main><h1>Injected</h1><script>document.title = "ran"</script><img alt="x" src="http://127.0.0.1:9/x.png"></main></body></html>`,
}

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	var img bytes.Buffer
	m := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range m.Pix {
		m.Pix[i] = 0x80
	}
	m.Set(0, 0, color.Black)
	if err := png.Encode(&img, m); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for path, body := range pages {
		ctype := "text/html; charset=utf-8"
		switch {
		case strings.HasSuffix(path, ".js"):
			ctype = "text/javascript"
		case strings.HasSuffix(path, ".css"):
			ctype = "text/css"
		}
		pattern := "GET " + path
		if path == "/" {
			pattern = "GET /{$}"
		}
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ctype)
			w.Header().Set("Content-Security-Policy", csp)
			fmt.Fprint(w, body)
		})
	}
	for _, p := range []string{"/blurred.png", "/original.png"} {
		mux.HandleFunc("GET "+p, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "image/png")
			w.Write(img.Bytes())
		})
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestNavigateClickAndKeys(t *testing.T) {
	srv := newServer(t)
	p := browser.NewPage(t)

	if status := p.Navigate(srv.URL + "/"); status != http.StatusOK {
		t.Fatalf("status %d, want 200", status)
	}
	if got := p.Text("#title"); got != "Start" {
		t.Fatalf("title %q before the click, want Start", got)
	}
	p.Click("#go")
	if got := p.Text("#title"); got != "Clicked" {
		t.Errorf("title %q after the click, want Clicked", got)
	}

	p.Fill("#note", "ab")
	if v := browsertest.Eval[string](p, `document.getElementById("note").value`); v != "ab" {
		t.Errorf("note %q after Fill, want ab", v)
	}
	p.Fill("#note", "xy") // replaces, not appends
	if v := browsertest.Eval[string](p, `document.getElementById("note").value`); v != "xy" {
		t.Errorf("note %q after a second Fill, want xy", v)
	}
	p.Press(kb.Escape)
	browsertest.Eval[bool](p, `document.activeElement.blur(), true`)
	p.Press("j")
	want := "note:a,note:b,note:x,note:y,note:Escape,body:j"
	if got := p.Text("#keys"); got != want {
		t.Errorf("key events %q, want %q", got, want)
	}

	if n := p.Count("button"); n != 2 {
		t.Errorf("Count(button) = %d, want 2", n)
	}
	if n := p.Count(".absent"); n != 0 {
		t.Errorf("Count(.absent) = %d, want 0", n)
	}
	if v, ok := p.Attr("#photo", "alt"); !ok || v != "A blurred photo" {
		t.Errorf("Attr(#photo, alt) = %q, %v", v, ok)
	}

	if status := p.ClickNavigate("#next"); status != http.StatusOK {
		t.Errorf("status %d after following the link, want 200", status)
	}
	if loc := p.Location(); loc != srv.URL+"/next" {
		t.Errorf("location %q, want %q", loc, srv.URL+"/next")
	}
}

// recorder is a testing.TB that keeps the failures of the harness's
// checks, so that a test can show that a check fails, and runs the
// cleanups when asked. Fatal and Skip end the calling goroutine, as in a
// real test.
type recorder struct {
	testing.TB
	mu       sync.Mutex
	failures []string
	skipped  []string
	cleanups []func()
}

func (r *recorder) Errorf(format string, args ...any) { r.fail(fmt.Sprintf(format, args...)) }
func (r *recorder) Error(args ...any)                 { r.fail(fmt.Sprint(args...)) }
func (r *recorder) Fatalf(format string, args ...any) {
	r.fail(fmt.Sprintf(format, args...))
	runtime.Goexit()
}
func (r *recorder) Fatal(args ...any) { r.fail(fmt.Sprint(args...)); runtime.Goexit() }
func (r *recorder) Skip(args ...any) {
	r.mu.Lock()
	r.skipped = append(r.skipped, fmt.Sprint(args...))
	r.mu.Unlock()
	runtime.Goexit()
}
func (r *recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }

func (r *recorder) fail(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, msg)
}

// finish runs the cleanups, last first, as testing does at the end of a
// test.
func (r *recorder) finish() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
	r.cleanups = nil
}

// inGoroutine runs f as a test body would run: Fatal and Skip end it, not
// the caller.
func inGoroutine(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}

func TestDialogs(t *testing.T) {
	srv := newServer(t)

	t.Run("an alert fails the test", func(t *testing.T) {
		rec := &recorder{TB: t}
		p := browser.NewPage(rec)
		p.Navigate(srv.URL + "/alert")
		if got := p.Text("#after"); got != "went on" {
			t.Errorf("after the alert the page shows %q, want %q: the dialog was not dismissed", got, "went on")
		}
		ds := p.Dialogs()
		if len(ds) != 1 || ds[0].Type != "alert" || ds[0].Message != "boom" {
			t.Errorf("dialogs %+v, want one alert(boom)", ds)
		}
		rec.finish()
		if len(rec.failures) != 1 || !strings.Contains(rec.failures[0], `alert("boom")`) {
			t.Errorf("failures at the end of the test: %q, want one naming alert(\"boom\")", rec.failures)
		}
	})

	t.Run("a page without dialogs passes", func(t *testing.T) {
		rec := &recorder{TB: t}
		p := browser.NewPage(rec)
		p.Navigate(srv.URL + "/")
		p.Click("#go")
		rec.finish()
		if len(rec.failures) != 0 {
			t.Errorf("failures: %q, want none", rec.failures)
		}
	})

	for _, accept := range []bool{true, false} {
		t.Run(fmt.Sprintf("expected confirm answered %v", accept), func(t *testing.T) {
			rec := &recorder{TB: t}
			p := browser.NewPage(rec)
			p.ExpectDialogs(accept)
			p.Navigate(srv.URL + "/confirm")
			if got, want := p.Text("#answer"), fmt.Sprint(accept); got != want {
				t.Errorf("confirm returned %s, want %s", got, want)
			}
			if ds := p.Dialogs(); len(ds) != 1 || ds[0].Type != "confirm" {
				t.Errorf("dialogs %+v, want one confirm", ds)
			}
			rec.finish()
			if len(rec.failures) != 0 {
				t.Errorf("failures: %q, want none: the test expected the dialog", rec.failures)
			}
		})
	}
}

func TestRequests(t *testing.T) {
	srv := newServer(t)
	p := browser.NewPage(t)
	p.Navigate(srv.URL + "/")

	var urls []string
	for _, r := range p.Requests() {
		urls = append(urls, r.Method+" "+strings.TrimPrefix(r.URL, srv.URL))
	}
	for _, want := range []string{"GET /", "GET /app.js", "GET /blurred.png"} {
		if !slices.Contains(urls, want) {
			t.Errorf("requests %q lack %q", urls, want)
		}
	}
	if rs := p.RequestsTo("/blurred.png"); len(rs) != 1 || rs[0].Status != 200 || rs[0].Type != "Image" {
		t.Errorf("requests to /blurred.png: %+v, want one Image answered 200", rs)
	}
	if rs := p.RequestsTo("/original.png"); len(rs) != 0 {
		t.Fatalf("the original was requested before the click: %+v", rs)
	}
	p.Click("#reveal")
	if r := p.WaitRequest("/original.png"); r.Method != "GET" {
		t.Errorf("request for the original: %+v", r)
	}
}

func TestRefusedByCSP(t *testing.T) {
	srv := newServer(t)
	p := browser.NewPage(t)
	p.Navigate(srv.URL + "/injected")

	// The inline script did not run, and the browser said why.
	if title := browsertest.Eval[string](p, "document.title"); title != "Injected" {
		t.Errorf("title %q: the inline script ran despite the CSP", title)
	}
	var violations []string
	for _, m := range p.Console() {
		if strings.Contains(m.Text, "Content Security Policy") {
			violations = append(violations, m.String())
		}
	}
	if len(violations) < 2 {
		t.Errorf("console: %v; want the script's and the image's CSP violations", p.Console())
	}
	// A request the CSP refused is still recorded, with the reason: "no
	// request" assertions see it.
	rs := p.RequestsTo("127.0.0.1:9/x.png")
	if len(rs) != 1 || rs[0].Failure != "csp" {
		t.Errorf("requests to the refused image: %+v, want one that failed with csp", rs)
	}
}

func TestScreenshot(t *testing.T) {
	srv := newServer(t)
	p := browser.NewPage(t)
	p.Navigate(srv.URL + "/tall")
	path := p.Screenshot("tall page")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, format, err := image.DecodeConfig(f)
	if err != nil || format != "png" {
		t.Fatalf("%s: format %q, error %v; want a PNG", path, format, err)
	}
	// The whole page, not the 900-pixel viewport.
	if cfg.Height < 2400 || cfg.Width < 1000 {
		t.Errorf("screenshot is %d×%d, want the whole page (at least 2400 high)", cfg.Width, cfg.Height)
	}
}

func TestAxe(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		path string
		want []string // rule ids of the serious and critical violations
	}{
		{"/", nil},
		{"/bad", []string{"button-name", "image-alt", "label"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p := browser.NewPage(t)
			p.Navigate(srv.URL + tt.path)
			start := time.Now()
			vs := p.AxeViolations()
			t.Logf("axe-core took %v", time.Since(start).Round(time.Millisecond))
			var got []string
			for _, v := range vs {
				got = append(got, v.ID)
				if v.Impact != "serious" && v.Impact != "critical" {
					t.Errorf("violation of impact %q reported: %s", v.Impact, v)
				}
				if len(v.Nodes) == 0 || v.Nodes[0].Target == "" {
					t.Errorf("violation without the element: %s", v)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("violations %q, want %q; details:\n%v", got, tt.want, vs)
			}
		})
	}

	t.Run("CheckAxe fails the test", func(t *testing.T) {
		rec := &recorder{TB: t}
		p := browser.NewPage(rec)
		p.Navigate(srv.URL + "/bad")
		p.CheckAxe("the bad page")
		rec.finish()
		if len(rec.failures) != 3 || !strings.Contains(strings.Join(rec.failures, "\n"), "image-alt (critical)") {
			t.Errorf("failures %q, want three, one naming image-alt (critical)", rec.failures)
		}
	})
}

func TestMissingBrowser(t *testing.T) {
	tests := []struct {
		name, ci    string
		wantFailure bool
	}{
		{"skips outside CI", "", false},
		{"fails in CI", "true", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			rec := &recorder{TB: t}
			inGoroutine(func() { browsertest.Unavailable(rec, "browsertest: Chromium not found: run scripts/setup.sh") })
			msgs := rec.skipped
			if tt.wantFailure {
				msgs = rec.failures
			}
			if len(msgs) != 1 || !strings.Contains(msgs[0], "run scripts/setup.sh") {
				t.Errorf("skipped %q, failed %q", rec.skipped, rec.failures)
			}
		})
	}

	t.Run("HAECHI_CHROMIUM that cannot run fails even outside CI", func(t *testing.T) {
		t.Setenv("CI", "")
		t.Setenv("HAECHI_CHROMIUM", t.TempDir()+"/no-such-chromium")
		b := browsertest.New()
		defer b.Close()
		rec := &recorder{TB: t}
		inGoroutine(func() { b.NewPage(rec) })
		if len(rec.failures) != 1 || !strings.Contains(rec.failures[0], "HAECHI_CHROMIUM") {
			t.Errorf("skipped %q, failed %q; want one failure naming HAECHI_CHROMIUM", rec.skipped, rec.failures)
		}
	})
}

// BenchmarkPage measures what each browser test pays besides its own
// work: a tab in a new browser context, one navigation, and closing both.
func BenchmarkPage(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, pages["/next"])
	}))
	defer srv.Close()
	browser.NewPage(b).Close() // the browser's start is not measured
	for b.Loop() {
		p := browser.NewPage(b)
		p.Navigate(srv.URL)
		p.Close()
	}
}
