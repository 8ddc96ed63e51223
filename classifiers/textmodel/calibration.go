package textmodel

import (
	"fmt"
	"io"
	"strings"
)

// Bin is one bin of a reliability curve: the examples whose score fell in
// [Lo, Hi), their mean score and the share of them that were positive.
type Bin struct {
	Lo, Hi    float64
	N         int
	MeanScore float64
	Positive  float64
}

// Reliability bins one head's known labels by score into n equal-width
// bins. A calibrated model's bins lie on the diagonal: of the texts it
// scores 0.8, eight in ten are positive.
func Reliability(scored []Scored, head, lang string, n int) []Bin {
	s, y := Column(scored, head, lang)
	bins := make([]Bin, n)
	for i := range bins {
		bins[i].Lo, bins[i].Hi = float64(i)/float64(n), float64(i+1)/float64(n)
	}
	for i, v := range s {
		k := min(n-1, max(0, int(v*float64(n))))
		b := &bins[k]
		b.N++
		b.MeanScore += v
		if y[i] {
			b.Positive++
		}
	}
	for i := range bins {
		if bins[i].N > 0 {
			bins[i].MeanScore /= float64(bins[i].N)
			bins[i].Positive /= float64(bins[i].N)
		}
	}
	return bins
}

// ExpectedCalibrationError is the mean gap between score and observed
// positive rate over the bins, weighted by their sizes.
func ExpectedCalibrationError(bins []Bin) float64 {
	var sum float64
	total := 0
	for _, b := range bins {
		d := b.MeanScore - b.Positive
		if d < 0 {
			d = -d
		}
		sum += d * float64(b.N)
		total += b.N
	}
	if total == 0 {
		return 0
	}
	return sum / float64(total)
}

// Curve is one named reliability curve of a plot.
type Curve struct {
	Name string
	Bins []Bin
}

// WriteReliabilitySVG draws reliability curves as an SVG plot: the score
// on x, the observed positive rate on y, the diagonal a calibrated model
// would follow, and a dot per non-empty bin sized by its share of the
// examples.
func WriteReliabilitySVG(w io.Writer, title string, curves []Curve) error {
	const (
		size   = 360.0
		margin = 48.0
		width  = size + 2*margin + 150
		height = size + 2*margin
	)
	colors := []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd"}
	x := func(v float64) float64 { return margin + v*size }
	y := func(v float64) float64 { return margin + (1-v)*size }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<title>%s</title><rect width="100%%" height="100%%" fill="white"/>`+"\n", escapeXML(title))
	fmt.Fprintf(&b, `<text x="%.0f" y="20" font-size="14">%s</text>`+"\n", margin, escapeXML(title))
	for i := 0; i <= 10; i++ {
		v := float64(i) / 10
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#eee"/>`, x(v), y(0), x(v), y(1))
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#eee"/>`+"\n", x(0), y(v), x(1), y(v))
		if i%2 == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%.1f</text>`, x(v), y(0)+16, v)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%.1f</text>`+"\n", x(0)-6, y(v)+4, v)
		}
	}
	fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#444"/>`+"\n", x(0), y(1), size, size)
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#888" stroke-dasharray="4 4"/>`+"\n", x(0), y(0), x(1), y(1))
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">score</text>`, x(0.5), height-8)
	fmt.Fprintf(&b, `<text x="14" y="%.1f" text-anchor="middle" transform="rotate(-90 14 %.1f)">share positive</text>`+"\n", y(0.5), y(0.5))
	for i, c := range curves {
		color := colors[i%len(colors)]
		total := 0
		for _, bin := range c.Bins {
			total += bin.N
		}
		var pts []string
		for _, bin := range c.Bins {
			if bin.N == 0 {
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(bin.MeanScore), y(bin.Positive)))
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", strings.Join(pts, " "), color)
		for _, bin := range c.Bins {
			if bin.N == 0 {
				continue
			}
			r := 2 + 8*float64(bin.N)/float64(max(total, 1))
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="%.1f" fill="%s"/>`, x(bin.MeanScore), y(bin.Positive), r, color)
		}
		ly := margin + 20*float64(i)
		fmt.Fprintf(&b, "\n"+`<rect x="%.1f" y="%.1f" width="12" height="12" fill="%s"/><text x="%.1f" y="%.1f">%s (ECE %.3f)</text>`+"\n",
			x(1)+16, ly, color, x(1)+32, ly+10, escapeXML(c.Name), ExpectedCalibrationError(c.Bins))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func escapeXML(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
