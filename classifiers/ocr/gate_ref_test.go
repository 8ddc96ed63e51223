package ocr

import (
	"image"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/haechi-tns/haechi/internal/racetest"
)

// The gate's steps as first written, before they were made faster:
// TestGateStepsMatchReference holds the faster ones to these, output for
// output.

func componentsRef(mask []bool, w, h int) []comp {
	type run struct{ x0, x1, label int } // x1 exclusive
	parent := []int{}
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
	var boxes []comp
	var prev, cur []run
	for y := 0; y < h; y++ {
		cur = cur[:0]
		row := mask[y*w : y*w+w]
		for x := 0; x < w; {
			if !row[x] {
				x++
				continue
			}
			s := x
			for x < w && row[x] {
				x++
			}
			label := -1
			for _, p := range prev {
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

func inkMasksRef(g *image.Gray) (dark, light []bool) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	// Integral image, one row and column of zeros in front.
	iw := w + 1
	integral := make([]int32, iw*(h+1))
	for y := 0; y < h; y++ {
		row := g.Pix[y*g.Stride:]
		var s int32
		for x := 0; x < w; x++ {
			s += int32(row[x])
			integral[(y+1)*iw+x+1] = integral[y*iw+x+1] + s
		}
	}
	dark = make([]bool, w*h)
	light = make([]bool, w*h)
	for y := 0; y < h; y++ {
		y0, y1 := max(0, y-gateRadius), min(h, y+gateRadius+1)
		row := g.Pix[y*g.Stride:]
		for x := 0; x < w; x++ {
			x0, x1 := max(0, x-gateRadius), min(w, x+gateRadius+1)
			sum := integral[y1*iw+x1] - integral[y0*iw+x1] - integral[y1*iw+x0] + integral[y0*iw+x0]
			n := int32((y1 - y0) * (x1 - x0))
			v := int32(row[x]) * n
			switch {
			case v < sum-gateDelta*n:
				dark[y*w+x] = true
			case v > sum+gateDelta*n:
				light[y*w+x] = true
			}
		}
	}
	return dark, light
}

func shrinkRef(g *image.Gray, nw, nh int) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	dst := image.NewGray(image.Rect(0, 0, nw, nh))
	xs := make([]int, nw+1)
	for x := range xs {
		xs[x] = x * w / nw
	}
	sums := make([]int, nw)
	for y := range nh {
		ya, yb := y*h/nh, max((y+1)*h/nh, y*h/nh+1)
		clear(sums)
		for sy := ya; sy < yb; sy++ {
			row := g.Pix[sy*g.Stride:]
			for x := range nw {
				xa, xb := xs[x], max(xs[x+1], xs[x]+1)
				s := 0
				for _, v := range row[xa:xb] {
					s += int(v)
				}
				sums[x] += s
			}
		}
		out := dst.Pix[y*dst.Stride:]
		for x := range nw {
			n := (yb - ya) * max(xs[x+1]-xs[x], 1)
			out[x] = uint8((sums[x] + n/2) / n)
		}
	}
	return dst
}

// TestGateStepsMatchReference runs shrink, inkMasks and components and
// their first versions on every image TestGate measures, at gate size,
// and wants the same pixels, masks and components in the same order. One
// scratch serves them all, as the pool's do: images of every size after
// each other, each on what the last one left.
func TestGateStepsMatchReference(t *testing.T) {
	racetest.Heavy(t)
	s := new(gateScratch)
	for _, c := range gateCases(t) {
		g := grey(c.img)
		w, h := g.Rect.Dx(), g.Rect.Dy()
		small := g
		if m := max(w, h); m > gateSide {
			f := float64(gateSide) / float64(m)
			nw, nh := max(1, int(float64(w)*f)), max(1, int(float64(h)*f))
			small = shrinkInto(g, nw, nh, s.small)
			s.small = small.Pix
			if want := shrinkRef(g, nw, nh); !slices.Equal(small.Pix, want.Pix) || small.Rect != want.Rect {
				t.Fatalf("%s: shrink differs", c.name)
			}
		}
		sw, sh := small.Rect.Dx(), small.Rect.Dy()
		dark, light := s.inkMasks(small)
		wd, wl := inkMasksRef(small)
		if !slices.Equal(dark, wd) || !slices.Equal(light, wl) {
			t.Fatalf("%s: inkMasks differs", c.name)
		}
		for _, m := range [][]bool{dark, light} {
			if got, want := s.components(m, sw, sh), componentsRef(m, sw, sh); !slices.Equal(got, want) {
				t.Fatalf("%s: components differ: %d against %d", c.name, len(got), len(want))
			}
		}
	}
}

// TestInkMasksSmall compares inkMasks with its first version on random
// images around the window's size, where the clamped edges meet.
func TestInkMasksSmall(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	s := new(gateScratch)
	for w := 1; w < 3*gateRadius; w++ {
		for _, h := range []int{1, gateRadius, 2*gateRadius + 1, 3 * gateRadius} {
			g := image.NewGray(image.Rect(0, 0, w, h))
			for i := range g.Pix {
				g.Pix[i] = uint8(rng.IntN(256))
			}
			d, l := s.inkMasks(g)
			wd, wl := inkMasksRef(g)
			if !slices.Equal(d, wd) || !slices.Equal(l, wl) {
				t.Fatalf("%d×%d: inkMasks differs", w, h)
			}
		}
	}
}

// BenchmarkGate is the gate alone on the bridge photo scaled to
// 1024×768 (foliage over water: many short runs of shapes), the image of
// imagesignals' benchmarks.
func BenchmarkGate(b *testing.B) {
	src := grey(loadImage(b, filepath.Join("..", "pdq", "testdata", "pdq", "bridge-1-original.jpg")))
	g := shrink(src, 1024, 768)
	b.ReportAllocs()
	for b.Loop() {
		if detectText(g).Text {
			b.Fatal("text seen in the bridge")
		}
	}
}

// TestRecip checks shrink's division by multiplication for every divisor
// it is used for, at the multiples of the divisor and their neighbours
// up to 256 times it, and for all numerators for divisors up to 64.
func TestRecip(t *testing.T) {
	for n := uint64(1); n < uint64(len(recip)); n++ {
		check := func(x uint64) {
			if got := (x * recip[n]) >> 32; got != x/n {
				t.Fatalf("%d/%d: got %d, want %d", x, n, got, x/n)
			}
		}
		if n <= 64 {
			for x := range 256 * n {
				check(x)
			}
			continue
		}
		for q := uint64(0); q < 256; q++ {
			check(q * n)
			check(q*n + n - 1)
			if q > 0 {
				check(q*n - 1)
			}
		}
	}
}

// TestGreyViewMatchesGrey: the gate's view of an image's luma is the
// luma grey computes, for whole images and for sub-images that start
// inside them (and so inside their planes' rows).
func TestGreyViewMatchesGrey(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	ycc := image.NewYCbCr(image.Rect(0, 0, 37, 23), image.YCbCrSubsampleRatio420)
	for i := range ycc.Y {
		ycc.Y[i] = uint8(rng.IntN(256))
	}
	gray := image.NewGray(image.Rect(0, 0, 37, 23))
	for i := range gray.Pix {
		gray.Pix[i] = uint8(rng.IntN(256))
	}
	for name, img := range map[string]image.Image{
		"ycbcr": ycc, "ycbcr sub": ycc.SubImage(image.Rect(5, 3, 30, 20)),
		"gray": gray, "gray sub": gray.SubImage(image.Rect(1, 7, 36, 22)),
		"rgba": image.NewRGBA(image.Rect(0, 0, 4, 4)),
	} {
		v, shared := greyView(img)
		want := grey(img)
		if v.Rect != want.Rect {
			t.Fatalf("%s: bounds %v, want %v", name, v.Rect, want.Rect)
		}
		for y := range want.Rect.Dy() {
			for x := range want.Rect.Dx() {
				if v.GrayAt(x, y) != want.GrayAt(x, y) {
					t.Fatalf("%s: pixel %d,%d differs", name, x, y)
				}
			}
		}
		if shared != (name != "rgba") {
			t.Errorf("%s: shared = %v", name, shared)
		}
	}
}
