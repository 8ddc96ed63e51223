package policy

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"

	"github.com/haechi-tns/haechi/engine"
)

// The policy's decision is made in two steps: the principles' rules fire
// (data.haechi.main.fired, a set of violations), and main.rego aggregates
// them into the decision: the most restrictive action, then rule ids in
// order, severity, queue, redaction, reasons. In OPA the aggregation cost
// as much as all the rules (about 100 of 217 µs for a profane message),
// so the engine queries fired and aggregates in Go (aggregator.decide).
// It does so only for a bundle whose aggregation it has checked when the
// bundle loaded (proveAggregation):
//
//   - main.rego is compiled again with fired taken from the input, and
//     for a few sets of violations partial evaluation of the decision with
//     every other field of the input unknown must be one constant: the
//     decision depends on the input only through fired;
//   - on about two hundred sets of violations, drawn from the bundle's own
//     actions, severities and queues with every optional field present,
//     absent or empty, the Go aggregation equals the bundle's decision.
//
// A bundle that fails either check is decided by the full query, and the
// load log says why. A set of violations the Go aggregation was not
// checked on (an action or severity the bundle does not rank, a missing
// reason, a rule id fired twice) is decided by the full query as well.

// firedQuery is the violations that fired, which the aggregator reads.
const firedQuery = "data.haechi.main.fired"

// aggregator is the Go form of a bundle's aggregation.
type aggregator struct {
	fired        rego.PreparedEvalQuery
	actionRank   map[string]int
	severityRank map[string]int
	severityName map[int]string
	queues       map[string]string // default queue per action
	none         *engine.PolicyResult
}

// aggregation is the aggregator of a bundle, or nil and why it is off.
type aggregation struct {
	agg     *aggregator
	refused string
}

// String says whether the aggregation is the engine's, for the load log.
func (a aggregation) String() string {
	if a.agg != nil {
		return "engine"
	}
	return "policy (" + a.refused + ")"
}

// Keys of a violation, made once.
var (
	keyRuleID         = ast.StringTerm("rule_id")
	keyAction         = ast.StringTerm("action")
	keyCategory       = ast.StringTerm("category")
	keyPrinciple      = ast.StringTerm("principle")
	keyValue          = ast.StringTerm("value")
	keySeverity       = ast.StringTerm("severity")
	keyQueue          = ast.StringTerm("queue")
	keyReason         = ast.StringTerm("reason")
	keyKO             = ast.StringTerm("ko")
	keyEN             = ast.StringTerm("en")
	keyRedact         = ast.StringTerm("redact")
	keyPII            = ast.StringTerm("pii")
	keyCategories     = ast.StringTerm("categories")
	keyDowngradedFrom = ast.StringTerm("downgraded_from")
)

// violation is one fired rule as the aggregation reads it.
type violation struct {
	rule                        engine.FiredRule
	rank, severity              int
	hasCategory, hasQueue       bool
	hasPrinciple, hasValue      bool
	reason                      engine.Reason
	redactPII, redactCategories []string
}

