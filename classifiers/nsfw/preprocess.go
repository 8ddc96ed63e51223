package nsfw

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
	"sync"
)

// RGB is an image as 8-bit RGB triples, row-major, no padding: what
// nsfwjs's tf.browser.fromPixels gives (it drops alpha without blending).
type RGB struct {
	Width, Height int
	Pix           []uint8 // len 3*Width*Height
}

// ToRGB converts img to straight (not premultiplied) 8-bit RGB, as a
// browser's canvas getImageData does before nsfwjs sees the pixels; alpha
// is dropped. JPEG's Y'CbCr is converted with color.YCbCrToRGB.
func ToRGB(img image.Image) *RGB {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	out := &RGB{Width: w, Height: h, Pix: make([]uint8, 3*w*h)}
	i := 0
	switch m := img.(type) {
	case *image.YCbCr:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				yi, ci := m.YOffset(x, y), m.COffset(x, y)
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = yccToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				i += 3
			}
		}
	case *image.NRGBA:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, y):]
			for x := range w {
				copy(out.Pix[i:i+3], row[4*x:4*x+3])
				i += 3
			}
		}
	case *image.Gray:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, y):]
			for x := range w {
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = row[x], row[x], row[x]
				i += 3
			}
		}
	default:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = c.R, c.G, c.B
				i += 3
			}
		}
	}
	return out
}

// unit maps a byte to the float32 nsfwjs computes for it: tfjs divides the
// float32 pixel by 255 in float64 and stores the quotient as float32.
var unit = func() (t [256]float32) {
	for v := range t {
		t[v] = float32(float64(v) / 255)
	}
	return t
}()

// PreprocessRGB writes the model input for img into dst (3*size*size
// floats, RGB planes: NCHW without the batch dimension), reproducing
// nsfwjs's NSFWJS.infer exactly: divide by 255, then, unless the image is
// already size×size, tf.image.resizeBilinear(x, [size, size],
// alignCorners=true) with halfPixelCenters false, computed as TensorFlow.js's
// CPU kernel does (float64 arithmetic on float32 inputs, rounded once to
// float32).
func PreprocessRGB(img *RGB, size int, dst []float32) error {
	w, h := img.Width, img.Height
	if w <= 0 || h <= 0 || len(img.Pix) != 3*w*h {
		return fmt.Errorf("nsfw: preprocess: %dx%d image with %d bytes", w, h, len(img.Pix))
	}
	if size <= 0 || len(dst) != 3*size*size {
		return fmt.Errorf("nsfw: preprocess: %d floats for size %d", len(dst), size)
	}
	plane := size * size
	if w == size && h == size {
		for p := range plane {
			dst[p], dst[plane+p], dst[2*plane+p] = unit[img.Pix[3*p]], unit[img.Pix[3*p+1]], unit[img.Pix[3*p+2]]
		}
		return nil
	}
	c0, c1, cf := samples(w, size)
	r0, r1, rf := samples(h, size)
	bilinear(img.Pix, w, c0, c1, cf, r0, r1, rf, size, dst)
	return nil
}

// bilinear is the resize of PreprocessRGB on pix, an RGB image stride
// pixels wide: output (r, c) blends the pixels at rows r0[r], r1[r] and
// columns c0[c], c1[c] with weights rf[r] and cf[c].
func bilinear(pix []uint8, stride int, c0, c1 []int, cf []float64, r0, r1 []int, rf []float64, size int, dst []float32) {
	plane := size * size
	for r := range size {
		top, bot, wr := pix[3*r0[r]*stride:], pix[3*r1[r]*stride:], rf[r]
		for c := range size {
			l, h, wc := 3*c0[c], 3*c1[c], cf[c]
			for ch := range 3 {
				tl := float64(unit[top[l+ch]])
				tr := float64(unit[top[h+ch]])
				bl := float64(unit[bot[l+ch]])
				br := float64(unit[bot[h+ch]])
				// The float64() conversions forbid fused multiply-adds, which
				// JavaScript never uses.
				t := tl + float64((tr-tl)*wc)
				b := bl + float64((br-bl)*wc)
				dst[ch*plane+r*size+c] = float32(t + float64((b-t)*wr))
			}
		}
	}
}

// samples returns, for each of size output positions along an axis of in
// input pixels, the two input pixels bilinear resizing reads and the
// weight of the second, as tfjs's resizeBilinear with alignCorners: the
// first and last output pixels sample the first and last input pixels.
func samples(in, size int) (lo, hi []int, frac []float64) {
	ratio := float64(in) / float64(size)
	if size > 1 {
		ratio = float64(in-1) / float64(size-1)
	}
	lo, hi, frac = make([]int, size), make([]int, size), make([]float64, size)
	for i := range size {
		src := ratio * float64(i)
		lo[i] = max(0, int(math.Floor(src)))
		frac[i] = src - float64(lo[i])
		hi[i] = min(in-1, int(math.Ceil(src)))
	}
	return lo, hi, frac
}

