package policy

import (
	"context"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/haechi-tns/haechi/engine"
)

// behaviourConfig is the repository bundle's data.haechi.config.behaviour.
func behaviourConfig(t *testing.T, b *Bundle) map[string]any {
	t.Helper()
	cfg := b.Data["haechi"].(map[string]any)["config"].(map[string]any)["behaviour"].(map[string]any)
	return cfg
}

// TestBehaviourGateChecked: the repository bundle passes the gate check on
// every quiet case; a threshold lowered below its floor, or a pattern rule
// that fires on quiet messages, is refused at load, never silently
// skipped by the gate.
func TestBehaviourGateChecked(t *testing.T) {
	ctx := context.Background()
	p, err := prepare(ctx, loadRepoPolicies(t))
	if err != nil {
		t.Fatal(err)
	}
	if want := len(quietCases()); p.gateChecks != want || want < len(engine.SpaceTypes) {
		t.Fatalf("checked %d quiet cases of %d", p.gateChecks, want)
	}

	b := loadRepoPolicies(t)
	flood := behaviourConfig(t, b)["flood"].(map[string]any)["spaces"].(map[string]any)["youth"].(map[string]any)
	flood["rate_60s"] = float64(engine.FloorRate60s - 1)
	if _, err := prepare(ctx, b); err == nil || !strings.Contains(err.Error(), "prosperity.flood.rate fires on a youth message") {
		t.Errorf("a flood threshold below the floor: %v", err)
	}

	b = loadRepoPolicies(t)
	behaviourConfig(t, b)["new_account_hours"] = float64(engine.FloorNewAccountHours + 1)
	if _, err := prepare(ctx, b); err == nil || !strings.Contains(err.Error(), "new_account") {
		t.Errorf("new accounts counted past a week: %v", err)
	}

	b = loadRepoPolicies(t)
	m, err := ast.ParseModuleWithOpts("extra_pattern.rego", `package haechi.principles.behaviour

patterns contains {"rule_id": "extra.every_message", "action": "hold", "category": "spam", "principle": "fairness", "severity": "low",
	"reason": {"ko": "x", "en": "x"}} if {
	input.signals.behaviour.rate_10m >= 0
}
`, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		t.Fatal(err)
	}
	b.Modules["extra_pattern.rego"] = m
	if _, err := prepare(ctx, b); err == nil || !strings.Contains(err.Error(), "extra.every_message") {
		t.Errorf("a pattern that fires on every message: %v", err)
	}
}
