package policy

import (
	"context"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/internal/racetest"
)

// varied is a copy of in with what an input shape leaves unknown
// changed: ids, world, lengths, confidence, a sender's history, the
// behaviour's counts, the link's share, the PII's offsets, and the scores
// a little (which may change the levels reached, and so the shape).
func varied(rng *rand.Rand, in *engine.PolicyInput) *engine.PolicyInput {
	c := *in
	c.Event.ID, c.Event.World = "e"+string(rune('a'+rng.IntN(26))), []string{"w", "w2"}[rng.IntN(2)]
	c.Event.Space.ID = "s" + string(rune('a'+rng.IntN(26)))
	c.Event.Sender.ID = "u" + string(rune('a'+rng.IntN(26)))
	if in.Event.Recipient != nil {
		r := *in.Event.Recipient
		r.ID = "r" + string(rune('a'+rng.IntN(26)))
		c.Event.Recipient = &r
	}
	c.Event.TextLength, c.Event.Confidence = rng.IntN(600), rng.Float64()
	c.User.Strikes, c.User.RecentFlags = rng.IntN(4), rng.IntN(5)
	s := *in.Signals
	s.Scores = engine.Scores{}
	for k, v := range in.Signals.Scores {
		s.Scores[k] = min(1, v*(0.9+0.2*rng.Float64()))
	}
	if len(s.Links) > 0 {
		s.LinkShare = rng.Float64()
	}
	s.PII = nil
	for _, p := range in.Signals.PII {
		p.Start = rng.IntN(40)
		p.End = p.Start + 8 + rng.IntN(10)
		s.PII = append(s.PII, p)
	}
	if b := in.Signals.Behaviour; b != nil {
		nb := *b
		nb.Rate10s, nb.Rate60s, nb.Rate10m = rng.IntN(engine.FloorRate10s+1), rng.IntN(engine.FloorRate60s+1), rng.IntN(40)
		nb.AccountAgeHours = rng.IntN(9000) - 1
		s.Behaviour = &nb
	}
	c.Signals = &s
	return &c
}

// TestInputShapesAgreeWithThePolicy: messages of a few dozen classes
// (spaces, roles, ages, recipients, PII, links, cues, behaviour, chat and
// voice), each sent many times with different ids, counts, lengths,
// offsets and scores, get the bundle's own decision (every field of the
// input, the bundle's aggregation) while their input shapes are proven
// and once proven shapes serve them; some classes must be refused (a
// link's share of the text, a count past its threshold).
func TestInputShapesAgreeWithThePolicy(t *testing.T) {
	racetest.Heavy(t)
	e := repoEngine(t)
	p := freshShapes(e)
	rng := rand.New(rand.NewPCG(7, 77))
	classes := make([]*engine.PolicyInput, 60)
	for i := range classes {
		classes[i] = randomMessage(rng)
	}
	msgs := make([]*engine.PolicyInput, 3000)
	for i := range msgs {
		msgs[i] = varied(rng, classes[rng.IntN(len(classes))])
	}
	decideTwice(t, e, msgs)
	var proven, refused int
	p.shapes.mu.RLock()
	for k := range p.shapes.proven {
		if k.input != "" {
			proven++
		}
	}
	for k, why := range p.shapes.refused {
		if k.input != "" {
			refused++
			if testing.Verbose() {
				t.Logf("refused %s: %s", k.input[:min(len(k.input), 120)], why[:min(len(why), 150)])
			}
		}
	}
	p.shapes.mu.RUnlock()
	st := e.Stats()
	t.Logf("%d input shapes proven, %d refused; %d of %d decisions by an input shape", proven, refused, st.InputShaped, st.Decided)
	if proven < 5 || refused < 1 || st.InputShaped < uint64(len(msgs))/10 {
		t.Errorf("%d input shapes proven, %d refused, %d decisions by one: the test does not exercise them", proven, refused, st.InputShaped)
	}
}

