// Package browsertest drives a real headless Chromium for the reviewer UI's
// browser tests: one browser per test binary, a fresh tab in a fresh browser
// context (its own cookies and storage) per test, and helpers that fail the
// test with a clear message instead of returning errors. Every page records
// the network requests it makes and the JavaScript dialogs it opens (a
// dialog fails the test unless the test said it expects one), and can be
// checked with axe-core and captured as a screenshot artefact.
//
// Chromium is Debian's (/usr/bin/chromium), installed with axe-core by
// scripts/setup.sh; HAECHI_CHROMIUM names another binary. When either is
// missing, a test skips with a message saying to run scripts/setup.sh, but
// when the environment variable CI is set it fails: in CI the browser tests
// must run, never quietly skip.
//
// A test package keeps one Browser and closes it after its tests:
//
//	var browser = browsertest.New()
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		browser.Close()
//		os.Exit(code)
//	}
//
//	func TestSignIn(t *testing.T) {
//		p := browser.NewPage(t)
//		p.Navigate(srv.URL + "/ui/login")
//		p.Fill("#username", "mina")
//		...
//	}
package browsertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// Timeouts of the helpers. The browser itself has none: it lives until
// Close.
const (
	// ActionTimeout bounds one helper (a navigation, a click, a wait).
	ActionTimeout = 15 * time.Second
	// AxeTimeout bounds one axe-core run, which can take seconds on a
	// large page under the race detector.
	AxeTimeout = 60 * time.Second
)

// setupHint ends every message about something scripts/setup.sh installs.
const setupHint = "run scripts/setup.sh"

// Browser is one headless Chromium shared by the tests of a test binary. It
// starts at the first NewPage, not at New, so a run of other tests in the
// same package costs nothing. Its methods are safe for concurrent use;
// each page is for the one test that made it.
type Browser struct {
	once    sync.Once
	path    string // the browser binary; empty when none was found
	missing string // why no browser can be used; set when path is empty
	err     error  // why the browser did not start
	startup time.Duration
	product string // "Chrome/156.0.8078.114"

	allocCancel context.CancelFunc
	ctx         context.Context // the browser's chromedp context
	cancel      context.CancelFunc
	output      *limitedBuffer // the browser's stdout and stderr

	axeOnce sync.Once
	axeJS   string
	axeErr  error // the file is missing or unreadable
}

// New returns a Browser that starts when its first page is made. Close it
// when the tests are done (in TestMain).
func New() *Browser { return &Browser{} }

// Close stops the browser, if it started, and removes its user data
// directory. It waits at most 10 s for Chromium to exit gracefully.
func (b *Browser) Close() {
	b.once.Do(func() { b.err = errors.New("browsertest: NewPage after Close") })
	if b.cancel == nil {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	_ = chromedp.Cancel(ctx) // the process is killed below if it did not exit
	b.cancel()
	b.allocCancel()
}

// Startup reports how long the browser took to start and its product
// string, for tests that log the harness's own cost. Zero before the first
// page.
func (b *Browser) Startup() (time.Duration, string) { return b.startup, b.product }

// start locates and launches Chromium once. Its outcome is kept in b.path,
// b.missing and b.err for every test that follows.
func (b *Browser) start() {
	b.path, b.missing, b.err = locateChromium()
	if b.err != nil || b.path == "" {
		return
	}
	b.output = &limitedBuffer{max: 64 << 10}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(b.path),
		chromedp.NoSandbox, // tests run as root here; Chromium's sandbox refuses root
		chromedp.DisableGPU,
		// This machine's network is closed: without these, Chromium keeps
		// trying to reach Google's hosts at every start.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(b.output),
		// No UserDataDir: chromedp makes a fresh temporary one for this
		// browser and removes it when the browser stops.
	)
	var allocCtx context.Context
	allocCtx, b.allocCancel = chromedp.NewExecAllocator(context.Background(), opts...)
	b.ctx, b.cancel = chromedp.NewContext(allocCtx)
	began := time.Now()
	// The first Do starts the browser and binds its life to b.ctx, which
	// has no deadline: a timeout here would stop the browser with it.
	if err := chromedp.Do(b.ctx); err != nil {
		b.err = fmt.Errorf("browsertest: start %s: %w\n%s", b.path, err, b.output.String())
		b.cancel()
		b.allocCancel()
		b.cancel = nil
		return
	}
	b.startup = time.Since(began)
	if v, err := chromedp.CallBrowser(b.ctx, browser.GetVersion, struct{}{}); err == nil {
		b.product = v.Product
	}
}

// locateChromium finds the browser: $HAECHI_CHROMIUM, else /usr/bin/chromium,
// else chromium on PATH. It returns missing (and no path) when there is none,
// and an error when HAECHI_CHROMIUM names something that cannot run, which
// is a mistake to report, not a reason to skip.
func locateChromium() (path, missing string, err error) {
	if p := os.Getenv("HAECHI_CHROMIUM"); p != "" {
		if !isExecutable(p) {
			return "", "", fmt.Errorf("browsertest: HAECHI_CHROMIUM=%s is not an executable file", p)
		}
		return p, "", nil
	}
	if isExecutable("/usr/bin/chromium") {
		return "/usr/bin/chromium", "", nil
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p, "", nil
	}
	return "", "browsertest: Chromium not found (no HAECHI_CHROMIUM, no /usr/bin/chromium, no chromium on PATH): " + setupHint, nil
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// unavailable skips the test for want of something scripts/setup.sh
// installs, or fails it when CI is set, where nothing may be skipped for
// that reason.
func unavailable(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(msg + " (CI is set: browser tests fail instead of skipping)")
	}
	t.Skip(msg)
}

// axe returns the source of axe.min.js, read once from .deps/axe-core of
// the repository that holds the test's working directory.
func (b *Browser) axe() (string, error) {
	b.axeOnce.Do(func() {
		root, err := repoRoot()
		if err != nil {
			b.axeErr = err
			return
		}
		p := filepath.Join(root, ".deps", "axe-core", "axe.min.js")
		src, err := os.ReadFile(p)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				b.axeErr = fmt.Errorf("browsertest: axe-core not found at %s: %s", p, setupHint)
			} else {
				b.axeErr = fmt.Errorf("browsertest: read axe-core: %w", err)
			}
			return
		}
		b.axeJS = string(src)
	})
	return b.axeJS, b.axeErr
}

// repoRoot is the nearest folder at or above the working directory (a test
// runs in its package's folder) that holds go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("browsertest: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("browsertest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// limitedBuffer keeps the first max bytes written to it: enough of
// Chromium's output to explain a failed start, without growing for ever
// while the browser logs.
type limitedBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if room := l.max - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
