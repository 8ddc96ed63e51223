package ocr

import (
	"image"
	"slices"
	"sync"
)

// Gate is what the text-presence gate found: whether the image looks like
// it has text, and the measurements that decided it.
type Gate struct {
	// Text is set when the image has runs of glyph-like shapes side by
	// side and lined up, as text lines have: one of at least minLongLine
	// shapes, or enough of them to hold minGlyphShare of all glyph-like
	// shapes. Foliage, ripples and brickwork make short runs among many
	// loose shapes. Images without text skip OCR.
	Text bool `json:"text"`
	// Lines counts those runs; Glyphs the glyph-like shapes in them,
	// Longest those of the longest run, Shapes all glyph-like shapes.
	Lines   int `json:"lines"`
	Glyphs  int `json:"glyphs"`
	Longest int `json:"longest"`
	Shapes  int `json:"shapes"`
	// TextHeight is the median height of the lines, in pixels of the
	// original image; preprocessing scales text to a height Tesseract
	// reads well from it. 0 when there are none.
	TextHeight float64 `json:"text_height"`
	// DarkText is set when most glyph-like shapes are darker than their
	// surroundings.
	DarkText bool `json:"dark_text"`
}

// gateSide is the longest side of the image the gate looks at. Text under
// about 10 px in an image of 1,600 px is under 5 px at this size, where
// the gate no longer sees it; such text is also too small for Tesseract
// to read reliably.
const gateSide = 800

// Thresholds of the gate, measured on the fixtures (see gate_test.go).
const (
	// gateRadius is the half-width of the window whose mean a pixel is
	// compared with to tell ink from background.
	gateRadius = 10
	// gateDelta is how much darker (or lighter) than the window's mean a
	// pixel must be to count as ink.
	gateDelta = 24
	// minGlyph and maxGlyphShare bound a glyph's height: from 5 px to a
	// third of the image's shorter side at gate size.
	minGlyph      = 5
	maxGlyphShare = 3
	// minLineGlyphs is how many glyph-like shapes side by side make a
	// line of text.
	minLineGlyphs = 3
	// minLongLine is a run long enough to be text by itself, and
	// minGlyphShare the share of the shapes that lines of text hold in
	// an image that has little else. Measured (TestGate): the fixtures'
	// longest runs are 5 to 36 shapes and their lines hold 20 to 91 % of
	// the shapes; the one real photo (the PDQ bridge, eight
	// orientations), foliage over water, has runs of at most 7 holding
	// 10 to 13 %. One photo is too few to know the false-pass rate on
	// uploads; the thresholds lean towards reading.
	minLongLine   = 10
	minGlyphShare = 0.18
)

// detectText runs the gate on a grey image. It costs a few milliseconds
// for any size: the image is first reduced to gateSide.
func detectText(g *image.Gray) Gate {
	s := scratchPool.Get().(*gateScratch)
	defer scratchPool.Put(s)
	w, h := g.Rect.Dx(), g.Rect.Dy()
	small, f := g, 1.0
	if m := max(w, h); m > gateSide {
		f = float64(gateSide) / float64(m)
		small = shrinkInto(g, max(1, int(float64(w)*f)), max(1, int(float64(h)*f)), s.small)
		s.small = small.Pix
	}
	sw, sh := small.Rect.Dx(), small.Rect.Dy()
	if sw < 8 || sh < 8 {
		return Gate{}
	}
	dark, light := s.inkMasks(small)
	maxH := min(sw, sh) / maxGlyphShare
	var all []comp
	for i, mask := range [][]bool{dark, light} {
		for _, c := range s.components(mask, sw, sh) {
			if glyphLike(c, maxH) {
				c.dark = i == 0
				all = append(all, c)
			}
		}
	}
	lines, members, heights, boxes, longest := textLines(all)
	out := Gate{Lines: lines, Glyphs: len(members), Longest: longest, Shapes: len(all)}
	out.Text = lines > 0 && (longest >= minLongLine || float64(len(members)) >= minGlyphShare*float64(len(all)))
	// Which way the text is: in each line's box the ink is the minority
	// and the ground the median, so the ink lies on the side of the
	// median farther from it. Counting dark and light shapes would not
	// do: the holes of o, e, ㅇ and ㅁ, and the ground right beside the
	// strokes, are light shapes on dark text.
	if len(members) > 0 {
		out.TextHeight = median(heights) / f
		var darkVotes, lightVotes int
		for _, b := range boxes {
			lo, mid, hi := boxPercentiles(small, b)
			if mid-lo >= hi-mid {
				darkVotes += b.Dx() * b.Dy()
			} else {
				lightVotes += b.Dx() * b.Dy()
			}
		}
		out.DarkText = darkVotes >= lightVotes
	} else {
		out.DarkText = true
	}
	return out
}

