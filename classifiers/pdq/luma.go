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
// reference's single-channel path does; everything else goes through 8-bit
// non-premultiplied RGB.
func fillLuma(img image.Image, luma []float32) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	switch m := img.(type) {
	case *image.YCbCr:
		fillLumaYCbCr(m, luma)
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

// fillLumaYCbCr converts to RGB exactly as image/color.YCbCrToRGB does (so
// the result equals the generic path's) but walks the chroma planes a row at
// a time instead of calling YOffset and COffset per pixel.
func fillLumaYCbCr(m *image.YCbCr, luma []float32) {
	b := m.Rect
	w := b.Dx()
	// Horizontal chroma subsampling as a shift; COffset of each row's first
	// pixel takes care of the vertical.
	var hs uint
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio440:
		hs = 0
	case image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420:
		hs = 1
	case image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410:
		hs = 2
	default:
		hs = 64 // unknown ratio: per-pixel path below
	}
	if hs == 64 || b.Min.X < 0 || b.Min.Y < 0 {
		// Shifts and the package's divisions disagree for negative
		// coordinates; such images are rare enough to take the slow path.
		for y := b.Min.Y; y < b.Max.Y; y++ {
			row := luma[(y-b.Min.Y)*w:][:w]
			for x := range row {
				yi := m.YOffset(b.Min.X+x, y)
				ci := m.COffset(b.Min.X+x, y)
				r, g, bb := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				row[x] = lumaRGB(r, g, bb)
			}
		}
		return
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := luma[(y-b.Min.Y)*w:][:w]
		ys := m.Y[m.YOffset(b.Min.X, y):][:w]
		c0 := m.COffset(b.Min.X, y)
		cbs, crs := m.Cb[c0:], m.Cr[c0:]
		cx0 := int(uint(b.Min.X) >> hs)
		for x := range row {
			ci := int(uint(b.Min.X+x)>>hs) - cx0
			r, g, bb := ycbcrToRGB(ys[x], cbs[ci], crs[ci])
			row[x] = lumaRGB(r, g, bb)
		}
	}
}

// ycbcrToRGB is image/color.YCbCrToRGB, small enough to be inlined.
func ycbcrToRGB(y, cb, cr uint8) (uint8, uint8, uint8) {
	yy1 := int32(y) * 0x10101
	cb1 := int32(cb) - 128
	cr1 := int32(cr) - 128
	r := clamp16(yy1 + 91881*cr1)
	g := clamp16(yy1 - 22554*cb1 - 46802*cr1)
	b := clamp16(yy1 + 116130*cb1)
	return uint8(r), uint8(g), uint8(b)
}

func clamp16(v int32) int32 {
	if uint32(v)&0xff000000 == 0 {
		return v >> 16
	}
	return ^(v >> 31)
}
