package api

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
)

func TestPostAndGetReport(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	saveDecision(t, e.store, "d1", engine.ActionAllow, "author-1", t0.Add(-time.Hour))

	resp := e.do(t, "POST", "/v1/reports", report("reporter-secret-id", "e-d1"))
	if resp.status != 201 {
		t.Fatalf("POST /v1/reports = %d %s", resp.status, resp.body)
	}
	created := resp.json(t)
	id, _ := created["report_id"].(string)
	if keys := slices.Sorted(maps.Keys(created)); !slices.Equal(keys, []string{"report_id", "status"}) || created["status"] != "received" || id == "" {
		t.Errorf("created = %s, want only report_id and status received", resp.body)
	}
	if loc := resp.header.Get("Location"); loc != "/v1/reports/"+id {
		t.Errorf("Location = %q", loc)
	}

	get := e.do(t, "GET", "/v1/reports/"+id, nil)
	st := get.json(t)
	if get.status != 200 || st["report_id"] != id || st["status"] != "received" || st["created_at"] != t0.Format(time.RFC3339) {
		t.Errorf("GET = %d %s", get.status, get.body)
	}

	// A moderator removes the message: the reporter learns the outcome,
	// never who decided or which case.
	m := store.Moderator{ID: "mod-kim", Roles: []string{store.RoleModerator}}
	c, err := e.store.ClaimNext(ctx, store.QueueGeneral, m, time.Minute, t0)
	if err != nil {
		t.Fatal(err)
	}
	if get := e.do(t, "GET", "/v1/reports/"+id, nil); get.json(t)["status"] != "in_review" {
		t.Errorf("claimed: %s", get.body)
	}
	if err := e.store.Decide(ctx, c.ID, m, store.Outcome{Kind: store.OutcomeRemove}, t0.Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	get = e.do(t, "GET", "/v1/reports/"+id, nil)
	st = get.json(t)
	if st["status"] != "closed" || st["outcome"] != "action_taken" || st["closed_at"] != t0.Add(30*time.Second).Format(time.RFC3339) {
		t.Errorf("closed: %s", get.body)
	}
	for _, leak := range []string{"reporter-secret-id", c.ID, "mod-kim", "author-1", "모욕"} {
		for _, b := range [][]byte{resp.body, get.body} {
			if strings.Contains(string(b), leak) {
				t.Errorf("response %s exposes %q", b, leak)
			}
		}
	}

	if nf := e.do(t, "GET", "/v1/reports/no-such-report", nil); nf.status != 404 || nf.apiError(t).Code != "not_found" {
		t.Errorf("unknown report: %d %s", nf.status, nf.body)
	}
}

func TestPostReportValidation(t *testing.T) {
	e := newEnv(t, nil)
	with := func(edit func(map[string]any)) map[string]any {
		r := report("r1", "e1")
		edit(r)
		return r
	}
	tests := []struct {
		name        string
		contentType string
		body        any
		status      int
		code        string
		fields      []string
	}{
		{"empty object", "", `{}`, 400, "invalid_request", []string{"reporter_id", "target.kind", "target.id", "category"}},
		{"unknown target kind", "", with(func(r map[string]any) { r["target"] = map[string]any{"kind": "avatar", "id": "x"} }), 400, "invalid_request", []string{"target.kind"}},
		{"unknown category", "", with(func(r map[string]any) { r["category"] = "rudeness" }), 400, "invalid_request", []string{"category"}},
		{"details too long", "", with(func(r map[string]any) { r["details"] = strings.Repeat("가", 2001) }), 400, "invalid_request", []string{"details"}},
		{"ids with spaces", "", with(func(r map[string]any) { r["reporter_id"] = "a b"; r["world"] = "w\n" }), 400, "invalid_request", []string{"reporter_id", "world"}},
		{"bad space", "", with(func(r map[string]any) { r["space"] = map[string]any{"type": "moon"} }), 400, "invalid_request", []string{"space.id", "space.type"}},
		{"bad time", "", with(func(r map[string]any) { r["occurred_at"] = "yesterday" }), 400, "invalid_request", []string{"occurred_at"}},
		{"future time", "", with(func(r map[string]any) { r["occurred_at"] = t0.Add(time.Hour).Format(time.RFC3339) }), 400, "invalid_request", []string{"occurred_at"}},
		{"location too long", "", with(func(r map[string]any) { r["location"] = strings.Repeat("x", 201) }), 400, "invalid_request", []string{"location"}},
		{"wrong type", "", with(func(r map[string]any) { r["reporter_id"] = 5 }), 400, "invalid_request", []string{"reporter_id"}},
		{"unknown field", "", with(func(r map[string]any) { r["case_id"] = "c1" }), 400, "invalid_request", []string{"case_id"}},
		{"malformed", "", `{"reporter_id":`, 400, "invalid_request", nil},
		{"trailing data", "", `{} {}`, 400, "invalid_request", nil},
		{"invalid utf8", "", "{\"reporter_id\":\"\xff\"}", 400, "invalid_request", nil},
		{"wrong content type", "text/plain", with(func(map[string]any) {}), 415, "unsupported_media_type", nil},
		{"too large", "", `{"details":"` + strings.Repeat("a", 65<<10) + `"}`, 413, "too_large", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var headers []string
			if tt.contentType != "" {
				headers = []string{"Content-Type", tt.contentType}
			}
			resp := e.do(t, "POST", "/v1/reports", tt.body, headers...)
			if resp.status != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.status, tt.status, resp.body)
			}
			apiErr := resp.apiError(t)
			if apiErr.Code != tt.code {
				t.Errorf("code %s, want %s", apiErr.Code, tt.code)
			}
			var fields []string
			for _, f := range apiErr.Fields {
				fields = append(fields, f.Field)
			}
			if tt.fields != nil && !slices.Equal(fields, tt.fields) {
				t.Errorf("fields %q, want %q (%s)", fields, tt.fields, resp.body)
			}
		})
	}
	if n, _ := e.store.CountRecentReports(context.Background(), "r1", t0.Add(-time.Hour)); n != 0 {
		t.Errorf("%d invalid reports were stored", n)
	}
}

