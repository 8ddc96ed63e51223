package pdq

// The SSE kernels of rows_amd64.s. Callers pass pointers to at least n
// elements each; rows.go checks the lengths.

//go:noescape
func addSubDivRowSSE(out, sums, add, sub *float32, n int, d float32)

//go:noescape
func divRowSSE(out, sums *float32, n int, d float32)

//go:noescape
func addRowSSE(sums, in *float32, n int)

//go:noescape
func subRowSSE(sums, in *float32, n int)

//go:noescape
func windowBytesSSE(out *float32, add, sub *uint8, n int, sum int32, d float32) int32

// windowBytes writes the full windows of box1DBytes: for each i, sum +=
// add[i] - sub[i] and out[i] = float32(sum) / d. It returns the last sum.
func windowBytes(out []float32, add, sub []uint8, sum int, d float32) int {
	if len(out) == 0 {
		return sum
	}
	add, sub = add[:len(out)], sub[:len(out)]
	return int(windowBytesSSE(&out[0], &add[0], &sub[0], len(out), int32(sum), d))
}

func addRow(sums, in []float32) {
	if len(sums) == 0 {
		return
	}
	in = in[:len(sums)]
	addRowSSE(&sums[0], &in[0], len(sums))
}

func subRow(sums, in []float32) {
	if len(sums) == 0 {
		return
	}
	in = in[:len(sums)]
	subRowSSE(&sums[0], &in[0], len(sums))
}

func divRow(out, sums []float32, d float32) {
	if len(sums) == 0 {
		return
	}
	out = out[:len(sums)]
	divRowSSE(&out[0], &sums[0], len(sums), d)
}

func addSubDivRow(out, sums, add, sub []float32, d float32) {
	if len(sums) == 0 {
		return
	}
	out = out[:len(sums)]
	add = add[:len(sums)]
	sub = sub[:len(sums)]
	addSubDivRowSSE(&out[0], &sums[0], &add[0], &sub[0], len(sums), d)
}
