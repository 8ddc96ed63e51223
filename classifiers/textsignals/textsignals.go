// Package textsignals is Haechi's text classifier: it normalises a message
// once, then runs the lexicon, the PII detector and, when one is loaded,
// the learned text model over it, and reports scores per source so that
// policy can weigh each on its own.
package textsignals

import (
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/haechi-tns/haechi/classifiers/lexicon"
	"github.com/haechi-tns/haechi/classifiers/pii"
	"github.com/haechi-tns/haechi/classifiers/textmodel"
	"github.com/haechi-tns/haechi/classifiers/textnorm"
	"github.com/haechi-tns/haechi/engine"
)

// Source names, as they appear in Signals.Sources and in policies.
const (
	SourceLexicon = "lexicon"
	// ModelName is the text model's name in Signals.Models and in
	// policies (data.models.text).
	ModelName = "text"
)

// Model is a text model that scores feature bags in batches;
// *textmodel.ORTModel implements it.
type Model interface {
	Predict(ids [][]int32, weights [][]float32) ([][]float32, error)
	Manifest() *textmodel.Manifest
}

// Classifier implements engine.TextClassifier. It is safe for concurrent
// use.
type Classifier struct {
	lex     *lexicon.Lexicon
	pii     *pii.Detector
	model   Model
	feat    textmodel.FeatureConfig
	heads   []engine.Category
	version string
	work    sync.Pool // *work, reused between calls
}

// work is one call's scratch space.
type work struct {
	text textnorm.Text
	bag  textmodel.Bag
	ids  [1][]int32
	wts  [1][]float32
}

// Option configures a Classifier.
type Option func(*Classifier) error

// WithModel adds a learned model as the "model" source. Its heads must be
// categories of the taxonomy.
func WithModel(m Model) Option {
	return func(c *Classifier) error {
		man := m.Manifest()
		feat, err := man.FeatureConfig()
		if err != nil {
			return err
		}
		c.heads = make([]engine.Category, len(man.Heads))
		for i, h := range man.Heads {
			if !engine.Category(h).Valid() {
				return fmt.Errorf("textsignals: model head %q is not a category", h)
			}
			c.heads[i] = engine.Category(h)
		}
		c.model, c.feat = m, feat
		c.version += "+model-" + man.Name + "-" + man.Version
		return nil
	}
}

// New builds a classifier from a lexicon, a PII detector and options.
func New(lex *lexicon.Lexicon, det *pii.Detector, opts ...Option) (*Classifier, error) {
	c := &Classifier{
		lex:     lex,
		pii:     det,
		version: "lexicon-" + lex.Version(),
		work:    sync.Pool{New: func() any { return new(work) }},
	}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Name identifies the classifier in decisions.
func (c *Classifier) Name() string { return "text" }

// Version identifies the lexicon and model the classifier uses.
func (c *Classifier) Version() string { return c.version }

// ClassifyText scores one text.
func (c *Classifier) ClassifyText(_ context.Context, in engine.TextInput) (engine.TextResult, error) {
	w := c.work.Get().(*work)
	defer c.work.Put(w)
	res := c.rules(&w.text, in.Text)
	if c.model != nil {
		c.feat.Featurize(&w.text, &w.bag)
		boundLength(w.bag.Weights)
		w.ids[0], w.wts[0] = w.bag.IDs, w.bag.Weights
		probs, err := c.model.Predict(w.ids[:], w.wts[:])
		if err != nil {
			return engine.TextResult{}, fmt.Errorf("textsignals: model: %w", err)
		}
		res.Models = c.modelScores(probs[0])
	}
	return res, nil
}

// ClassifyTexts scores several texts, running the model once on the whole
// batch; it implements engine.BatchTextClassifier.
func (c *Classifier) ClassifyTexts(_ context.Context, ins []engine.TextInput) ([]engine.TextResult, error) {
	out := make([]engine.TextResult, len(ins))
	ids := make([][]int32, len(ins))
	wts := make([][]float32, len(ins))
	w := c.work.Get().(*work)
	defer c.work.Put(w)
	for i, in := range ins {
		out[i] = c.rules(&w.text, in.Text)
		if c.model != nil {
			c.feat.Featurize(&w.text, &w.bag)
			ids[i] = append([]int32(nil), w.bag.IDs...)
			wts[i] = append([]float32(nil), w.bag.Weights...)
			boundLength(wts[i])
		}
	}
	if c.model == nil || len(ins) == 0 {
		return out, nil
	}
	probs, err := c.model.Predict(ids, wts)
	if err != nil {
		return nil, fmt.Errorf("textsignals: model: %w", err)
	}
	for i := range out {
		out[i].Models = c.modelScores(probs[i])
	}
	return out, nil
}

// rules normalises text into t and runs the lexicon and PII detector.
func (c *Classifier) rules(t *textnorm.Text, text string) engine.TextResult {
	t.Reset(text)
	terms := c.lex.Match(t, nil)
	lex := make(engine.Scores, len(terms))
	for _, m := range terms {
		lex.Raise(m.Category, m.Weight)
	}
	return engine.TextResult{
		Lang:    detectLang(t),
		Sources: map[string]engine.Scores{SourceLexicon: lex},
		Terms:   terms,
		PII:     c.pii.Detect(text),
	}
}

// maxBagLength bounds the length (Euclidean norm) of the feature bag the
// model sees. The featuriser weighs each feature count/√total, which keeps
// the bags of ordinary text near length 1 however long the text, but a
// text that repeats itself k times gives a bag √k times longer: "a " × 50
// gives 7.1. The model learned from few such texts (370 of the 451
// training texts longer than 2 are OLID tweets made of runs of @USER
// mentions) and reads the length itself as abuse: it scored "a " × 50
// over 0.94 for insult, harassment and profanity, and "ㅋ " × 40 0.94 for
// hate. Scaled down to this length, a text said more than four times
// scores as if said four times. Measured on the shared datasets (2026-12):
// 99 % of the bags are shorter (p99 1.93), and on the 9,812 texts of the
// test split the bound changes 2 head decisions. It belongs in the feature
// recipe (textmodel.FeatureConfig), where training would see it too; until
// the model is retrained with it, it is applied here, where it only
// touches such repetitive text.
const maxBagLength = 2

// boundLength scales a bag's weights down in place to at most
// maxBagLength.
func boundLength(weights []float32) {
	var sq float64
	for _, w := range weights {
		sq += float64(w) * float64(w)
	}
	if sq <= maxBagLength*maxBagLength {
		return
	}
	k := float32(maxBagLength / math.Sqrt(sq))
	for i := range weights {
		weights[i] *= k
	}
}

func (c *Classifier) modelScores(probs []float32) map[string]engine.Scores {
	scores := make(engine.Scores, len(c.heads))
	for i, h := range c.heads {
		scores[h] = float64(probs[i])
	}
	return map[string]engine.Scores{ModelName: scores}
}

// detectLang tells Korean from English by the letters of the normalised
// text: Korean if Hangul letters are at least as many as Latin ones.
func detectLang(t *textnorm.Text) string {
	hangul, latin := 0, 0
	for _, r := range t.Letters() {
		switch {
		case r >= 0xAC00 && r <= 0xD7A3, r >= 0x3131 && r <= 0x318E:
			hangul++
		case r >= 'a' && r <= 'z':
			latin++
		}
	}
	switch {
	case hangul > 0 && hangul >= latin:
		return "ko"
	case latin > 0:
		return "en"
	}
	return ""
}
