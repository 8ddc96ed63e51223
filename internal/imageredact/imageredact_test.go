package imageredact

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"testing"

	"github.com/haechi-tns/haechi/classifiers/imagedecode"
	"github.com/haechi-tns/haechi/engine"
)

// pattern is an opaque image whose every pixel differs from its
// neighbours and from Fill, so a change anywhere shows.
func pattern(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.SetNRGBA(x, y, color.NRGBA{R: uint8(40 + x%200), G: uint8(60 + y%180), B: uint8(90 + (x+y)%150), A: 0xff})
		}
	}
	return m
}

func encodePNG(t *testing.T, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withEXIF puts an APP1 Exif segment after a JPEG's SOI marker.
func withEXIF(jpg []byte) []byte {
	payload := append([]byte("Exif\x00\x00"), []byte("MM\x00\x2a\x00\x00\x00\x08GPS-SECRET")...)
	seg := append([]byte{0xff, 0xe1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}, payload...)
	return append(append(append([]byte{}, jpg[:2]...), seg...), jpg[2:]...)
}

func TestRedactPNG(t *testing.T) {
	src := pattern(300, 120)
	box := engine.Box{X0: 50, Y0: 40, X1: 200, Y1: 70}
	r := New(imagedecode.DefaultLimits)
	ri, err := r.RedactImage(context.Background(), &engine.ImageUpload{Data: encodePNG(t, src)}, []engine.Box{box})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(ri.Data)
	if ri.ContentType != "image/png" || ri.ID != hex.EncodeToString(sum[:]) || ri.Size != len(ri.Data) || ri.URL != "/v1/redacted-images/"+ri.ID {
		t.Errorf("copy %s %s %d %s", ri.ContentType, ri.ID, ri.Size, ri.URL)
	}
	p := Pad(box.Y1 - box.Y0)
	want := engine.Box{X0: box.X0 - p, Y0: box.Y0 - p, X1: box.X1 + p, Y1: box.Y1 + p}
	if len(ri.Boxes) != 1 || ri.Boxes[0] != want {
		t.Errorf("filled %v, want %v (padded by %d)", ri.Boxes, want, p)
	}
	out, err := png.Decode(bytes.NewReader(ri.Data))
	if err != nil {
		t.Fatal(err)
	}
	filled := image.Rect(want.X0, want.Y0, want.X1, want.Y1)
	for y := range 120 {
		for x := range 300 {
			got := color.NRGBAModel.Convert(out.At(x, y)).(color.NRGBA)
			if image.Pt(x, y).In(filled) {
				if got != Fill {
					t.Fatalf("pixel (%d,%d) inside the box is %v, want %v", x, y, got, Fill)
				}
			} else if got != src.NRGBAAt(x, y) {
				t.Fatalf("pixel (%d,%d) outside the box changed: %v, was %v", x, y, got, src.NRGBAAt(x, y))
			}
		}
	}
}

func TestRedactJPEGStaysJPEGWithoutEXIF(t *testing.T) {
	src := pattern(200, 100)
	var b bytes.Buffer
	if err := jpeg.Encode(&b, src, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	data := withEXIF(b.Bytes())
	if _, err := imagedecode.Decode(data, imagedecode.DefaultLimits); err != nil {
		t.Fatalf("the test's JPEG does not decode: %v", err)
	}
	box := engine.Box{X0: 20, Y0: 30, X1: 120, Y1: 50}
	ri, err := New(imagedecode.DefaultLimits).RedactImage(context.Background(), &engine.ImageUpload{Data: data}, []engine.Box{box})
	if err != nil {
		t.Fatal(err)
	}
	if ri.ContentType != "image/jpeg" || bytes.Contains(ri.Data, []byte("Exif")) || bytes.Contains(ri.Data, []byte("GPS-SECRET")) {
		t.Fatalf("copy %s keeps the EXIF segment", ri.ContentType)
	}
	out, err := jpeg.Decode(bytes.NewReader(ri.Data))
	if err != nil {
		t.Fatal(err)
	}
	// Inside the box (away from its edge, where compression rings) the
	// fill; outside (away from it) the original within JPEG's error.
	var inside, outside, n int
	for y := range 100 {
		for x := range 200 {
			r, g, bl, _ := out.At(x, y).RGBA()
			px := int(r>>8) + int(g>>8) + int(bl>>8)
			switch {
			case x >= box.X0+4 && x < box.X1-4 && y >= box.Y0+4 && y < box.Y1-4:
				inside = max(inside, px)
			case x < box.X0-16 || x >= box.X1+16 || y < box.Y0-16 || y >= box.Y1+16:
				o := src.NRGBAAt(x, y)
				outside += abs(px - int(o.R) - int(o.G) - int(o.B))
				n++
			}
		}
	}
	if inside > 3*12 {
		t.Errorf("inside the box the brightest pixel sums %d, want near black", inside)
	}
	if mean := float64(outside) / float64(n); mean > 12 {
		t.Errorf("outside the box pixels moved by %.1f on average", mean)
	}
}

func abs(v int) int { return max(v, -v) }

func TestRedactRefusesBoxesThatDoNotFit(t *testing.T) {
	data := encodePNG(t, pattern(100, 50))
	r := New(imagedecode.DefaultLimits)
	for _, tc := range []struct {
		name  string
		boxes []engine.Box
		want  error
	}{
		{"none", nil, ErrNoBoxes},
		{"outside", []engine.Box{{X0: 90, Y0: 10, X1: 140, Y1: 30}}, ErrBadBox},
		{"negative", []engine.Box{{X0: -5, Y0: 10, X1: 20, Y1: 30}}, ErrBadBox},
		{"empty", []engine.Box{{X0: 10, Y0: 10, X1: 10, Y1: 30}}, ErrBadBox},
		{"one of two", []engine.Box{{X0: 1, Y0: 1, X1: 20, Y1: 20}, {X0: 0, Y0: 40, X1: 30, Y1: 60}}, ErrBadBox},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ri, err := r.RedactImage(context.Background(), &engine.ImageUpload{Data: data}, tc.boxes)
			if !errors.Is(err, tc.want) || ri != nil {
				t.Errorf("got %v, %v; want %v", ri, err, tc.want)
			}
		})
	}
	if _, err := r.RedactImage(context.Background(), &engine.ImageUpload{Data: []byte("not an image")}, []engine.Box{{X0: 1, Y0: 1, X1: 2, Y1: 2}}); !errors.Is(err, imagedecode.ErrUnsupportedFormat) {
		t.Errorf("undecodable image: %v", err)
	}
}

