// Package textsignals is Haechi's text classifier: it normalises a message
// once, then runs the lexicon, the PII detector, the link extractor, the
// grooming cue detector and, when one is loaded, the learned text model
// over it, and reports scores per source so that policy can weigh each on
// its own.
package textsignals

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/haechi-tns/haechi/classifiers/grooming"
	"github.com/haechi-tns/haechi/classifiers/lexicon"
	"github.com/haechi-tns/haechi/classifiers/links"
	"github.com/haechi-tns/haechi/classifiers/pii"
	"github.com/haechi-tns/haechi/classifiers/textcnn"
	"github.com/haechi-tns/haechi/classifiers/textmodel"
	"github.com/haechi-tns/haechi/classifiers/textnorm"
	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/behaviour"
)

// Source names, as they appear in Signals.Sources and in policies.
const (
	SourceLexicon = "lexicon"
	// ModelName is the text model's name in Signals.Models and in
	// policies (data.models.text).
	ModelName = "text"
	// StrongModelName is the stronger, slower text model's name there
	// (data.models.text_cnn).
	StrongModelName = "text_cnn"
)

// StrongModel is a text model that reads normalised text in order;
// *textcnn.Model implements it.
type StrongModel interface {
	Predict(texts []*textnorm.Text) ([][]float32, error)
	Manifest() *textcnn.Manifest
}

// Cascade says which messages the strong model reads. The fast model reads
// every message; the strong model reads those the fast model is not sure
// are clean, and every message in the listed spaces. When it reads a
// message, its probabilities replace the fast model's: it is the better
// judge of exactly the messages the fast model found hard.
type Cascade struct {
	// Band routes a message when, for some head, the fast model's
	// probability is at least Band times that head's threshold for the
	// message's language. 0 routes every message.
	Band float64
	// Spaces are the space types whose every message is routed.
	Spaces []engine.SpaceType
	// Withheld are strong-model heads that are measured but not served:
	// their probabilities never reach the policy.
	Withheld []engine.Category
	// KeepFast are heads whose fast-model probability is served beside
	// the strong stage's for routed messages, so the policy takes the
	// higher of the two (each on its own thresholds): for these the
	// cascade may add recall but never take it away.
	KeepFast []engine.Category
}

// DefaultCascade routes messages the fast model scores at half a
// threshold or more, every message in which the lexicon finds a term or a
// link, and every message in youth spaces. It serves every strong head,
// spam included: the strong model reads no long number (textcnn.Encode),
// so a citizen who gives the legal desk a phone number is not spam.
//
// It keeps the fast model's self-harm probability beside the strong
// stage's: a message about self-harm escalates to the counsellors, and on
// the demo traffic the strong stage alone found 37 % of the self-harm lines
// where the fast model found more than 45 %.
var DefaultCascade = Cascade{
	Band:     0.5,
	Spaces:   []engine.SpaceType{engine.SpaceYouth},
	KeepFast: []engine.Category{engine.SelfHarm},
}

// CascadeStats counts the messages the fast model scored and how many of
// them the strong model read.
type CascadeStats struct {
	Scored, Routed uint64
}

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

	strong      StrongModel
	strongHeads []engine.Category
	cascade     Cascade
	// strongSpam says the strong model's spam head is served: it has
	// one and the cascade does not withhold it.
	strongSpam bool
	scored     atomic.Uint64
	routed     atomic.Uint64
}

