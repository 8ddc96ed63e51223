package policy

import (
	"github.com/open-policy-agent/opa/v1/ast"
)

// inputReads is what of the input a bundle's modules can read: the
// input's fields that some reference names, and below a field that is
// taken whole (input.event.sender put in a rule's value, compared, passed
// to a built-in function), everything. inputValue leaves out the fields no
// rule can read, whose values cannot change a decision: a message's id,
// world and models' raw probabilities cost their building on every
// decision and are read by no rule of the default bundle. A bundle whose
// rules name a field gets it.
//
// A node without keys that is not all is a field that is there (a rule
// tests that it is, or counts its items) but none of whose contents is
// read. Key "*" stands for every item of an array (a reference with a
// variable or number for an index); at an object, a variable key reads
// everything below it.
type inputReads struct {
	all  bool
	keys map[string]*inputReads
	// array is set on the nodes of the input's arrays (arrayFields):
	// counting one reads how many items it has, not their fields.
	array bool
	path  string
}

// arrayFields are the input's arrays: inputValue keeps every item of
// them, so their length is what it is whatever is read of the items.
var arrayFields = map[string]bool{
	"signals.pii": true, "signals.hash_matches": true, "signals.links": true, "signals.analysed": true,
	"signals.cues": true, "signals.image_text.pii": true, "signals.behaviour.grooming.cues": true, "user.labels": true,
}

// anyItem is the key of an array's items in inputReads.
const anyItem = "*"

// allInput reads everything: the input in full.
var allInput = &inputReads{all: true}

// at is what is read below key: nil when nothing is.
func (r *inputReads) at(key string) *inputReads {
	if r == nil {
		return nil
	}
	if r.all {
		return r
	}
	if r.keys[anyItem] != nil {
		return allInput
	}
	return r.keys[key]
}

// item is what is read of each item of an array: nil when only the number
// of items is.
func (r *inputReads) item() *inputReads {
	if r == nil || r.all {
		return r
	}
	return r.keys[anyItem]
}

// reads reports whether anything at or below key may be read.
func (r *inputReads) reads(key string) bool { return r.at(key) != nil }

// child is r's node for key, made if missing; below a node read whole it
// is that node.
func (r *inputReads) child(key string) *inputReads {
	if r.all {
		return r
	}
	if r.keys == nil {
		r.keys = map[string]*inputReads{}
	}
	c := r.keys[key]
	if c == nil {
		c = &inputReads{path: key}
		if r.path != "" {
			c.path = r.path + "." + key
		}
		c.array = arrayFields[c.path]
		r.keys[key] = c
	}
	return c
}

// merge records in r everything src reads.
func (r *inputReads) merge(src *inputReads) {
	switch {
	case r.all:
	case src.all:
		r.readAll()
	default:
		for k, c := range src.keys {
			r.child(k).merge(c)
		}
	}
}

// readAll marks everything at and below r read.
func (r *inputReads) readAll() { r.all, r.keys = true, nil }

// readsOf finds what modules, as compiled (refs to input fully written
// out, imports resolved, input named alone a reference of its own, every
// value a local variable stands for bound by an expression of its own),
// read of the input. It follows local variables bound to a part of the
// input (x = input.signals.pii[i]) to the references made through them
// (x.type), and into the user functions they are passed to (lib.minor(x)
// reads x.age_band), once per function and argument. It errs on the side
// of reading: a variable used in any other way (compared, put in a value,
// passed to a built-in other than count, or to count when it is not one
// of the input's arrays) reads everything below its part, as does a
// reference whose path after input has a variable key at an object; a
// function's parameter is never bound by its body (p = input.x compares
// them), and one taken in a pattern or named twice in the function's
// head is read whole; input named whole, or any with modifier (it may
// replace part of the input, or a function whose reads were followed),
// reads it all.
func readsOf(modules map[string]*ast.Module) *inputReads {
	a := &readAnalysis{root: &inputReads{}, functions: map[string][]*ast.Rule{},
		inProgress: map[paramKey]bool{}, paramReads: map[paramKey]*inputReads{}}
	for _, m := range modules {
		for _, r := range m.Rules {
			if len(r.Head.Args) > 0 {
				name := r.Ref().String()
				a.functions[name] = append(a.functions[name], r)
			}
		}
	}
	for _, m := range modules {
		for _, r := range m.Rules {
			for rule := r; rule != nil; rule = rule.Else {
				a.rule(rule, nil)
			}
		}
	}
	return a.root
}

