package imagedecode

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// pdqDir holds Meta's PDQ reference photos, committed once in package pdq's
// testdata and shared by the image packages' tests; a missing file fails
// the test.
const pdqDir = "../pdq/testdata/pdq"

func readShared(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(pdqDir, name))
	if err != nil {
		t.Fatalf("PDQ reference photo: %v", err)
	}
	return b
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pattern is a w×h image of smooth gradients plus a few hard edges: varied
// enough to exercise the codecs, compressible enough to keep seeds small.
func pattern(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.SetNRGBA(x, y, color.NRGBA{
				R: uint8(x * 255 / max(w-1, 1)),
				G: uint8(y * 255 / max(h-1, 1)),
				B: uint8((x ^ y) & 0xc0),
				A: 0xff,
			})
		}
	}
	return m
}

func encodePNG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodeJPEG(t testing.TB, m image.Image, quality int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodeGIF(t testing.TB, g *gif.GIF) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, g); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// solidPaletted is a w×h frame at (x0,y0) filled with palette index 1.
func solidPaletted(x0, y0, w, h int, c color.Color) *image.Paletted {
	m := image.NewPaletted(image.Rect(x0, y0, x0+w, y0+h), color.Palette{color.Black, c})
	for i := range m.Pix {
		m.Pix[i] = 1
	}
	return m
}

// byteOrder is what binary.LittleEndian and binary.BigEndian both are.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// tiffOrientation builds an EXIF TIFF structure whose IFD0 holds a dummy tag
// and then the orientation tag (type SHORT, count 1) with value v.
func tiffOrientation(bo byteOrder, v uint16) []byte {
	var b []byte
	if bo == binary.LittleEndian {
		b = []byte("II")
	} else {
		b = []byte("MM")
	}
	b = bo.AppendUint16(b, 42)
	b = bo.AppendUint32(b, 8) // IFD0 right after the header
	b = bo.AppendUint16(b, 2)
	// 0x010f Make, ASCII, count 4, inline "Go\0\0".
	b = bo.AppendUint16(b, 0x010f)
	b = bo.AppendUint16(b, 2)
	b = bo.AppendUint32(b, 4)
	b = append(b, 'G', 'o', 0, 0)
	b = bo.AppendUint16(b, 0x0112)
	b = bo.AppendUint16(b, 3)
	b = bo.AppendUint32(b, 1)
	b = bo.AppendUint16(b, v)
	b = bo.AppendUint16(b, 0)
	b = bo.AppendUint32(b, 0) // no next IFD
	return b
}

// segment frames payload as a JPEG marker segment.
func segment(marker byte, payload []byte) []byte {
	s := []byte{0xff, marker}
	s = binary.BigEndian.AppendUint16(s, uint16(len(payload)+2))
	return append(s, payload...)
}

// withSegments inserts segments right after the SOI of a JPEG stream.
func withSegments(jpg []byte, segs ...[]byte) []byte {
	out := append([]byte(nil), jpg[:2]...)
	for _, s := range segs {
		out = append(out, s...)
	}
	return append(out, jpg[2:]...)
}

func exifAPP1(tiff []byte) []byte {
	return segment(0xe1, append([]byte("Exif\x00\x00"), tiff...))
}

// pngHeader is a PNG signature and IHDR chunk declaring w×h 8-bit RGBA, with
// no image data: enough for DecodeConfig, a bomb if decoded.
func pngHeader(w, h uint32) []byte {
	b := []byte("\x89PNG\r\n\x1a\n")
	ihdr := []byte("IHDR")
	ihdr = binary.BigEndian.AppendUint32(ihdr, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	b = binary.BigEndian.AppendUint32(b, 13)
	b = append(b, ihdr...)
	return binary.BigEndian.AppendUint32(b, crc32IEEE(ihdr))
}

func crc32IEEE(b []byte) uint32 { return crc32.ChecksumIEEE(b) }
