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
func inputValue(in *engine.PolicyInput) ast.Value {
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
		analysed := make([]*ast.Term, len(s.Analysed))
		for i, a := range s.Analysed {
			analysed[i] = ast.StringTerm(a)
		}
		signals.Insert(ast.StringTerm("analysed"), ast.ArrayTerm(analysed...))
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
	// The decision is small; a JSON round trip keeps this strict and short,
	// and costs little beside evaluation.
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("decision: %w", err)
	}
	var res engine.PolicyResult
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, fmt.Errorf("decision is malformed: %w", err)
	}
	if res.Action == "" {
		return nil, fmt.Errorf("decision has no action")
	}
	return &res, nil
}
