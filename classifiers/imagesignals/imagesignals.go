// Package imagesignals is Haechi's image classifier: it decodes an upload
// safely, hashes it (PDQ with its eight dihedral variants, MD5, SHA-256),
// matches the hashes against the hash banks and, when one is configured,
// scores its content with an image model (NSFW: nudity, suggestive) and
// reads the text in it (OCR) through the text classifier chat uses.
package imagesignals

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/haechi-tns/haechi/classifiers/hashbank"
	"github.com/haechi-tns/haechi/classifiers/imagedecode"
	"github.com/haechi-tns/haechi/classifiers/ocr"
	"github.com/haechi-tns/haechi/classifiers/pdq"
	"github.com/haechi-tns/haechi/engine"
)

// AnalysedHashes is what the classifier reports it examined: the image's
// hashes against the banks, not its content.
const AnalysedHashes = "image_hashes"

// AnalysedContent is what the classifier reports when a content model
// looked at the image itself.
const AnalysedContent = "image"

// ContentModel scores an image's content into moderation categories
// (nudity, suggestive, …); *nsfw.Model and *imagemodel.Model implement it.
type ContentModel interface {
	CategoryScores(img image.Image) (map[string]float32, error)
}

// contentModel is a ContentModel with the source name its scores carry.
type contentModel struct {
	source string
	model  ContentModel
}

// TextReader reads the text in a decoded image; *ocr.Pool implements it.
// Read must be safe for concurrent use and return ctx's error when ctx
// ends first.
type TextReader interface {
	Read(ctx context.Context, img image.Image) (*ocr.Result, error)
}

// textReading is the OCR step: a reader, the text classifier its text
// goes through and the time one image may take.
type textReading struct {
	reader  TextReader
	text    engine.TextClassifier
	timeout time.Duration
}

// Classifier implements engine.ImageClassifier. It is safe for concurrent
// use; SetBanks swaps the bank set atomically.
type Classifier struct {
	banks       atomic.Pointer[hashbank.Set]
	limits      imagedecode.Limits
	maxDistance int
	content     []contentModel
	ocr         *textReading
	version     string
}

// DefaultTextTimeout is how long WithTextReader lets one image's text
// take by default, the wait for a free OCR engine included.
const DefaultTextTimeout = 3 * time.Second

// WithTextReader has the classifier read the text in every image with r,
// beside the hashing and the content models, and score it with text, the
// classifier chat goes through (normaliser, lexicon, models, PII
// detector). timeout (0: DefaultTextTimeout) bounds the wait for a reader
// and the reading together; an image whose text is not read in time, or
// that the reader refuses, is reported with ImageText.Error set and
// without AnalysedImageText, never as an image without text. r's
// Version() string, if it has one, joins the classifier's version.
func WithTextReader(r TextReader, text engine.TextClassifier, timeout time.Duration) Option {
	return func(c *Classifier) {
		if timeout <= 0 {
			timeout = DefaultTextTimeout
		}
		c.ocr = &textReading{reader: r, text: text, timeout: timeout}
		v := "ocr"
		if rv, ok := r.(interface{ Version() string }); ok {
			v = rv.Version()
		}
		c.version += "+" + v + "+" + text.Name() + "-" + text.Version()
	}
}

// Option configures a Classifier.
type Option func(*Classifier)

// WithContentModel adds a model that scores the image's content; its
// scores appear in Signals.Sources under source, and version identifies it
// in decisions. Several models may be added; policy sees the highest
// score per category.
func WithContentModel(source string, m ContentModel, version string) Option {
	return func(c *Classifier) {
		c.content = append(c.content, contentModel{source: source, model: m})
		c.version += "+" + version
	}
}

// New builds a classifier over a bank set.
func New(banks *hashbank.Set, limits imagedecode.Limits, maxDistance int, opts ...Option) *Classifier {
	c := &Classifier{limits: limits, maxDistance: maxDistance, version: "pdq-md5-sha256"}
	c.banks.Store(banks)
	for _, o := range opts {
		o(c)
	}
	return c
}

