package pdq

import "sync"

// The reference blurs the whole luminance image with two rounds of a
// horizontal then a vertical box filter and then samples 64×64 pixels of the
// result. Only those pixels are wanted, so the second round computes only
// what feeds them: its horizontal pass keeps the 64 sampled columns and its
// vertical pass divides only at the 64 sampled rows. Every value that is
// computed is computed with the reference's float32 operations in the
// reference's order (a running sum with one add and one subtract per step,
// divided by the current window length), so the result is bit-for-bit the
// reference's; filter_test.go checks this against a literal port.

// windowSize is the reference's computeJaroszFilterWindowSize for a 64-pixel
// output: half of ceil(dim/64), rounded up, because two passes of a box of
// that width spread over one output pixel's share of the input.
func windowSize(dim int) int { return (dim + 2*64 - 1) / (2 * 64) }

// sampleIndex is the reference's decimateFloat index for output i of 64: the
// input pixel at the centre of the i-th of 64 equal bins. The reference
// computes it in float64 as int((i+0.5)*n/64), which is exact and equal to
// this integer form.
func sampleIndex(i, n int) int { return (2*i + 1) * n / 128 }

// downsample blurs the rows×cols luminance image in luma and samples it to
// 64×64. luma is overwritten.
func downsample(luma []float32, rows, cols int, out *[64][64]float32) {
	if rows == 64 && cols == 64 {
		// The reference copies a 64×64 input without filtering.
		for i := range out {
			copy(out[i][:], luma[i*64:(i+1)*64])
		}
		return
	}
	wr, wc := windowSize(cols), windowSize(rows)
	var colIdx, rowIdx [64]int
	for i := range colIdx {
		colIdx[i] = sampleIndex(i, cols)
		rowIdx[i] = sampleIndex(i, rows)
	}

	// tmp serves both as the full-size buffer of round one and as the
	// rows×64 buffer of round two.
	buf := getBuffer(rows * max(cols, 64))
	defer putBuffer(buf)
	tmp := *buf
	// Round one, in full. Rows go four at a time: a row's running sum is a
	// chain of dependent float additions, so one row at a time waits on
	// floating-point latency, while four independent chains overlap.
	row := func(m []float32, r, width int) []float32 { return m[r*width : (r+1)*width] }
	r := 0
	for ; r+4 <= rows; r += 4 {
		box1D4(
			[4][]float32{row(luma, r, cols), row(luma, r+1, cols), row(luma, r+2, cols), row(luma, r+3, cols)},
			[4][]float32{row(tmp, r, cols), row(tmp, r+1, cols), row(tmp, r+2, cols), row(tmp, r+3, cols)}, wr)
	}
	for ; r < rows; r++ {
		box1D(row(luma, r, cols), row(tmp, r, cols), wr)
	}
	boxColumns(tmp, luma, rows, cols, wc)

	// Round two, horizontal: only the sampled columns, again four rows at a
	// time.
	narrow := tmp[:rows*64]
	r = 0
	for ; r+4 <= rows; r += 4 {
		box1DSampled4(
			[4][]float32{row(luma, r, cols), row(luma, r+1, cols), row(luma, r+2, cols), row(luma, r+3, cols)},
			[4][]float32{row(narrow, r, 64), row(narrow, r+1, 64), row(narrow, r+2, 64), row(narrow, r+3, 64)}, wr, &colIdx)
	}
	for ; r < rows; r++ {
		box1DSampled(row(luma, r, cols), row(narrow, r, 64), wr, &colIdx)
	}
	// Round two, vertical: only the sampled rows.
	boxColumnsSampled(narrow, rows, wc, &rowIdx, out)
}

// box1D is the reference's box1DFloat along one contiguous vector: out[i] is
// the mean of in over a window of width w around i, the window shrinking at
// the edges (it reaches (w+2)/2-1 elements ahead and w-(w+2)/2 behind).
func box1D(in, out []float32, w int) {
	n := len(in)
	half := (w + 2) / 2
	_ = out[n-1]
	var sum float32
	cnt := 0
	ri, oi := 0, 0
	for ; ri < half-1; ri++ {
		sum += in[ri]
		cnt++
	}
	for i := 0; i < w-half+1; i++ {
		sum += in[ri]
		cnt++
		out[oi] = sum / float32(cnt)
		ri++
		oi++
	}
	li := 0
	fc := float32(cnt)
	for i := 0; i < n-w; i++ {
		sum += in[ri]
		sum -= in[li]
		out[oi] = sum / fc
		li++
		ri++
		oi++
	}
	for i := 0; i < half-1; i++ {
		sum -= in[li]
		cnt--
		out[oi] = sum / float32(cnt)
		li++
		oi++
	}
}

