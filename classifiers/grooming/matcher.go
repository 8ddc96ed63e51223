package grooming

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/bits"
	"slices"

	"github.com/haechi-tns/haechi/classifiers/textnorm"
	"github.com/haechi-tns/haechi/engine"
)

// allowCue marks the uses of allow patterns: spellings whose matches
// cancel every other match that lies inside them ("영통구", a district,
// holds "영통", a video call).
const allowCue = -1

// matcher finds the spellings of every part of every pattern in one walk
// of a letter trie per letter of the text, and chains parts as it goes.
// It is immutable after compile and safe for concurrent use.
type matcher struct {
	nodes []node
	edges []edge
	// wide finds the children of nodes with more than narrow edges: an
	// open-addressing table keyed by node and letter, since a binary search
	// among hundreds of edges is what made the first letters slow.
	wide     []wideSlot
	wideMask uint64
	uses     []use
	rules    []rule
	srcs     []ruleSource
	// openers has a bit for the first two letters of every spelling that
	// begins a pattern or is an allow pattern (for a one-letter spelling,
	// the letter and 0): while no chain is open, a letter whose pair is
	// not there starts no walk. Half the letters of Korean text begin
	// some spelling, nearly all of them pairs that none goes on with.
	openers [1 << 16 / 64]uint64
	// Children of the root, by the letter they begin with: Hangul
	// syllables, compatibility jamo and ASCII. No spelling begins with
	// another letter.
	hangulRoot [0xD7A3 - 0xAC00 + 1]uint16
	jamoRoot   [0x318E - 0x3131 + 1]uint16
	asciiRoot  [128]uint16
	version    string
}

// node is a trie node: the letters so far spell the uses listed, and the
// edges lead on. Node 0 is the root. Of the uses, the first nfirst begin
// a pattern (or are allow patterns) and the nlater after them continue
// one: those matter only while a chain is open, which in ordinary text is
// seldom.
type node struct {
	// kids has bit r&63 set for the letter r of every edge: most walks
	// end on a letter no edge has, and this rejects it with one test.
	kids                  uint64
	edge, use             uint32
	nedge, nfirst, nlater uint16
	// starts says that this node or one below it has a use that begins
	// a pattern; a walk under a node without goes on only while a chain
	// is open.
	starts bool
}

type edge struct {
	r  rune
	to int32
}

// narrow is the most edges a node's children are looked up among one by
// one.
const narrow = 8

type wideSlot struct {
	key uint64 // node<<32 | letter; 0 is empty (the root is never looked up here)
	to  int32
}

func wideKey(n int32, r rune) uint64 { return uint64(n)<<32 | uint64(uint32(r)) }

func wideHash(k uint64) uint64 { return k * 0x9E3779B97F4A7C15 >> 32 }

// use is one part of one pattern that a spelling stands for.
type use struct {
	rule       uint16
	part       uint8
	cue        int8   // the rule's cue, to skip cues already found
	start, end bool   // the anchors of the spelling
	spaces     uint64 // where the spelling has spaces (see spelling)
}

// rule is one compiled pattern.
type rule struct {
	cue  int8    // bit of the cue in Set, or allowCue
	gaps []uint8 // gaps[k]: letters allowed before part k (gaps[0] unused)
}

// ruleSource is a pattern as rules.go writes it, and its cue.
type ruleSource struct {
	cue engine.GroomingCue // "" for allow patterns
	pat string
}

