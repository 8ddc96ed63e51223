package reviewerui

import (
	"cmp"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
)

// dashboardDays are the windows the dashboard offers (?days=); the first
// is the default.
var dashboardDays = []int{14, 7, 30}

// maxChartSeries is how many reviewers or categories a chart draws one
// by one; the rest are summed in one more series.
const maxChartSeries = 6

// dashboardData is the dashboard's data.
type dashboardData struct {
	Days       int
	DayChoices []int
	From, To   time.Time // the window: To is the end of its last day
	// LastSample and CountedUntil say how fresh the figures kept by
	// housekeeping are; zero when it has never run.
	LastSample   time.Time
	CountedUntil time.Time
	Charts       []*chart
}

// dashboard shows operators the queues, decisions, appeals and reviewers
// of the last days as charts, each with its figures as a table.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	if !s.operatorsOnly(w, r, rc, "dashboard") {
		return
	}
	ops, ok := s.opsStore(w, r, rc)
	if !ok {
		return
	}
	days := dashboardDays[0]
	if v := r.URL.Query().Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || !slices.Contains(dashboardDays, n) {
			s.fail(w, r, rc, http.StatusBadRequest, "error.bad_filter")
			return
		}
		days = n
	}
	now := s.cfg.Now()
	y, m, d := now.In(kst).Date()
	from := time.Date(y, m, d, 0, 0, 0, 0, kst).AddDate(0, 0, 1-days)
	win := store.StatsWindow{From: from, Days: days}
	stats, err := ops.Dashboard(r.Context(), win)
	if err != nil {
		s.internalError(w, r, rc, err)
		return
	}
	v := s.newView(r, rc, "dashboard.title", nil)
	v.Data = &dashboardData{Days: days, DayChoices: dashboardDays, From: from, To: win.End(),
		LastSample: stats.LastSample, CountedUntil: stats.CountedUntil,
		Charts: dashboardCharts(v, stats, s.reviewerNames(r.Context(), ops))}
	s.render(w, r, http.StatusOK, "dashboard", v)
}

