package policy

import (
	"fmt"
	"math"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/haechi-tns/haechi/engine"
)

// inputValue builds the policy input as an OPA value directly; going
// through JSON or map[string]any would cost more than the evaluation.
// It is on every decision's path, so it allocates little: keys and the
// strings of closed vocabularies (kinds, space types, categories…) are
// terms made once (internedTerms), small integers are OPA's interned
// terms, and each object is made in one call with all its items.
// Interned terms are shared by every input and must never be modified;
// OPA does not modify its inputs.
//
// signals.evidence is the scores combined with the models' probabilities
// with the revision's model thresholds (see modelThresholds.evidence);
// rules decide on it.
//
// signals.reached holds the action levels the evidence reaches, as
// lib.reached in the policy defines them (see levels.reached).
//
// signals.links and signals.link_share are there only when the text has
// links, and a link's flags only when set, so a message without links
// costs nothing more and rules test a flag by naming it.
//
// signals.image_text is there only when the event's image text was read
// (signals.analysed names "image_text"): its evidence (imageText, built as
// signals.evidence is, from the image text's own scores and models), its
// PII as {type, score, boxed} (boxed: filling its boxes would hide all of
// it, engine.ImagePII.Boxed), its number of words, and redaction_failed
// when the pipeline asks again because a redacted copy failed; never the
// text, nor the offsets or boxes, which no rule reads.
//
// Only what reads says the bundle can read is built (see inputReads),
// down to the fields of a party and of a PII item; allInput builds
// everything.
func inputValue(in *engine.PolicyInput, evidence, imageText engine.Scores, reached map[engine.Category][]string, reads *inputReads, quietWaves bool) ast.Value {
	var top [3][2]*ast.Term
	root := top[:0]
	if r := reads.at("event"); r != nil {
		root = append(root, item("event", eventTerm(&in.Event, r)))
	}
	if r := reads.at("signals"); r != nil {
		root = append(root, item("signals", signalsTerm(in.Signals, evidence, imageText, reached, r, quietWaves)))
	}
	if r := reads.at("user"); r != nil {
		u := &in.User
		var ub [5][2]*ast.Term
		user := ub[:0]
		add := func(k string, v func() *ast.Term) {
			if r.reads(k) {
				user = append(user, item(k, v()))
			}
		}
		add("strikes", func() *ast.Term { return ast.IntNumberTerm(u.Strikes) })
		add("recent_flags", func() *ast.Term { return ast.IntNumberTerm(u.RecentFlags) })
		add("restricted", func() *ast.Term { return ast.InternedTerm(u.Restricted) })
		add("labels", func() *ast.Term { return stringList(u.Labels) })
		add("reporters", func() *ast.Term { return ast.IntNumberTerm(u.Reporters) })
		root = append(root, item("user", ast.ObjectTerm(user...)))
	}
	return ast.NewObject(root...)
}

func eventTerm(ev *engine.PolicyEvent, r *inputReads) *ast.Term {
	var eb [9][2]*ast.Term
	event := eb[:0]
	add := func(k string, v func() *ast.Term) {
		if r.reads(k) {
			event = append(event, item(k, v()))
		}
	}
	add("id", func() *ast.Term { return ast.StringTerm(ev.ID) })
	add("kind", func() *ast.Term { return term(string(ev.Kind)) })
	add("world", func() *ast.Term { return ast.StringTerm(ev.World) })
	add("space", func() *ast.Term {
		sr := r.at("space")
		var sb [2][2]*ast.Term
		space := sb[:0]
		if sr.reads("id") {
			space = append(space, item("id", ast.StringTerm(ev.Space.ID)))
		}
		if sr.reads("type") {
			space = append(space, item("type", term(string(ev.Space.Type))))
		}
		return ast.ObjectTerm(space...)
	})
	add("sender", func() *ast.Term { return party(&ev.Sender, r.at("sender")) })
	add("lang", func() *ast.Term { return term(ev.Lang) })
	add("text_length", func() *ast.Term { return ast.IntNumberTerm(ev.TextLength) })
	if ev.Recipient != nil {
		add("recipient", func() *ast.Term { return party(ev.Recipient, r.at("recipient")) })
	}
	if ev.Kind == engine.KindVoice {
		add("asr_confidence", func() *ast.Term { return number(ev.Confidence) })
	}
	return ast.ObjectTerm(event...)
}

