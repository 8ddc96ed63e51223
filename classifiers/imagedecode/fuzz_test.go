package imagedecode

import (
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"testing"
)

// fuzzLimits are small so that inputs declaring large images are refused
// quickly instead of spending the fuzzing budget decoding them.
var fuzzLimits = Limits{MaxBytes: 1 << 20, MaxPixels: 1 << 18}

func FuzzDecode(f *testing.F) {
	jpg := encodeJPEG(f, pattern(16, 12), 75)
	pngData := encodePNG(f, pattern(16, 12))
	gifData := encodeGIF(f, &gif.GIF{
		Image: []*image.Paletted{solidPaletted(0, 0, 6, 4, color.White), solidPaletted(1, 1, 3, 2, color.Black)},
		Delay: []int{0, 0},
	})
	lossy := readTestdata(f, "blue-purple-pink.lossy.webp")
	lossless := readTestdata(f, "gopher-doc.1bpp.lossless.webp")
	hostileTIFF := tiffOrientation(binary.BigEndian, 6)
	binary.BigEndian.PutUint32(hostileTIFF[4:], 0xfffffff0)
	seeds := [][]byte{
		jpg, pngData, gifData, lossy, lossless,
		vp8x(f, lossy, 0), vp8x(f, lossy, 0x02),
		jpg[:len(jpg)/2], pngData[:len(pngData)-20], gifData[:len(gifData)/2], lossy[:100],
		withSegments(jpg, exifAPP1(tiffOrientation(binary.LittleEndian, 6))),
		withSegments(jpg, exifAPP1(tiffOrientation(binary.BigEndian, 7))),
		withSegments(jpg, exifAPP1(hostileTIFF)),
		withSegments(jpg, exifAPP1(tiffOrientation(binary.LittleEndian, 6)[:20])),
		pngHeader(100000, 100000), jpegSOF(60000, 60000), vp8xHeader(10000, 10000),
		[]byte("GIF89a\xff\xff\xff\xff\x00\x00\x00"),
		{}, []byte("not an image"),
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data, fuzzLimits)
		if err != nil {
			if errors.Is(err, errDecoderPanic) {
				t.Fatalf("decoder panicked: %v", err)
			}
			for _, known := range []error{ErrEmpty, ErrTooLarge, ErrTooManyPixels, ErrTooComplex, ErrUnsupportedFormat, ErrCorrupt} {
				if errors.Is(err, known) {
					return
				}
			}
			t.Fatalf("error outside the documented set: %v", err)
		}
		if m == nil || m.Image == nil {
			t.Fatal("nil result without error")
		}
		if b := m.Image.Bounds(); b != image.Rect(0, 0, m.Width, m.Height) || b.Empty() {
			t.Fatalf("bounds %v for %dx%d", b, m.Width, m.Height)
		}
		if int64(m.Width)*int64(m.Height) > fuzzLimits.MaxPixels {
			t.Fatalf("%dx%d exceeds the pixel budget", m.Width, m.Height)
		}
		if m.Orientation < 1 || m.Orientation > 8 || (m.Format != JPEG && m.Orientation != 1) {
			t.Fatalf("orientation %d for %s", m.Orientation, m.Format)
		}
		switch m.Format {
		case JPEG, PNG, GIF, WebP:
		default:
			t.Fatalf("format %q", m.Format)
		}
	})
}
