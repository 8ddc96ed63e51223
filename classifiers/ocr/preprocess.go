package ocr

import (
	"image"
	"image/color"
	"math"
	"slices"
)

// Steps says which preprocessing steps run before Tesseract. The zero
// value runs them all; tests and the benchmark switch single steps off to
// measure what each adds. Grey scale always runs: Tesseract is given
// 8-bit grey pixels.
type Steps struct {
	NoContrast bool // no contrast stretch
	NoInvert   bool // light text on a dark background is read as it is
	NoScale    bool // text is read at the size it has
}

// greyView is grey without the copy where the image holds 8-bit luma
// already (grey images, and the Y plane of JPEGs); shared says the pixels
// are the image's own, which the caller must not change.
func greyView(src image.Image) (g *image.Gray, shared bool) {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	switch s := src.(type) {
	case *image.Gray:
		if w > 0 && h > 0 {
			return &image.Gray{Pix: s.Pix[s.PixOffset(b.Min.X, b.Min.Y):], Stride: s.Stride, Rect: image.Rect(0, 0, w, h)}, true
		}
	case *image.YCbCr:
		if w > 0 && h > 0 {
			return &image.Gray{Pix: s.Y[s.YOffset(b.Min.X, b.Min.Y):], Stride: s.YStride, Rect: image.Rect(0, 0, w, h)}, true
		}
	}
	return grey(src), false
}

// grey converts an image to 8-bit luma (BT.601, as image/color does),
// with fast paths for the types imagedecode returns. The result's bounds
// start at (0,0).
func grey(src image.Image) *image.Gray {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	dst := image.NewGray(image.Rect(0, 0, w, h))
	switch s := src.(type) {
	case *image.Gray:
		for y := 0; y < h; y++ {
			copy(dst.Pix[y*dst.Stride:y*dst.Stride+w], s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):])
		}
	case *image.YCbCr:
		// Y is the luma already.
		for y := 0; y < h; y++ {
			copy(dst.Pix[y*dst.Stride:y*dst.Stride+w], s.Y[s.YOffset(b.Min.X, b.Min.Y+y):])
		}
	case *image.RGBA:
		for y := 0; y < h; y++ {
			row := s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):]
			out := dst.Pix[y*dst.Stride:]
			for x := 0; x < w; x++ {
				// Premultiplied: over black, as the image would show.
				r, g, bl := uint32(row[4*x]), uint32(row[4*x+1]), uint32(row[4*x+2])
				out[x] = uint8((19595*r + 38470*g + 7471*bl + 1<<15) >> 16)
			}
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			row := s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):]
			out := dst.Pix[y*dst.Stride:]
			for x := 0; x < w; x++ {
				// Transparent pixels over white, as most viewers show them.
				r, g, bl, a := uint32(row[4*x]), uint32(row[4*x+1]), uint32(row[4*x+2]), uint32(row[4*x+3])
				l := (19595*r + 38470*g + 7471*bl + 1<<15) >> 16
				out[x] = uint8((l*a + 255*(255-a) + 127) / 255)
			}
		}
	default:
		for y := 0; y < h; y++ {
			out := dst.Pix[y*dst.Stride:]
			for x := 0; x < w; x++ {
				out[x] = color.GrayModel.Convert(src.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
			}
		}
	}
	return dst
}

// histogram counts the grey levels of g.
func histogram(g *image.Gray) (hist [256]int, n int) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	for y := 0; y < h; y++ {
		for _, v := range g.Pix[y*g.Stride : y*g.Stride+w] {
			hist[v]++
		}
	}
	return hist, w * h
}

// percentile is the grey level below which a share q of the pixels lie.
func percentile(hist *[256]int, n int, q float64) int {
	want := int(math.Ceil(q * float64(n)))
	sum := 0
	for v, c := range hist {
		sum += c
		if sum >= want {
			return v
		}
	}
	return 255
}

// stretchContrast maps the 1st percentile to black and the 99th to white,
// in place, so faint text on a washed-out photo or a grey-on-grey banner
// gets the contrast Tesseract's binarisation expects. A nearly flat image
// (less than 16 levels between the two) is left alone: stretching it would
// only amplify noise.
func stretchContrast(g *image.Gray) {
	hist, n := histogram(g)
	lo, hi := percentile(&hist, n, 0.01), percentile(&hist, n, 0.99)
	if hi-lo < 16 || (lo == 0 && hi == 255) {
		return
	}
	var lut [256]uint8
	for v := range lut {
		switch {
		case v <= lo:
			lut[v] = 0
		case v >= hi:
			lut[v] = 255
		default:
			lut[v] = uint8((v - lo) * 255 / (hi - lo))
		}
	}
	applyLUT(g, &lut)
}

func applyLUT(g *image.Gray, lut *[256]uint8) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	for y := 0; y < h; y++ {
		row := g.Pix[y*g.Stride : y*g.Stride+w]
		for x, v := range row {
			row[x] = lut[v]
		}
	}
}

// darkBackground reports whether most of the image is darker than mid
// grey: then the text on it is light, and Tesseract, trained on dark text
// on paper, reads it better inverted.
func darkBackground(g *image.Gray) bool {
	hist, n := histogram(g)
	return percentile(&hist, n, 0.5) < 110
}

func invert(g *image.Gray) {
	var lut [256]uint8
	for v := range lut {
		lut[v] = uint8(255 - v)
	}
	applyLUT(g, &lut)
}

