package pdq

import (
	"math"
	"slices"
)

// dct16 holds DCT coefficients (1..16)×(1..16) of the 64×64 buffer, indexed
// from 0: row i is vertical frequency i+1, column j horizontal frequency j+1.
// The DC term (frequency 0) is left out, as in the reference: it carries only
// the mean brightness.
type dct16 [16][16]float32

// dctMatrix is row i+1 of the orthonormal 64-point DCT-II basis, for i in
// 0..15, rounded to float32 as the reference rounds it: a float32 scale times
// a float64 cosine.
var dctMatrix = func() (d [16][64]float32) {
	scale := float32(math.Sqrt(2.0 / 64.0))
	for i := range d {
		for j := range d[i] {
			d[i][j] = float32(float64(scale) * math.Cos(math.Pi/2.0/64.0*float64(i+1)*float64(2*j+1)))
		}
	}
	return d
}()

// dct64To16 computes B = D A Dᵀ with D = dctMatrix, summing in float32 over k
// in increasing order as the reference does, each product rounded before it
// is added (the explicit conversions keep the compiler from fusing them).
func dct64To16(a *[64][64]float32, b *dct16) {
	var t [16][64]float32 // t = D A
	for i := range t {
		ti := &t[i]
		for k := range 64 {
			d := dctMatrix[i][k]
			ak := &a[k]
			for j := range ti {
				ti[j] += float32(d * ak[j])
			}
		}
	}
	for i := range b {
		ti := &t[i]
		for j := range b[i] {
			dj := &dctMatrix[j]
			var s float32
			for k := range 64 {
				s += float32(ti[k] * dj[k])
			}
			b[i][j] = s
		}
	}
}

// hash sets the bits of the coefficients above their median. The median is
// the lower one (the 128th smallest of 256), which is what the reference's
// Torben median returns for an even count; sorting a copy gives the same
// value.
func (c *dct16) hash() Hash {
	var sorted [256]float32
	for i := range c {
		copy(sorted[i*16:(i+1)*16], c[i][:])
	}
	slices.Sort(sorted[:])
	median := sorted[127]
	var h Hash
	for i := range c {
		for j, v := range c[i] {
			if v > median {
				h.setBit(i*16 + j)
			}
		}
	}
	return h
}

// transform returns the coefficients of the image transformed by d. Mirroring
// an image along an axis negates the odd frequencies along that axis (odd
// frequency = even index here, since index 0 is frequency 1), and swapping
// the axes transposes the matrix; every element of the dihedral group is one
// or both. The sign patterns are the reference's.
func (c *dct16) transform(d Dihedral) *dct16 {
	out := new(dct16)
	for i := range 16 {
		for j := range 16 {
			v := c[i][j]
			switch d {
			case Original:
				out[i][j] = v
			case Rotate90:
				out[j][i] = negIf(v, j%2 == 0)
			case Rotate180:
				out[i][j] = negIf(v, (i+j)%2 == 1)
			case Rotate270:
				out[j][i] = negIf(v, i%2 == 0)
			case FlipX:
				out[i][j] = negIf(v, i%2 == 0)
			case FlipY:
				out[i][j] = negIf(v, j%2 == 0)
			case FlipPlus1:
				out[j][i] = v
			case FlipMinus1:
				out[j][i] = negIf(v, (i+j)%2 == 1)
			}
		}
	}
	return out
}

func negIf(v float32, neg bool) float32 {
	if neg {
		return -v
	}
	return v
}

// qualityMetric is the reference's heuristic: the sum over all horizontally
// and vertically adjacent pairs of the 64×64 buffer of |int((u-v)*100/255)|
// (float32 arithmetic, truncated towards zero), divided by 90 and capped at
// 100. Truncating each difference makes it count clear edges, not the many
// small steps of a smooth gradient.
func qualityMetric(a *[64][64]float32) int {
	sum := 0
	step := func(u, v float32) {
		d := int(float32(float32(u-v)*100) / 255)
		if d < 0 {
			d = -d
		}
		sum += d
	}
	for i := 0; i < 63; i++ {
		for j := 0; j < 64; j++ {
			step(a[i][j], a[i+1][j])
		}
	}
	for i := 0; i < 64; i++ {
		for j := 0; j < 63; j++ {
			step(a[i][j], a[i][j+1])
		}
	}
	return min(sum/90, 100)
}
