package policy

import (
	"context"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/internal/racetest"
)

// TestFastPathServesTheDefaultBundle: the proofs hold for the default
// bundle in every shape, so its quiet messages skip OPA. A rule written
// with else on the quiet path, or one that fires below the levels, turns
// this off and fails here.
func TestFastPathServesTheDefaultBundle(t *testing.T) {
	e := repoEngine(t)
	f := e.cur.Load().fast
	for s, d := range f.decisions {
		if d == nil {
			t.Errorf("no fast path for %s: %s", quietShape(s), f.refused[s])
			continue
		}
		if d.Action != engine.ActionAllow || len(d.Fired) != 0 || len(d.RuleIDs) != 0 {
			t.Errorf("%s: fast decision %+v, want an allow with nothing fired", quietShape(s), *d)
		}
	}
}

// TestFastPathAgreesWithThePolicy is the randomised agreement test: on
// many quiet messages of every shape, drawn across space types, senders,
// recipients, strikes, scores below the levels, voice confidence and
// behavioural counts below the floors, the fast path's decision equals
// the full evaluation's. Messages that are not quiet are drawn too: their
// rules are evaluated and aggregated by the engine (aggregate.go), and
// the result must equal the bundle's own aggregation.
func TestFastPathAgreesWithThePolicy(t *testing.T) {
	racetest.Heavy(t)
	ctx := context.Background()
	e := repoEngine(t)
	p := e.cur.Load()
	rng := rand.New(rand.NewPCG(15, 40))
	fast := [quietShapes]int{}
	const n = 3000
	for i := range n {
		in := randomMessage(rng)
		got, err := e.Evaluate(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		evidence := p.models.evidence(in.Signals)
		reached := p.levels.reached(p.candidates(evidence), in.Event.Space.Type, in.User.Strikes)
		if shape, ok := shapeOf(in, reached, p.quietWaves); ok {
			fast[shape]++
		}
		want, err := p.evaluate(ctx, inputValue(in, evidence, nil, reached, allInput, false))
		if err != nil {
			t.Fatal(err)
		}
		want.Evidence = evidence
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("message %d (%+v, signals %+v, user %+v): fast path %+v, policy %+v", i, in.Event, *in.Signals, in.User, *got, *want)
		}
	}
	for s, k := range fast {
		if k < n/30 {
			t.Errorf("only %d of %d messages were quiet %s ones", k, n, quietShape(s))
		}
	}
}

// randomMessage is a chat or voice message, about half of them quiet.
func randomMessage(rng *rand.Rand) *engine.PolicyInput {
	pick := func(n int) int { return rng.IntN(n) }
	roles := []engine.Role{engine.RoleCitizen, engine.RoleStaff, engine.RoleOfficial, engine.RoleBusiness, ""}
	ages := []engine.AgeBand{engine.AgeChild, engine.AgeTeen, engine.AgeAdult, ""}
	in := &engine.PolicyInput{
		Event: engine.PolicyEvent{
			ID: "fast-agreement", Kind: []engine.Kind{engine.KindChat, engine.KindVoice}[pick(2)], World: "w",
			Space:      engine.Space{ID: "s", Type: engine.SpaceTypes[pick(len(engine.SpaceTypes))]},
			Sender:     engine.Party{ID: "u", Role: roles[pick(len(roles))], AgeBand: ages[pick(len(ages))]},
			Lang:       []string{"ko", "en", ""}[pick(3)],
			TextLength: pick(600),
			Confidence: rng.Float64(),
		},
		Signals: &engine.Signals{Scores: engine.Scores{}, Analysed: []string{"text"}, Lang: []string{"ko", "en"}[pick(2)]},
		User:    engine.UserContext{Strikes: pick(6), RecentFlags: pick(5), Restricted: pick(4) == 0},
	}
	if pick(3) == 0 {
		in.Event.Recipient = &engine.Party{ID: "r", Role: roles[pick(len(roles))], AgeBand: ages[pick(len(ages))]}
	}
	// Scores mostly low, sometimes past a level.
	top := []float64{0.1, 0.2, 0.3, 1}[pick(4)]
	for _, c := range engine.TextCategories {
		if pick(2) == 0 {
			in.Signals.Scores[c] = rng.Float64() * top
		}
	}
	if pick(4) > 0 {
		// Counts below the floors, one in four at them.
		at := 0
		if pick(4) == 0 {
			at = 1
		}
		b := &engine.BehaviourSignals{
			Rate10s: pick(engine.FloorRate10s + at), Rate60s: pick(engine.FloorRate60s + at), Rate10m: pick(40),
			Repeats: pick(engine.FloorNearRepeats + at), NearRepeats: pick(engine.FloorNearRepeats + at),
			WaveSenders: pick(engine.FloorWaveSenders + at), AccountAgeHours: pick(400) - 1,
			PileOnSenders: pick(engine.FloorPileOnSenders + at),
		}
		if pick(4) == 0 {
			// A wave, past every space's threshold at times: with a link
			// or a new account the wave rules fire; alone it is quiet.
			b.WaveSenders = engine.FloorWaveSenders + pick(20)
		}
		if in.Event.Recipient != nil && pick(2) == 0 {
			b.Grooming = &engine.GroomingHistory{Cues: []engine.GroomingCue{}, Messages: pick(60), Days: pick(5)}
		}
		in.Signals.Behaviour = b
	}
	switch pick(12) {
	case 0:
		in.Signals.PII = []engine.PIISpan{{Type: engine.PIIPhone, Start: 0, End: 13, Score: 0.9}}
	case 1:
		in.Signals.Links = []engine.Link{{Host: "example.com", Domain: "example.com"}}
		in.Signals.LinkShare = 0.4
	case 2:
		// Reported, and abusive only below the levels: the policy holds
		// some of these.
		in.User.Reporters = 1 + pick(4)
		in.Signals.Scores[engine.Insult] = 0.3 + 0.1*rng.Float64()
	case 3:
		in.Signals.Cues = []engine.GroomingCue{engine.GroomingCues[pick(len(engine.GroomingCues))]}
	}
	return in
}

