package pdq

import (
	"bufio"
	"encoding/csv"
	"image"
	_ "image/jpeg" // the conformance images
	_ "image/png"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// refDir holds Meta's PDQ reference images and hashes (see its README and
// LICENSE). The other image packages' tests read them from here too.
const refDir = "testdata/pdq"

func loadImage(t testing.TB, name string) image.Image {
	t.Helper()
	f, err := os.Open(filepath.Join(refDir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(bufio.NewReader(f))
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return img
}

type vector struct {
	file    string
	hash    Hash
	source  string
	quality int
}

// loadVectors reads testdata/conformance.csv.
func loadVectors(t testing.TB) []vector {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "conformance.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []vector
	for _, row := range rows[1:] {
		h, err := ParseHash(row[1])
		if err != nil {
			t.Fatal(err)
		}
		q, err := strconv.Atoi(row[3])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, vector{file: row[0], hash: h, source: row[2], quality: q})
	}
	return out
}

// transformed returns img rotated or mirrored as d says, as a new NRGBA
// image. Rotations are anticlockwise.
func transformed(img image.Image, d Dihedral) *image.NRGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	ow, oh := w, h
	switch d {
	case Rotate90, Rotate270, FlipPlus1, FlipMinus1:
		ow, oh = h, w
	}
	out := image.NewNRGBA(image.Rect(0, 0, ow, oh))
	for y := 0; y < oh; y++ {
		for x := 0; x < ow; x++ {
			var sx, sy int
			switch d {
			case Original:
				sx, sy = x, y
			case Rotate90:
				sx, sy = w-1-y, x
			case Rotate180:
				sx, sy = w-1-x, h-1-y
			case Rotate270:
				sx, sy = y, h-1-x
			case FlipX:
				sx, sy = x, h-1-y
			case FlipY:
				sx, sy = w-1-x, y
			case FlipPlus1:
				sx, sy = y, x
			case FlipMinus1:
				sx, sy = w-1-y, h-1-x
			}
			out.Set(x, y, img.At(b.Min.X+sx, b.Min.Y+sy))
		}
	}
	return out
}

// squash resizes img to n×n by nearest neighbour, as the reference's
// command-line tools and WASM port do with CImg before hashing.
func squash(img image.Image, n int) *image.NRGBA {
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, n, n))
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			out.Set(x, y, img.At(b.Min.X+x*b.Dx()/n, b.Min.Y+y*b.Dy()/n))
		}
	}
	return out
}

func bridgeFile(d Dihedral) string {
	return [...]string{
		"bridge-1-original.jpg", "bridge-2-rotate-90.jpg", "bridge-3-rotate-180.jpg", "bridge-4-rotate-270.jpg",
		"bridge-5-flipx.jpg", "bridge-6-flipy.jpg", "bridge-7-flip-plus-1.jpg", "bridge-8-flip-minus-1.jpg",
	}[d]
}