// box1DSampled is box1D keeping only the outputs at the 64 non-decreasing
// positions idx (a side shorter than 64 has positions sampled twice).
func box1DSampled(in []float32, out []float32, w int, idx *[64]int) {
	n := len(in)
	half := (w + 2) / 2
	_ = out[63]
	var sum float32
	cnt := 0
	ri, oi, k := 0, 0, 0
	for ; ri < half-1; ri++ {
		sum += in[ri]
		cnt++
	}
	for i := 0; i < w-half+1; i++ {
		sum += in[ri]
		cnt++
		for k < 64 && oi == idx[k] {
			out[k] = sum / float32(cnt)
			k++
		}
		ri++
		oi++
	}
	li := 0
	for i := 0; i < n-w; i++ {
		sum += in[ri]
		sum -= in[li]
		for k < 64 && oi == idx[k] {
			out[k] = sum / float32(cnt)
			k++
		}
		li++
		ri++
		oi++
	}
	for i := 0; i < half-1; i++ {
		sum -= in[li]
		cnt--
		for k < 64 && oi == idx[k] {
			out[k] = sum / float32(cnt)
			k++
		}
		li++
		oi++
	}
}

// box1D4 is box1D on four rows of equal length at once, each row's sums
// taken in box1D's order.
func box1D4(in, out [4][]float32, w int) {
	n := len(in[0])
	a0, a1, a2, a3 := in[0][:n], in[1][:n], in[2][:n], in[3][:n]
	o0, o1, o2, o3 := out[0][:n], out[1][:n], out[2][:n], out[3][:n]
	half := (w + 2) / 2
	var s0, s1, s2, s3 float32
	cnt := 0
	ri, oi := 0, 0
	for ; ri < half-1; ri++ {
		s0 += a0[ri]
		s1 += a1[ri]
		s2 += a2[ri]
		s3 += a3[ri]
		cnt++
	}
	for i := 0; i < w-half+1; i++ {
		s0 += a0[ri]
		s1 += a1[ri]
		s2 += a2[ri]
		s3 += a3[ri]
		cnt++
		f := float32(cnt)
		o0[oi], o1[oi], o2[oi], o3[oi] = s0/f, s1/f, s2/f, s3/f
		ri++
		oi++
	}
	li := 0
	fc := float32(cnt)
	for i := 0; i < n-w; i++ {
		s0 += a0[ri]
		s1 += a1[ri]
		s2 += a2[ri]
		s3 += a3[ri]
		s0 -= a0[li]
		s1 -= a1[li]
		s2 -= a2[li]
		s3 -= a3[li]
		o0[oi], o1[oi], o2[oi], o3[oi] = s0/fc, s1/fc, s2/fc, s3/fc
		li++
		ri++
		oi++
	}
	for i := 0; i < half-1; i++ {
		s0 -= a0[li]
		s1 -= a1[li]
		s2 -= a2[li]
		s3 -= a3[li]
		cnt--
		f := float32(cnt)
		o0[oi], o1[oi], o2[oi], o3[oi] = s0/f, s1/f, s2/f, s3/f
		li++
		oi++
	}
}

// box1DSampled4 is box1DSampled on four rows of equal length at once.
func box1DSampled4(in, out [4][]float32, w int, idx *[64]int) {
	n := len(in[0])
	a0, a1, a2, a3 := in[0][:n], in[1][:n], in[2][:n], in[3][:n]
	o0, o1, o2, o3 := out[0][:64], out[1][:64], out[2][:64], out[3][:64]
	half := (w + 2) / 2
	var s0, s1, s2, s3 float32
	cnt := 0
	ri, oi, k := 0, 0, 0
	emit := func() {
		for k < 64 && oi == idx[k] {
			f := float32(cnt)
			o0[k], o1[k], o2[k], o3[k] = s0/f, s1/f, s2/f, s3/f
			k++
		}
	}
	for ; ri < half-1; ri++ {
		s0 += a0[ri]
		s1 += a1[ri]
		s2 += a2[ri]
		s3 += a3[ri]
		cnt++
	}
	for i := 0; i < w-half+1; i++ {
		s0 += a0[ri]
		s1 += a1[ri]
		s2 += a2[ri]
		s3 += a3[ri]
		cnt++
		emit()
		ri++
		oi++
	}
	li := 0
	for i := 0; i < n-w; i++ {
		s0 += a0[ri]
		s1 += a1[ri]
		s2 += a2[ri]
		s3 += a3[ri]
		s0 -= a0[li]
		s1 -= a1[li]
		s2 -= a2[li]
		s3 -= a3[li]
		emit()
		li++
		ri++
		oi++
	}
	for i := 0; i < half-1; i++ {
		s0 -= a0[li]
		s1 -= a1[li]
		s2 -= a2[li]
		s3 -= a3[li]
		cnt--
		emit()
		li++
		oi++
	}
}