// TestFastPathHonoursAnEditedBundle: an operator's rule that fires on
// messages reaching no level, or a decision that reads the input itself,
// turns the fast path off, and the bundle decides those messages.
func TestFastPathHonoursAnEditedBundle(t *testing.T) {
	racetest.Heavy(t)
	ctx := context.Background()
	quiet := chatInput(engine.SpaceLegal, engine.Scores{engine.Toxic: 0.01})
	quiet.Event.TextLength = 5000
	for _, tc := range []struct {
		name, file, old, new string
		check                func(t *testing.T, res *engine.PolicyResult)
	}{{
		name: "rule below the levels",
		file: "safe_experience.rego", old: "import data.haechi.lib\n",
		new: "import data.haechi.lib\n\n" + `violation contains v if {
	input.event.text_length > 4000
	v := {"rule_id": "operator.wall_of_text", "action": "hold", "category": "spam", "principle": "fairness",
		"value": "sustainable_prosperity", "severity": "low", "reason": {"ko": "긴 글", "en": "A wall of text."}}
}
`,
		check: func(t *testing.T, res *engine.PolicyResult) {
			if res.Action != engine.ActionHold || !slices.Equal(res.RuleIDs, []string{"operator.wall_of_text"}) {
				t.Errorf("decision %+v, want the operator's hold", *res)
			}
		},
	}, {
		name: "decision reading the input",
		file: "main.rego", old: `	"queue": "",
	"redact": {"pii": [], "categories": []},`,
		new: `	"queue": object.get({"legal": "legal_desk"}, input.event.space.type, ""),
	"redact": {"pii": [], "categories": []},`,
		check: func(t *testing.T, res *engine.PolicyResult) {
			if res.Action != engine.ActionAllow || res.Queue != "legal_desk" {
				t.Errorf("decision %+v, want an allow queued at the legal desk", *res)
			}
		},
	}, {
		name: "reached written with else",
		file: "lib.rego", old: "reached := input.signals.reached\n\nreached := computed_reached if not input.signals.reached",
		new: "reached := r if {\n\tr := input.signals.reached\n} else := computed_reached",
		check: func(t *testing.T, res *engine.PolicyResult) {
			if res.Action != engine.ActionAllow {
				t.Errorf("decision %+v, want an allow", *res)
			}
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			e := editedEngine(t, tc.file, tc.old, tc.new)
			f := e.cur.Load().fast
			for s, d := range f.decisions {
				if d != nil {
					t.Errorf("fast path still on for %s", quietShape(s))
				} else if f.refused[s] == "" {
					t.Errorf("no reason given for %s", quietShape(s))
				}
			}
			res, err := e.Evaluate(ctx, quiet)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, res)
		})
	}
}

// TestInputFieldsCoverTheInput: every field inputValue builds, with every
// optional part present, is one of inputFields or below one, so the
// proofs know of every field a message can carry.
func TestInputFieldsCoverTheInput(t *testing.T) {
	in := randomMessage(rand.New(rand.NewPCG(1, 2)))
	in.Event.Kind = engine.KindVoice
	in.Event.Recipient = &engine.Party{ID: "r"}
	in.User.Labels = []string{"x"}
	in.Signals.Links = []engine.Link{{Host: "a.example", Domain: "a.example"}}
	in.Signals.Cues = []engine.GroomingCue{engine.GroomingCues[0]}
	in.Signals.HashMatches = []engine.HashMatch{{Bank: "b"}}
	in.Signals.PII = []engine.PIISpan{{Type: engine.PIIPhone}}
	in.Signals.ImageText = &engine.ImageText{Words: 1}
	in.Signals.Behaviour = &engine.BehaviourSignals{DomainSenders: map[string]int{"a.example": 1}, Grooming: &engine.GroomingHistory{}}
	v := inputValue(in, engine.Scores{engine.Toxic: 0.1}, engine.Scores{}, map[engine.Category][]string{engine.Toxic: {"hold"}}, allInput, false)
	var walk func(prefix string, o ast.Object)
	walk = func(prefix string, o ast.Object) {
		for _, k := range o.Keys() {
			path := prefix + string(k.Value.(ast.String))
			if slices.Contains(inputFields, path) {
				continue
			}
			sub, ok := o.Get(k).Value.(ast.Object)
			if !ok {
				t.Errorf("input.%s is built but not in inputFields", path)
				continue
			}
			walk(path+".", sub)
		}
	}
	walk("", v.(ast.Object))
}
