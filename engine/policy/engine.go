package policy

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/haechi-tns/haechi/engine"
)

// Query is the document every bundle must define: the decision.
const Query = "data.haechi.main.decision"

// prepared is one compiled revision, ready to evaluate.
type prepared struct {
	bundle *Bundle
	key    [sha256.Size]byte // digest of bundle (cache.go)
	query  rego.PreparedEvalQuery
	models modelThresholds
	levels *levels
	floor  float64 // levels.floor(), computed once
	// gateChecks is how many cases checkBehaviourGate evaluated; 0 when
	// the bundle gates no pattern rules.
	gateChecks int
	// reachedChecks is how many cases checkReached compared; 0 when the
	// bundle does not read input.signals.reached.
	reachedChecks int
	// reads is what the bundle's modules can read of the input; the
	// input is built with that alone.
	reads *inputReads
	// fast is the decision of quiet messages, proven from the bundle
	// (fastpath.go).
	fast *fastPath
	// shapes are the decisions of messages quiet but for the levels they
	// reach, proven from the bundle shape by shape as they are seen
	// (shapes.go).
	shapes *reachedShapes
	// agg aggregates the fired rules into the decision in Go, where the
	// bundle's aggregation was checked (aggregate.go).
	agg aggregation
	// quietWaves says no pattern rule of the bundle fires on a wave alone,
	// so a wave alone does not open the gate (checkQuietWaves); waves
	// says why not when it is false.
	quietWaves bool
	waves      string
}

// Engine evaluates the serving policy revision. It is safe for concurrent
// use: Evaluate reads the current revision once per call, and Load swaps a
// new one in atomically, so every evaluation sees one whole revision.
type Engine struct {
	cur atomic.Pointer[prepared]
	log *slog.Logger
	// Check, if set before use, is asked about each bundle Load is given
	// after it compiled and passed its tests; an error refuses the bundle
	// as a failing test does. Other components that read the bundle's
	// data (the review queue's routing and priorities) refuse what they
	// cannot use here, so a reload never serves a bundle only half the
	// system accepted.
	Check func(*Bundle) error
	// OnSwap, if set before use, is called with each bundle that starts
	// serving after New.
	OnSwap func(*Bundle)
	// evaluated counts the inputs Evaluate decided, fast those the fast
	// path decided, shaped and inputShaped those a proven reached or input
	// shape decided; apart from cur, which every call reads.
	_                                    [64]byte
	evaluated, fast, shaped, inputShaped atomic.Uint64
}

// Stats is how many inputs the engine decided, how many of them the fast
// path decided without evaluating the policy, how many a proven reached
// shape decided (shapes.go) and how many a proven input shape
// (inputshapes.go).
type Stats struct{ Decided, Fast, Shaped, InputShaped uint64 }

// Stats returns the counts since the engine was made.
func (e *Engine) Stats() Stats {
	return Stats{Decided: e.evaluated.Load(), Fast: e.fast.Load(), Shaped: e.shaped.Load(), InputShaped: e.inputShaped.Load()}
}

// WaitProofs returns once the serving revision's shape proofs started so
// far have ended (benchmarks wait for them to measure the steady state).
func (e *Engine) WaitProofs() { e.cur.Load().shapes.wait() }

// New compiles a bundle, checks it (see Load), runs its tests and returns
// an engine serving it.
func New(ctx context.Context, b *Bundle, log *slog.Logger) (*Engine, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{log: log}
	if err := e.Load(ctx, b); err != nil {
		return nil, err
	}
	return e, nil
}

// Load compiles b, checks that the levels the engine computes from b's
// data agree with b's own definition of them (data.haechi.lib.computed_reached),
// runs b's tests and, if all succeed, makes it the serving revision; a
// bundle with the same content passed all of that before in this process
// is not compiled and checked again (cache.go). On failure the previous
// revision keeps serving and the error says why b was refused.
func (e *Engine) Load(ctx context.Context, b *Bundle) error {
	key, err := digest(b)
	if err != nil {
		return err
	}
	if cur := e.cur.Load(); cur != nil && cur.key == key {
		return nil
	}
	p, checked, err := preparedTested(ctx, b, key)
	if err != nil {
		return err
	}
	if e.Check != nil {
		if err := e.Check(b); err != nil {
			return fmt.Errorf("policy: revision %s refused: %w", b.Revision, err)
		}
	}
	old := e.cur.Swap(p)
	if e.OnSwap != nil {
		e.OnSwap(b)
	}
	prev := ""
	if old != nil {
		prev = old.bundle.Revision
	}
	e.log.Info("policy revision serving", "revision", b.Revision, "previous", prev, "modules", len(b.Modules), "tests", len(b.Tests), "reached_checks", p.reachedChecks, "fast_path", p.fast.String(), "aggregation", p.agg.String(), "waves", p.waves, "checks", checked)
	return nil
}

