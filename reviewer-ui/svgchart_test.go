package reviewerui

import (
	"encoding/xml"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// svgElements parses an SVG as XML, failing the test if it is not well
// formed, and counts its elements by name; texts are the contents of its
// <text> elements.
func svgElements(t *testing.T, svg string) (counts map[string]int, texts []string, root xml.StartElement) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(svg))
	counts = map[string]int{}
	inText := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v\n%s", err, svg)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if len(counts) == 0 {
				root = el
			}
			counts[el.Name.Local]++
			inText = el.Name.Local == "text"
		case xml.CharData:
			if inText {
				texts = append(texts, string(el))
			}
		case xml.EndElement:
			inText = false
		}
	}
	return counts, texts, root
}

func attr(el xml.StartElement, name string) string {
	for _, a := range el.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func TestChartsAreAccessibleWellFormedSVG(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name       string
		c          chart
		want       map[string]int // elements the drawing must hold
		paths      []string       // the series' path data, in order
		tableRows  int
		tableCells []string // the first row's values
	}{
		{
			name: "lines with a gap",
			c: chart{ID: "c1", Title: "Open <cases>", Desc: "per \"queue\" & hour", Kind: lineChart, LabelHeading: "Hour",
				Labels: []string{"h0", "h1", "h2", "h3"},
				Series: []chartSeries{{"general", []float64{1, 2, nan, 4}}, {"senior", []float64{nan, nan, nan, nan}}}},
			want:       map[string]int{"svg": 1, "title": 1, "desc": 1, "path": 1, "circle": 3, "rect": 0},
			paths:      []string{"M64.0 177.0 L304.0 122.0 M784.0 12.0"}, // y from 232 (0) up to 12 (4)
			tableRows:  3,                                                // not h2, which has no value
			tableCells: []string{"1", "—"},
		},
		{
			name: "grouped bars",
			c: chart{ID: "c2", Title: "SLA", Desc: "breaches", Kind: barChart, LabelHeading: "Day",
				Labels: []string{"d0", "d1"},
				Series: []chartSeries{{"general", []float64{3, 0}}, {"youth", []float64{1, 2}}}},
			want:      map[string]int{"rect": 3 + 2, "path": 0}, // three bars (no bar for 0) and two legend swatches
			tableRows: 2, tableCells: []string{"3", "1"},
		},
		{
			name: "percentages up to 100",
			c: chart{ID: "c3", Title: "Overturned", Desc: "share", Kind: lineChart, MaxY: 100, LabelHeading: "Day",
				Format: func(f float64) string { return strconv.FormatFloat(f, 'f', 0, 64) + "%" },
				Labels: []string{"d0"}, Series: []chartSeries{{"automated", []float64{50}}}},
			want:      map[string]int{"path": 1, "circle": 1},
			tableRows: 1, tableCells: []string{"50%"},
		},
		{
			name: "a lone point among many",
			c: chart{ID: "c5", Title: "Hourly", Desc: "one sample", Kind: lineChart, LabelHeading: "Hour",
				Labels: make([]string, 48), Series: []chartSeries{{"general", lone(48, 20, 2)}}},
			want:      map[string]int{"path": 1, "circle": 1},
			tableRows: 1, tableCells: []string{"2"},
		},
		{
			name:      "no data",
			c:         chart{ID: "c4", Title: "Empty", Desc: "nothing", Kind: lineChart, LabelHeading: "Day"},
			want:      map[string]int{"svg": 1, "title": 1, "desc": 1, "path": 0},
			tableRows: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svg := string(tt.c.SVG())
			counts, texts, root := svgElements(t, svg)
			if root.Name.Local != "svg" || attr(root, "role") != "img" || attr(root, "aria-labelledby") != tt.c.ID+"-title "+tt.c.ID+"-desc" {
				t.Errorf("root <%s role=%q aria-labelledby=%q>", root.Name.Local, attr(root, "role"), attr(root, "aria-labelledby"))
			}
			for el, n := range tt.want {
				if counts[el] != n {
					t.Errorf("%d <%s>, want %d", counts[el], el, n)
				}
			}
			if !strings.Contains(svg, `<title id="`+tt.c.ID+`-title">`) || !strings.Contains(svg, `<desc id="`+tt.c.ID+`-desc">`) {
				t.Errorf("the title and desc do not carry the ids aria-labelledby names")
			}
			for i, p := range tt.paths {
				if got := pathData(svg, i); got != p {
					t.Errorf("path %d: %q, want %q", i, got, p)
				}
			}
			for _, s := range tt.c.Series {
				if !slices.Contains(texts, s.Name) {
					t.Errorf("the legend lacks %q (texts %q)", s.Name, texts)
				}
			}
			tab := tt.c.Table()
			if len(tab.Rows) != tt.tableRows || len(tab.Heading) != len(tt.c.Series)+1 {
				t.Fatalf("table of %d rows, heading %q", len(tab.Rows), tab.Heading)
			}
			if tt.tableRows > 0 && strings.Join(tab.Rows[0].Values, ",") != strings.Join(tt.tableCells, ",") {
				t.Errorf("first row %q, want %q", tab.Rows[0].Values, tt.tableCells)
			}
		})
	}
}