func TestReportRateLimits(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *store.Store) { c.ReportLimits = RateLimits{PerMinute: 3, PerDay: 5} })
	post := func(reporter string) response {
		t.Helper()
		return e.do(t, "POST", "/v1/reports", report(reporter, "e-target"))
	}
	retryAfter := func(r response) int {
		t.Helper()
		n, err := strconv.Atoi(r.header.Get("Retry-After"))
		if r.status != 429 || err != nil || r.apiError(t).Code != "rate_limited" {
			t.Fatalf("got %d Retry-After %q %s, want 429 with Retry-After", r.status, r.header.Get("Retry-After"), r.body)
		}
		return n
	}
	for i := range 3 {
		if r := post("r1"); r.status != 201 {
			t.Fatalf("report %d: %d %s", i, r.status, r.body)
		}
	}
	e.clock.Add(20 * time.Second)
	r := post("r1")
	if s := retryAfter(r); s != 40 {
		t.Errorf("minute limit: Retry-After %d, want 40", s)
	}
	if strings.Contains(string(r.body), "r1") {
		t.Errorf("429 names the reporter: %s", r.body)
	}
	if r := post("r2"); r.status != 201 {
		t.Errorf("another reporter was limited: %d", r.status)
	}

	e.clock.Add(41 * time.Second) // t0+61s
	for i := range 2 {
		if r := post("r1"); r.status != 201 {
			t.Fatalf("report %d after the minute: %d %s", i, r.status, r.body)
		}
	}
	e.clock.Add(time.Minute) // t0+121s: the minute allows, the day does not
	// The day's first reports (at t0) leave the window 24h after t0.
	want := int((24*time.Hour - 121*time.Second).Seconds())
	if s := retryAfter(post("r1")); s < want || s > want+60 {
		t.Errorf("day limit: Retry-After %d, want %d rounded up to the minute", s, want)
	}
	// Remembered: asking again costs no query and still says wait.
	if s := retryAfter(post("r1")); s < want || s > want+60 {
		t.Errorf("day limit again: Retry-After %d", s)
	}
	e.clock.Add(time.Duration(want+60) * time.Second)
	if r := post("r1"); r.status != 201 {
		t.Errorf("after the day's first reports aged out: %d %s", r.status, r.body)
	}
}

func TestReportDefaultLimitAndNoLimit(t *testing.T) {
	e := newEnv(t, nil)
	for i := range DefaultReportsPerMinute {
		if r := e.do(t, "POST", "/v1/reports", report("r1", "e"+strconv.Itoa(i))); r.status != 201 {
			t.Fatalf("report %d: %d", i, r.status)
		}
	}
	if r := e.do(t, "POST", "/v1/reports", report("r1", "e")); r.status != 429 || r.header.Get("Retry-After") != "60" {
		t.Errorf("report %d in a minute: %d Retry-After %q", DefaultReportsPerMinute+1, r.status, r.header.Get("Retry-After"))
	}
	free := newEnv(t, func(c *Config, _ *store.Store) { c.ReportLimits = RateLimits{PerMinute: -1, PerDay: -1} })
	for i := range 15 {
		if r := free.do(t, "POST", "/v1/reports", report("r1", "e")); r.status != 201 {
			t.Fatalf("unlimited report %d: %d", i, r.status)
		}
	}
}

func TestWindowForgetsQuietKeys(t *testing.T) {
	w := newWindow(2, time.Minute)
	for i := range 1000 {
		w.take("k"+strconv.Itoa(i), t0)
	}
	w.take("recent", t0.Add(90*time.Second))
	if len(w.events) != 1 {
		t.Errorf("%d keys kept after a quiet period, want 1", len(w.events))
	}
}