// decide aggregates fired (OPA's value of data.haechi.main.fired) as
// main.rego does, or returns false when fired holds anything the
// aggregation was not checked on.
func (a *aggregator) decide(fired ast.Value) (*engine.PolicyResult, bool) {
	set, ok := fired.(ast.Set)
	if !ok {
		return nil, false
	}
	if set.Len() == 0 {
		return cloneDecision(a.none), true
	}
	vs := make([]violation, 0, set.Len())
	ok = true
	set.Until(func(t *ast.Term) bool {
		v, good := a.read(t)
		if !good {
			ok = false
			return true
		}
		vs = append(vs, v)
		return false
	})
	if !ok {
		return nil, false
	}
	slices.SortFunc(vs, func(x, y violation) int {
		return cmp.Or(cmp.Compare(y.rank, x.rank), strings.Compare(x.rule.RuleID, y.rule.RuleID))
	})
	for i := 1; i < len(vs); i++ {
		if vs[i].rule.RuleID == vs[i-1].rule.RuleID {
			return nil, false // the policy's by_id would conflict
		}
	}
	top := &vs[0]
	if !top.hasPrinciple || !top.hasValue {
		return nil, false
	}
	res := &engine.PolicyResult{
		Action:     top.rule.Action,
		Categories: []engine.Category{},
		RuleIDs:    make([]string, len(vs)),
		Principle:  top.rule.Principle,
		Value:      top.rule.Value,
		Reasons:    make([]engine.Reason, len(vs)),
		Fired:      make([]engine.FiredRule, len(vs)),
	}
	severity, queued := -1, false
	var pii, cats []string
	for i := range vs {
		v := &vs[i]
		res.RuleIDs[i] = v.rule.RuleID
		res.Reasons[i] = v.reason
		res.Fired[i] = v.rule
		if v.hasCategory {
			res.Categories = append(res.Categories, v.rule.Category)
		}
		severity = max(severity, v.severity)
		if !queued && v.hasQueue && v.rule.Action == top.rule.Action {
			res.Queue, queued = v.rule.Queue, true
		}
		pii = append(pii, v.redactPII...)
		cats = append(cats, v.redactCategories...)
	}
	slices.Sort(res.Categories)
	res.Categories = slices.Compact(res.Categories)
	if res.Severity, ok = a.severityName[severity]; !ok {
		return nil, false
	}
	if !queued {
		res.Queue = a.queues[string(top.rule.Action)]
	}
	res.Redact.PII = sortedSet[engine.PIIType](pii)
	res.Redact.Categories = sortedSet[engine.Category](cats)
	return res, true
}

// sortedSet is ss sorted without repeats, as T; nil when empty, as the
// policy's empty redaction lists are decoded.
func sortedSet[T ~string](ss []string) []T {
	if len(ss) == 0 {
		return nil
	}
	slices.Sort(ss)
	ss = slices.Compact(ss)
	out := make([]T, len(ss))
	for i, s := range ss {
		out[i] = T(s)
	}
	return out
}

// read reads one violation, or returns false for one the aggregation was
// not checked on.
func (a *aggregator) read(t *ast.Term) (violation, bool) {
	var v violation
	o, ok := t.Value.(ast.Object)
	if !ok {
		return v, false
	}
	str := func(k *ast.Term) (string, bool, bool) { // value, present, well-formed
		x := o.Get(k)
		if x == nil {
			return "", false, true
		}
		s, ok := x.Value.(ast.String)
		return string(s), true, ok
	}
	good := true
	need := func(k *ast.Term) string {
		s, present, ok := str(k)
		good = good && present && ok
		return s
	}
	opt := func(k *ast.Term) (string, bool) {
		s, present, ok := str(k)
		good = good && ok
		return s, present
	}
	v.rule.RuleID = need(keyRuleID)
	v.rule.Action = engine.Action(need(keyAction))
	sev := need(keySeverity)
	cat, hasCat := opt(keyCategory)
	v.rule.Category, v.hasCategory = engine.Category(cat), hasCat
	v.rule.Principle, v.hasPrinciple = opt(keyPrinciple)
	v.rule.Value, v.hasValue = opt(keyValue)
	v.rule.Queue, v.hasQueue = opt(keyQueue)
	down, _ := opt(keyDowngradedFrom)
	v.rule.DowngradedFrom = engine.Action(down)
	v.rule.Severity = sev
	if !good {
		return v, false
	}
	if v.rank, ok = a.actionRank[string(v.rule.Action)]; !ok {
		return v, false
	}
	if v.severity, ok = a.severityRank[sev]; !ok {
		return v, false
	}
	r := o.Get(keyReason)
	if r == nil {
		return v, false
	}
	reason, ok := r.Value.(ast.Object)
	if !ok {
		return v, false
	}
	koT, enT := reason.Get(keyKO), reason.Get(keyEN)
	if koT == nil || enT == nil {
		return v, false
	}
	ko, okKO := koT.Value.(ast.String)
	en, okEN := enT.Value.(ast.String)
	if !okKO || !okEN {
		return v, false
	}
	v.reason = engine.Reason{RuleID: v.rule.RuleID, KO: string(ko), EN: string(en)}
	if r := o.Get(keyRedact); r != nil {
		ro, ok := r.Value.(ast.Object)
		if !ok {
			return v, false
		}
		if v.redactPII, ok = stringArray(ro.Get(keyPII)); !ok {
			return v, false
		}
		if v.redactCategories, ok = stringArray(ro.Get(keyCategories)); !ok {
			return v, false
		}
	}
	return v, true
}

