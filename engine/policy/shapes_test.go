package policy

import (
	"bytes"
	"context"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/internal/racetest"
)

// fullDecision is the bundle's own decision on in: every rule evaluated,
// the bundle's aggregation, no fast path and no shape.
func fullDecision(t *testing.T, p *prepared, in *engine.PolicyInput) *engine.PolicyResult {
	t.Helper()
	evidence := p.models.evidence(in.Signals)
	reached := p.levels.reached(p.candidates(evidence), in.Event.Space.Type, in.User.Strikes)
	want, err := p.evaluate(context.Background(), inputValue(in, evidence, nil, reached, allInput, false))
	if err != nil {
		t.Fatal(err)
	}
	want.Evidence = evidence
	return want
}

// freshShapes forgets the shapes e's revision proved or refused: a
// revision that passed is shared by every engine of the process
// (cache.go), so earlier tests' shapes would otherwise be there.
func freshShapes(e *Engine) *prepared {
	p := e.cur.Load()
	p.shapes.wait()
	p.shapes.mu.Lock()
	defer p.shapes.mu.Unlock()
	clear(p.shapes.proven)
	clear(p.shapes.refused)
	clear(p.shapes.seen)
	clear(p.shapes.classes)
	p.shapes.tries = [2]int{}
	return p
}

