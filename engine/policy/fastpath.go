package policy

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"

	"github.com/haechi-tns/haechi/engine"
)

// Most messages reach no level of any rule: no category's evidence is at
// a threshold, there is no personal information, no lexicon or hash
// match, no link, no grooming cue, the sender's behaviour is not notable
// and nobody reported them. For such a quiet message the policy's
// decision is the same whatever else the message carries, and the engine
// can answer it without evaluating the policy. It does so only where it
// has proven that from the bundle itself when the bundle loaded:
//
//  1. Partial evaluation of every principle's violations, with the quiet
//     signals known and every other field of the input unknown, leaves
//     nothing: no rule can fire on any quiet message, whatever its space,
//     sender, recipient, scores below the levels, language or counts.
//  2. Partial evaluation of the decision with every principle's
//     violations empty and the input unknown is one constant: the
//     decision does not depend on the input except through violations.
//
// Together they say the decision of every quiet message is that constant,
// which the fast path returns. A bundle for which either proof leaves
// anything (an operator's rule that fires below the levels, a decision
// that reads the input itself, a rule written with else, which OPA does
// not partially evaluate) is evaluated in full for that shape of message:
// the bundle is honoured, never overridden. Load logs which shapes the
// fast path serves.

// quietShape is the shape of a quiet message: its kind, and whether the
// behaviour tracker observed it. The proofs are made per shape, because
// the input's fields differ between them.
type quietShape int

const (
	quietChat quietShape = iota
	quietVoice
	quietChatObserved
	quietVoiceObserved
	quietShapes
)

func (s quietShape) kind() engine.Kind {
	if s == quietVoice || s == quietVoiceObserved {
		return engine.KindVoice
	}
	return engine.KindChat
}

func (s quietShape) observed() bool { return s >= quietChatObserved }

func (s quietShape) String() string {
	name := string(s.kind())
	if s.observed() {
		name += "+behaviour"
	}
	return name
}

// fastPath holds, per quiet shape, the decision the bundle was proven to
// make for every message of that shape, or why it was not.
type fastPath struct {
	decisions [quietShapes]*engine.PolicyResult
	refused   [quietShapes]string
}

// shapeOf is the quiet shape of in, whose levels reached are reached, or
// false when in is not quiet. It must pin exactly what quietInput pins.
func shapeOf(in *engine.PolicyInput, reached map[engine.Category][]string, quietWaves bool) (quietShape, bool) {
	if len(reached) > 0 {
		return 0, false
	}
	return quietExceptReached(in, quietWaves)
}

// quietExceptReached is the quiet shape in would have if it reached no
// level, or false when something else makes it not quiet.
func quietExceptReached(in *engine.PolicyInput, quietWaves bool) (quietShape, bool) {
	s := in.Signals
	if s == nil || len(s.PII) > 0 || len(s.HashMatches) > 0 || len(s.Links) > 0 ||
		len(s.Cues) > 0 || s.ImageText != nil || in.User.Reporters != 0 {
		return 0, false
	}
	var shape quietShape
	switch in.Event.Kind {
	case engine.KindChat:
		shape = quietChat
	case engine.KindVoice:
		shape = quietVoice
	default:
		return 0, false
	}
	if b := s.Behaviour; b != nil {
		if notable(s, quietWaves) {
			return 0, false
		}
		shape += quietChatObserved
	}
	return shape, true
}

// decision is the proven decision for in, or nil when in must be
// evaluated.
func (f *fastPath) decision(in *engine.PolicyInput, reached map[engine.Category][]string, quietWaves bool) *engine.PolicyResult {
	if f == nil {
		return nil
	}
	shape, ok := shapeOf(in, reached, quietWaves)
	if !ok {
		return nil
	}
	return f.decisions[shape]
}

// cloneDecision copies d and its lists: a decision proven once (the fast
// path's, a shape's, the aggregation's allow) is given to many messages,
// and no caller's change to its copy may reach the others.
func cloneDecision(d *engine.PolicyResult) *engine.PolicyResult {
	res := *d
	res.Categories = slices.Clone(res.Categories)
	res.RuleIDs = slices.Clone(res.RuleIDs)
	res.Reasons = slices.Clone(res.Reasons)
	res.Fired = slices.Clone(res.Fired)
	res.Redact.PII = slices.Clone(res.Redact.PII)
	res.Redact.Categories = slices.Clone(res.Redact.Categories)
	return &res
}

