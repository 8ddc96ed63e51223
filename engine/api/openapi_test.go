package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
)

// openAPIDoc is the parts of the document the tests read.
type openAPIDoc struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas         map[string]map[string]any `json:"schemas"`
		Responses       map[string]map[string]any `json:"responses"`
		SecuritySchemes map[string]map[string]any `json:"securitySchemes"`
	} `json:"components"`
	Security []map[string][]string `json:"security"`
}

type operation struct {
	Scope     string                    `json:"x-haechi-scope"`
	Security  *[]map[string][]string    `json:"security"`
	Responses map[string]map[string]any `json:"responses"`
}

func loadOpenAPI(t *testing.T) openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	dec := json.NewDecoder(bytes.NewReader(openAPIDocument))
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.0.") {
		t.Fatalf("openapi %q, want 3.0.x", doc.OpenAPI)
	}
	return doc
}

func (doc openAPIDoc) operation(t *testing.T, path, method string) operation {
	t.Helper()
	raw, ok := doc.Paths[path][strings.ToLower(method)]
	if !ok {
		t.Fatalf("the document lacks %s %s", method, path)
	}
	var op operation
	if err := json.Unmarshal(raw, &op); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return op
}

// TestOpenAPIMatchesRoutes checks the document against the server both
// ways: every documented operation is routed by the real mux, and every
// route the server has is documented with its scope.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	e := newEnv(t, func(c *Config, st *store.Store) { c.Keys = st })

	documented := 0
	for path, methods := range doc.Paths {
		for method := range methods {
			switch method {
			case "get", "put", "post", "delete", "patch", "head", "options", "trace":
			default:
				continue // parameters, summary …
			}
			documented++
			m := strings.ToUpper(method)
			req := httptest.NewRequest(m, strings.ReplaceAll(path, "{id}", "some-id"), nil)
			_, pattern := e.api.mux.Handler(req)
			if pattern != m+" "+path {
				t.Errorf("%s %s is documented but the server routes it to %q", m, path, pattern)
			}
		}
	}

	routes := e.api.routes()
	for _, rt := range routes {
		if !rt.enabled {
			t.Errorf("route %s is disabled in a fully configured server", rt.pattern())
		}
		op := doc.operation(t, rt.path, rt.method)
		if op.Scope != rt.scope {
			t.Errorf("%s: document says scope %q, server needs %q", rt.pattern(), op.Scope, rt.scope)
		}
		public := op.Security != nil && len(*op.Security) == 0
		if public != (rt.scope == "") {
			t.Errorf("%s: document says public=%v, server scope %q", rt.pattern(), public, rt.scope)
		}
		if rt.scope != "" {
			if _, ok := op.Responses["401"]; !ok {
				t.Errorf("%s documents no 401", rt.pattern())
			}
		}
	}
	if documented != len(routes) {
		t.Errorf("%d operations documented, %d routes served", documented, len(routes))
	}
	for _, name := range []string{"bearerAuth", "apiKeyHeader"} {
		if _, ok := doc.Components.SecuritySchemes[name]; !ok {
			t.Errorf("security scheme %s missing", name)
		}
	}
	if h := doc.Components.SecuritySchemes["apiKeyHeader"]; h["name"] != "X-API-Key" || h["in"] != "header" {
		t.Errorf("apiKeyHeader = %v", h)
	}

	r := e.do(t, "GET", "/v1/openapi.json", nil)
	if r.status != 200 || !bytes.Equal(r.body, openAPIDocument) || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Errorf("GET /v1/openapi.json = %d %s", r.status, r.header.Get("Content-Type"))
	}
}

