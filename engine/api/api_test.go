package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/moderation"
	"github.com/haechi-tns/haechi/engine/telemetry"
)

type deciderFunc func(*engine.Event) (*engine.Decision, error)

// Moderate answers with the function's decision, as a moderation service
// whose store keeps everything would.
func (f deciderFunc) Moderate(_ context.Context, ev *engine.Event) (moderation.Result, error) {
	d, err := f(ev)
	return moderation.Result{Decision: d}, err
}

const event = `{"id":"e1","kind":"chat","world":"w","space":{"id":"s1","type":"plaza"},
 "sender":{"id":"u1","role":"citizen"},"sent_at":"2026-11-22T09:00:00Z","chat":{"text":"안녕"}}`

func newTestServer(t *testing.T, d Moderator) (*httptest.Server, *telemetry.Metrics) {
	t.Helper()
	m := telemetry.New()
	srv := httptest.NewServer(New(Config{Moderator: d, Metrics: m}))
	t.Cleanup(srv.Close)
	return srv, m
}

func TestModerate(t *testing.T) {
	srv, _ := newTestServer(t, deciderFunc(func(ev *engine.Event) (*engine.Decision, error) {
		if ev.ReceivedAt.IsZero() {
			t.Error("received_at not stamped")
		}
		return &engine.Decision{ID: "d1", EventID: ev.ID, EventKind: ev.Kind, Action: engine.ActionRedact,
			Categories: []engine.Category{engine.Profanity}, RedactedText: "**"}, nil
	}))
	resp, err := http.Post(srv.URL+"/v1/moderate", "application/json", strings.NewReader(event))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d engine.Decision
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || d.ID != "d1" || d.Action != engine.ActionRedact || d.EventID != "e1" {
		t.Errorf("status %d decision %+v", resp.StatusCode, d)
	}
}

func TestModerateErrors(t *testing.T) {
	failing := deciderFunc(func(*engine.Event) (*engine.Decision, error) {
		return nil, errors.New("policy: evaluate: secret internal detail")
	})
	srv, m := newTestServer(t, failing)
	tests := []struct {
		name        string
		contentType string
		body        string
		status      int
		code        string
		field       string
	}{
		{"malformed", "application/json", `{"id":`, 400, "invalid_event", ""},
		{"missing field", "application/json", strings.Replace(event, `"world":"w",`, "", 1), 400, "invalid_event", "world"},
		{"unknown kind", "application/json", strings.Replace(event, `"chat",`, `"video",`, 1), 400, "invalid_event", "kind"},
		{"invalid utf8", "application/json", "{\"id\":\"\xff\"}", 400, "invalid_event", ""},
		{"too long", "application/json", strings.Replace(event, "안녕", strings.Repeat("a", engine.MaxTextBytes+1), 1), 400, "invalid_event", "chat.text"},
		{"wrong type", "text/plain", event, 415, "unsupported_media_type", ""},
		{"too large", "application/json", strings.Repeat(" ", engine.MaxEventBytes+10), 413, "too_large", ""},
		{"internal", "application/json", event, 500, "internal", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(srv.URL+"/v1/moderate", tt.contentType, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			var out struct{ Error Error }
			if err := json.Unmarshal(body, &out); err != nil {
				t.Fatalf("body %q is not a JSON error: %v", body, err)
			}
			if resp.StatusCode != tt.status || out.Error.Code != tt.code || out.Error.Message == "" {
				t.Errorf("got %d %s, want %d %s", resp.StatusCode, body, tt.status, tt.code)
			}
			if tt.field != "" && (len(out.Error.Fields) == 0 || out.Error.Fields[0].Field != tt.field) {
				t.Errorf("fields %+v, want %s", out.Error.Fields, tt.field)
			}
			if strings.Contains(string(body), "secret internal detail") {
				t.Error("internal error detail leaked to the client")
			}
		})
	}
	mf, _ := m.Registry.Gather()
	found := false
	for _, f := range mf {
		if f.GetName() == "haechi_decide_errors_total" {
			found = true
		}
	}
	if !found {
		t.Error("errors not counted in metrics")
	}
}

func TestProbesAndMetrics(t *testing.T) {
	ready := errors.New("policy not loaded")
	m := telemetry.New()
	m.SetRevision("abc123")
	srv := httptest.NewServer(New(Config{
		Moderator: deciderFunc(func(ev *engine.Event) (*engine.Decision, error) {
			return &engine.Decision{ID: "d", EventKind: ev.Kind, Action: engine.ActionBlock, Categories: []engine.Category{engine.Hate}}, nil
		}),
		Metrics: m,
		Ready:   func() error { return ready },
	}))
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("healthz %d", code)
	}
	if code, _ := get("/readyz"); code != 503 {
		t.Errorf("readyz while not ready: %d", code)
	}
	ready = nil
	if code, _ := get("/readyz"); code != 200 {
		t.Errorf("readyz when ready: %d", code)
	}
	if resp, err := http.Post(srv.URL+"/v1/moderate", "application/json", strings.NewReader(event)); err == nil {
		resp.Body.Close()
	}
	_, body := get("/metrics")
	for _, want := range []string{
		`haechi_decisions_total{action="block",kind="chat"} 1`,
		`haechi_decision_categories_total{action="block",category="hate"} 1`,
		`haechi_policy_revision_info{revision="abc123"} 1`,
		`haechi_decision_duration_seconds_bucket`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if code, _ := get("/v1/moderate"); code != 405 {
		t.Errorf("GET /v1/moderate = %d, want 405", code)
	}
}