// work is one call's scratch space.
type work struct {
	text  textnorm.Text
	bag   textmodel.Bag
	ids   [1][]int32
	wts   [1][]float32
	texts [1]*textnorm.Text
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

// WithStrongModel adds a stronger text model behind the fast one, reading
// the messages the cascade routes to it (see Cascade). Without a fast
// model it reads every message.
func WithStrongModel(m StrongModel, cascade Cascade) Option {
	return func(c *Classifier) error {
		man := m.Manifest()
		c.strongHeads = make([]engine.Category, len(man.Heads))
		for i, h := range man.Heads {
			if !engine.Category(h).Valid() {
				return fmt.Errorf("textsignals: strong model head %q is not a category", h)
			}
			c.strongHeads[i] = engine.Category(h)
		}
		if !(cascade.Band >= 0 && cascade.Band <= 1) {
			return fmt.Errorf("textsignals: cascade band %v: want [0, 1]", cascade.Band)
		}
		c.strong, c.cascade = m, cascade
		c.strongSpam = slices.Contains(c.strongHeads, engine.Spam) && !slices.Contains(cascade.Withheld, engine.Spam)
		c.version += "+model-" + man.Name + "-" + man.Version
		return nil
	}
}

// Stats returns how many messages were scored and how many the strong
// model read.
func (c *Classifier) Stats() CascadeStats {
	return CascadeStats{Scored: c.scored.Load(), Routed: c.routed.Load()}
}

// New builds a classifier from a lexicon, a PII detector and options.
func New(lex *lexicon.Lexicon, det *pii.Detector, opts ...Option) (*Classifier, error) {
	c := &Classifier{
		lex:     lex,
		pii:     det,
		version: "lexicon-" + lex.Version() + "+links-" + links.Version + "+cues-" + grooming.Version(),
		work:    sync.Pool{New: func() any { return new(work) }},
	}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	if c.strong != nil {
		if b := c.strong.Manifest().Blend; b != nil {
			switch {
			case c.model == nil:
				return nil, fmt.Errorf("textsignals: strong model %s is tuned blended with model %s, which is not loaded", c.strong.Manifest().Name, b.Name)
			case c.model.Manifest().SHA256 != b.SHA256:
				return nil, fmt.Errorf("textsignals: strong model %s is tuned blended with model %s %.12s, but %.12s is loaded", c.strong.Manifest().Name, b.Name, b.SHA256, c.model.Manifest().SHA256)
			}
		}
	}
	return c, nil
}

// strongProbs is what the strong stage says of a message: the strong
// model's probabilities, blended with the fast model's when the strong
// model was tuned that way.
func (c *Classifier) strongProbs(strong, fast []float32) []float32 {
	man := c.strong.Manifest()
	if man.Blend == nil {
		return strong
	}
	return man.Blend.BlendProbs(nil, strong, man.Heads, fast, c.model.Manifest().Heads)
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
	var fast []float32
	if c.model != nil {
		c.feat.Featurize(&w.text, &w.bag)
		boundLength(w.bag.Weights)
		w.ids[0], w.wts[0] = w.bag.IDs, w.bag.Weights
		probs, err := c.model.Predict(w.ids[:], w.wts[:])
		if err != nil {
			return engine.TextResult{}, fmt.Errorf("textsignals: model: %w", err)
		}
		fast = probs[0]
		res.Models = c.modelScores(fast)
	}
	if c.strong != nil && c.route(in, &res, fast) {
		w.texts[0] = &w.text
		probs, err := c.strong.Predict(w.texts[:])
		if err != nil {
			return engine.TextResult{}, fmt.Errorf("textsignals: strong model: %w", err)
		}
		res.Models = c.routedScores(c.strongProbs(probs[0], fast), fast)
	}
	return res, nil
}

// route tells whether the strong model reads a message, and counts.
func (c *Classifier) route(in engine.TextInput, res *engine.TextResult, fast []float32) bool {
	c.scored.Add(1)
	r := c.routes(in, res, fast)
	if r {
		c.routed.Add(1)
	}
	return r
}

func (c *Classifier) routes(in engine.TextInput, res *engine.TextResult, fast []float32) bool {
	if c.model == nil || c.cascade.Band == 0 || len(res.Terms) > 0 || slices.Contains(c.cascade.Spaces, in.Space) {
		return true
	}
	// Only the strong model has a spam head, and spam carries a link, a
	// phone number or a short code to text more often than not.
	if c.strongSpam && (len(res.Links) > 0 || len(res.PII) > 0 || hasLongNumber(in.Text)) {
		return true
	}
	lang := in.Lang
	if lang == "" {
		lang = res.Lang
	}
	th := c.model.Manifest().Thresholds
	for i, p := range fast {
		// The overall toxic probability is not a category the policy acts
		// on, and the fast model gives ordinary English chat a third of
		// its English toxic threshold: it would route most of it.
		if c.heads[i] == engine.Toxic {
			continue
		}
		if float64(p) >= c.cascade.Band*textmodel.Threshold(th, string(c.heads[i]), lang) {
			return true
		}
	}
	return false
}

// hasLongNumber tells whether s has five ASCII digits in a row: a short
// code, an order or a phone number.
func hasLongNumber(s string) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			if run++; run == 5 {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
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
	if len(ins) == 0 {
		return out, nil
	}
	if c.model == nil {
		if c.strong == nil {
			return out, nil
		}
		texts := make([]*textnorm.Text, len(ins))
		for i, in := range ins {
			texts[i] = textnorm.Normalize(in.Text)
			c.route(in, &out[i], nil)
		}
		strong, err := c.strong.Predict(texts)
		if err != nil {
			return nil, fmt.Errorf("textsignals: strong model: %w", err)
		}
		for i := range out {
			out[i].Models = c.strongScores(strong[i])
		}
		return out, nil
	}
	probs, err := c.model.Predict(ids, wts)
	if err != nil {
		return nil, fmt.Errorf("textsignals: model: %w", err)
	}
	for i := range out {
		out[i].Models = c.modelScores(probs[i])
	}
	if c.strong == nil {
		return out, nil
	}
	var routed []int
	var texts []*textnorm.Text
	for i, in := range ins {
		if c.route(in, &out[i], probs[i]) {
			routed = append(routed, i)
			texts = append(texts, textnorm.Normalize(in.Text))
		}
	}
	if len(texts) == 0 {
		return out, nil
	}
	strong, err := c.strong.Predict(texts)
	if err != nil {
		return nil, fmt.Errorf("textsignals: strong model: %w", err)
	}
	for j, i := range routed {
		out[i].Models = c.routedScores(c.strongProbs(strong[j], probs[i]), probs[i])
	}
	return out, nil
}

// rules normalises text into t and runs the lexicon, the PII detector, the
// link extractor and the grooming cue detector.
func (c *Classifier) rules(t *textnorm.Text, text string) engine.TextResult {
	t.Reset(text)
	terms := c.lex.Match(t, nil)
	lex := make(engine.Scores, len(terms))
	for _, m := range terms {
		lex.Raise(m.Category, m.Weight)
	}
	res := engine.TextResult{
		Lang:    detectLang(t),
		Sources: map[string]engine.Scores{SourceLexicon: lex},
		Terms:   terms,
		PII:     c.pii.Detect(text),
		Cues:    grooming.Detect(t).Cues(),
	}
	if ls := notInEmails(links.Extract(text), res.PII); len(ls) > 0 {
		res.Links, res.LinkShare = ls, links.Share(text, ls)
	}
	res.Fingerprint = behaviour.NewFingerprint(t.Letters())
	return res
}

// notInEmails drops the links that overlap an e-mail address the PII
// detector found ("kim 골뱅이 naver 닷 com"): an address is personal
// information, redacted as such, not a link, and must not count twice.
func notInEmails(ls []engine.Link, spans []engine.PIISpan) []engine.Link {
	out := ls[:0]
	for _, l := range ls {
		inEmail := false
		for _, p := range spans {
			inEmail = inEmail || p.Type == engine.PIIEmail && p.Start < l.End && l.Start < p.End
		}
		if !inEmail {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
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

// routedScores is what a routed message reports: the strong stage's
// scores, and the fast model's for the heads the cascade keeps.
func (c *Classifier) routedScores(strong, fast []float32) map[string]engine.Scores {
	out := c.strongScores(strong)
	if fast == nil || len(c.cascade.KeepFast) == 0 {
		return out
	}
	kept := engine.Scores{}
	for i, h := range c.heads {
		if slices.Contains(c.cascade.KeepFast, h) {
			kept[h] = float64(fast[i])
		}
	}
	if len(kept) > 0 {
		out[ModelName] = kept
	}
	return out
}

func (c *Classifier) strongScores(probs []float32) map[string]engine.Scores {
	scores := make(engine.Scores, len(c.strongHeads))
	for i, h := range c.strongHeads {
		if !slices.Contains(c.cascade.Withheld, h) {
			scores[h] = float64(probs[i])
		}
	}
	return map[string]engine.Scores{StrongModelName: scores}
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
