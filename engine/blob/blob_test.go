package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
)

// newServer starts an HTTP server for one test.
func newServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// forbiddenServer fails the test if anything requests it.
func forbiddenServer(t *testing.T) *httptest.Server {
	t.Helper()
	return newServer(t, func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("forbidden server got a request for %s", r.URL)
		http.Error(w, "forbidden", http.StatusTeapot)
	})
}

// countingTransport counts requests and makes none.
type countingTransport struct{ n atomic.Int32 }

func (c *countingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	c.n.Add(1)
	return nil, errors.New("countingTransport makes no requests")
}

func fetch(t *testing.T, h *HTTP, uri string) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	return h.Fetch(ctx, uri)
}

func wantPermanent(t *testing.T, err error) {
	t.Helper()
	var be *Error
	if !errors.As(err, &be) || !be.Permanent {
		t.Fatalf("err = %v, want a permanent *Error", err)
	}
	if !IsPermanent(err) {
		t.Fatalf("IsPermanent(%v) = false", err)
	}
}

func wantRetryable(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("err = nil, want a retryable error")
	}
	if IsPermanent(err) {
		t.Fatalf("err = %v is permanent, want retryable", err)
	}
}

func TestBlobFetchSuccess(t *testing.T) {
	blob := []byte("\x89PNG not really")
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/blobs/a1" || r.URL.RawQuery != "sig=s3cret" {
			http.NotFound(w, r)
			return
		}
		w.Write(blob)
	})
	h := &HTTP{Prefixes: []string{srv.URL + "/blobs/"}}
	if err := h.Validate(); err != nil {
		t.Fatal(err)
	}
	got, err := fetch(t, h, srv.URL+"/blobs/a1?sig=s3cret")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, blob) {
		t.Errorf("got %q, want %q", got, blob)
	}
}

func TestBlobFetchRefusesURIsOutsideThePrefixes(t *testing.T) {
	t.Run("test server", func(t *testing.T) {
		srv := forbiddenServer(t)
		host := srv.Listener.Addr().String()
		_, port, _ := strings.Cut(host, ":")
		h := &HTTP{Prefixes: []string{srv.URL + "/blobs/"}}
		for name, uri := range map[string]string{
			"other path":           "http://" + host + "/private/x",
			"path sharing a start": "http://" + host + "/blobsecret/x",
			"no path":              "http://" + host,
			"dot dot":              "http://" + host + "/blobs/../private/x",
			"dot":                  "http://" + host + "/blobs/./x",
			"encoded dot dot":      "http://" + host + "/blobs/%2e%2E/private/x",
			"encoded slash":        "http://" + host + "/blobs/..%2Fprivate/x",
			"encoded backslash":    "http://" + host + "/blobs/..%5cprivate/x",
			"backslash":            "http://" + host + "/blobs/..\\private/x",
			"dot dot semicolon":    "http://" + host + "/blobs/..;/private/x",
			"user info":            "http://user:pw@" + host + "/blobs/x",
			"other host name":      "http://localhost:" + port + "/blobs/x",
			"https":                "https://" + host + "/blobs/x",
			"ftp":                  "ftp://" + host + "/blobs/x",
			"file":                 "file:///etc/passwd",
			"no scheme":            "//" + host + "/blobs/x",
			"opaque":               "http:" + host + "/blobs/x",
			"empty":                "",
			"too long":             srv.URL + "/blobs/" + strings.Repeat("x", engine.MaxURIBytes),
		} {
			t.Run(name, func(t *testing.T) {
				_, err := fetch(t, h, uri)
				wantPermanent(t, err)
			})
		}
	})
	t.Run("world host", func(t *testing.T) {
		tr := &countingTransport{}
		h := &HTTP{
			Prefixes: []string{"https://blobs.world.example/", "https://cdn.world.example/img"},
			Client:   &http.Client{Transport: tr},
		}
		for name, uri := range map[string]string{
			"suffixed host":      "https://blobs.world.example.evil.com/x",
			"prefix as userinfo": "https://blobs.world.example@evil.com/x",
			"prefix in path":     "https://evil.com/blobs.world.example/x",
			"http":               "http://blobs.world.example/x",
			"other port":         "https://blobs.world.example:8443/x",
			"trailing dot host":  "https://blobs.world.example./x",
			"dot dot":            "https://blobs.world.example/a/../../x",
			"segment prefix":     "https://cdn.world.example/imgs/x",
			"out of prefix path": "https://cdn.world.example/img/../admin",
			"javascript":         "javascript:alert(1)",
		} {
			t.Run(name, func(t *testing.T) {
				_, err := fetch(t, h, uri)
				wantPermanent(t, err)
				if n := tr.n.Load(); n != 0 {
					t.Fatalf("%d requests made for %s", n, uri)
				}
			})
		}
		// The check lets through what it should, so the zero counts above
		// mean something.
		for _, uri := range []string{
			"https://blobs.world.example/x?sig=1",
			"https://BLOBS.world.example/x",
			"https://cdn.world.example/img",
			"https://cdn.world.example/img/x",
		} {
			before := tr.n.Load()
			_, err := fetch(t, h, uri)
			if tr.n.Load() != before+1 {
				t.Errorf("%s: no request made (err %v)", uri, err)
			}
			wantRetryable(t, err)
		}
	})
}

