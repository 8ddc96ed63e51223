package reviewerui

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Charts are drawn on the server as inline SVG: no script, nothing the
// Content-Security-Policy has to allow (presentation attributes are not
// inline styles), and the same figures as a table for whoever cannot
// see the chart. Each SVG is an image with a name and a description
// (role="img", <title>, <desc>); the table beside it holds every value.

// chartKind is how a chart draws its series.
type chartKind int

const (
	lineChart chartKind = iota // one line per series; NaN leaves a gap
	barChart                   // grouped bars: one group per label, one bar per series
)

// chart is one chart and its data.
type chart struct {
	// ID is unique on the page; the SVG's element ids start with it.
	ID    string
	Title string
	// Desc says in a sentence or two what the chart shows, for screen
	// readers and as the caption under it.
	Desc string
	Kind chartKind
	// Labels name the points (days, hours, space types) in the table;
	// Ticks are the shorter ones under the x axis, "" for none. Without
	// Ticks the labels are used, thinned to fit.
	Labels []string
	Ticks  []string
	// LabelHeading heads the table's label column.
	LabelHeading string
	Series       []chartSeries
	// Format shows a value in the axis and the table; nil shows whole
	// numbers.
	Format func(float64) string
	// MaxY fixes the top of the y axis (100 for percentages); 0 fits it
	// to the data.
	MaxY float64
}

// chartSeries is one line or one colour of bars.
type chartSeries struct {
	Name   string
	Values []float64 // one per label; NaN for none
}

// The drawing's size in SVG units; it scales to the page's width.
const (
	chartW       = 800
	chartPlotH   = 220
	chartLeft    = 64
	chartRight   = 16
	chartTop     = 12
	chartTicksH  = 28
	chartLegendH = 20
	legendPerRow = 4
)

// chartColours are told apart from each other and stand out on white by
// at least 3:1; lines also differ by dash, for readers who do not tell
// the colours apart.
var (
	chartColours = []string{"#1f5fa8", "#b3470b", "#1b7837", "#7b3294", "#8c6d00", "#c51b7d", "#01665e", "#4d4d4d"}
	chartDashes  = []string{"", "6 3", "2 3", "8 3 2 3", "4 4", "1 2", "10 4", "6 2 2 2"}
)

func (c *chart) format(v float64) string {
	if c.Format != nil {
		return c.Format(v)
	}
	return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
}

// niceScale returns a top and step for a y axis from 0 that holds hi in
// four to six steps of 1, 2 or 5 times a power of ten.
func niceScale(hi float64) (top, step float64) {
	if !(hi > 0) {
		return 1, 0.25
	}
	raw := hi / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if step = m * mag; step >= raw {
			break
		}
	}
	top = math.Ceil(hi/step) * step
	return top, step
}

