// Package imagepreview renders uploaded images for reviewers: blurred and
// greyscale by default, so that a reviewer sees what an image roughly is
// without being exposed to it, and the original only when they ask. Both
// are decoded (within imagedecode's limits) and encoded anew as JPEG, so
// nothing of the upload but its pixels reaches a reviewer's browser: no
// EXIF, no colour profile tricks, no second format hidden in the file.
package imagepreview

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"

	"golang.org/x/image/draw"

	"github.com/haechi-tns/haechi/classifiers/imagedecode"
)

// blurSide is the long side an image is shrunk to before it is stretched
// back for the blurred preview: at 20 pixels across, faces, text and body
// details are gone while layout and dominant shapes remain.
const blurSide = 20

// Blurred renders data fitted within maxSide pixels, greyscale and
// blurred.
func Blurred(data []byte, maxSide int) ([]byte, error) {
	src, err := decode(data)
	if err != nil {
		return nil, err
	}
	w, h := fit(src.Bounds().Dx(), src.Bounds().Dy(), maxSide)
	grey := image.NewGray(image.Rect(0, 0, w, h))
	draw.ApproxBiLinear.Scale(grey, grey.Bounds(), src, src.Bounds(), draw.Src, nil)
	tiny := shrink(grey, blurSide)
	out := image.NewGray(image.Rect(0, 0, w, h))
	draw.BiLinear.Scale(out, out.Bounds(), tiny, tiny.Bounds(), draw.Src, nil)
	return encode(out)
}

// shrink averages g down to side pixels on its long side: each pixel the
// mean of the block it covers, so no detail survives by aliasing.
func shrink(g *image.Gray, side int) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	tw, th := fit(w, h, side)
	out := image.NewGray(image.Rect(0, 0, tw, th))
	for ty := range th {
		y0, y1 := ty*h/th, max((ty+1)*h/th, ty*h/th+1)
		for tx := range tw {
			x0, x1 := tx*w/tw, max((tx+1)*w/tw, tx*w/tw+1)
			sum := 0
			for y := y0; y < y1; y++ {
				row := g.Pix[y*g.Stride:]
				for x := x0; x < x1; x++ {
					sum += int(row[x])
				}
			}
			out.Pix[ty*out.Stride+tx] = uint8(sum / ((y1 - y0) * (x1 - x0)))
		}
	}
	return out
}

// Original renders data fitted within maxSide pixels, in colour, as it
// is.
func Original(data []byte, maxSide int) ([]byte, error) {
	src, err := decode(data)
	if err != nil {
		return nil, err
	}
	w, h := fit(src.Bounds().Dx(), src.Bounds().Dy(), maxSide)
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.ApproxBiLinear.Scale(out, out.Bounds(), src, src.Bounds(), draw.Src, nil)
	return encode(out)
}

func decode(data []byte) (image.Image, error) {
	im, err := imagedecode.Decode(data, imagedecode.DefaultLimits)
	if err != nil {
		return nil, fmt.Errorf("imagepreview: %w", err)
	}
	return im.Image, nil
}

// fit scales w×h down (never up) so that its long side is at most side.
func fit(w, h, side int) (int, int) {
	if side <= 0 || (w <= side && h <= side) {
		return max(w, 1), max(h, 1)
	}
	if w >= h {
		return side, max(1, h*side/w)
	}
	return max(1, w*side/h), side
}

func encode(m image.Image) ([]byte, error) {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 80}); err != nil {
		return nil, fmt.Errorf("imagepreview: encode: %w", err)
	}
	return b.Bytes(), nil
}
