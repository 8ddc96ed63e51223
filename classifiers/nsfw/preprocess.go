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
	r0s, r1s, rfs := samples(h, size)
	for r := range size {
		r0, r1, rf := r0s[r], r1s[r], rfs[r]
		top, bot := img.Pix[3*r0*w:], img.Pix[3*r1*w:]
		for c := range size {
			for ch := range 3 {
				tl := float64(unit[top[3*c0[c]+ch]])
				tr := float64(unit[top[3*c1[c]+ch]])
				bl := float64(unit[bot[3*c0[c]+ch]])
				br := float64(unit[bot[3*c1[c]+ch]])
				// The float64() conversions forbid fused multiply-adds, which
				// JavaScript never uses.
				t := tl + float64((tr-tl)*cf[c])
				b := bl + float64((br-bl)*cf[c])
				dst[ch*plane+r*size+c] = float32(t + float64((b-t)*rf))
			}
		}
	}
	return nil
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

// toRGBFor converts only the pixels that resizing img to size×size reads
// (about 4·size² of them) and leaves the rest zero: PreprocessRGB gives the
// same input as with ToRGB, without converting a whole large photo.
func toRGBFor(img image.Image, size int) *RGB {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w == size && h == size || w*h <= 4*size*size {
		return ToRGB(img)
	}
	out := &RGB{Width: w, Height: h, Pix: make([]uint8, 3*w*h)}
	clo, chi, _ := samples(w, size)
	rlo, rhi, _ := samples(h, size)
	cols := uniqueSorted(clo, chi)
	rows := uniqueSorted(rlo, rhi)
	ycc, isYCC := img.(*image.YCbCr)
	for _, y := range rows {
		for _, x := range cols {
			i := 3 * (y*w + x)
			if isYCC {
				yi, ci := ycc.YOffset(b.Min.X+x, b.Min.Y+y), ycc.COffset(b.Min.X+x, b.Min.Y+y)
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = color.YCbCrToRGB(ycc.Y[yi], ycc.Cb[ci], ycc.Cr[ci])
				continue
			}
			c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
			out.Pix[i], out.Pix[i+1], out.Pix[i+2] = c.R, c.G, c.B
		}
	}
	return out
}

func uniqueSorted(a, b []int) []int {
	seen := make(map[int]bool, 2*len(a))
	var out []int
	for _, s := range [][]int{a, b} {
		for _, v := range s {
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	slices.Sort(out)
	return out
}