// readAnalysis is readsOf's state.
type readAnalysis struct {
	root       *inputReads
	functions  map[string][]*ast.Rule // user functions by name, every definition
	inProgress map[paramKey]bool      // function parameters being followed
	paramReads map[paramKey]*inputReads
}

type paramKey struct {
	function string
	arg      int
}

// rule records what rule reads, its local variables bound as in bound
// (a function's parameter bound to what its caller passed) and to the
// parts of the input its expressions bind them to.
func (a *readAnalysis) rule(rule *ast.Rule, bound map[ast.Var]*inputReads) {
	vars := map[ast.Var]*inputReads{}
	for v, n := range bound {
		vars[v] = n
	}
	// The bindings first, whatever the order of the expressions (chains
	// like y = x.grooming, x = input.signals.behaviour are followed).
	bindings := map[*ast.Expr]bool{}
	walk := func(f func(*ast.Expr) bool) {
		ast.WalkExprs(rule.Head, f)
		ast.WalkExprs(rule.Body, f)
	}
	// A function's parameters stand for what its caller passes: x = ref
	// in its body compares them with ref, it does not bind them.
	params := rule.Head.Args.Vars()
	for changed := true; changed; {
		changed = false
		walk(func(e *ast.Expr) bool {
			if v, ref, ok := bindingOf(e); ok && vars[v] == nil && !params.Contains(v) {
				if n := a.node(ref, vars); n != nil {
					vars[v], bindings[e], changed = n, true, true
				}
			}
			return false
		})
	}
	w := &readWalk{a: a, vars: vars}
	w.term(rule.Head.Key)
	w.term(rule.Head.Value)
	for _, t := range rule.Head.Ref()[1:] {
		w.term(t)
	}
	walk(func(e *ast.Expr) bool {
		if len(e.With) > 0 {
			// A with modifier replaces part of the input, or a function
			// whose reads were followed: not followed.
			a.root.readAll()
		}
		if bindings[e] {
			// The bound variable is not a read; the indexes of its
			// reference are.
			_, ref, _ := bindingOf(e)
			w.refIndexes(ref)
			return false
		}
		switch t := e.Terms.(type) {
		case *ast.Term:
			w.term(t)
		case []*ast.Term:
			w.call(t[0], t[1:])
		case *ast.Every:
			w.term(t.Key)
			w.term(t.Value)
			w.term(t.Domain)
		}
		return false
	})
}

// bindingOf reads e as x = ref (or ref = x, or x := ref).
func bindingOf(e *ast.Expr) (ast.Var, ast.Ref, bool) {
	if e.Negated || !(e.IsEquality() || e.IsAssignment()) {
		return "", nil, false
	}
	a, b := e.Operand(0), e.Operand(1)
	for range 2 {
		if v, ok := a.Value.(ast.Var); ok && !v.IsWildcard() {
			if ref, ok := b.Value.(ast.Ref); ok {
				return v, ref, true
			}
		}
		a, b = b, a
	}
	return "", nil, false
}

// node is the inputReads node ref names (made if missing), or nil when
// ref is not into the input (its head is neither input nor a variable
// bound to part of it). Input named whole is read whole.
func (a *readAnalysis) node(ref ast.Ref, vars map[ast.Var]*inputReads) *inputReads {
	var n *inputReads
	switch h := ref[0].Value.(type) {
	case ast.Var:
		if h.Equal(ast.InputRootDocument.Value) {
			n = a.root
			if len(ref) == 1 {
				n.readAll()
			}
		} else {
			n = vars[h]
		}
	}
	if n == nil {
		return nil
	}
	for _, t := range ref[1:] {
		switch k := t.Value.(type) {
		case ast.String:
			n = n.child(string(k))
		case ast.Var, ast.Number:
			n = n.child(anyItem)
		default:
			n.readAll()
			return n
		}
	}
	return n
}

