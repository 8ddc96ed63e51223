package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
)

// TestTransparencyExportsNoPersonalData: last month's report, exported
// as JSON and CSV, counts the seeded month and holds none of its user
// ids, reporters' ids or texts.
func TestTransparencyExportsNoPersonalData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	month := store.MonthOf(time.Now()).Prev()
	at := month.Start().Add(10 * 24 * time.Hour)
	d := &engine.Decision{ID: "decision-7f3a", EventID: "event-7f3a", EventKind: engine.KindChat, World: "seoul", SenderID: "citizen-kim-0042",
		Space: engine.Space{ID: "plaza-17", Type: engine.SpacePlaza}, Action: engine.ActionBlock, Categories: []engine.Category{engine.Insult},
		RuleIDs: []string{"r"}, Reasons: []engine.Reason{}, Severity: "medium", PolicyRevision: "rev", DecidedAt: at,
		RedactedText: "a masked sentence about someone"}
	if _, err := st.SaveDecisions(ctx, []*engine.Decision{d}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.FileReport(ctx, &store.Report{ReporterID: "reporter-lee-0099", TargetKind: store.TargetUser, TargetID: "citizen-park-0007",
		Category: engine.Harassment, SpaceType: "plaza", Details: "she follows me everywhere", Location: "by the fountain"}, at); err != nil {
		t.Fatal(err)
	}
	if _, err := st.FileAppeal(ctx, d.ID, d.SenderID, "this was a quote from a film", at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	st.Close()

	personal := []string{"citizen-kim", "citizen-park", "reporter-lee", "decision-7f3a", "event-7f3a", "plaza-17", "follows me",
		"fountain", "quote from a film", "masked sentence", "seoul"}
	out, _, err := run(t, "", "transparency", "--data-dir", dir, "--month", month.String(), "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var r store.TransparencyReport
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if r.Period.Month != month.String() || !r.Final || r.Notices.Received != 1 || r.Notices.ByCategory["harassment"] != 1 ||
		r.OwnInitiative.ByCategoryAction["insult"]["block"] != 1 || r.Complaints.Received != 1 {
		t.Errorf("report %+v", r)
	}
	csvOut, _, err := run(t, "", "transparency", "--data-dir", dir, "--month", month.String())
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(csvOut)).ReadAll()
	if err != nil || len(recs) < 50 || recs[0][0] != "section" {
		t.Fatalf("csv: %d records, %v", len(recs), err)
	}
	for _, text := range []string{out, csvOut} {
		for _, p := range personal {
			if strings.Contains(text, p) {
				t.Errorf("the export holds %q", p)
			}
		}
	}
	// Without --month: last month, the same frozen report.
	if again, _, err := run(t, "", "transparency", "--data-dir", dir, "--format", "json"); err != nil || again != out {
		t.Errorf("the default month gave another report (%v)", err)
	}
}

func TestTransparencyFlagsAreStrict(t *testing.T) {
	dir := t.TempDir()
	next := store.MonthOf(time.Now()).Start().AddDate(0, 1, 0)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--month", "2026-13"}, "--month"},
		{[]string{"--month", "11-2026"}, "want YYYY-MM"},
		{[]string{"--month", "2026-1"}, "want YYYY-MM"},
		{[]string{"--month", ""}, "want YYYY-MM"},
		{[]string{"--format", "xml"}, "--format: want csv or json"},
		{[]string{"--format", "JSON"}, "--format"},
		{[]string{"2026-11"}, "takes no arguments"},
		{[]string{"--month", store.MonthOf(next).String()}, "has not begun"},
	} {
		_, _, err := run(t, "", append([]string{"transparency", "--data-dir", dir}, tt.args...)...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want an error saying %q", tt.args, err, tt.want)
		}
	}
}