func TestPadClipsToTheImage(t *testing.T) {
	data := encodePNG(t, pattern(100, 50))
	ri, err := New(imagedecode.DefaultLimits).RedactImage(context.Background(), &engine.ImageUpload{Data: data}, []engine.Box{{X0: 0, Y0: 0, X1: 100, Y1: 50}})
	if err != nil {
		t.Fatal(err)
	}
	if ri.Boxes[0] != (engine.Box{X0: 0, Y0: 0, X1: 100, Y1: 50}) {
		t.Errorf("padded box %v leaves the image", ri.Boxes[0])
	}
}

// BenchmarkRedact times a copy of a 1280×960 photo-sized image with two
// boxes, as PNG and JPEG, and of the OCR fixture poster (BENCHMARKS.md).
func BenchmarkRedact(b *testing.B) {
	b.Run("poster-fixture", func(b *testing.B) {
		data, err := os.ReadFile("../../classifiers/ocr/testdata/images/poster-phone-bank.png")
		if err != nil {
			b.Fatal(err)
		}
		img := &engine.ImageUpload{Data: data}
		boxes := []engine.Box{{X0: 173, Y0: 294, X1: 436, Y1: 322}, {X0: 332, Y0: 397, X1: 621, Y1: 422}}
		r := New(imagedecode.DefaultLimits)
		for b.Loop() {
			if _, err := r.RedactImage(context.Background(), img, boxes); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, format := range []string{"png", "jpeg"} {
		b.Run(format, func(b *testing.B) {
			src := pattern(1280, 960)
			var buf bytes.Buffer
			if format == "png" {
				png.Encode(&buf, src)
			} else {
				jpeg.Encode(&buf, src, &jpeg.Options{Quality: 90})
			}
			img := &engine.ImageUpload{Data: buf.Bytes()}
			boxes := []engine.Box{{X0: 100, Y0: 300, X1: 500, Y1: 330}, {X0: 100, Y0: 400, X1: 600, Y1: 430}}
			r := New(imagedecode.DefaultLimits)
			for b.Loop() {
				if _, err := r.RedactImage(context.Background(), img, boxes); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