// compile builds the matcher for patterns.
func compile(srcs []ruleSource) (*matcher, error) {
	m := &matcher{srcs: srcs}
	type tnode struct {
		kids map[rune]int32
		uses []use
	}
	trie := []tnode{{kids: map[rune]int32{}}}
	h := sha256.New()
	for ri, src := range srcs {
		fmt.Fprintf(h, "%s\t%s\n", src.cue, src.pat)
		r := rule{cue: allowCue}
		if src.cue != "" {
			bit := slices.Index(cues[:], src.cue)
			if bit < 0 {
				return nil, fmt.Errorf("grooming: pattern %q: unknown cue %q", src.pat, src.cue)
			}
			r.cue = int8(bit)
		}
		parts, err := parsePattern(src.pat)
		if err != nil {
			return nil, fmt.Errorf("grooming: %w", err)
		}
		if r.cue == allowCue && len(parts) > 1 {
			return nil, fmt.Errorf("grooming: allow pattern %q has more than one part", src.pat)
		}
		if len(parts) > 255 || ri > 0xFFFF {
			return nil, fmt.Errorf("grooming: pattern %q: too many parts or patterns", src.pat)
		}
		for k, p := range parts {
			r.gaps = append(r.gaps, uint8(p.gap))
			for _, s := range p.spellings {
				letters := []rune(s.letters)
				u := use{
					rule:   uint16(ri),
					part:   uint8(k),
					cue:    r.cue,
					start:  s.start || isWordRune(letters[0]),
					end:    s.end || isWordRune(letters[len(letters)-1]) && !s.prefix,
					spaces: s.spaces,
				}
				n := int32(0)
				for _, c := range letters {
					next, ok := trie[n].kids[c]
					if !ok {
						next = int32(len(trie))
						trie = append(trie, tnode{kids: map[rune]int32{}})
						trie[n].kids[c] = next
					}
					n = next
				}
				if !slices.Contains(trie[n].uses, u) {
					trie[n].uses = append(trie[n].uses, u)
				}
				if k == 0 {
					var second rune
					if len(letters) > 1 {
						second = letters[1]
					}
					b := pairBit(letters[0], second)
					m.openers[b/64] |= 1 << (b % 64)
				}
			}
		}
		m.rules = append(m.rules, r)
	}
	if len(trie) > 0xFFFF {
		return nil, errors.New("grooming: more trie nodes than the root tables can hold")
	}
	// Flatten the trie; put the children of wide nodes in the table.
	m.nodes = make([]node, len(trie))
	nwide := 0
	for i, tn := range trie {
		if len(tn.kids) > 0xFFFF || len(tn.uses) > 0xFFFF {
			return nil, errors.New("grooming: a trie node has too many children or uses")
		}
		nd := &m.nodes[i]
		nd.edge, nd.nedge = uint32(len(m.edges)), uint16(len(tn.kids))
		for c, to := range tn.kids {
			m.edges = append(m.edges, edge{r: c, to: to})
			nd.kids |= 1 << (c & 63)
		}
		slices.SortFunc(m.edges[nd.edge:], func(a, b edge) int { return int(a.r - b.r) })
		if i > 0 && len(tn.kids) > narrow {
			nwide += len(tn.kids)
		}
		nd.use = uint32(len(m.uses))
		for _, u := range tn.uses {
			if u.part == 0 {
				m.uses = append(m.uses, u)
				nd.nfirst++
			}
		}
		for _, u := range tn.uses {
			if u.part > 0 {
				m.uses = append(m.uses, u)
				nd.nlater++
			}
		}
	}
	// Mark the nodes with a pattern's beginning at or below them. A
	// child's index is always greater than its parent's.
	for i := len(m.nodes) - 1; i >= 0; i-- {
		nd := &m.nodes[i]
		nd.starts = nd.starts || nd.nfirst > 0
		for _, e := range m.edges[nd.edge : nd.edge+uint32(nd.nedge)] {
			nd.starts = nd.starts || m.nodes[e.to].starts
		}
	}
	size := 16
	for size < 2*nwide {
		size *= 2
	}
	m.wide, m.wideMask = make([]wideSlot, size), uint64(size-1)
	for i := 1; i < len(m.nodes); i++ {
		nd := &m.nodes[i]
		if nd.nedge <= narrow {
			continue
		}
		for _, e := range m.edges[nd.edge : nd.edge+uint32(nd.nedge)] {
			k := wideKey(int32(i), e.r)
			h := wideHash(k) & m.wideMask
			for m.wide[h].key != 0 {
				h = (h + 1) & m.wideMask
			}
			m.wide[h] = wideSlot{key: k, to: e.to}
		}
	}
	for c, to := range trie[0].kids {
		e := uint16(to)
		switch {
		case c >= 0xAC00 && c <= 0xD7A3:
			m.hangulRoot[c-0xAC00] = e
		case c >= 0x3131 && c <= 0x318E:
			m.jamoRoot[c-0x3131] = e
		case c < 128:
			m.asciiRoot[c] = e
		default:
			return nil, fmt.Errorf("grooming: a spelling begins with %q, neither Hangul nor ASCII", c)
		}
	}
	m.version = hex.EncodeToString(h.Sum(nil))[:12]
	return m, nil
}

// pairBit is the bit of the letter pair a, b in matcher.openers.
func pairBit(a, b rune) uint32 { return (uint32(a)*0x9E3779B1 ^ uint32(b)*0x85EBCA77) >> 16 }

// opens reports whether a spelling that opens a chain may begin with a, b.
func (m *matcher) opens(a, b rune) bool {
	x, y := pairBit(a, b), pairBit(a, 0)
	return m.openers[x/64]&(1<<(x%64)) != 0 || m.openers[y/64]&(1<<(y%64)) != 0
}

// root returns the node for the one-letter spelling r, or 0.
func (m *matcher) root(r rune) int32 {
	switch {
	case r >= 0xAC00 && r <= 0xD7A3:
		return int32(m.hangulRoot[r-0xAC00])
	case r < 128:
		return int32(m.asciiRoot[r])
	case r >= 0x3131 && r <= 0x318E:
		return int32(m.jamoRoot[r-0x3131])
	}
	return 0
}

// child returns the node after n on letter r, or 0.
func (m *matcher) child(n int32, r rune) int32 {
	nd := &m.nodes[n]
	if nd.kids&(1<<(r&63)) == 0 {
		return 0
	}
	if nd.nedge <= narrow {
		for _, e := range m.edges[nd.edge : nd.edge+uint32(nd.nedge)] {
			if e.r >= r {
				if e.r == r {
					return e.to
				}
				break
			}
		}
		return 0
	}
	k := wideKey(n, r)
	for h := wideHash(k) & m.wideMask; ; h = (h + 1) & m.wideMask {
		switch m.wide[h].key {
		case k:
			return m.wide[h].to
		case 0:
			return 0
		}
	}
}

