package imagedecode

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"io"
	"runtime"
	"strings"
	"testing"
)

func TestDecodeFormats(t *testing.T) {
	smallGIF := encodeGIF(t, &gif.GIF{
		Image: []*image.Paletted{solidPaletted(0, 0, 5, 4, color.White)},
		Delay: []int{0},
	})
	tests := []struct {
		name   string
		data   []byte
		format Format
		w, h   int
	}{
		{"png", encodePNG(t, pattern(40, 30)), PNG, 40, 30},
		{"png_gray", encodePNG(t, image.NewGray(image.Rect(0, 0, 7, 3))), PNG, 7, 3},
		{"jpeg", encodeJPEG(t, pattern(40, 30), 85), JPEG, 40, 30},
		{"jpeg_gray", encodeJPEG(t, image.NewGray(image.Rect(0, 0, 9, 5)), 85), JPEG, 9, 5},
		{"gif", smallGIF, GIF, 5, 4},
		{"webp_lossy", readTestdata(t, "blue-purple-pink.lossy.webp"), WebP, 150, 100},
		{"webp_lossless", readTestdata(t, "gopher-doc.1bpp.lossless.webp"), WebP, 75, 100},
		{"webp_vp8x", vp8x(t, readTestdata(t, "blue-purple-pink.lossy.webp"), 0), WebP, 150, 100},
		{"shared_bridge_progressive", readShared(t, "bridge-2-rotate-90.jpg"), JPEG, 1004, 1600},
		{"shared_bridge_exif_orientation_0", readShared(t, "bridge-1-original.jpg"), JPEG, 1600, 1004},
		{"shared_wee_exif_big_endian", readShared(t, "wee.jpg"), JPEG, 34, 42},
		{"shared_small", readShared(t, "small.jpg"), JPEG, 224, 399},
		{"shared_png_rgba", readShared(t, "c.png"), PNG, 1432, 812},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(tt.data, DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			if got.Format != tt.format || got.Width != tt.w || got.Height != tt.h || got.Orientation != 1 {
				t.Errorf("got %s %dx%d orientation %d, want %s %dx%d orientation 1",
					got.Format, got.Width, got.Height, got.Orientation, tt.format, tt.w, tt.h)
			}
			if b := got.Image.Bounds(); b != image.Rect(0, 0, tt.w, tt.h) {
				t.Errorf("bounds %v", b)
			}
		})
	}
}

// vp8x rewraps a simple-format (VP8) WebP in the extended format with the
// given VP8X flags, to test canvas handling and the animation refusal.
func vp8x(t testing.TB, simple []byte, flags byte) []byte {
	t.Helper()
	cfg, err := Decode(simple, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	chunk := []byte("VP8X\x0a\x00\x00\x00")
	chunk = append(chunk, flags, 0, 0, 0)
	w, h := uint32(cfg.Width-1), uint32(cfg.Height-1)
	chunk = append(chunk, byte(w), byte(w>>8), byte(w>>16), byte(h), byte(h>>8), byte(h>>16))
	body := append([]byte("WEBP"), chunk...)
	body = append(body, simple[12:]...)
	out := []byte("RIFF")
	out = binary.LittleEndian.AppendUint32(out, uint32(len(body)))
	return append(out, body...)
}

// vp8xHeader is a WebP whose VP8X chunk declares a w×h canvas and nothing
// else.
func vp8xHeader(w, h uint32) []byte {
	w--
	h--
	b := []byte("RIFF\x16\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00")
	return append(b, byte(w), byte(w>>8), byte(w>>16), byte(h), byte(h>>8), byte(h>>16))
}

// jpegSOF is SOI, a baseline SOF0 declaring w×h with three components and
// an SOS header (where jpeg.DecodeConfig stops reading), without scan data.
func jpegSOF(w, h uint16) []byte {
	sof := []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1}
	b := append([]byte{0xff, 0xd8}, segment(0xc0, sof)...)
	return append(b, segment(0xda, []byte{3, 1, 0, 2, 0x11, 3, 0x11, 0, 0x3f, 0})...)
}

