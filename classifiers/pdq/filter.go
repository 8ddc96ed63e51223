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
	wr := windowSize(cols)
	// tmp serves both as the full-size buffer of round one and as the
	// rows×64 buffer of round two.
	buf := getBuffer(rows * max(cols, 64))
	defer putBuffer(buf)
	tmp := *buf
	// Round one, horizontal. Rows go four at a time: a row's running sum
	// is a chain of dependent float additions, so one row at a time waits
	// on floating-point latency, while four independent chains overlap.
	r := 0
	for ; r+4 <= rows; r += 4 {
		box1D4(
			[4][]float32{row(luma, r, cols), row(luma, r+1, cols), row(luma, r+2, cols), row(luma, r+3, cols)},
			[4][]float32{row(tmp, r, cols), row(tmp, r+1, cols), row(tmp, r+2, cols), row(tmp, r+3, cols)}, wr)
	}
	for ; r < rows; r++ {
		box1D(row(luma, r, cols), row(tmp, r, cols), wr)
	}
	finishDownsample(tmp, luma, rows, cols, out)
}

// maxByteWindow is the widest window downsampleBytes takes: its running
// sums of 8-bit values stay below 2^24, where float32 holds every integer
// exactly, so the reference's float32 sums equal the integer ones.
const maxByteWindow = 1<<24/255 - 1

// downsampleBytes is downsample on 8-bit luminance, rows×cols pixels of
// pix with the given stride (a JPEG's Y plane, a grey image). Round one's
// horizontal pass reads the bytes: while a window's sum is below 2^24
// every float32 sum the reference forms is an exact integer, so integer
// running sums, converted and divided as the reference divides, give
// its values bit for bit (TestDownsampleBytesMatchesReference). It needs
// windowSize(cols) ≤ maxByteWindow.
func downsampleBytes(pix []uint8, stride, rows, cols int, out *[64][64]float32) {
	if rows == 64 && cols == 64 {
		for i := range out {
			for j, v := range pix[i*stride : i*stride+64] {
				out[i][j] = float32(v)
			}
		}
		return
	}
	wr := windowSize(cols)
	buf := getBuffer(rows * max(cols, 64))
	defer putBuffer(buf)
	lbuf := getBuffer(rows * cols)
	defer putBuffer(lbuf)
	tmp, luma := *buf, *lbuf
	for r := range rows {
		box1DBytes(pix[r*stride:r*stride+cols], row(tmp, r, cols), wr)
	}
	finishDownsample(tmp, luma, rows, cols, out)
}

// row is row r of a matrix width elements wide.
func row(m []float32, r, width int) []float32 { return m[r*width : (r+1)*width] }

// finishDownsample runs the rest of the reference's filter on tmp, the
// result of round one's horizontal pass: round one's vertical pass into
// luma, then round two, which computes only what feeds the 64×64 samples.
// tmp's first rows×64 elements are overwritten.
func finishDownsample(tmp, luma []float32, rows, cols int, out *[64][64]float32) {
	wr, wc := windowSize(cols), windowSize(rows)
	var colIdx, rowIdx [64]int
	for i := range colIdx {
		colIdx[i] = sampleIndex(i, cols)
		rowIdx[i] = sampleIndex(i, rows)
	}
	boxColumns(tmp, luma, rows, cols, wc)

	// Round two, horizontal: only the sampled columns, again four rows at a
	// time.
	narrow := tmp[:rows*64]
	r := 0
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

// box1DBytes is box1D on 8-bit input with integer running sums (see
// downsampleBytes). The full windows, most of the row, go to windowBytes.
func box1DBytes(in []uint8, out []float32, w int) {
	n := len(in)
	half := (w + 2) / 2
	_ = out[n-1]
	sum, cnt := 0, 0
	ri, oi := 0, 0
	for ; ri < half-1; ri++ {
		sum += int(in[ri])
		cnt++
	}
	for i := 0; i < w-half+1; i++ {
		sum += int(in[ri])
		cnt++
		out[oi] = float32(sum) / float32(cnt)
		ri++
		oi++
	}
	// The full windows: ri runs from w, li from 0.
	full := out[oi : oi+n-w]
	sum = windowBytes(full, in[w:], in[:len(full)], sum, float32(cnt))
	li := n - w
	oi += n - w
	for i := 0; i < half-1; i++ {
		sum -= int(in[li])
		cnt--
		out[oi] = float32(sum) / float32(cnt)
		li++
		oi++
	}
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
	// The full windows, in stretches that end at the next sampled
	// position, so that the inner loop is only the running sums.
	li := 0
	for end := oi + n - w; oi < end; {
		next := end
		if k < 64 && idx[k] < end {
			next = idx[k] + 1
		}
		m := next - oi
		b0, b1, b2, b3 := a0[ri:ri+m], a1[ri:ri+m], a2[ri:ri+m], a3[ri:ri+m]
		c0, c1, c2, c3 := a0[li:li+m], a1[li:li+m], a2[li:li+m], a3[li:li+m]
		for j := range b0 {
			s0 += b0[j]
			s1 += b1[j]
			s2 += b2[j]
			s3 += b3[j]
			s0 -= c0[j]
			s1 -= c1[j]
			s2 -= c2[j]
			s3 -= c3[j]
		}
		ri += m
		li += m
		oi = next - 1
		emit()
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

// The row kernels of the column filters: the scalar definitions. On
// amd64, rows_amd64.s does the same arithmetic four lanes at a time
// (TestRowKernels holds them to these); elsewhere rows_other.go calls
// these.

func addRowGo(sums, in []float32) {
	in = in[:len(sums)]
	for j := range sums {
		sums[j] += in[j]
	}
}

func subRowGo(sums, in []float32) {
	in = in[:len(sums)]
	for j := range sums {
		sums[j] -= in[j]
	}
}

func divRowGo(out, sums []float32, d float32) {
	out = out[:len(sums)]
	for j, s := range sums {
		out[j] = s / d
	}
}

func windowBytesGo(out []float32, add, sub []uint8, sum int, d float32) int {
	add, sub = add[:len(out)], sub[:len(out)]
	for i := range out {
		sum += int(add[i]) - int(sub[i])
		out[i] = float32(sum) / d
	}
	return sum
}

func addSubDivRowGo(out, sums, add, sub []float32, d float32) {
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
