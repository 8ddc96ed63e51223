package policy

import (
	"log/slog"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/haechi-tns/haechi/engine"
)

// Input shapes. The fast path and the reached shapes (shapes.go) decide
// messages whose decision depends on no one's role, no space type and no
// PII, link or cue: the proofs leave the space and the parties unknown.
// Most of the other messages a city's chat carries are still decided the
// same way by kind: a citizen's phone number in the plaza is masked,
// every time; a link to the city's own site from a member of staff in a
// counselling room is allowed; a sexual message from an adult to a child
// is escalated. An input shape is that class: the input as the policy
// gets it (only what the bundle reads: a PII item without its offsets, a
// party without its id, see reads.go) with the fields of freeFields left
// out: scores and evidence, counts, lengths, ids. Two messages have the
// same input shape when every other field is the same and the same free
// fields are there.
//
// An input shape is proven as a reached shape is (shapes.go), with the
// input's other fields known and its free fields unknown: the violations
// that fire must be constants, the rules fired one constant set, and the
// engine's aggregation of it the decision the full evaluation gave the
// message that was seen. A rule that compares a free field (a count with
// its threshold, a link's share of the text) leaves a condition and the
// shape is refused; its messages are evaluated in full. A shape is proven
// the second time it is seen, so that a class seen once costs no proof;
// a revision tries at most shapeLimit input shapes (besides as many
// reached shapes), and only chat and voice messages without an image's
// text or a hash match have one.

// freeFields are the fields an input shape leaves unknown: what varies
// from one message to the next of a class, and what the policy compares
// with thresholds (scores, evidence, counts, lengths) rather than names.
var freeFields = newFieldTree(
	"event.id", "event.world", "event.space.id", "event.text_length", "event.asr_confidence",
	"event.sender.id", "event.recipient.id",
	"signals.scores", "signals.sources", "signals.models", "signals.evidence", "signals.link_share",
	"signals.behaviour.rate_10s", "signals.behaviour.rate_60s", "signals.behaviour.rate_10m",
	"signals.behaviour.repeats", "signals.behaviour.near_repeats", "signals.behaviour.wave_senders",
	"signals.behaviour.account_age_hours", "signals.behaviour.pile_on_senders",
	"signals.behaviour.domain_senders", "signals.behaviour.grooming",
	"user.strikes", "user.recent_flags",
)

// fieldTree holds paths of object keys; a key mapped to nil ends a path.
type fieldTree map[string]fieldTree

func newFieldTree(paths ...string) fieldTree {
	root := fieldTree{}
	for _, p := range paths {
		n := root
		keys := strings.Split(p, ".")
		for i, k := range keys {
			if i == len(keys)-1 {
				n[k] = nil
				break
			}
			if n[k] == nil {
				n[k] = fieldTree{}
			}
			n = n[k]
		}
	}
	return root
}

// keyBuffers are the buffers input shapes' keys are written in.
var keyBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// inputShapeOf is the input shape of in, whose policy input is input,
// and its class, or false when in can have none or its class was given up
// in shapes.
func inputShapeOf(in *engine.PolicyInput, input ast.Value, shapes *reachedShapes, quietWaves bool) (shapeKey, inputClass, bool) {
	s := in.Signals
	if (in.Event.Kind != engine.KindChat && in.Event.Kind != engine.KindVoice) || s == nil || s.ImageText != nil || len(s.HashMatches) > 0 {
		return shapeKey{}, inputClass{}, false
	}
	c := inputClassOf(in, quietWaves)
	if !shapes.classOpen(c) {
		return shapeKey{}, inputClass{}, false
	}
	bp := keyBuffers.Get().(*[]byte)
	b := appendKnown((*bp)[:0], ast.NewTerm(input), freeFields)
	k := shapeKey{input: string(b)}
	*bp = b
	keyBuffers.Put(bp)
	return k, c, true
}

