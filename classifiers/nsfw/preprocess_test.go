package nsfw

import (
	"image"
	"image/color"
	"slices"
	"testing"
)

func TestPreprocessRGB(t *testing.T) {
	// A 2×2 image resized to 3×3 with aligned corners keeps the corners and
	// puts exact averages between them.
	img := &RGB{Width: 2, Height: 2, Pix: []uint8{
		0, 10, 255, 100, 20, 255,
		50, 30, 255, 250, 40, 255,
	}}
	got := make([]float32, 27)
	if err := PreprocessRGB(img, 3, got); err != nil {
		t.Fatal(err)
	}
	red := []float64{0, 50, 100, 25, 100, 175, 50, 150, 250}
	green := []float64{10, 15, 20, 20, 25, 30, 30, 35, 40}
	for i := range 9 {
		for c, want := range [][]float64{red, green} {
			w := float32(want[i] / 255)
			if d := got[c*9+i] - w; d > 1e-7 || d < -1e-7 {
				t.Errorf("channel %d pixel %d: got %v, want %v", c, i, got[c*9+i], w)
			}
		}
		if got[18+i] != 1 {
			t.Errorf("blue pixel %d: got %v, want 1", i, got[18+i])
		}
	}

	// Same size: no resampling, just the division.
	same := &RGB{Width: 3, Height: 3, Pix: make([]uint8, 27)}
	for i := range same.Pix {
		same.Pix[i] = uint8(i * 9)
	}
	if err := PreprocessRGB(same, 3, got); err != nil {
		t.Fatal(err)
	}
	for p := range 9 {
		for c := range 3 {
			if want := float32(float64(same.Pix[3*p+c]) / 255); got[c*9+p] != want {
				t.Errorf("pixel %d channel %d: got %v, want %v", p, c, got[c*9+p], want)
			}
		}
	}

	for _, bad := range []struct {
		img  *RGB
		size int
		n    int
	}{{&RGB{Width: 2, Height: 2, Pix: make([]uint8, 11)}, 3, 27}, {img, 3, 26}, {&RGB{}, 3, 27}} {
		if err := PreprocessRGB(bad.img, bad.size, make([]float32, bad.n)); err == nil {
			t.Errorf("%dx%d/%d bytes to %d floats: no error", bad.img.Width, bad.img.Height, len(bad.img.Pix), bad.n)
		}
	}
}

func TestToRGB(t *testing.T) {
	tests := map[string]image.Image{
		"nrgba": func() image.Image {
			m := image.NewNRGBA(image.Rect(1, 1, 3, 2))
			m.SetNRGBA(1, 1, color.NRGBA{10, 20, 30, 0}) // alpha dropped, colour kept
			m.SetNRGBA(2, 1, color.NRGBA{40, 50, 60, 255})
			return m
		}(),
		"rgba": func() image.Image {
			m := image.NewRGBA(image.Rect(0, 0, 2, 1))
			m.SetRGBA(0, 0, color.RGBA{5, 10, 15, 128}) // premultiplied: un-premultiply
			m.SetRGBA(1, 0, color.RGBA{40, 50, 60, 255})
			return m
		}(),
		"gray": func() image.Image {
			m := image.NewGray(image.Rect(0, 0, 2, 1))
			m.SetGray(0, 0, color.Gray{7})
			m.SetGray(1, 0, color.Gray{200})
			return m
		}(),
	}
	want := map[string][]uint8{
		"nrgba": {10, 20, 30, 40, 50, 60},
		"rgba":  {9, 19, 29, 40, 50, 60},
		"gray":  {7, 7, 7, 200, 200, 200},
	}
	for name, img := range tests {
		t.Run(name, func(t *testing.T) {
			got := ToRGB(img)
			if got.Width != 2 || got.Height != 1 || string(got.Pix) != string(want[name]) {
				t.Errorf("got %dx%d %v, want 2x1 %v", got.Width, got.Height, got.Pix, want[name])
			}
		})
	}
}

// TestSparseConversionSameInput: converting only the pixels the resize
// reads gives exactly the model input a full conversion gives.
func TestSparseConversionSameInput(t *testing.T) {
	for _, size := range [][2]int{{1024, 768}, {500, 333}, {225, 224}, {3000, 40}} {
		ycc := image.NewYCbCr(image.Rect(0, 0, size[0], size[1]), image.YCbCrSubsampleRatio420)
		for i := range ycc.Y {
			ycc.Y[i] = uint8(i * 7)
		}
		for i := range ycc.Cb {
			ycc.Cb[i], ycc.Cr[i] = uint8(i*3), uint8(255-i)
		}
		rgba := image.NewRGBA(image.Rect(0, 0, size[0], size[1]))
		for i := range rgba.Pix {
			rgba.Pix[i] = uint8(i * 13)
		}
		ycc422 := image.NewYCbCr(image.Rect(0, 0, size[0]+7, size[1]+5), image.YCbCrSubsampleRatio422)
		for i := range ycc422.Y {
			ycc422.Y[i] = uint8(i * 5)
		}
		for i := range ycc422.Cb {
			ycc422.Cb[i], ycc422.Cr[i] = uint8(i*11), uint8(i*2)
		}
		// A sub-image at an odd origin checks the chroma offsets of the
		// gathered conversion.
		crop := ycc422.SubImage(image.Rect(3, 5, size[0]+3, size[1]+5))
		for _, img := range []image.Image{ycc, crop, rgba} {
			want := make([]float32, 3*224*224)
			got := make([]float32, 3*224*224)
			if err := PreprocessRGB(ToRGB(img), 224, want); err != nil {
				t.Fatal(err)
			}
			if err := preprocess(img, 224, got); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(want, got) {
				t.Errorf("%v %T: sparse conversion changes the model input", size, img)
			}
		}
	}
}

// BenchmarkPreprocessGathered is the preprocessing Classify runs on a
// decoded 1024×768 JPEG (Y'CbCr 4:2:0): the pixels the resize reads,
// converted to RGB, then the tfjs bilinear resize.
func BenchmarkPreprocessGathered(b *testing.B) {
	img := image.NewYCbCr(image.Rect(0, 0, 1024, 768), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = uint8(i * 7)
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = uint8(i*3), uint8(255-i)
	}
	dst := make([]float32, 3*224*224)
	b.ReportAllocs()
	for b.Loop() {
		if err := preprocess(img, 224, dst); err != nil {
			b.Fatal(err)
		}
	}
}

// TestYCCToRGB: the conversion preprocess inlines is color.YCbCrToRGB
// for every input.
func TestYCCToRGB(t *testing.T) {
	for y := range 256 {
		for cb := range 256 {
			for cr := range 256 {
				r, g, b := yccToRGB(uint8(y), uint8(cb), uint8(cr))
				wr, wg, wb := color.YCbCrToRGB(uint8(y), uint8(cb), uint8(cr))
				if r != wr || g != wg || b != wb {
					t.Fatalf("yccToRGB(%d, %d, %d) = %d %d %d, want %d %d %d", y, cb, cr, r, g, b, wr, wg, wb)
				}
			}
		}
	}
}