func signalsTerm(s *engine.Signals, evidence, imageText engine.Scores, reached map[engine.Category][]string, r *inputReads, quietWaves bool) *ast.Term {
	if s == nil {
		return ast.InternedEmptyObject
	}
	var sb [16][2]*ast.Term
	signals := sb[:0]
	add := func(k string, v func() *ast.Term) {
		if r.reads(k) {
			signals = append(signals, item(k, v()))
		}
	}
	add("scores", func() *ast.Term { return scores(s.Scores) })
	add("sources", func() *ast.Term { return scoresByName(s.Sources) })
	add("models", func() *ast.Term { return scoresByName(s.Models) })
	add("evidence", func() *ast.Term { return scores(evidence) })
	add("reached", func() *ast.Term { return reachedTerm(reached) })
	add("pii", func() *ast.Term { return piiTerm(s.PII, r.at("pii").item()) })
	add("hash_matches", func() *ast.Term { return hashMatches(s.HashMatches) })
	if len(s.Links) > 0 {
		add("links", func() *ast.Term { return links(s.Links) })
		add("link_share", func() *ast.Term { return number(s.LinkShare) })
	}
	add("analysed", func() *ast.Term { return stringList(s.Analysed) })
	add("lang", func() *ast.Term { return term(s.Lang) })
	if len(s.Cues) > 0 {
		add("cues", func() *ast.Term { return cues(s.Cues) })
	}
	if it := s.ImageText; it != nil && it.Error == "" && !it.Pending {
		add("image_text", func() *ast.Term { return imageTextValue(it, imageText) })
	}
	if b := s.Behaviour; b != nil {
		add("behaviour", func() *ast.Term { return behaviour(b, notable(s, quietWaves)) })
	}
	return ast.ObjectTerm(signals...)
}

// internedTerms are the string terms inputValue makes once: every key it
// writes and the values of closed vocabularies. It is filled at start-up
// and only read after.
var internedTerms = func() map[string]*ast.Term {
	words := []string{
		// keys
		"event", "signals", "user", "id", "kind", "world", "space", "type",
		"sender", "recipient", "role", "age_band", "lang", "text_length",
		"asr_confidence", "scores", "sources", "models", "evidence", "reached",
		"pii", "start", "end", "score", "hash_matches", "bank", "label",
		"algorithm", "distance", "negative", "links", "link_share", "host",
		"domain", "skeleton", "obfuscated", "idn", "mixed_script", "analysed",
		"cues", "image_text", "words", "boxed", "redaction_failed", "behaviour", "rate_10s", "rate_60s",
		"rate_10m", "repeats", "near_repeats", "wave_senders",
		"account_age_hours", "pile_on_senders", "domain_senders", "grooming",
		"messages", "cue_messages", "days", "notable", "strikes", "recent_flags",
		"restricted", "labels", "reporters",
		// values
		"text", "image", "ko", "en", "lexicon", "text_cnn", "hash_banks", "nsfw",
		"escalate", "block", "hold", "redact", "allow",
		string(engine.KindChat), string(engine.KindVoice), string(engine.KindImage),
		string(engine.RoleCitizen), string(engine.RoleStaff), string(engine.RoleOfficial), string(engine.RoleBusiness),
		string(engine.AgeChild), string(engine.AgeTeen), string(engine.AgeAdult),
		string(engine.Toxic), string(engine.Nudity), string(engine.Suggestive), string(engine.HashMatchC), string(engine.PIICategory),
		string(engine.PIIResidentRegistration), string(engine.PIIForeignerRegistration), string(engine.PIIBusinessRegistration),
		string(engine.PIIPassport), string(engine.PIIDriverLicense), string(engine.PIIPhone), string(engine.PIIEmail),
		string(engine.PIICard), string(engine.PIIBankAccount),
		engine.AnalysedImageText,
	}
	for _, s := range engine.SpaceTypes {
		words = append(words, string(s))
	}
	for _, c := range engine.TextCategories {
		words = append(words, string(c))
	}
	for _, c := range engine.GroomingCues {
		words = append(words, string(c))
	}
	m := make(map[string]*ast.Term, len(words))
	for _, w := range words {
		m[w] = ast.StringTerm(w)
	}
	return m
}()

