package imagedecode

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"strings"
	"testing"

	"github.com/haechi-tns/haechi/internal/racetest"
)

// labels maps the letters used in the expected grids to the pixels of a 3×2
// source "abc/def".
var labels = map[byte][2]int{
	'a': {0, 0}, 'b': {1, 0}, 'c': {2, 0},
	'd': {0, 1}, 'e': {1, 1}, 'f': {2, 1},
}

// wantGrids is the displayed image for each EXIF orientation of "abc/def",
// written out by hand from the EXIF definitions (row 0 / column 0 sides).
var wantGrids = map[int]string{
	1: "abc/def",
	2: "cba/fed",  // flip horizontal
	3: "fed/cba",  // rotate 180
	4: "def/abc",  // flip vertical
	5: "ad/be/cf", // transpose
	6: "da/eb/fc", // rotate 90 clockwise
	7: "fc/eb/da", // transverse
	8: "cf/be/ad", // rotate 90 counter-clockwise
}

var distinct = []color.NRGBA{
	{0xff, 0x00, 0x00, 0xff}, {0x00, 0xff, 0x00, 0xff}, {0x00, 0x00, 0xff, 0xff},
	{0xff, 0xff, 0x00, 0xff}, {0x00, 0xff, 0xff, 0x80}, {0x10, 0x20, 0x30, 0x40},
}

// sources builds the 3×2 "abc/def" image in each representation orient
// handles, including a sub-image with a non-zero origin.
func sources() map[string]image.Image {
	r := image.Rect(0, 0, 3, 2)
	nrgba := image.NewNRGBA(r)
	rgba := image.NewRGBA(r)
	gray := image.NewGray(r)
	cmyk := image.NewCMYK(r)
	pal := image.NewPaletted(r, nil)
	y444 := image.NewYCbCr(r, image.YCbCrSubsampleRatio444)
	for i, c := range distinct {
		x, y := i%3, i/3
		nrgba.SetNRGBA(x, y, c)
		rgba.Set(x, y, c)
		gray.SetGray(x, y, color.Gray{Y: uint8(40 * (i + 1))})
		cmyk.SetCMYK(x, y, color.CMYK{C: uint8(i * 40), M: uint8(200 - i*30), Y: uint8(i), K: uint8(i * 7)})
		pal.Palette = append(pal.Palette, c)
		pal.SetColorIndex(x, y, uint8(i))
		yy, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
		y444.Y[y444.YOffset(x, y)] = yy
		y444.Cb[y444.COffset(x, y)] = cb
		y444.Cr[y444.COffset(x, y)] = cr
	}
	// 4:2:0 with odd width: chroma shared across pixel pairs and rows.
	y420 := image.NewYCbCr(r, image.YCbCrSubsampleRatio420)
	for i := range y420.Y {
		y420.Y[i] = uint8(30 + 40*i)
	}
	for i := range y420.Cb {
		y420.Cb[i], y420.Cr[i] = uint8(60+50*i), uint8(200-70*i)
	}
	// Sub-images whose bounds do not start at (0,0).
	bigN := image.NewNRGBA(image.Rect(-1, 5, 6, 9))
	bigY := image.NewYCbCr(image.Rect(2, 2, 10, 7), image.YCbCrSubsampleRatio420)
	for i := range bigY.Y {
		bigY.Y[i] = uint8(i * 7)
	}
	for i := range bigY.Cb {
		bigY.Cb[i], bigY.Cr[i] = uint8(i*31), uint8(255-i*17)
	}
	for i, c := range distinct {
		bigN.SetNRGBA(i%3, 6+i/3, c)
	}
	return map[string]image.Image{
		"nrgba":        nrgba,
		"rgba":         rgba,
		"gray":         gray,
		"cmyk":         cmyk,
		"paletted":     pal,
		"ycbcr444":     y444,
		"ycbcr420":     y420,
		"nrgba_subimg": bigN.SubImage(image.Rect(0, 6, 3, 8)),
		"ycbcr_subimg": bigY.SubImage(image.Rect(3, 3, 6, 5)),
	}
}