// hit is a spelling found at letters [i, j) standing for u.
type hit struct {
	u use
	j int32
}

// partial is a chain of a rule's parts found up to part, from letter
// start to end.
type partial struct {
	rule       uint16
	part       uint8
	start, end int32
}

type span struct{ i, j int32 }

// scratch holds one call's matches. Its arrays live on the stack; a text
// that overflows one spills to the heap, which ordinary text never does.
type scratch struct {
	hits     [16]hit
	allows   [8]span
	partials [16]partial
}

// detect returns the cues t shows. When fired is not nil it is called
// with each rule that completes and the letters its chain spans, and
// detection goes on past the first rule of each cue.
func (m *matcher) detect(t *textnorm.Text, fired func(rule, i, j int)) Set {
	var sc scratch
	allows, partials := sc.allows[:0], sc.partials[:0]
	var open int32 // the last letter at which an open chain may continue
	var set Set
	letters := t.Letters()
	for i, r := range letters {
		if len(partials) > 0 && int32(i) > open {
			partials = partials[:0]
		}
		if isWordRune(r) && !t.TokenStart(i) {
			continue // Latin spellings start words
		}
		if len(partials) == 0 {
			var next rune
			if i+1 < len(letters) {
				next = letters[i+1]
			}
			if !m.opens(r, next) {
				continue
			}
		}
		n := m.root(r)
		if n == 0 {
			continue
		}
		hits := sc.hits[:0]
		atStart := t.TokenStart(i)
		var crossed uint64 // bit k-i: a word boundary before letter k
		for k := i; ; {
			nd := &m.nodes[n]
			end := nd.use + uint32(nd.nfirst)
			if len(partials) > 0 {
				end += uint32(nd.nlater)
			}
			for _, u := range m.uses[nd.use:end] {
				if u.cue >= 0 && set&(1<<u.cue) != 0 && fired == nil ||
					u.start && !atStart || u.end && !t.TokenEnd(k+1) ||
					crossed&^u.spaces != 0 && !respaced(t, atStart, crossed, k+1) {
					continue
				}
				hits = append(hits, hit{u: u, j: int32(k + 1)})
			}
			if k++; k == len(letters) {
				break
			}
			if n = m.child(n, letters[k]); n == 0 || len(partials) == 0 && !m.nodes[n].starts {
				break
			}
			if t.TokenStart(k) {
				crossed |= 1 << (k - i)
			}
		}
		if len(hits) == 0 {
			continue
		}
		// Allow matches starting here may be found after the matches they
		// hold; take them all in first.
		for _, h := range hits {
			if m.rules[h.u.rule].cue == allowCue {
				allows = append(allows, span{int32(i), h.j})
			}
		}
		for _, h := range hits {
			r := &m.rules[h.u.rule]
			if r.cue == allowCue || set&(1<<r.cue) != 0 && fired == nil || inAllowed(allows, int32(i), h.j) {
				continue
			}
			start := int32(i)
			if h.u.part > 0 {
				var ok bool
				if start, ok = continues(partials, h.u, int32(i), r.gaps[h.u.part]); !ok {
					continue
				}
			}
			if int(h.u.part) == len(r.gaps)-1 {
				set |= 1 << r.cue
				if fired != nil {
					fired(int(h.u.rule), int(start), int(h.j))
				}
				continue
			}
			partials = m.addPartial(partials, partial{rule: h.u.rule, part: h.u.part, start: start, end: h.j}, int32(i))
			open = max(open, h.j+int32(r.gaps[h.u.part+1]))
		}
	}
	return set
}

// respaced reports whether a match ending before letter j, which
// crosses the word boundaries in crossed (bit b: before its letter b)
// where its spelling has no space, is the word respaced: it begins a word
// and ends one, or its pieces before the last are single letters, at
// least two.
func respaced(t *textnorm.Text, atStart bool, crossed uint64, j int) bool {
	if !atStart {
		return false
	}
	if t.TokenEnd(j) {
		return true
	}
	last := 63 - bits.LeadingZeros64(crossed)
	return last >= 2 && crossed == 1<<(last+1)-2
}

func inAllowed(allows []span, i, j int32) bool {
	for _, a := range allows {
		if a.i <= i && j <= a.j {
			return true
		}
	}
	return false
}

// continues reports whether a hit of u at letter i follows a chain of the
// parts before it that ends at most gap letters earlier, and where the
// chain starts.
func continues(partials []partial, u use, i int32, gap uint8) (start int32, ok bool) {
	for _, p := range partials {
		if p.rule == u.rule && p.part == u.part-1 && p.end <= i && i-p.end <= int32(gap) {
			return p.start, true
		}
	}
	return 0, false
}

// addPartial appends p, first dropping the chains that can no longer
// continue at letter i when the array is full.
func (m *matcher) addPartial(ps []partial, p partial, i int32) []partial {
	if len(ps) == cap(ps) {
		ps = slices.DeleteFunc(ps, func(q partial) bool {
			return q.end+int32(m.rules[q.rule].gaps[q.part+1]) < i
		})
	}
	return append(ps, p)
}
