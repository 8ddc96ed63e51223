package imagedecode

import (
	"image"
	"image/color"
)

// orient returns src transformed for display according to EXIF orientation o
// (1 or out of range: src itself). The result is a new image with bounds
// starting at (0,0), its width and height swapped for o in 5..8.
//
// Byte-per-channel sources are copied in one pass without per-pixel interface
// calls: *image.RGBA, *image.NRGBA, *image.CMYK and *image.Gray keep their type
// (the transform is a permutation of pixels, so it is exact), and
// *image.YCbCr becomes *image.RGBA with the same conversion as
// color.YCbCrToRGB. Anything else goes through At into *image.NRGBA.
func orient(src image.Image, o int) image.Image {
	if o < 2 || o > 8 {
		return src
	}
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	switch s := src.(type) {
	case *image.RGBA:
		d := image.NewRGBA(image.Rect(0, 0, dw, dh))
		permute(d.Pix, d.Stride, s.Pix, s.Stride, s.PixOffset(b.Min.X, b.Min.Y), 4, w, h, o)
		return d
	case *image.NRGBA:
		d := image.NewNRGBA(image.Rect(0, 0, dw, dh))
		permute(d.Pix, d.Stride, s.Pix, s.Stride, s.PixOffset(b.Min.X, b.Min.Y), 4, w, h, o)
		return d
	case *image.CMYK:
		d := image.NewCMYK(image.Rect(0, 0, dw, dh))
		permute(d.Pix, d.Stride, s.Pix, s.Stride, s.PixOffset(b.Min.X, b.Min.Y), 4, w, h, o)
		return d
	case *image.Gray:
		d := image.NewGray(image.Rect(0, 0, dw, dh))
		permute(d.Pix, d.Stride, s.Pix, s.Stride, s.PixOffset(b.Min.X, b.Min.Y), 1, w, h, o)
		return d
	case *image.YCbCr:
		if b.Min.X >= 0 && b.Min.Y >= 0 {
			d := image.NewRGBA(image.Rect(0, 0, dw, dh))
			orientYCbCr(d, s, o)
			return d
		}
	}
	d := image.NewNRGBA(image.Rect(0, 0, dw, dh))
	for y := range h {
		start, step := dstIndex(o, w, h, y, 4, d.Stride)
		for x := range w {
			c := color.NRGBAModel.Convert(src.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
			p := d.Pix[start+x*step : start+x*step+4 : start+x*step+4]
			p[0], p[1], p[2], p[3] = c.R, c.G, c.B, c.A
		}
	}
	return d
}

// dstIndex gives, for source row y (0-based) of a w×h image, the destination
// Pix index of source pixel x=0 and the index step per source x, for a
// destination with bpp bytes per pixel and stride ds. Source (x, y) lands at:
//
//	2 (W-1-x, y)        flip horizontal
//	3 (W-1-x, H-1-y)    rotate 180
//	4 (x, H-1-y)        flip vertical
//	5 (y, x)            transpose
//	6 (H-1-y, x)        rotate 90 clockwise
//	7 (H-1-y, W-1-x)    transverse
//	8 (y, W-1-x)        rotate 90 counter-clockwise
func dstIndex(o, w, h, y, bpp, ds int) (start, step int) {
	switch o {
	case 2:
		return y*ds + (w-1)*bpp, -bpp
	case 3:
		return (h-1-y)*ds + (w-1)*bpp, -bpp
	case 4:
		return (h - 1 - y) * ds, bpp
	case 5:
		return y * bpp, ds
	case 6:
		return (h - 1 - y) * bpp, ds
	case 7:
		return (h-1-y)*bpp + (w-1)*ds, -ds
	case 8:
		return y*bpp + (w-1)*ds, -ds
	}
	return y * ds, bpp
}

// permute moves w×h pixels of bpp bytes from src (first pixel at off) into
// dst according to orientation o.
func permute(dst []byte, ds int, src []byte, ss, off, bpp, w, h, o int) {
	for y := range h {
		row := src[off+y*ss : off+y*ss+w*bpp]
		start, step := dstIndex(o, w, h, y, bpp, ds)
		if bpp == 1 {
			for x, v := range row {
				dst[start+x*step] = v
			}
			continue
		}
		for x := range w {
			s := row[x*4 : x*4+4 : x*4+4]
			p := dst[start+x*step : start+x*step+4 : start+x*step+4]
			p[0], p[1], p[2], p[3] = s[0], s[1], s[2], s[3]
		}
	}
}

// orientYCbCr converts and permutes in one pass. Chroma indexes use shifts,
// valid because the bounds are non-negative (decoders produce (0,0) origins).
func orientYCbCr(d *image.RGBA, s *image.YCbCr, o int) {
	b := s.Rect
	w, h := b.Dx(), b.Dy()
	var xs, ys uint // chroma subsampling shifts
	switch s.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		xs = 1
	case image.YCbCrSubsampleRatio420:
		xs, ys = 1, 1
	case image.YCbCrSubsampleRatio440:
		ys = 1
	case image.YCbCrSubsampleRatio411:
		xs = 2
	case image.YCbCrSubsampleRatio410:
		xs, ys = 2, 1
	}
	cx0 := b.Min.X >> xs
	for y := range h {
		ay := b.Min.Y + y
		yRow := s.Y[(ay-b.Min.Y)*s.YStride:]
		cRow := ((ay >> ys) - (b.Min.Y >> ys)) * s.CStride
		cb := s.Cb[cRow:]
		cr := s.Cr[cRow:]
		start, step := dstIndex(o, w, h, y, 4, d.Stride)
		for x := range w {
			ci := ((b.Min.X + x) >> xs) - cx0
			yy1 := int32(yRow[x]) * 0x10101
			cb1 := int32(cb[ci]) - 128
			cr1 := int32(cr[ci]) - 128
			r := yy1 + 91881*cr1
			if uint32(r)&0xff000000 == 0 {
				r >>= 16
			} else {
				r = ^(r >> 31)
			}
			g := yy1 - 22554*cb1 - 46802*cr1
			if uint32(g)&0xff000000 == 0 {
				g >>= 16
			} else {
				g = ^(g >> 31)
			}
			bl := yy1 + 116130*cb1
			if uint32(bl)&0xff000000 == 0 {
				bl >>= 16
			} else {
				bl = ^(bl >> 31)
			}
			p := d.Pix[start+x*step : start+x*step+4 : start+x*step+4]
			p[0], p[1], p[2], p[3] = uint8(r), uint8(g), uint8(bl), 0xff
		}
	}
}