// String says which shapes the fast path serves, for the load log.
func (f *fastPath) String() string {
	var on, off []string
	for s := range quietShapes {
		if f.decisions[s] != nil {
			on = append(on, s.String())
		} else {
			off = append(off, s.String()+" ("+f.refused[s]+")")
		}
	}
	switch {
	case len(off) == 0:
		return "on for " + strings.Join(on, ", ")
	case len(on) == 0:
		return "off: " + strings.Join(off, "; ")
	}
	return "on for " + strings.Join(on, ", ") + "; off for " + strings.Join(off, "; ")
}

// inputFields are the leaves of the input inputValue can build, as paths
// below input; an object that is taken whole (a party, scores) is one
// leaf. TestInputFieldsCoverTheInput holds the list to the builder: a
// field the builder writes and the list lacks would be taken as absent
// by the proofs.
var inputFields = []string{
	"event.id", "event.kind", "event.world", "event.space", "event.sender",
	"event.recipient", "event.lang", "event.text_length", "event.asr_confidence",
	"signals.scores", "signals.sources", "signals.models", "signals.evidence",
	"signals.reached", "signals.pii", "signals.hash_matches", "signals.links",
	"signals.link_share", "signals.analysed", "signals.lang", "signals.cues",
	"signals.image_text",
	"signals.behaviour.notable", "signals.behaviour.rate_10s", "signals.behaviour.rate_60s",
	"signals.behaviour.rate_10m", "signals.behaviour.repeats", "signals.behaviour.near_repeats",
	"signals.behaviour.wave_senders", "signals.behaviour.account_age_hours",
	"signals.behaviour.pile_on_senders", "signals.behaviour.domain_senders",
	"signals.behaviour.grooming",
	"user.strikes", "user.recent_flags", "user.restricted", "user.labels", "user.reporters",
}

// quietInput is what every message of shape s is known to carry, and the
// fields it may carry with any value (unknowns). Fields in neither are
// known to be absent. It must pin exactly what shapeOf checks.
func quietInput(s quietShape) (known *ast.Term, unknowns []string) {
	pinned := map[string]*ast.Term{
		"event.kind":           ast.StringTerm(string(s.kind())),
		"signals.reached":      ast.ObjectTerm(),
		"signals.pii":          ast.ArrayTerm(),
		"signals.hash_matches": ast.ArrayTerm(),
		"user.reporters":       ast.IntNumberTerm(0),
	}
	absent := []string{"signals.links", "signals.link_share", "signals.cues", "signals.image_text"}
	if s.observed() {
		pinned["signals.behaviour.notable"] = ast.BooleanTerm(false)
	}
	known = ast.ObjectTerm()
	for _, f := range inputFields {
		if slices.Contains(absent, f) || (!s.observed() && strings.HasPrefix(f, "signals.behaviour.")) {
			continue
		}
		if v, ok := pinned[f]; ok {
			setPath(known.Value.(ast.Object), strings.Split(f, "."), v)
			continue
		}
		unknowns = append(unknowns, "input."+f)
	}
	return known, unknowns
}

// setPath sets obj's value at path, making the objects on the way.
func setPath(obj ast.Object, path []string, v *ast.Term) {
	k := ast.StringTerm(path[0])
	if len(path) == 1 {
		obj.Insert(k, v)
		return
	}
	next := obj.Get(k)
	if next == nil {
		next = ast.ObjectTerm()
		obj.Insert(k, next)
	}
	setPath(next.Value.(ast.Object), path[1:], v)
}

