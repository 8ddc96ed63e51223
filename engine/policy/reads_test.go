package policy

import (
	"context"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/haechi-tns/haechi/engine"
)

// TestReadsFollowVariables: readsOf follows local variables bound to part
// of the input, and the functions they are passed to, down to the fields
// read, and reads whole whatever it cannot follow.
func TestReadsFollowVariables(t *testing.T) {
	type check struct {
		path []string // "*" for an array's items
		want string   // "none", "there" (counted or tested, contents unread), "some" (some fields) or "all"
	}
	for _, c := range []struct {
		name, src string
		checks    []check
	}{
		{"an item's field", `r if { some p in input.signals.pii; p.start > 3 }`,
			[]check{{[]string{"signals", "pii", "*", "start"}, "all"}, {[]string{"signals", "pii", "*", "end"}, "none"}, {[]string{"event"}, "none"}}},
		{"counted only", `r if count(input.signals.pii) > 0`,
			[]check{{[]string{"signals", "pii"}, "there"}, {[]string{"signals", "pii", "*"}, "none"}}},
		{"through a chain of variables", `r if { x := input.signals; some i; y := x.pii[i]; y.end > 0 }`,
			[]check{{[]string{"signals", "pii", "*", "end"}, "all"}, {[]string{"signals", "pii", "*", "start"}, "none"}, {[]string{"signals", "links"}, "none"}}},
		{"a comprehension's head", `r := [p.start | some p in input.signals.pii]`,
			[]check{{[]string{"signals", "pii", "*", "start"}, "all"}, {[]string{"signals", "pii", "*", "type"}, "none"}}},
		{"an item compared whole", `r if { some p in input.signals.pii; p == {"type": "phone"} }`,
			[]check{{[]string{"signals", "pii", "*"}, "all"}}},
		{"every", `r if { every p in input.signals.pii { p.score > 0 } }`,
			[]check{{[]string{"signals", "pii"}, "all"}}},
		{"a user function's field", "minor(x) if x.age_band == \"child\"\nr if minor(input.event.sender)",
			[]check{{[]string{"event", "sender", "age_band"}, "all"}, {[]string{"event", "sender", "id"}, "none"}}},
		{"a user function's else", "k(x) := 1 if x.role == \"a\" else := 2 if x.id == \"b\"\nr := k(input.event.sender)",
			[]check{{[]string{"event", "sender", "role"}, "all"}, {[]string{"event", "sender", "id"}, "all"}, {[]string{"event", "sender", "age_band"}, "none"}}},
		{"a user function returning its argument", "f(x) := x\nr := f(input.event.sender)",
			[]check{{[]string{"event", "sender"}, "all"}}},
		{"a function passing it on", "g(x) if x.role == \"staff\"\nf(x) if g(x)\nr if f(input.event.recipient)",
			[]check{{[]string{"event", "recipient", "role"}, "all"}, {[]string{"event", "recipient", "id"}, "none"}}},
		{"a built-in", `r := object.get(input.event.sender, "id", "")`,
			[]check{{[]string{"event", "sender"}, "all"}}},
		{"a rule's value", `r := input.event.sender`,
			[]check{{[]string{"event", "sender"}, "all"}}},
		{"a variable key at an object", `r if { some k; input.event.sender[k] == "x" }`,
			[]check{{[]string{"event", "sender", "id"}, "all"}}},
		{"with replacing the input", "s if input.event.kind == \"chat\"\nr if s with input.event.kind as \"chat\"",
			[]check{{[]string{"user", "strikes"}, "all"}}},
		{"with replacing a function", "minor(x) if x.age_band == \"child\"\nwhole(x) if x == {}\ns if minor(input.event.sender)\nr if s with minor as whole",
			[]check{{[]string{"event", "sender", "id"}, "all"}}},
		{"input whole", `r := input`,
			[]check{{[]string{"user", "strikes"}, "all"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			modules := map[string]*ast.Module{"m.rego": ast.MustParseModuleWithOpts("package m\n\n"+c.src, ast.ParserOptions{RegoVersion: ast.RegoV1})}
			compiler := ast.NewCompiler()
			if compiler.Compile(modules); compiler.Failed() {
				t.Fatal(compiler.Errors)
			}
			reads := readsOf(compiler.Modules)
			for _, ch := range c.checks {
				n := reads
				for _, k := range ch.path {
					if k == anyItem {
						n = n.item()
					} else {
						n = n.at(k)
					}
				}
				got := "none"
				switch {
				case n == nil:
				case n.all:
					got = "all"
				case len(n.keys) > 0:
					got = "some"
				default:
					got = "there"
				}
				if got != ch.want {
					t.Errorf("%v: %s, want %s", ch.path, got, ch.want)
				}
			}
		})
	}
}

// TestReadsOfTheDefaultBundle: the default bundle reads a PII item's type
// and score, not where it is in the text, and a party's role and age
// band, not who it is; the input leaves those out.
func TestReadsOfTheDefaultBundle(t *testing.T) {
	p := repoEngine(t).cur.Load()
	item := p.reads.at("signals").at("pii").item()
	sender, recipient := p.reads.at("event").at("sender"), p.reads.at("event").at("recipient")
	if item == nil || item.reads("start") || item.reads("end") || !item.reads("type") || !item.reads("score") {
		t.Errorf("a PII item's reads: %+v", item)
	}
	if sender == nil || sender.reads("id") || !sender.reads("role") || recipient == nil || recipient.reads("id") || !recipient.reads("age_band") {
		t.Errorf("the parties' reads: %+v, %+v", sender, recipient)
	}
	in, _ := typicalInput()
	in.Signals.PII = []engine.PIISpan{{Type: engine.PIIPhone, Start: 4, End: 17, Score: 0.95}}
	v := inputValue(in, nil, nil, nil, p.reads, false)
	got := v.(ast.Object).Get(ast.StringTerm("signals")).Value.(ast.Object).Get(ast.StringTerm("pii")).String()
	if got != `[{"score": 0.95, "type": "phone"}]` {
		t.Errorf("signals.pii is %s", got)
	}
	if s := v.(ast.Object).Get(ast.StringTerm("event")).Value.(ast.Object).Get(ast.StringTerm("sender")).String(); s != `{"age_band": "", "role": "citizen"}` {
		t.Errorf("event.sender is %s", s)
	}
}

// TestReadOffsetsAreSent: a bundle whose rule reads a PII item's offsets
// and the sender's id through variables gets them, and decides on them.
func TestReadOffsetsAreSent(t *testing.T) {
	e := editedEngine(t, "personal_information.rego", "masked_types := lib.pii_types - allowed_types", `masked_types := lib.pii_types - allowed_types

violation contains {"rule_id": "pii.test_at_start", "action": "hold", "category": "pii", "principle": "personal_information_protection",
	"value": "safe_experience", "severity": "low", "reason": {"ko": "시험", "en": "test"}} if {
	some p in input.signals.pii
	p.start == 0
	watched(input.event.sender)
}

watched(party) if party.id == "u-watched"`)
	for _, c := range []struct {
		start int
		id    string
		want  engine.Action
	}{{0, "u-watched", engine.ActionHold}, {5, "u-watched", engine.ActionRedact}, {0, "u-other", engine.ActionRedact}} {
		in, _ := typicalInput()
		in.Event.Sender.ID = c.id
		in.Signals.PII = []engine.PIISpan{{Type: engine.PIIPhone, Start: c.start, End: c.start + 13, Score: 0.95}}
		res, err := e.Evaluate(context.Background(), in)
		if err != nil || res.Action != c.want {
			t.Errorf("PII at %d from %s: %+v, %v; want %s", c.start, c.id, res, err, c.want)
		}
	}
}
