package policy

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage"

	"github.com/haechi-tns/haechi/engine"
)

// The fast path (fastpath.go) decides quiet messages. The next most common
// messages are quiet in every way but one: their evidence reaches some
// levels (profanity's redact, insult's block and redact, self-harm's
// escalate…) and nothing else is notable. For many of them the bundle's
// decision depends on nothing but which levels were reached, and the same
// few dozen combinations come back all day. Such a message has a shape:
// its quiet shape (kind, whether behaviour was observed) and the levels
// reached, exactly. The engine proves, per shape and from the bundle
// itself, that every message of that shape gets one decision, and then
// answers the shape's later messages with it:
//
//  1. Partial evaluation of every principle's violations, with the quiet
//     signals and signals.reached known and every other field unknown,
//     leaves only constants: the violations that fire are the same for
//     every message of the shape, whatever its space, sender, recipient,
//     scores, language or counts.
//  2. Partial evaluation of the rules fired (data.haechi.main.fired: the
//     violations, a voice transcript's blocks downgraded), on the bundle
//     with each principle's violations replaced by those constants and
//     the same input known and unknown, is one constant set. The engine's
//     aggregation (aggregate.go), checked on the bundle at load, makes
//     the decision from it, as it does for every message evaluated in
//     full; a revision whose aggregation is the bundle's has no shapes.
//  3. That decision equals the one the full evaluation gave the
//     first message of the shape (the witness). A difference would mean
//     the proofs and the engine disagree about the input; the shape is
//     then refused and the load log's logger says so.
//
// A shape is proven the first time it is seen, in the background, while
// that message and any others of its shape are evaluated in full; one
// whose proofs leave anything (a rule that also reads the space or the
// recipient, a voice transcript whose block may be downgraded) is refused
// and always evaluated in full. A revision proves at most shapeLimit
// shapes, so a stream of unusual combinations costs a bounded amount of
// work and memory.

// shapeLimit bounds the shapes one revision tries to prove (the demo's
// chat has about fifty); proofTimeout bounds one proof.
const (
	shapeLimit   = 1024
	proofTimeout = 30 * time.Second
)

// shapeKey names a shape: a quiet shape and the levels reached, or (an
// input shape, inputshapes.go) the known part of an input.
type shapeKey struct {
	quiet   quietShape
	reached string // category:level,level;… sorted, levels distinct
	input   string // an input shape's known part (inputKey); "" for the others
}

// reachedShapes holds one revision's proven and refused shapes.
type reachedShapes struct {
	mu       sync.RWMutex
	proven   map[shapeKey]*engine.PolicyResult
	refused  map[shapeKey]string // why; "" while the proof runs
	seen     map[string]struct{} // input shapes seen once (inputshapes.go)
	classes  map[inputClass]*classTally
	tries    [2]int // shapes tried, by kind
	inflight sync.WaitGroup

	// what the proofs need of the revision
	modules map[string]*ast.Module
	store   storage.Store
	agg     *aggregator

	// Partial evaluation rewrites terms of the compiled rules in place, so
	// the proofs run one at a time (proving) on compilers of their own,
	// made for the first proof: own is the bundle as it is, injected the
	// bundle with every principle's violations read from the input
	// (violationsFromInput). The revision's serving queries never see them.
	proving    sync.Mutex
	compilers  sync.Once
	own        *ast.Compiler
	injected   *ast.Compiler
	principles []string // replaced in injected
	compErr    error
}

// newReachedShapes returns nil when the revision's aggregation is the
// bundle's (agg is nil): the proofs end in the engine's.
func newReachedShapes(modules map[string]*ast.Module, store storage.Store, agg *aggregator) *reachedShapes {
	if agg == nil {
		return nil
	}
	// The proofs run later, on the modules as they are now.
	own := make(map[string]*ast.Module, len(modules))
	for name, m := range modules {
		own[name] = m.Copy()
	}
	return &reachedShapes{
		proven: map[shapeKey]*engine.PolicyResult{}, refused: map[shapeKey]string{}, seen: map[string]struct{}{},
		classes: map[inputClass]*classTally{},
		modules: own, store: store, agg: agg,
	}
}