// stringArray reads an optional array of strings.
func stringArray(t *ast.Term) ([]string, bool) {
	if t == nil {
		return nil, true
	}
	arr, ok := t.Value.(*ast.Array)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, arr.Len())
	for i := range arr.Len() {
		s, ok := arr.Elem(i).Value.(ast.String)
		if !ok {
			return nil, false
		}
		out = append(out, string(s))
	}
	return out, true
}

// Bounds of the aggregation check.
const (
	// aggregationProofs is how many sets of violations the decision is
	// partially evaluated on with the input unknown.
	aggregationProofs = 6
	// aggregationChecks is how many the Go aggregation is compared on.
	aggregationChecks = 200
)

// checkedFired is the input field the check passes fired in.
const checkedFired = "haechi_fired_check"

// proveAggregation checks a bundle's aggregation against the Go one (see
// the top of this file) and returns the aggregator, or why the bundle's
// own aggregation must decide. An error is returned only when OPA fails
// on the bundle as it serves.
func proveAggregation(ctx context.Context, modules map[string]*ast.Module, compiler *ast.Compiler, store storage.Store) (aggregation, error) {
	a := &aggregator{}
	var why string
	if a.actionRank, why = readRanks(ctx, compiler, store, "data.haechi.lib.action_rank"); why != "" {
		return aggregation{refused: why}, nil
	}
	if a.severityRank, why = readRanks(ctx, compiler, store, "data.haechi.lib.severity_rank"); why != "" {
		return aggregation{refused: why}, nil
	}
	names, err := evalValue(ctx, compiler, store, "data.haechi.lib.severity_names")
	list, ok := names.([]any)
	if err != nil || !ok {
		return aggregation{refused: "data.haechi.lib.severity_names is not a list"}, nil
	}
	a.severityName = map[int]string{}
	for i, n := range list {
		s, ok := n.(string)
		if !ok {
			return aggregation{refused: "data.haechi.lib.severity_names holds a non-string"}, nil
		}
		a.severityName[i] = s
	}
	queues, err := evalValue(ctx, compiler, store, "data.haechi.config.queues")
	qm, ok := queues.(map[string]any)
	if err != nil || !ok {
		return aggregation{refused: "data.haechi.config.queues is not an object"}, nil
	}
	a.queues = map[string]string{}
	for k, q := range qm {
		s, ok := q.(string)
		if !ok {
			return aggregation{refused: "data.haechi.config.queues." + k + " is not a string"}, nil
		}
		a.queues[k] = s
	}

	checked, err := withFiredFromInput(modules)
	if err != nil {
		return aggregation{refused: err.Error()}, nil
	}
	rng := rand.New(rand.NewPCG(16, 15))
	unknowns := []string{"input.event", "input.signals", "input.user"}
	for i := range aggregationProofs {
		fired := ast.SetTerm()
		if i > 0 {
			fired = a.randomFired(rng)
		}
		known := ast.ObjectTerm(ast.Item(ast.StringTerm(checkedFired), fired))
		residual, err := partial(ctx, checked, store, decisionQuery, known, unknowns)
		if err != nil {
			return aggregation{}, err
		}
		v, why := constantDecision(residual)
		if v == nil {
			return aggregation{refused: why}, nil
		}
		if i == 0 {
			if a.none, err = decodeResult(v); err != nil {
				return aggregation{refused: "the decision without violations: " + err.Error()}, nil
			}
		}
		if why := a.compare(fired, v); why != "" {
			return aggregation{refused: why}, nil
		}
	}
	pq, err := rego.New(rego.ParsedQuery(decisionQuery.Copy()), rego.Compiler(checked), rego.Store(store),
		rego.SetRegoVersion(ast.RegoV1), rego.StrictBuiltinErrors(true)).PrepareForEval(ctx)
	if err != nil {
		return aggregation{}, fmt.Errorf("prepare the aggregation check: %w", err)
	}
	for range aggregationChecks {
		fired := a.randomFired(rng)
		in := ast.NewObject(ast.Item(ast.StringTerm(checkedFired), fired))
		rs, err := pq.Eval(ctx, rego.EvalParsedInput(in), rego.EvalGenerateJSON(astResult))
		if err != nil {
			return aggregation{refused: "the decision on a set of violations: " + err.Error()}, nil
		}
		if len(rs) != 1 {
			return aggregation{refused: "no decision for the set of violations " + clip(fired.String())}, nil
		}
		v, _ := rs[0].Bindings[string(decisionVar)].(ast.Value)
		if why := a.compare(fired, v); why != "" {
			return aggregation{refused: why}, nil
		}
	}
	if a.fired, err = prepareCheck(ctx, firedQuery, compiler, store); err != nil {
		return aggregation{}, err
	}
	return aggregation{agg: a}, nil
}

