// Package imageredact makes the redacted copy of an image that a redact
// decision delivers instead of the original: the boxes of the personal
// information found in the image's text are filled solid, a few pixels
// beyond the words, and the copy is encoded anew. A solid fill, unlike a
// blur or a pixelation, leaves nothing of the digits to recover; the
// padding covers the strokes that Tesseract's word boxes cut close.
//
// The copy keeps the upload's pixels and nothing else: no EXIF (a
// photo's GPS position is personal data too), no colour profile, no
// second image hidden after the first. A JPEG stays a JPEG (quality 90);
// every other format becomes a PNG, lossless, so that outside the boxes
// its pixels are exactly the original's.
package imageredact

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"slices"

	"github.com/haechi-tns/haechi/classifiers/imagedecode"
	"github.com/haechi-tns/haechi/engine"
)

// Fill is the colour the boxes are filled with.
var Fill = color.NRGBA{A: 0xff}

// JPEGQuality is the quality a JPEG copy is encoded at: the original was
// compressed once already, and a second pass at 90 costs little more.
const JPEGQuality = 90

// Redactor makes redacted copies. It is safe for concurrent use.
type Redactor struct {
	limits imagedecode.Limits
}

// New makes a Redactor that decodes images within limits (the same the
// image classifier decodes them within).
func New(limits imagedecode.Limits) *Redactor { return &Redactor{limits: limits} }

// Errors a redaction can fail with, besides the decoder's.
var (
	ErrNoBoxes  = errors.New("imageredact: no boxes to fill")
	ErrBadBox   = errors.New("imageredact: box outside the image")
	ErrNoPixels = errors.New("imageredact: image has no bytes")
)

// Pad is how many pixels a box of height h is widened by on every side:
// a fifth of the height, and at least 3.
func Pad(h int) int { return max(3, h/5) }

// RedactImage implements engine.ImageRedactor: it returns a copy of
// img.Data with every box filled with Fill after padding. A box that
// lies outside the image, or is empty, fails the whole copy: the boxes
// came from a reading of this very image, and one that does not fit it
// says the reading cannot be trusted to have found where the data is.
func (r *Redactor) RedactImage(ctx context.Context, img *engine.ImageUpload, boxes []engine.Box) (*engine.RedactedImage, error) {
	if len(img.Data) == 0 {
		return nil, ErrNoPixels
	}
	if len(boxes) == 0 {
		return nil, ErrNoBoxes
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	im, err := imagedecode.Decode(img.Data, r.limits)
	if err != nil {
		return nil, fmt.Errorf("imageredact: %w", err)
	}
	bounds := image.Rect(0, 0, im.Width, im.Height)
	filled := make([]engine.Box, len(boxes))
	for i, b := range boxes {
		rect := image.Rect(b.X0, b.Y0, b.X1, b.Y1)
		if rect.Empty() || !rect.In(bounds) {
			return nil, fmt.Errorf("%w: box %d (%d,%d)-(%d,%d) in an image of %d×%d", ErrBadBox, i, b.X0, b.Y0, b.X1, b.Y1, im.Width, im.Height)
		}
		p := Pad(rect.Dy())
		rect = rect.Inset(-p).Intersect(bounds)
		filled[i] = engine.Box{X0: rect.Min.X, Y0: rect.Min.Y, X1: rect.Max.X, Y1: rect.Max.Y}
	}
	var out bytes.Buffer
	contentType := "image/png"
	if im.Format == imagedecode.JPEG {
		contentType = "image/jpeg"
		dst := image.NewRGBA(bounds)
		draw.Draw(dst, bounds, im.Image, im.Image.Bounds().Min, draw.Src)
		fill(dst, filled)
		err = jpeg.Encode(&out, dst, &jpeg.Options{Quality: JPEGQuality})
	} else {
		dst := clone(im.Image, bounds)
		fill(dst, filled)
		err = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&out, dst)
	}
	if err != nil {
		return nil, fmt.Errorf("imageredact: encode: %w", err)
	}
	sum := sha256.Sum256(out.Bytes())
	id := hex.EncodeToString(sum[:])
	return &engine.RedactedImage{
		ID: id, ContentType: contentType, Size: out.Len(), URL: engine.RedactedImagePath(id),
		Boxes: filled, Data: out.Bytes(),
	}, nil
}

// clone copies m, whose bounds are bounds, into an image that can be
// drawn on, pixel for pixel: the RGBA and NRGBA a PNG decodes to are
// copied as they are, anything else is drawn into an NRGBA, which keeps
// translucent pixels as they were.
func clone(m image.Image, bounds image.Rectangle) draw.Image {
	switch m := m.(type) {
	case *image.RGBA:
		if m.Rect == bounds {
			c := *m
			c.Pix = slices.Clone(m.Pix)
			return &c
		}
	case *image.NRGBA:
		if m.Rect == bounds {
			c := *m
			c.Pix = slices.Clone(m.Pix)
			return &c
		}
	}
	dst := image.NewNRGBA(bounds)
	draw.Draw(dst, bounds, m, m.Bounds().Min, draw.Src)
	return dst
}

func fill(dst draw.Image, boxes []engine.Box) {
	src := image.NewUniform(Fill)
	for _, b := range boxes {
		draw.Draw(dst, image.Rect(b.X0, b.Y0, b.X1, b.Y1), src, image.Point{}, draw.Src)
	}
}
