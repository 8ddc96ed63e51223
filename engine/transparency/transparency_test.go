package transparency

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine/store"
)

func report() *store.TransparencyReport {
	m := store.Month{Year: 2026, Month: time.November}
	median, rate := int64(46800), 0.5
	return &store.TransparencyReport{
		Version: 1, Final: true, GeneratedAt: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		Period: store.ReportPeriod{Month: m.String(), TimeZone: "Asia/Seoul (KST, UTC+09:00)", Start: m.Start(), End: m.End()},
		Notices: store.NoticeFigures{Received: 4, ByCategory: map[string]int64{"insult": 2, "hate": 0}, BySpaceType: map[string]int64{"plaza": 3},
			ByTarget: map[string]int64{"message": 4}, ByOutcome: map[string]int64{"remove": 1}, MedianSecondsToAction: &median},
		OwnInitiative: store.OwnInitiativeFigures{ByAction: map[string]int64{"block": 2}, ByCategoryAction: map[string]map[string]int64{"insult": {"block": 2, "hold": 0}},
			ByRestriction: map[string]int64{}, RestrictingBySpace: map[string]int64{}},
		Human:        store.HumanFigures{ByOutcome: map[string]int64{}, BySource: map[string]int64{}},
		Restrictions: store.RestrictionFigures{Total: 1, ByKind: map[string]int64{"suspend": 1}},
		Automated:    store.AutomatedFigures{OverturnRate: &rate},
	}
}

func TestCSV(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, report(), "csv"); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recs[0], CSVHeader) {
		t.Errorf("header %v", recs[0])
	}
	got := map[string]string{}
	for _, r := range recs[1:] {
		if len(r) != len(CSVHeader) || r[4] == "" || r[5] == "" {
			t.Errorf("row %v", r)
		}
		got[r[0]+"."+r[1]+"."+r[2]] = r[3]
	}
	for k, want := range map[string]string{
		"reporting_period.month.":                            "2026-11",
		"reporting_period.start.":                            "2026-11-01T00:00:00+09:00",
		"report.final.":                                      "true",
		"notices.received.":                                  "4",
		"notices.received_by_category.insult":                "2",
		"notices.received_by_category.hate":                  "0",
		"notices.median_seconds_to_action.":                  "46800",
		"own_initiative.by_category_and_action.insult/block": "2",
		"own_initiative.by_category_and_action.insult/hold":  "0",
		"human_decisions.median_seconds_to_close.":           "",
		"account_restrictions.by_kind.suspend":               "1",
		"automated_means.appeal_reversal_rate.":              "0.5000",
		"automated_means.release_rate.":                      "",
	} {
		if v, ok := got[k]; !ok || v != want {
			t.Errorf("%s = %q (%v), want %q", k, v, ok, want)
		}
	}
	if err := Write(&b, report(), "xml"); err == nil {
		t.Error("format xml accepted")
	}
}

// TestMetricsCoverTheReport: every field of the JSON report has its row
// in the CSV, named in both languages, once.
func TestMetricsCoverTheReport(t *testing.T) {
	b, _ := json.Marshal(report())
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range Metrics {
		k := m.Section + "." + m.Name
		if seen[k] {
			t.Errorf("%s twice", k)
		}
		seen[k] = true
		if m.KO == "" || m.EN == "" || m.KO == m.EN {
			t.Errorf("%s: labels %q %q", k, m.KO, m.EN)
		}
	}
	for section, raw := range doc {
		var fields map[string]json.RawMessage
		if json.Unmarshal(raw, &fields) != nil {
			if section != "version" && !seen["report."+section] {
				t.Errorf("%s is not written to the CSV", section)
			}
			continue
		}
		for f := range fields {
			if !seen[section+"."+f] {
				t.Errorf("%s.%s is not written to the CSV", section, f)
			}
		}
	}
}

// TestReportHoldsNoText: the report's type holds numbers, times and the
// period's names only: no field could carry a user id or a text.
func TestReportHoldsNoText(t *testing.T) {
	allowed := []string{"ReportPeriod.Month", "ReportPeriod.TimeZone"}
	var walk func(typ reflect.Type, path string)
	walk = func(typ reflect.Type, path string) {
		switch typ.Kind() {
		case reflect.Pointer, reflect.Slice:
			walk(typ.Elem(), path)
		case reflect.Map:
			if typ.Key().Kind() != reflect.String {
				t.Errorf("%s: map keyed by %s", path, typ.Key())
			}
			walk(typ.Elem(), path)
		case reflect.Struct:
			if typ == reflect.TypeOf(time.Time{}) {
				return
			}
			for i := range typ.NumField() {
				f := typ.Field(i)
				walk(f.Type, typ.Name()+"."+f.Name)
			}
		case reflect.String:
			if !slices.Contains(allowed, path) {
				t.Errorf("%s is a string", path)
			}
		}
	}
	walk(reflect.TypeOf(store.TransparencyReport{}), "TransparencyReport")
	// Map keys are the taxonomy's names: the store fills them from
	// reports' categories, space types and targets, decisions' actions
	// and categories, cases' outcomes and sources and restrictions'
	// kinds, all validated names. The CLI's test checks a seeded store's
	// export holds none of its ids or texts.
	if !strings.Contains(ContentType("csv"), "text/csv") || ContentType("json") != "application/json" {
		t.Error("content types")
	}
}
