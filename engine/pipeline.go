package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Pipeline turns events into decisions: it runs the classifiers, gathers the
// sender's history and asks the policy. It holds no per-event state and is
// safe for concurrent use; every Decide call is independent.
type Pipeline struct {
	text   []TextClassifier
	images []ImageClassifier
	users  UserContextSource
	policy Policy
	now    func() time.Time
	newID  func() string
	models map[string]string
	// observer, if set, sees every decision and its policy input.
	observer DecisionObserver
	// behaviour, if set, keeps the state behind behavioural signals.
	behaviour BehaviourTracker
	// redactor, if set, makes the redacted copies of images.
	redactor ImageRedactor
	// deferText, if set, says in which space types Decide and
	// DecideBatch leave an image's text for a follow-up.
	deferText func(SpaceType) bool
}

// PipelineOption configures a Pipeline.
type PipelineOption func(*Pipeline)

// WithTextClassifiers adds text classifiers, run in order on every event
// with text.
func WithTextClassifiers(cs ...TextClassifier) PipelineOption {
	return func(p *Pipeline) { p.text = append(p.text, cs...) }
}

// WithImageClassifiers adds image classifiers, run on every image event.
func WithImageClassifiers(cs ...ImageClassifier) PipelineOption {
	return func(p *Pipeline) { p.images = append(p.images, cs...) }
}

// WithUserContext sets where sender histories come from.
func WithUserContext(u UserContextSource) PipelineOption {
	return func(p *Pipeline) { p.users = u }
}

// WithClock sets the clock that stamps decisions; tests use a fixed one.
func WithClock(now func() time.Time) PipelineOption {
	return func(p *Pipeline) { p.now = now }
}

// WithIDs sets how decision ids are made; tests use a counter.
func WithIDs(newID func() string) PipelineOption {
	return func(p *Pipeline) { p.newID = newID }
}

// WithObserver has o told of every decision, with its policy input
// (shadow policies).
func WithObserver(o DecisionObserver) PipelineOption {
	return func(p *Pipeline) { p.observer = o }
}

// WithBehaviour has Decide and DecideBatch observe every event with t
// and give the policy its behavioural signals.
func WithBehaviour(t BehaviourTracker) PipelineOption {
	return func(p *Pipeline) { p.behaviour = t }
}

// WithImageRedactor has r make the redacted copy of an image whose
// decision redacts personal information in its text. Without one, such a
// decision is made again as if the copy had failed (the policy holds the
// image).
func WithImageRedactor(r ImageRedactor) PipelineOption {
	return func(p *Pipeline) { p.redactor = r }
}

// WithTextDeferral has Decide and DecideBatch decide an image posted in
// a space type for which defer returns true without reading its text:
// the decision says image_text {"pending": true} and carries a
// PendingText, and FollowUp decides the event again with the text read.
// defer is called once per image event and must be safe for concurrent
// use. Only a caller that will follow the decisions up (the moderation
// service with its follow-up queue) should set it.
func WithTextDeferral(deferText func(SpaceType) bool) PipelineOption {
	return func(p *Pipeline) { p.deferText = deferText }
}

// defers reports whether ev's image text is left for a follow-up.
func (p *Pipeline) defers(ev *Event) bool {
	return p.deferText != nil && ev.Image != nil && p.deferText(ev.Space.Type)
}

// NewPipeline builds a pipeline around a policy.
func NewPipeline(policy Policy, opts ...PipelineOption) *Pipeline {
	p := &Pipeline{
		policy: policy,
		users:  NoUserContext{},
		now:    time.Now,
		newID:  func() string { return uuid.Must(uuid.NewV7()).String() },
	}
	for _, o := range opts {
		o(p)
	}
	p.models = make(map[string]string, len(p.text)+len(p.images))
	for _, c := range p.text {
		p.models[c.Name()] = c.Version()
	}
	for _, c := range p.images {
		p.models[c.Name()] = c.Version()
	}
	return p
}

// ModelVersions returns the name and version of every classifier.
func (p *Pipeline) ModelVersions() map[string]string {
	out := make(map[string]string, len(p.models))
	for k, v := range p.models {
		out[k] = v
	}
	return out
}

