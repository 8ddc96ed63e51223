// Package transparency writes a month's transparency report
// (store.TransparencyReport) for publication: JSON, the report as the
// store keeps it, and CSV, one figure a row with its name in Korean and
// English. The CLI (haechi transparency) and the reviewer UI's download
// links both write through it, so the two never differ.
//
// The report holds counts, medians and rates only, never a user id or a
// text, and no count is suppressed: every breakdown is by a taxonomy
// name (category, action, outcome, space type, kind of restriction)
// over a whole month of the whole platform, so a small count names a
// kind of event, not a person. docs/architecture.md says more.
package transparency

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/haechi-tns/haechi/engine/store"
)

// Formats are the formats Write writes.
var Formats = []string{"csv", "json"}

// Write writes r in format ("csv" or "json").
func Write(w io.Writer, r *store.TransparencyReport, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "csv":
		return WriteCSV(w, r)
	}
	return fmt.Errorf("transparency: format %q: want csv or json", format)
}

// ContentType is the media type of format.
func ContentType(format string) string {
	if format == "csv" {
		return "text/csv; charset=utf-8"
	}
	return "application/json"
}

// CSVHeader names the CSV's columns.
var CSVHeader = []string{"section", "metric", "key", "value", "label_ko", "label_en"}

// WriteCSV writes r as CSV: a header (CSVHeader), then a row per figure
// in the order of Metrics, a breakdown's keys in sorted order (a key
// "category/action" for figures by two names). An absent median or
// rate is an empty value.
func WriteCSV(w io.Writer, r *store.TransparencyReport) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, row := range Rows(r) {
		if err := cw.Write([]string{row.Section, row.Metric, row.Key, row.Value, row.KO, row.EN}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Row is one figure of a report.
type Row struct {
	Section, Metric string
	// Key is the breakdown's name (a category, an outcome …); empty for
	// a total.
	Key   string
	Value string
	// KO and EN name the metric.
	KO, EN string
}

// Metric is one figure or breakdown of the report, named in Korean and
// English after the DSA transparency template's wording.
type Metric struct {
	Section, Name string
	KO, EN        string
	value         func(r *store.TransparencyReport) any
}

// Metrics are the report's figures in the order they are written.
var Metrics = []Metric{
	{"reporting_period", "month", "보고 기간(월)", "Reporting period (month)", func(r *store.TransparencyReport) any { return r.Period.Month }},
	{"reporting_period", "time_zone", "기준 시간대", "Time zone", func(r *store.TransparencyReport) any { return r.Period.TimeZone }},
	{"reporting_period", "start", "기간 시작", "Period start", func(r *store.TransparencyReport) any { return r.Period.Start }},
	{"reporting_period", "end", "기간 끝(미포함)", "Period end (exclusive)", func(r *store.TransparencyReport) any { return r.Period.End }},
	{"report", "generated_at", "산출 시각", "Generated at", func(r *store.TransparencyReport) any { return r.GeneratedAt }},
	{"report", "final", "확정 여부(기간 종료 후 고정)", "Final (frozen after the period ended)", func(r *store.TransparencyReport) any { return r.Final }},

	{"notices", "received", "접수된 신고 수", "Notices received", func(r *store.TransparencyReport) any { return r.Notices.Received }},
	{"notices", "received_by_category", "유형별 접수 신고 수", "Notices received by category", func(r *store.TransparencyReport) any { return r.Notices.ByCategory }},
	{"notices", "received_by_space_type", "공간 유형별 접수 신고 수", "Notices received by space type", func(r *store.TransparencyReport) any { return r.Notices.BySpaceType }},
	{"notices", "received_by_target", "대상별 접수 신고 수", "Notices received by target", func(r *store.TransparencyReport) any { return r.Notices.ByTarget }},
	{"notices", "received_from_ignored_reporters", "신고 반영이 중지된 신고자의 신고 수", "Notices from reporters whose reports no longer count", func(r *store.TransparencyReport) any { return r.Notices.FromIgnored }},
	{"notices", "reporters_ignored", "신고 반영이 중지된 신고자 수(악용)", "Reporters whose reports stopped counting (misuse)", func(r *store.TransparencyReport) any { return r.Notices.ReportersIgnored }},
	{"notices", "cases_closed", "처리 완료된 신고 사건 수", "Notice cases closed", func(r *store.TransparencyReport) any { return r.Notices.CasesClosed }},
	{"notices", "cases_closed_by_outcome", "처리 결과별 신고 사건 수", "Notice cases closed by outcome", func(r *store.TransparencyReport) any { return r.Notices.ByOutcome }},
	{"notices", "actions_taken", "조치가 취해진 신고 사건 수", "Notice cases with action taken", func(r *store.TransparencyReport) any { return r.Notices.Actioned }},
	{"notices", "median_seconds_to_action", "신고부터 조치까지 걸린 시간의 중앙값(초)", "Median time from notice to action (seconds)", func(r *store.TransparencyReport) any { return r.Notices.MedianSecondsToAction }},

	{"own_initiative", "items_assessed", "자동 판정된 콘텐츠 수", "Items assessed automatically", func(r *store.TransparencyReport) any { return r.OwnInitiative.Decisions }},
	{"own_initiative", "restricting_decisions", "자체 판단에 따른 제한 조치 수", "Own-initiative restrictions", func(r *store.TransparencyReport) any { return r.OwnInitiative.Restricting }},
	{"own_initiative", "by_action", "조치별 자동 판정 수", "Automated decisions by action", func(r *store.TransparencyReport) any { return r.OwnInitiative.ByAction }},
	{"own_initiative", "by_category_and_action", "위반 유형·조치별 제한 조치 수", "Restrictions by category and action", func(r *store.TransparencyReport) any { return r.OwnInitiative.ByCategoryAction }},
	{"own_initiative", "by_restriction_type", "제한 방식별 조치 수", "Restrictions by type of restriction", func(r *store.TransparencyReport) any { return r.OwnInitiative.ByRestriction }},
	{"own_initiative", "restricting_by_space_type", "공간 유형별 제한 조치 수", "Restrictions by space type", func(r *store.TransparencyReport) any { return r.OwnInitiative.RestrictingBySpace }},
	{"own_initiative", "sent_to_human_review", "사람의 검토로 넘겨진 조치 수", "Restrictions sent to human review", func(r *store.TransparencyReport) any { return r.OwnInitiative.SentToReview }},

	{"human_decisions", "cases_closed", "검토자가 종결한 사건 수", "Cases closed by reviewers", func(r *store.TransparencyReport) any { return r.Human.Closed }},
	{"human_decisions", "by_outcome", "처리 결과별 사건 수", "Cases closed by outcome", func(r *store.TransparencyReport) any { return r.Human.ByOutcome }},
	{"human_decisions", "by_source", "사건 출처별 수(자동 탐지·신고)", "Cases closed by source (detection, notice)", func(r *store.TransparencyReport) any { return r.Human.BySource }},
	{"human_decisions", "median_seconds_to_close", "사건 접수부터 종결까지 걸린 시간의 중앙값(초)", "Median time from case opened to closed (seconds)", func(r *store.TransparencyReport) any { return r.Human.MedianSecondsToClose }},

	{"complaints", "received", "접수된 이의 신청 수", "Complaints (appeals) received", func(r *store.TransparencyReport) any { return r.Complaints.Received }},
	{"complaints", "received_of_automated_decisions", "자동 결정에 대한 이의 신청 수", "Complaints about automated decisions", func(r *store.TransparencyReport) any { return r.Complaints.ReceivedOfAutomated }},
	{"complaints", "decided", "결정된 이의 신청 수", "Complaints decided", func(r *store.TransparencyReport) any { return r.Complaints.Decided }},
	{"complaints", "upheld", "원결정이 유지된 수", "Decisions upheld", func(r *store.TransparencyReport) any { return r.Complaints.Upheld }},
	{"complaints", "reversed", "원결정이 번복된 수", "Decisions reversed", func(r *store.TransparencyReport) any { return r.Complaints.Overturned }},
	{"complaints", "median_seconds_to_decide", "이의 신청 결정까지 걸린 시간의 중앙값(초)", "Median time to decide a complaint (seconds)", func(r *store.TransparencyReport) any { return r.Complaints.MedianSecondsToDecide }},
	{"complaints", "open_at_period_end", "기간 말 미결 이의 신청 수", "Complaints open at the end of the period", func(r *store.TransparencyReport) any { return r.Complaints.OpenAtPeriodEnd }},

	{"account_restrictions", "total", "계정 제한 조치 수", "Account restrictions", func(r *store.TransparencyReport) any { return r.Restrictions.Total }},
	{"account_restrictions", "by_kind", "종류별 계정 제한 수(발언 제한·정지·영구 정지)", "Account restrictions by kind (mute, suspend, ban)", func(r *store.TransparencyReport) any { return r.Restrictions.ByKind }},

	{"automated_means", "automated_restrictions", "자동 제한 조치 수", "Automated restrictions", func(r *store.TransparencyReport) any { return r.Automated.Restrictions }},
	{"automated_means", "reviewed_by_person", "사람이 검토한 자동 조치 사건 수", "Automated decisions reviewed by a person", func(r *store.TransparencyReport) any { return r.Automated.Reviewed }},
	{"automated_means", "released_on_review", "검토 후 해제된 수", "Released on review (no violation)", func(r *store.TransparencyReport) any { return r.Automated.Released }},
	{"automated_means", "release_rate", "검토 후 해제 비율", "Share released on review", func(r *store.TransparencyReport) any { return r.Automated.ReleaseRate }},
	{"automated_means", "appeals_of_automated_decided", "결정된 자동 조치 이의 신청 수", "Appeals of automated decisions decided", func(r *store.TransparencyReport) any { return r.Automated.AppealsDecided }},
	{"automated_means", "appeals_of_automated_reversed", "번복된 자동 조치 수", "Automated decisions reversed on appeal", func(r *store.TransparencyReport) any { return r.Automated.Overturned }},
	{"automated_means", "appeal_reversal_rate", "이의 신청 번복 비율(자동 조치)", "Share of automated decisions reversed on appeal", func(r *store.TransparencyReport) any { return r.Automated.OverturnRate }},
}

// Rows flattens r into its figures, in the order of Metrics.
func Rows(r *store.TransparencyReport) []Row {
	var out []Row
	for _, m := range Metrics {
		row := Row{Section: m.Section, Metric: m.Name, KO: m.KO, EN: m.EN}
		switch v := m.value(r).(type) {
		case map[string]int64:
			for _, k := range slices.Sorted(maps.Keys(v)) {
				row.Key, row.Value = k, strconv.FormatInt(v[k], 10)
				out = append(out, row)
			}
			continue
		case map[string]map[string]int64:
			for _, k := range slices.Sorted(maps.Keys(v)) {
				for _, k2 := range slices.Sorted(maps.Keys(v[k])) {
					row.Key, row.Value = k+"/"+k2, strconv.FormatInt(v[k][k2], 10)
					out = append(out, row)
				}
			}
			continue
		default:
			row.Value = format(v)
		}
		out = append(out, row)
	}
	return out
}

func format(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case *int64:
		if v == nil {
			return ""
		}
		return strconv.FormatInt(*v, 10)
	case *float64:
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', 4, 64)
	case time.Time:
		return v.Format(time.RFC3339)
	}
	panic(fmt.Sprintf("transparency: a metric of type %T", v)) // a Metrics entry no test wrote
}
