package api

import (
	"slices"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
)

// TestReportCategoriesAreTheTaxonomys: the API accepts exactly the
// taxonomy's report categories and their aliases, documents exactly
// those, and stores an alias as its category.
func TestReportCategoriesAreTheTaxonomys(t *testing.T) {
	doc := loadOpenAPI(t)
	var documented []string
	for _, v := range dig(doc.Components.Schemas["ReportRequest"], "properties", "category")["enum"].([]any) {
		documented = append(documented, v.(string))
	}
	if !slices.Equal(documented, engine.ReportCategoryNames()) {
		t.Errorf("openapi.json lists categories %v, the API accepts %v", documented, engine.ReportCategoryNames())
	}

	e := newEnv(t, func(c *Config, _ *store.Store) { c.ReportLimits = RateLimits{PerMinute: -1, PerDay: -1} })
	for _, name := range documented {
		r := report("r1", "e-"+name)
		r["category"] = name
		if resp := e.do(t, "POST", "/v1/reports", r); resp.status != 201 {
			t.Errorf("category %s: %d %s", name, resp.status, resp.body)
		}
	}
	m := store.Moderator{ID: "mod", Roles: []string{store.RoleModerator, store.RoleCounsellor, store.RoleSenior}}
	found := false
	for _, q := range []string{store.QueueGeneral, store.QueueYouthSafety, store.QueueSenior} {
		for {
			c, err := e.store.ClaimNext(t.Context(), q, m, time.Minute, t0)
			if err != nil {
				break
			}
			for _, cat := range c.Categories {
				if !slices.Contains(engine.ReportCategories, cat) {
					t.Errorf("case %s holds %q, not a report category", c.EventID, cat)
				}
			}
			if c.EventID == "e-phishing" {
				found = true
				if !slices.Equal(c.Categories, []engine.Category{engine.Scam}) {
					t.Errorf("a phishing report's case has categories %v, want [scam]", c.Categories)
				}
			}
		}
	}
	if !found {
		t.Error("no case for the phishing report")
	}
}