// SVG draws the chart. Every text in it is escaped here: the result is
// trusted by the template.
func (c *chart) SVG() template.HTML {
	n := len(c.Labels)
	rows := (len(c.Series) + legendPerRow - 1) / legendPerRow
	height := chartTop + chartPlotH + chartTicksH + rows*chartLegendH + 4
	x0, x1 := float64(chartLeft), float64(chartW-chartRight)
	y0, y1 := float64(chartTop), float64(chartTop+chartPlotH) // top, bottom

	maxV := 0.0
	for _, s := range c.Series {
		for _, v := range s.Values {
			if !math.IsNaN(v) {
				maxV = math.Max(maxV, v)
			}
		}
	}
	top, step := niceScale(maxV)
	switch {
	case c.MaxY > 0:
		top, step = c.MaxY, c.MaxY/4
	case c.Format == nil && step < 1:
		// Counts: no step between whole numbers.
		top, step = math.Max(1, math.Ceil(top)), 1
	}
	y := func(v float64) float64 { return y1 - (y1-y0)*v/top }

	var b strings.Builder
	id := html.EscapeString(c.ID)
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="100%%" role="img" aria-labelledby="%s-title %s-desc" class="chart" font-family="system-ui, sans-serif" font-size="12">`,
		chartW, height, id, id)
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, id, html.EscapeString(c.Title), id, html.EscapeString(c.Desc))

	// The y axis: grid lines and their values.
	b.WriteString(`<g class="y-axis">`)
	for v := 0.0; v <= top+step/2; v += step {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#d8dee4"/>`, x0, x1, y(v), y(v))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" fill="#1f2328">%s</text>`, x0-6, y(v)+4, html.EscapeString(c.format(v)))
	}
	b.WriteString(`</g>`)

	// Where each label sits: bars in slots, lines edge to edge.
	slot := (x1 - x0) / float64(max(n, 1))
	xAt := func(i int) float64 {
		if c.Kind == barChart || n == 1 {
			return x0 + slot*(float64(i)+0.5)
		}
		return x0 + (x1-x0)*float64(i)/float64(n-1)
	}

	// The x axis and its ticks.
	fmt.Fprintf(&b, `<g class="x-axis"><line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#59636e"/>`, x0, x1, y1, y1)
	ticks := c.Ticks
	if ticks == nil {
		ticks = thin(c.Labels, 12)
	}
	for i, t := range ticks {
		if t == "" || i >= n {
			continue
		}
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#59636e"/>`, xAt(i), xAt(i), y1, y1+4)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#1f2328">%s</text>`, xAt(i), y1+18, html.EscapeString(t))
	}
	b.WriteString(`</g>`)

	// The data.
	for si, s := range c.Series {
		colour, dash := chartColours[si%len(chartColours)], chartDashes[si%len(chartDashes)]
		fmt.Fprintf(&b, `<g class="series" data-series="%d">`, si)
		switch c.Kind {
		case lineChart:
			var d strings.Builder
			pen := false
			for i, v := range s.Values {
				if i >= n || math.IsNaN(v) {
					pen = false
					continue
				}
				cmd := "L"
				if !pen {
					cmd = "M"
				}
				fmt.Fprintf(&d, "%s%.1f %.1f ", cmd, xAt(i), y(math.Min(v, top)))
				pen = true
			}
			if d.Len() > 0 {
				fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="2"%s/>`, strings.TrimSpace(d.String()), colour, dashAttr(dash))
			}
			// Points are marked when there are few, and always when
			// alone between gaps, where no line shows them.
			for i, v := range s.Values {
				if i >= n || math.IsNaN(v) {
					continue
				}
				alone := (i == 0 || math.IsNaN(s.Values[i-1])) && (i+1 >= len(s.Values) || math.IsNaN(s.Values[i+1]))
				if n <= 31 || alone {
					fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"/>`, xAt(i), y(math.Min(v, top)), colour)
				}
			}
		case barChart:
			group := math.Min(slot*0.8, 40*float64(len(c.Series)))
			w := group / float64(max(len(c.Series), 1))
			for i, v := range s.Values {
				if i >= n || math.IsNaN(v) || v <= 0 {
					continue
				}
				x := x0 + slot*float64(i) + (slot-group)/2 + w*float64(si)
				h := y1 - y(math.Min(v, top))
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, x, y1-h, math.Max(w-1, 1), h, colour)
			}
		}
		b.WriteString(`</g>`)
	}

	// The legend, four to a row.
	b.WriteString(`<g class="legend">`)
	for si, s := range c.Series {
		lx := x0 + float64(si%legendPerRow)*(x1-x0)/legendPerRow
		ly := y1 + chartTicksH + float64(si/legendPerRow)*chartLegendH + 10
		colour, dash := chartColours[si%len(chartColours)], chartDashes[si%len(chartDashes)]
		if c.Kind == barChart {
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="14" height="10" fill="%s"/>`, lx, ly-9, colour)
		} else {
			fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="2"%s/>`, lx, lx+22, ly-4, ly-4, colour, dashAttr(dash))
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#1f2328">%s</text>`, lx+28, ly, html.EscapeString(s.Name))
	}
	b.WriteString(`</g></svg>`)
	return template.HTML(b.String()) // every text above went through html.EscapeString
}

func dashAttr(dash string) string {
	if dash == "" {
		return ""
	}
	return ` stroke-dasharray="` + dash + `"`
}

// thin keeps at most about most of labels, evenly spaced, and blanks the
// others.
func thin(labels []string, most int) []string {
	every := (len(labels) + most - 1) / most
	out := make([]string, len(labels))
	for i, l := range labels {
		if every <= 1 || i%every == 0 {
			out[i] = l
		}
	}
	return out
}

// chartTable is a chart's figures as a table: a row per label, a column
// per series.
type chartTable struct {
	Heading []string
	Rows    []chartRow
}

type chartRow struct {
	Label  string
	Values []string
}

// Table is the chart's data for the table under it. A value that is NaN
// shows as a dash, and a label with no value in any series (an hour
// without a sample) is left out.
func (c *chart) Table() chartTable {
	t := chartTable{Heading: []string{c.LabelHeading}}
	for _, s := range c.Series {
		t.Heading = append(t.Heading, s.Name)
	}
	for i, l := range c.Labels {
		r := chartRow{Label: l}
		seen := false
		for _, s := range c.Series {
			v := "—"
			if i < len(s.Values) && !math.IsNaN(s.Values[i]) {
				v, seen = c.format(s.Values[i]), true
			}
			r.Values = append(r.Values, v)
		}
		if seen {
			t.Rows = append(t.Rows, r)
		}
	}
	return t
}