func TestOrientAllEight(t *testing.T) {
	for name, src := range sources() {
		b := src.Bounds()
		for o := 1; o <= 8; o++ {
			t.Run(fmt.Sprintf("%s/%d", name, o), func(t *testing.T) {
				got := orient(src, o)
				rows := strings.Split(wantGrids[o], "/")
				gb := got.Bounds()
				if gb.Min != (image.Point{}) && o != 1 {
					t.Fatalf("bounds %v do not start at origin", gb)
				}
				if gb.Dx() != len(rows[0]) || gb.Dy() != len(rows) {
					t.Fatalf("size %dx%d, want %dx%d", gb.Dx(), gb.Dy(), len(rows[0]), len(rows))
				}
				for y, row := range rows {
					for x := range len(row) {
						at := labels[row[x]]
						want := nrgba8(src.At(b.Min.X+at[0], b.Min.Y+at[1]))
						have := nrgba8(got.At(gb.Min.X+x, gb.Min.Y+y))
						if want != have {
							t.Errorf("(%d,%d) = %v, want %c = %v", x, y, have, row[x], want)
						}
					}
				}
			})
		}
	}
}

// nrgba8 converts to 8-bit colour; YCbCr goes through color.YCbCrToRGB, the
// conversion image/draw and orient use (YCbCr.RGBA rounds differently).
func nrgba8(c color.Color) color.NRGBA {
	if y, ok := c.(color.YCbCr); ok {
		r, g, b := color.YCbCrToRGB(y.Y, y.Cb, y.Cr)
		return color.NRGBA{r, g, b, 0xff}
	}
	return color.NRGBAModel.Convert(c).(color.NRGBA)
}

func TestOrientKeepsByteTypes(t *testing.T) {
	want := map[string]string{
		"nrgba": "*image.NRGBA", "rgba": "*image.RGBA", "gray": "*image.Gray", "cmyk": "*image.CMYK",
		"ycbcr444": "*image.RGBA", "ycbcr420": "*image.RGBA", "paletted": "*image.NRGBA",
	}
	srcs := sources()
	for name, typ := range want {
		t.Run(name, func(t *testing.T) {
			if got := fmt.Sprintf("%T", orient(srcs[name], 6)); got != typ {
				t.Errorf("orient(%s) is %s, want %s", name, got, typ)
			}
		})
	}
}

// TestOrientMatchesReferencePhotos checks the transforms on a real photo
// against the PDQ reference set, whose variants were rotated and flipped by
// another implementation and re-encoded (hence a tolerance). Each variant must
// match exactly one orientation closely and all others badly.
func TestOrientMatchesReferencePhotos(t *testing.T) {
	racetest.Heavy(t)
	decode := func(name string) image.Image {
		m, err := jpeg.Decode(bytes.NewReader(readShared(t, name)))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	base := decode("bridge-1-original.jpg")
	tests := []struct {
		file string
		o    int
	}{
		{"bridge-2-rotate-90.jpg", 8}, // counter-clockwise, the mathematical sense
		{"bridge-3-rotate-180.jpg", 3},
		{"bridge-4-rotate-270.jpg", 6},
		{"bridge-5-flipx.jpg", 4},        // mirrored about the x axis
		{"bridge-6-flipy.jpg", 2},        // mirrored about the y axis
		{"bridge-7-flip-plus-1.jpg", 5},  // about y = x: transpose
		{"bridge-8-flip-minus-1.jpg", 7}, // about y = -x: transverse
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ref := decode(tt.file)
			for o := 1; o <= 8; o++ {
				d := meanDiff(orient(base, o), ref)
				if o == tt.o && d > 5 {
					t.Errorf("orientation %d: mean difference %.2f, want < 5", o, d)
				}
				if o != tt.o && d < 30 {
					t.Errorf("orientation %d also matches (mean difference %.2f)", o, d)
				}
			}
		})
	}
}

func BenchmarkOrient(b *testing.B) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, pattern(1024, 768), &jpeg.Options{Quality: 85}); err != nil {
		b.Fatal(err)
	}
	src, err := jpeg.Decode(&buf)
	if err != nil {
		b.Fatal(err)
	}
	for _, o := range []int{3, 6} {
		b.Run(fmt.Sprintf("ycbcr/%d", o), func(b *testing.B) {
			for b.Loop() {
				orient(src, o)
			}
		})
	}
}
