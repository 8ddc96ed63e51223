// Package pdq computes PDQ hashes of images: the 256-bit perceptual hash
// Meta published for matching photos against lists of known harmful content
// (ThreatExchange, StopNCII, the Tech Against Terrorism hash lists).
//
// The image classifier calls FromImage (or DihedralFromImage, to match
// rotated and mirrored copies too) once per decoded image, and compares the
// result with list entries using Distance. Two hashes of the same picture are
// usually within 31 bits of each other; Meta's conformance bar is 10 bits
// between implementations. A hash is only worth matching when its quality is
// high enough: Meta suggests discarding hashes with quality below 50.
//
// The code follows Meta's reference C++ hasher (pdqhashing.cpp and
// downscaling.cpp in facebook/ThreatExchange) step for step, in float32
// arithmetic in the same order, so that from the same pixels it produces the
// same bits:
//
//  1. luminance Y = 0.299 R + 0.587 G + 0.114 B of the 8-bit channels;
//  2. two passes of a horizontal then vertical box filter ("Jarosz" filter)
//     with a window of ceil(dimension/128) pixels, then decimation to 64×64
//     by taking the pixel at the centre of each of 64 equal bins;
//  3. the 16×16 lowest non-DC frequencies of the 2-D DCT of that 64×64 buffer;
//  4. bit = 1 where the coefficient exceeds their median.
//
// The functions keep no state between calls and are safe for concurrent use.
package pdq

import (
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"math/bits"
)

// Hash is a 256-bit PDQ hash.
//
// The bytes are the hash as a 256-bit big-endian number, so that the
// hexadecimal form (String) is the bytes in order and is identical to the
// reference implementation's text form. Bit k of that number, counting from
// the least significant bit (bit k lives in h[31-k/8], mask 1<<(k%8)), is the
// bit of DCT coefficient (row k/16, column k%16). In the reference's terms,
// h[30-2w:32-2w] is the big-endian form of 16-bit word w.
type Hash [32]byte

// String returns the hash as 64 lowercase hexadecimal digits, the form the
// reference tools print and hash lists exchange.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// ParseHash parses the 64-hexadecimal-digit form that String returns. Upper-
// and lowercase digits are accepted.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*len(h) {
		return Hash{}, fmt.Errorf("pdq: parse hash: want %d hex digits, got %d", 2*len(h), len(s))
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return Hash{}, fmt.Errorf("pdq: parse hash: %w", err)
	}
	return h, nil
}

// Distance returns the Hamming distance between a and b: the number of bits,
// 0 to 256, in which they differ.
func Distance(a, b Hash) int {
	n := 0
	for i := 0; i < len(a); i += 8 {
		n += bits.OnesCount64(be64(a[i:]) ^ be64(b[i:]))
	}
	return n
}

func be64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
}

func (h *Hash) setBit(k int) { h[31-k/8] |= 1 << (k % 8) }

// Bit reports whether bit k (0 to 255, see Hash) is set.
func (h Hash) Bit(k int) bool { return h[31-k/8]&(1<<(k%8)) != 0 }

// MinDimension is the smallest width and height the hasher accepts; the
// reference returns an all-zero hash below it.
const MinDimension = 5

// ErrTooSmall is returned (wrapped) for images narrower or shorter than
// MinDimension pixels. The reference returns an all-zero hash of quality 0
// for them instead; an error keeps such hashes from matching each other.
var ErrTooSmall = errors.New("pdq: image too small to hash")

// Dihedral indexes the eight hashes DihedralFromImage returns. Each names the
// transform that, applied to the hashed image, gives the image whose plain
// hash the entry approximates, with the reference's names and meanings.
type Dihedral int

const (
	Original   Dihedral = iota // the image itself
	Rotate90                   // rotated 90° anticlockwise
	Rotate180                  // rotated 180°
	Rotate270                  // rotated 270° anticlockwise (90° clockwise)
	FlipX                      // mirrored top to bottom (about the horizontal axis)
	FlipY                      // mirrored left to right (about the vertical axis)
	FlipPlus1                  // transposed: mirrored about the main diagonal
	FlipMinus1                 // mirrored about the anti-diagonal
)

var dihedralNames = [...]string{"original", "rotate90", "rotate180", "rotate270", "flipx", "flipy", "flipplus1", "flipminus1"}

func (d Dihedral) String() string {
	if d < 0 || int(d) >= len(dihedralNames) {
		return fmt.Sprintf("Dihedral(%d)", int(d))
	}
	return dihedralNames[d]
}

// FromImage returns the PDQ hash of img and its quality, 0 to 100: a measure
// of how much edge detail the image has. Flat or nearly flat images have low
// quality and hashes that match too much; the caller decides the cut-off.
//
// The image is hashed at its full size, as the reference's library functions
// do (its command-line tools first squash images larger than 512 pixels to
// 512×512; see the package tests for why this package does not).
// *image.YCbCr, *image.RGBA, *image.NRGBA and *image.Gray are read directly;
// other types go through their color model, a few times slower. Alpha is
// ignored: colour values are taken un-premultiplied, as the reference takes
// the R, G and B channels of a PNG.
func FromImage(img image.Image) (Hash, int, error) {
	coef, quality, err := coefficients(img)
	if err != nil {
		return Hash{}, 0, err
	}
	return coef.hash(), quality, nil
}

// DihedralFromImage returns the hashes of img and of its seven rotations and
// reflections, indexed by Dihedral, and the quality as FromImage. The seven
// are derived from the DCT of img by sign changes and transposition, as the
// reference does, at almost no cost over FromImage; each is within a few bits
// of what FromImage returns for the transformed image.
func DihedralFromImage(img image.Image) ([8]Hash, int, error) {
	var out [8]Hash
	coef, quality, err := coefficients(img)
	if err != nil {
		return out, 0, err
	}
	for d := range out {
		t := coef.transform(Dihedral(d))
		out[d] = t.hash()
	}
	return out, quality, nil
}

// coefficients runs the image-domain half of the algorithm: luminance,
// downsampling, quality, DCT.
func coefficients(img image.Image) (*dct16, int, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w < MinDimension || h < MinDimension {
		return nil, 0, fmt.Errorf("%w: %d×%d", ErrTooSmall, w, h)
	}
	// A JPEG's Y plane and a grey image's levels are what fillLuma would
	// give, as bytes: downsampleBytes reads them directly.
	var plane []uint8
	stride := 0
	switch m := img.(type) {
	case *image.YCbCr:
		plane, stride = m.Y[m.YOffset(b.Min.X, b.Min.Y):], m.YStride
	case *image.Gray:
		plane, stride = m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride
	}
	var small [64][64]float32
	if plane != nil && windowSize(w) <= maxByteWindow {
		downsampleBytes(plane, stride, h, w, &small)
	} else {
		luma := getBuffer(w * h)
		defer putBuffer(luma)
		fillLuma(img, *luma)
		downsample(*luma, h, w, &small)
	}
	quality := qualityMetric(&small)
	coef := new(dct16)
	dct64To16(&small, coef)
	return coef, quality, nil
}
