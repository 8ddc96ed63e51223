// Package lexicon finds curated abusive words and phrases in normalised text
// with one Aho-Corasick automaton, and turns the matches into per-category
// scores.
//
// Entries are normalised with textnorm, exactly like the text they are
// matched against, so "씨@발", "ㅅㅣㅂㅏㄹ" and "시 발" all meet the entry 씨발's
// normal form. Token rules decide which matches count: Latin entries match
// whole words, Hangul entries may match inside a word (Korean attaches
// particles), a match may run across token boundaries only where the entry
// itself has a space or where the text spells the word out one letter at a
// time (ㅅ ㅂ, f u c k), and allow entries (시발점, "starting point") cancel
// the matches they contain.
package lexicon

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	ac "github.com/petar-dambovaliev/aho-corasick"

	"github.com/haechi-tns/haechi/classifiers/textnorm"
	"github.com/haechi-tns/haechi/engine"
)

// Bound says where in a token an entry may match.
type Bound uint8

const (
	// BoundWord entries match whole tokens only: the default for entries
	// with Latin letters ("ass" must not match "class").
	BoundWord Bound = iota + 1
	// BoundPrefix entries start a token but may be followed by more letters
	// (fuck → fucking).
	BoundPrefix
	// BoundSub entries may match anywhere inside a token: the default for
	// Hangul entries.
	BoundSub
)

// Entry is one lexicon line.
type Entry struct {
	Term     string
	Category engine.Category
	Weight   float64
	Bound    Bound
	// Allow marks a benign word whose occurrences cancel the matches inside
	// them (시발점 contains 시발).
	Allow bool
	// Source is "file:line", for error messages and reviews.
	Source string
}

// Parse reads a lexicon file: one entry per line as
// term<TAB>category<TAB>weight[<TAB>flags], '#' comments and blank lines.
// Flags are word, prefix, sub and allow, comma-separated. name labels the
// entries' Source and errors.
func Parse(r io.Reader, name string) ([]Entry, error) {
	var out []Entry
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if t := strings.TrimSpace(text); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		e, err := parseLine(text)
		if err != nil {
			return nil, fmt.Errorf("lexicon: %s:%d: %w", name, line, err)
		}
		e.Source = name + ":" + strconv.Itoa(line)
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("lexicon: %s: %w", name, err)
	}
	return out, nil
}

func parseLine(text string) (Entry, error) {
	f := strings.Split(text, "\t")
	if len(f) < 3 || len(f) > 4 {
		return Entry{}, fmt.Errorf("want term, category, weight and optional flags separated by tabs, got %d fields", len(f))
	}
	e := Entry{Term: strings.TrimSpace(f[0])}
	if e.Term == "" {
		return Entry{}, errors.New("empty term")
	}
	w, err := strconv.ParseFloat(strings.TrimSpace(f[2]), 64)
	if err != nil || !(w > 0 && w <= 1) {
		return Entry{}, fmt.Errorf("weight %q is not a number in (0,1]", f[2])
	}
	e.Weight = w
	if len(f) == 4 {
		for flag := range strings.SplitSeq(f[3], ",") {
			switch strings.TrimSpace(flag) {
			case "word":
				e.Bound = BoundWord
			case "prefix":
				e.Bound = BoundPrefix
			case "sub":
				e.Bound = BoundSub
			case "allow":
				e.Allow = true
			case "":
			default:
				return Entry{}, fmt.Errorf("unknown flag %q (want word, prefix, sub or allow)", flag)
			}
		}
	}
	cat := strings.TrimSpace(f[1])
	switch {
	case e.Allow && cat == "-":
	case e.Allow:
		return Entry{}, errors.New("allow entries take \"-\" as category")
	case cat == string(engine.Toxic) || cat == string(engine.PIICategory) || !engine.Category(cat).Valid():
		return Entry{}, fmt.Errorf("unknown category %q", cat)
	default:
		e.Category = engine.Category(cat)
	}
	return e, nil
}

// Lexicon matches entries in normalised text. It is immutable after New and
// safe for concurrent use.
type Lexicon struct {
	entries  []Entry
	patterns []pattern
	ac       ac.AhoCorasick
	version  string
}