// prepare compiles b and reads what the engine needs from its data, then
// checks that the engine's levels agree with the policy's (checkReached).
func prepare(ctx context.Context, b *Bundle) (*prepared, error) {
	store := inmem.NewFromObjectWithOpts(b.Data, inmem.OptReturnASTValuesOnRead(true))
	var compiler *ast.Compiler
	opts := []func(*rego.Rego){
		rego.Query(Query),
		rego.Store(store),
		rego.SetRegoVersion(ast.RegoV1),
		rego.StrictBuiltinErrors(true),
		// The compiled modules are reused for checkReached's query.
		rego.CompilerHook(func(c *ast.Compiler) { compiler = c }),
	}
	for _, m := range b.Modules {
		opts = append(opts, rego.ParsedModule(m.Copy()))
	}
	pq, err := rego.New(opts...).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("policy: compile revision %s: %w", b.Revision, err)
	}
	models, err := readModelThresholds(b.Data)
	if err != nil {
		return nil, fmt.Errorf("policy: revision %s: %w", b.Revision, err)
	}
	lv, err := readLevels(b.Data)
	if err != nil {
		return nil, fmt.Errorf("policy: revision %s: %w", b.Revision, err)
	}
	p := &prepared{bundle: b, query: pq, models: models, levels: lv, floor: lv.floor(), reads: readsOf(compiler.Modules)}
	if p.reachedChecks, err = p.checkReached(ctx, compiler, store); err != nil {
		return nil, fmt.Errorf("policy: revision %s: %w", b.Revision, err)
	}
	if p.gateChecks, err = p.checkBehaviourGate(ctx, compiler, store); err != nil {
		return nil, fmt.Errorf("policy: revision %s: %w", b.Revision, err)
	}
	if p.quietWaves, p.waves, err = p.checkQuietWaves(ctx, compiler, store); err != nil {
		return nil, fmt.Errorf("policy: revision %s: %w", b.Revision, err)
	}
	if p.fast, err = proveFastPath(ctx, b.Modules, compiler, store); err != nil {
		return nil, fmt.Errorf("policy: revision %s: %w", b.Revision, err)
	}
	if err := p.checkFastPath(ctx); err != nil {
		return nil, fmt.Errorf("policy: revision %s: %w", b.Revision, err)
	}
	if p.agg, err = proveAggregation(ctx, b.Modules, compiler, store); err != nil {
		return nil, fmt.Errorf("policy: revision %s: %w", b.Revision, err)
	}
	p.shapes = newReachedShapes(b.Modules, store, p.agg.agg)
	return p, nil
}

// candidates is the evidence that can reach a level: graded categories at
// or above the floor.
func (p *prepared) candidates(evidence engine.Scores) engine.Scores {
	out := make(engine.Scores, 4)
	for c, v := range evidence {
		if v > 0 && v >= p.floor && p.levels.graded(c) {
			out[c] = v
		}
	}
	return out
}

// Revision returns the serving revision.
func (e *Engine) Revision() string { return e.cur.Load().bundle.Revision }

// Bundle returns the serving bundle.
func (e *Engine) Bundle() *Bundle { return e.cur.Load().bundle }

// Evaluate runs the serving revision on one input.
func (e *Engine) Evaluate(ctx context.Context, in *engine.PolicyInput) (*engine.PolicyResult, error) {
	p := e.cur.Load()
	evidence := p.models.evidence(in.Signals)
	reached := p.levels.reached(p.candidates(evidence), in.Event.Space.Type, in.User.Strikes)
	e.evaluated.Add(1)
	if d := p.fast.decision(in, reached, p.quietWaves); d != nil {
		return provenDecision(ctx, p, d, evidence, &e.fast)
	}
	shape, shaped := keyOf(in, reached, p.quietWaves)
	if shaped {
		if d := p.shapes.decision(shape); d != nil {
			return provenDecision(ctx, p, d, evidence, &e.shaped)
		}
	}
	imageText := p.imageTextEvidence(in.Signals)
	input := inputValue(in, evidence, imageText, reached, p.reads, p.quietWaves)
	// A message with a reached shape still being proven waits for that
	// proof; one without, or whose reached shape was refused, may have a
	// proven input shape (inputshapes.go).
	var ishape shapeKey
	var iclass inputClass
	inputShaped := false
	if p.shapes != nil && (!shaped || p.shapes.refusedShape(shape)) {
		if ishape, iclass, inputShaped = inputShapeOf(in, input, p.shapes, p.quietWaves); inputShaped {
			if d := p.shapes.decision(ishape); d != nil {
				return provenDecision(ctx, p, d, evidence, &e.inputShaped)
			}
		}
	}
	res, err := p.aggregated(ctx, input)
	if err != nil {
		return nil, err
	}
	if res == nil {
		if res, err = p.evaluate(ctx, input); err != nil {
			return nil, err
		}
	}
	if shaped {
		p.shapes.observe(shape, reached, res, e.log, p.bundle.Revision)
	}
	if inputShaped {
		p.shapes.observeInput(ishape, iclass, input, res, e.log, p.bundle.Revision)
	}
	res.Evidence = evidence
	res.ImageTextEvidence = imageText
	return res, nil
}