func TestBlobValidate(t *testing.T) {
	for name, prefixes := range map[string][]string{
		"none":       nil,
		"no scheme":  {"blobs.world.example/"},
		"ftp":        {"ftp://blobs.world.example/"},
		"user info":  {"https://u@blobs.world.example/"},
		"query":      {"https://blobs.world.example/?a=b"},
		"dot dot":    {"https://blobs.world.example/a/../"},
		"one is bad": {"https://blobs.world.example/", "https:///"},
	} {
		t.Run(name, func(t *testing.T) {
			if err := (&HTTP{Prefixes: prefixes}).Validate(); err == nil {
				t.Errorf("Validate(%q) = nil, want an error", prefixes)
			}
		})
	}
}

func TestBlobFetchStatus(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/blobs/"))
		http.Error(w, "no", code)
	})
	h := &HTTP{Prefixes: []string{srv.URL + "/blobs/"}}
	for _, tc := range []struct {
		code      int
		permanent bool
	}{
		{http.StatusNotFound, true},
		{http.StatusGone, true},
		{http.StatusForbidden, true},
		{http.StatusBadRequest, true},
		{http.StatusUnauthorized, true},
		{http.StatusNoContent, true},
		{http.StatusTooManyRequests, false},
		{http.StatusInternalServerError, false},
		{http.StatusBadGateway, false},
		{http.StatusServiceUnavailable, false},
	} {
		t.Run(strconv.Itoa(tc.code), func(t *testing.T) {
			_, err := fetch(t, h, srv.URL+"/blobs/"+strconv.Itoa(tc.code))
			if tc.permanent {
				wantPermanent(t, err)
			} else {
				wantRetryable(t, err)
			}
		})
	}
}

func TestBlobFetchNetworkErrorsAreRetryable(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close()
		h := &HTTP{Prefixes: []string{srv.URL + "/"}}
		_, err := fetch(t, h, srv.URL+"/x")
		wantRetryable(t, err)
	})
	t.Run("client timeout", func(t *testing.T) {
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		})
		h := &HTTP{
			Prefixes: []string{srv.URL + "/"},
			Client:   &http.Client{Timeout: 50 * time.Millisecond},
		}
		_, err := fetch(t, h, srv.URL+"/x")
		wantRetryable(t, err)
	})
	t.Run("context deadline", func(t *testing.T) {
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		})
		h := &HTTP{Prefixes: []string{srv.URL + "/"}}
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		_, err := h.Fetch(ctx, srv.URL+"/x")
		wantRetryable(t, err)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want context.DeadlineExceeded", err)
		}
	})
}

