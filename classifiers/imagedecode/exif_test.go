package imagedecode

import (
	"encoding/binary"
	"fmt"
	"image"
	"testing"
)

func TestExifOrientation(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	patch := func(b []byte, off int, v ...byte) []byte {
		b = append([]byte(nil), b...)
		copy(b[off:], v)
		return b
	}
	valid := tiffOrientation(le, 6)
	tests := []struct {
		name string
		tiff []byte
		want int
	}{
		{"le_6", valid, 6},
		{"be_8", tiffOrientation(be, 8), 8},
		{"le_1", tiffOrientation(le, 1), 1},
		{"zero_is_1", tiffOrientation(le, 0), 1},
		{"nine_is_1", tiffOrientation(be, 9), 1},
		{"huge_is_1", tiffOrientation(be, 0xffff), 1},
		{"empty", nil, 1},
		{"header_only", valid[:8], 1},
		{"bad_byte_order", patch(valid, 0, 'I', 'M'), 1},
		{"bad_magic", patch(valid, 2, 43, 0), 1},
		{"ifd_offset_past_end", patch(valid, 4, 0xf0, 0xff, 0xff, 0xff), 1},
		{"ifd_offset_wraps_uint32", patch(valid, 4, 0xff, 0xff, 0xff, 0xff), 1},
		{"ifd_count_overstated", patch(valid, 8, 0xff, 0xff), 6},
		{"ifd_count_overstated_no_tag", patch(valid, 8+2+12, 0x13, 0x01, 0, 0, 0xff, 0xff), 1},
		{"entry_truncated", valid[:len(valid)-10], 1},
		{"type_long", patch(valid, 24, 4, 0, 1, 0, 0, 0, 3, 0, 0, 0), 3},
		{"type_ascii", patch(valid, 24, 2), 1},
		{"count_2", patch(valid, 26, 2), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := exifOrientation(tt.tiff); got != tt.want {
				t.Errorf("exifOrientation = %d, want %d", got, tt.want)
			}
		})
	}
	// Every truncation of a valid structure is in range and means upright
	// unless the orientation entry survived whole.
	for n := range len(valid) {
		if got := exifOrientation(valid[:n]); got != 1 && n < 30 {
			t.Errorf("truncated to %d bytes: %d", n, got)
		}
	}
}

// TestDecodeAppliesExif inserts hand-built APP1 segments into a real JPEG
// stream. Decoding is deterministic, so the result must equal orient applied
// to the same stream decoded without EXIF, pixel for pixel.
func TestDecodeAppliesExif(t *testing.T) {
	plain := encodeJPEG(t, pattern(24, 16), 90)
	base, err := Decode(plain, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if base.Orientation != 1 {
		t.Fatalf("plain JPEG orientation %d", base.Orientation)
	}
	xmp := segment(0xe1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta/>"))
	app0 := segment(0xe0, []byte("JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"))
	for _, bo := range []byteOrder{binary.LittleEndian, binary.BigEndian} {
		for o := 1; o <= 8; o++ {
			t.Run(fmt.Sprintf("%v/%d", bo, o), func(t *testing.T) {
				// The Exif APP1 follows an XMP APP1, which must be skipped.
				data := withSegments(plain, app0, xmp, exifAPP1(tiffOrientation(bo, uint16(o))))
				got, err := Decode(data, DefaultLimits)
				if err != nil {
					t.Fatal(err)
				}
				if got.Orientation != o {
					t.Errorf("Orientation = %d, want %d", got.Orientation, o)
				}
				wantW, wantH := 24, 16
				if o >= 5 {
					wantW, wantH = 16, 24
				}
				if got.Width != wantW || got.Height != wantH || got.Image.Bounds() != image.Rect(0, 0, wantW, wantH) {
					t.Errorf("size %dx%d bounds %v, want %dx%d", got.Width, got.Height, got.Image.Bounds(), wantW, wantH)
				}
				if d := meanDiffAll(got.Image, orient(base.Image, o)); d != 0 {
					t.Errorf("pixels differ from orient(plain, %d): mean %.3f", o, d)
				}
			})
		}
	}
}

func TestJPEGMetaHostile(t *testing.T) {
	plain := encodeJPEG(t, pattern(8, 8), 90)
	exif6 := exifAPP1(tiffOrientation(binary.BigEndian, 6))
	tests := []struct {
		name   string
		data   []byte
		orient int
	}{
		{"two_exif_first_wins", withSegments(plain, exif6, exifAPP1(tiffOrientation(binary.BigEndian, 3))), 6},
		{"fill_bytes_before_marker", withSegments(plain, []byte{0xff, 0xff}, exif6), 6},
		{"exif_after_sos_ignored", append(plain[:len(plain)-2:len(plain)-2], exif6...), 1},
		{"segment_length_past_end", append([]byte{0xff, 0xd8, 0xff, 0xe1, 0xff, 0xff}, "Exif\x00\x00MM"...), 1},
		{"segment_length_too_small", []byte{0xff, 0xd8, 0xff, 0xe1, 0x00, 0x01, 0xff}, 1},
		{"soi_only", []byte{0xff, 0xd8}, 1},
		{"exif_without_tiff", withSegments(plain, segment(0xe1, []byte("Exif\x00\x00"))), 1},
		{"not_exif_app1", withSegments(plain, segment(0xe1, []byte("Exif\x00\x01II*\x00"))), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, _ := jpegMeta(tt.data)
			if o != tt.orient {
				t.Errorf("orientation %d, want %d", o, tt.orient)
			}
			// Every prefix must be walked without panicking.
			for n := range len(tt.data) {
				jpegMeta(tt.data[:n])
			}
		})
	}
}

// TestSharedPhotosOrientation reads EXIF from real camera/editor output: the
// bridge original carries orientation 0 (invalid, so upright), the variants
// carry 1 in little-endian TIFF, wee.jpg carries 1 in big-endian TIFF and
// small.jpg has no EXIF.
func TestSharedPhotosOrientation(t *testing.T) {
	for _, name := range []string{"bridge-1-original.jpg", "bridge-2-rotate-90.jpg", "wee.jpg", "small.jpg"} {
		t.Run(name, func(t *testing.T) {
			o, scans := jpegMeta(readShared(t, name))
			if o != 1 {
				t.Errorf("orientation %d, want 1", o)
			}
			if scans < 1 || scans > 20 {
				t.Errorf("%d scans", scans)
			}
		})
	}
}