// term is the string term of s, shared when s is one of internedTerms.
func term(s string) *ast.Term {
	if t, ok := internedTerms[s]; ok {
		return t
	}
	return ast.StringTerm(s)
}

// item is the key k, which should be one of internedTerms, and v.
func item(k string, v *ast.Term) [2]*ast.Term { return [2]*ast.Term{term(k), v} }

// number is f as OPA writes a float, with zero, the most common score,
// shared.
func number(f float64) *ast.Term {
	if f == 0 && !math.Signbit(f) {
		return ast.IntNumberTerm(0)
	}
	return ast.FloatNumberTerm(f)
}

func stringList(ss []string) *ast.Term {
	if len(ss) == 0 {
		return ast.InternedEmptyArray
	}
	out := make([]*ast.Term, len(ss))
	for i, s := range ss {
		out[i] = term(s)
	}
	return ast.ArrayTerm(out...)
}

// party is a sender or recipient, with the fields r reads.
func party(p *engine.Party, r *inputReads) *ast.Term {
	var b [3][2]*ast.Term
	o := b[:0]
	if r.reads("id") {
		o = append(o, item("id", ast.StringTerm(p.ID)))
	}
	if r.reads("role") {
		o = append(o, item("role", term(string(p.Role))))
	}
	if r.reads("age_band") {
		o = append(o, item("age_band", term(string(p.AgeBand))))
	}
	return ast.ObjectTerm(o...)
}

// reachedTerm is signals.reached: {category: {level: true}}.
func reachedTerm(reached map[engine.Category][]string) *ast.Term {
	if len(reached) == 0 {
		return ast.InternedEmptyObject
	}
	items := make([][2]*ast.Term, 0, len(reached))
	for c, lvls := range reached {
		// Inserted one by one, as a level named twice is one key.
		lo := ast.NewObjectWithCapacity(len(lvls))
		for _, l := range lvls {
			lo.Insert(term(l), ast.InternedBooleanTrue)
		}
		items = append(items, [2]*ast.Term{term(string(c)), ast.NewTerm(lo)})
	}
	return ast.ObjectTerm(items...)
}

// piiTerm is signals.pii, each item with the fields r reads of an item
// (none when only the items are counted).
func piiTerm(spans []engine.PIISpan, r *inputReads) *ast.Term {
	if len(spans) == 0 {
		return ast.InternedEmptyArray
	}
	out := make([]*ast.Term, len(spans))
	for i, p := range spans {
		var b [4][2]*ast.Term
		o := b[:0]
		if r.reads("type") {
			o = append(o, item("type", term(string(p.Type))))
		}
		if r.reads("start") {
			o = append(o, item("start", ast.IntNumberTerm(p.Start)))
		}
		if r.reads("end") {
			o = append(o, item("end", ast.IntNumberTerm(p.End)))
		}
		if r.reads("score") {
			o = append(o, item("score", number(p.Score)))
		}
		out[i] = ast.ObjectTerm(o...)
	}
	return ast.ArrayTerm(out...)
}

func hashMatches(hs []engine.HashMatch) *ast.Term {
	if len(hs) == 0 {
		return ast.InternedEmptyArray
	}
	out := make([]*ast.Term, len(hs))
	for i, h := range hs {
		out[i] = ast.ObjectTerm(
			item("bank", term(h.Bank)),
			item("label", term(h.Label)),
			item("algorithm", term(h.Algorithm)),
			item("distance", ast.IntNumberTerm(h.Distance)),
			item("negative", ast.InternedTerm(h.Negative)),
		)
	}
	return ast.ArrayTerm(out...)
}

