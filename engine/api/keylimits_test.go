package api

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
)

// limitedBy checks that r is a 429 with Retry-After and a message naming
// who is over the limit, and returns the seconds to wait.
func limitedBy(t *testing.T, r response, who string) int {
	t.Helper()
	secs, err := strconv.Atoi(r.header.Get("Retry-After"))
	if r.status != 429 || err != nil || secs < 1 {
		t.Fatalf("got %d Retry-After %q %s, want 429 with Retry-After", r.status, r.header.Get("Retry-After"), r.body)
	}
	if e := r.apiError(t); e.Code != "rate_limited" || !strings.Contains(e.Message, who) {
		t.Fatalf("429 says %q (%s), want rate_limited naming %q", e.Message, e.Code, who)
	}
	return secs
}

// TestKeyLimitsStopAFloodFromOneKey: one key filing for ever new reporters
// is stopped at its limits with 429 and Retry-After while another key
// keeps working; the per-reporter limits still apply within each key, and
// a report they refuse does not spend the key's allowance.
func TestKeyLimitsStopAFloodFromOneKey(t *testing.T) {
	e := newEnv(t, func(c *Config, st *store.Store) {
		c.Keys = st
		c.ReportLimits = RateLimits{PerMinute: 2, PerDay: 3}
		c.KeyLimits = KeyLimits{ReportsPerMinute: 4, ReportsPerDay: 6, AppealsPerMinute: -1, AppealsPerDay: -1}
	})
	leaked, leakedKey, err := e.store.CreateAPIKey(t.Context(), "leaked", []string{store.ScopeReportWrite}, t0)
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := e.store.CreateAPIKey(t.Context(), "other", []string{store.ScopeReportWrite}, t0)
	if err != nil {
		t.Fatal(err)
	}
	post := func(key, reporter string) response {
		t.Helper()
		return e.do(t, "POST", "/v1/reports", report(reporter, "e-"+reporter), "Authorization", "Bearer "+key)
	}
	created := func(r response) {
		t.Helper()
		if r.status != 201 {
			t.Fatalf("got %d %s, want 201", r.status, r.body)
		}
	}

	// The flood: every report names a new reporter.
	for i := range 4 {
		created(post(leaked, fmt.Sprintf("bot-%d", i)))
	}
	e.clock.Add(15 * time.Second)
	r := post(leaked, "bot-4")
	if secs := limitedBy(t, r, "this API key"); secs != 45 {
		t.Errorf("minute limit: Retry-After %d, want 45", secs)
	}
	for _, leak := range []string{leaked, leakedKey.ID, "bot-4"} {
		if strings.Contains(string(r.body), leak) {
			t.Errorf("429 names %q: %s", leak, r.body)
		}
	}

	// Another key works, and its reporters keep their own limits.
	created(post(other, "citizen-1"))
	created(post(other, "citizen-1"))
	limitedBy(t, post(other, "citizen-1"), "this reporter")
	created(post(other, "citizen-2"))
	created(post(other, "citizen-3")) // the refused report did not count: 4 of 4
	limitedBy(t, post(other, "citizen-4"), "this API key")

	// A minute later the leaked key may file again, up to its day.
	e.clock.Add(46 * time.Second) // t0+61s
	created(post(leaked, "bot-4"))
	created(post(leaked, "bot-5"))
	// The day's first reports, at t0, leave its window at t0+24h.
	if secs := limitedBy(t, post(leaked, "bot-6"), "in the last day"); secs != int((24*time.Hour - 61*time.Second).Seconds()) {
		t.Errorf("day limit: Retry-After %d, want %d", secs, int((24*time.Hour - 61*time.Second).Seconds()))
	}

	// A report over the reporter's day, counted in the store, does not
	// spend the key's day either.
	e.clock.Add(time.Minute)
	created(post(other, "citizen-1")) // citizen-1's third today; the key's fifth
	limitedBy(t, post(other, "citizen-1"), "this reporter has filed 3 reports in the last day")
	created(post(other, "citizen-5")) // the key's sixth
	limitedBy(t, post(other, "citizen-6"), "this API key has filed 6 reports in the last day")

	if n, _ := e.store.CountRecentReports(t.Context(), "bot-6", t0.Add(-time.Hour)); n != 0 {
		t.Errorf("a refused report was stored")
	}
}

