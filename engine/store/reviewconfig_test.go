package store

import (
	"context"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/policy"
	"github.com/haechi-tns/haechi/policies"
)

// builtinData is the built-in bundle's data.json, decoded afresh for
// each caller to edit.
func builtinData(t *testing.T) map[string]any {
	t.Helper()
	src, err := fs.ReadFile(policies.FS, "data.json")
	if err != nil {
		t.Fatal(err)
	}
	v, err := engine.DecodeJSONValue(src)
	if err != nil {
		t.Fatal(err)
	}
	return v.(map[string]any)
}

func reviewOf(data map[string]any) map[string]any {
	return data["haechi"].(map[string]any)["config"].(map[string]any)["review"].(map[string]any)
}

// TestBuiltinReviewConfig reads the review settings the way the command
// wiring does, from the built-in bundle as the policy package loads it,
// and checks they route and rank as the queue always has.
func TestBuiltinReviewConfig(t *testing.T) {
	b, err := policy.LoadFS(policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ReviewConfigFromData(b.Data)
	if err != nil {
		t.Fatal(err)
	}
	builtin, err := builtinReview()
	if err != nil {
		t.Fatal(err)
	}
	s := &Store{}
	if got, err := s.Review(); err != nil || got != builtin {
		t.Errorf("a store without SetReview uses %v (%v), want the built-in bundle's", got, err)
	}

	routes := []struct {
		category engine.Category
		space    string
		queue    string
		minor    bool
	}{
		{engine.SelfHarm, "plaza", QueueYouthSafety, true},
		{engine.SexualMinors, "", QueueYouthSafety, true},
		{engine.Grooming, "plaza", QueueYouthSafety, true},
		{engine.Minors, "library", QueueYouthSafety, true},
		{engine.Sexual, "plaza", QueueYouthSafety, true},
		{engine.Threat, "plaza", QueueSenior, false},
		{engine.Threat, "youth", QueueSenior, false}, // the category decides first
		{engine.Insult, "youth", QueueYouthSafety, false},
		{engine.Insult, "plaza", QueueGeneral, false},
		{engine.Other, "", QueueGeneral, false},
		{engine.Scam, "business", QueueGeneral, false},
	}
	for _, r := range routes {
		if q := cfg.ReportQueue(r.category, r.space); q != r.queue {
			t.Errorf("a %s report in %q goes to %s, want %s", r.category, r.space, q, r.queue)
		}
		if m := cfg.ReportInvolvesMinor(r.category); m != r.minor {
			t.Errorf("a %s report involves a minor: %v, want %v", r.category, m, r.minor)
		}
	}

	priorities := []struct {
		name       string
		severity   string
		categories []engine.Category
		reporters  int
		space      string
		minor      bool
		want       int
	}{
		{"report without severity", "", []engine.Category{engine.Insult}, 1, "plaza", false, 50 + 20 + 20},
		{"unknown severity weighs as none", "extreme", nil, 0, "", false, 50},
		{"gravest category counts", "medium", []engine.Category{engine.Spam, engine.SexualMinors, engine.Hate}, 0, "", false, 200 + 200},
		{"reporters are capped", "low", nil, 25, "", false, 100 + 20*10},
		{"youth space and a minor", "high", []engine.Category{engine.SelfHarm}, 0, "youth", true, 300 + 150 + 80 + 100},
		{"critical threat", "critical", []engine.Category{engine.Threat}, 2, "plaza", false, 400 + 100 + 40},
		{"category without a bonus", "medium", []engine.Category{engine.Toxic, engine.Other}, 0, "", false, 200},
	}
	for _, p := range priorities {
		t.Run(p.name, func(t *testing.T) {
			if got := cfg.CasePriority(p.severity, p.categories, p.reporters, p.space, p.minor); got != p.want {
				t.Errorf("priority %d, want %d", got, p.want)
			}
		})
	}
	if cfg.Priority.Overdue != 500 {
		t.Errorf("overdue weight %d, want 500", cfg.Priority.Overdue)
	}
}

// TestReviewConfigRefusesBadSettings: a bundle whose review settings are
// wrong is refused with an error naming the setting.
func TestReviewConfigRefusesBadSettings(t *testing.T) {
	tests := []struct {
		name string
		edit func(review, priority, reports map[string]any)
		want string
	}{
		{"unknown queue", func(_, _, r map[string]any) { r["categories"].(map[string]any)["threat"] = "moderators" },
			`reports.categories.threat: unknown queue "moderators"`},
		{"appeals queue for reports", func(_, _, r map[string]any) { r["default"] = "appeals" },
			`reports.default: unknown queue "appeals"`},
		{"negative weight", func(_, p, _ map[string]any) { p["categories"].(map[string]any)["hate"] = -60 },
			"priority.categories.hate is -60, want 0 to 100000"},
		{"negative reporter weight", func(_, p, _ map[string]any) { p["per_reporter"] = -1 },
			"priority.per_reporter is -1"},
		{"weight too large", func(_, p, _ map[string]any) { p["overdue"] = 1 << 31 },
			"priority.overdue is 2147483648, want 0 to 100000"},
		{"unknown bonus category", func(_, p, _ map[string]any) { p["categories"].(map[string]any)["rudeness"] = 10 },
			`priority.categories: unknown category "rudeness"`},
		{"phishing is an alias, not a category", func(_, p, _ map[string]any) { p["categories"].(map[string]any)["phishing"] = 40 },
			`unknown category "phishing"`},
		{"route for a category reports cannot carry", func(_, _, r map[string]any) { r["categories"].(map[string]any)["toxic"] = "general" },
			`reports.categories: "toxic" is not a category a citizen may report`},
		{"unknown space type", func(_, _, r map[string]any) { r["spaces"].(map[string]any)["moon"] = "general" },
			`reports.spaces: unknown space type "moon"`},
		{"unknown severity", func(_, p, _ map[string]any) { p["severity"].(map[string]any)["extreme"] = 500 },
			`priority.severity: unknown severity "extreme"`},
		{"missing severity", func(_, p, _ map[string]any) { delete(p["severity"].(map[string]any), "critical") },
			"priority.severity.critical is missing"},
		{"missing weight", func(_, p, _ map[string]any) { delete(p, "minor") },
			"data.haechi.config.review.priority.minor is missing"},
		{"misspelt weight", func(_, p, _ map[string]any) { p["per_reporters"] = 20 },
			"per_reporters"},
		{"fractional weight", func(_, p, _ map[string]any) { p["youth_space"] = 80.5 },
			"youth_space"},
		{"weight as text", func(_, p, _ map[string]any) { p["youth_space"] = "80" },
			"youth_space"},
		{"minor category twice", func(_, _, r map[string]any) {
			r["involves_minor"] = []any{"grooming", "grooming"}
		}, `reports.involves_minor: "grooming" is listed twice`},
		{"minor category unknown", func(_, _, r map[string]any) { r["involves_minor"] = []any{"children"} },
			`reports.involves_minor: "children" is not a category a citizen may report`},
		{"no routing", func(rv, _, _ map[string]any) { delete(rv, "reports") },
			"data.haechi.config.review.reports must be an object"},
		{"no review settings", func(rv, _, _ map[string]any) { clear(rv) },
			"data.haechi.config.review.priority must be an object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := builtinData(t)
			rv := reviewOf(data)
			p, _ := rv["priority"].(map[string]any)
			r, _ := rv["reports"].(map[string]any)
			tt.edit(rv, p, r)
			_, err := ReviewConfigFromData(data)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
	data := builtinData(t)
	delete(data["haechi"].(map[string]any)["config"].(map[string]any), "review")
	if _, err := ReviewConfigFromData(data); err == nil || !strings.Contains(err.Error(), "data.haechi.config.review is missing") {
		t.Errorf("a bundle without review settings: %v", err)
	}
}

// TestSetReviewRoutesAndRanks: the store routes reports and ranks cases
// by the configuration it was given, refuses a bad one and keeps the
// configuration in use, and is not changed by later edits to what it was
// given.
func TestSetReviewRoutesAndRanks(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		// Before SetReview: the built-in routing.
		r, err := s.FileReport(ctx, &Report{ReporterID: "r1", TargetKind: TargetUser, TargetID: "u-threat", Category: engine.Threat}, t0)
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.Case(ctx, r.CaseID)
		if err != nil {
			t.Fatal(err)
		}
		if c.Queue != QueueSenior || c.Priority != 50+100+20 || !slices.Equal(c.Categories, []engine.Category{engine.Threat}) {
			t.Errorf("built-in: threat report case in %s with priority %d and categories %v", c.Queue, c.Priority, c.Categories)
		}

		data := builtinData(t)
		rv := reviewOf(data)
		rv["reports"].(map[string]any)["categories"].(map[string]any)["insult"] = "senior"
		rv["reports"].(map[string]any)["involves_minor"] = []any{"insult"}
		p := rv["priority"].(map[string]any)
		p["categories"].(map[string]any)["insult"] = 7
		p["per_reporter"], p["minor"], p["overdue"] = 3, 1000, 11
		cfg, err := ReviewConfigFromData(data)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetReview(cfg); err != nil {
			t.Fatal(err)
		}
		cfg.Reports.Categories[engine.Insult] = QueueGeneral // not the store's copy

		r, err = s.FileReport(ctx, &Report{ReporterID: "r1", TargetKind: TargetUser, TargetID: "u-insult", Category: engine.Insult}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if c, err = s.Case(ctx, r.CaseID); err != nil {
			t.Fatal(err)
		}
		if c.Queue != QueueSenior || !c.InvolvesMinor || c.Priority != 50+7+3+1000 {
			t.Errorf("configured: insult report case in %s, minor %v, priority %d; want senior, true, %d", c.Queue, c.InvolvesMinor, c.Priority, 50+7+3+1000)
		}
		// A second reporter reprioritises with the configuration too.
		if _, err := s.FileReport(ctx, &Report{ReporterID: "r2", TargetKind: TargetUser, TargetID: "u-insult", Category: engine.Insult}, t0); err != nil {
			t.Fatal(err)
		}
		if c, _ = s.Case(ctx, r.CaseID); c.Priority != 50+7+2*3+1000 {
			t.Errorf("after a second reporter: priority %d, want %d", c.Priority, 50+7+2*3+1000)
		}

		// A bad configuration is refused; the one in use stays.
		bad := cfg.clone()
		bad.Reports.Default = "nowhere"
		if err := s.SetReview(bad); err == nil || !strings.Contains(err.Error(), `unknown queue "nowhere"`) {
			t.Errorf("SetReview accepted a bad configuration: %v", err)
		}
		if err := s.SetReview(nil); err == nil {
			t.Error("SetReview accepted nil")
		}
		if got, _ := s.Review(); got.ReportQueue(engine.Insult, "") != QueueSenior {
			t.Errorf("after refused configurations insult goes to %s", got.ReportQueue(engine.Insult, ""))
		}

		// The overdue weight is the configuration's.
		n, err := s.MarkOverdue(ctx, t0.Add(5*time.Hour))
		if err != nil || n != 2 {
			t.Fatalf("MarkOverdue = %d, %v; want the two report cases", n, err)
		}
		if c, _ = s.Case(ctx, r.CaseID); c.Priority != 50+7+2*3+1000+11 {
			t.Errorf("overdue: priority %d, want %d", c.Priority, 50+7+2*3+1000+11)
		}

		// The store takes only categories a citizen may report.
		for _, cat := range []engine.Category{engine.Toxic, "phishing", "rudeness"} {
			if _, err := s.FileReport(ctx, &Report{ReporterID: "r1", TargetKind: TargetUser, TargetID: "u", Category: cat}, t0); err == nil {
				t.Errorf("a %q report was filed", cat)
			}
		}
	})
}