// links is the text's links without their offsets, which no rule reads.
func links(ls []engine.Link) *ast.Term {
	out := make([]*ast.Term, len(ls))
	for i, l := range ls {
		var b [6][2]*ast.Term
		o := append(b[:0], item("host", ast.StringTerm(l.Host)), item("domain", ast.StringTerm(l.Domain)))
		if l.Skeleton != "" {
			o = append(o, item("skeleton", ast.StringTerm(l.Skeleton)))
		}
		if l.Obfuscated {
			o = append(o, item("obfuscated", ast.InternedBooleanTrue))
		}
		if l.IDN {
			o = append(o, item("idn", ast.InternedBooleanTrue))
		}
		if l.MixedScript {
			o = append(o, item("mixed_script", ast.InternedBooleanTrue))
		}
		out[i] = ast.ObjectTerm(o...)
	}
	return ast.ArrayTerm(out...)
}

// behaviour is signals.behaviour: the counts, the domains' sender counts
// only when the text has links, the grooming history only when the
// event belongs to a conversation with a minor, and notable, whether some
// count is past its floor (engine.BehaviourSignals.Notable; a wave alone
// only where the bundle has a pattern for one, see notable), which gates
// the policy's pattern rules (checkBehaviourGate).
func behaviour(b *engine.BehaviourSignals, notable bool) *ast.Term {
	var ob [11][2]*ast.Term
	o := append(ob[:0],
		item("notable", ast.InternedTerm(notable)),
		item("rate_10s", ast.IntNumberTerm(b.Rate10s)),
		item("rate_60s", ast.IntNumberTerm(b.Rate60s)),
		item("rate_10m", ast.IntNumberTerm(b.Rate10m)),
		item("repeats", ast.IntNumberTerm(b.Repeats)),
		item("near_repeats", ast.IntNumberTerm(b.NearRepeats)),
		item("wave_senders", ast.IntNumberTerm(b.WaveSenders)),
		item("account_age_hours", ast.IntNumberTerm(b.AccountAgeHours)),
		item("pile_on_senders", ast.IntNumberTerm(b.PileOnSenders)),
	)
	if len(b.DomainSenders) > 0 {
		ds := make([][2]*ast.Term, 0, len(b.DomainSenders))
		for d, n := range b.DomainSenders {
			ds = append(ds, [2]*ast.Term{ast.StringTerm(d), ast.IntNumberTerm(n)})
		}
		o = append(o, item("domain_senders", ast.ObjectTerm(ds...)))
	}
	if g := b.Grooming; g != nil {
		o = append(o, item("grooming", ast.ObjectTerm(
			item("cues", cues(g.Cues)),
			item("messages", ast.IntNumberTerm(g.Messages)),
			item("cue_messages", ast.IntNumberTerm(g.CueMessages)),
			item("days", ast.IntNumberTerm(g.Days)),
		)))
	}
	return ast.ObjectTerm(o...)
}

// imageTextValue is signals.image_text.
func imageTextValue(it *engine.ImageText, evidence engine.Scores) *ast.Term {
	pii := make([]*ast.Term, len(it.PII))
	for i, p := range it.PII {
		pii[i] = ast.ObjectTerm(
			item("type", term(string(p.Type))),
			item("score", number(p.Score)),
			item("boxed", ast.InternedTerm(p.Boxed())),
		)
	}
	o := [][2]*ast.Term{
		item("evidence", scores(evidence)),
		item("pii", ast.ArrayTerm(pii...)),
		item("words", ast.IntNumberTerm(it.Words)),
	}
	if it.RedactionFailed {
		o = append(o, item("redaction_failed", ast.InternedTerm(true)))
	}
	return ast.ObjectTerm(o...)
}