func TestBlobFetchSizeLimit(t *testing.T) {
	// /sized/N sends N bytes with a Content-Length; /chunked/N sends them
	// without one; /lying/N declares N bytes, sends 10 and then stalls, so
	// a fetch that reads the body would time out instead of refusing it.
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		parts := strings.Split(r.URL.Path, "/")
		n, _ := strconv.Atoi(parts[2])
		switch parts[1] {
		case "sized":
			w.Header().Set("Content-Length", strconv.Itoa(n))
			w.Write(bytes.Repeat([]byte("s"), n))
		case "chunked":
			w.Write([]byte("c"))
			w.(http.Flusher).Flush()
			w.Write(bytes.Repeat([]byte("c"), n-1))
		case "lying":
			w.Header().Set("Content-Length", strconv.Itoa(n))
			w.Write([]byte("0123456789"))
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}
	})
	for _, tc := range []struct {
		name     string
		maxBytes int64
		path     string
		ok       bool
	}{
		{"at limit", 16, "/sized/16", true},
		{"over limit", 16, "/sized/17", false},
		{"declared over limit", 16, "/lying/1000", false},
		{"declared over default limit", 0, "/lying/" + strconv.Itoa(engine.MaxImageBytes+1), false},
		{"chunked at limit", 16, "/chunked/16", true},
		{"chunked over limit", 16, "/chunked/17", false},
		{"chunked far over limit", 16, "/chunked/100000", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prefix := srv.URL + "/" + strings.Split(tc.path, "/")[1] + "/"
			h := &HTTP{Prefixes: []string{prefix}, MaxBytes: tc.maxBytes}
			got, err := fetch(t, h, srv.URL+tc.path)
			if !tc.ok {
				wantPermanent(t, err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(got)) != tc.maxBytes {
				t.Errorf("got %d bytes, want %d", len(got), tc.maxBytes)
			}
		})
	}
}

func TestBlobFetchRedirects(t *testing.T) {
	other := forbiddenServer(t)
	var srv *httptest.Server
	srv = newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/blobs/moved":
			http.Redirect(w, r, "/blobs/new", http.StatusFound)
		case "/blobs/new":
			w.Write([]byte("new"))
		case "/blobs/away":
			http.Redirect(w, r, other.URL+"/blobs/new", http.StatusFound)
		case "/blobs/out":
			http.Redirect(w, r, "/private/x", http.StatusMovedPermanently)
		case "/blobs/loop":
			http.Redirect(w, r, "/blobs/loop", http.StatusFound)
		default:
			t.Errorf("unexpected request for %s", r.URL)
			http.NotFound(w, r)
		}
	})
	for _, client := range []struct {
		name string
		c    *http.Client
	}{
		{"default client", nil},
		// A client that would follow any redirect is still held to the
		// prefixes.
		{"permissive client", &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}},
	} {
		t.Run(client.name, func(t *testing.T) {
			h := &HTTP{Prefixes: []string{srv.URL + "/blobs/"}, Client: client.c}
			t.Run("within prefix", func(t *testing.T) {
				got, err := fetch(t, h, srv.URL+"/blobs/moved")
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != "new" {
					t.Errorf("got %q, want %q", got, "new")
				}
			})
			for name, path := range map[string]string{
				"to another host":       "/blobs/away",
				"out of prefix path":    "/blobs/out",
				"more than 10 in a row": "/blobs/loop",
			} {
				t.Run(name, func(t *testing.T) {
					_, err := fetch(t, h, srv.URL+path)
					wantPermanent(t, err)
				})
			}
		})
	}
}

func TestBlobErrorHidesSecrets(t *testing.T) {
	err := &Error{URI: "https://u:pw@blobs.world.example/a?sig=s3cret#frag", Permanent: true, Reason: "not found"}
	msg := err.Error()
	for _, secret := range []string{"s3cret", "pw", "frag"} {
		if strings.Contains(msg, secret) {
			t.Errorf("%q contains %q", msg, secret)
		}
	}
	if !strings.Contains(msg, "blobs.world.example/a") || !strings.Contains(msg, "not found") {
		t.Errorf("%q does not name the blob and reason", msg)
	}
}

