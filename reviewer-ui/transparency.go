package reviewerui

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
	"github.com/haechi-tns/haechi/engine/transparency"
)

// TransparencyStore computes (and freezes) monthly transparency reports;
// *store.Store implements it (engine/store/transparency.go). A
// Config.Store that does not implement it serves the page as not found.
type TransparencyStore interface {
	TransparencyReport(ctx context.Context, m store.Month, now time.Time) (*store.TransparencyReport, error)
}

var _ TransparencyStore = (*store.Store)(nil)

// transparencyDenyReasons are the refusals of this file's pages; each
// has the message error.forbidden.<reason>.
var transparencyDenyReasons = []string{"transparency_role"}

// transparencyMonths is how many months the page offers, the current one
// first.
const transparencyMonths = 24

// canSeeTransparency reports whether a may read the transparency report:
// operators, admins and senior reviewers, who answer for the figures.
func canSeeTransparency(a *Account) bool {
	return canOperate(a) || a.Has(store.RoleSenior)
}

// transparencyData is the page's data.
type transparencyData struct {
	Month   string
	Months  []string
	Report  *store.TransparencyReport
	Charts  []*chart
	Figures []transparencyFigure
}

// transparencyFigure is a row of the table of every figure.
type transparencyFigure struct {
	Label, Key, Value string
}

// transparencyReport reads the ?month= of the request (last month by
// default) and its report, or answers the refusal or error itself.
func (s *Server) transparencyReport(w http.ResponseWriter, r *http.Request, rc *reqContext, page string) (*store.TransparencyReport, bool) {
	if !canSeeTransparency(rc.Account) {
		s.deny(w, r, rc, "transparency_role", "page:"+page)
		return nil, false
	}
	ts, ok := s.cfg.Store.(TransparencyStore)
	if !ok {
		s.fail(w, r, rc, http.StatusNotFound, "error.not_found")
		return nil, false
	}
	now := s.cfg.Now()
	m := store.MonthOf(now).Prev()
	if vals, ok := r.URL.Query()["month"]; ok {
		var err error
		if len(vals) != 1 {
			err = errors.New("month given more than once")
		} else {
			m, err = store.ParseMonth(vals[0])
		}
		if err != nil {
			s.fail(w, r, rc, http.StatusBadRequest, "error.bad_filter")
			return nil, false
		}
	}
	rep, err := ts.TransparencyReport(r.Context(), m, now)
	if errors.Is(err, store.ErrMonthNotBegun) {
		s.fail(w, r, rc, http.StatusBadRequest, "error.bad_filter")
		return nil, false
	}
	if err != nil {
		s.internalError(w, r, rc, err)
		return nil, false
	}
	return rep, true
}

// transparencyPage shows a month's transparency report as charts and a
// table of every figure, with links to download it.
func (s *Server) transparencyPage(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	rep, ok := s.transparencyReport(w, r, rc, "transparency")
	if !ok {
		return
	}
	v := s.newView(r, rc, "transparency.title", nil)
	d := &transparencyData{Month: rep.Period.Month, Report: rep, Charts: transparencyCharts(v, rep)}
	for m, i := store.MonthOf(s.cfg.Now()), 0; i < transparencyMonths; m, i = m.Prev(), i+1 {
		d.Months = append(d.Months, m.String())
	}
	for _, row := range transparency.Rows(rep) {
		d.Figures = append(d.Figures, transparencyFigure{Label: v.Pick(row.KO, row.EN), Key: row.Key, Value: row.Value})
	}
	v.Data = d
	s.render(w, r, http.StatusOK, "transparency", v)
}

// transparencyExport downloads a month's report as CSV or JSON, the
// bytes haechi transparency writes.
func (s *Server) transparencyExport(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	if !canSeeTransparency(rc.Account) {
		s.deny(w, r, rc, "transparency_role", "page:transparency.export")
		return
	}
	formats := r.URL.Query()["format"]
	if len(formats) != 1 || !slices.Contains(transparency.Formats, formats[0]) {
		s.fail(w, r, rc, http.StatusBadRequest, "error.bad_filter")
		return
	}
	format := formats[0]
	rep, ok := s.transparencyReport(w, r, rc, "transparency.export")
	if !ok {
		return
	}
	w.Header().Set("Content-Type", transparency.ContentType(format))
	w.Header().Set("Content-Disposition", `attachment; filename="haechi-transparency-`+rep.Period.Month+`.`+format+`"`)
	w.Header().Set("Cache-Control", "no-store")
	if err := transparency.Write(w, rep, format); err != nil {
		s.cfg.Log.Error("writing a transparency report failed", "month", rep.Period.Month, "format", format, "err", err)
	}
}