// compare holds the Go aggregation of fired to the bundle's decision v.
func (a *aggregator) compare(fired *ast.Term, v ast.Value) string {
	want, err := decodeResult(v)
	if err != nil {
		return "the decision on a set of violations: " + err.Error()
	}
	got, ok := a.decide(fired.Value)
	if !ok {
		return "the engine does not aggregate the set of violations " + clip(fired.String())
	}
	if !reflect.DeepEqual(got, want) {
		return fmt.Sprintf("the engine aggregates %s as %+v, the policy as %+v", clip(fired.String()), *got, *want)
	}
	return ""
}

// randomFired is a set of one to six violations with distinct rule ids,
// drawn from the bundle's actions, severities and queues, each optional
// field present, absent or empty.
func (a *aggregator) randomFired(rng *rand.Rand) *ast.Term {
	actions := slices.Sorted(maps.Keys(a.actionRank))
	severities := slices.Sorted(maps.Keys(a.severityRank))
	queues := append(slices.Sorted(maps.Values(a.queues)), "youth_safety", "senior")
	cats := []string{"insult", "profanity", "threat", "spam", "pii", "hate"}
	pii := []string{"phone", "email", "bank_account", "resident_registration"}
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	ids := rng.Perm(12)[:1+rng.IntN(6)]
	items := make([]*ast.Term, 0, len(ids))
	for _, id := range ids {
		action := pick(actions)
		kv := [][2]*ast.Term{
			ast.Item(keyRuleID, ast.StringTerm(fmt.Sprintf("check.rule_%02d", id))),
			ast.Item(keyAction, ast.StringTerm(action)),
			ast.Item(keySeverity, ast.StringTerm(pick(severities))),
			ast.Item(keyPrinciple, ast.StringTerm(pick([]string{"reciprocity", "fairness", "authenticity"}))),
			ast.Item(keyValue, ast.StringTerm(pick([]string{"safe_experience", "sustainable_prosperity", ""}))),
			ast.Item(keyReason, ast.ObjectTerm(ast.Item(keyKO, ast.StringTerm("이유 "+action)), ast.Item(keyEN, ast.StringTerm("reason "+action)))),
		}
		switch rng.IntN(6) {
		case 0: // no category
		case 1:
			kv = append(kv, ast.Item(keyCategory, ast.StringTerm("")))
		default:
			kv = append(kv, ast.Item(keyCategory, ast.StringTerm(pick(cats))))
		}
		switch rng.IntN(8) {
		case 0:
			kv = append(kv, ast.Item(keyQueue, ast.StringTerm("")))
		case 1, 2, 3:
			kv = append(kv, ast.Item(keyQueue, ast.StringTerm(pick(queues))))
		}
		if rng.IntN(2) == 0 {
			var red [][2]*ast.Term
			if rng.IntN(2) == 0 {
				red = append(red, ast.Item(keyPII, ast.ArrayTerm(ast.StringTerm(pick(pii)), ast.StringTerm(pick(pii)))))
			}
			if rng.IntN(2) == 0 {
				red = append(red, ast.Item(keyCategories, ast.ArrayTerm(ast.StringTerm(pick(cats)))))
			}
			kv = append(kv, ast.Item(keyRedact, ast.ObjectTerm(red...)))
		}
		if rng.IntN(5) == 0 {
			kv = append(kv, ast.Item(keyDowngradedFrom, ast.StringTerm(pick(actions))))
		}
		if rng.IntN(5) == 0 {
			kv = append(kv, ast.Item(ast.StringTerm("score"), ast.FloatNumberTerm(rng.Float64())))
		}
		items = append(items, ast.ObjectTerm(kv...))
	}
	// A deep copy: the keys above are shared terms, and partial
	// evaluation rewrites the terms of its input in place.
	return ast.SetTerm(items...).Copy()
}

