package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
	"github.com/haechi-tns/haechi/engine/telemetry"
)

var t0 = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

// clock is a settable clock for rate limits and appeal windows.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is a server on a real SQLite store.
type env struct {
	srv   *httptest.Server
	api   *Server
	store *store.Store
	clock *clock
	logs  *syncBuffer
}

func openStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// newEnv starts a server with a decider, metrics and a store; edit may
// change its config first.
func newEnv(t testing.TB, edit func(*Config, *store.Store)) *env {
	t.Helper()
	st := openStore(t)
	c := &clock{now: t0}
	logs := &syncBuffer{}
	cfg := Config{
		Moderator: deciderFunc(func(ev *engine.Event) (*engine.Decision, error) {
			return &engine.Decision{ID: "d-" + ev.ID, EventID: ev.ID, EventKind: ev.Kind, World: ev.World, Space: ev.Space,
				SenderID: ev.Sender.ID, Action: engine.ActionAllow, Categories: []engine.Category{}, RuleIDs: []string{},
				Reasons: []engine.Reason{}, Scores: engine.Scores{}, Fired: []engine.FiredRule{}, PolicyRevision: "rev",
				ModelVersions: map[string]string{}, DecidedAt: ev.ReceivedAt}, nil
		}),
		Metrics:   telemetry.New(),
		Log:       slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:       c.Now,
		Store:     st,
		AppealURL: "https://haechi.example/v1/appeals",
	}
	if edit != nil {
		edit(&cfg, st)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a := New(cfg)
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	return &env{srv: srv, api: a, store: st, clock: c, logs: logs}
}

// logText returns what the server logged so far.
func (e *env) logText() string {
	e.logs.mu.Lock()
	defer e.logs.mu.Unlock()
	return e.logs.b.String()
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a generic value.
func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.body, err)
	}
	return v
}

// apiError decodes an error body.
func (r response) apiError(t testing.TB) Error {
	t.Helper()
	var out struct{ Error Error }
	if err := json.Unmarshal(r.body, &out); err != nil || out.Error.Code == "" || out.Error.Message == "" {
		t.Fatalf("body %q is not a JSON error (%v)", r.body, err)
	}
	return out.Error
}

// do sends a request; body may be a string or a value to encode as JSON;
// headers are pairs of name and value.
func (e *env) do(t testing.TB, method, path string, body any, headers ...string) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// saveDecision stores a decision about sender's event, decided at.
func saveDecision(t testing.TB, st *store.Store, id string, action engine.Action, sender string, at time.Time) *engine.Decision {
	t.Helper()
	d := &engine.Decision{
		ID: id, EventID: "e-" + id, EventKind: engine.KindChat, World: "seoul", SenderID: sender,
		Space:  engine.Space{ID: "plaza-1", Type: engine.SpacePlaza},
		Action: action, Categories: []engine.Category{engine.Insult}, RuleIDs: []string{"safe_experience.insult.block"},
		Principle: "inclusiveness", Value: "safe_experience", Severity: "medium",
		Reasons:        []engine.Reason{{RuleID: "safe_experience.insult.block", KO: "모욕적인 표현이 있어 차단되었습니다.", EN: "Blocked for an insult."}},
		PolicyRevision: "rev", DecidedAt: at,
	}
	if _, err := st.SaveDecisions(context.Background(), []*engine.Decision{d}); err != nil {
		t.Fatal(err)
	}
	return d
}

func report(reporter, target string) map[string]any {
	return map[string]any{
		"reporter_id": reporter,
		"target":      map[string]any{"kind": "message", "id": target},
		"category":    "insult",
		"details":     "그 사람이 저를 계속 모욕했어요",
		"world":       "seoul",
		"space":       map[string]any{"id": "plaza-1", "type": "plaza"},
		"location":    "시청 앞 광장 분수대",
		"occurred_at": t0.Add(-time.Minute).Format(time.RFC3339),
	}
}
