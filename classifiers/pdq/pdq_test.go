package pdq

import (
	"errors"
	"image"
	"image/color"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/haechi-tns/haechi/internal/racetest"
)

func TestParseHashRoundTrip(t *testing.T) {
	for _, s := range []string{
		"f8f8f0cce0f4e84d0e370a22028f67f0b36e2ed596623e1d33e6339c4e9c9b22",
		strings.Repeat("0", 64),
		strings.Repeat("f", 64),
	} {
		h, err := ParseHash(s)
		if err != nil {
			t.Fatalf("ParseHash(%q): %v", s, err)
		}
		if got := h.String(); got != s {
			t.Errorf("round trip: %q became %q", s, got)
		}
	}
	h, err := ParseHash(strings.ToUpper("f8f8f0cce0f4e84d0e370a22028f67f0b36e2ed596623e1d33e6339c4e9c9b22"))
	if err != nil || h.String() != "f8f8f0cce0f4e84d0e370a22028f67f0b36e2ed596623e1d33e6339c4e9c9b22" {
		t.Errorf("uppercase: %v, %v", h, err)
	}
}

func TestParseHashErrors(t *testing.T) {
	for name, s := range map[string]string{
		"empty":     "",
		"short":     strings.Repeat("0", 63),
		"long":      strings.Repeat("0", 65),
		"not hex":   strings.Repeat("0", 63) + "g",
		"with 0x":   "0x" + strings.Repeat("0", 62),
		"separated": strings.Repeat("0000 ", 12) + "0000",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseHash(s); err == nil {
				t.Errorf("ParseHash(%q) succeeded", s)
			}
		})
	}
}

// TestBitOrder pins the reference's layout: bit k of coefficient (k/16,
// k%16) is bit k%16 of 16-bit word k/16, and the words are printed from 15
// down to 0.
func TestBitOrder(t *testing.T) {
	for _, c := range []struct {
		bit  int
		want string
	}{
		{0, strings.Repeat("0", 63) + "1"},
		{15, strings.Repeat("0", 60) + "8000"},
		{16, strings.Repeat("0", 59) + "10000"},
		{255, "8" + strings.Repeat("0", 63)},
	} {
		var h Hash
		h.setBit(c.bit)
		if got := h.String(); got != c.want {
			t.Errorf("bit %d: %s, want %s", c.bit, got, c.want)
		}
		if !h.Bit(c.bit) {
			t.Errorf("Bit(%d) false after setBit", c.bit)
		}
	}
}

func TestDistance(t *testing.T) {
	mustParse := func(s string) Hash {
		h, err := ParseHash(s)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	zero := Hash{}
	ones := mustParse(strings.Repeat("f", 64))
	for _, c := range []struct {
		name string
		a, b Hash
		want int
	}{
		{"equal", ones, ones, 0},
		{"all", zero, ones, 256},
		{"one nibble", zero, mustParse(strings.Repeat("0", 63) + "7"), 3},
		{"alternating", mustParse(strings.Repeat("a", 64)), mustParse(strings.Repeat("5", 64)), 256},
		{"one bit per word", zero, mustParse(strings.Repeat("0001", 16)), 16},
		{"last and first bit", mustParse("8" + strings.Repeat("0", 63)), mustParse(strings.Repeat("0", 63) + "1"), 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Distance(c.a, c.b); got != c.want {
				t.Errorf("Distance = %d, want %d", got, c.want)
			}
			if got := Distance(c.b, c.a); got != c.want {
				t.Errorf("Distance reversed = %d, want %d", got, c.want)
			}
		})
	}
}

func gradient(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x + y) % 256), 255})
		}
	}
	return img
}

func TestGradient(t *testing.T) {
	h, q, err := FromImage(gradient(200, 150))
	if err != nil {
		t.Fatal(err)
	}
	if h == (Hash{}) {
		t.Error("zero hash for a gradient")
	}
	t.Logf("gradient 200×150: %v quality %d", h, q)
}

func TestUniformGreyQualityZero(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 320, 240))
	for i := range img.Pix {
		img.Pix[i] = 128
	}
	h, q, err := FromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	if q != 0 {
		t.Errorf("quality %d, want 0", q)
	}
	// The hash itself is float32 rounding noise (every coefficient is
	// within 1e-4 of zero), as in the reference: quality 0 is what tells
	// callers to ignore it.
	t.Logf("uniform grey: %v", h)
}

func TestTooSmall(t *testing.T) {
	for _, r := range []image.Rectangle{image.Rect(0, 0, 4, 100), image.Rect(0, 0, 100, 4), image.Rect(0, 0, 0, 0)} {
		if _, _, err := FromImage(image.NewGray(r)); !errors.Is(err, ErrTooSmall) {
			t.Errorf("%v: err = %v, want ErrTooSmall", r, err)
		}
		if _, _, err := DihedralFromImage(image.NewGray(r)); !errors.Is(err, ErrTooSmall) {
			t.Errorf("%v: dihedral err = %v, want ErrTooSmall", r, err)
		}
	}
	if _, _, err := FromImage(image.NewGray(image.Rect(0, 0, 5, 5))); err != nil {
		t.Errorf("5×5: %v", err)
	}
}