// Signals runs the classifiers on an event and returns what they found,
// without asking the policy. Classify tools and policy replays use it.
func (p *Pipeline) Signals(ctx context.Context, ev *Event) (*Signals, error) {
	sig := newSignals(ev)
	if text := ev.Text(); text != "" {
		if len(p.text) == 0 {
			return nil, errors.New("engine: no text classifier configured")
		}
		in := TextInput{Text: text, Lang: ev.Lang, Space: ev.Space.Type}
		for _, c := range p.text {
			res, err := c.ClassifyText(ctx, in)
			if err == nil {
				err = finite(res.Sources, res.Models)
			}
			if err != nil {
				return nil, fmt.Errorf("engine: classify text (%s): %w", c.Name(), err)
			}
			sig.addText(res)
		}
		sig.Analysed = append(sig.Analysed, "text")
	}
	return p.finishSignals(ctx, ev, sig, false)
}

// SignalsBatch runs the classifiers on several events, scoring their texts
// in one batch where a classifier supports it. Events must be valid.
func (p *Pipeline) SignalsBatch(ctx context.Context, evs []*Event) ([]*Signals, error) {
	sigs, err := p.textSignalsBatch(ctx, evs)
	if err != nil {
		return nil, err
	}
	for i, ev := range evs {
		if _, err := p.finishSignals(ctx, ev, sigs[i], false); err != nil {
			return nil, err
		}
	}
	return sigs, nil
}

// DecideBatch decides several valid events, scoring their texts in one
// batch, and returns a decision or an error for each: one event's failure
// (an image that does not decode, say) does not fail the others. As with
// Decide, no error is ever turned into a decision.
func (p *Pipeline) DecideBatch(ctx context.Context, evs []*Event) ([]*Decision, []error) {
	out := make([]*Decision, len(evs))
	errs := make([]error, len(evs))
	sigs, err := p.textSignalsBatch(ctx, evs)
	if err != nil {
		for i := range errs {
			errs[i] = err
		}
		return out, errs
	}
	for i, ev := range evs {
		if _, err := p.finishSignals(ctx, ev, sigs[i], p.defers(ev)); err != nil {
			errs[i] = err
			continue
		}
		user, err := p.users.UserContext(ctx, ev.Sender)
		if err != nil {
			errs[i] = fmt.Errorf("engine: user context: %w", err)
			continue
		}
		out[i], errs[i] = p.decideObserved(ctx, ev, sigs[i], user)
	}
	return out, errs
}

// decideObserved is DecideWith with the event's behavioural signals: the
// tracker observes the event first and learns of its decision after.
func (p *Pipeline) decideObserved(ctx context.Context, ev *Event, sig *Signals, user UserContext) (*Decision, error) {
	if p.behaviour == nil {
		return p.DecideWith(ctx, ev, sig, user)
	}
	b, err := p.behaviour.Observe(ctx, ev, sig)
	if err != nil {
		return nil, fmt.Errorf("engine: behaviour: %w", err)
	}
	sig.Behaviour = b
	d, err := p.DecideWith(ctx, ev, sig, user)
	if err == nil {
		p.behaviour.Record(ev, d)
	}
	return d, err
}

// textSignalsBatch starts the signals of evs with their text classifiers'
// results, batched where a classifier supports it.
func (p *Pipeline) textSignalsBatch(ctx context.Context, evs []*Event) ([]*Signals, error) {
	sigs := make([]*Signals, len(evs))
	var ins []TextInput
	var idx []int
	for i, ev := range evs {
		sigs[i] = newSignals(ev)
		if text := ev.Text(); text != "" {
			ins = append(ins, TextInput{Text: text, Lang: ev.Lang, Space: ev.Space.Type})
			idx = append(idx, i)
		}
	}
	if len(ins) > 0 {
		if len(p.text) == 0 {
			return nil, errors.New("engine: no text classifier configured")
		}
		for _, c := range p.text {
			var results []TextResult
			if bc, ok := c.(BatchTextClassifier); ok {
				var err error
				if results, err = bc.ClassifyTexts(ctx, ins); err != nil {
					return nil, fmt.Errorf("engine: classify texts (%s): %w", c.Name(), err)
				}
				if len(results) != len(ins) {
					return nil, fmt.Errorf("engine: classify texts (%s): %d results for %d texts", c.Name(), len(results), len(ins))
				}
			} else {
				results = make([]TextResult, len(ins))
				for j, in := range ins {
					res, err := c.ClassifyText(ctx, in)
					if err != nil {
						return nil, fmt.Errorf("engine: classify text (%s): %w", c.Name(), err)
					}
					results[j] = res
				}
			}
			for j, res := range results {
				if err := finite(res.Sources, res.Models); err != nil {
					return nil, fmt.Errorf("engine: classify texts (%s): %w", c.Name(), err)
				}
				sigs[idx[j]].addText(res)
			}
		}
		for _, i := range idx {
			sigs[i].Analysed = append(sigs[i].Analysed, "text")
		}
	}
	return sigs, nil
}