func imageEvent(id, uri string, data []byte) *engine.Event {
	return &engine.Event{ID: id, Kind: engine.KindImage, Image: &engine.ImageUpload{URI: uri, Data: data}}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestFetchImages(t *testing.T) {
	// /blobs/a and /blobs/b each wait until both have arrived, so fetching
	// one after the other fails after the timeout.
	var (
		mu      sync.Mutex
		hits    = map[string]int{}
		arrived = make(chan struct{})
		n       int
	)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		switch r.URL.Path {
		case "/blobs/a", "/blobs/b":
			mu.Lock()
			if n++; n == 2 {
				close(arrived)
			}
			mu.Unlock()
			select {
			case <-arrived:
				w.Write([]byte(strings.ToUpper(r.URL.Path[len("/blobs/"):])))
			case <-time.After(3 * time.Second):
				t.Errorf("%s: the other fetch did not run alongside", r.URL.Path)
				http.Error(w, "timeout", http.StatusServiceUnavailable)
			}
		default:
			http.NotFound(w, r)
		}
	})
	u := srv.URL + "/blobs/"
	inline := imageEvent("inline", "", []byte("inline"))
	both := imageEvent("both", u+"both", []byte("mine"))
	chat := &engine.Event{ID: "chat", Kind: engine.KindChat, Chat: &engine.ChatMessage{Text: "hi"}}
	a := imageEvent("a", u+"a", nil)
	b := imageEvent("b", u+"b", nil)
	missing := imageEvent("missing", u+"missing", nil)
	aAgain := imageEvent("a-again", u+"a", nil)
	aAgain.Image.SHA256 = strings.ToUpper(sha256Hex([]byte("A")))
	bWrongHash := imageEvent("b-wrong-hash", u+"b", nil)
	bWrongHash.Image.SHA256 = sha256Hex([]byte("not B"))
	evs := []*engine.Event{inline, a, b, missing, chat, nil, both, aAgain, bWrongHash}

	h := &HTTP{Prefixes: []string{u}}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	errs := FetchImages(ctx, h, evs, 2)

	if len(errs) != len(evs) {
		t.Fatalf("got %d errors for %d events", len(errs), len(evs))
	}
	for i, ev := range evs {
		switch ev {
		case missing, bWrongHash:
			wantPermanent(t, errs[i])
			if len(ev.Image.Data) != 0 {
				t.Errorf("%s: data %q filled in despite the error", ev.ID, ev.Image.Data)
			}
		default:
			if errs[i] != nil {
				t.Errorf("event %d: %v", i, errs[i])
			}
		}
	}
	for ev, want := range map[*engine.Event]string{inline: "inline", both: "mine", a: "A", b: "B", aAgain: "A"} {
		if got := string(ev.Image.Data); got != want {
			t.Errorf("%s: data %q, want %q", ev.ID, got, want)
		}
	}
	if chat.Image != nil {
		t.Error("chat event got an image")
	}
	mu.Lock()
	defer mu.Unlock()
	for path, want := range map[string]int{"/blobs/a": 1, "/blobs/b": 1, "/blobs/missing": 1, "/blobs/both": 0} {
		if hits[path] != want {
			t.Errorf("%s requested %d times, want %d", path, hits[path], want)
		}
	}
}

// slowFetcher records how many fetches run at once.
type slowFetcher struct {
	mu            sync.Mutex
	now, most     int
	calls         int
	beforeReturns time.Duration
}

func (f *slowFetcher) Fetch(ctx context.Context, uri string) ([]byte, error) {
	f.mu.Lock()
	f.calls++
	f.now++
	f.most = max(f.most, f.now)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.now--
		f.mu.Unlock()
	}()
	select {
	case <-time.After(f.beforeReturns):
		return []byte(uri), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func TestFetchImagesBoundsParallelism(t *testing.T) {
	var evs []*engine.Event
	for i := range 12 {
		evs = append(evs, imageEvent(strconv.Itoa(i), "blob-"+strconv.Itoa(i), nil))
	}
	for _, parallel := range []int{0, 1, 3} {
		t.Run(strconv.Itoa(parallel), func(t *testing.T) {
			for _, ev := range evs {
				ev.Image.Data = nil
			}
			f := &slowFetcher{beforeReturns: 5 * time.Millisecond}
			for i, err := range FetchImages(t.Context(), f, evs, parallel) {
				if err != nil {
					t.Fatalf("event %d: %v", i, err)
				}
			}
			if want := max(parallel, 1); f.most > want {
				t.Errorf("%d fetches ran at once, want at most %d", f.most, want)
			}
			for _, ev := range evs {
				if string(ev.Image.Data) != ev.Image.URI {
					t.Errorf("%s: data %q", ev.ID, ev.Image.Data)
				}
			}
		})
	}
}

func TestFetchImagesStopsWithContext(t *testing.T) {
	evs := []*engine.Event{imageEvent("a", "blob-a", nil), imageEvent("b", "blob-b", nil), imageEvent("c", "blob-c", nil)}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	f := &slowFetcher{beforeReturns: time.Minute}
	done := make(chan []error)
	go func() { done <- FetchImages(ctx, f, evs, 1) }()
	select {
	case errs := <-done:
		for i, err := range errs {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("event %d: err = %v, want context.Canceled", i, err)
			}
			if IsPermanent(err) {
				t.Errorf("event %d: cancellation is permanent", i)
			}
		}
	case <-time.After(5 * time.Second):
		t.Fatal("FetchImages did not return after its context was cancelled")
	}
}
