package nsfw

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
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
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
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
	cols, c0, c1 := gatherIndex(clo, chi)
	rows, r0, r1 := gatherIndex(rlo, rhi)
	pix := make([]uint8, 3*len(rows)*len(cols))
	i := 0
	if m, ok := img.(*image.YCbCr); ok {
		// The chroma offset is separable for every subsampling ratio:
		// COffset(x, y) = COffset(x, y0) + COffset(x0, y) - COffset(x0, y0).
		base := m.COffset(b.Min.X, b.Min.Y)
		cx := make([]int, len(cols))
		for j, x := range cols {
			cx[j] = m.COffset(b.Min.X+x, b.Min.Y) - base
		}
		for _, y := range rows {
			yrow := m.YOffset(b.Min.X, b.Min.Y+y)
			crow := m.COffset(b.Min.X, b.Min.Y+y)
			for j, x := range cols {
				ci := crow + cx[j]
				pix[i], pix[i+1], pix[i+2] = color.YCbCrToRGB(m.Y[yrow+x], m.Cb[ci], m.Cr[ci])
				i += 3
			}
		}
	} else {
		for _, y := range rows {
			for _, x := range cols {
				c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
				pix[i], pix[i+1], pix[i+2] = c.R, c.G, c.B
				i += 3
			}
		}
	}
	bilinear(pix, len(cols), c0, c1, cf, r0, r1, rf, size, dst)
	return nil
}

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
