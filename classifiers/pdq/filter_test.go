package pdq

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// The reference's downsampling written the plain way: whole-image buffers,
// strided 1-D box filters, two rounds, then decimation. downsample must give
// the same float32 values bit for bit.

func refBox1D(in, out []float32, n, stride, w int) {
	half := (w + 2) / 2
	li, ri, oi := 0, 0, 0
	var sum float32
	cnt := 0
	for i := 0; i < half-1; i++ {
		sum += in[ri]
		cnt++
		ri += stride
	}
	for i := 0; i < w-half+1; i++ {
		sum += in[ri]
		cnt++
		out[oi] = sum / float32(cnt)
		ri += stride
		oi += stride
	}
	for i := 0; i < n-w; i++ {
		sum += in[ri]
		sum -= in[li]
		out[oi] = sum / float32(cnt)
		li += stride
		ri += stride
		oi += stride
	}
	for i := 0; i < half-1; i++ {
		sum -= in[li]
		cnt--
		out[oi] = sum / float32(cnt)
		li += stride
		oi += stride
	}
}

func refDownsample(buf1 []float32, rows, cols int) (out [64][64]float32) {
	if rows == 64 && cols == 64 {
		for i := range out {
			copy(out[i][:], buf1[i*64:])
		}
		return out
	}
	buf2 := make([]float32, rows*cols)
	wr, wc := windowSize(cols), windowSize(rows)
	for range 2 {
		for i := 0; i < rows; i++ {
			refBox1D(buf1[i*cols:], buf2[i*cols:], cols, 1, wr)
		}
		for j := 0; j < cols; j++ {
			refBox1D(buf2[j:], buf1[j:], rows, cols, wc)
		}
	}
	for i := range 64 {
		ini := int((float64(i) + 0.5) * float64(rows) / 64)
		for j := range 64 {
			inj := int((float64(j) + 0.5) * float64(cols) / 64)
			out[i][j] = buf1[ini*cols+inj]
		}
	}
	return out
}

func TestDownsampleMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := [][2]int{{5, 5}, {5, 200}, {63, 65}, {64, 64}, {64, 65}, {127, 129}, {128, 128}, {300, 17}, {768, 1024}, {1004, 1600}, {1001, 333}}
	for _, s := range sizes {
		rows, cols := s[0], s[1]
		luma := make([]float32, rows*cols)
		for i := range luma {
			luma[i] = lumaRGB(uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)))
		}
		want := refDownsample(append([]float32(nil), luma...), rows, cols)
		var got [64][64]float32
		downsample(luma, rows, cols, &got)
		if got != want {
			t.Errorf("%d×%d: downsample differs from the reference's", rows, cols)
		}
	}
}

func TestSampleIndex(t *testing.T) {
	for n := 1; n < 5000; n++ {
		for i := range 64 {
			if got, want := sampleIndex(i, n), int((float64(i)+0.5)*float64(n)/64); got != want {
				t.Fatalf("sampleIndex(%d, %d) = %d, want %d", i, n, got, want)
			}
		}
	}
}

func TestWindowSize(t *testing.T) {
	for _, c := range []struct{ dim, want int }{{1, 1}, {64, 1}, {128, 1}, {129, 2}, {768, 6}, {1004, 8}, {1024, 8}, {1600, 13}} {
		if got := windowSize(c.dim); got != c.want {
			t.Errorf("windowSize(%d) = %d, want %d", c.dim, got, c.want)
		}
	}
}

// TestRowKernels holds the row kernels the column filters use (SSE on
// amd64) to their scalar definitions, bit for bit, at every length from 0
// to 70 and on values from tiny to large.
func TestRowKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	val := func() float32 {
		switch rng.IntN(4) {
		case 0:
			return float32(rng.IntN(256))
		case 1:
			return rng.Float32() * 1e-38 // subnormal range
		default:
			return (rng.Float32() - 0.3) * 4096
		}
	}
	fill := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = val()
		}
		return v
	}
	same := func(a, b []float32) bool {
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				return false
			}
		}
		return true
	}
	for n := range 71 {
		for range 20 {
			sums, add, sub, d := fill(n), fill(n+3), fill(n+5), float32(1+rng.IntN(40))
			s1, s2 := slices.Clone(sums), slices.Clone(sums)
			o1, o2 := make([]float32, n), make([]float32, n)
			addSubDivRow(o1, s1, add, sub, d)
			addSubDivRowGo(o2, s2, add, sub, d)
			if !same(o1, o2) || !same(s1, s2) {
				t.Fatalf("addSubDivRow, n=%d: differs from the scalar kernel", n)
			}
			divRow(o1, s1, d)
			divRowGo(o2, s2, d)
			if !same(o1, o2) {
				t.Fatalf("divRow, n=%d: differs from the scalar kernel", n)
			}
			addRow(s1, add)
			addRowGo(s2, add)
			if !same(s1, s2) {
				t.Fatalf("addRow, n=%d: differs from the scalar kernel", n)
			}
			subRow(s1, sub)
			subRowGo(s2, sub)
			if !same(s1, s2) {
				t.Fatalf("subRow, n=%d: differs from the scalar kernel", n)
			}
			a, b := make([]uint8, n), make([]uint8, n)
			for i := range a {
				a[i], b[i] = uint8(rng.IntN(256)), uint8(rng.IntN(256))
			}
			start := rng.IntN(1 << 20)
			if e1, e2 := windowBytes(o1, a, b, start, d), windowBytesGo(o2, a, b, start, d); e1 != e2 || !same(o1, o2) {
				t.Fatalf("windowBytes, n=%d: differs from the scalar kernel", n)
			}
		}
	}
}

// TestDownsampleBytesMatchesReference checks the 8-bit path against the
// reference's float32 filter on the same levels, bit for bit, with rows
// that have padding beyond the image (as a JPEG's Y plane and sub-images
// do).
func TestDownsampleBytesMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	sizes := [][2]int{{5, 5}, {5, 200}, {63, 65}, {64, 64}, {64, 65}, {127, 129}, {128, 128}, {300, 17}, {768, 1024}, {1004, 1600}, {1001, 333}, {40, 9000}}
	for _, s := range sizes {
		rows, cols := s[0], s[1]
		for _, pad := range []int{0, 13} {
			stride := cols + pad
			pix := make([]uint8, rows*stride)
			luma := make([]float32, rows*cols)
			for r := range rows {
				for c := range stride {
					v := uint8(rng.IntN(256))
					if r%7 == 0 {
						v = 255 // long runs of the largest value
					}
					pix[r*stride+c] = v
					if c < cols {
						luma[r*cols+c] = float32(v)
					}
				}
			}
			want := refDownsample(luma, rows, cols)
			var got [64][64]float32
			downsampleBytes(pix, stride, rows, cols, &got)
			if got != want {
				t.Errorf("%d×%d, stride %d: downsampleBytes differs from the reference's", rows, cols, stride)
			}
		}
	}
}