// pattern is one string in the automaton and the entries it stands for.
type pattern struct {
	uses []use
}

// use ties a pattern to an entry; spaces are the letter offsets inside the
// pattern where the entry starts a new word.
type use struct {
	entry  int32
	spaces []int16
}

// New builds a lexicon. version identifies the lexicon files in decisions.
func New(entries []Entry, version string) (*Lexicon, error) {
	l := &Lexicon{entries: entries, version: version}
	index := make(map[string]int)
	var strs []string
	add := func(s string, u use) {
		k, ok := index[s]
		if !ok {
			k = len(strs)
			index[s] = k
			strs = append(strs, s)
			l.patterns = append(l.patterns, pattern{})
		}
		l.patterns[k].uses = append(l.patterns[k].uses, u)
	}
	var t textnorm.Text
	words := make([][]rune, len(l.entries)) // single-word entries' letters
	for i := range l.entries {
		e := &l.entries[i]
		t.Reset(e.Term)
		if t.Len() == 0 {
			return nil, fmt.Errorf("lexicon: %s: term %q has no letters after normalisation", e.Source, e.Term)
		}
		letters := slices.Clone(t.Letters())
		var spaces []int16
		for k := 1; k < t.Len(); k++ {
			if t.TokenStart(k) {
				spaces = append(spaces, int16(k))
			}
		}
		if e.Bound == 0 {
			e.Bound = BoundSub
			if slices.ContainsFunc(letters, isLatin) {
				e.Bound = BoundWord
			}
		}
		add(string(letters), use{entry: int32(i), spaces: spaces})
		if len(spaces) == 0 {
			words[i] = letters
		}
	}
	// Variants come after every entry's own spelling and never stand for a
	// spelling the lexicon lists (씨이발 is an entry with its own weight,
	// not only 씨발 drawn out).
	listed := len(strs)
	for i, w := range words {
		var vs []string
		if len(w) > 0 && !slices.ContainsFunc(w, func(r rune) bool { return !isLatin(r) }) {
			vs = latinVariants(w)
		}
		vs = append(vs, hangulVariants(w, l.entries[i].Bound != BoundSub, &t)...)
		for _, v := range vs {
			if k, ok := index[v]; !ok || k >= listed {
				add(v, use{entry: int32(i)})
			}
		}
	}
	if len(strs) == 0 {
		return nil, errors.New("lexicon: no entries")
	}
	b := ac.NewAhoCorasickBuilder(ac.Opts{MatchKind: ac.StandardMatch, DFA: true})
	l.ac = b.Build(strs)
	return l, nil
}

func isLatin(r rune) bool { return r >= 'a' && r <= 'z' }

// latinVariants spells a Latin word the ways normalisation cannot undo:
// one letter doubled (fuuck: runs of three or more are already cut to two)
// and one or two inner letters masked (f*ck, f**k).
func latinVariants(w []rune) []string {
	var out []string
	for i := range w {
		if (i > 0 && w[i-1] == w[i]) || (i+1 < len(w) && w[i+1] == w[i]) {
			continue // doubling would make a run of three
		}
		v := slices.Insert(slices.Clone(w), i, w[i])
		out = append(out, string(v))
	}
	if len(w) >= 4 {
		for i := 1; i < len(w)-1; i++ {
			v := slices.Clone(w)
			v[i] = textnorm.Mask
			out = append(out, string(v))
			if i+1 < len(w)-1 {
				v[i+1] = textnorm.Mask
				out = append(out, string(v))
			}
		}
	}
	return out
}

// hangulVariants spells a word with one Hangul vowel drawn out, the way
// normalisation leaves drawn-out spellings (씨발 → 씨이발, which is what
// 씨이이이발 normalises to). The last syllable is drawn out only if last
// is set: an entry that may match inside a word already matches 몰카아, and
// the variant would stretch its span over the next word (몰카아냐). t is
// scratch space.
func hangulVariants(w []rune, last bool, t *textnorm.Text) []string {
	var out []string
	for i, r := range w {
		rep, ok := textnorm.VowelRepeat(r)
		if !ok || (i == len(w)-1 && !last) {
			continue
		}
		v := string(slices.Insert(slices.Clone(w), i+1, rep))
		// Only spellings the normaliser can produce: 이 after 이 or
		// after another elongation would be cut again.
		if t.Reset(v); string(t.Letters()) == v {
			out = append(out, v)
		}
	}
	return out
}