// failingStore fails every call with an internal detail.
type failingStore struct{ ReviewStore }

var errSecret = errors.New("pq: connection to 10.0.0.7 refused (secret internal detail)")

func (failingStore) FileReport(context.Context, *store.Report, time.Time) (*store.Report, error) {
	return nil, errSecret
}
func (failingStore) CountRecentReports(context.Context, string, time.Time) (int, error) {
	return 0, nil
}
func (failingStore) Decision(context.Context, string) (*engine.Decision, error) {
	return nil, errSecret
}

func TestInternalErrorsStayInternal(t *testing.T) {
	e := newEnv(t, func(c *Config, st *store.Store) { c.Store = failingStore{st} })
	for _, tt := range []struct{ method, path string }{
		{"POST", "/v1/reports"},
		{"GET", "/v1/decisions/d1/statement"},
	} {
		var body any
		if tt.method == "POST" {
			body = report("r1", "e1")
		}
		r := e.do(t, tt.method, tt.path, body)
		if r.status != 500 || r.apiError(t).Code != "internal" || strings.Contains(string(r.body), "secret") {
			t.Errorf("%s %s = %d %s", tt.method, tt.path, r.status, r.body)
		}
	}
	logs := e.logText()
	if !strings.Contains(logs, "secret internal detail") {
		t.Error("the cause of a 500 was not logged")
	}
	if strings.Contains(logs, "모욕") || strings.Contains(logs, "분수대") {
		t.Errorf("report details were logged: %s", logs)
	}
}

func TestNoPersonalDataInLogs(t *testing.T) {
	e := newEnv(t, nil)
	saveDecision(t, e.store, "d1", engine.ActionBlock, "appellant-pii-7", t0.Add(-time.Hour))
	r := report("reporter-pii-3", "e-d1")
	r["details"] = "details-pii-marker"
	r["location"] = "location-pii-marker"
	if resp := e.do(t, "POST", "/v1/reports", r); resp.status != 201 {
		t.Fatal(resp.status)
	}
	if resp := e.do(t, "POST", "/v1/appeals", map[string]any{"decision_id": "d1", "appellant_id": "appellant-pii-7", "reason": "reason-pii-marker"}); resp.status != 201 {
		t.Fatal(resp.status)
	}
	logs := e.logText()
	if !strings.Contains(logs, "report filed") || !strings.Contains(logs, "appeal filed") {
		t.Fatalf("nothing logged at debug: %s", logs)
	}
	for _, pii := range []string{"reporter-pii-3", "details-pii-marker", "location-pii-marker", "appellant-pii-7", "reason-pii-marker"} {
		if strings.Contains(logs, pii) {
			t.Errorf("log holds %s: %s", pii, logs)
		}
	}
}

func TestUnstorableInputIsRefusedNot500(t *testing.T) {
	e := newEnv(t, nil)
	body := report("citizen-1", "evt-1")
	body["details"] = "null \x00 byte"
	if r := e.do(t, "POST", "/v1/reports", body); r.status != 400 {
		t.Errorf("a NUL in details: %d %s", r.status, r.body)
	}
	for _, path := range []string{"/v1/reports/%00", "/v1/reports/%ff", "/v1/appeals/%00", "/v1/decisions/%ff/statement"} {
		if r := e.do(t, "GET", path, nil); r.status != 404 {
			t.Errorf("GET %s: %d %s", path, r.status, r.body)
		}
	}
}

// TestReportContextIsKeptWithTheCase: the conversation a report supplies
// is kept as the case's snapshot; too much of it is a 400 naming it.
func TestReportContextIsKeptWithTheCase(t *testing.T) {
	e := newEnv(t, nil)
	body := report("reporter-1", "e-77")
	body["context"] = []map[string]any{
		{"id": "e-76", "sender_id": "user-9", "text": "너 어디 사는지 알아"},
		{"id": "e-77", "sender_id": "user-9", "text": "기다려라"},
	}
	r := e.do(t, "POST", "/v1/reports", body)
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	c, err := e.store.ClaimNext(context.Background(), store.QueueGeneral, store.Moderator{ID: "mod-1", Roles: []string{store.RoleModerator}}, time.Minute, t0)
	if err != nil {
		t.Fatal(err)
	}
	sn, err := e.store.Snapshots(context.Background(), c.ID)
	if err != nil || len(sn) != 1 || len(sn[0].Context) != 2 || sn[0].Context[1].Text != "기다려라" {
		t.Errorf("snapshot %+v %v", sn, err)
	}
	many := make([]map[string]any, 21)
	for i := range many {
		many[i] = map[string]any{"sender_id": "user-9", "text": "x"}
	}
	body["context"] = many
	r = e.do(t, "POST", "/v1/reports", body)
	if f := r.apiError(t).Fields; r.status != 400 || len(f) != 1 || f[0].Field != "context" {
		t.Errorf("21 context messages: %d %s", r.status, r.body)
	}
}
