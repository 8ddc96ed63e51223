package policy

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/haechi-tns/haechi/engine"
)

// inputValue builds the policy input as an OPA value directly; going
// through JSON or map[string]any would cost more than the evaluation.
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
// PII as {type, score} and its number of words; never the text, nor the
// offsets or boxes, which no rule reads.
func inputValue(in *engine.PolicyInput, evidence, imageText engine.Scores, reached map[engine.Category][]string) ast.Value {
	ev := in.Event
	event := ast.NewObject(
		item("id", ast.String(ev.ID)),
		item("kind", ast.String(ev.Kind)),
		item("world", ast.String(ev.World)),
		item("space", ast.NewObject(item("id", ast.String(ev.Space.ID)), item("type", ast.String(ev.Space.Type)))),
		item("sender", party(&ev.Sender)),
		item("lang", ast.String(ev.Lang)),
		item("text_length", ast.Number(itoa(ev.TextLength))),
	)
	if ev.Recipient != nil {
		event.Insert(ast.StringTerm("recipient"), ast.NewTerm(party(ev.Recipient)))
	}
	if ev.Kind == engine.KindVoice {
		event.Insert(ast.StringTerm("asr_confidence"), ast.FloatNumberTerm(ev.Confidence))
	}

	signals := ast.NewObject()
	if s := in.Signals; s != nil {
		signals.Insert(ast.StringTerm("scores"), ast.NewTerm(scores(s.Scores)))
		sources := ast.NewObject()
		for name, sc := range s.Sources {
			sources.Insert(ast.StringTerm(name), ast.NewTerm(scores(sc)))
		}
		signals.Insert(ast.StringTerm("sources"), ast.NewTerm(sources))
		modelProbs := ast.NewObject()
		for name, sc := range s.Models {
			modelProbs.Insert(ast.StringTerm(name), ast.NewTerm(scores(sc)))
		}
		signals.Insert(ast.StringTerm("models"), ast.NewTerm(modelProbs))
		signals.Insert(ast.StringTerm("evidence"), ast.NewTerm(scores(evidence)))
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
			signals.Insert(ast.StringTerm("links"), links(s.Links))
			signals.Insert(ast.StringTerm("link_share"), ast.FloatNumberTerm(s.LinkShare))
		}
		analysed := make([]*ast.Term, len(s.Analysed))
		for i, a := range s.Analysed {
			analysed[i] = ast.StringTerm(a)
		}
		signals.Insert(ast.StringTerm("analysed"), ast.ArrayTerm(analysed...))
		signals.Insert(ast.StringTerm("lang"), ast.StringTerm(s.Lang))
		if len(s.Cues) > 0 {
			signals.Insert(ast.StringTerm("cues"), cues(s.Cues))
		}
		if it := s.ImageText; it != nil && it.Error == "" {
			signals.Insert(ast.StringTerm("image_text"), ast.NewTerm(imageTextValue(it, imageText)))
		}
		if b := s.Behaviour; b != nil {
			signals.Insert(ast.StringTerm("behaviour"), ast.NewTerm(behaviour(b, b.Notable(s.Cues))))
		}
	}

	labels := make([]*ast.Term, len(in.User.Labels))
	for i, l := range in.User.Labels {
		labels[i] = ast.StringTerm(l)
	}
	user := ast.NewObject(
		item("strikes", ast.Number(itoa(in.User.Strikes))),
		item("recent_flags", ast.Number(itoa(in.User.RecentFlags))),
		item("restricted", ast.Boolean(in.User.Restricted)),
		item("labels", ast.NewArray(labels...)),
		item("reporters", ast.Number(itoa(in.User.Reporters))),
	)
	return ast.NewObject(item("event", event), item("signals", signals), item("user", user))
}

func item(k string, v ast.Value) [2]*ast.Term { return ast.Item(ast.StringTerm(k), ast.NewTerm(v)) }

func party(p *engine.Party) ast.Object {
	return ast.NewObject(
		item("id", ast.String(p.ID)),
		item("role", ast.String(p.Role)),
		item("age_band", ast.String(p.AgeBand)),
	)
}