func TestDecodeErrors(t *testing.T) {
	jpg := encodeJPEG(t, pattern(64, 48), 85)
	pngData := encodePNG(t, pattern(64, 48))
	gifData := encodeGIF(t, &gif.GIF{Image: []*image.Paletted{solidPaletted(0, 0, 16, 16, color.White)}, Delay: []int{0}})
	webpData := readTestdata(t, "blue-purple-pink.lossy.webp")
	// A JPEG whose scan count alone makes it a CPU bomb.
	manyScans := append([]byte(nil), jpg[:len(jpg)-2]...)
	for range maxJPEGScans {
		manyScans = append(manyScans, segment(0xda, []byte{1, 1, 0, 0, 0x3f, 0})...)
	}
	manyScans = append(manyScans, 0xff, 0xd9)

	tests := []struct {
		name    string
		data    []byte
		lim     Limits
		want    error
		wantMsg string
	}{
		{"empty", nil, DefaultLimits, ErrEmpty, "empty"},
		{"too_large", jpg, Limits{MaxBytes: 100}, ErrTooLarge, "limit 100"},
		{"text", []byte("hello, this is not an image"), DefaultLimits, ErrUnsupportedFormat, "68 65 6c 6c"},
		{"html", []byte("<html><body>"), DefaultLimits, ErrUnsupportedFormat, "unrecognised"},
		{"bmp", []byte("BM\x3e\x00\x00\x00\x00\x00\x00\x00"), DefaultLimits, ErrUnsupportedFormat, "bmp"},
		{"tiff", []byte("II*\x00\x08\x00\x00\x00"), DefaultLimits, ErrUnsupportedFormat, "tiff"},
		{"heic", []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00"), DefaultLimits, ErrUnsupportedFormat, "heif"},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), DefaultLimits, ErrUnsupportedFormat, "svg"},
		{"webp_animated", vp8x(t, webpData, 0x02), DefaultLimits, ErrUnsupportedFormat, "animated webp"},
		{"bomb_png", pngHeader(100000, 100000), DefaultLimits, ErrTooManyPixels, "100000x100000"},
		{"bomb_gif_screen", []byte("GIF89a\xff\xff\xff\xff\x00\x00\x00"), DefaultLimits, ErrTooManyPixels, "65535x65535"},
		{"bomb_jpeg", jpegSOF(60000, 60000), DefaultLimits, ErrTooManyPixels, "60000x60000"},
		{"bomb_webp_canvas", vp8xHeader(10000, 10000), DefaultLimits, ErrTooManyPixels, "10000x10000"},
		{"over_custom_budget", pngData, Limits{MaxPixels: 64*48 - 1}, ErrTooManyPixels, "3072 pixels"},
		{"jpeg_too_many_scans", manyScans, DefaultLimits, ErrTooComplex, "256 scans"},
		{"png_zero_width", pngHeader(0, 10), DefaultLimits, ErrCorrupt, "png"},
		{"truncated_jpeg", jpg[:len(jpg)/2], DefaultLimits, ErrCorrupt, "truncated jpeg"},
		{"truncated_jpeg_header", jpg[:20], DefaultLimits, ErrCorrupt, "truncated jpeg"},
		{"truncated_png", pngData[:len(pngData)/2], DefaultLimits, ErrCorrupt, "png: invalid format: not enough pixel data"},
		{"truncated_gif", gifData[:len(gifData)-8], DefaultLimits, ErrCorrupt, "gif"},
		{"truncated_webp", webpData[:len(webpData)/2], DefaultLimits, ErrCorrupt, "webp"},
		{"jpeg_magic_only", []byte{0xff, 0xd8, 0xff}, DefaultLimits, ErrCorrupt, "jpeg"},
		{"png_bad_crc", flip(pngData, 30), DefaultLimits, ErrCorrupt, "png"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(tt.data, tt.lim)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if got != nil {
				t.Errorf("result %+v with error", got)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err %q does not mention %q", err, tt.wantMsg)
			}
		})
	}
}

func flip(b []byte, i int) []byte {
	b = append([]byte(nil), b...)
	b[i] ^= 0xff
	return b
}