// gateScratch is the gate's working memory, kept in a pool from image to
// image: for a photo the sums and masks come to megabytes, and having
// fresh memory cleared for them cost about a fifth of the gate's time.
// Every buffer is written in full before it is read.
type gateScratch struct {
	small       []uint8
	integral    []int32
	dark, light []bool
	edges       []int
	parent      []int
	boxes       []comp
}

var scratchPool = sync.Pool{New: func() any { return new(gateScratch) }}

// inkMasks marks pixels clearly darker and clearly lighter than the mean
// of the window around them: strokes of dark text on light ground and of
// light text on dark ground, whatever the overall brightness. The masks
// are s's until its next use.
func (s *gateScratch) inkMasks(g *image.Gray) (dark, light []bool) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	// Integral image, one row and column of zeros in front.
	iw := w + 1
	s.integral = grow(s.integral, iw*(h+1))
	integral := s.integral
	clear(integral[:iw])
	for y := 1; y <= h; y++ {
		integral[y*iw] = 0
	}
	for y := 0; y < h; y++ {
		row := g.Pix[y*g.Stride : y*g.Stride+w]
		above, cur := integral[y*iw+1:(y+1)*iw], integral[(y+1)*iw+1:(y+2)*iw]
		var s int32
		for x, v := range row {
			s += int32(v)
			cur[x] = above[x] + s
		}
	}
	s.dark, s.light = grow(s.dark, w*h), grow(s.light, w*h)
	dark, light = s.dark, s.light
	for y := 0; y < h; y++ {
		y0, y1 := max(0, y-gateRadius), min(h, y+gateRadius+1)
		row := g.Pix[y*g.Stride : y*g.Stride+w]
		top, bot := integral[y0*iw:(y0+1)*iw], integral[y1*iw:(y1+1)*iw]
		drow, lrow := dark[y*w:(y+1)*w], light[y*w:(y+1)*w]
		// mark sets the masks of pixel x from its window's sum and size.
		// The pixel is darker or lighter than the mean, never both.
		mark := func(x int, sum, n int32) {
			v := int32(row[x]) * n
			drow[x] = v < sum-gateDelta*n
			lrow[x] = v > sum+gateDelta*n
		}
		edge := func(x int) {
			x0, x1 := max(0, x-gateRadius), min(w, x+gateRadius+1)
			mark(x, bot[x1]-top[x1]-bot[x0]+top[x0], int32((y1-y0)*(x1-x0)))
		}
		// Columns whose window is whole: the same size throughout, read
		// without clamping.
		lo := min(gateRadius, w)
		hi := max(lo, w-gateRadius)
		for x := 0; x < lo; x++ {
			edge(x)
		}
		n := int32((y1 - y0) * (2*gateRadius + 1))
		dn := gateDelta * n
		if hi > lo {
			px := row[lo:hi]
			tr, br := top[lo+gateRadius+1:hi+gateRadius+1], bot[lo+gateRadius+1:hi+gateRadius+1]
			tl, bl := top[lo-gateRadius:hi-gateRadius], bot[lo-gateRadius:hi-gateRadius]
			dr, lr := drow[lo:hi], lrow[lo:hi]
			for i := range px {
				sum := br[i] - tr[i] - bl[i] + tl[i]
				v := int32(px[i]) * n
				dr[i] = v < sum-dn
				lr[i] = v > sum+dn
			}
		}
		for x := hi; x < w; x++ {
			edge(x)
		}
	}
	return dark, light
}

