package api

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
)

// probe is one request to each authenticated route, valid enough to pass
// authentication (what happens next is not this test's concern).
type probe struct {
	method, path, scope string
	body                any
}

func authProbes() []probe {
	return []probe{
		{"POST", "/v1/moderate", store.ScopeModerate, event},
		{"POST", "/v1/reports", store.ScopeReportWrite, report("r1", "e1")},
		{"GET", "/v1/reports/x", store.ScopeReportRead, nil},
		{"POST", "/v1/appeals", store.ScopeAppealWrite, map[string]any{"decision_id": "d1", "appellant_id": "u1"}},
		{"GET", "/v1/appeals/x", store.ScopeAppealRead, nil},
		{"GET", "/v1/decisions/d1/statement", store.ScopeStatementRead, nil},
	}
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t, func(c *Config, st *store.Store) { c.Keys = st })
	ctx := context.Background()
	saveDecision(t, e.store, "d1", engine.ActionBlock, "u1", t0.Add(-time.Hour))
	all, _, err := e.store.CreateAPIKey(ctx, "world platform", store.Scopes, t0)
	if err != nil {
		t.Fatal(err)
	}
	revoked, revokedKey, err := e.store.CreateAPIKey(ctx, "old", store.Scopes, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.RevokeAPIKey(ctx, revokedKey.ID, t0); err != nil {
		t.Fatal(err)
	}

	for _, p := range authProbes() {
		t.Run(p.method+" "+p.path, func(t *testing.T) {
			// A key holding every other scope but this one.
			var others []string
			for _, s := range store.Scopes {
				if s != p.scope {
					others = append(others, s)
				}
			}
			lacking, _, err := e.store.CreateAPIKey(ctx, "lacking "+p.scope, others, t0)
			if err != nil {
				t.Fatal(err)
			}
			only, _, err := e.store.CreateAPIKey(ctx, "only "+p.scope, []string{p.scope}, t0)
			if err != nil {
				t.Fatal(err)
			}
			tests := []struct {
				name    string
				headers []string
				status  int
				code    string
				auth    string // part of WWW-Authenticate
			}{
				{"no key", nil, 401, "unauthenticated", `Bearer realm="haechi"`},
				{"basic auth", []string{"Authorization", "Basic dXNlcjpwdw=="}, 401, "unauthenticated", `Bearer realm="haechi"`},
				{"empty bearer", []string{"Authorization", "Bearer "}, 401, "unauthenticated", `Bearer`},
				{"garbage", []string{"Authorization", "Bearer hk_nonsense"}, 401, "invalid_api_key", `error="invalid_token"`},
				{"wrong secret", []string{"Authorization", "Bearer " + all[:len(all)-3] + "AAA"}, 401, "invalid_api_key", `error="invalid_token"`},
				{"revoked", []string{"Authorization", "Bearer " + revoked}, 401, "invalid_api_key", `error="invalid_token"`},
				{"missing scope", []string{"Authorization", "Bearer " + lacking}, 403, "insufficient_scope", `scope="` + p.scope + `"`},
				{"bearer", []string{"Authorization", "Bearer " + only}, 0, "", ""},
				{"lower-case bearer", []string{"Authorization", "bearer " + all}, 0, "", ""},
				{"X-API-Key", []string{"X-API-Key", only}, 0, "", ""},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					r := e.do(t, p.method, p.path, p.body, tt.headers...)
					if tt.status == 0 {
						if r.status == 401 || r.status == 403 && strings.Contains(string(r.body), "scope") {
							t.Errorf("a valid key was refused: %d %s", r.status, r.body)
						}
						return
					}
					if r.status != tt.status || r.apiError(t).Code != tt.code {
						t.Errorf("got %d %s, want %d %s", r.status, r.body, tt.status, tt.code)
					}
					if got := r.header.Get("WWW-Authenticate"); !strings.Contains(got, tt.auth) {
						t.Errorf("WWW-Authenticate %q, want %q", got, tt.auth)
					}
					if strings.Contains(string(r.body), "hk_") && !strings.Contains(string(r.body), "hk_…") {
						t.Errorf("a key was echoed: %s", r.body)
					}
				})
			}
		})
	}

	// Public routes need no key.
	for _, path := range []string{"/v1/openapi.json", "/healthz", "/readyz", "/metrics"} {
		if r := e.do(t, "GET", path, nil); r.status != 200 {
			t.Errorf("GET %s without a key: %d", path, r.status)
		}
	}
	// The route's work happens with a valid key.
	r := e.do(t, "GET", "/v1/decisions/d1/statement", nil, "X-API-Key", all)
	if r.status != 200 || r.json(t)["decision_id"] != "d1" {
		t.Errorf("statement with a key: %d %s", r.status, r.body)
	}
}

// A server without Keys serves everyone (the embedded default).
func TestNoKeysNoAuthentication(t *testing.T) {
	e := newEnv(t, nil)
	for _, p := range authProbes() {
		if r := e.do(t, p.method, p.path, p.body); r.status == 401 || r.status == 403 && strings.Contains(string(r.body), "scope") {
			t.Errorf("%s %s without keys configured: %d %s", p.method, p.path, r.status, r.body)
		}
	}
}

// An authenticator that fails is a 500, never a 401 that would make the
// client drop a good key.
type brokenKeys struct{}

func (brokenKeys) AuthenticateAPIKey(context.Context, string) (store.APIKey, error) {
	return store.APIKey{}, errSecret
}

func TestAuthenticatorFailure(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *store.Store) { c.Keys = brokenKeys{} })
	r := e.do(t, "GET", "/v1/reports/x", nil, "Authorization", "Bearer hk_0123456789abcdef_"+strings.Repeat("A", 43))
	if r.status != 500 || r.apiError(t).Code != "internal" || strings.Contains(string(r.body), "secret") {
		t.Errorf("got %d %s", r.status, r.body)
	}
}
