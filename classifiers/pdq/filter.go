package pdq

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
	tmp := make([]float32, rows*max(cols, 64))
	// Round one, in full.
	for r := 0; r < rows; r++ {
		box1D(luma[r*cols:(r+1)*cols], tmp[r*cols:(r+1)*cols], wr)
	}
	boxColumns(tmp, luma, rows, cols, wc)

	// Round two, horizontal: only the sampled columns.
	narrow := tmp[:rows*64]
	for r := 0; r < rows; r++ {
		box1DSampled(luma[r*cols:(r+1)*cols], narrow[r*64:(r+1)*64], wr, &colIdx)
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
