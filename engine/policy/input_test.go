package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/internal/racetest"
)

// typicalInput is a benign chat message's policy input with the text
// model's probabilities, as the engine sends it.
func typicalInput() (*engine.PolicyInput, engine.Scores) {
	in := chatInput(engine.SpacePlaza, engine.Scores{engine.Toxic: 0})
	in.Signals.Lang = "ko"
	in.Signals.Sources = map[string]engine.Scores{"lexicon": {}}
	in.Signals.Models = map[string]engine.Scores{"text": {"toxic": 0.2, "insult": 0.05, "profanity": 0.03, "hate": 0.03, "harassment": 0.09, "sexual": 0.14, "threat": 0.06, "self_harm": 0.18}}
	ev := engine.Scores{"toxic": 0.3, "insult": 0.04, "profanity": 0.03, "hate": 0.03, "harassment": 0.06, "sexual": 0.1, "threat": 0.06, "self_harm": 0.27}
	return in, ev
}

func BenchmarkInputValue(b *testing.B) {
	b.Run("typical", func(b *testing.B) {
		in, ev := typicalInput()
		b.ReportAllocs()
		for b.Loop() {
			inputValue(in, ev, nil, nil, allInput, false)
		}
	})
	b.Run("typical_behaviour", func(b *testing.B) {
		in, ev := typicalInput()
		in = withBehaviour(in, quietBehaviour)
		b.ReportAllocs()
		for b.Loop() {
			inputValue(in, ev, nil, nil, allInput, false)
		}
	})
	// What the default bundle reads, as Evaluate builds it.
	b.Run("typical_behaviour_bundle_reads", func(b *testing.B) {
		e, err := New(context.Background(), loadRepoPolicies(b), nil)
		if err != nil {
			b.Fatal(err)
		}
		reads := e.cur.Load().reads
		in, ev := typicalInput()
		in = withBehaviour(in, quietBehaviour)
		b.ReportAllocs()
		for b.Loop() {
			inputValue(in, ev, nil, nil, reads, false)
		}
	})
	// The construction inputValue replaced, for comparison in one run.
	b.Run("typical_behaviour_generic", func(b *testing.B) {
		in, ev := typicalInput()
		in = withBehaviour(in, quietBehaviour)
		b.ReportAllocs()
		for b.Loop() {
			refInputValue(in, ev, nil, nil)
		}
	})
}

// TestInputValueAgreesWithGenericBuild holds inputValue, which shares
// terms and builds objects in one call to allocate little, to the plain
// construction it replaced (refInputValue below), on seeded random inputs
// that reach every field: the policy must see the same document.
func TestInputValueAgreesWithGenericBuild(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 1))
	for i := range 2000 {
		in, evidence, imageText, reached := randomPolicyInput(rng)
		got, want := inputValue(in, evidence, imageText, reached, allInput, false), refInputValue(in, evidence, imageText, reached)
		if got.Compare(want) != 0 || got.Hash() != want.Hash() {
			t.Fatalf("case %d:\ngot  %v\nwant %v", i, got, want)
		}
	}
}