// provenDecision is a decision proven for a class of messages (the fast
// path's, a shape's) given to one of them, counted in n.
func provenDecision(ctx context.Context, p *prepared, d *engine.PolicyResult, evidence engine.Scores, n *atomic.Uint64) (*engine.PolicyResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("policy: evaluate: %w", err)
	}
	n.Add(1)
	res := cloneDecision(d)
	res.Revision = p.bundle.Revision
	res.Evidence = evidence
	return res, nil
}

// aggregated is the decision on input made from the fired rules by the
// engine's aggregation, or nil when the bundle's aggregation must make it
// (the aggregation is off, or the rules fired are not what it was
// checked on).
func (p *prepared) aggregated(ctx context.Context, input ast.Value) (*engine.PolicyResult, error) {
	a := p.agg.agg
	if a == nil {
		return nil, nil
	}
	rs, err := p.eval(ctx, a.fired, input)
	if err != nil {
		return nil, fmt.Errorf("policy: evaluate: %w", err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return nil, nil
	}
	v, ok := rs[0].Expressions[0].Value.(ast.Value)
	if !ok {
		return nil, nil
	}
	res, ok := a.decide(v)
	if !ok {
		return nil, nil
	}
	res.Revision = p.bundle.Revision
	return res, nil
}

// evaluate runs the decision query on input and reads its decision.
func (p *prepared) evaluate(ctx context.Context, input ast.Value) (*engine.PolicyResult, error) {
	rs, err := p.eval(ctx, p.query, input)
	if err != nil {
		return nil, fmt.Errorf("policy: evaluate: %w", err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return nil, errors.New("policy: bundle defines no decision for this input")
	}
	v, ok := rs[0].Expressions[0].Value.(ast.Value)
	if !ok {
		return nil, fmt.Errorf("policy: revision %s: decision is %T, not an OPA value", p.bundle.Revision, rs[0].Expressions[0].Value)
	}
	res, err := decodeResult(v)
	if err != nil {
		return nil, fmt.Errorf("policy: revision %s: %w", p.bundle.Revision, err)
	}
	res.Revision = p.bundle.Revision
	return res, nil
}

// eval runs the decision query on input; each result's value is an
// ast.Value (astResult). OPA would otherwise start a goroutine per query
// to watch ctx and gather metrics no one reads; the query is cancelled
// through context.AfterFunc instead, which costs nothing for a context
// that cannot be cancelled.
func (p *prepared) eval(ctx context.Context, query rego.PreparedEvalQuery, input ast.Value) (rego.ResultSet, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := topdown.NewCancel()
	stop := context.AfterFunc(ctx, c.Cancel)
	defer stop()
	return query.Eval(ctx, rego.EvalParsedInput(input), rego.EvalExternalCancel(c), rego.EvalMetrics(metrics.NoOp()), rego.EvalGenerateJSON(astResult))
}

// astResult has the query's results returned as OPA left them, for
// decodeResult, rather than converted to Go values that it would then
// read again.
func astResult(t *ast.Term, _ *rego.EvalContext) (any, error) { return t.Value, nil }

// imageTextEvidence is the evidence of an image's text, combined from its
// scores and models with the revision's model thresholds exactly as the
// evidence of a message is; nil when the image's text was not read.
// Rules compare it with lib.threshold themselves: it is not in
// signals.reached, which stays the caption's alone.
func (p *prepared) imageTextEvidence(sig *engine.Signals) engine.Scores {
	if sig == nil || sig.ImageText == nil || sig.ImageText.Error != "" {
		return nil
	}
	it := sig.ImageText
	ev := p.models.evidence(&engine.Signals{Scores: it.Scores, Models: it.Models, Lang: it.Lang})
	if ev == nil {
		ev = engine.Scores{}
	}
	return ev
}