func cues(cs []engine.GroomingCue) *ast.Term {
	if len(cs) == 0 {
		return ast.InternedEmptyArray
	}
	out := make([]*ast.Term, len(cs))
	for i, c := range cs {
		out[i] = term(string(c))
	}
	return ast.ArrayTerm(out...)
}

func scores(s engine.Scores) *ast.Term {
	if len(s) == 0 {
		return ast.InternedEmptyObject
	}
	var b [16][2]*ast.Term
	items := b[:0]
	for c, v := range s {
		items = append(items, [2]*ast.Term{term(string(c)), number(v)})
	}
	return ast.ObjectTerm(items...)
}

func scoresByName(m map[string]engine.Scores) *ast.Term {
	if len(m) == 0 {
		return ast.InternedEmptyObject
	}
	var b [4][2]*ast.Term
	items := b[:0]
	for name, sc := range m {
		items = append(items, [2]*ast.Term{term(name), scores(sc)})
	}
	return ast.ObjectTerm(items...)
}

// decodeResult reads the decision document as OPA's evaluation left it,
// without converting it to Go values first. It is strict: a policy that
// returns a malformed decision is an error, never an allow.
func decodeResult(v ast.Value) (*engine.PolicyResult, error) {
	d := decoder{}
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
		ro := d.object(r.Value, "reasons[]")
		res.Reasons = append(res.Reasons, engine.Reason{
			RuleID: d.str(ro, "rule_id", true), KO: d.str(ro, "ko", true), EN: d.str(ro, "en", true),
		})
	}
	for _, f := range d.array(obj, "fired") {
		fo := d.object(f.Value, "fired[]")
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
	if ev := d.get(obj, "evidence"); ev != nil {
		eo := d.object(ev.Value, "evidence")
		if eo != nil {
			res.Evidence = make(engine.Scores, eo.Len())
			eo.Foreach(func(k, v *ast.Term) {
				c := d.string(k, "evidence keys")
				res.Evidence[engine.Category(c)] = d.number(v, "evidence."+c)
			})
		}
	}
	if ro := d.get(obj, "redact"); ro != nil {
		red := d.object(ro.Value, "redact")
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

// decoder reads OPA's values, remembering the first type mismatch.
type decoder struct{ err error }

func (d *decoder) fail(field, want string) {
	if d.err == nil {
		d.err = fmt.Errorf("%s: want %s", field, want)
	}
}

func (d *decoder) object(v ast.Value, field string) ast.Object {
	o, ok := v.(ast.Object)
	if !ok {
		d.fail(field, "an object")
	}
	return o
}

// get is o's field, nil when o has none (or is not an object).
func (d *decoder) get(o ast.Object, field string) *ast.Term {
	if o == nil {
		return nil
	}
	return o.Get(term(field))
}

// array is the elements of o's field, none when it has none.
func (d *decoder) array(o ast.Object, field string) []*ast.Term {
	v := d.get(o, field)
	if v == nil {
		return nil
	}
	switch a := v.Value.(type) {
	case *ast.Array:
		out := make([]*ast.Term, a.Len())
		for i := range out {
			out[i] = a.Elem(i)
		}
		return out
	case ast.Set:
		// In the set's own order, as OPA writes a set in JSON.
		out := make([]*ast.Term, 0, a.Len())
		a.Foreach(func(t *ast.Term) { out = append(out, t) })
		return out
	}
	d.fail(field, "an array")
	return nil
}

func (d *decoder) number(t *ast.Term, field string) float64 {
	if n, ok := t.Value.(ast.Number); ok {
		if f, ok := n.Float64(); ok {
			return f
		}
	}
	d.fail(field, "a number")
	return 0
}

func (d *decoder) string(t *ast.Term, field string) string {
	s, ok := t.Value.(ast.String)
	if !ok {
		d.fail(field, "a string")
	}
	return string(s)
}

func (d *decoder) str(o ast.Object, field string, required bool) string {
	v := d.get(o, field)
	if v == nil {
		if required {
			d.fail(field, "a string (required)")
		}
		return ""
	}
	return d.string(v, field)
}
