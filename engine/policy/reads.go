package policy

import (
	"github.com/open-policy-agent/opa/v1/ast"
)

// inputReads is what of the input a bundle's modules can read: the
// input's fields that some reference names, and below a field that is
// taken whole (input.event.sender passed to a function, some p in
// input.signals.pii, a variable key), everything. inputValue leaves out
// the fields no rule can read, whose values cannot change a decision:
// a message's id, world and models' raw probabilities cost their
// building on every decision and are read by no rule of the default
// bundle. A bundle whose rules name a field gets it.
type inputReads struct {
	all  bool
	keys map[string]*inputReads
}

// allInput reads everything: the input in full.
var allInput = &inputReads{all: true}

// readsOf finds what modules, as compiled (refs to input fully written
// out, imports resolved, input named alone a reference of its own), read
// of the input. It errs on the side of reading: a reference whose path
// after input is not all strings reads everything below its last string,
// and input named whole reads all.
func readsOf(modules map[string]*ast.Module) *inputReads {
	root := &inputReads{}
	for _, m := range modules {
		ast.WalkRefs(m, func(r ast.Ref) bool {
			if !r.HasPrefix(ast.InputRootRef) {
				return false
			}
			n := root
			for _, t := range r[1:] {
				if n.all {
					return false
				}
				s, ok := t.Value.(ast.String)
				if !ok {
					break
				}
				if n.keys == nil {
					n.keys = map[string]*inputReads{}
				}
				next := n.keys[string(s)]
				if next == nil {
					next = &inputReads{}
					n.keys[string(s)] = next
				}
				n = next
			}
			n.all, n.keys = true, nil
			return false
		})
	}
	return root
}

// at is what is read below key: nil when nothing is.
func (r *inputReads) at(key string) *inputReads {
	if r == nil {
		return nil
	}
	if r.all {
		return r
	}
	return r.keys[key]
}

// reads reports whether anything at or below key may be read.
func (r *inputReads) reads(key string) bool { return r.at(key) != nil }
