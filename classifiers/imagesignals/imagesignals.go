// Package imagesignals is Haechi's image classifier: it decodes an upload
// safely, hashes it (PDQ with its eight dihedral variants, MD5, SHA-256),
// matches the hashes against the hash banks and, when one is configured,
// scores its content with an image model (NSFW: nudity, suggestive).
package imagesignals

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"strings"
	"sync/atomic"

	"github.com/haechi-tns/haechi/classifiers/hashbank"
	"github.com/haechi-tns/haechi/classifiers/imagedecode"
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

// Classifier implements engine.ImageClassifier. It is safe for concurrent
// use; SetBanks swaps the bank set atomically.
type Classifier struct {
	banks       atomic.Pointer[hashbank.Set]
	limits      imagedecode.Limits
	maxDistance int
	content     []contentModel
	version     string
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
func (c *Classifier) ClassifyImage(_ context.Context, img *engine.ImageUpload) (engine.ImageResult, error) {
	if len(img.Data) == 0 {
		return engine.ImageResult{}, engine.ErrNotAnalysed
	}
	r, err := c.Analyse(img.Data, img.SHA256)
	if err != nil {
		return engine.ImageResult{}, err
	}
	return r.ImageResult, nil
}

// Analyse decodes and hashes image bytes and matches them against the
// banks. declaredSHA256, when not empty, must be the hex SHA-256 of data.
func (c *Classifier) Analyse(data []byte, declaredSHA256 string) (*Result, error) {
	sum := sha256.Sum256(data)
	if declaredSHA256 != "" && !strings.EqualFold(declaredSHA256, hex.EncodeToString(sum[:])) {
		return nil, fieldError("image.sha256", "does not match the SHA-256 of image.data")
	}
	im, err := imagedecode.Decode(data, c.limits)
	if err != nil {
		return nil, fieldError("image.data", err.Error())
	}
	// The content model and the hashing are independent: run them side by
	// side, so an image costs the longer of the two, not their sum.
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
	variants, quality, err := pdq.DihedralFromImage(im.Image)
	if err != nil && !errors.Is(err, pdq.ErrTooSmall) {
		if content != nil {
			<-content
		}
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
	if content != nil {
		cr := <-content
		if cr.err != nil {
			return nil, fmt.Errorf("imagesignals: content model %w", cr.err)
		}
		res.Sources = cr.sources
		res.Analysed = append(res.Analysed, AnalysedContent)
	}
	return &Result{
		ImageResult: res,
		PDQ:         variants[0],
		Quality:     q.Quality,
	}, nil
}

func fieldError(field, problem string) error {
	return &engine.ValidationError{Fields: []engine.FieldError{{Field: field, Problem: problem}}}
}
