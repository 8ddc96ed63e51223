package pii

import (
	"testing"
	"unicode/utf8"
)

// TestDecodeMatchesUTF8 checks the inline decoder against the standard one
// on every lead byte followed by every pair of bytes, and on truncations.
func TestDecodeMatchesUTF8(t *testing.T) {
	buf := make([]byte, 3)
	for b0 := 0x80; b0 < 0x100; b0++ {
		for b1 := 0; b1 < 0x100; b1++ {
			for b2 := 0; b2 < 0x100; b2++ {
				buf[0], buf[1], buf[2] = byte(b0), byte(b1), byte(b2)
				for n := 1; n <= 3; n++ {
					text := string(buf[:n])
					r, size := decode(text, 0)
					wr, wsize := utf8.DecodeRuneInString(text)
					if r != wr || size != wsize {
						t.Fatalf("decode(% x) = %U,%d, want %U,%d", buf[:n], r, size, wr, wsize)
					}
				}
			}
		}
	}
}