func TestChartTextIsEscaped(t *testing.T) {
	c := chart{ID: "x", Title: `</title><script>alert(1)</script>`, Desc: `"><img src=x onerror=alert(2)>`, Kind: barChart,
		Labels: []string{`<b>day</b>`}, Series: []chartSeries{{`reviewer <i>&</i>`, []float64{1}}}}
	svg := string(c.SVG())
	counts, texts, _ := svgElements(t, svg)
	for _, el := range []string{"script", "img", "b", "i"} {
		if counts[el] > 0 {
			t.Errorf("user text became a <%s> element", el)
		}
	}
	if !slices.Contains(texts, `reviewer <i>&</i>`) || !slices.Contains(texts, `<b>day</b>`) {
		t.Errorf("texts %q do not show the names as text", texts)
	}
}

func TestNiceScale(t *testing.T) {
	tests := []struct{ max, top, step float64 }{
		{0, 1, 0.25},
		{1, 1, 0.2},
		{7, 8, 2},
		{10, 10, 2},
		{123, 150, 50},
		{0.3, 0.3, 0.1},
		{99.5, 100, 20},
	}
	for _, tt := range tests {
		top, step := niceScale(tt.max)
		if math.Abs(top-tt.top) > 1e-9 || math.Abs(step-tt.step) > 1e-9 {
			t.Errorf("niceScale(%v) = %v, %v; want %v, %v", tt.max, top, step, tt.top, tt.step)
		}
	}
}

// pathData returns the d attribute of the i-th <path> of svg.
func pathData(svg string, i int) string {
	parts := strings.Split(svg, `<path d="`)
	if i+1 >= len(parts) {
		return ""
	}
	d, _, _ := strings.Cut(parts[i+1], `"`)
	return d
}

// lone is n values, all NaN but the i-th, v.
func lone(n, i int, v float64) []float64 {
	out := make([]float64, n)
	for j := range out {
		out[j] = math.NaN()
	}
	out[i] = v
	return out
}

func TestCountsAreAxedInWholeNumbers(t *testing.T) {
	for _, top := range []float64{0, 1, 2, 3, 7} {
		c := chart{ID: "n", Title: "t", Desc: "d", Kind: barChart, Labels: []string{"a"}, Series: []chartSeries{{"s", []float64{top}}}}
		_, texts, _ := svgElements(t, string(c.SVG()))
		ticks := texts[:len(texts)-2] // then the x label and the legend
		if len(slices.Compact(slices.Clone(ticks))) != len(ticks) {
			t.Errorf("max %v: y ticks %q repeat", top, ticks)
		}
		last, err := strconv.Atoi(ticks[len(ticks)-1])
		if err != nil || float64(last) < top || last < 1 {
			t.Errorf("max %v: y ticks %q do not reach it in whole numbers", top, ticks)
		}
	}
}
