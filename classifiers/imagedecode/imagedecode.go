// Package imagedecode decodes untrusted uploaded images (JPEG, PNG, GIF,
// WebP) for hashing and classification, refusing hostile files before they
// cost memory or time.
//
// Decode is the only entry point. It detects the format from magic bytes
// (never from a client-supplied content type), reads the declared dimensions
// with the format's own DecodeConfig and enforces the byte and pixel budgets
// before any pixel buffer is allocated, decodes with the one decoder that
// format needs, and returns JPEGs upright according to their EXIF
// orientation. It is safe for concurrent use: there is no package state.
package imagedecode

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"strings"

	"golang.org/x/image/webp"
)

// Limits bound what Decode accepts. A zero or negative field means the
// corresponding DefaultLimits value, so Limits{MaxPixels: 1 << 20} is valid.
type Limits struct {
	// MaxBytes is the largest encoded file accepted.
	MaxBytes int64
	// MaxPixels bounds width*height as declared in the file header (for GIF
	// the logical screen, for WebP the canvas). Decoded memory is roughly
	// 3-4 bytes per pixel, more for progressive JPEGs (about 12 extra bytes
	// per pixel of coefficient buffers while decoding).
	MaxPixels int64
}

// DefaultLimits suit photo uploads: 10 MiB and 50 megapixels.
var DefaultLimits = Limits{
	MaxBytes:  10 << 20,
	MaxPixels: 50_000_000,
}

// maxJPEGScans bounds the scans of a progressive JPEG. Each scan walks every
// block of the image, so a small file with thousands of near-empty scans is a
// CPU bomb; real encoders write about 10 (mozjpeg at most a few dozen).
const maxJPEGScans = 256

// Format names a supported image encoding.
type Format string

// The formats Decode accepts.
const (
	JPEG Format = "jpeg"
	PNG  Format = "png"
	GIF  Format = "gif"
	WebP Format = "webp"
)

// Image is a decoded, upright image.
type Image struct {
	// Image has the EXIF orientation already applied and bounds
	// (0,0)-(Width,Height). Its concrete type depends on the source
	// (*image.YCbCr, *image.RGBA, *image.NRGBA, *image.Gray, *image.Paletted,
	// ...); callers should not depend on it.
	Image  image.Image
	Format Format
	// Width and Height are after orientation: swapped for orientations 5-8.
	Width, Height int
	// Orientation is the EXIF orientation found in a JPEG (1..8); 1 when
	// absent, out of range or unreadable, and always 1 for other formats.
	Orientation int
}

// Errors returned by Decode, wrapped with detail; test with errors.Is.
// The messages are safe to show to the uploader.
var (
	ErrEmpty             = errors.New("imagedecode: empty file")
	ErrTooLarge          = errors.New("imagedecode: file too large")
	ErrTooManyPixels     = errors.New("imagedecode: too many pixels")
	ErrTooComplex        = errors.New("imagedecode: image too complex to decode")
	ErrUnsupportedFormat = errors.New("imagedecode: unsupported format")
	ErrCorrupt           = errors.New("imagedecode: corrupt image")
)

// errDecoderPanic marks a panic recovered from a third-party decoder. It is
// wrapped together with ErrCorrupt; the fuzz test looks for it so that decoder
// bugs still surface there even though production callers survive them.
var errDecoderPanic = errors.New("decoder panic")

func (lim Limits) withDefaults() Limits {
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = DefaultLimits.MaxBytes
	}
	if lim.MaxPixels <= 0 {
		lim.MaxPixels = DefaultLimits.MaxPixels
	}
	return lim
}

// Decode decodes one uploaded image within lim.
//
// It refuses, without decoding pixels: an empty file (ErrEmpty), a file over
// lim.MaxBytes (ErrTooLarge), anything that is not JPEG, PNG, GIF or WebP by
// its magic bytes, including animated WebP (ErrUnsupportedFormat, naming what
// was detected), a header that cannot be read (ErrCorrupt), declared
// dimensions over lim.MaxPixels (ErrTooManyPixels) and a JPEG with more than
// 256 scans (ErrTooComplex). A file that fails to decode gets ErrCorrupt
// wrapping the decoder's error (so errors.Is(err, io.ErrUnexpectedEOF) also
// works for truncated files). A GIF yields its first frame only, placed on its
// logical screen. Decode does not retain data.
func Decode(data []byte, lim Limits) (*Image, error) {
	lim = lim.withDefaults()
	if len(data) == 0 {
		return nil, ErrEmpty
	}
	if int64(len(data)) > lim.MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), lim.MaxBytes)
	}
	f, err := detect(data)
	if err != nil {
		return nil, err
	}

	cfg, err := decodeConfig(f, data)
	if err != nil {
		return nil, corrupt(f, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("%w: %s declares %dx%d", ErrCorrupt, f, cfg.Width, cfg.Height)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > lim.MaxPixels {
		return nil, fmt.Errorf("%w: %s declares %dx%d = %d pixels, limit %d",
			ErrTooManyPixels, f, cfg.Width, cfg.Height, px, lim.MaxPixels)
	}

	orientation := 1
	if f == JPEG {
		var scans int
		orientation, scans = jpegMeta(data)
		if scans > maxJPEGScans {
			return nil, fmt.Errorf("%w: jpeg has more than %d scans", ErrTooComplex, maxJPEGScans)
		}
	}

	m, err := decodePixels(f, data)
	if err != nil {
		return nil, corrupt(f, err)
	}
	screen := image.Rect(0, 0, cfg.Width, cfg.Height)
	if b := m.Bounds(); b != screen {
		// Only a GIF whose first frame covers part of its logical screen
		// legitimately gets here; the decoders already bound frames to the
		// screen, but check rather than trust that.
		if f != GIF || !b.In(screen) {
			return nil, fmt.Errorf("%w: %s decoded to %v, header declared %v", ErrCorrupt, f, b, screen)
		}
		canvas := image.NewNRGBA(screen)
		draw.Draw(canvas, b, m, b.Min, draw.Src)
		m = canvas
	}

	m = orient(m, orientation)
	b := m.Bounds()
	return &Image{
		Image:       m,
		Format:      f,
		Width:       b.Dx(),
		Height:      b.Dy(),
		Orientation: orientation,
	}, nil
}

// corrupt wraps a decoder error, calling out truncation since it is the
// common case (interrupted uploads) and the uploader can act on it.
func corrupt(f Format, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: truncated %s: %w", ErrCorrupt, f, err)
	}
	if strings.HasPrefix(err.Error(), string(f)+":") {
		return fmt.Errorf("%w: %w", ErrCorrupt, err) // "png: invalid format: ..."
	}
	return fmt.Errorf("%w: %s: %w", ErrCorrupt, f, err)
}