// keyOf is the shape of in, or false when in has none: it is not quiet in
// every way but its levels, or it reaches none (the fast path's case).
func keyOf(in *engine.PolicyInput, reached map[engine.Category][]string, quietWaves bool) (shapeKey, bool) {
	if len(reached) == 0 {
		return shapeKey{}, false
	}
	q, ok := quietExceptReached(in, quietWaves)
	if !ok {
		return shapeKey{}, false
	}
	var b strings.Builder
	var lv [8]string
	for i, c := range slices.Sorted(maps.Keys(reached)) {
		if i > 0 {
			b.WriteByte(';')
		}
		writeName(&b, string(c))
		b.WriteByte(':')
		levels := slices.Compact(slices.Sorted(slices.Values(append(lv[:0], reached[c]...))))
		for j, l := range levels {
			if j > 0 {
				b.WriteByte(',')
			}
			writeName(&b, l)
		}
	}
	return shapeKey{quiet: q, reached: b.String()}, true
}

// writeName writes a category's or a level's name into a shape's key,
// quoted when it holds a character the key is built with (names come from
// the bundle's data), so that two shapes never share a key.
func writeName(b *strings.Builder, name string) {
	if name == "" || strings.ContainsAny(name, `:,;"`) {
		b.WriteString(strconv.Quote(name))
		return
	}
	b.WriteString(name)
}

// decision is the proven decision of shape k, or nil.
func (s *reachedShapes) decision(k shapeKey) *engine.PolicyResult {
	if s == nil {
		return nil
	}
	s.mu.RLock()
	d := s.proven[k]
	s.mu.RUnlock()
	return d
}

// observe starts the proof of shape k, whose first message in was decided
// witness by the full evaluation, unless k was tried before or the
// revision has tried shapeLimit shapes. log is told, as an error, of a
// shape refused other than by the bundle's doing: the proof disagreed with
// its witness, or OPA failed.
func (s *reachedShapes) observe(k shapeKey, reached map[engine.Category][]string, witness *engine.PolicyResult, log *slog.Logger, revision string) {
	if s == nil || !s.start(k) {
		return
	}
	reached = cloneReached(reached)
	s.finish(k, witness, log, revision, func() (*engine.PolicyResult, string, error) { return s.prove(k.quiet, reached) })
}

// tried reports whether shape k was tried (proven, refused or being
// proven) or the revision may try no more of its kind (reached shapes and
// input shapes have shapeLimit tries each). s.mu is held.
func (s *reachedShapes) tried(k shapeKey) bool {
	_, seen := s.refused[k]
	return seen || s.proven[k] != nil || s.tries[k.kind()] >= shapeLimit
}

// kind is 1 for an input shape, 0 for a reached shape.
func (k shapeKey) kind() int {
	if k.input != "" {
		return 1
	}
	return 0
}