func newSignals(ev *Event) *Signals {
	return &Signals{Scores: make(Scores, 4), Analysed: make([]string, 0, 2), Lang: primaryLang(ev.Lang)}
}

// addText merges one text classifier's result.
func (sig *Signals) addText(res TextResult) {
	sig.addSources(res.Sources)
	for name, probs := range res.Models {
		if sig.Models == nil {
			sig.Models = make(map[string]Scores, len(res.Models))
		}
		sig.Models[name] = probs
	}
	if sig.Lang == "" {
		sig.Lang = res.Lang
	}
	sig.PII = append(sig.PII, res.PII...)
	sig.Terms = append(sig.Terms, res.Terms...)
	sig.Links = append(sig.Links, res.Links...)
	sig.LinkShare = max(sig.LinkShare, res.LinkShare)
	for _, c := range res.Cues {
		if !slices.Contains(sig.Cues, c) {
			sig.Cues = append(sig.Cues, c)
		}
	}
	if res.Fingerprint != (TextFingerprint{}) {
		sig.Fingerprint = res.Fingerprint
	}
}

// AddImage merges one image classifier's result: its scores, hash matches
// and what it analysed.
func (sig *Signals) AddImage(res ImageResult) {
	sig.addSources(res.Sources)
	sig.HashMatches = append(sig.HashMatches, res.HashMatches...)
	if res.Text != nil && (sig.ImageText == nil || sig.ImageText.Error != "") {
		sig.ImageText = res.Text
	}
	for _, a := range res.Analysed {
		if !slices.Contains(sig.Analysed, a) {
			sig.Analysed = append(sig.Analysed, a)
		}
	}
}

// finishSignals runs the image classifiers, asking them to leave the
// image's text for later when deferText, and derives the toxic score.
func (p *Pipeline) finishSignals(ctx context.Context, ev *Event, sig *Signals, deferText bool) (*Signals, error) {
	if ev.Image != nil {
		for _, c := range p.images {
			res, err := c.ClassifyImage(ctx, ImageInput{Image: ev.Image, Space: ev.Space.Type, Lang: ev.Lang, DeferText: deferText})
			switch {
			case errors.Is(err, ErrNotAnalysed):
				continue
			case IsValidationError(err):
				return nil, err
			case err != nil:
				return nil, fmt.Errorf("engine: classify image (%s): %w", c.Name(), err)
			}
			var textGroups []map[string]Scores
			if res.Text != nil {
				textGroups = []map[string]Scores{res.Text.Sources, res.Text.Models, {"image_text": res.Text.Scores}}
			}
			if err := finite(append(textGroups, res.Sources)...); err != nil {
				return nil, fmt.Errorf("engine: classify image (%s): %w", c.Name(), err)
			}
			sig.AddImage(res)
		}
	}
	// A classifier may score toxic itself; the overall score is never below
	// any abuse category's.
	toxic := sig.Scores[Toxic]
	for _, c := range AbuseCategories {
		toxic = max(toxic, sig.Scores[c])
	}
	sig.Scores[Toxic] = toxic
	return sig, nil
}

// Decide moderates one event. It validates the event, runs the classifiers,
// looks up the sender's history and evaluates the policy. Any failure is
// returned as an error: Decide never falls back to allowing content it could
// not judge. Errors from invalid events satisfy IsValidationError.
func (p *Pipeline) Decide(ctx context.Context, ev *Event) (*Decision, error) {
	if err := ev.Validate(); err != nil {
		return nil, err
	}
	sigs, err := p.textSignalsBatch(ctx, []*Event{ev})
	if err != nil {
		return nil, err
	}
	sig, err := p.finishSignals(ctx, ev, sigs[0], p.defers(ev))
	if err != nil {
		return nil, err
	}
	user, err := p.users.UserContext(ctx, ev.Sender)
	if err != nil {
		return nil, fmt.Errorf("engine: user context: %w", err)
	}
	return p.decideObserved(ctx, ev, sig, user)
}