// appendKnown writes t with the fields free names as ?: every value in
// OPA's text form (objects' keys sorted), which no value's form is, so
// that two inputs have one key exactly when their known parts are equal
// and the same free fields are there.
func appendKnown(b []byte, t *ast.Term, free fieldTree) []byte {
	obj, isObj := t.Value.(ast.Object)
	if !isObj || len(free) == 0 {
		b, _ = t.AppendText(b)
		return b
	}
	b = append(b, '{')
	i := 0
	obj.Foreach(func(k, v *ast.Term) {
		if i > 0 {
			b = append(b, ", "...)
		}
		i++
		b, _ = k.AppendText(b)
		b = append(b, ": "...)
		name, isString := k.Value.(ast.String)
		sub, listed := free[string(name)]
		switch {
		case isString && listed && sub == nil:
			b = append(b, '?')
		case isString && listed:
			b = appendKnown(b, v, sub)
		default:
			b, _ = v.AppendText(b)
		}
	})
	return append(b, '}')
}

// knownInput is t without the fields free names, and the references to
// those that t has (the proofs' unknowns), below path.
func knownInput(t *ast.Term, free fieldTree, path ast.Ref, unknowns *[]string) *ast.Term {
	obj, isObj := t.Value.(ast.Object)
	if !isObj || len(free) == 0 {
		return t
	}
	out := ast.NewObject()
	obj.Foreach(func(k, v *ast.Term) {
		name, isString := k.Value.(ast.String)
		sub, listed := free[string(name)]
		switch {
		case isString && listed && sub == nil:
			*unknowns = append(*unknowns, path.Append(k).String())
		case isString && listed:
			out.Insert(k, knownInput(v, sub, path.Append(k), unknowns))
		default:
			out.Insert(k, v)
		}
	})
	return ast.NewTerm(out)
}

// inputClass is a coarse class of input shapes: the message's kind and
// which of the signals an input shape keeps it has. The proofs of a class
// that refused classTrials shapes and proved none are not tried again:
// its shapes turn on a free field (a count past its threshold, a link's
// share of the text), and each proof costs milliseconds. Not trying is
// always sound: the message is evaluated in full.
type inputClass struct {
	kind                      engine.Kind
	notable, links, pii, cues bool
}

// classTrials is how many shapes of a class are refused before the class
// is given up.
const classTrials = 16

// classTally counts a class's proofs.
type classTally struct{ tried, proven int }

// inputClassOf is in's class.
func inputClassOf(in *engine.PolicyInput, quietWaves bool) inputClass {
	s := in.Signals
	return inputClass{kind: in.Event.Kind, notable: s.Behaviour != nil && notable(s, quietWaves),
		links: len(s.Links) > 0, pii: len(s.PII) > 0, cues: len(s.Cues) > 0}
}

// classOpen reports whether shapes of class c are still proven.
func (s *reachedShapes) classOpen(c inputClass) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.classes[c]
	return t == nil || t.proven > 0 || t.tried < classTrials
}

// observeInput starts the proof of input shape k, of class c, whose
// message's input was decided witness by the full evaluation, on the
// shape's second sighting (see observe).
func (s *reachedShapes) observeInput(k shapeKey, c inputClass, input ast.Value, witness *engine.PolicyResult, log *slog.Logger, revision string) {
	if s == nil {
		return
	}
	s.mu.RLock()
	done := s.tried(k)
	s.mu.RUnlock()
	if done || !s.seenBefore(k.input) || !s.start(k) {
		return
	}
	// Not nil: OPA takes no unknowns for the whole input unknown.
	unknowns := []string{}
	known := knownInput(ast.NewTerm(input), freeFields, ast.InputRootRef, &unknowns)
	s.finish(k, witness, log, revision, func() (*engine.PolicyResult, string, error) {
		d, why, err := s.proveKnown(known, unknowns)
		s.mu.Lock()
		defer s.mu.Unlock()
		t := s.classes[c]
		if t == nil {
			t = &classTally{}
			s.classes[c] = t
		}
		t.tried++
		if d != nil {
			t.proven++
		}
		return d, why, err
	})
}

// seenBefore reports whether an input shape's key was seen before since
// it was last forgotten, and remembers it if not. It remembers at most
// 4×shapeLimit keys, then forgets them all.
func (s *reachedShapes) seenBefore(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.seen[key]; ok {
		delete(s.seen, key)
		return true
	}
	if len(s.seen) >= 4*shapeLimit {
		clear(s.seen)
	}
	s.seen[key] = struct{}{}
	return false
}

// refusedShape reports whether shape k was tried and refused: its proof
// has ended without a decision.
func (s *reachedShapes) refusedShape(k shapeKey) bool {
	if s == nil {
		return false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.refused[k] != ""
}
