package imagedecode

import (
	"image"
	"math"
)

// meanDiff is the mean absolute difference per 8-bit channel (RGB) between a
// and b sampled on a 4-pixel grid, or +Inf when their sizes differ.
func meanDiff(a, b image.Image) float64 {
	ab, bb := a.Bounds(), b.Bounds()
	if ab.Dx() != bb.Dx() || ab.Dy() != bb.Dy() {
		return math.Inf(1)
	}
	var sum, n float64
	for y := 0; y < ab.Dy(); y += 4 {
		for x := 0; x < ab.Dx(); x += 4 {
			r1, g1, b1, _ := a.At(ab.Min.X+x, ab.Min.Y+y).RGBA()
			r2, g2, b2, _ := b.At(bb.Min.X+x, bb.Min.Y+y).RGBA()
			sum += math.Abs(float64(r1>>8)-float64(r2>>8)) + math.Abs(float64(g1>>8)-float64(g2>>8)) + math.Abs(float64(b1>>8)-float64(b2>>8))
			n += 3
		}
	}
	return sum / n
}

// meanDiffAll is meanDiff over every pixel; 0 means identical RGB.
func meanDiffAll(a, b image.Image) float64 {
	ab, bb := a.Bounds(), b.Bounds()
	if ab.Dx() != bb.Dx() || ab.Dy() != bb.Dy() {
		return math.Inf(1)
	}
	var sum float64
	for y := range ab.Dy() {
		for x := range ab.Dx() {
			c1, c2 := nrgba8(a.At(ab.Min.X+x, ab.Min.Y+y)), nrgba8(b.At(bb.Min.X+x, bb.Min.Y+y))
			sum += math.Abs(float64(c1.R)-float64(c2.R)) + math.Abs(float64(c1.G)-float64(c2.G)) +
				math.Abs(float64(c1.B)-float64(c2.B)) + math.Abs(float64(c1.A)-float64(c2.A))
		}
	}
	return sum / float64(4*ab.Dx()*ab.Dy())
}