// transparencyCharts draws the report's charts in the page's language.
func transparencyCharts(v *view, r *store.TransparencyReport) []*chart {
	count := v.T("transparency.count")
	bars := func(id, title, desc, heading string, labels []string, values []float64) *chart {
		return &chart{ID: id, Title: title, Desc: desc, Kind: barChart, Labels: labels, LabelHeading: heading,
			Series: []chartSeries{{Name: count, Values: values}}}
	}
	space := func(k string) string {
		if k == "unspecified" {
			return v.T("transparency.unspecified")
		}
		return v.Space(k)
	}

	var catLabels []string
	var catValues []float64
	for _, c := range engine.ReportCategories {
		if n := r.Notices.ByCategory[string(c)]; n > 0 {
			catLabels, catValues = append(catLabels, v.Category(c)), append(catValues, float64(n))
		}
	}
	notices := bars("notices-category", v.T("transparency.notices_category"), v.T("transparency.notices_category_desc", r.Notices.Received, r.Notices.FromIgnored),
		v.T("transparency.category"), catLabels, catValues)

	var spaceLabels []string
	var spaceValues []float64
	for _, k := range append(stringsOf(engine.SpaceTypes), "unspecified") {
		if n := r.Notices.BySpaceType[k]; n > 0 {
			spaceLabels, spaceValues = append(spaceLabels, space(k)), append(spaceValues, float64(n))
		}
	}
	noticeSpaces := bars("notices-space", v.T("transparency.notices_space"), v.T("transparency.notices_space_desc"),
		v.T("dashboard.space"), spaceLabels, spaceValues)

	// Restricting decisions by category, a bar per action.
	byCat := &chart{ID: "decisions-category-action", Title: v.T("transparency.decisions"), Desc: v.T("transparency.decisions_desc", r.OwnInitiative.Restricting, r.OwnInitiative.Decisions),
		Kind: barChart, LabelHeading: v.T("transparency.category")}
	var cats []string
	for _, c := range allCategories {
		if _, ok := r.OwnInitiative.ByCategoryAction[string(c)]; ok {
			cats = append(cats, string(c))
			byCat.Labels = append(byCat.Labels, v.Category(c))
		}
	}
	for _, a := range engine.Actions[1:] {
		vals := make([]float64, len(cats))
		for i, c := range cats {
			vals[i] = float64(r.OwnInitiative.ByCategoryAction[c][string(a)])
		}
		byCat.Series = append(byCat.Series, chartSeries{Name: v.Action(a), Values: vals})
	}

	versus := bars("automated-human", v.T("transparency.versus"), v.T("transparency.versus_desc"), v.T("transparency.what"),
		[]string{v.T("transparency.automated_restrictions"), v.T("transparency.sent_to_review"), v.T("transparency.human_closed"), v.T("transparency.released")},
		[]float64{float64(r.OwnInitiative.Restricting), float64(r.OwnInitiative.SentToReview), float64(r.Human.Closed), float64(r.Automated.Released)})

	c := r.Complaints
	appeals := bars("complaints", v.T("transparency.complaints"), v.T("transparency.complaints_desc", v.MedianTime(c.MedianSecondsToDecide)), v.T("transparency.what"),
		[]string{v.T("transparency.received"), v.T("transparency.decided"), v.T("outcome.upheld"), v.T("outcome.overturned"), v.T("transparency.open_at_end")},
		[]float64{float64(c.Received), float64(c.Decided), float64(c.Upheld), float64(c.Overturned), float64(c.OpenAtPeriodEnd)})

	var kindLabels []string
	var kindValues []float64
	for _, k := range store.RestrictionKinds {
		kindLabels, kindValues = append(kindLabels, v.Outcome(k)), append(kindValues, float64(r.Restrictions.ByKind[k]))
	}
	restrictions := bars("account-restrictions", v.T("transparency.restrictions"), v.T("transparency.restrictions_desc"), v.T("transparency.what"),
		kindLabels, kindValues)

	return []*chart{notices, noticeSpaces, byCat, versus, appeals, restrictions}
}

// MedianTime shows a median in seconds as a duration; a dash for none.
func (v *view) MedianTime(s *int64) string {
	if s == nil {
		return "—"
	}
	return v.Duration(time.Duration(*s) * time.Second)
}

// Rate shows a share as a percentage; a dash for none.
func (v *view) Rate(f *float64) string {
	if f == nil {
		return "—"
	}
	return strconv.FormatFloat(100**f, 'f', 1, 64) + "%"
}

func stringsOf[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}