// SetBanks replaces the bank set, for example after an import.
func (c *Classifier) SetBanks(s *hashbank.Set) { c.banks.Store(s) }

// Name identifies the classifier in decisions.
func (c *Classifier) Name() string { return "image" }

// Version identifies the hashing and the content model.
func (c *Classifier) Version() string { return c.version }

// Result is everything the classifier computed for one image; the engine
// uses the ImageResult part, tools print the rest.
type Result struct {
	engine.ImageResult
	PDQ     pdq.Hash
	Quality int
}

// ClassifyImage implements engine.ImageClassifier. An image given only by
// URI cannot be fetched here and is reported as not analysed; bytes that
// do not decode, or that contradict their declared SHA-256, are an invalid
// event.
func (c *Classifier) ClassifyImage(ctx context.Context, in engine.ImageInput) (engine.ImageResult, error) {
	if len(in.Image.Data) == 0 {
		return engine.ImageResult{}, engine.ErrNotAnalysed
	}
	r, err := c.Analyse(ctx, in)
	if err != nil {
		return engine.ImageResult{}, err
	}
	return r.ImageResult, nil
}

// Analyse decodes and hashes in.Image.Data, matches the hashes against
// the banks, scores the content with the content models and reads the
// text, the last three side by side on the decoded image. in.Image.SHA256,
// when not empty, must be the hex SHA-256 of the data. It returns when
// all of them have: no goroutine outlives it.
func (c *Classifier) Analyse(ctx context.Context, in engine.ImageInput) (*Result, error) {
	data := in.Image.Data
	sum := sha256.Sum256(data)
	if in.Image.SHA256 != "" && !strings.EqualFold(in.Image.SHA256, hex.EncodeToString(sum[:])) {
		return nil, fieldError("image.sha256", "does not match the SHA-256 of image.data")
	}
	im, err := imagedecode.Decode(data, c.limits)
	if err != nil {
		return nil, fieldError("image.data", err.Error())
	}
	// The content models, the text and the hashing are independent: run
	// them side by side, so an image costs the longest of them, not their
	// sum.
	type contentResult struct {
		sources map[string]engine.Scores
		err     error
	}
	var content chan contentResult
	if len(c.content) > 0 {
		content = make(chan contentResult, 1)
		go func() {
			sources := make(map[string]engine.Scores, len(c.content))
			for _, cm := range c.content {
				cats, err := cm.model.CategoryScores(im.Image)
				if err != nil {
					content <- contentResult{err: fmt.Errorf("%s: %w", cm.source, err)}
					return
				}
				scores := make(engine.Scores, len(cats))
				for cat, v := range cats {
					scores[engine.Category(cat)] = float64(v)
				}
				sources[cm.source] = scores
			}
			content <- contentResult{sources: sources}
		}()
	}
	type textResult struct {
		text *engine.ImageText
		err  error
	}
	var text chan textResult
	if c.ocr != nil && !in.DeferText {
		text = make(chan textResult, 1)
		go func() {
			t, err := c.ocr.read(ctx, im.Image, in)
			text <- textResult{t, err}
		}()
	}
	// wait collects the side tasks; every return below goes through it.
	wait := func() (contentResult, textResult) {
		var cr contentResult
		var tr textResult
		if content != nil {
			cr = <-content
		}
		if text != nil {
			tr = <-text
		}
		return cr, tr
	}
	variants, quality, err := pdq.DihedralFromImage(im.Image)
	if err != nil && !errors.Is(err, pdq.ErrTooSmall) {
		wait()
		return nil, fmt.Errorf("imagesignals: pdq: %w", err)
	}
	q := &hashbank.Query{PDQ: variants, Quality: quality, MD5: md5.Sum(data), SHA256: sum}
	if errors.Is(err, pdq.ErrTooSmall) {
		q.Quality = 0 // too small to hash: exact matching only
	}
	res := engine.ImageResult{
		HashMatches: c.banks.Load().Match(q, c.maxDistance),
		Analysed:    []string{AnalysedHashes},
	}
	cr, tr := wait()
	if content != nil {
		if cr.err != nil {
			return nil, fmt.Errorf("imagesignals: content model %w", cr.err)
		}
		res.Sources = cr.sources
		res.Analysed = append(res.Analysed, AnalysedContent)
	}
	if c.ocr != nil && in.DeferText {
		// Left for the follow-up: not read, and not an image without text.
		res.Text = &engine.ImageText{Pending: true}
	}
	if text != nil {
		if tr.err != nil {
			return nil, tr.err
		}
		res.Text = tr.text
		if tr.text.Error == "" {
			res.Analysed = append(res.Analysed, engine.AnalysedImageText)
		}
	}
	return &Result{
		ImageResult: res,
		PDQ:         variants[0],
		Quality:     q.Quality,
	}, nil
}