// withFiredFromInput compiles modules with data.haechi.main.fired read
// from input.haechi_fired_check, so the decision can be evaluated on any
// set of violations.
func withFiredFromInput(modules map[string]*ast.Module) (*ast.Compiler, error) {
	mainPath := ast.MustParseRef("data.haechi.main")
	out := make(map[string]*ast.Module, len(modules))
	replaced := false
	for name, m := range modules {
		m = m.Copy()
		if m.Package.Path.Equal(mainPath) {
			m.Rules = slices.DeleteFunc(m.Rules, func(r *ast.Rule) bool { return r.Head.Ref().String() == "fired" })
			if !replaced {
				r := &ast.Rule{
					Head:   ast.NewHead(ast.Var("fired"), nil, ast.NewTerm(ast.MustParseRef("input."+checkedFired))),
					Body:   ast.NewBody(ast.NewExpr(ast.BooleanTerm(true))),
					Module: m,
				}
				r.Head.Assign = true
				m.Rules = append(m.Rules, r)
				replaced = true
			}
		}
		out[name] = m
	}
	if !replaced {
		return nil, fmt.Errorf("the bundle has no package haechi.main")
	}
	c := ast.NewCompiler()
	if c.Compile(out); c.Failed() {
		return nil, fmt.Errorf("compile the bundle with fired from the input: %w", c.Errors)
	}
	return c, nil
}

// readRanks reads a rule mapping names to integer ranks.
func readRanks(ctx context.Context, compiler *ast.Compiler, store storage.Store, query string) (map[string]int, string) {
	v, err := evalValue(ctx, compiler, store, query)
	m, ok := v.(map[string]any)
	if err != nil || !ok {
		return nil, query + " is not an object"
	}
	out := make(map[string]int, len(m))
	for k, x := range m {
		n, ok := x.(json.Number)
		i, err := n.Int64()
		if !ok || err != nil {
			return nil, query + "." + k + " is not an integer"
		}
		out[k] = int(i)
	}
	return out, ""
}

// evalValue evaluates query on the bundle as Go values (numbers as
// json.Number), nil when undefined.
func evalValue(ctx context.Context, compiler *ast.Compiler, store storage.Store, query string) (any, error) {
	pq, err := prepareCheck(ctx, query, compiler, store)
	if err != nil {
		return nil, err
	}
	rs, err := pq.Eval(ctx)
	if err != nil || len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return nil, err
	}
	return rs[0].Expressions[0].Value, nil
}