// readWalk walks the terms of one rule's expressions (not the bodies of
// its comprehensions: WalkExprs visits their expressions) and records
// what they read.
type readWalk struct {
	a    *readAnalysis
	vars map[ast.Var]*inputReads
}

func (w *readWalk) term(t *ast.Term) {
	if t == nil {
		return
	}
	switch v := t.Value.(type) {
	case ast.Var:
		if n := w.vars[v]; n != nil {
			n.readAll()
		}
	case ast.Ref:
		if n := w.a.node(v, w.vars); n != nil {
			n.readAll()
		}
		w.refIndexes(v)
	case *ast.Array:
		v.Foreach(w.term)
	case ast.Set:
		v.Foreach(w.term)
	case ast.Object:
		v.Foreach(func(k, x *ast.Term) { w.term(k); w.term(x) })
	case ast.Call:
		w.call(v[0], v[1:])
	case *ast.ArrayComprehension:
		w.term(v.Term)
	case *ast.SetComprehension:
		w.term(v.Term)
	case *ast.ObjectComprehension:
		w.term(v.Key)
		w.term(v.Value)
	}
}

// refIndexes records the variables and references ref uses as keys.
func (w *readWalk) refIndexes(ref ast.Ref) {
	for _, t := range ref[1:] {
		w.term(t)
	}
}

// call records what a call reads: count reads only how many items a part
// of the input has, a user function what its body reads of its
// parameter, anything else its arguments whole.
func (w *readWalk) call(op *ast.Term, args []*ast.Term) {
	w.term(op)
	name := op.String()
	for i, arg := range args {
		v, isVar := arg.Value.(ast.Var)
		n := w.vars[v]
		if !isVar || n == nil {
			w.term(arg)
			continue
		}
		switch {
		case name == ast.Count.Name && i == 0 && n.array:
			// Its node is there: the count is read, not the items.
			// (Counting an object counts its keys, which the input
			// leaves out when unread.)
		case w.a.functions[name] != nil:
			w.a.param(name, i, n)
		default:
			n.readAll()
		}
	}
}

// param records into n what function name reads of its argument i,
// found once per function and argument (paramReads).
func (a *readAnalysis) param(name string, i int, n *inputReads) {
	k := paramKey{name, i}
	reads, done := a.paramReads[k]
	switch {
	case done:
	case a.inProgress[k]:
		n.readAll() // recursion: not followed
		return
	default:
		a.inProgress[k] = true
		reads = a.paramOf(name, i)
		delete(a.inProgress, k)
		a.paramReads[k] = reads
	}
	n.merge(reads)
}

// paramOf is what function name reads of its argument i: what its
// definitions read of the variable they take it in, everything when one
// takes it in a pattern or in a variable named twice in its head (an
// equality with another argument).
func (a *readAnalysis) paramOf(name string, i int) *inputReads {
	// Its path is none of the input's: whatever the argument is, nothing
	// below it is taken for one of the input's arrays.
	n := &inputReads{path: "\x00argument"}
	for _, r := range a.functions[name] {
		for rule := r; rule != nil; rule = rule.Else {
			if i >= len(rule.Head.Args) {
				return allInput
			}
			v, isVar := rule.Head.Args[i].Value.(ast.Var)
			if !isVar {
				return allInput // a pattern: matched against the whole
			}
			if v.IsWildcard() {
				continue
			}
			uses := 0
			ast.WalkVars(rule.Head.Args, func(x ast.Var) bool {
				if x.Equal(v) {
					uses++
				}
				return false
			})
			if uses > 1 {
				return allInput
			}
			a.rule(rule, map[ast.Var]*inputReads{v: n})
			if n.all {
				return n
			}
		}
	}
	return n
}