// checkFastPath evaluates the bundle in full on one message of each shape
// the fast path serves and refuses the bundle if the decision differs from
// the proven one: the proofs rest on OPA's partial evaluation and on
// shapeOf, quietInput and inputFields agreeing, and this is their test on
// every load.
func (p *prepared) checkFastPath(ctx context.Context) error {
	for s, want := range p.fast.decisions {
		if want == nil {
			continue
		}
		in := quietWitness(quietShape(s))
		if shape, ok := shapeOf(in, nil, p.quietWaves); !ok || shape != quietShape(s) {
			return fmt.Errorf("internal: the %s witness is not a quiet %s message", quietShape(s), quietShape(s))
		}
		evidence := p.models.evidence(in.Signals)
		reached := p.levels.reached(p.candidates(evidence), in.Event.Space.Type, in.User.Strikes)
		if len(reached) > 0 {
			continue // the bundle's levels are low enough for the witness to reach one
		}
		got, err := p.evaluate(ctx, inputValue(in, evidence, nil, reached, p.reads, p.quietWaves))
		if err != nil {
			return err
		}
		got.Revision = ""
		if !reflect.DeepEqual(got, want) {
			return fmt.Errorf("the fast path's decision for a quiet %s message, proven by partial evaluation, is %+v; the policy decides %+v", quietShape(s), *want, *got)
		}
	}
	return nil
}

// quietWitness is an ordinary quiet message of shape s.
func quietWitness(s quietShape) *engine.PolicyInput {
	in := &engine.PolicyInput{
		Event: engine.PolicyEvent{
			ID: "fast-path-check", Kind: s.kind(), World: "fast-path-check",
			Space:  engine.Space{ID: "fast-path-check", Type: engine.SpacePlaza},
			Sender: engine.Party{ID: "fast-path-check", Role: engine.RoleCitizen, AgeBand: engine.AgeAdult},
			Lang:   "ko", TextLength: 12, Confidence: 0.9,
		},
		Signals: &engine.Signals{Scores: engine.Scores{engine.Toxic: 0.01}, Analysed: []string{"text"}, Lang: "ko"},
		User:    engine.UserContext{Strikes: 1, RecentFlags: 1},
	}
	if s.observed() {
		in.Signals.Behaviour = &engine.BehaviourSignals{Rate10s: 1, Rate60s: 2, Rate10m: 3, AccountAgeHours: 4000}
	}
	return in
}

// violationsQuery is every principle's violations.
const violationsQuery = "data.haechi.principles[_].violation[_]"

// proveFastPath makes the two proofs for each quiet shape on the bundle
// as compiled and returns what the fast path may serve. An error is
// returned only when OPA fails; a proof that does not hold turns the fast
// path off for that shape.
func proveFastPath(ctx context.Context, modules map[string]*ast.Module, compiler *ast.Compiler, store storage.Store) (*fastPath, error) {
	f := &fastPath{}
	emptied, err := withoutViolations(modules)
	if err != nil {
		return nil, err
	}
	for s := range quietShapes {
		known, unknowns := quietInput(s)
		residual, err := partial(ctx, compiler, store, ast.MustParseBody(violationsQuery), known, unknowns)
		if err != nil {
			return nil, err
		}
		if len(residual) > 0 {
			f.refused[s] = fmt.Sprintf("%d ways a rule may fire, e.g. %s", len(residual), clip(residual[0].String()))
			continue
		}
		constant, err := partial(ctx, emptied, store, decisionQuery, known, unknowns)
		if err != nil {
			return nil, err
		}
		v, why := constantDecision(constant)
		if v == nil {
			f.refused[s] = why
			continue
		}
		res, err := decodeResult(v)
		if err != nil {
			return nil, fmt.Errorf("the decision of a quiet %s message: %w", s, err)
		}
		f.decisions[s] = res
	}
	return f, nil
}

// decisionVar is the variable the constant decision is bound to.
const decisionVar = ast.Var("quiet_decision")

// decisionQuery binds the decision to decisionVar.
var decisionQuery = ast.NewBody(ast.Equality.Expr(ast.NewTerm(decisionVar), ast.NewTerm(ast.MustParseRef(Query))))

// principlesPath is where the principles' packages are.
var principlesPath = ast.MustParseRef("data.haechi.principles")

// withoutViolations compiles modules with every principle's violation
// rules replaced by an empty set: OPA's partial evaluation does not
// expand a query that replaces them with `with`.
func withoutViolations(modules map[string]*ast.Module) (*ast.Compiler, error) {
	c, _, err := replaceViolations(modules, "without its violations", func(string) *ast.Term { return ast.SetTerm() })
	return c, err
}