// TestInputShapeKeys: two inputs have one key exactly when they differ in
// free fields alone, and the same free fields are there.
func TestInputShapeKeys(t *testing.T) {
	p := repoEngine(t).cur.Load()
	base := func() *engine.PolicyInput {
		in, _ := typicalInput()
		in.Event.Sender.AgeBand = engine.AgeAdult
		in.Signals.PII = []engine.PIISpan{{Type: engine.PIIPhone, Start: 3, End: 16, Score: 0.95}}
		in.Signals.Links = []engine.Link{{Host: "news.seoul.go.kr", Domain: "seoul.go.kr"}}
		in.Signals.LinkShare = 0.3
		return in
	}
	key := func(edit func(*engine.PolicyInput)) string {
		in := base()
		edit(in)
		ev := p.models.evidence(in.Signals)
		reached := p.levels.reached(p.candidates(ev), in.Event.Space.Type, in.User.Strikes)
		k, _, ok := inputShapeOf(in, inputValue(in, ev, nil, reached, p.reads, p.quietWaves), p.shapes, p.quietWaves)
		if !ok {
			t.Fatal("no input shape")
		}
		return k.input
	}
	same := key(func(*engine.PolicyInput) {})
	for name, edit := range map[string]func(*engine.PolicyInput){
		"ids": func(in *engine.PolicyInput) {
			in.Event.ID, in.Event.Sender.ID, in.Event.Space.ID = "other", "other", "other"
		},
		"offsets":     func(in *engine.PolicyInput) { in.Signals.PII[0].Start, in.Signals.PII[0].End = 30, 43 },
		"link share":  func(in *engine.PolicyInput) { in.Signals.LinkShare = 0.9 },
		"a low score": func(in *engine.PolicyInput) { in.Signals.Scores[engine.Toxic] = 0.01 },
		"flags":       func(in *engine.PolicyInput) { in.User.RecentFlags = 3 },
	} {
		if got := key(edit); got != same {
			t.Errorf("%s: key %s, want %s", name, got, same)
		}
	}
	for name, edit := range map[string]func(*engine.PolicyInput){
		"role":       func(in *engine.PolicyInput) { in.Event.Sender.Role = engine.RoleStaff },
		"age band":   func(in *engine.PolicyInput) { in.Event.Sender.AgeBand = engine.AgeTeen },
		"space type": func(in *engine.PolicyInput) { in.Event.Space.Type = engine.SpaceYouth },
		"PII type":   func(in *engine.PolicyInput) { in.Signals.PII[0].Type = engine.PIIEmail },
		"a second PII": func(in *engine.PolicyInput) {
			in.Signals.PII = append(in.Signals.PII, engine.PIISpan{Type: engine.PIIPhone, Start: 20, End: 33, Score: 0.95})
		},
		"link host": func(in *engine.PolicyInput) { in.Signals.Links[0].Host = "seoul.go.kr.example.com" },
		"host ?":    func(in *engine.PolicyInput) { in.Signals.Links[0].Host = "?" },
		"recipient": func(in *engine.PolicyInput) {
			in.Event.Recipient = &engine.Party{ID: "r", Role: engine.RoleCitizen, AgeBand: engine.AgeChild}
		},
		"reporters":  func(in *engine.PolicyInput) { in.User.Reporters = 2 },
		"high score": func(in *engine.PolicyInput) { in.Signals.Scores[engine.Profanity] = 0.97 },
		"no links":   func(in *engine.PolicyInput) { in.Signals.Links, in.Signals.LinkShare = nil, 0 },
	} {
		if got := key(edit); got == same {
			t.Errorf("%s: same key %s", name, got)
		}
	}
	if !strings.Contains(same, `"evidence": ?`) || strings.Contains(same, "news.seoul.go.kr") == false {
		t.Errorf("key %s: the evidence should be free, the link's host known", same)
	}
}

