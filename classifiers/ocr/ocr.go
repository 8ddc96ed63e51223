// Package ocr reads the text in images, in Korean and English, with
// Tesseract (Debian's libtesseract and its kor and eng models). It holds
// a pool of engines, one per worker goroutine, prepares each image the
// way Tesseract reads best (grey scale, contrast stretch, inversion of
// light text on dark ground, scaling of small and very large text) and
// first asks a cheap gate whether the image has text at all, so the
// photos without any, most uploads, cost a few milliseconds instead of
// hundreds.
//
// The text it returns is content: callers classify it and must never log
// it or store it outside a case snapshot.
package ocr

import (
	"context"
	"errors"
	"fmt"
	"image"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Config configures a Pool. Zero fields take the defaults of DefaultConfig.
type Config struct {
	// Engines is the number of Tesseract engines, which is how many
	// images are read at once: one per worker goroutine that reads images.
	Engines int
	// Languages are Tesseract's language models, joined with '+'.
	Languages string
	// DataPath is the folder of the .traineddata files; empty means
	// Tesseract's default (Debian: /usr/share/tesseract-ocr/5/tessdata).
	DataPath string
	// Timeout bounds the reading of one image once it has an engine; the
	// caller's context bounds the wait for one.
	Timeout time.Duration
	// MaxPixels is the largest image (width × height) read at all; a
	// larger one is refused with ErrTooLarge before any work.
	MaxPixels int
	// MaxOCRPixels bounds the image Tesseract is given after scaling;
	// larger ones are scaled down to it.
	MaxOCRPixels int
	// MinConfidence drops words Tesseract is less sure of (0 to 100).
	MinConfidence float32
	// Steps switches preprocessing steps off; the zero value runs them all.
	Steps Steps
	// NoGate reads every image, with or without text (for measuring the
	// gate).
	NoGate bool
	// PageSegMode is Tesseract's page segmentation mode; 0 means 6, one
	// block of text, which read the fixtures best (mean character
	// accuracy 0.95, against 0.85 for 11, sparse text, and 0.69 for 3,
	// the default for pages). Text in several columns is read across
	// them, line by line.
	PageSegMode int

	// vars are further Tesseract variables, for experiments in tests.
	vars map[string]string
}

// DefaultConfig is what zero fields of a Config take.
var DefaultConfig = Config{
	Engines:       1,
	Languages:     "kor+eng",
	Timeout:       3 * time.Second,
	MaxPixels:     50_000_000,
	MaxOCRPixels:  8_000_000,
	MinConfidence: 30,
	PageSegMode:   6,
}

func (c Config) withDefaults() Config {
	d := DefaultConfig
	if c.Engines <= 0 {
		c.Engines = d.Engines
	}
	if c.Languages == "" {
		c.Languages = d.Languages
	}
	if c.Timeout <= 0 {
		c.Timeout = d.Timeout
	}
	if c.MaxPixels <= 0 {
		c.MaxPixels = d.MaxPixels
	}
	if c.MaxOCRPixels <= 0 {
		c.MaxOCRPixels = d.MaxOCRPixels
	}
	if c.MinConfidence <= 0 {
		c.MinConfidence = d.MinConfidence
	}
	if c.PageSegMode <= 0 {
		c.PageSegMode = d.PageSegMode
	}
	return c
}

// Validate checks a configuration before engines start.
func (c Config) Validate() error {
	c = c.withDefaults()
	switch {
	case c.Engines > 64:
		return fmt.Errorf("ocr: %d engines: at most 64", c.Engines)
	case c.MinConfidence > 100:
		return fmt.Errorf("ocr: minimum confidence %v: at most 100", c.MinConfidence)
	case c.PageSegMode > 13:
		return fmt.Errorf("ocr: page segmentation mode %d: 1 to 13", c.PageSegMode)
	}
	return nil
}

// Errors a Read can return besides the context's.
var (
	ErrTooLarge = errors.New("ocr: image too large to read")
	ErrClosed   = errors.New("ocr: pool closed")
)

// Word is one recognised word: its text, where it is in the image given
// to Read (pixels, Max exclusive) and Tesseract's confidence (0 to 100).
// Start and End are code-point offsets of the word in Result.Text, so
// that findings in the text (a phone number) lead back to pixels.
type Word struct {
	Text       string          `json:"-"`
	Box        image.Rectangle `json:"box"`
	Confidence float32         `json:"confidence"`
	Start      int             `json:"start"`
	End        int             `json:"end"`
}

// Result is what Read found in one image.
type Result struct {
	// Text is the words, a space between words and a newline between
	// lines, in reading order.
	Text  string
	Words []Word
	// Gate is the text-presence gate's verdict; Read is set when
	// Tesseract ran (the gate found text, or NoGate).
	Gate Gate
	Read bool
	// Inverted and Scale say how the image was prepared.
	Inverted bool
	Scale    float64
}

// Pool reads text with a fixed set of Tesseract engines. It is safe for
// concurrent use; Read waits for a free engine. Close releases the
// engines.
type Pool struct {
	cfg   Config
	free  chan *tess
	n     int
	done  chan struct{}
	close sync.Once
}

// New starts cfg.Engines engines; loading the models takes a fraction of
// a second each, at start-up rather than on the first image.
func New(cfg Config) (*Pool, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	singleThreaded()
	p := &Pool{cfg: cfg, free: make(chan *tess, cfg.Engines), n: cfg.Engines, done: make(chan struct{})}
	for range cfg.Engines {
		t, err := newTess(cfg.DataPath, cfg.Languages, cfg.PageSegMode, cfg.vars)
		if err != nil {
			for len(p.free) > 0 {
				(<-p.free).close()
			}
			return nil, fmt.Errorf("ocr: %w", err)
		}
		p.free <- t
	}
	return p, nil
}

// Version identifies the engine and its configuration, for decisions.
func (p *Pool) Version() string {
	return fmt.Sprintf("tesseract-%s-%s-psm%d", tesseractVersion(), p.cfg.Languages, p.cfg.PageSegMode)
}

// Close waits for the engines in use to be returned and frees them all.
// Reads after Close fail with ErrClosed. If ctx ends first, Close returns
// its error and the engines still in use are not freed.
func (p *Pool) Close(ctx context.Context) error {
	p.close.Do(func() { close(p.done) })
	for p.n > 0 {
		select {
		case t := <-p.free:
			t.close()
			p.n--
		case <-ctx.Done():
			return fmt.Errorf("ocr: close: %d engines still in use: %w", p.n, ctx.Err())
		}
	}
	return nil
}

func (p *Pool) acquire(ctx context.Context) (*tess, error) {
	select {
	case <-p.done:
		return nil, ErrClosed
	default:
	}
	select {
	case t := <-p.free:
		select {
		case <-p.done:
			p.free <- t
			return nil, ErrClosed
		default:
			return t, nil
		}
	case <-p.done:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Read finds the text in img. An image without text (by the gate) is
// returned with Read unset and no words; that is not an error. Errors are
// ErrTooLarge, ErrClosed, the context's (a deadline while waiting for an
// engine or reading) and Tesseract failures.
func (p *Pool) Read(ctx context.Context, img image.Image) (*Result, error) {
	b := img.Bounds()
	if b.Dx()*b.Dy() > p.cfg.MaxPixels || b.Dx() > 1<<16 || b.Dy() > 1<<16 {
		return nil, ErrTooLarge
	}
	// The gate reads the image's own luma where it has one; most images
	// stop there. Preprocessing changes pixels, so it gets a copy.
	g, shared := greyView(img)
	res := &Result{Gate: detectText(g), Scale: 1}
	if !res.Gate.Text && !p.cfg.NoGate {
		return res, nil
	}
	if shared {
		g = grey(img)
	}
	g, inverted, scale := prepare(g, res.Gate, p.cfg.Steps, p.cfg.MaxOCRPixels)
	res.Inverted, res.Scale = inverted, scale
	t, err := p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { p.free <- t }()
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	raw, err := t.recognise(ctx, g)
	if err != nil {
		return nil, fmt.Errorf("ocr: %w", err)
	}
	res.Read = true
	res.Text, res.Words = assemble(raw, p.cfg.MinConfidence, scale, b.Min)
	return res, nil
}

// prepare applies the preprocessing steps to a grey image, in place where
// it can. It returns the image for Tesseract, whether it was inverted and
// the factor it was scaled by.
func prepare(g *image.Gray, gate Gate, steps Steps, maxPixels int) (*image.Gray, bool, float64) {
	if !steps.NoContrast {
		stretchContrast(g)
	}
	h := gate.TextHeight
	if steps.NoScale {
		h = 0
	}
	f := scaleFor(h, g.Rect.Dx(), g.Rect.Dy(), maxPixels)
	if f != 1 {
		g = resize(g, f)
	}
	inverted := false
	if !steps.NoInvert {
		// The gate's glyphs say which way the text is, when it saw
		// text; the background's brightness otherwise.
		if (gate.Glyphs > 0 && !gate.DarkText) || (gate.Glyphs == 0 && darkBackground(g)) {
			invert(g)
			inverted = true
		}
	}
	return g, inverted, f
}

// assemble joins the words Tesseract kept into text, maps their boxes
// back to the coordinates of the image given to Read and records each
// word's offsets in the text. Tesseract often splits a Korean word into
// its syllables ("죽 여 버린다"); syllables that touch, closer than a
// space would put them, are joined without one, so the lexicon and the
// models read the words written.
func assemble(raw []rawWord, minConf float32, scale float64, origin image.Point) (string, []Word) {
	var sb strings.Builder
	words := make([]Word, 0, len(raw))
	pos := 0 // code points written
	var last *rawWord
	for i := range raw {
		r := &raw[i]
		if r.conf < minConf {
			continue
		}
		if len(words) > 0 {
			switch {
			case r.lineStart:
				sb.WriteByte('\n')
				pos++
			case !joined(last, r):
				sb.WriteByte(' ')
				pos++
			}
		}
		n := utf8.RuneCountInString(r.text)
		sb.WriteString(r.text)
		box := image.Rect(
			int(float64(r.box.Min.X)/scale), int(float64(r.box.Min.Y)/scale),
			int(float64(r.box.Max.X)/scale+0.999), int(float64(r.box.Max.Y)/scale+0.999),
		).Add(origin)
		words = append(words, Word{Text: r.text, Box: box, Confidence: r.conf, Start: pos, End: pos + n})
		pos += n
		last = r
	}
	return sb.String(), words
}

// joinGap is the largest gap between two Hangul words, as a share of
// their height, that is read as no space: a space in Korean fonts is about
// a quarter of the height, the gap between syllables of one word a
// twentieth.
const joinGap = 0.25

// joined reports whether b follows a on the same line with no space
// between them: both Hangul where they meet, and closer than joinGap.
func joined(a, b *rawWord) bool {
	if a == nil {
		return false
	}
	ra, _ := utf8.DecodeLastRuneInString(a.text)
	rb, _ := utf8.DecodeRuneInString(b.text)
	if !unicode.Is(unicode.Hangul, ra) || !unicode.Is(unicode.Hangul, rb) {
		return false
	}
	h := max(a.box.Dy(), b.box.Dy())
	gap := b.box.Min.X - a.box.Max.X
	return float64(gap) < joinGap*float64(h)
}