// start reports whether the proof of shape k is to start now, and marks it
// started.
func (s *reachedShapes) start(k shapeKey) bool {
	s.mu.RLock()
	done := s.tried(k)
	s.mu.RUnlock()
	if done {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tried(k) {
		return false
	}
	s.refused[k] = ""
	s.tries[k.kind()]++
	return true
}

// finish runs prove, the proofs of shape k, in the background and keeps
// the shape's decision, witness, if they hold and agree with it.
func (s *reachedShapes) finish(k shapeKey, witness *engine.PolicyResult, log *slog.Logger, revision string, prove func() (*engine.PolicyResult, string, error)) {
	witness = detached(witness)
	s.inflight.Go(func() {
		d, why, err := prove()
		report := func(why string) {
			log.Error("policy: a shape was not proven; its messages are evaluated in full", "revision", revision, "shape", k.String(), "why", why)
		}
		switch {
		case err != nil:
			why = "the proof failed: " + err.Error()
			report(why)
		case d != nil && !sameDecision(detached(d), witness):
			why = fmt.Sprintf("the proven decision %+v differs from the policy's %+v", *d, *witness)
			report(why)
		case d != nil:
			// The witness is served: it is what the full evaluation
			// returns, to the last empty list.
			s.mu.Lock()
			defer s.mu.Unlock()
			delete(s.refused, k)
			s.proven[k] = witness
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.refused[k] = why
	})
}

// wait returns once the proofs started so far have ended.
func (s *reachedShapes) wait() {
	if s != nil {
		s.inflight.Wait()
	}
}

// counts is how many shapes are proven and how many refused.
func (s *reachedShapes) counts() (proven, refused int) {
	if s == nil {
		return 0, 0
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.proven), len(s.refused)
}

// String names shape k for a log.
func (k shapeKey) String() string {
	if k.input != "" {
		return "input " + k.input
	}
	return k.quiet.String() + " " + k.reached
}

// why says why shape k was refused, or "" when it was not.
func (s *reachedShapes) why(k shapeKey) string {
	if s == nil {
		return "the aggregation is the bundle's"
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.refused[k]
}

// shapeViolationsQuery binds each violation that fires and its principle.
var shapeViolationsQuery = ast.MustParseBody("shape_violation = data.haechi.principles[shape_principle].violation[_]")

// injectedKey is the input field the injected bundle reads each
// principle's violations from; no real input carries it.
const injectedKey = "haechi_shape_violations"

// prove makes proofs 1 and 2 for shape q with levels reached and returns
// the decision, or nil and why the proofs do not hold. An error is
// returned only when OPA fails.
func (s *reachedShapes) prove(q quietShape, reached map[engine.Category][]string) (*engine.PolicyResult, string, error) {
	known, unknowns := quietInput(q)
	setPath(known.Value.(ast.Object), []string{"signals", "reached"}, reachedTerm(reached))
	return s.proveKnown(known, unknowns)
}

// proveKnown makes proofs 1 and 2 for the messages whose input is known
// with any value for the fields unknowns names (and no other field), and
// returns their decision, or nil and why the proofs do not hold.
func (s *reachedShapes) proveKnown(known *ast.Term, unknowns []string) (*engine.PolicyResult, string, error) {
	s.proving.Lock()
	defer s.proving.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), proofTimeout)
	defer cancel()
	s.compilers.Do(func() {
		if s.own, s.compErr = compileModules(s.modules); s.compErr == nil {
			s.injected, s.principles, s.compErr = violationsFromInput(s.modules)
		}
	})
	if s.compErr != nil {
		return nil, "", s.compErr
	}
	residual, err := partial(ctx, s.own, s.store, shapeViolationsQuery, known, unknowns)
	if err != nil {
		return nil, "", err
	}
	fired := map[string][]*ast.Term{}
	for _, body := range residual {
		principle, v, ok := constantViolation(body)
		if !ok {
			return nil, "a rule may fire depending on more than the shape: " + clip(body.String()), nil
		}
		fired[principle] = append(fired[principle], v)
	}
	byPrinciple := ast.NewObject()
	for _, name := range s.principles {
		byPrinciple.Insert(ast.StringTerm(name), ast.SetTerm(fired[name]...))
	}
	for name := range fired {
		if byPrinciple.Get(ast.StringTerm(name)) == nil {
			return nil, "violations of " + name + ", which has no violation rules to replace", nil
		}
	}
	known.Value.(ast.Object).Insert(ast.StringTerm(injectedKey), ast.NewTerm(byPrinciple))
	residual, err = partial(ctx, s.injected, s.store, shapeFiredQuery, known, unknowns)
	if err != nil {
		return nil, "", err
	}
	f, why := constantBinding(residual, shapeFiredVar)
	if f == nil {
		return nil, "the set of rules fired " + why, nil
	}
	res, ok := s.agg.decide(f)
	if !ok {
		return nil, "the engine's aggregation was not checked on these rules; the bundle's decides", nil
	}
	return res, "", nil
}

// shapeFiredVar is bound to the rules fired in a shape's proof.
const shapeFiredVar = ast.Var("shape_fired")

// shapeFiredQuery binds the rules fired to shapeFiredVar.
var shapeFiredQuery = ast.NewBody(ast.Equality.Expr(ast.NewTerm(shapeFiredVar), ast.NewTerm(ast.MustParseRef(firedQuery))))

// constantViolation reads one residual query of shapeViolationsQuery: the
// principle and the violation, when the query binds both to constants and
// says nothing else.
func constantViolation(body ast.Body) (principle string, v *ast.Term, ok bool) {
	for _, e := range body {
		if !e.IsEquality() || len(e.With) > 0 || e.Negated {
			return "", nil, false
		}
		a, b := e.Operand(0), e.Operand(1)
		if _, isVar := b.Value.(ast.Var); isVar {
			a, b = b, a
		}
		name, isVar := a.Value.(ast.Var)
		if !isVar || !ast.IsConstant(b.Value) {
			return "", nil, false
		}
		switch name {
		case "shape_principle":
			s, isStr := b.Value.(ast.String)
			if !isStr {
				return "", nil, false
			}
			principle = string(s)
		case "shape_violation":
			v = b
		}
	}
	return principle, v, principle != "" && v != nil
}

// violationsFromInput compiles modules with every principle's violation
// rules replaced by input.haechi_shape_violations[principle], so that
// partial evaluation can be given the violations as known input; it
// returns the principles replaced.
func violationsFromInput(modules map[string]*ast.Module) (*ast.Compiler, []string, error) {
	return replaceViolations(modules, "with its violations from the input", func(principle string) *ast.Term {
		return ast.RefTerm(ast.InputRootDocument, ast.StringTerm(injectedKey), ast.StringTerm(principle))
	})
}

// compileModules compiles copies of modules for the proofs.
func compileModules(modules map[string]*ast.Module) (*ast.Compiler, error) {
	copies := make(map[string]*ast.Module, len(modules))
	for name, m := range modules {
		copies[name] = m.Copy()
	}
	c := ast.NewCompiler().WithEnablePrintStatements(false)
	if c.Compile(copies); c.Failed() {
		return nil, fmt.Errorf("shape proofs: compile the bundle: %w", c.Errors)
	}
	return c, nil
}

// detached is d as the proofs see it and a shape serves it: without the
// revision and the evidence, which the engine adds to every decision, and
// with lists that no caller of Evaluate can change afterwards.
func detached(d *engine.PolicyResult) *engine.PolicyResult {
	c := cloneDecision(d)
	c.Revision, c.Evidence, c.ImageTextEvidence = "", nil, nil
	return c
}

// sameDecision compares two detached decisions, an empty list equal to
// none: the decoder of the bundle's decision and the engine's aggregation
// may write either.
func sameDecision(a, b *engine.PolicyResult) bool {
	norm := func(d *engine.PolicyResult) engine.PolicyResult {
		c := *d
		c.Categories = orNil(c.Categories)
		c.RuleIDs = orNil(c.RuleIDs)
		c.Reasons = orNil(c.Reasons)
		c.Fired = orNil(c.Fired)
		c.Redact.PII = orNil(c.Redact.PII)
		c.Redact.Categories = orNil(c.Redact.Categories)
		return c
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

func orNil[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

func cloneReached(r map[engine.Category][]string) map[engine.Category][]string {
	out := make(map[engine.Category][]string, len(r))
	for c, l := range r {
		out[c] = slices.Clone(l)
	}
	return out
}