// replaceViolations compiles copies of modules in which every principle's
// violation rules are replaced by one rule, violation := value(principle),
// principle being the package's name under data.haechi.principles; it
// returns the principles replaced, sorted. what names the variant in an
// error.
func replaceViolations(modules map[string]*ast.Module, what string, value func(principle string) *ast.Term) (*ast.Compiler, []string, error) {
	out := make(map[string]*ast.Module, len(modules)+8)
	replaced := map[string]*ast.Package{}
	for name, m := range modules {
		m = m.Copy()
		if isPrinciple(m) && slices.ContainsFunc(m.Rules, isViolationRule) {
			m.Rules = slices.DeleteFunc(m.Rules, isViolationRule)
			replaced[string(m.Package.Path[len(principlesPath)].Value.(ast.String))] = m.Package
		}
		out[name] = m
	}
	names := slices.Sorted(maps.Keys(replaced))
	for _, name := range names {
		m := &ast.Module{Package: replaced[name].Copy()}
		m.Rules = []*ast.Rule{{Head: ast.NewHead(ast.Var("violation"), nil, value(name)), Body: ast.NewBody(ast.NewExpr(ast.BooleanTerm(true))), Module: m}}
		m.Rules[0].Head.Assign = true
		out["replaced-violations:"+name] = m
	}
	c := ast.NewCompiler().WithEnablePrintStatements(false)
	if c.Compile(out); c.Failed() {
		return nil, nil, fmt.Errorf("compile the bundle %s: %w", what, c.Errors)
	}
	return c, names, nil
}

// isPrinciple reports whether m is a package directly under
// data.haechi.principles.
func isPrinciple(m *ast.Module) bool {
	p := m.Package.Path
	if !p.HasPrefix(principlesPath) || len(p) != len(principlesPath)+1 {
		return false
	}
	_, ok := p[len(principlesPath)].Value.(ast.String)
	return ok
}

func isViolationRule(r *ast.Rule) bool { return r.Head.Ref().String() == "violation" }

// partial partially evaluates query on the bundle with known as the input
// and unknowns unknown, and returns the residual queries. Partial
// evaluation rewrites the terms of its query and input in place, so it is
// given copies: query may be shared by bundles loading at once, and known
// may hold shared terms.
func partial(ctx context.Context, compiler *ast.Compiler, store storage.Store, query ast.Body, known *ast.Term, unknowns []string) ([]ast.Body, error) {
	known = known.Copy()
	pq, err := rego.New(
		rego.ParsedQuery(query.Copy()),
		rego.Compiler(compiler),
		rego.Store(store),
		rego.SetRegoVersion(ast.RegoV1),
		rego.ParsedInput(known.Value),
		rego.Unknowns(unknowns),
	).Partial(ctx)
	if err != nil {
		return nil, fmt.Errorf("partially evaluate %s: %w", query, err)
	}
	return pq.Queries, nil
}

// constantDecision is the decision residual binds unconditionally, or nil
// and why residual is not one constant.
func constantDecision(residual []ast.Body) (ast.Value, string) {
	v, why := constantBinding(residual, decisionVar)
	if v == nil {
		return nil, "the decision without violations " + why
	}
	return v, ""
}

// constantBinding is the constant residual binds v to unconditionally, or
// nil and why residual is not that.
func constantBinding(residual []ast.Body, v ast.Var) (ast.Value, string) {
	if len(residual) != 1 {
		return nil, fmt.Sprintf("has %d cases, not one", len(residual))
	}
	q := residual[0]
	if len(q) != 1 || !q[0].IsEquality() || len(q[0].With) > 0 || q[0].Negated {
		return nil, "depends on the input: " + clip(q.String())
	}
	a, b := q[0].Operand(0), q[0].Operand(1)
	if a.Equal(ast.NewTerm(v)) {
		a, b = b, a
	}
	if !b.Equal(ast.NewTerm(v)) || !ast.IsConstant(a.Value) {
		return nil, "depends on the input: " + clip(q.String())
	}
	return a.Value, ""
}

// clip shortens a residual query for a log line.
func clip(s string) string {
	const n = 160
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