// decideTwice has e decide msgs twice, waiting for the shapes' proofs
// after each pass, and holds every decision to the bundle's own.
func decideTwice(t *testing.T, e *Engine, msgs []*engine.PolicyInput) {
	t.Helper()
	p := e.cur.Load()
	for pass := range 2 {
		for i, in := range msgs {
			got, err := e.Evaluate(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if want := fullDecision(t, p, in); !reflect.DeepEqual(got, want) {
				t.Fatalf("pass %d, message %d (%+v, signals %+v, user %+v): engine %+v, policy %+v", pass, i, in.Event, *in.Signals, in.User, *got, *want)
			}
		}
		p.shapes.wait()
	}
}

// shapedMessage is a random message (randomMessage) that, two times in
// three, scores high in one or two categories and carries nothing else
// that is notable.
func shapedMessage(rng *rand.Rand) *engine.PolicyInput {
	in := randomMessage(rng)
	if rng.IntN(3) == 0 {
		return in
	}
	in.Signals.PII, in.Signals.Links, in.Signals.LinkShare, in.Signals.Cues, in.User.Reporters = nil, nil, 0, nil, 0
	if in.Signals.Behaviour != nil {
		in.Signals.Behaviour = &engine.BehaviourSignals{Rate10s: 1, Rate60s: 2, Rate10m: 3, AccountAgeHours: 4000}
	}
	clear(in.Signals.Scores)
	for range 1 + rng.IntN(2) {
		in.Signals.Scores[engine.TextCategories[rng.IntN(len(engine.TextCategories))]] = 0.4 + 0.6*rng.Float64()
	}
	return in
}

// TestShapesAgreeWithThePolicy: messages quiet but for the levels they
// reach, in every space, from every kind of sender, chat and voice, get
// the bundle's own decision, first while their shapes are proven and
// again once the proven shapes serve them. Voice transcripts whose
// violations block depend on the transcript's confidence (a block is
// downgraded to a hold), so some shapes must be refused.
func TestShapesAgreeWithThePolicy(t *testing.T) {
	racetest.Heavy(t)
	e := repoEngine(t)
	p := freshShapes(e)
	rng := rand.New(rand.NewPCG(15, 41))
	msgs := make([]*engine.PolicyInput, 1500)
	for i := range msgs {
		msgs[i] = shapedMessage(rng)
	}
	decideTwice(t, e, msgs)
	proven, refused := p.shapes.counts()
	if testing.Verbose() {
		for k, why := range p.shapes.refused {
			t.Logf("refused %v: %s", k, why[:min(len(why), 150)])
		}
	}
	st := e.Stats()
	t.Logf("%d shapes proven, %d refused; %d of %d decisions by a shape", proven, refused, st.Shaped, st.Decided)
	if proven < 20 || refused < 1 || st.Shaped < uint64(len(msgs))/4 {
		t.Errorf("%d shapes proven, %d refused, %d decisions by a shape: the test does not exercise the shapes", proven, refused, st.Shaped)
	}
}

// TestShapesUnderConcurrency: goroutines deciding the same few shapes at
// once while they are proven get the bundle's decisions (run under -race).
func TestShapesUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	e := repoEngine(t)
	p := freshShapes(e)
	ins := []*engine.PolicyInput{
		chatInput(engine.SpacePlaza, engine.Scores{engine.Profanity: 0.95}),
		chatInput(engine.SpacePlaza, engine.Scores{engine.Profanity: 0.95, engine.Insult: 0.95}),
		chatInput(engine.SpaceLibrary, engine.Scores{engine.Threat: 0.97}),
	}
	want := make([]*engine.PolicyResult, len(ins))
	for i, in := range ins {
		want[i] = fullDecision(t, p, in)
	}
	var wrong atomic.Int64
	done := make(chan struct{})
	for g := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 60 {
				k := (g + i) % len(ins)
				got, err := e.Evaluate(ctx, ins[k])
				if err != nil || !reflect.DeepEqual(got, want[k]) {
					wrong.Add(1)
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
	p.shapes.wait()
	if wrong.Load() > 0 {
		t.Fatalf("%d decisions differ from the policy's", wrong.Load())
	}
	if proven, _ := p.shapes.counts(); proven != len(ins) {
		t.Errorf("%d shapes proven, want %d", proven, len(ins))
	}
}

// TestShapesHonourAnEditedBundle: an operator's rule that fires on a
// level only for long texts makes the decision of that level depend on
// more than the levels. Two messages of the one shape (profanity's redact
// in the plaza), a long and a short one, get the bundle's different
// decisions before and after the shape's proof, which is refused.
func TestShapesHonourAnEditedBundle(t *testing.T) {
	racetest.Heavy(t)
	ctx := context.Background()
	const file, old = "inclusiveness.rego", "violation contains v if {\n\tsome cat, levels in lib.reached"
	e := editedEngine(t, file, old, `violation contains v if {
	lib.reached.profanity.redact
	input.event.text_length > 4000
	v := {"rule_id": "operator.long_profanity", "action": "hold", "category": "profanity", "principle": "inclusiveness",
		"value": "safe_experience", "severity": "medium", "reason": {"ko": "긴 욕설", "en": "A wall of profanity."}}
}

`+old)
	p := freshShapes(e)
	long := chatInput(engine.SpacePlaza, engine.Scores{engine.Profanity: 0.95})
	long.Event.TextLength = 5000
	short := chatInput(engine.SpacePlaza, engine.Scores{engine.Profanity: 0.95})
	reached := map[engine.Category][]string{engine.Profanity: {"redact"}}
	kl, okl := keyOf(long, reached, p.quietWaves)
	ks, oks := keyOf(short, reached, p.quietWaves)
	if !okl || !oks || kl != ks {
		t.Fatalf("the long and the short message are not one shape: %v %v", kl, ks)
	}
	for range 2 {
		for _, in := range []*engine.PolicyInput{long, short} {
			got, err := e.Evaluate(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			if want := fullDecision(t, p, in); !reflect.DeepEqual(got, want) {
				t.Fatalf("%d letters: engine %+v, policy %+v", in.Event.TextLength, *got, *want)
			}
		}
		p.shapes.wait()
	}
	for _, c := range []struct {
		in   *engine.PolicyInput
		want engine.Action
	}{{long, engine.ActionHold}, {short, engine.ActionRedact}} {
		got, err := e.Evaluate(ctx, c.in)
		if err != nil {
			t.Fatal(err)
		}
		if got.Action != c.want {
			t.Errorf("%d letters: %+v, want %s", c.in.Event.TextLength, *got, c.want)
		}
	}
	if why := p.shapes.why(kl); !strings.Contains(why, "input.event.text_length") {
		t.Errorf("shape %v refused for %q, want the text length named", kl, why)
	}
	if e.Stats().Shaped != 0 {
		t.Errorf("%d decisions by a shape", e.Stats().Shaped)
	}
}

// TestShapeWitnessDisagreeing: a proof whose decision differs from the
// full evaluation's (what a disagreement between the proofs and the
// engine would look like) refuses the shape and says so.
func TestShapeWitnessDisagreeing(t *testing.T) {
	e := repoEngine(t)
	p := freshShapes(e)
	in := chatInput(engine.SpacePlaza, engine.Scores{engine.Profanity: 0.95})
	reached := map[engine.Category][]string{engine.Profanity: {"redact"}}
	k, ok := keyOf(in, reached, p.quietWaves)
	if !ok {
		t.Fatal("profanity alone has no shape")
	}
	wrong := fullDecision(t, p, in)
	wrong.Action = engine.ActionAllow
	var logged bytes.Buffer
	p.shapes.observe(k, reached, wrong, slog.New(slog.NewTextHandler(&logged, nil)), "r1")
	p.shapes.wait()
	told := logged.String()
	if p.shapes.decision(k) != nil || !strings.Contains(p.shapes.why(k), "differs") || !strings.Contains(told, "level=ERROR") || !strings.Contains(told, "differs") {
		t.Errorf("shape with a disagreeing witness: decision %v, why %q, logged %q", p.shapes.decision(k), p.shapes.why(k), told)
	}
}

// TestShapeLimit: a revision stops proving reached shapes after
// shapeLimit, and input shapes after as many of their own, so a stream of
// unusual combinations costs bounded work and memory; one kind's tries do
// not use up the other's.
func TestShapeLimit(t *testing.T) {
	e := repoEngine(t)
	p := freshShapes(e)
	s := p.shapes
	s.mu.Lock()
	for i := range shapeLimit {
		s.refused[shapeKey{reached: strings.Repeat("x", i+1)}] = "filler"
	}
	s.tries[0] = shapeLimit
	s.mu.Unlock()
	reached := chatInput(engine.SpacePlaza, engine.Scores{engine.Profanity: 0.95})
	pii := chatInput(engine.SpacePlaza, engine.Scores{engine.Toxic: 0})
	pii.Signals.PII = []engine.PIISpan{{Type: engine.PIIPhone, Start: 0, End: 13, Score: 0.95}}
	decide := func(in *engine.PolicyInput) {
		t.Helper()
		for range 3 {
			got, err := e.Evaluate(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if want := fullDecision(t, p, in); !reflect.DeepEqual(got, want) {
				t.Fatalf("past the limit: engine %+v, policy %+v", *got, *want)
			}
			s.wait()
		}
	}
	decide(reached)
	decide(pii)
	if proven, refused := s.counts(); proven != 1 || refused != shapeLimit {
		t.Errorf("%d proven and %d refused with the reached shapes' limit reached, want the input shape proven", proven, refused)
	}
	s.mu.Lock()
	clear(s.proven)
	s.tries[1] = shapeLimit
	s.mu.Unlock()
	decide(pii)
	if proven, _ := s.counts(); proven != 0 {
		t.Errorf("an input shape was proven past its limit")
	}
}

// TestShapeKey: a shape names the levels exactly, whatever order they
// were listed in or how often, and a message with something else notable
// has none.
func TestShapeKey(t *testing.T) {
	in := chatInput(engine.SpacePlaza, engine.Scores{engine.Profanity: 0.95})
	a, ok := keyOf(in, map[engine.Category][]string{engine.Insult: {"redact", "block"}, engine.Profanity: {"redact"}}, true)
	b, _ := keyOf(in, map[engine.Category][]string{engine.Profanity: {"redact", "redact"}, engine.Insult: {"block", "redact"}}, true)
	if !ok || a != b || a.reached != "insult:block,redact;profanity:redact" {
		t.Errorf("keys %+v and %+v", a, b)
	}
	// Names come from the bundle's data: one holding the key's separators
	// is quoted, so that it cannot pass for two.
	odd, _ := keyOf(in, map[engine.Category][]string{engine.Insult: {"block,redact"}}, true)
	two, _ := keyOf(in, map[engine.Category][]string{engine.Insult: {"block", "redact"}}, true)
	if odd == two || odd.reached != `insult:"block,redact"` {
		t.Errorf("a level named %q has key %q, and two levels %q", "block,redact", odd.reached, two.reached)
	}
	if _, ok := keyOf(in, nil, true); ok {
		t.Error("a message reaching nothing has a shape (the fast path's case)")
	}
	withPII := chatInput(engine.SpacePlaza, engine.Scores{engine.Profanity: 0.95})
	withPII.Signals.PII = []engine.PIISpan{{Type: engine.PIIPhone, Start: 0, End: 13, Score: 0.9}}
	if _, ok := keyOf(withPII, map[engine.Category][]string{engine.Profanity: {"redact"}}, true); ok {
		t.Error("a message with personal information has a shape")
	}
	reported := chatInput(engine.SpacePlaza, engine.Scores{engine.Profanity: 0.95})
	reported.User.Reporters = 2
	if _, ok := keyOf(reported, map[engine.Category][]string{engine.Profanity: {"redact"}}, true); ok {
		t.Error("a reported sender's message has a shape")
	}
}

// BenchmarkShapeProof: the proofs of one shape (profanity's redact
// alone), after the proofs' compilers were made once for the revision.
func BenchmarkShapeProof(b *testing.B) {
	e := repoEngine(b)
	s := e.cur.Load().shapes
	reached := map[engine.Category][]string{engine.Profanity: {"redact"}}
	if d, why, err := s.prove(quietChat, reached); err != nil || d == nil {
		b.Fatalf("not proven: %q, %v", why, err)
	}
	for b.Loop() {
		if _, _, err := s.prove(quietChat, reached); err != nil {
			b.Fatal(err)
		}
	}
}