// FollowUp decides again a valid event whose first decision left its
// image's text for later (Decision.Pending): the text is read now,
// whatever the space type, and the policy judges the event on it with
// the behavioural signals it had when first decided (b; the tracker
// does not observe the event twice). The decision is new (a new id); the
// caller sets Supersedes and decides whether it replaces the first.
func (p *Pipeline) FollowUp(ctx context.Context, ev *Event, b *BehaviourSignals) (*Decision, error) {
	if err := ev.Validate(); err != nil {
		return nil, err
	}
	sigs, err := p.textSignalsBatch(ctx, []*Event{ev})
	if err != nil {
		return nil, err
	}
	sig, err := p.finishSignals(ctx, ev, sigs[0], false)
	if err != nil {
		return nil, err
	}
	user, err := p.users.UserContext(ctx, ev.Sender)
	if err != nil {
		return nil, fmt.Errorf("engine: user context: %w", err)
	}
	sig.Behaviour = b
	return p.DecideWith(ctx, ev, sig, user)
}

// DecideWith asks the policy about an event whose signals and user context
// are already known.
func (p *Pipeline) DecideWith(ctx context.Context, ev *Event, sig *Signals, user UserContext) (*Decision, error) {
	in := &PolicyInput{Event: policyEvent(ev), Signals: sig, User: user}
	res, err := p.evaluate(ctx, in)
	if err != nil {
		return nil, err
	}
	var redacted *RedactedImage
	if boxes := imageRedaction(ev, sig, res); boxes != nil {
		if redacted, err = p.redactImage(ctx, ev, boxes); err != nil {
			// No copy: the original must not go out under a redact. The
			// policy is asked again, told so, and holds the image.
			sig.ImageText.RedactionFailed = true
			if res, err = p.evaluate(ctx, in); err != nil {
				return nil, err
			}
			if imageRedaction(ev, sig, res) != nil {
				return nil, fmt.Errorf("engine: policy: revision %s redacts an image whose redacted copy failed (signals.image_text.redaction_failed) instead of holding it", res.Revision)
			}
		}
	}
	d := &Decision{
		ID:             p.newID(),
		EventID:        ev.ID,
		EventKind:      ev.Kind,
		Lang:           sig.Lang,
		World:          ev.World,
		Space:          ev.Space,
		SenderID:       ev.Sender.ID,
		Action:         res.Action,
		Categories:     res.Categories,
		RuleIDs:        res.RuleIDs,
		Principle:      res.Principle,
		Value:          res.Value,
		Severity:       res.Severity,
		Reasons:        res.Reasons,
		Queue:          res.Queue,
		Scores:         sig.Scores,
		Evidence:       res.Evidence,
		PII:            sig.PII,
		HashMatches:    sig.HashMatches,
		Fired:          res.Fired,
		PolicyRevision: res.Revision,
		ModelVersions:  p.models,
		DecidedAt:      p.now().UTC(),
	}
	if it := sig.ImageText; it != nil {
		d.ImageText = &ImageTextEvidence{Pending: it.Pending, Error: it.Error, Words: it.Words, Evidence: res.ImageTextEvidence, PII: it.PII,
			RedactionFailed: it.RedactionFailed}
		if it.Pending {
			d.ImageText.Evidence = nil
			d.Pending = &PendingText{Behaviour: sig.Behaviour}
		}
	}
	d.RedactedImage = redacted
	if len(sig.Terms) > 0 {
		d.Terms = make([]TermSpan, len(sig.Terms))
		for i, t := range sig.Terms {
			d.Terms[i] = TermSpan{Category: t.Category, Start: t.Start, End: t.End}
		}
	}
	if res.Action.Restricts() && len(sig.Links) > 0 {
		d.Links = make([]LinkSpan, len(sig.Links))
		for i, l := range sig.Links {
			d.Links[i] = LinkSpan{Domain: l.Domain, Start: l.Start, End: l.End}
		}
	}
	if res.Action == ActionRedact {
		d.RedactedText = Redact(ev.Text(), sig, res.Redact)
	}
	if res.Action.Restricts() {
		d.Behaviour = sig.Behaviour
	}
	if p.observer != nil {
		p.observer.ObserveDecision(in, d)
	}
	return d, nil
}