// TestUnreadFieldsChangeNoDecision: the default bundle decides the same
// on seeded random inputs built in full and built with only what its
// modules read (inputReads), and does read less than all.
func TestUnreadFieldsChangeNoDecision(t *testing.T) {
	racetest.Heavy(t)
	ctx := context.Background()
	e := repoEngine(t)
	p := e.cur.Load()
	if p.reads.all || p.reads.at("event").reads("world") || p.reads.at("signals").reads("models") {
		t.Errorf("the default bundle reads %+v: more than its rules name", p.reads)
	}
	rng := rand.New(rand.NewPCG(15, 2))
	actions := map[string]int{}
	for i := range 500 {
		in, _, _, _ := randomPolicyInput(rng)
		if in.Signals == nil { // Evaluate always has signals
			in.Signals = &engine.Signals{Scores: engine.Scores{}}
		}
		evidence := p.models.evidence(in.Signals)
		reached := p.levels.reached(p.candidates(evidence), in.Event.Space.Type, in.User.Strikes)
		imageText := p.imageTextEvidence(in.Signals)
		full, errFull := p.eval(ctx, p.query, inputValue(in, evidence, imageText, reached, allInput, false))
		lean, errLean := p.eval(ctx, p.query, inputValue(in, evidence, imageText, reached, p.reads, false))
		if errFull != nil || errLean != nil || len(full) != 1 || len(lean) != 1 ||
			full[0].Expressions[0].Value.(ast.Value).Compare(lean[0].Expressions[0].Value.(ast.Value)) != 0 {
			t.Fatalf("case %d: in full %v (%v), with what the bundle reads %v (%v)", i, full, errFull, lean, errLean)
		}
		actions[full[0].Expressions[0].Value.(ast.Value).(ast.Object).Get(ast.StringTerm("action")).String()]++
		// The decision read from OPA's value is the one read from its
		// JSON form, as before.
		got, err := decodeResult(full[0].Expressions[0].Value.(ast.Value))
		if err != nil {
			t.Fatal(err)
		}
		js, err := ast.JSON(full[0].Expressions[0].Value.(ast.Value))
		if err != nil {
			t.Fatal(err)
		}
		want, err := refDecodeResult(js)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("case %d: decoded %+v, from JSON %+v (%v)", i, got, want, err)
		}
	}
	t.Logf("decisions compared: %v", actions)
	if len(actions) < 4 {
		t.Errorf("the random inputs were decided %v: too few kinds of decision to compare", actions)
	}
}

// TestDecodeRefusesMalformedDecisions: a decision of the wrong shape is
// an error, as it was when read from JSON.
func TestDecodeRefusesMalformedDecisions(t *testing.T) {
	for _, src := range []string{
		`"allow"`,
		`{"categories": []}`,
		`{"action": 1}`,
		`{"action": "allow", "rule_ids": "r"}`,
		`{"action": "allow", "reasons": [{"rule_id": "r", "ko": "k"}]}`,
		`{"action": "allow", "evidence": {"toxic": "high"}}`,
		`{"action": "allow", "redact": {"pii": [1]}}`,
		`{"action": "allow", "fired": [{"rule_id": "r"}]}`,
	} {
		v := ast.MustParseTerm(src).Value
		js, _ := ast.JSON(v)
		_, errRef := refDecodeResult(js)
		_, err := decodeResult(v)
		if err == nil || errRef == nil || err.Error() != errRef.Error() {
			t.Errorf("%s: %v, from JSON %v", src, err, errRef)
		}
	}
}