// decodeConfig calls the format's own DecodeConfig rather than
// image.DecodeConfig: the global registry holds whatever formats any package
// linked into the binary registered (BMP, TIFF, ...), and which decoder runs
// must depend only on our magic-byte detection.
func decodeConfig(f Format, data []byte) (cfg image.Config, err error) {
	defer recoverDecoder(&err)
	r := bytes.NewReader(data)
	switch f {
	case JPEG:
		return jpeg.DecodeConfig(r)
	case PNG:
		return png.DecodeConfig(r)
	case GIF:
		return gif.DecodeConfig(r)
	case WebP:
		return webp.DecodeConfig(r)
	}
	return image.Config{}, fmt.Errorf("no decoder for %q", f)
}

// decodePixels runs the format's decoder. gif.Decode stops after the first
// frame; gif.DecodeAll would decode every frame.
func decodePixels(f Format, data []byte) (m image.Image, err error) {
	defer recoverDecoder(&err)
	r := bytes.NewReader(data)
	switch f {
	case JPEG:
		if m, err := decodeJPEGTurbo(data); err == nil {
			return m, nil
		}
		// libjpeg-turbo refused it: the Go decoder either manages (CMYK)
		// or names the problem.
		return jpeg.Decode(r)
	case PNG:
		return png.Decode(r)
	case GIF:
		return gif.Decode(r)
	case WebP:
		return webp.Decode(r)
	}
	return nil, fmt.Errorf("no decoder for %q", f)
}

// recoverDecoder turns a panic in a decoder into an error. The decoders are
// meant not to panic on any input, but one hostile upload must not take the
// engine down if one does; the fuzz test reports such panics as failures.
func recoverDecoder(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: %v", errDecoderPanic, r)
	}
}

// detect identifies the format from magic bytes. For formats Decode does not
// accept it names what it recognised, so the uploader learns why.
func detect(data []byte) (Format, error) {
	has := func(off int, magic string) bool {
		return len(data) >= off+len(magic) && string(data[off:off+len(magic)]) == magic
	}
	switch {
	case has(0, "\xff\xd8\xff"):
		return JPEG, nil
	case has(0, "\x89PNG\r\n\x1a\n"):
		return PNG, nil
	case has(0, "GIF87a"), has(0, "GIF89a"):
		return GIF, nil
	case has(0, "RIFF") && has(8, "WEBP"):
		// VP8X flags byte: bit 1 is animation, which x/image/webp does not
		// decode; say so rather than report a corrupt file.
		if has(12, "VP8X") && len(data) > 20 && data[20]&0x02 != 0 {
			return "", fmt.Errorf("%w: animated webp", ErrUnsupportedFormat)
		}
		return WebP, nil
	}
	for _, k := range otherFormats {
		if has(k.off, k.magic) {
			return "", fmt.Errorf("%w: detected %s", ErrUnsupportedFormat, k.name)
		}
	}
	n := min(len(data), 8)
	return "", fmt.Errorf("%w: unrecognised leading bytes % x", ErrUnsupportedFormat, data[:n])
}

// otherFormats are recognised only to name them in the error.
var otherFormats = []struct {
	off         int
	magic, name string
}{
	{0, "BM", "bmp"},
	{0, "II*\x00", "tiff"},
	{0, "MM\x00*", "tiff"},
	{4, "ftypavif", "avif"},
	{4, "ftypavis", "avif"},
	{4, "ftyphei", "heif"},
	{4, "ftypmif1", "heif"},
	{4, "ftypmsf1", "heif"},
	{0, "\x00\x00\x01\x00", "ico"},
	{0, "\xff\x0a", "jpeg xl"},
	{0, "\x00\x00\x00\x0cJXL ", "jpeg xl"},
	{0, "8BPS", "psd"},
	{0, "%PDF", "pdf"},
	{0, "PK\x03\x04", "zip"},
	{0, "<?xml", "xml/svg"},
	{0, "<svg", "svg"},
	{0, "RIFF", "riff (not webp)"},
	{4, "ftyp", "iso media (mp4/mov)"},
}