// dashboardCharts draws the dashboard's charts in the page's language.
func dashboardCharts(v *view, d *store.Dashboard, names map[string]string) []*chart {
	days := d.Window.Days
	var dayLabels, dayTicks []string
	every := (days + 9) / 10 // at most ten dates under an axis
	for i := range days {
		t := d.Window.From.AddDate(0, 0, i).In(kst)
		dayLabels = append(dayLabels, t.Format("2006-01-02"))
		tick := ""
		if i%every == 0 {
			tick = t.Format("1/2")
		}
		dayTicks = append(dayTicks, tick)
	}
	hours := days * 24
	var hourLabels, hourTicks []string
	for i := range hours {
		t := d.Window.From.Add(time.Duration(i) * time.Hour).In(kst)
		hourLabels = append(hourLabels, t.Format("2006-01-02 15:04"))
		tick := ""
		if i%(24*every) == 0 {
			tick = t.Format("1/2")
		}
		hourTicks = append(hourTicks, tick)
	}
	day, hour := v.T("dashboard.day"), v.T("dashboard.hour")
	count := func(n int) []float64 { return make([]float64, n) }
	gaps := func(n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = math.NaN()
		}
		return out
	}
	percent := func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) + "%" }
	oneDecimal := func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

	// Queue depth and the oldest case's age, by the hour.
	depth := &chart{ID: "queue-depth", Title: v.T("dashboard.queue_depth"), Desc: v.T("dashboard.queue_depth_desc"), Kind: lineChart,
		Labels: hourLabels, Ticks: hourTicks, LabelHeading: hour}
	age := &chart{ID: "queue-age", Title: v.T("dashboard.queue_age"), Desc: v.T("dashboard.queue_age_desc"), Kind: lineChart,
		Labels: hourLabels, Ticks: hourTicks, LabelHeading: hour, Format: oneDecimal}
	for _, q := range store.QueueOrder {
		ds, as := gaps(hours), gaps(hours)
		for _, p := range d.Queues {
			if p.Queue == q && p.Hour >= 0 && p.Hour < hours {
				ds[p.Hour], as[p.Hour] = float64(p.Open), p.OldestAge.Hours()
			}
		}
		depth.Series = append(depth.Series, chartSeries{Name: v.Queue(q), Values: ds})
		age.Series = append(age.Series, chartSeries{Name: v.Queue(q), Values: as})
	}

	sla := &chart{ID: "sla-breaches", Title: v.T("dashboard.sla"), Desc: v.T("dashboard.sla_desc"), Kind: barChart,
		Labels: dayLabels, Ticks: dayTicks, LabelHeading: day}
	for _, q := range store.QueueOrder {
		sla.Series = append(sla.Series, chartSeries{Name: v.Queue(q), Values: byDay(d.SLABreaches, q, days)})
	}

	// Automated decisions: the restricting ones by action (allows would
	// flatten the rest; the flag rate below weighs them), and by category.
	var allows int64
	for _, c := range d.Decisions {
		if c.Key == string(engine.ActionAllow) {
			allows += c.N
		}
	}
	actions := &chart{ID: "decisions-action", Title: v.T("dashboard.actions"), Desc: v.T("dashboard.actions_desc", allows), Kind: lineChart,
		Labels: dayLabels, Ticks: dayTicks, LabelHeading: day}
	for _, a := range engine.Actions[1:] {
		actions.Series = append(actions.Series, chartSeries{Name: v.Action(a), Values: byDay(d.Decisions, string(a), days)})
	}
	categories := &chart{ID: "decisions-category", Title: v.T("dashboard.categories"), Desc: v.T("dashboard.categories_desc", maxChartSeries),
		Kind: lineChart, Labels: dayLabels, Ticks: dayTicks, LabelHeading: day}
	categories.Series = topSeries(d.Categories, days, func(k string) string { return v.Category(engine.Category(k)) }, v.T("dashboard.other_categories"))

	// Automated enforcement against people's decisions, by day.
	auto, human := count(days), count(days)
	for _, c := range d.Decisions {
		if c.Day >= 0 && c.Day < days && (c.Key == string(engine.ActionRedact) || c.Key == string(engine.ActionBlock)) {
			auto[c.Day] += float64(c.N)
		}
	}
	for _, c := range d.Outcomes {
		if c.Day >= 0 && c.Day < days {
			human[c.Day] += float64(c.N)
		}
	}
	versus := &chart{ID: "automated-human", Title: v.T("dashboard.versus"), Desc: v.T("dashboard.versus_desc"), Kind: barChart,
		Labels: dayLabels, Ticks: dayTicks, LabelHeading: day,
		Series: []chartSeries{{v.T("dashboard.automated"), auto}, {v.T("dashboard.human"), human}}}

	// Appeals overturned, as a share of those decided each day.
	rate := func(automated bool) ([]float64, int, int) {
		decided, overturned := count(days), count(days)
		totalD, totalO := 0, 0
		for _, a := range d.Appeals {
			if a.Automated == automated && a.Day >= 0 && a.Day < days {
				decided[a.Day] += float64(a.Upheld + a.Overturned)
				overturned[a.Day] += float64(a.Overturned)
				totalD, totalO = totalD+a.Upheld+a.Overturned, totalO+a.Overturned
			}
		}
		out := gaps(days)
		for i := range out {
			if decided[i] > 0 {
				out[i] = 100 * overturned[i] / decided[i]
			}
		}
		return out, totalD, totalO
	}
	autoRate, autoDecided, autoOverturned := rate(true)
	humanRate, humanDecided, humanOverturned := rate(false)
	overturns := &chart{ID: "overturn-rate", Title: v.T("dashboard.overturns"),
		Desc: v.T("dashboard.overturns_desc", autoOverturned, autoDecided, humanOverturned, humanDecided), Kind: lineChart,
		Labels: dayLabels, Ticks: dayTicks, LabelHeading: day, Format: percent, MaxY: 100,
		Series: []chartSeries{{v.T("dashboard.of_automated"), autoRate}, {v.T("dashboard.of_human"), humanRate}}}

	flags := &chart{ID: "flag-rate", Title: v.T("dashboard.flags"), Desc: v.T("dashboard.flags_desc"), Kind: barChart,
		LabelHeading: v.T("dashboard.space"), Format: percent}
	var flagRates []float64
	for _, sp := range d.Spaces {
		if sp.Decisions == 0 {
			continue
		}
		flags.Labels = append(flags.Labels, v.Space(sp.SpaceType))
		flagRates = append(flagRates, 100*float64(sp.Flagged)/float64(sp.Decisions))
	}
	flags.Series = []chartSeries{{v.T("dashboard.flagged"), flagRates}}

	throughput := &chart{ID: "reviewer-throughput", Title: v.T("dashboard.throughput"), Desc: v.T("dashboard.throughput_desc", maxChartSeries),
		Kind: lineChart, Labels: dayLabels, Ticks: dayTicks, LabelHeading: day}
	throughput.Series = topSeries(d.Reviewers, days, func(id string) string {
		if n, ok := names[id]; ok {
			return n
		}
		return id
	}, v.T("dashboard.other_reviewers"))

	return []*chart{depth, age, sla, actions, categories, versus, overturns, flags, throughput}
}

// byDay spreads the counts of key over days.
func byDay(counts []store.DayCount, key string, days int) []float64 {
	out := make([]float64, days)
	for _, c := range counts {
		if c.Key == key && c.Day >= 0 && c.Day < days {
			out[c.Day] += float64(c.N)
		}
	}
	return out
}

// topSeries makes a series of each of the maxChartSeries keys with the
// largest totals, named by name, and sums the other keys into one more
// series named others.
func topSeries(counts []store.DayCount, days int, name func(string) string, others string) []chartSeries {
	totals := map[string]int64{}
	for _, c := range counts {
		totals[c.Key] += c.N
	}
	keys := make([]string, 0, len(totals))
	for k := range totals {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(totals[b], totals[a]), cmp.Compare(a, b)) })
	var out []chartSeries
	rest := make([]float64, days)
	for i, k := range keys {
		vals := byDay(counts, k, days)
		if i < maxChartSeries {
			out = append(out, chartSeries{Name: name(k), Values: vals})
			continue
		}
		for j, x := range vals {
			rest[j] += x
		}
	}
	if len(keys) > maxChartSeries {
		out = append(out, chartSeries{Name: fmt.Sprintf(others, len(keys)-maxChartSeries), Values: rest})
	}
	return out
}