// TestKnownInputLeavesFreeFieldsUnknown: the proofs' input has no free
// field, and each free field the message has is an unknown.
func TestKnownInputLeavesFreeFieldsUnknown(t *testing.T) {
	v := ast.MustParseTerm(`{"event": {"kind": "chat", "sender": {"id": "u", "role": "citizen"}, "text_length": 4},
		"signals": {"evidence": {"toxic": 0.1}, "behaviour": {"notable": true, "rate_10s": 3}}, "user": {"strikes": 1}}`)
	var unknowns []string
	known := knownInput(v, freeFields, ast.InputRootRef, &unknowns)
	want := ast.MustParseTerm(`{"event": {"kind": "chat", "sender": {"role": "citizen"}}, "signals": {"behaviour": {"notable": true}}, "user": {}}`)
	if !known.Equal(want) {
		t.Errorf("known %v, want %v", known, want)
	}
	wantUnknowns := []string{"input.event.sender.id", "input.event.text_length", "input.signals.behaviour.rate_10s", "input.signals.evidence", "input.user.strikes"}
	if !reflect.DeepEqual(unknowns, wantUnknowns) {
		t.Errorf("unknowns %v, want %v", unknowns, wantUnknowns)
	}
}

// TestInputShapeHonoursAnEditedBundle: a bundle with a PII rule that
// compares the text's length (a free field) decides two messages of one
// input shape differently; both get the bundle's decision, and the shape
// is refused naming the field.
func TestInputShapeHonoursAnEditedBundle(t *testing.T) {
	ctx := context.Background()
	e := editedEngine(t, "personal_information.rego", "masked_types := lib.pii_types - allowed_types", `masked_types := lib.pii_types - allowed_types

violation contains {"rule_id": "pii.test_long", "action": "hold", "category": "pii", "principle": "personal_information_protection",
	"value": "safe_experience", "severity": "low", "reason": {"ko": "시험", "en": "test"}} if {
	lib.has_pii
	input.event.text_length > 20
}`)
	p := freshShapes(e)
	msg := func(length int) *engine.PolicyInput {
		in, _ := typicalInput()
		in.Event.TextLength = length
		in.Signals.PII = []engine.PIISpan{{Type: engine.PIIPhone, Start: 0, End: 13, Score: 0.95}}
		return in
	}
	for round := range 3 {
		for _, c := range []struct {
			length int
			want   engine.Action
		}{{40, engine.ActionHold}, {10, engine.ActionRedact}} {
			res, err := e.Evaluate(ctx, msg(c.length))
			if err != nil || res.Action != c.want {
				t.Fatalf("round %d, length %d: %+v, %v; want %s", round, c.length, res, err, c.want)
			}
		}
		p.shapes.wait()
	}
	refused := ""
	p.shapes.mu.RLock()
	for k, why := range p.shapes.refused {
		if k.input != "" {
			refused += why
		}
	}
	p.shapes.mu.RUnlock()
	if !strings.Contains(refused, "input.event.text_length") {
		t.Errorf("the shape was not refused for the text's length: %q", refused)
	}
}

// TestInputShapesUnderConcurrency: goroutines deciding messages of a few
// input shapes at once while they are proven get the bundle's decisions
// (run under -race).
func TestInputShapesUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	e := repoEngine(t)
	p := freshShapes(e)
	rng := rand.New(rand.NewPCG(3, 9))
	var ins []*engine.PolicyInput
	for _, typ := range []engine.PIIType{engine.PIIPhone, engine.PIIEmail, engine.PIIResidentRegistration} {
		in, _ := typicalInput()
		in.Signals.PII = []engine.PIISpan{{Type: typ, Start: 0, End: 13, Score: 0.95}}
		for range 4 {
			ins = append(ins, varied(rng, in))
		}
	}
	want := make([]*engine.PolicyResult, len(ins))
	for i, in := range ins {
		want[i] = fullDecision(t, p, in)
	}
	wrong := make(chan int, 4)
	for g := range 4 {
		go func() {
			n := 0
			for i := range 90 {
				k := (g + i) % len(ins)
				got, err := e.Evaluate(ctx, ins[k])
				if err != nil || !reflect.DeepEqual(got, want[k]) {
					n++
				}
			}
			wrong <- n
		}()
	}
	n := 0
	for range 4 {
		n += <-wrong
	}
	p.shapes.wait()
	if n > 0 {
		t.Fatalf("%d decisions differ from the policy's", n)
	}
	for _, in := range ins {
		if _, err := e.Evaluate(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	if st := e.Stats(); st.InputShaped == 0 {
		t.Errorf("no decision by an input shape: %+v", st)
	}
}