// links is the text's links without their offsets, which no rule reads.
func links(ls []engine.Link) *ast.Term {
	out := make([]*ast.Term, len(ls))
	for i, l := range ls {
		o := ast.NewObject(item("host", ast.String(l.Host)), item("domain", ast.String(l.Domain)))
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
// event belongs to a conversation with a minor, and notable, whether some
// count is past its floor (engine.BehaviourSignals.Notable), which gates
// the policy's pattern rules (checkBehaviourGate).
func behaviour(b *engine.BehaviourSignals, notable bool) ast.Object {
	o := ast.NewObject(
		item("notable", ast.Boolean(notable)),
		item("rate_10s", ast.Number(itoa(b.Rate10s))),
		item("rate_60s", ast.Number(itoa(b.Rate60s))),
		item("rate_10m", ast.Number(itoa(b.Rate10m))),
		item("repeats", ast.Number(itoa(b.Repeats))),
		item("near_repeats", ast.Number(itoa(b.NearRepeats))),
		item("wave_senders", ast.Number(itoa(b.WaveSenders))),
		item("account_age_hours", ast.Number(itoa(b.AccountAgeHours))),
		item("pile_on_senders", ast.Number(itoa(b.PileOnSenders))),
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
			ast.Item(ast.StringTerm("cues"), cues(g.Cues)),
			ast.Item(ast.StringTerm("messages"), ast.IntNumberTerm(g.Messages)),
			ast.Item(ast.StringTerm("cue_messages"), ast.IntNumberTerm(g.CueMessages)),
			ast.Item(ast.StringTerm("days"), ast.IntNumberTerm(g.Days)),
		))
	}
	return o
}

// imageTextValue is signals.image_text.
func imageTextValue(it *engine.ImageText, evidence engine.Scores) ast.Object {
	pii := make([]*ast.Term, len(it.PII))
	for i, p := range it.PII {
		pii[i] = ast.ObjectTerm(
			ast.Item(ast.StringTerm("type"), ast.StringTerm(string(p.Type))),
			ast.Item(ast.StringTerm("score"), ast.FloatNumberTerm(p.Score)),
		)
	}
	return ast.NewObject(
		item("evidence", scores(evidence)),
		item("pii", ast.NewArray(pii...)),
		item("words", ast.Number(itoa(it.Words))),
	)
}

func cues(cs []engine.GroomingCue) *ast.Term {
	out := make([]*ast.Term, len(cs))
	for i, c := range cs {
		out[i] = ast.StringTerm(string(c))
	}
	return ast.ArrayTerm(out...)
}

func scores(s engine.Scores) ast.Object {
	o := ast.NewObject()
	for c, v := range s {
		o.Insert(ast.StringTerm(string(c)), ast.FloatNumberTerm(v))
	}
	return o
}

func itoa(n int) string { return strconv.Itoa(n) }

// decodeResult reads the decision document. It is strict: a policy that
// returns a malformed decision is an error, never an allow.
func decodeResult(v any) (*engine.PolicyResult, error) {
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

// decoder reads OPA's Go values, remembering the first type mismatch.
type decoder struct{ err error }

func (d *decoder) fail(field, want string) {
	if d.err == nil {
		d.err = fmt.Errorf("%s: want %s", field, want)
	}
}

func (d *decoder) object(v any, field string) map[string]any {
	o, ok := v.(map[string]any)
	if !ok {
		d.fail(field, "an object")
	}
	return o
}

func (d *decoder) array(o map[string]any, field string) []any {
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

func (d *decoder) number(v any, field string) float64 {
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

func (d *decoder) string(v any, field string) string {
	s, ok := v.(string)
	if !ok {
		d.fail(field, "a string")
	}
	return s
}

func (d *decoder) str(o map[string]any, field string, required bool) string {
	v, ok := o[field]
	if !ok {
		if required {
			d.fail(field, "a string (required)")
		}
		return ""
	}
	return d.string(v, field)
}