// read reads the text in img and scores it. A reading that fails for this
// image (its deadline, a size the reader refuses, a reader error) is
// reported in ImageText.Error; an error is returned only when the caller's
// ctx ended, the reader was closed or the text classifier failed, which
// are not the image's doing and must not become a decision.
func (t *textReading) read(ctx context.Context, img image.Image, in engine.ImageInput) (*engine.ImageText, error) {
	rctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	r, err := t.reader.Read(rctx, img)
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return nil, fmt.Errorf("imagesignals: read text: %w", ctx.Err())
	case errors.Is(err, ocr.ErrClosed):
		return nil, fmt.Errorf("imagesignals: read text: %w", err)
	case errors.Is(err, context.DeadlineExceeded):
		return &engine.ImageText{Error: TextTimeout}, nil
	case errors.Is(err, ocr.ErrTooLarge):
		return &engine.ImageText{Error: TextTooLarge}, nil
	default:
		return &engine.ImageText{Error: TextFailed}, nil
	}
	it := &engine.ImageText{Words: len(r.Words)}
	if strings.TrimSpace(r.Text) == "" {
		return it, nil
	}
	tr, err := t.text.ClassifyText(ctx, engine.TextInput{Text: r.Text, Space: in.Space})
	if err != nil {
		return nil, fmt.Errorf("imagesignals: classify image text (%s): %w", t.text.Name(), err)
	}
	it.Lang, it.Sources, it.Models = tr.Lang, tr.Sources, tr.Models
	it.Scores = engine.Scores{}
	for _, sc := range tr.Sources {
		for cat, v := range sc {
			it.Scores.Raise(cat, v)
		}
	}
	var runes []rune
	if len(tr.PII) > 0 {
		runes = []rune(r.Text)
	}
	for _, p := range tr.PII {
		ip := engine.ImagePII{Type: p.Type, Score: p.Score, Boxes: []engine.Box{}}
		for _, w := range r.Words {
			if w.Start < p.End && w.End > p.Start {
				ip.Boxes = append(ip.Boxes, engine.Box{X0: w.Box.Min.X, Y0: w.Box.Min.Y, X1: w.Box.Max.X, Y1: w.Box.Max.Y})
			}
		}
		ip.Partial = !covered(runes, p.Start, p.End, r.Words)
		it.PII = append(it.PII, ip)
	}
	return it, nil
}

// covered reports whether every character of text[start:end] but spaces
// lies in one of words: only then does filling the words' boxes hide the
// whole span.
func covered(text []rune, start, end int, words []ocr.Word) bool {
	if start < 0 || end > len(text) || start >= end {
		return false
	}
	for i := start; i < end; i++ {
		if unicode.IsSpace(text[i]) {
			continue
		}
		if !slices.ContainsFunc(words, func(w ocr.Word) bool { return w.Start <= i && i < w.End }) {
			return false
		}
	}
	return true
}

// Why an image's text was not read (engine.ImageText.Error).
const (
	TextTimeout  = "timeout"
	TextTooLarge = "too_large"
	TextFailed   = "failed"
)

func fieldError(field, problem string) error {
	return &engine.ValidationError{Fields: []engine.FieldError{{Field: field, Problem: problem}}}
}