func TestTruncatedWrapsUnexpectedEOF(t *testing.T) {
	jpg := encodeJPEG(t, pattern(64, 48), 85)
	_, err := Decode(jpg[:len(jpg)/2], DefaultLimits)
	if !errors.Is(err, ErrCorrupt) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want ErrCorrupt wrapping io.ErrUnexpectedEOF", err)
	}
}

func TestPixelBudgetBoundary(t *testing.T) {
	data := encodePNG(t, pattern(64, 48))
	if _, err := Decode(data, Limits{MaxPixels: 64 * 48}); err != nil {
		t.Errorf("exactly at the budget: %v", err)
	}
	if _, err := Decode(data, Limits{MaxPixels: 64*48 - 1}); !errors.Is(err, ErrTooManyPixels) {
		t.Errorf("one pixel over: %v", err)
	}
	if _, err := Decode(data, Limits{MaxBytes: int64(len(data))}); err != nil {
		t.Errorf("exactly at the byte limit: %v", err)
	}
}

// TestBombRefusedWithoutAllocating checks that headers declaring huge images
// are refused from the header alone: well under 1 MB allocated per refusal
// (decoding would need gigabytes).
func TestBombRefusedWithoutAllocating(t *testing.T) {
	bombs := map[string][]byte{
		"png":  pngHeader(100000, 100000),
		"jpeg": jpegSOF(60000, 60000),
		"gif":  []byte("GIF89a\xff\xff\xff\xff\x00\x00\x00"),
		"webp": vp8xHeader(10000, 10000),
	}
	for name, data := range bombs {
		t.Run(name, func(t *testing.T) {
			const runs = 20
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for range runs {
				if _, err := Decode(data, DefaultLimits); !errors.Is(err, ErrTooManyPixels) {
					t.Fatalf("err = %v", err)
				}
			}
			runtime.ReadMemStats(&after)
			perRun := (after.TotalAlloc - before.TotalAlloc) / runs
			if perRun >= 1<<20 {
				t.Errorf("refusal allocated %d bytes per run, want < 1 MiB", perRun)
			}
			t.Logf("%d bytes per refusal", perRun)
		})
	}
}

