//go:build !amd64

package pdq

func addRow(sums, in []float32) { addRowGo(sums, in) }

func subRow(sums, in []float32) { subRowGo(sums, in) }

func divRow(out, sums []float32, d float32) { divRowGo(out, sums, d) }

func addSubDivRow(out, sums, add, sub []float32, d float32) { addSubDivRowGo(out, sums, add, sub, d) }

func windowBytes(out []float32, add, sub []uint8, sum int, d float32) int {
	return windowBytesGo(out, add, sub, sum, d)
}