// Version identifies the lexicon's contents.
func (l *Lexicon) Version() string { return l.version }

// Len returns the number of entries.
func (l *Lexicon) Len() int { return len(l.entries) }

// Entries returns the entries; callers must not modify them.
func (l *Lexicon) Entries() []Entry { return l.entries }

type hit struct {
	i, j  int
	entry int32
}

// Match appends to dst the entries found in t, with spans into t's original
// text. Matches inside an allow entry's match are dropped, and so is a match
// lying inside a longer match of the same category that weighs as much.
func (l *Lexicon) Match(t *textnorm.Text, dst []engine.TermMatch) []engine.TermMatch {
	if t.Len() == 0 {
		return dst
	}
	var hits, allows []hit
	it := l.ac.IterOverlappingByte(t.Compact())
	for m := it.Next(); m != nil; m = it.Next() {
		i := t.LetterAt(m.Start())
		j := t.Len()
		if m.End() < len(t.Compact()) {
			j = t.LetterAt(m.End())
		}
		for _, u := range l.patterns[m.Pattern()].uses {
			e := &l.entries[u.entry]
			if !accept(t, i, j, e.Bound, u.spaces) {
				continue
			}
			h := hit{i: i, j: j, entry: u.entry}
			if e.Bound == BoundPrefix {
				// Mask and report the whole word, not just its stem.
				for h.j < t.Len() && !t.TokenStart(h.j) {
					h.j++
				}
			}
			if e.Allow {
				allows = append(allows, h)
			} else {
				hits = append(hits, h)
			}
		}
	}
	for _, h := range hits {
		if slices.ContainsFunc(allows, func(a hit) bool { return a.i <= h.i && h.j <= a.j }) {
			continue
		}
		e := &l.entries[h.entry]
		if slices.ContainsFunc(hits, func(o hit) bool {
			oe := &l.entries[o.entry]
			return o != h && oe.Category == e.Category && oe.Weight >= e.Weight &&
				o.i <= h.i && h.j <= o.j && (o.j-o.i > h.j-h.i || o.entry < h.entry)
		}) {
			continue
		}
		start, end := t.Span(h.i, h.j)
		dst = append(dst, engine.TermMatch{Category: e.Category, Term: e.Term, Weight: e.Weight, Start: start, End: end})
	}
	return dst
}

// accept applies the token rules to a match of letters [i, j).
func accept(t *textnorm.Text, i, j int, b Bound, spaces []int16) bool {
	switch b {
	case BoundWord:
		if !t.TokenStart(i) || !t.TokenEnd(j) {
			return false
		}
	case BoundPrefix:
		if !t.TokenStart(i) {
			return false
		}
	}
	aligned := true
	for k := i + 1; k < j; k++ {
		if t.TokenStart(k) && !slices.Contains(spaces, int16(k-i)) {
			aligned = false
			break
		}
	}
	if aligned {
		return true
	}
	return spelledOut(t, i, j, b)
}

// spelledOut reports whether letters [i, j) are written one letter per
// token (ㅅ ㅂ, f u c k), allowing the last piece to be a whole word (시 발놈)
// or, for entries that may match inside words, the start of one after at
// least two single letters (ㅅ ㅂ 놈아).
func spelledOut(t *textnorm.Text, i, j int, b Bound) bool {
	if !t.TokenStart(i) {
		return false
	}
	singles := 0
	for p := i; p < j; {
		q := p + 1
		for q < t.Len() && !t.TokenStart(q) {
			q++
		}
		switch {
		case q <= j && q-p == 1:
			singles++
		case q == j:
			// the last piece is a whole token
		case q > j && b == BoundSub && singles >= 2:
			// the last piece starts a longer token
		default:
			return false
		}
		p = q
	}
	return singles >= 1
}

// Hash returns a short content hash of the given lexicon files, for
// Version.
func Hash(files ...[]byte) string {
	h := sha256.New()
	for _, f := range files {
		h.Write(f)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}