// boxColumns applies box1D down every column of the rows×cols matrix in,
// writing out. It walks the matrix a row at a time with one running sum per
// column, which reads memory in order; each column's sums see the same
// operations in the same order as the reference's column-at-a-time loop.
func boxColumns(in, out []float32, rows, cols, w int) {
	sums := make([]float32, cols)
	half := (w + 2) / 2
	row := func(i int) []float32 { return in[i*cols : (i+1)*cols] }
	ri, oi, cnt := 0, 0, 0
	for ; ri < half-1; ri++ {
		addRow(sums, row(ri))
		cnt++
	}
	for i := 0; i < w-half+1; i++ {
		addRow(sums, row(ri))
		cnt++
		divRow(out[oi*cols:(oi+1)*cols], sums, float32(cnt))
		ri++
		oi++
	}
	li := 0
	for i := 0; i < rows-w; i++ {
		addSubDivRow(out[oi*cols:(oi+1)*cols], sums, row(ri), row(li), float32(cnt))
		li++
		ri++
		oi++
	}
	for i := 0; i < half-1; i++ {
		subRow(sums, row(li))
		cnt--
		divRow(out[oi*cols:(oi+1)*cols], sums, float32(cnt))
		li++
		oi++
	}
}

// boxColumnsSampled is boxColumns on a rows×64 matrix keeping only the output
// rows idx, non-decreasing.
func boxColumnsSampled(in []float32, rows, w int, idx *[64]int, out *[64][64]float32) {
	var sums [64]float32
	half := (w + 2) / 2
	row := func(i int) []float32 { return in[i*64 : (i+1)*64] }
	ri, oi, cnt, k := 0, 0, 0, 0
	emit := func() {
		for k < 64 && oi == idx[k] {
			divRow(out[k][:], sums[:], float32(cnt))
			k++
		}
	}
	for ; ri < half-1; ri++ {
		addRow(sums[:], row(ri))
		cnt++
	}
	for i := 0; i < w-half+1; i++ {
		addRow(sums[:], row(ri))
		cnt++
		emit()
		ri++
		oi++
	}
	li := 0
	for i := 0; i < rows-w; i++ {
		addRow(sums[:], row(ri))
		subRow(sums[:], row(li))
		emit()
		li++
		ri++
		oi++
	}
	for i := 0; i < half-1; i++ {
		subRow(sums[:], row(li))
		cnt--
		emit()
		li++
		oi++
	}
}

func addRow(sums, in []float32) {
	in = in[:len(sums)]
	for j := range sums {
		sums[j] += in[j]
	}
}

func subRow(sums, in []float32) {
	in = in[:len(sums)]
	for j := range sums {
		sums[j] -= in[j]
	}
}

func divRow(out, sums []float32, d float32) {
	out = out[:len(sums)]
	for j, s := range sums {
		out[j] = s / d
	}
}

func addSubDivRow(out, sums, add, sub []float32, d float32) {
	out = out[:len(sums)]
	add = add[:len(sums)]
	sub = sub[:len(sums)]
	for j := range sums {
		s := sums[j] + add[j]
		s -= sub[j]
		sums[j] = s
		out[j] = s / d
	}
}

// buffers recycles the megabyte-sized float32 buffers of the luminance image
// and the first filter round, which every hash needs twice: allocating them
// afresh cost a photo-hashing service more in clearing memory and garbage
// collection than the filter arithmetic itself. Every element of a buffer
// is written before it is read, so reused buffers are not cleared.
var buffers sync.Pool

func getBuffer(n int) *[]float32 {
	if p, ok := buffers.Get().(*[]float32); ok && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	b := make([]float32, n)
	return &b
}

func putBuffer(p *[]float32) {
	// Keep at most what a 50-megapixel image needs, so one huge image does
	// not pin its buffers for ever.
	if cap(*p) <= 50<<20 {
		buffers.Put(p)
	}
}
