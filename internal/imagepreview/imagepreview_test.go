package imagepreview

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"testing"
)

// checkerboard is a colourful image of fine detail: 8-pixel red and blue
// squares.
func checkerboard(t *testing.T, w, h int) []byte {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{200, 20, 20, 255}
			if (x/8+y/8)%2 == 1 {
				c = color.RGBA{20, 20, 220, 255}
			}
			m.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func decodeJPEG(t *testing.T, b []byte) image.Image {
	t.Helper()
	m, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a JPEG: %v", err)
	}
	return m
}

// stddev is the spread of luma over the image: detail shows as spread.
func stddev(m image.Image) float64 {
	var sum, sq, n float64
	b := m.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			l := float64(color.GrayModel.Convert(m.At(x, y)).(color.Gray).Y)
			sum, sq, n = sum+l, sq+l*l, n+1
		}
	}
	mean := sum / n
	return math.Sqrt(sq/n - mean*mean)
}

func TestBlurredHidesDetailAndColour(t *testing.T) {
	src := checkerboard(t, 800, 600)
	out, err := Blurred(src, 400)
	if err != nil {
		t.Fatal(err)
	}
	m := decodeJPEG(t, out)
	if b := m.Bounds(); b.Dx() != 400 || b.Dy() != 300 {
		t.Errorf("size %v, want 400×300", b)
	}
	if _, ok := m.(*image.Gray); !ok {
		t.Errorf("blurred preview is %T, want greyscale", m)
	}
	orig := decodeJPEG(t, mustOriginal(t, src, 400))
	if so, sb := stddev(orig), stddev(m); sb > so/10 {
		t.Errorf("detail left after blurring: spread %.1f of the original's %.1f", sb, so)
	}
}

func mustOriginal(t *testing.T, src []byte, side int) []byte {
	t.Helper()
	out, err := Original(src, side)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestOriginalKeepsColourAndFits(t *testing.T) {
	m := decodeJPEG(t, mustOriginal(t, checkerboard(t, 300, 900), 450))
	if b := m.Bounds(); b.Dx() != 150 || b.Dy() != 450 {
		t.Errorf("size %v, want 150×450", b)
	}
	r, _, bl, _ := m.At(4, 4).RGBA()
	if r>>8 < 150 || bl>>8 > 100 {
		t.Errorf("colour lost: pixel %v", m.At(4, 4))
	}
	// Small images are not enlarged.
	if m := decodeJPEG(t, mustOriginal(t, checkerboard(t, 64, 32), 450)); m.Bounds().Dx() != 64 {
		t.Errorf("a small image was resized to %v", m.Bounds())
	}
}

func TestNotAnImage(t *testing.T) {
	for _, data := range [][]byte{nil, []byte("<svg onload=alert(1)>"), []byte("GIF89a")} {
		if _, err := Blurred(data, 100); err == nil {
			t.Errorf("%q rendered", data)
		}
		if _, err := Original(data, 100); err == nil {
			t.Errorf("%q rendered", data)
		}
	}
}

func BenchmarkBlurred(b *testing.B) {
	src := checkerboard(&testing.T{}, 1600, 1200)
	for b.Loop() {
		if _, err := Blurred(src, 640); err != nil {
			b.Fatal(err)
		}
	}
}