// TestResponsesMatchOpenAPI sends each route its documented successes and
// errors and checks every JSON answer against the documented schema, so
// that a field added to a response without the document fails here.
func TestResponsesMatchOpenAPI(t *testing.T) {
	doc := loadOpenAPI(t)
	e := newEnv(t, func(c *Config, st *store.Store) {
		c.Keys = st
		c.ReportLimits = RateLimits{PerMinute: 1, PerDay: 5}
		c.KeyLimits = KeyLimits{AppealsPerMinute: 4}
	})
	ctx := t.Context()
	key, _, err := e.store.CreateAPIKey(ctx, "all", store.Scopes, t0)
	if err != nil {
		t.Fatal(err)
	}
	weak, _, err := e.store.CreateAPIKey(ctx, "moderate only", []string{store.ScopeModerate}, t0)
	if err != nil {
		t.Fatal(err)
	}
	saveDecision(t, e.store, "d1", engine.ActionBlock, "u1", t0.Add(-time.Hour))
	auth := []string{"Authorization", "Bearer " + key}

	created := e.do(t, "POST", "/v1/reports", report("r1", "e-d1"), auth...)
	reportID, _ := created.json(t)["report_id"].(string)
	appealed := e.do(t, "POST", "/v1/appeals", map[string]any{"decision_id": "d1", "appellant_id": "u1"}, auth...)
	appealID, _ := appealed.json(t)["appeal_id"].(string)

	type call struct {
		method, template, path string
		body                   any
		headers                []string
		status                 int
		sent                   *response // already sent above
	}
	calls := []call{
		{"POST", "/v1/moderate", "/v1/moderate", event, auth, 200, nil},
		{"POST", "/v1/moderate", "/v1/moderate", `{}`, auth, 400, nil},
		{"POST", "/v1/reports", "/v1/reports", nil, nil, 201, &created},
		{"POST", "/v1/reports", "/v1/reports", report("r1", "e1"), auth, 429, nil},
		{"POST", "/v1/reports", "/v1/reports", `{}`, auth, 400, nil},
		{"POST", "/v1/reports", "/v1/reports", report("r3", "e1"), nil, 401, nil},
		{"POST", "/v1/reports", "/v1/reports", report("r3", "e1"), []string{"X-API-Key", weak}, 403, nil},
		{"POST", "/v1/reports", "/v1/reports", `{"details":"` + strings.Repeat("a", 65<<10) + `"}`, auth, 413, nil},
		{"POST", "/v1/reports", "/v1/reports", report("r3", "e1"), append([]string{"Content-Type", "text/plain"}, auth...), 415, nil},
		{"GET", "/v1/reports/{id}", "/v1/reports/" + reportID, nil, auth, 200, nil},
		{"GET", "/v1/reports/{id}", "/v1/reports/nope", nil, auth, 404, nil},
		{"POST", "/v1/appeals", "/v1/appeals", nil, nil, 201, &appealed},
		{"POST", "/v1/appeals", "/v1/appeals", map[string]any{"decision_id": "d1", "appellant_id": "u1"}, auth, 409, nil},
		{"POST", "/v1/appeals", "/v1/appeals", map[string]any{"decision_id": "d1", "appellant_id": "u2"}, auth, 403, nil},
		{"POST", "/v1/appeals", "/v1/appeals", map[string]any{"decision_id": "nope", "appellant_id": "u1"}, auth, 404, nil},
		// The key's fifth appeal this minute.
		{"POST", "/v1/appeals", "/v1/appeals", map[string]any{"decision_id": "nope", "appellant_id": "u1"}, auth, 429, nil},
		{"GET", "/v1/appeals/{id}", "/v1/appeals/" + appealID, nil, auth, 200, nil},
		{"GET", "/v1/appeals/{id}", "/v1/appeals/nope", nil, auth, 404, nil},
		{"GET", "/v1/decisions/{id}/statement", "/v1/decisions/d1/statement", nil, auth, 200, nil},
		{"GET", "/v1/decisions/{id}/statement", "/v1/decisions/nope/statement", nil, auth, 404, nil},
		{"GET", "/healthz", "/healthz", nil, nil, 200, nil},
		{"GET", "/readyz", "/readyz", nil, nil, 200, nil},
	}
	for _, c := range calls {
		t.Run(fmt.Sprintf("%s %s %d", c.method, c.template, c.status), func(t *testing.T) {
			r := c.sent
			if r == nil {
				resp := e.do(t, c.method, c.path, c.body, c.headers...)
				r = &resp
			}
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.body)
			}
			op := doc.operation(t, c.template, c.method)
			resp, ok := op.Responses[fmt.Sprint(c.status)]
			if !ok {
				t.Fatalf("the document lacks response %d", c.status)
			}
			resp = doc.resolveResponse(resp)
			schema := dig(resp, "content", "application/json", "schema")
			if schema == nil {
				t.Fatalf("response %d has no JSON schema", c.status)
			}
			var v any
			if err := json.Unmarshal(r.body, &v); err != nil {
				t.Fatal(err)
			}
			for _, problem := range doc.check(schema, v, "$") {
				t.Error(problem)
			}
			for name := range dig(resp, "headers") {
				if r.header.Get(name) == "" {
					t.Errorf("documented header %s is missing", name)
				}
			}
		})
	}
}