// TestGIFFirstFrameOnly: the second frame is corrupt (its bounds exceed the
// logical screen), so only a decoder that stops after frame one succeeds.
func TestGIFFirstFrameOnly(t *testing.T) {
	data := encodeGIF(t, &gif.GIF{
		Image: []*image.Paletted{solidPaletted(0, 0, 8, 8, color.White), solidPaletted(0, 0, 8, 8, color.Black)},
		Delay: []int{0, 0},
	})
	// Image descriptors start with 0x2c; enlarge the second frame's width.
	second := bytes.LastIndexByte(data, 0x2c)
	data[second+5] = 0xff
	if _, err := gif.DecodeAll(bytes.NewReader(data)); err == nil {
		t.Fatal("test GIF's second frame is not corrupt")
	}
	got, err := Decode(data, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if r, g, b, _ := got.Image.At(3, 3).RGBA(); r != 0xffff || g != 0xffff || b != 0xffff {
		t.Errorf("pixel is %v, want the first frame's white", got.Image.At(3, 3))
	}
}

// TestGIFPartialFirstFrame: a first frame smaller than the logical screen is
// placed on a transparent canvas of the screen size.
func TestGIFPartialFirstFrame(t *testing.T) {
	data := encodeGIF(t, &gif.GIF{
		Image:  []*image.Paletted{solidPaletted(2, 1, 3, 2, color.White)},
		Delay:  []int{0},
		Config: image.Config{Width: 10, Height: 6, ColorModel: color.Palette{color.Black, color.White}},
	})
	got, err := Decode(data, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if got.Width != 10 || got.Height != 6 || got.Image.Bounds() != image.Rect(0, 0, 10, 6) {
		t.Fatalf("size %dx%d bounds %v, want the 10x6 screen", got.Width, got.Height, got.Image.Bounds())
	}
	if c := nrgba8(got.Image.At(3, 2)); c != (color.NRGBA{0xff, 0xff, 0xff, 0xff}) {
		t.Errorf("inside frame: %v", c)
	}
	if c := nrgba8(got.Image.At(0, 0)); c.A != 0 {
		t.Errorf("outside frame: %v, want transparent", c)
	}
}

func TestZeroLimitsMeanDefaults(t *testing.T) {
	if _, err := Decode(pngHeader(100000, 100000), Limits{}); !errors.Is(err, ErrTooManyPixels) {
		t.Errorf("zero Limits: %v", err)
	}
	if _, err := Decode(encodePNG(t, pattern(4, 4)), Limits{MaxBytes: -1, MaxPixels: -1}); err != nil {
		t.Errorf("negative Limits: %v", err)
	}
}

func TestDecodeConcurrent(t *testing.T) {
	data := encodeJPEG(t, pattern(64, 48), 85)
	data = withSegments(data, exifAPP1(tiffOrientation(binary.BigEndian, 6)))
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			m, err := Decode(data, DefaultLimits)
			if err == nil && (m.Width != 48 || m.Height != 64) {
				err = errors.New("wrong size")
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func BenchmarkDecodeJPEG(b *testing.B) {
	// Random-ish content (a hash of the coordinates) so the entropy coder has
	// real work, unlike a smooth gradient.
	m := image.NewRGBA(image.Rect(0, 0, 1024, 768))
	var s uint32 = 2463534242
	for i := range m.Pix {
		if i%4 == 3 {
			m.Pix[i] = 0xff
			continue
		}
		s ^= s << 13
		s ^= s >> 17
		s ^= s << 5
		// Mix noise with a gradient so it looks more like a photo than static.
		m.Pix[i] = uint8(int(s&0x3f) + (i/4%1024)/8 + (i/4/1024)/8)
	}
	data := encodeJPEG(b, m, 85)
	b.Run("upright", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Decode(data, DefaultLimits); err != nil {
				b.Fatal(err)
			}
		}
	})
	rotated := withSegments(data, exifAPP1(tiffOrientation(binary.LittleEndian, 6)))
	b.Run("exif_rotate_90", func(b *testing.B) {
		b.SetBytes(int64(len(rotated)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Decode(rotated, DefaultLimits); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestTurboPlanesMatchGoDecoder: libjpeg-turbo decodes straight into the
// image's planes, whose luma rows may be wider than the image (odd
// widths) and whose chroma planes must be laid out as image.YCbCr
// expects. Odd and even sizes, 4:2:0 (Go's encoder, the shared bridge)
// and 4:4:4 (the bridge's progressive rotation), must give image/jpeg's
// pixels up to IDCT rounding, in chroma planes of image.NewYCbCr's size.
func TestTurboPlanesMatchGoDecoder(t *testing.T) {
	files := map[string][]byte{
		"bridge_420":             readShared(t, "bridge-1-original.jpg"),
		"bridge_444_progressive": readShared(t, "bridge-2-rotate-90.jpg"),
	}
	for _, s := range [][2]int{{1, 1}, {2, 3}, {3, 5}, {16, 16}, {17, 9}, {33, 31}, {64, 7}, {101, 67}} {
		files[fmt.Sprintf("420_%dx%d", s[0], s[1])] = encodeJPEG(t, pattern(s[0], s[1]), 90)
	}
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			got, err := decodeJPEGTurbo(data)
			if err != nil {
				t.Fatal(err)
			}
			want, err := jpeg.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if d := meanDiffAll(got, want); d > 1.5 {
				t.Errorf("mean difference %.2f levels from image/jpeg", d)
			}
			g, w := got.(*image.YCbCr), want.(*image.YCbCr)
			if n := image.NewYCbCr(w.Rect, w.SubsampleRatio); g.SubsampleRatio != w.SubsampleRatio || len(g.Cb) != len(n.Cb) || g.CStride != n.CStride {
				t.Errorf("chroma %v %d×%d, want %v %d×%d", g.SubsampleRatio, g.CStride, len(g.Cb)/g.CStride, n.SubsampleRatio, n.CStride, len(n.Cb)/n.CStride)
			}
		})
	}
}
