package engine

import (
	"slices"
	"testing"
)

func TestReportCategories(t *testing.T) {
	tests := []struct {
		name string
		want Category
		ok   bool
	}{
		{"insult", Insult, true},
		{"sexual_minors", SexualMinors, true},
		{"pii", PIICategory, true},
		{"nudity", Nudity, true},
		{"grooming", Grooming, true},
		{"minors", Minors, true},
		{"other", Other, true},
		{"phishing", Scam, true}, // an alias
		{"toxic", "", false},     // derived, never reported
		{"hash_match", "", false},
		{"suggestive", "", false},
		{"Insult", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseReportCategory(tt.name)
			if ok != tt.ok || (ok && got != tt.want) {
				t.Errorf("ParseReportCategory(%q) = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
			}
		})
	}
	for _, c := range ReportCategories {
		if !c.Known() {
			t.Errorf("report category %q is not in the taxonomy", c)
		}
		if c.Valid() == c.ReportOnly() {
			t.Errorf("%q: Valid %v, ReportOnly %v: a category is scored or report-only, not both", c, c.Valid(), c.ReportOnly())
		}
	}
	if got := slices.Compact(slices.Sorted(slices.Values(ReportCategories))); len(got) != len(ReportCategories) {
		t.Errorf("ReportCategories repeats a category: %v", ReportCategories)
	}
	names := ReportCategoryNames()
	if len(names) != len(ReportCategories)+1 || names[len(names)-1] != "phishing" {
		t.Errorf("ReportCategoryNames = %v, want the report categories then phishing", names)
	}
	for _, n := range names {
		if _, ok := ParseReportCategory(n); !ok {
			t.Errorf("listed name %q is refused", n)
		}
	}
	// Classifiers and lexicons check names with Valid: report-only
	// categories must not pass as scores.
	for _, c := range []Category{Grooming, Minors, Other, "phishing"} {
		if c.Valid() {
			t.Errorf("%q is Valid, so a classifier could score it", c)
		}
	}
}
