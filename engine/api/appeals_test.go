package api

import (
	"context"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/statement"
	"github.com/haechi-tns/haechi/engine/store"
)

func TestPostAndGetAppeal(t *testing.T) {
	e := newEnv(t, nil)
	saveDecision(t, e.store, "d-block", engine.ActionBlock, "user-7", t0.Add(-time.Hour))
	saveDecision(t, e.store, "d-allow", engine.ActionAllow, "user-7", t0.Add(-time.Hour))
	saveDecision(t, e.store, "d-old", engine.ActionBlock, "user-7", t0.Add(-store.AppealWindow-time.Hour))
	appeal := func(decision, appellant string) map[string]any {
		return map[string]any{"decision_id": decision, "appellant_id": appellant, "reason": "저는 욕을 하지 않았습니다"}
	}

	resp := e.do(t, "POST", "/v1/appeals", appeal("d-block", "user-7"))
	if resp.status != 201 {
		t.Fatalf("POST /v1/appeals = %d %s", resp.status, resp.body)
	}
	created := resp.json(t)
	id, _ := created["appeal_id"].(string)
	if keys := slices.Sorted(maps.Keys(created)); !slices.Equal(keys, []string{"appeal_id", "status"}) || created["status"] != "open" || id == "" {
		t.Errorf("created = %s", resp.body)
	}
	if loc := resp.header.Get("Location"); loc != "/v1/appeals/"+id {
		t.Errorf("Location = %q", loc)
	}
	get := e.do(t, "GET", "/v1/appeals/"+id, nil)
	st := get.json(t)
	if get.status != 200 || st["appeal_id"] != id || st["decision_id"] != "d-block" || st["status"] != "open" || st["created_at"] != t0.Format(time.RFC3339) {
		t.Errorf("GET = %d %s", get.status, get.body)
	}
	for _, b := range [][]byte{resp.body, get.body} {
		for _, leak := range []string{"user-7", "욕을", "case"} {
			if strings.Contains(string(b), leak) {
				t.Errorf("response %s exposes %q", b, leak)
			}
		}
	}

	tests := []struct {
		name    string
		body    any
		status  int
		code    string
		message string // part of the message the store's rule gives
		fields  []string
	}{
		{"appealed twice", appeal("d-block", "user-7"), 409, "conflict", "already appealed", nil},
		{"not the user's decision", appeal("d-block", "someone-else"), 403, "forbidden", "only the user the decision is about", nil},
		{"nothing restricted", appeal("d-allow", "user-7"), 403, "forbidden", "restricted nothing", nil},
		// Someone else learns the same about a decision that restricted
		// nothing as about one that did.
		{"not the user's, nothing restricted", appeal("d-allow", "someone-else"), 403, "forbidden", "only the user the decision is about", nil},
		{"not the user's, too late", appeal("d-old", "someone-else"), 403, "forbidden", "only the user the decision is about", nil},
		{"case-folded key", `{"decision_id":"d-block","appellant_id":"user-7","Appellant_id":"x"}`, 400, "invalid_request", "", []string{"Appellant_id"}},
		{"duplicate key", `{"decision_id":"d-block","appellant_id":"someone-else","appellant_id":"user-7"}`, 400, "invalid_request", "", []string{"appellant_id"}},
		{"appellant with bidi override", map[string]any{"decision_id": "d-block", "appellant_id": "user-7\u202e"}, 400, "invalid_request", "", []string{"appellant_id"}},
		{"too late", appeal("d-old", "user-7"), 403, "forbidden", "six months", nil},
		{"unknown decision", appeal("d-none", "user-7"), 404, "not_found", "d-none", nil},
		{"missing fields", `{"reason":"x"}`, 400, "invalid_request", "", []string{"decision_id", "appellant_id"}},
		{"reason too long", map[string]any{"decision_id": "d", "appellant_id": "u", "reason": strings.Repeat("가", 2001)}, 400, "invalid_request", "", []string{"reason"}},
		{"unknown field", map[string]any{"decision_id": "d", "appellant_id": "u", "case_id": "c"}, 400, "invalid_request", "", []string{"case_id"}},
		{"too large", `{"reason":"` + strings.Repeat("a", 64<<10) + `"}`, 413, "too_large", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, "POST", "/v1/appeals", tt.body)
			apiErr := r.apiError(t)
			if r.status != tt.status || apiErr.Code != tt.code || !strings.Contains(apiErr.Message, tt.message) {
				t.Errorf("got %d %s, want %d %s with %q", r.status, r.body, tt.status, tt.code, tt.message)
			}
			if strings.Contains(apiErr.Message, "store:") {
				t.Errorf("message %q carries the store's prefixes", apiErr.Message)
			}
			var fields []string
			for _, f := range apiErr.Fields {
				fields = append(fields, f.Field)
			}
			if tt.fields != nil && !slices.Equal(fields, tt.fields) {
				t.Errorf("fields %q, want %q", fields, tt.fields)
			}
		})
	}
	if r := e.do(t, "POST", "/v1/appeals", appeal("d-block", "user-7"), "Content-Type", "application/x-www-form-urlencoded"); r.status != 415 {
		t.Errorf("form body: %d", r.status)
	}
	if r := e.do(t, "GET", "/v1/appeals/no-such-appeal", nil); r.status != 404 || r.apiError(t).Code != "not_found" {
		t.Errorf("unknown appeal: %d %s", r.status, r.body)
	}
	// A long or invisible id is not echoed back.
	for _, id := range []string{strings.Repeat("x", 5000), "a%E2%80%AEb"} {
		r := e.do(t, "GET", "/v1/appeals/"+id, nil)
		if r.status != 404 || strings.Contains(string(r.body), "xxxxxxxxxx") || strings.Contains(string(r.body), "\u202e") || strings.Contains(string(r.body), `\u202e`) {
			t.Errorf("GET /v1/appeals/<%d bytes>: %d %s", len(id), r.status, r.body)
		}
	}
}