// TestKeyLimitsOnAppeals: appeals are limited per key too, a minute and a
// day, whoever the appellants are.
func TestKeyLimitsOnAppeals(t *testing.T) {
	e := newEnv(t, func(c *Config, st *store.Store) {
		c.Keys = st
		c.KeyLimits = KeyLimits{AppealsPerMinute: 2, AppealsPerDay: 3}
	})
	leaked, _, err := e.store.CreateAPIKey(t.Context(), "leaked", []string{store.ScopeAppealWrite}, t0)
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := e.store.CreateAPIKey(t.Context(), "other", []string{store.ScopeAppealWrite}, t0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		saveDecision(t, e.store, fmt.Sprintf("d%d", i), engine.ActionBlock, fmt.Sprintf("user-%d", i), t0.Add(-time.Hour))
	}
	appeal := func(key string, i int) response {
		t.Helper()
		return e.do(t, "POST", "/v1/appeals", map[string]any{"decision_id": fmt.Sprintf("d%d", i), "appellant_id": fmt.Sprintf("user-%d", i)},
			"Authorization", "Bearer "+key)
	}
	for i := range 2 {
		if r := appeal(leaked, i); r.status != 201 {
			t.Fatalf("appeal %d: %d %s", i, r.status, r.body)
		}
	}
	if secs := limitedBy(t, appeal(leaked, 2), "this API key has filed 2 appeals in the last minute"); secs != 60 {
		t.Errorf("Retry-After %d, want 60", secs)
	}
	if r := appeal(other, 2); r.status != 201 {
		t.Errorf("another key was limited: %d %s", r.status, r.body)
	}
	e.clock.Add(time.Minute)
	if r := appeal(leaked, 3); r.status != 201 {
		t.Fatalf("after a minute: %d %s", r.status, r.body)
	}
	limitedBy(t, appeal(leaked, 4), "this API key has filed 3 appeals in the last day")
}

// TestKeyLimitsWithoutKeys: with no keys checked, every caller is one
// anonymous key under the same limits.
func TestKeyLimitsWithoutKeys(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *store.Store) { c.KeyLimits = KeyLimits{ReportsPerMinute: 3} })
	for i := range 3 {
		if r := e.do(t, "POST", "/v1/reports", report(fmt.Sprintf("r%d", i), "e1")); r.status != 201 {
			t.Fatalf("report %d: %d %s", i, r.status, r.body)
		}
	}
	limitedBy(t, e.do(t, "POST", "/v1/reports", report("r9", "e1")), "callers without an API key have filed 3 reports")
}

// TestKeyLimitDefaults: unset limits take the defaults, set ones stay,
// and a negative one is no limit.
func TestKeyLimitDefaults(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *store.Store) { c.KeyLimits = KeyLimits{ReportsPerMinute: 3, AppealsPerDay: -1} })
	want := KeyLimits{3, DefaultKeyReportsPerDay, DefaultKeyAppealsPerMinute, -1}
	if got := e.api.cfg.KeyLimits; got != want {
		t.Errorf("key limits %+v, want %+v", got, want)
	}
	free := newKeyLimit(-1, -1)
	for i := range 2 * DefaultKeyReportsPerMinute {
		if over, ok := free.take("k", t0); !ok {
			t.Fatalf("request %d refused with no limit: %+v", i, over)
		}
	}
	capped := newKeyLimit(DefaultKeyReportsPerMinute, -1)
	for range DefaultKeyReportsPerMinute {
		capped.take("k", t0)
	}
	if over, ok := capped.take("k", t0); ok || over.period != "minute" || over.retry != time.Minute {
		t.Errorf("request %d in a minute: %+v %v", DefaultKeyReportsPerMinute+1, over, ok)
	}
	// A request refused after all gives its place back.
	capped.undo("k", t0)
	if _, ok := capped.take("k", t0); !ok {
		t.Error("undo gave nothing back")
	}
	if _, ok := capped.take("k", t0); ok {
		t.Error("undo gave back more than one request")
	}
}