// preprocess writes the model input for img into dst as
// PreprocessRGB(ToRGB(img)) would, but for an image larger than about
// 4·size² pixels it converts only the pixels the resize reads (at most 2·size
// rows by 2·size columns), gathered into a small buffer: a 1024×768 photo
// costs 0.2 megapixels of colour conversion, not 0.8, and no full-size copy.
// Each gathered row holds, for every output column in turn, the RGB of the
// two pixels that column blends, so the resize reads memory in order.
func preprocess(img image.Image, size int, dst []float32) error {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w == size && h == size || w*h <= 4*size*size {
		return PreprocessRGB(ToRGB(img), size, dst)
	}
	if len(dst) != 3*size*size {
		return fmt.Errorf("nsfw: preprocess: %d floats for size %d", len(dst), size)
	}
	clo, chi, cf := samples(w, size)
	rlo, rhi, rf := samples(h, size)
	rows, r0, r1 := gatherIndex(rlo, rhi)
	rowLen := 6 * size
	buf := getGather(len(rows) * rowLen)
	defer putGather(buf)
	pix := *buf
	if m, ok := img.(*image.YCbCr); ok {
		// The chroma offset is separable for every subsampling ratio:
		// COffset(x, y) = COffset(x, y0) + COffset(x0, y) - COffset(x0, y0).
		base := m.COffset(b.Min.X, b.Min.Y)
		cx0, cx1 := make([]int, size), make([]int, size)
		for c := range size {
			cx0[c] = m.COffset(b.Min.X+clo[c], b.Min.Y) - base
			cx1[c] = m.COffset(b.Min.X+chi[c], b.Min.Y) - base
		}
		for i, y := range rows {
			yrow := m.Y[m.YOffset(b.Min.X, b.Min.Y+y):]
			crow := m.COffset(b.Min.X, b.Min.Y+y)
			cb, cr := m.Cb[crow:], m.Cr[crow:]
			out := pix[i*rowLen : (i+1)*rowLen]
			for c := range size {
				p := out[6*c : 6*c+6 : 6*c+6]
				p[0], p[1], p[2] = yccToRGB(yrow[clo[c]], cb[cx0[c]], cr[cx0[c]])
				p[3], p[4], p[5] = yccToRGB(yrow[chi[c]], cb[cx1[c]], cr[cx1[c]])
			}
		}
	} else {
		at := func(x, y int) (uint8, uint8, uint8) {
			c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
			return c.R, c.G, c.B
		}
		for i, y := range rows {
			out := pix[i*rowLen : (i+1)*rowLen]
			for c := range size {
				p := out[6*c : 6*c+6 : 6*c+6]
				p[0], p[1], p[2] = at(clo[c], y)
				p[3], p[4], p[5] = at(chi[c], y)
			}
		}
	}
	bilinearPairs(pix, rowLen, cf, r0, r1, rf, size, dst)
	return nil
}

// bilinearPairs is bilinear on preprocess's gathered rows: output (r, c)
// blends rows r0[r] and r1[r] with weight rf[r] and, within each, the
// pair of pixels stored for column c with weight cf[c]. The arithmetic is
// bilinear's, operation for operation.
func bilinearPairs(pix []uint8, rowLen int, cf []float64, r0, r1 []int, rf []float64, size int, dst []float32) {
	plane := size * size
	cf = cf[:size]
	for r := range size {
		top := pix[r0[r]*rowLen : (r0[r]+1)*rowLen]
		bot := pix[r1[r]*rowLen : (r1[r]+1)*rowLen]
		wr := rf[r]
		dr := dst[r*size : (r+1)*size]
		dg := dst[plane+r*size : plane+(r+1)*size]
		db := dst[2*plane+r*size : 2*plane+(r+1)*size]
		for c, wc := range cf {
			t := top[6*c : 6*c+6 : 6*c+6]
			u := bot[6*c : 6*c+6 : 6*c+6]
			dr[c] = lerp2(unit64[t[0]], unit64[t[3]], unit64[u[0]], unit64[u[3]], wc, wr)
			dg[c] = lerp2(unit64[t[1]], unit64[t[4]], unit64[u[1]], unit64[u[4]], wc, wr)
			db[c] = lerp2(unit64[t[2]], unit64[t[5]], unit64[u[2]], unit64[u[5]], wc, wr)
		}
	}
}

// lerp2 is one channel of one output pixel of bilinear: top-left,
// top-right, bottom-left, bottom-right, the column weight and the row
// weight.
func lerp2(tl, tr, bl, br, wc, wr float64) float32 {
	// The float64() conversions forbid fused multiply-adds, which
	// JavaScript never uses.
	t := tl + float64((tr-tl)*wc)
	b := bl + float64((br-bl)*wc)
	return float32(t + float64((b-t)*wr))
}

// unit64 is unit widened to float64, as bilinear widens it.
var unit64 = func() (t [256]float64) {
	for v := range t {
		t[v] = float64(unit[v])
	}
	return t
}()

// yccToRGB is color.YCbCrToRGB with its clamping written as min and max,
// which compile to conditional moves instead of branches; the results are
// the same for every input (TestYCCToRGB).
func yccToRGB(y, cb, cr uint8) (uint8, uint8, uint8) {
	yy := int32(y) * 0x10101
	cb1, cr1 := int32(cb)-128, int32(cr)-128
	r := min(max((yy+91881*cr1)>>16, 0), 255)
	g := min(max((yy-22554*cb1-46802*cr1)>>16, 0), 255)
	b := min(max((yy+116130*cb1)>>16, 0), 255)
	return uint8(r), uint8(g), uint8(b)
}

// gathers recycles preprocess's gathered rows (600 kB for a 224 model),
// which every classified image needs.
var gathers sync.Pool

func getGather(n int) *[]uint8 {
	if p, ok := gathers.Get().(*[]uint8); ok && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	b := make([]uint8, n)
	return &b
}

func putGather(p *[]uint8) { gathers.Put(p) }

// gatherIndex returns the distinct pixels of lo and hi (both non-decreasing)
// in order, and lo and hi rewritten as positions in that list.
func gatherIndex(lo, hi []int) (pixels, lo2, hi2 []int) {
	pixels = slices.Concat(lo, hi)
	slices.Sort(pixels)
	pixels = slices.Compact(pixels)
	at := func(v []int) []int {
		out := make([]int, len(v))
		for i, p := range v {
			out[i], _ = slices.BinarySearch(pixels, p)
		}
		return out
	}
	return pixels, at(lo), at(hi)
}