// evaluate asks the policy and checks its answer.
func (p *Pipeline) evaluate(ctx context.Context, in *PolicyInput) (*PolicyResult, error) {
	res, err := p.policy.Evaluate(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("engine: policy: %w", err)
	}
	if err := res.Validate(); err != nil {
		return nil, fmt.Errorf("engine: policy: %w", err)
	}
	return res, nil
}

// imageRedaction returns the boxes to fill in the image of ev when res
// redacts personal information its text holds, nil when it does not
// (another action, or only the caption's PII is masked). The boxes are
// those of every piece of the masked types.
func imageRedaction(ev *Event, sig *Signals, res *PolicyResult) []Box {
	if res.Action != ActionRedact || ev.Image == nil || sig.ImageText == nil {
		return nil
	}
	var boxes []Box
	for _, p := range sig.ImageText.PII {
		if slices.Contains(res.Redact.PII, p.Type) {
			boxes = append(boxes, p.Boxes...)
		}
	}
	if boxes == nil && slices.ContainsFunc(sig.ImageText.PII, func(p ImagePII) bool { return slices.Contains(res.Redact.PII, p.Type) }) {
		// PII to mask without a box: nothing can be filled, which is a
		// failure, not nothing to do.
		return []Box{}
	}
	return boxes
}

// redactImage makes the redacted copy of ev's image.
func (p *Pipeline) redactImage(ctx context.Context, ev *Event, boxes []Box) (*RedactedImage, error) {
	if p.redactor == nil {
		return nil, errors.New("engine: no image redactor configured")
	}
	if len(boxes) == 0 {
		return nil, errors.New("engine: personal information to mask in an image without boxes")
	}
	ri, err := p.redactor.RedactImage(ctx, ev.Image, boxes)
	if err != nil {
		return nil, fmt.Errorf("engine: redact image: %w", err)
	}
	return ri, nil
}

// finite refuses NaN and infinite scores: a classifier fault that would
// otherwise read as a score of 0 and could be neither judged nor stored.
func finite(groups ...map[string]Scores) error {
	for _, g := range groups {
		for name, sc := range g {
			for c, v := range sc {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return fmt.Errorf("%s scored %s as %v", name, c, v)
				}
			}
		}
	}
	return nil
}

// primaryLang reduces a language tag to its primary subtag ("ko-KR" → "ko").
func primaryLang(tag string) string {
	for i, r := range tag {
		if r == '-' || r == '_' {
			return strings.ToLower(tag[:i])
		}
	}
	return strings.ToLower(tag)
}

func policyEvent(ev *Event) PolicyEvent {
	pe := PolicyEvent{
		ID: ev.ID, Kind: ev.Kind, World: ev.World, Space: ev.Space,
		Sender: ev.Sender, Lang: ev.Lang,
	}
	text := ev.Text()
	pe.TextLength = utf8.RuneCountInString(text)
	if ev.Chat != nil {
		pe.Recipient = ev.Chat.Recipient
	}
	if ev.Voice != nil {
		pe.Confidence = ev.Voice.Confidence
	}
	return pe
}

// Redact masks, in text, the PII spans and lexicon matches that r names:
// every code point inside such a span except spaces becomes '*'. Offsets in
// sig are code points into text, as classifiers promise.
func Redact(text string, sig *Signals, r Redaction) string {
	runes := []rune(text)
	mask := func(start, end int) {
		start, end = max(start, 0), min(end, len(runes))
		for i := start; i < end; i++ {
			if !unicode.IsSpace(runes[i]) {
				runes[i] = '*'
			}
		}
	}
	for _, s := range sig.PII {
		if slices.Contains(r.PII, s.Type) {
			mask(s.Start, s.End)
		}
	}
	for _, t := range sig.Terms {
		if slices.Contains(r.Categories, t.Category) {
			mask(t.Start, t.End)
		}
	}
	return string(runes)
}
