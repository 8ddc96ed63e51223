package policy

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/haechi-tns/haechi/engine"
)

// waveInput is a quiet chat message in a plaza that many senders posted
// within minutes, from an established account.
func waveInput(senders int) *engine.PolicyInput {
	in := chatInput(engine.SpacePlaza, engine.Scores{engine.Toxic: 0.01})
	in.Signals.Behaviour = &engine.BehaviourSignals{Rate10s: 1, Rate60s: 1, Rate10m: 2, WaveSenders: senders, AccountAgeHours: 5000}
	return in
}

// TestWaveAloneIsQuiet: under the default bundle, whose wave rules need an
// unverified link or new accounts, a wave alone takes the fast path with
// the full evaluation's decision; with a link or from a new account it is
// evaluated, and the wave rules fire.
func TestWaveAloneIsQuiet(t *testing.T) {
	ctx := context.Background()
	e := repoEngine(t)
	p := e.cur.Load()
	if !p.quietWaves {
		t.Fatalf("the default bundle keeps waves notable: %s", p.waves)
	}
	evaluate := func(in *engine.PolicyInput) (*engine.PolicyResult, bool) {
		t.Helper()
		before := e.Stats().Fast
		res, err := e.Evaluate(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return res, e.Stats().Fast > before
	}
	in := waveInput(40)
	res, fast := evaluate(in)
	if !fast || res.Action != engine.ActionAllow {
		t.Errorf("a wave alone: %s, fast path %v; want an allow on the fast path", res.Action, fast)
	}
	full, err := p.evaluate(ctx, inputValue(in, p.models.evidence(in.Signals), nil, nil, allInput, false))
	if err != nil {
		t.Fatal(err)
	}
	if full.Action != res.Action || !slices.Equal(full.RuleIDs, res.RuleIDs) {
		t.Errorf("evaluated with the wave notable: %+v; the fast path: %+v", *full, *res)
	}

	linked := waveInput(40)
	linked.Signals.Links = []engine.Link{{Host: "coin-gift.example", Domain: "coin-gift.example"}}
	linked.Signals.LinkShare = 0.5
	res, fast = evaluate(linked)
	if fast || !slices.Contains(res.RuleIDs, "prosperity.wave.link") {
		t.Errorf("a wave with an unverified link: %+v, fast path %v; want prosperity.wave.link", *res, fast)
	}
	young := waveInput(40)
	young.Signals.Behaviour.AccountAgeHours = 2
	res, fast = evaluate(young)
	if fast || !slices.Contains(res.RuleIDs, "prosperity.wave.new_accounts") {
		t.Errorf("a wave from a new account: %+v, fast path %v; want prosperity.wave.new_accounts", *res, fast)
	}
	flood := waveInput(40)
	flood.Signals.Behaviour.Rate10s = 30
	if _, fast = evaluate(flood); fast {
		t.Error("a wave from a flooding sender took the fast path")
	}
}

// TestWaveRuleOfAnOperatorIsHonoured: a bundle with a pattern that fires
// on a wave alone keeps every wave notable, and its rule decides.
func TestWaveRuleOfAnOperatorIsHonoured(t *testing.T) {
	ctx := context.Background()
	const file, old = "behaviour.rego", "import data.haechi.lib\n"
	rule := old + "\n" + `patterns contains {"rule_id": "operator.big_wave", "action": "hold", "category": "spam", "principle": "fairness",
	"value": "sustainable_prosperity", "severity": "low", "reason": {"ko": "큰 물결", "en": "A big wave."}} if {
	input.signals.behaviour.wave_senders >= 100
}
`
	e := editedEngine(t, file, old, rule)
	if p := e.cur.Load(); p.quietWaves || !strings.Contains(p.waves, "operator.big_wave") {
		t.Errorf("quiet waves %v (%s), want them notable because of operator.big_wave", p.quietWaves, p.waves)
	}
	res, err := e.Evaluate(ctx, waveInput(150))
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != engine.ActionHold || !slices.Equal(res.RuleIDs, []string{"operator.big_wave"}) {
		t.Errorf("a wave of 150: %+v, want the operator's hold", *res)
	}
	if res, err := e.Evaluate(ctx, waveInput(40)); err != nil || res.Action != engine.ActionAllow {
		t.Errorf("a wave of 40: %v %v, want an allow", res, err)
	}
}
