package pdq

import (
	"image"
	"image/color"
)

// The reference's coefficients, as float32 constants multiplied with the
// 8-bit channel values in float32.
const (
	lumaR float32 = 0.299
	lumaG float32 = 0.587
	lumaB float32 = 0.114
)

// lumaRGB is written with explicit float32 conversions so that the compiler
// cannot fuse a multiply and add: each product is rounded, as in the reference.
func lumaRGB(r, g, b uint8) float32 {
	return float32(float32(lumaR*float32(r))+float32(lumaG*float32(g))) + float32(lumaB*float32(b))
}

// fillLuma writes img's luminance into luma, row-major, len(luma) ==
// width*height. Grey images give their grey level directly, as the
// reference's single-channel path does, and JPEGs their Y plane; everything
// else goes through 8-bit non-premultiplied RGB.
func fillLuma(img image.Image, luma []float32) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	switch m := img.(type) {
	case *image.YCbCr:
		// A JPEG's Y plane holds BT.601 luma, 0.299 R + 0.587 G + 0.114 B:
		// what PDQ computes, without converting the chroma to RGB first.
		// It differs from the RGB route only by rounding (a few bits of the
		// hash; conformance with the reference is unchanged).
		for y := 0; y < h; y++ {
			src := m.Y[m.YOffset(b.Min.X, b.Min.Y+y):][:w]
			row := luma[y*w : (y+1)*w]
			for x, v := range src {
				row[x] = float32(v)
			}
		}
	case *image.Gray:
		for y := 0; y < h; y++ {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:w]
			row := luma[y*w : (y+1)*w]
			for x, v := range src {
				row[x] = float32(v)
			}
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
			row := luma[y*w : (y+1)*w]
			for x := range row {
				p := src[4*x : 4*x+4 : 4*x+4]
				row[x] = lumaRGB(p[0], p[1], p[2])
			}
		}
	case *image.RGBA:
		for y := 0; y < h; y++ {
			src := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
			row := luma[y*w : (y+1)*w]
			for x := range row {
				p := src[4*x : 4*x+4 : 4*x+4]
				if p[3] == 0xff {
					row[x] = lumaRGB(p[0], p[1], p[2])
				} else {
					c := color.NRGBAModel.Convert(color.RGBA{p[0], p[1], p[2], p[3]}).(color.NRGBA)
					row[x] = lumaRGB(c.R, c.G, c.B)
				}
			}
		}
	default:
		for y := 0; y < h; y++ {
			row := luma[y*w : (y+1)*w]
			for x := range row {
				c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
				row[x] = lumaRGB(c.R, c.G, c.B)
			}
		}
	}
}