// comp is a connected component: its bounding box (x1, y1 exclusive) and
// pixel count.
type comp struct {
	x0, y0, x1, y1 int
	px             int
	dark           bool
}

// components labels the 8-connected components of a mask with a
// union-find over runs, row by row, and returns their boxes.
func (s *gateScratch) components(mask []bool, w, h int) []comp {
	type run struct{ x0, x1, label int } // x1 exclusive
	parent := s.parent[:0]
	defer func() { s.parent = parent[:0] }()
	find := func(a int) int {
		for parent[a] != a {
			parent[a] = parent[parent[a]]
			a = parent[a]
		}
		return a
	}
	union := func(a, b int) {
		ra, rb := find(a), find(b)
		if ra != rb {
			parent[max(ra, rb)] = min(ra, rb)
		}
	}
	boxes := s.boxes[:0]
	defer func() { s.boxes = boxes[:0] }()
	var prev, cur []run
	// edges collects a row's run boundaries, start and end in turn,
	// without a branch per pixel: on foliage the mask flips every few
	// pixels and mispredicted branches cost more than the scan.
	s.edges = grow(s.edges, w+1)
	edges := s.edges
	for y := 0; y < h; y++ {
		cur = cur[:0]
		row := mask[y*w : y*w+w]
		k, was := 0, 0
		for x, v := range row {
			b := 0
			if v {
				b = 1
			}
			edges[k] = x
			k += b ^ was
			was = b
		}
		edges[k] = w
		k += was
		// The previous row's runs are in order and apart, and so are this
		// row's: the runs a run touches start at or after the first that
		// ends at or after its start (first), and the next run's start at
		// or after that one.
		first := 0
		for e := 0; e < k; e += 2 {
			s, x := edges[e], edges[e+1]
			label := -1
			for first < len(prev) && prev[first].x1 < s {
				first++
			}
			for _, p := range prev[first:] {
				if p.x0 > x {
					break
				}
				// 8-connected: runs touching diagonally are joined.
				if p.x0 <= x && p.x1 >= s {
					if label < 0 {
						label = find(p.label)
					} else {
						union(label, p.label)
						label = find(label)
					}
				}
			}
			if label < 0 {
				label = len(parent)
				parent = append(parent, label)
				boxes = append(boxes, comp{x0: s, y0: y, x1: x, y1: y + 1})
			}
			b := &boxes[label]
			b.x0, b.x1, b.y1 = min(b.x0, s), max(b.x1, x), y+1
			b.px += x - s
			cur = append(cur, run{s, x, label})
		}
		prev, cur = cur, prev
	}
	// Fold every label's box into its root's.
	out := make([]comp, 0, len(boxes))
	for i := range boxes {
		r := find(i)
		if r == i {
			continue
		}
		a, b := &boxes[r], boxes[i]
		a.x0, a.y0, a.x1, a.y1 = min(a.x0, b.x0), min(a.y0, b.y0), max(a.x1, b.x1), max(a.y1, b.y1)
		a.px += b.px
		boxes[i].px = -1
	}
	for _, b := range boxes {
		if b.px > 0 {
			out = append(out, b)
		}
	}
	return out
}

// glyphLike reports whether a component has the size and shape of a
// letter, a Hangul syllable or a part of one: not a speck, not a long
// rule, not a filled block, not a region the size of the image.
func glyphLike(c comp, maxH int) bool {
	cw, ch := c.x1-c.x0, c.y1-c.y0
	if ch < minGlyph || ch > maxH || cw > 3*ch {
		return false
	}
	fill := float64(c.px) / float64(cw*ch)
	return fill >= 0.08 && fill <= 0.9
}

