package policy

import (
	"context"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"

	"github.com/haechi-tns/haechi/engine"
)

// The policy's behavioural pattern rules (data.haechi.principles.behaviour
// .patterns) are evaluated only when the engine marks a message notable
// (engine.BehaviourSignals.Notable: some count at or past its floor). So
// that the gate cannot hide a rule an operator wrote or a threshold an
// operator lowered, prepare evaluates the patterns with the gate open on
// the messages the engine does not mark notable, every space type and
// kind of sender, and refuses the bundle if any pattern fires there
// (checkBehaviourGate).

// patternsQuery is the set of gated pattern rules.
const patternsQuery = "data.haechi.principles.behaviour.patterns"

// checkBehaviourGate returns the number of cases evaluated, or an error
// naming a pattern that fires below the floors. A bundle without the
// patterns set has nothing gated and is not checked.
func (p *prepared) checkBehaviourGate(ctx context.Context, compiler *ast.Compiler, store storage.Store) (int, error) {
	if len(compiler.GetRulesExact(ast.MustParseRef(patternsQuery))) == 0 {
		return 0, nil
	}
	pq, err := prepareCheck(ctx, patternsQuery, compiler, store)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range quietCases() {
		if c.b.Notable(nil) {
			return 0, fmt.Errorf("internal: gate case %+v is notable", c.b)
		}
		rule, err := firedPattern(ctx, pq, c.in)
		if err != nil {
			return 0, err
		}
		n++
		if rule != "" {
			return 0, fmt.Errorf("%s fires on a %s message whose behavioural counts are all below the floors the engine gates the patterns on "+
				"(engine.BehaviourSignals.Notable: %+v); it would never be evaluated for such a message, so raise its threshold to the floor "+
				"or move it out of %s", rule, c.in.Event.Space.Type, *c.b, patternsQuery)
		}
	}
	return n, nil
}

// gateCase is a message the engine does not mark notable.
type gateCase struct {
	in *engine.PolicyInput
	b  *engine.BehaviourSignals
}

// quietCases are the largest counts below every floor, in each space type,
// from citizens and businesses, of unknown and established accounts, with
// and without a link to a site nobody else linked to, and with and
// without a conversation with a minor that showed no cue. The pattern
// rules compare counts with thresholds from below, so a rule that fires
// nowhere here fires on no message below the floors.
func quietCases() []gateCase {
	var out []gateCase
	for _, space := range engine.SpaceTypes {
		for _, role := range []engine.Role{engine.RoleCitizen, engine.RoleBusiness} {
			for _, age := range []int{-1, engine.FloorNewAccountHours} {
				for _, linked := range []bool{false, true} {
					for _, conversation := range []bool{false, true} {
						b := &engine.BehaviourSignals{
							Rate10s: engine.FloorRate10s - 1, Rate60s: engine.FloorRate60s - 1, Rate10m: 1000,
							Repeats: engine.FloorNearRepeats - 1, NearRepeats: engine.FloorNearRepeats - 1,
							WaveSenders: engine.FloorWaveSenders - 1, AccountAgeHours: age,
							PileOnSenders: engine.FloorPileOnSenders - 1,
						}
						sig := &engine.Signals{Scores: engine.Scores{}, Analysed: []string{"text"}, Lang: "ko", Behaviour: b}
						if linked {
							sig.Links = []engine.Link{{Host: "gate-check.example", Domain: "gate-check.example"}}
							sig.LinkShare = 0.5
							b.DomainSenders = map[string]int{"gate-check.example": engine.FloorDomainSenders - 1}
						}
						ev := engine.PolicyEvent{
							ID: "gate-check", Kind: engine.KindChat, World: "gate-check",
							Space:  engine.Space{ID: "gate-check", Type: space},
							Sender: engine.Party{ID: "gate-check", Role: role, AgeBand: engine.AgeAdult},
							Lang:   "ko", TextLength: 20,
						}
						if conversation {
							b.Grooming = &engine.GroomingHistory{Cues: []engine.GroomingCue{}, Messages: 50}
							ev.Recipient = &engine.Party{ID: "gate-check-minor", AgeBand: engine.AgeTeen}
						}
						out = append(out, gateCase{in: &engine.PolicyInput{Event: ev, Signals: sig}, b: b})
					}
				}
			}
		}
	}
	return out
}