func TestGetStatement(t *testing.T) {
	e := newEnv(t, nil)
	d := saveDecision(t, e.store, "d-block", engine.ActionBlock, "user-7", t0.Add(-time.Hour))
	r := e.do(t, "GET", "/v1/decisions/d-block/statement", nil)
	if r.status != 200 {
		t.Fatalf("statement: %d %s", r.status, r.body)
	}
	var got statement.Statement
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	stored, _ := e.store.Decision(t.Context(), d.ID)
	want := statement.Build(stored, nil, "https://haechi.example/v1/appeals")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("statement\n got %+v\nwant %+v", got, want)
	}
	if got.Redress.URL != "https://haechi.example/v1/appeals" || !got.AutomatedDecision || got.Visibility == nil || got.Visibility.Restriction != statement.ContentRemoved {
		t.Errorf("statement %s", r.body)
	}
	if strings.Contains(string(r.body), "user-7") {
		t.Errorf("statement names the sender: %s", r.body)
	}
	if r := e.do(t, "GET", "/v1/decisions/d-none/statement", nil); r.status != 404 || r.apiError(t).Code != "not_found" {
		t.Errorf("unknown decision: %d %s", r.status, r.body)
	}
	// Without an absolute AppealURL, statements point at the path.
	e2 := newEnv(t, func(c *Config, _ *store.Store) { c.AppealURL = "" })
	saveDecision(t, e2.store, "d-block", engine.ActionBlock, "user-7", t0)
	if r := e2.do(t, "GET", "/v1/decisions/d-block/statement", nil); !strings.Contains(string(r.body), `"url":"/v1/appeals"`) {
		t.Errorf("default appeal URL: %s", r.body)
	}
}

func TestAppealWindowMatchesStore(t *testing.T) {
	if statement.AppealWindow != store.AppealWindow {
		t.Errorf("statements promise %v to appeal, the store allows %v", statement.AppealWindow, store.AppealWindow)
	}
}

func TestConfigValidate(t *testing.T) {
	st := openStore(t)
	for _, tt := range []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"decider only", Config{Moderator: deciderFunc(nil)}, true},
		{"store only", Config{Store: st}, true},
		{"nothing", Config{}, false},
		{"relative appeal URL", Config{Store: st, AppealURL: "/v1/appeals"}, false},
		{"absolute appeal URL", Config{Store: st, AppealURL: "https://city.example/haechi/v1/appeals"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate = %v", err)
			}
		})
	}
	// Routes whose dependency is missing are not served.
	e := newEnv(t, func(c *Config, _ *store.Store) { c.Store = nil })
	if r := e.do(t, "POST", "/v1/reports", report("r", "e")); r.status != 404 {
		t.Errorf("reports without a store: %d", r.status)
	}
}

func TestStatementOfAHumanDecision(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	saveDecision(t, e.store, "d-hold", engine.ActionHold, "user-8", t0.Add(-time.Hour)) // opens a case
	m := store.Moderator{ID: "mod-kim", Roles: []string{store.RoleModerator}}
	c, err := e.store.ClaimNext(ctx, store.QueueGeneral, m, time.Minute, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.Decide(ctx, c.ID, m, store.Outcome{Kind: store.OutcomeRemove, Ground: "reciprocity"}, t0); err != nil {
		t.Fatal(err)
	}
	r := e.do(t, "GET", "/v1/decisions/d-hold/statement", nil)
	if r.status != 200 {
		t.Fatalf("statement: %d %s", r.status, r.body)
	}
	var got statement.Statement
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	if got.AutomatedDecision || !got.AutomatedDetection {
		t.Errorf("a moderator's removal of held content: automated decision %v, detection %v", got.AutomatedDecision, got.AutomatedDetection)
	}
	if strings.Contains(string(r.body), "mod-kim") {
		t.Errorf("the statement names the moderator: %s", r.body)
	}
	// The moderator's ground, not the policy's, is what the user reads.
	if got.Ground.Principle != "reciprocity" || !strings.Contains(got.Ground.Explanation.EN, "reciprocity") || strings.Contains(got.Ground.Reference, "inclusiveness") {
		t.Errorf("ground %+v, want the moderator's (reciprocity)", got.Ground)
	}
}