// TestReadFieldsAreSent: a bundle whose rule names a field the default
// bundle leaves unread gets it, and decides on it.
func TestReadFieldsAreSent(t *testing.T) {
	ctx := context.Background()
	b := loadRepoPolicies(t)
	m, err := ast.ParseModuleWithOpts("world_test_rule.rego", `package haechi.principles.content

violation contains {"rule_id": "content.world_test", "action": "hold", "principle": "fairness",
	"value": "sustainable_prosperity", "severity": "low", "reason": {"ko": "시험", "en": "test"}} if {
	input.event.world == "closed-world"
	input.signals.models.text.toxic > 0.1
}
`, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		t.Fatal(err)
	}
	b.Modules["world_test_rule.rego"] = m
	b.Revision += "-world"
	e, err := New(ctx, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	in, _ := typicalInput()
	for world, want := range map[string]engine.Action{"closed-world": engine.ActionHold, "w": engine.ActionAllow} {
		in.Event.World = world
		res, err := e.Evaluate(ctx, in)
		if err != nil || res.Action != want {
			t.Errorf("world %q: %v, %v; want %s", world, res, err, want)
		}
	}
}

func randomPolicyInput(rng *rand.Rand) (*engine.PolicyInput, engine.Scores, engine.Scores, map[engine.Category][]string) {
	pick := func(words ...string) string { return words[rng.IntN(len(words))] }
	num := func() int { return []int{0, 1, 7, 511, 512, 513, 100000, -1, -5}[rng.IntN(9)] }
	score := func() float64 {
		switch rng.IntN(4) {
		case 0:
			return 0
		case 1:
			return 1
		default:
			return rng.Float64()
		}
	}
	cats := []string{"toxic", "insult", "spam", "nudity", "made_up", "pii"}
	randScores := func() engine.Scores {
		s := engine.Scores{}
		for range rng.IntN(5) {
			s[engine.Category(pick(cats...))] = score()
		}
		return s
	}
	party := func() engine.Party {
		return engine.Party{ID: "u" + strconv.Itoa(rng.IntN(100)), Role: engine.Role(pick("citizen", "staff", "", "odd")), AgeBand: engine.AgeBand(pick("", "child", "teen", "adult", "odd"))}
	}
	in := &engine.PolicyInput{
		Event: engine.PolicyEvent{
			ID: fmt.Sprint("e", rng.IntN(1000)), Kind: engine.Kind(pick("chat", "voice", "image")), World: pick("w", ""),
			Space:  engine.Space{ID: pick("s1", ""), Type: engine.SpaceType(pick("plaza", "youth", "odd"))},
			Sender: party(), Lang: pick("", "ko", "ko-KR", "en"), TextLength: num(), Confidence: score(),
		},
		User: engine.UserContext{Strikes: num(), RecentFlags: num(), Restricted: rng.IntN(2) == 0, Reporters: num()},
	}
	if rng.IntN(2) == 0 {
		r := party()
		in.Event.Recipient = &r
	}
	for range rng.IntN(3) {
		in.User.Labels = append(in.User.Labels, pick("verified_business", "watch-test", "x"))
	}
	if rng.IntN(10) == 0 {
		return in, nil, nil, nil
	}
	s := &engine.Signals{Scores: randScores(), Lang: pick("", "ko", "en", "ja")}
	for range rng.IntN(3) {
		if s.Sources == nil {
			s.Sources = map[string]engine.Scores{}
		}
		s.Sources[pick("lexicon", "hash_banks", "other")] = randScores()
	}
	for range rng.IntN(3) {
		if s.Models == nil {
			s.Models = map[string]engine.Scores{}
		}
		s.Models[pick("text", "text_cnn", "nsfw", "other")] = randScores()
	}
	for range rng.IntN(3) {
		s.PII = append(s.PII, engine.PIISpan{Type: engine.PIIType(pick("phone", "email", "odd")), Start: num(), End: num(), Score: score()})
	}
	for range rng.IntN(3) {
		s.HashMatches = append(s.HashMatches, engine.HashMatch{Bank: pick("csam", "ok"), Label: pick("", "l"), Algorithm: pick("pdq", "md5"), Distance: num(), Negative: rng.IntN(2) == 0})
	}
	for range rng.IntN(3) {
		s.Links = append(s.Links, engine.Link{Host: pick("a.b.kr", "x.com"), Domain: pick("b.kr", "x.com"), Skeleton: pick("", "seoul.go.kr"),
			Obfuscated: rng.IntN(2) == 0, IDN: rng.IntN(2) == 0, MixedScript: rng.IntN(2) == 0})
		s.LinkShare = score()
	}
	for range rng.IntN(3) {
		s.Analysed = append(s.Analysed, pick("text", "image", "image_text"))
	}
	for range rng.IntN(3) {
		s.Cues = append(s.Cues, engine.GroomingCue(pick("age", "contact", "odd")))
	}
	if rng.IntN(3) == 0 {
		s.ImageText = &engine.ImageText{Error: pick("", "", "timeout"), Words: num()}
		for range rng.IntN(3) {
			p := engine.ImagePII{Type: engine.PIIType(pick("phone", "kr_rrn")), Score: score(), Partial: rng.IntN(2) == 0}
			for range rng.IntN(2) {
				p.Boxes = append(p.Boxes, engine.Box{X0: num(), Y0: num(), X1: num(), Y1: num()})
			}
			s.ImageText.PII = append(s.ImageText.PII, p)
		}
		s.ImageText.RedactionFailed = rng.IntN(3) == 0
	}
	if rng.IntN(2) == 0 {
		b := &engine.BehaviourSignals{Rate10s: num(), Rate60s: num(), Rate10m: num(), Repeats: num(), NearRepeats: num(),
			WaveSenders: num(), AccountAgeHours: num(), PileOnSenders: num()}
		for range rng.IntN(3) {
			if b.DomainSenders == nil {
				b.DomainSenders = map[string]int{}
			}
			b.DomainSenders[pick("x.com", "b.kr")] = num()
		}
		if rng.IntN(2) == 0 {
			b.Grooming = &engine.GroomingHistory{Messages: num(), CueMessages: num(), Days: num()}
			for range rng.IntN(3) {
				b.Grooming.Cues = append(b.Grooming.Cues, engine.GroomingCue(pick("age", "gift")))
			}
		}
		s.Behaviour = b
	}
	in.Signals = s
	var reached map[engine.Category][]string
	for range rng.IntN(3) {
		if reached == nil {
			reached = map[engine.Category][]string{}
		}
		c := engine.Category(pick(cats...))
		reached[c] = append(reached[c], pick("hold", "block", "redact"))
	}
	var imageText engine.Scores
	if s.ImageText != nil && s.ImageText.Error == "" {
		imageText = randScores()
	}
	return in, randScores(), imageText, reached
}

// refInputValue and the functions below are inputValue as it was before
// it was made to allocate less: every term new, objects built by Insert.
// The test above holds the two to the same value.
func refInputValue(in *engine.PolicyInput, evidence, imageText engine.Scores, reached map[engine.Category][]string) ast.Value {
	ev := in.Event
	event := ast.NewObject(
		refItem("id", ast.String(ev.ID)),
		refItem("kind", ast.String(ev.Kind)),
		refItem("world", ast.String(ev.World)),
		refItem("space", ast.NewObject(refItem("id", ast.String(ev.Space.ID)), refItem("type", ast.String(ev.Space.Type)))),
		refItem("sender", refParty(&ev.Sender)),
		refItem("lang", ast.String(ev.Lang)),
		refItem("text_length", ast.Number(refItoa(ev.TextLength))),
	)
	if ev.Recipient != nil {
		event.Insert(ast.StringTerm("recipient"), ast.NewTerm(refParty(ev.Recipient)))
	}
	if ev.Kind == engine.KindVoice {
		event.Insert(ast.StringTerm("asr_confidence"), ast.FloatNumberTerm(ev.Confidence))
	}

	signals := ast.NewObject()
	if s := in.Signals; s != nil {
		signals.Insert(ast.StringTerm("scores"), ast.NewTerm(refScores(s.Scores)))
		sources := ast.NewObject()
		for name, sc := range s.Sources {
			sources.Insert(ast.StringTerm(name), ast.NewTerm(refScores(sc)))
		}
		signals.Insert(ast.StringTerm("sources"), ast.NewTerm(sources))
		modelProbs := ast.NewObject()
		for name, sc := range s.Models {
			modelProbs.Insert(ast.StringTerm(name), ast.NewTerm(refScores(sc)))
		}
		signals.Insert(ast.StringTerm("models"), ast.NewTerm(modelProbs))
		signals.Insert(ast.StringTerm("evidence"), ast.NewTerm(refScores(evidence)))
		rv := ast.NewObject()
		for c, lvls := range reached {
			lo := ast.NewObject()
			for _, l := range lvls {
				lo.Insert(ast.StringTerm(l), ast.BooleanTerm(true))
			}
			rv.Insert(ast.StringTerm(string(c)), ast.NewTerm(lo))
		}
		signals.Insert(ast.StringTerm("reached"), ast.NewTerm(rv))
		pii := make([]*ast.Term, len(s.PII))
		for i, p := range s.PII {
			pii[i] = ast.ObjectTerm(
				ast.Item(ast.StringTerm("type"), ast.StringTerm(string(p.Type))),
				ast.Item(ast.StringTerm("start"), ast.IntNumberTerm(p.Start)),
				ast.Item(ast.StringTerm("end"), ast.IntNumberTerm(p.End)),
				ast.Item(ast.StringTerm("score"), ast.FloatNumberTerm(p.Score)),
			)
		}
		signals.Insert(ast.StringTerm("pii"), ast.ArrayTerm(pii...))
		hm := make([]*ast.Term, len(s.HashMatches))
		for i, h := range s.HashMatches {
			hm[i] = ast.ObjectTerm(
				ast.Item(ast.StringTerm("bank"), ast.StringTerm(h.Bank)),
				ast.Item(ast.StringTerm("label"), ast.StringTerm(h.Label)),
				ast.Item(ast.StringTerm("algorithm"), ast.StringTerm(h.Algorithm)),
				ast.Item(ast.StringTerm("distance"), ast.IntNumberTerm(h.Distance)),
				ast.Item(ast.StringTerm("negative"), ast.BooleanTerm(h.Negative)),
			)
		}
		signals.Insert(ast.StringTerm("hash_matches"), ast.ArrayTerm(hm...))
		if len(s.Links) > 0 {
			signals.Insert(ast.StringTerm("links"), refLinks(s.Links))
			signals.Insert(ast.StringTerm("link_share"), ast.FloatNumberTerm(s.LinkShare))
		}
		analysed := make([]*ast.Term, len(s.Analysed))
		for i, a := range s.Analysed {
			analysed[i] = ast.StringTerm(a)
		}
		signals.Insert(ast.StringTerm("analysed"), ast.ArrayTerm(analysed...))
		signals.Insert(ast.StringTerm("lang"), ast.StringTerm(s.Lang))
		if len(s.Cues) > 0 {
			signals.Insert(ast.StringTerm("cues"), refCues(s.Cues))
		}
		if it := s.ImageText; it != nil && it.Error == "" {
			signals.Insert(ast.StringTerm("image_text"), ast.NewTerm(refImageTextValue(it, imageText)))
		}
		if b := s.Behaviour; b != nil {
			signals.Insert(ast.StringTerm("behaviour"), ast.NewTerm(refBehaviour(b, b.Notable(s.Cues))))
		}
	}

	labels := make([]*ast.Term, len(in.User.Labels))
	for i, l := range in.User.Labels {
		labels[i] = ast.StringTerm(l)
	}
	user := ast.NewObject(
		refItem("strikes", ast.Number(refItoa(in.User.Strikes))),
		refItem("recent_flags", ast.Number(refItoa(in.User.RecentFlags))),
		refItem("restricted", ast.Boolean(in.User.Restricted)),
		refItem("labels", ast.NewArray(labels...)),
		refItem("reporters", ast.Number(refItoa(in.User.Reporters))),
	)
	return ast.NewObject(refItem("event", event), refItem("signals", signals), refItem("user", user))
}

func refItem(k string, v ast.Value) [2]*ast.Term { return ast.Item(ast.StringTerm(k), ast.NewTerm(v)) }

func refParty(p *engine.Party) ast.Object {
	return ast.NewObject(
		refItem("id", ast.String(p.ID)),
		refItem("role", ast.String(p.Role)),
		refItem("age_band", ast.String(p.AgeBand)),
	)
}

// links is the text's links without their offsets, which no rule reads.
func refLinks(ls []engine.Link) *ast.Term {
	out := make([]*ast.Term, len(ls))
	for i, l := range ls {
		o := ast.NewObject(refItem("host", ast.String(l.Host)), refItem("domain", ast.String(l.Domain)))
		if l.Skeleton != "" {
			o.Insert(ast.StringTerm("skeleton"), ast.StringTerm(l.Skeleton))
		}
		for _, flag := range []struct {
			name string
			set  bool
		}{{"obfuscated", l.Obfuscated}, {"idn", l.IDN}, {"mixed_script", l.MixedScript}} {
			if flag.set {
				o.Insert(ast.StringTerm(flag.name), ast.BooleanTerm(true))
			}
		}
		out[i] = ast.NewTerm(o)
	}
	return ast.ArrayTerm(out...)
}

// behaviour is signals.behaviour: the counts, the domains' sender counts
// only when the text has links, the grooming history only when the
// event belongs to a conversation with a minor, and notable.
func refBehaviour(b *engine.BehaviourSignals, notable bool) ast.Object {
	o := ast.NewObject(
		refItem("notable", ast.Boolean(notable)),
		refItem("rate_10s", ast.Number(refItoa(b.Rate10s))),
		refItem("rate_60s", ast.Number(refItoa(b.Rate60s))),
		refItem("rate_10m", ast.Number(refItoa(b.Rate10m))),
		refItem("repeats", ast.Number(refItoa(b.Repeats))),
		refItem("near_repeats", ast.Number(refItoa(b.NearRepeats))),
		refItem("wave_senders", ast.Number(refItoa(b.WaveSenders))),
		refItem("account_age_hours", ast.Number(refItoa(b.AccountAgeHours))),
		refItem("pile_on_senders", ast.Number(refItoa(b.PileOnSenders))),
	)
	if len(b.DomainSenders) > 0 {
		ds := ast.NewObject()
		for d, n := range b.DomainSenders {
			ds.Insert(ast.StringTerm(d), ast.IntNumberTerm(n))
		}
		o.Insert(ast.StringTerm("domain_senders"), ast.NewTerm(ds))
	}
	if g := b.Grooming; g != nil {
		o.Insert(ast.StringTerm("grooming"), ast.ObjectTerm(
			ast.Item(ast.StringTerm("cues"), refCues(g.Cues)),
			ast.Item(ast.StringTerm("messages"), ast.IntNumberTerm(g.Messages)),
			ast.Item(ast.StringTerm("cue_messages"), ast.IntNumberTerm(g.CueMessages)),
			ast.Item(ast.StringTerm("days"), ast.IntNumberTerm(g.Days)),
		))
	}
	return o
}

// imageTextValue is signals.image_text.
func refImageTextValue(it *engine.ImageText, evidence engine.Scores) ast.Object {
	pii := make([]*ast.Term, len(it.PII))
	for i, p := range it.PII {
		pii[i] = ast.ObjectTerm(
			ast.Item(ast.StringTerm("type"), ast.StringTerm(string(p.Type))),
			ast.Item(ast.StringTerm("score"), ast.FloatNumberTerm(p.Score)),
			ast.Item(ast.StringTerm("boxed"), ast.BooleanTerm(len(p.Boxes) > 0 && !p.Partial)),
		)
	}
	o := ast.NewObject(
		refItem("evidence", refScores(evidence)),
		refItem("pii", ast.NewArray(pii...)),
		refItem("words", ast.Number(refItoa(it.Words))),
	)
	if it.RedactionFailed {
		o.Insert(ast.StringTerm("redaction_failed"), ast.BooleanTerm(true))
	}
	return o
}

func refCues(cs []engine.GroomingCue) *ast.Term {
	out := make([]*ast.Term, len(cs))
	for i, c := range cs {
		out[i] = ast.StringTerm(string(c))
	}
	return ast.ArrayTerm(out...)
}

func refScores(s engine.Scores) ast.Object {
	o := ast.NewObject()
	for c, v := range s {
		o.Insert(ast.StringTerm(string(c)), ast.FloatNumberTerm(v))
	}
	return o
}

func refItoa(n int) string { return strconv.Itoa(n) }

// decodeResult reads the decision document. It is strict: a policy that
// returns a malformed decision is an error, never an allow.
func refDecodeResult(v any) (*engine.PolicyResult, error) {
	d := refDecoder{}
	obj := d.object(v, "decision")
	// Lists are empty rather than null in decisions, so clients can range
	// over them without checking.
	res := &engine.PolicyResult{
		Categories: []engine.Category{},
		RuleIDs:    []string{},
		Reasons:    []engine.Reason{},
		Fired:      []engine.FiredRule{},
		Action:     engine.Action(d.str(obj, "action", true)),
		Principle:  d.str(obj, "principle", false),
		Value:      d.str(obj, "value", false),
		Severity:   d.str(obj, "severity", false),
		Queue:      d.str(obj, "queue", false),
	}
	for _, c := range d.array(obj, "categories") {
		res.Categories = append(res.Categories, engine.Category(d.string(c, "categories[]")))
	}
	for _, r := range d.array(obj, "rule_ids") {
		res.RuleIDs = append(res.RuleIDs, d.string(r, "rule_ids[]"))
	}
	for _, r := range d.array(obj, "reasons") {
		ro := d.object(r, "reasons[]")
		res.Reasons = append(res.Reasons, engine.Reason{
			RuleID: d.str(ro, "rule_id", true), KO: d.str(ro, "ko", true), EN: d.str(ro, "en", true),
		})
	}
	for _, f := range d.array(obj, "fired") {
		fo := d.object(f, "fired[]")
		res.Fired = append(res.Fired, engine.FiredRule{
			RuleID:         d.str(fo, "rule_id", true),
			Action:         engine.Action(d.str(fo, "action", true)),
			Category:       engine.Category(d.str(fo, "category", false)),
			Principle:      d.str(fo, "principle", false),
			Value:          d.str(fo, "value", false),
			Severity:       d.str(fo, "severity", false),
			Queue:          d.str(fo, "queue", false),
			DowngradedFrom: engine.Action(d.str(fo, "downgraded_from", false)),
		})
	}
	if ev, ok := obj["evidence"]; ok {
		eo := d.object(ev, "evidence")
		res.Evidence = make(engine.Scores, len(eo))
		for c, v := range eo {
			res.Evidence[engine.Category(c)] = d.number(v, "evidence."+c)
		}
	}
	if ro, ok := obj["redact"]; ok {
		red := d.object(ro, "redact")
		for _, t := range d.array(red, "pii") {
			res.Redact.PII = append(res.Redact.PII, engine.PIIType(d.string(t, "redact.pii[]")))
		}
		for _, c := range d.array(red, "categories") {
			res.Redact.Categories = append(res.Redact.Categories, engine.Category(d.string(c, "redact.categories[]")))
		}
	}
	if d.err != nil {
		return nil, fmt.Errorf("decision is malformed: %w", d.err)
	}
	return res, nil
}

// refDecoder reads OPA's Go values, remembering the first type mismatch.
type refDecoder struct{ err error }

func (d *refDecoder) fail(field, want string) {
	if d.err == nil {
		d.err = fmt.Errorf("%s: want %s", field, want)
	}
}

func (d *refDecoder) object(v any, field string) map[string]any {
	o, ok := v.(map[string]any)
	if !ok {
		d.fail(field, "an object")
	}
	return o
}

func (d *refDecoder) array(o map[string]any, field string) []any {
	v, ok := o[field]
	if !ok {
		return nil
	}
	a, ok := v.([]any)
	if !ok {
		d.fail(field, "an array")
	}
	return a
}

func (d *refDecoder) number(v any, field string) float64 {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		if err != nil {
			d.fail(field, "a number")
		}
		return f
	case float64:
		return n
	case int:
		return float64(n)
	}
	d.fail(field, "a number")
	return 0
}

func (d *refDecoder) string(v any, field string) string {
	s, ok := v.(string)
	if !ok {
		d.fail(field, "a string")
	}
	return s
}

func (d *refDecoder) str(o map[string]any, field string, required bool) string {
	v, ok := o[field]
	if !ok {
		if required {
			d.fail(field, "a string (required)")
		}
		return ""
	}
	return d.string(v, field)
}
