package policy

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/internal/racetest"
)

// TestAggregationServesTheDefaultBundle: the default bundle's aggregation
// passes its checks, so its fired rules are aggregated by the engine.
// (TestFastPathAgreesWithThePolicy holds the engine's decisions, fast
// path and aggregation both, to the full query on random messages.)
func TestAggregationServesTheDefaultBundle(t *testing.T) {
	e := repoEngine(t)
	if a := e.cur.Load().agg; a.agg == nil {
		t.Fatalf("aggregation off: %s", a.refused)
	}
}

// TestAggregationDeclinesWhatItWasNotCheckedOn: a set of violations with
// an action or severity the bundle does not rank, a reason missing, a
// rule id fired twice or a field of the wrong type is left to the
// bundle's own aggregation.
func TestAggregationDeclinesWhatItWasNotCheckedOn(t *testing.T) {
	e := repoEngine(t)
	a := e.cur.Load().agg.agg
	const ok = `{"rule_id": "a", "action": "hold", "severity": "medium", "principle": "p", "value": "v", "reason": {"ko": "k", "en": "e"}}`
	if _, good := a.decide(ast.MustParseTerm(`{` + ok + `}`).Value); !good {
		t.Fatal("a well-formed violation was declined")
	}
	for name, set := range map[string]string{
		"unranked action":   `{"rule_id": "a", "action": "warn", "severity": "medium", "principle": "p", "value": "v", "reason": {"ko": "k", "en": "e"}}`,
		"unranked severity": `{"rule_id": "a", "action": "hold", "severity": "severe", "principle": "p", "value": "v", "reason": {"ko": "k", "en": "e"}}`,
		"no reason":         `{"rule_id": "a", "action": "hold", "severity": "medium", "principle": "p", "value": "v"}`,
		"half a reason":     `{"rule_id": "a", "action": "hold", "severity": "medium", "principle": "p", "value": "v", "reason": {"ko": "k"}}`,
		"rule fired twice":  ok + `, {"rule_id": "a", "action": "block", "severity": "high", "principle": "p", "value": "v", "reason": {"ko": "k", "en": "e"}}`,
		"numeric category":  `{"rule_id": "a", "action": "hold", "severity": "medium", "principle": "p", "value": "v", "category": 3, "reason": {"ko": "k", "en": "e"}}`,
		"redact not a list": `{"rule_id": "a", "action": "redact", "severity": "low", "principle": "p", "value": "v", "redact": {"pii": "phone"}, "reason": {"ko": "k", "en": "e"}}`,
		"top without value": `{"rule_id": "a", "action": "hold", "severity": "medium", "principle": "p", "reason": {"ko": "k", "en": "e"}}`,
	} {
		if _, good := a.decide(ast.MustParseTerm(`{` + set + `}`).Value); good {
			t.Errorf("%s: aggregated", name)
		}
	}
}

// TestAggregationHonoursAnEditedBundle: a bundle whose aggregation reads
// the input, or aggregates differently from the engine, is aggregated by
// its own rules, and its decisions follow the edit.
func TestAggregationHonoursAnEditedBundle(t *testing.T) {
	racetest.Heavy(t)
	ctx := context.Background()
	abusive := chatInput(engine.SpaceLegal, engine.Scores{engine.Profanity: 0.95, engine.Toxic: 0.95})
	for _, tc := range []struct {
		name, old, new string
		check          func(t *testing.T, res *engine.PolicyResult)
	}{{
		name: "queue by the input",
		old:  `	"queue": queue,`,
		new:  `	"queue": object.get({"legal": "legal_desk"}, input.event.space.type, queue),`,
		check: func(t *testing.T, res *engine.PolicyResult) {
			if res.Queue != "legal_desk" {
				t.Errorf("decision %+v, want the legal desk's queue", *res)
			}
		},
	}, {
		// No test of the bundle sees this, and no message of the default
		// rules: only the check's own rule ids.
		name: "principle renamed for one rule",
		old:  `	"principle": top.principle,`,
		new:  `	"principle": object.get({"check.rule_03": "renamed"}, top.rule_id, top.principle),`,
		check: func(t *testing.T, res *engine.PolicyResult) {
			if res.Principle == "renamed" || res.Principle == "" {
				t.Errorf("decision %+v", *res)
			}
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			e := editedEngine(t, "main.rego", tc.old, tc.new)
			if a := e.cur.Load().agg; a.agg != nil || a.refused == "" {
				t.Errorf("aggregation %s", a)
			}
			res, err := e.Evaluate(ctx, abusive)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Action.Restricts() {
				t.Fatalf("decision %+v, want a restriction", *res)
			}
			tc.check(t, res)
		})
	}
}

// TestBundlesLoadAtOnce: bundles proven at the same time (a serving
// bundle and a shadow candidate do) share no term that partial
// evaluation rewrites; run with -race.
func TestBundlesLoadAtOnce(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for i := range 3 {
		b := loadRepoPolicies(t)
		b.Revision = fmt.Sprintf("at-once-%d", i)
		wg.Go(func() {
			_, err := New(context.Background(), b, nil)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