// notable is signals.behaviour.notable: whether the pattern rules are
// evaluated for s. A wave alone (a near-copy of the text from many
// senders, no link in it, nothing else past a floor, the account not new)
// does not open the gate under a bundle none of whose patterns fires on
// one (quietWaves): a greeting that many people post in a busy plaza is
// then an ordinary message.
func notable(s *engine.Signals, quietWaves bool) bool {
	b := s.Behaviour
	if quietWaves && len(s.Links) == 0 {
		return b.NotableBesidesWave(s.Cues)
	}
	return b.Notable(s.Cues)
}

// checkQuietWaves evaluates the pattern rules with the gate open on the
// gate's cases without a link, from accounts that are not new, with the
// wave's senders far past any threshold, once with no evidence and once
// with every category's evidence at 1. It reports whether none fires, and
// otherwise the rule that did: such a bundle keeps every wave notable.
func (p *prepared) checkQuietWaves(ctx context.Context, compiler *ast.Compiler, store storage.Store) (bool, string, error) {
	if len(compiler.GetRulesExact(ast.MustParseRef(patternsQuery))) == 0 {
		return true, "no pattern rules", nil
	}
	pq, err := prepareCheck(ctx, patternsQuery, compiler, store)
	if err != nil {
		return false, "", err
	}
	all := engine.Scores{engine.Toxic: 1}
	for _, c := range engine.TextCategories {
		all[c] = 1
	}
	for _, c := range quietCases() {
		if len(c.in.Signals.Links) > 0 || c.b.AccountAgeHours >= 0 && c.b.AccountAgeHours < engine.FloorNewAccountHours {
			continue
		}
		for _, scores := range []engine.Scores{{}, all} {
			in := *c.in
			sig := *in.Signals
			b := *c.b
			b.WaveSenders = 1 << 20
			sig.Behaviour, sig.Scores = &b, scores
			in.Signals = &sig
			if notable(&sig, true) {
				return false, "", fmt.Errorf("internal: wave case %+v opens the gate by more than its wave", b)
			}
			rule, err := firedPattern(ctx, pq, &in)
			if err != nil {
				return false, "", err
			}
			if rule != "" {
				return false, fmt.Sprintf("every wave is notable: %s fires on a wave alone in a %s space", rule, c.in.Event.Space.Type), nil
			}
		}
	}
	return true, "a wave alone is not notable", nil
}

// firedPattern evaluates the pattern rules on in with the gate open (as if
// notable) and returns the id of one that fires, or "".
func firedPattern(ctx context.Context, pq rego.PreparedEvalQuery, in *engine.PolicyInput) (string, error) {
	v := inputValue(in, nil, nil, nil, allInput, false)
	sig := v.(ast.Object).Get(ast.StringTerm("signals")).Value.(ast.Object)
	sig.Get(ast.StringTerm("behaviour")).Value.(ast.Object).Insert(ast.StringTerm("notable"), ast.BooleanTerm(true))
	rs, err := pq.Eval(ctx, rego.EvalParsedInput(v))
	if err != nil {
		return "", fmt.Errorf("evaluate %s: %w", patternsQuery, err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return "", nil
	}
	set, ok := rs[0].Expressions[0].Value.([]any)
	if !ok || len(set) == 0 {
		return "", nil
	}
	if o, ok := set[0].(map[string]any); ok {
		if id, ok := o["rule_id"].(string); ok && id != "" {
			return id, nil
		}
	}
	return "a pattern rule", nil
}