func TestDeterministic(t *testing.T) {
	img := loadImage(t, "c.png")
	h1, q1, _ := FromImage(img)
	h2, q2, _ := FromImage(img)
	hs, q3, _ := DihedralFromImage(img)
	if h1 != h2 || q1 != q2 || hs[Original] != h1 || q3 != q1 {
		t.Errorf("hashes differ: %v/%d, %v/%d, %v/%d", h1, q1, h2, q2, hs[Original], q3)
	}
}

// opaque hides an image's concrete type so that the generic path runs.
type opaque struct{ image.Image }

// TestFastPathsMatchGeneric checks each fast path against the color-model
// path on the same pixels, including a sub-image with a non-zero origin.
func TestFastPathsMatchGeneric(t *testing.T) {
	racetest.Heavy(t)
	photo := loadImage(t, "bridge-1-original.jpg").(*image.YCbCr)
	nrgba := loadImage(t, "c.png").(*image.NRGBA)
	rgba := image.NewRGBA(nrgba.Bounds())
	gray := image.NewGray(nrgba.Bounds())
	for y := nrgba.Rect.Min.Y; y < nrgba.Rect.Max.Y; y++ {
		for x := nrgba.Rect.Min.X; x < nrgba.Rect.Max.X; x++ {
			c := nrgba.NRGBAAt(x, y)
			c.A = 255
			rgba.Set(x, y, c)
			gray.Set(x, y, c)
		}
	}
	for name, img := range map[string]image.Image{
		"ycbcr":       photo,
		"ycbcr sub":   photo.SubImage(image.Rect(101, 57, 900, 700)),
		"nrgba":       nrgba,
		"nrgba sub":   nrgba.SubImage(image.Rect(33, 21, 700, 500)),
		"rgba":        rgba,
		"rgba sub":    rgba.SubImage(image.Rect(33, 21, 700, 500)),
		"gray":        gray,
		"gray sub":    gray.SubImage(image.Rect(33, 21, 700, 500)),
		"translucent": translucent(),
	} {
		t.Run(name, func(t *testing.T) {
			fast, qf, err := FromImage(img)
			if err != nil {
				t.Fatal(err)
			}
			generic, qg, err := FromImage(opaque{img})
			if err != nil {
				t.Fatal(err)
			}
			switch img.(type) {
			case *image.YCbCr:
				// A JPEG's Y plane is the BT.601 luma PDQ computes from RGB;
				// the fast path reads it directly, the generic one goes
				// through 8-bit RGB and rounds, so allow a few bits.
				if d := Distance(fast, generic); d > 6 || qf != qg {
					t.Errorf("distance %d, quality %d vs %d", d, qf, qg)
				}
				return
			}
			if _, isGray := img.(*image.Gray); isGray {
				// Grey levels are used as they are; through RGB they pick up
				// float32 rounding, so allow a bit or two.
				if d := Distance(fast, generic); d > 2 || qf != qg {
					t.Errorf("distance %d, quality %d vs %d", d, qf, qg)
				}
				return
			}
			if fast != generic || qf != qg {
				t.Errorf("fast %v/%d, generic %v/%d", fast, qf, generic, qg)
			}
		})
	}
}

// translucent is a premultiplied image with varying alpha, whose colours
// are taken un-premultiplied.
func translucent() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 97, 131))
	for y := 0; y < 131; y++ {
		for x := 0; x < 97; x++ {
			img.Set(x, y, color.NRGBA{uint8(x * 2), uint8(y), uint8(x ^ y), uint8(255 - (x+y)%200)})
		}
	}
	return img
}

// TestDihedralMatchesTransformedImages hashes each rotation and reflection
// of a photo, made here, and compares with the hashes derived from the DCT
// of the original. They differ only where the decimation grid is not
// symmetric (1600 and 1004 are not multiples of 128).
func TestDihedralMatchesTransformedImages(t *testing.T) {
	racetest.Heavy(t)
	for _, name := range []string{"bridge-1-original.jpg", "c.png"} {
		img := loadImage(t, name)
		hs, _, err := DihedralFromImage(img)
		if err != nil {
			t.Fatal(err)
		}
		for d := Original; d <= FlipMinus1; d++ {
			h, _, err := FromImage(transformed(img, d))
			if err != nil {
				t.Fatal(err)
			}
			dist := Distance(h, hs[d])
			t.Logf("%s %-10v distance %d", name, d, dist)
			if dist > conformanceBar {
				t.Errorf("%s %v: distance %d, want ≤ %d", name, d, dist, conformanceBar)
			}
		}
	}
	// At 64×64 there is no filtering or decimation, so the derived hashes
	// are exact up to float32 rounding: random pixels check each sign
	// pattern alone.
	rng := rand.New(rand.NewPCG(3, 4))
	noise := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for i := range noise.Pix {
		noise.Pix[i] = uint8(rng.IntN(256))
	}
	hs, _, err := DihedralFromImage(noise)
	if err != nil {
		t.Fatal(err)
	}
	for d := Original; d <= FlipMinus1; d++ {
		h, _, _ := FromImage(transformed(noise, d))
		if dist := Distance(h, hs[d]); dist > 2 {
			t.Errorf("64×64 noise %v: distance %d, want ≤ 2", d, dist)
		}
	}
}

func TestDihedralString(t *testing.T) {
	if got := FlipMinus1.String(); got != "flipminus1" {
		t.Errorf("FlipMinus1.String() = %q", got)
	}
	if got := Dihedral(8).String(); got != "Dihedral(8)" {
		t.Errorf("Dihedral(8).String() = %q", got)
	}
}
