// Package textsignals is Haechi's text classifier: it normalises a message
// once, then runs the lexicon and the PII detector over it, and reports
// scores per source so that policy can weigh each on its own.
package textsignals

import (
	"context"
	"sync"

	"github.com/haechi-tns/haechi/classifiers/lexicon"
	"github.com/haechi-tns/haechi/classifiers/pii"
	"github.com/haechi-tns/haechi/classifiers/textnorm"
	"github.com/haechi-tns/haechi/engine"
)

// Source names, as they appear in Signals.Sources and in policies.
const (
	SourceLexicon = "lexicon"
	SourcePII     = "pii"
)

// Classifier implements engine.TextClassifier with the lexicon and the PII
// detector. It is safe for concurrent use.
type Classifier struct {
	lex   *lexicon.Lexicon
	pii   *pii.Detector
	texts sync.Pool // *textnorm.Text, reused between calls
}

// New builds a classifier from a lexicon and a PII detector.
func New(lex *lexicon.Lexicon, det *pii.Detector) *Classifier {
	return &Classifier{
		lex:   lex,
		pii:   det,
		texts: sync.Pool{New: func() any { return new(textnorm.Text) }},
	}
}

// Name identifies the classifier in decisions.
func (c *Classifier) Name() string { return "text" }

// Version identifies the lexicon the classifier uses.
func (c *Classifier) Version() string { return "lexicon-" + c.lex.Version() }

// ClassifyText scores one text.
func (c *Classifier) ClassifyText(_ context.Context, in engine.TextInput) (engine.TextResult, error) {
	t := c.texts.Get().(*textnorm.Text)
	defer c.texts.Put(t)
	t.Reset(in.Text)

	terms := c.lex.Match(t, nil)
	lex := make(engine.Scores, len(terms))
	for _, m := range terms {
		lex.Raise(m.Category, m.Weight)
	}
	res := engine.TextResult{
		Sources: map[string]engine.Scores{SourceLexicon: lex},
		Terms:   terms,
		PII:     c.pii.Detect(in.Text),
	}
	return res, nil
}
