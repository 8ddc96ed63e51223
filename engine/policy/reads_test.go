package policy

import (
	"context"
	"fmt"
	"strings"
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
		{"a parameter compared with the input", "t := {\"id\": \"u\"}\nis_sender(p) if p = input.event.sender\nr if is_sender(t)",
			[]check{{[]string{"event", "sender", "id"}, "all"}}},
		{"a parameter compared with another's field", "t := {}\nf(a, b) if b = a.sender\nr if f(input.event, t)",
			[]check{{[]string{"event", "sender", "id"}, "all"}}},
		{"a pattern's variable compared with the input", "f([p]) if p = input.event.sender\nr if f([1])",
			[]check{{[]string{"event", "sender", "id"}, "all"}}},
		{"a parameter named twice", "same(p, p)\nr if same(input.event.sender, input.event.recipient)",
			[]check{{[]string{"event", "sender", "id"}, "all"}, {[]string{"event", "recipient", "id"}, "all"}}},
		{"an object counted", `r if count(input.event.sender) == 3`,
			[]check{{[]string{"event", "sender", "id"}, "all"}}},
		{"an object counted through a variable", `r if { s := input.event.sender; count(s) == 3 }`,
			[]check{{[]string{"event", "sender", "id"}, "all"}}},
		{"an item counted", `r if { some p in input.signals.pii; count(p) > 3 }`,
			[]check{{[]string{"signals", "pii", "*", "start"}, "all"}}},
		{"counted in a function", "n(x) := count(x)\nr := n(input.signals.pii)",
			[]check{{[]string{"signals", "pii", "*", "start"}, "all"}}},
		{"a long chain of functions, each calling the next twice", chain(22),
			[]check{{[]string{"event", "sender", "role"}, "all"}, {[]string{"event", "sender", "id"}, "none"}}},
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

// chain is functions f0 … fn, each but f0 calling the one before twice,
// and a rule passing the sender to fn: followed once per function, not
// once per path through them (2^n).
func chain(n int) string {
	var b strings.Builder
	b.WriteString("f0(x) if x.role == \"staff\"\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "f%d(x) if { f%d(x); f%d(x) }\n", i, i-1, i-1)
	}
	fmt.Fprintf(&b, "r if f%d(input.event.sender)\n", n)
	return b.String()
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

// TestReadOffsetsAreSent: a bundle whose rules read a PII item's offsets
// and the sender's id through variables, a function, and a function
// comparing its parameter with the sender whole, gets them, and decides
// on them.
func TestReadOffsetsAreSent(t *testing.T) {
	const anchor = "masked_types := lib.pii_types - allowed_types"
	rule := func(id, body string) string {
		return `violation contains {"rule_id": "` + id + `", "action": "hold", "category": "pii", "principle": "personal_information_protection",
	"value": "safe_experience", "severity": "low", "reason": {"ko": "시험", "en": "test"}} if {` + body + "}\n"
	}
	for _, b := range []struct {
		name, rules string
		cases       []struct {
			start int
			id    string
			want  engine.Action
		}
	}{
		{"offsets and an id through a function", rule("pii.test_at_start", "some p in input.signals.pii; p.start == 0; watched(input.event.sender)") +
			`watched(party) if party.id == "u-watched"`,
			[]struct {
				start int
				id    string
				want  engine.Action
			}{{0, "u-watched", engine.ActionHold}, {5, "u-watched", engine.ActionRedact}, {0, "u-other", engine.ActionRedact}}},
		{"a parameter compared with the sender whole", rule("pii.test_listed", "lib.has_pii; some l in listed; is_sender(l)") +
			`listed := [{"id": "u-listed", "role": "citizen", "age_band": ""}]
is_sender(p) if p = input.event.sender`,
			[]struct {
				start int
				id    string
				want  engine.Action
			}{{5, "u-listed", engine.ActionHold}, {5, "u-other", engine.ActionRedact}}},
	} {
		e := editedEngine(t, "personal_information.rego", anchor, anchor+"\n\n"+b.rules)
		for _, c := range b.cases {
			in, _ := typicalInput()
			in.Event.Sender.ID = c.id
			in.Signals.PII = []engine.PIISpan{{Type: engine.PIIPhone, Start: c.start, End: c.start + 13, Score: 0.95}}
			res, err := e.Evaluate(context.Background(), in)
			if err != nil || res.Action != c.want {
				t.Errorf("%s: PII at %d from %s: %+v, %v; want %s", b.name, c.start, c.id, res, err, c.want)
			}
		}
	}
}

// TestCountedArraysKeepTheirItems: counting one of arrayFields reads only
// how many items it has, which holds because inputValue keeps every item
// of those arrays whatever is read of them; an item filter added to the
// input would fail here.
func TestCountedArraysKeepTheirItems(t *testing.T) {
	in, _ := typicalInput()
	in.User.Labels = []string{"a", "b"}
	s := in.Signals
	s.PII = []engine.PIISpan{{Type: engine.PIIPhone, End: 13, Score: 0.95}, {Type: engine.PIIEmail, Start: 20, End: 35, Score: 0.4}}
	s.HashMatches = []engine.HashMatch{{Bank: "a"}, {Bank: "b"}}
	s.Links = []engine.Link{{Host: "a.kr", Domain: "a.kr"}, {Host: "b.kr", Domain: "b.kr"}}
	s.Analysed = []string{"text", "image"}
	s.Cues = []engine.GroomingCue{engine.GroomingCues[0], engine.GroomingCues[1]}
	s.ImageText = &engine.ImageText{Words: 3, PII: []engine.ImagePII{{Type: engine.PIIPhone, Score: 0.9}, {Type: engine.PIIEmail, Score: 0.1}}}
	s.Behaviour = &engine.BehaviourSignals{Grooming: &engine.GroomingHistory{Cues: []engine.GroomingCue{engine.GroomingCues[0], engine.GroomingCues[2]}}}
	for path := range arrayFields {
		reads := &inputReads{}
		n := reads
		for _, k := range strings.Split(path, ".") {
			n = n.child(k)
		}
		if !n.array {
			t.Errorf("%s: not taken for an array", path)
		}
		v := ast.NewTerm(inputValue(in, nil, engine.Scores{}, nil, reads, false))
		for _, k := range strings.Split(path, ".") {
			obj, ok := v.Value.(ast.Object)
			if !ok {
				v = nil
				break
			}
			v = obj.Get(ast.StringTerm(k))
			if v == nil {
				break
			}
		}
		if v == nil {
			t.Errorf("%s counted: not built", path)
			continue
		}
		if arr, ok := v.Value.(*ast.Array); !ok || arr.Len() != 2 {
			t.Errorf("%s counted: built %v, want its 2 items", path, v)
		}
	}
}