// textLines groups glyph-like components into lines: neighbours of
// similar height that overlap vertically and are close horizontally. It
// returns how many groups have at least minLineGlyphs members and line up,
// the indices of their members, each one's height and box, and the size of
// the largest.
func textLines(cs []comp) (lines int, members []int, heights []float64, boxes []image.Rectangle, longest int) {
	if len(cs) < minLineGlyphs {
		return 0, nil, nil, nil, 0
	}
	order := make([]int, len(cs))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cs[a].x0 - cs[b].x0 })
	parent := make([]int, len(cs))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(a int) int {
		for parent[a] != a {
			parent[a] = parent[parent[a]]
			a = parent[a]
		}
		return a
	}
	for oi, i := range order {
		a := cs[i]
		ah := a.y1 - a.y0
		for _, j := range order[oi+1:] {
			b := cs[j]
			bh := b.y1 - b.y0
			// Sorted by left edge: once b starts beyond the gap allowed
			// after a, no later component is a's neighbour.
			if b.x0 > a.x1+2*max(ah, 1) {
				break
			}
			if a.dark != b.dark {
				continue
			}
			if 2*bh < ah || 2*ah < bh {
				continue
			}
			overlap := min(a.y1, b.y1) - max(a.y0, b.y0)
			if 2*overlap < min(ah, bh) {
				continue
			}
			if gap := b.x0 - a.x1; gap > max(ah, bh) {
				continue
			}
			ra, rb := find(i), find(j)
			if ra != rb {
				parent[ra] = rb
			}
		}
	}
	type group struct {
		x0, y0, x1, y1 int
		tops, bottoms  []float64
		hs             []float64
		idx            []int
	}
	groups := make(map[int]*group)
	for i, c := range cs {
		r := find(i)
		g := groups[r]
		if g == nil {
			g = &group{x0: c.x0, y0: c.y0, x1: c.x1, y1: c.y1}
			groups[r] = g
		}
		g.x0, g.y0, g.x1, g.y1 = min(g.x0, c.x0), min(g.y0, c.y0), max(g.x1, c.x1), max(g.y1, c.y1)
		g.tops = append(g.tops, float64(c.y0))
		g.bottoms = append(g.bottoms, float64(c.y1))
		g.hs = append(g.hs, float64(c.y1-c.y0))
		g.idx = append(g.idx, i)
	}
	for _, g := range groups {
		if len(g.idx) < minLineGlyphs || !aligned(g.tops, g.bottoms, g.hs) {
			continue
		}
		lines++
		longest = max(longest, len(g.idx))
		members = append(members, g.idx...)
		heights = append(heights, float64(g.y1-g.y0))
		boxes = append(boxes, image.Rect(g.x0, g.y0, g.x1, g.y1))
	}
	return lines, members, heights, boxes, longest
}

// maxMisalignment is how far, as a share of the glyphs' median height,
// the tops or the bottoms of a line's glyphs may stray from their median
// (as the median absolute deviation). Letters stand on a baseline and
// Hangul syllables fill a square; leaves and ripples, which also come in
// rows of similar shapes, do not line up.
const maxMisalignment = 0.12

// aligned reports whether a group's glyphs line up at the top or the
// bottom. It reorders its arguments.
func aligned(tops, bottoms, hs []float64) bool {
	h := median(hs)
	return mad(tops) <= maxMisalignment*h || mad(bottoms) <= maxMisalignment*h
}

// mad is the median absolute deviation from the median. It reorders v.
func mad(v []float64) float64 {
	m := median(v)
	dev := make([]float64, len(v))
	for i, x := range v {
		dev[i] = max(x-m, m-x)
	}
	return median(dev)
}

// boxPercentiles returns the 5th, 50th and 95th percentile grey levels
// inside box b of g.
func boxPercentiles(g *image.Gray, b image.Rectangle) (lo, mid, hi int) {
	var hist [256]int
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for _, v := range g.Pix[y*g.Stride+b.Min.X : y*g.Stride+b.Max.X] {
			hist[v]++
		}
	}
	n := b.Dx() * b.Dy()
	return percentile(&hist, n, 0.05), percentile(&hist, n, 0.5), percentile(&hist, n, 0.95)
}