// Text heights (of a line, in pixels) Tesseract reads well. Its kor and
// eng models were trained on lines of about 30 to 50 px; lines outside
// [minTextHeight, maxTextHeight] are scaled to targetTextHeight, and
// lines within are left as they are, since resampling costs time and
// blurs strokes. Measured on the fixtures (TestPreprocessingSteps).
var (
	minTextHeight    = 20.0
	maxTextHeight    = 80.0
	targetTextHeight = 40.0
)

// scaleFor returns the factor that brings lines of height textHeight into
// the range Tesseract reads well, within [1/8, 4], and never beyond
// maxPixels for an image of w×h.
func scaleFor(textHeight float64, w, h, maxPixels int) float64 {
	f := 1.0
	if textHeight > 0 && (textHeight < minTextHeight || textHeight > maxTextHeight) {
		f = min(max(targetTextHeight/textHeight, 0.125), 4)
	}
	if px := float64(w) * float64(h) * f * f; px > float64(maxPixels) {
		f = math.Sqrt(float64(maxPixels) / (float64(w) * float64(h)))
	}
	return f
}

// resize returns g scaled by f: bilinear when enlarging, an area average
// when shrinking (so thin strokes are not dropped between samples).
func resize(g *image.Gray, f float64) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	nw, nh := max(1, int(math.Round(float64(w)*f))), max(1, int(math.Round(float64(h)*f)))
	if f < 1 {
		return shrink(g, nw, nh)
	}
	dst := image.NewGray(image.Rect(0, 0, nw, nh))
	sx, sy := float64(w)/float64(nw), float64(h)/float64(nh)
	// Fixed-point source coordinates per output column, computed once.
	x0s, fxs := make([]int, nw), make([]int, nw)
	for x := range nw {
		fx := (float64(x)+0.5)*sx - 0.5
		fx = min(max(fx, 0), float64(w-1))
		x0s[x] = int(fx)
		fxs[x] = int((fx - float64(int(fx))) * 256)
	}
	for y := range nh {
		fy := (float64(y)+0.5)*sy - 0.5
		fy = min(max(fy, 0), float64(h-1))
		y0 := int(fy)
		y1 := min(y0+1, h-1)
		wy := int((fy - float64(y0)) * 256)
		r0, r1 := g.Pix[y0*g.Stride:], g.Pix[y1*g.Stride:]
		out := dst.Pix[y*dst.Stride:]
		for x := range nw {
			a := x0s[x]
			b := min(a+1, w-1)
			wx := fxs[x]
			top := int(r0[a])*(256-wx) + int(r0[b])*wx
			bot := int(r1[a])*(256-wx) + int(r1[b])*wx
			out[x] = uint8((top*(256-wy) + bot*wy + 1<<15) >> 16)
		}
	}
	return dst
}

// shrink scales g down to nw×nh by averaging the source pixels each
// output pixel covers (whole pixels; fine for factors of 2 and more, a
// little uneven below).
func shrink(g *image.Gray, nw, nh int) *image.Gray {
	return shrinkInto(g, nw, nh, nil)
}

// shrinkInto is shrink writing into buf when it is large enough.
func shrinkInto(g *image.Gray, nw, nh int, buf []uint8) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	dst := &image.Gray{Pix: grow(buf, nw*nh), Stride: nw, Rect: image.Rect(0, 0, nw, nh)}
	// Column x of the result averages source columns xa[x] to xb[x]
	// (exclusive), read as differences of a row's prefix sums: no loop
	// whose length varies from column to column. A block is at most
	// ceil(w/nw) × ceil(h/nh) pixels, so its sum fits in 32 bits for any
	// image Read accepts.
	xa, xb := make([]int32, nw), make([]int32, nw)
	for x := range nw {
		a := x * w / nw
		xa[x], xb[x] = int32(a), int32(max((x+1)*w/nw, a+1))
	}
	pre := make([]uint32, w+1)
	sums := make([]uint32, nw)
	for y := range nh {
		ya, yb := y*h/nh, max((y+1)*h/nh, y*h/nh+1)
		clear(sums)
		for sy := ya; sy < yb; sy++ {
			var acc uint32
			for i, v := range g.Pix[sy*g.Stride : sy*g.Stride+w] {
				acc += uint32(v)
				pre[i+1] = acc
			}
			for x := range sums {
				sums[x] += pre[xb[x]] - pre[xa[x]]
			}
		}
		out := dst.Pix[y*dst.Stride : y*dst.Stride+nw]
		rows := uint32(yb - ya)
		for x, s := range sums {
			n := rows * uint32(xb[x]-xa[x])
			if int(n) < len(recip) {
				out[x] = uint8((uint64(s+n/2) * recip[n]) >> 32)
			} else {
				out[x] = uint8((s + n/2) / n)
			}
		}
	}
	return dst
}

// recip[n] is ceil(2^32/n): for x < 256·n, (x·recip[n]) >> 32 is x/n
// exactly while n < 4096 (the error x·(recip[n] − 2^32/n)/2^32 stays
// under 1/n), which a block's rounded mean always is. A division costs
// more than the rest of shrink's work on a pixel.
var recip = func() []uint64 {
	r := make([]uint64, 4096)
	for n := 1; n < len(r); n++ {
		r[n] = (1<<32 + uint64(n) - 1) / uint64(n)
	}
	return r
}()

// median of a non-empty slice (which it sorts).
func median(v []float64) float64 {
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// grow returns s resized to n, reusing its memory when it is large enough.
// The contents are not cleared.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