func dig(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		next, _ := m[k].(map[string]any)
		if next == nil {
			return nil
		}
		m = next
	}
	return m
}

func (doc openAPIDoc) resolveResponse(r map[string]any) map[string]any {
	if ref, ok := r["$ref"].(string); ok {
		return doc.Components.Responses[strings.TrimPrefix(ref, "#/components/responses/")]
	}
	return r
}

// check validates v against the subset of JSON Schema the document uses:
// $ref, type, required, properties, additionalProperties, items, enum and
// date-time. It returns the problems found.
func (doc openAPIDoc) check(schema map[string]any, v any, at string) []string {
	if ref, ok := schema["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		s, ok := doc.Components.Schemas[name]
		if !ok {
			return []string{at + ": unknown schema " + ref}
		}
		return doc.check(s, v, at)
	}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, at+": "+fmt.Sprintf(format, args...)) }
	if enum, ok := schema["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return fmt.Sprint(e) == fmt.Sprint(v) }) {
		bad("%v is not one of %v", v, enum)
	}
	switch schema["type"] {
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			bad("want an object, got %T", v)
			return problems
		}
		props, _ := schema["properties"].(map[string]any)
		if req, ok := schema["required"].([]any); ok {
			for _, r := range req {
				if _, ok := obj[r.(string)]; !ok {
					bad("required %s missing", r)
				}
			}
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if p, ok := props[k].(map[string]any); ok {
				problems = append(problems, doc.check(p, obj[k], at+"."+k)...)
				continue
			}
			switch ap := schema["additionalProperties"].(type) {
			case bool:
				if !ap {
					bad("undocumented field %q", k)
				}
			case map[string]any:
				problems = append(problems, doc.check(ap, obj[k], at+"."+k)...)
			}
		}
	case "array":
		arr, ok := v.([]any)
		if !ok {
			bad("want an array, got %T", v)
			return problems
		}
		items, _ := schema["items"].(map[string]any)
		for i, x := range arr {
			problems = append(problems, doc.check(items, x, fmt.Sprintf("%s[%d]", at, i))...)
		}
	case "string":
		s, ok := v.(string)
		if !ok {
			bad("want a string, got %T", v)
		} else if schema["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339, s); err != nil {
				bad("%q is not a date-time", s)
			}
		}
	case "integer":
		if f, ok := v.(float64); !ok || f != float64(int64(f)) {
			bad("want an integer, got %v", v)
		}
	case "number":
		if _, ok := v.(float64); !ok {
			bad("want a number, got %T", v)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			bad("want a boolean, got %T", v)
		}
	}
	return problems
}

// TestMethodNotAllowed keeps the mux's 405 for a known path.
func TestMethodNotAllowed(t *testing.T) {
	e := newEnv(t, nil)
	for _, tt := range []struct{ method, path string }{
		{"GET", "/v1/reports"}, {"DELETE", "/v1/reports/x"}, {"PUT", "/v1/appeals"}, {"POST", "/v1/decisions/d/statement"},
	} {
		if r := e.do(t, tt.method, tt.path, nil); r.status != http.StatusMethodNotAllowed {
			t.Errorf("%s %s = %d, want 405", tt.method, tt.path, r.status)
		}
	}
}

// TestSchemaCheckerFindsDrift makes sure the checker above would notice.
func TestSchemaCheckerFindsDrift(t *testing.T) {
	doc := loadOpenAPI(t)
	schema := map[string]any{"$ref": "#/components/schemas/ReportStatus"}
	for name, v := range map[string]any{
		"extra field":    map[string]any{"report_id": "r", "status": "received", "created_at": "2026-11-22T09:00:00Z", "reporter_id": "x"},
		"missing field":  map[string]any{"report_id": "r", "status": "received"},
		"bad enum":       map[string]any{"report_id": "r", "status": "lost", "created_at": "2026-11-22T09:00:00Z"},
		"bad date":       map[string]any{"report_id": "r", "status": "received", "created_at": "yesterday"},
		"wrong type":     map[string]any{"report_id": 5, "status": "received", "created_at": "2026-11-22T09:00:00Z"},
		"not an object":  []any{},
		"unknown schema": nil,
	} {
		s := schema
		if name == "unknown schema" {
			s = map[string]any{"$ref": "#/components/schemas/Nope"}
		}
		if len(doc.check(s, v, "$")) == 0 {
			t.Errorf("%s passed", name)
		}
	}
}
