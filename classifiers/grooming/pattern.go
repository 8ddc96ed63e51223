package grooming

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/haechi-tns/haechi/classifiers/textnorm"
)

// A pattern is one or more parts separated by "~N": the next part must
// begin at most N letters after the previous one ends, whatever spaces
// lie between ("~" alone is defaultGap). A part is literal letters and
// groups of alternatives, "{사진|셀카}", an alternative possibly empty; a
// part stands for every spelling its groups make.
//
// Spacing inside a spelling: the text may run its letters together, and
// may space them where the spelling has a space ("보내 줘" is written once
// and matches 보내줘 too). Elsewhere a match may cross a word boundary only
// if it begins a word and either ends one ("사 진", "만 나 자") or is
// spelled out letter by letter before its last word ("비 밀 로하자"): Korean
// spacing is loose and spacing letters apart is an obfuscation, but "나이"
// (age) is not found in "…하나. 이게" nor in "나 이영화" (I, this film).
//
// Anchors: a spelling beginning with "<" must start a token and one ending
// with ">" must end one; put at the ends of a part they anchor all its
// spellings, put in a group only that alternative ("{와>|올래}": 와 must
// end its word, or 와이파이 would count). Spellings that begin with a Latin
// letter or a digit always start a token, and those that end with one
// always end a token unless the spelling ends with "*" ("pic" is not
// "topic", "picnic"); Hangul spellings match anywhere unless anchored,
// because Korean attaches particles and endings to the word.
const defaultGap = 6

// maxGap bounds "~N" so that a gap fits a byte and parts stay close.
const maxGap = 30

// part is one compiled part of a pattern.
type part struct {
	spellings []spelling
	gap       int // letters allowed before this part (parts after the first)
}

// spelling is one way to write a part: normalised letters without
// separators, and its anchors.
type spelling struct {
	letters    string
	spaces     uint64 // bit k: the spelling has a space before letter k
	start, end bool   // '<', '>'
	prefix     bool   // '*': a Latin spelling may go on into a longer word
}

// maxSpelling is the longest spelling, in letters, so that spaces fits.
const maxSpelling = 64

// parsePattern splits a pattern into parts and expands their groups.
func parsePattern(p string) ([]part, error) {
	var out []part
	gap := 0
	rest := p
	for {
		k := strings.IndexByte(rest, '~')
		seg := rest
		if k >= 0 {
			seg = rest[:k]
		}
		pt, err := parsePart(seg)
		if err != nil {
			return nil, fmt.Errorf("pattern %q: %w", p, err)
		}
		pt.gap = gap
		out = append(out, pt)
		if k < 0 {
			return out, nil
		}
		rest = rest[k+1:]
		n := 0
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		gap = defaultGap
		if n > 0 {
			gap, _ = strconv.Atoi(rest[:n])
			if gap > maxGap {
				return nil, fmt.Errorf("pattern %q: gap %d over %d", p, gap, maxGap)
			}
		}
		rest = rest[n:]
	}
}

func parsePart(seg string) (part, error) {
	alts, err := expand(strings.TrimSpace(seg))
	if err != nil {
		return part{}, err
	}
	var pt part
	seen := make(map[spelling]int, len(alts)) // by everything but spaces
	var t textnorm.Text
	for _, a := range alts {
		var sp spelling
		a = strings.TrimSpace(a)
		if strings.HasPrefix(a, "<") {
			sp.start, a = true, a[1:]
		}
		if strings.HasSuffix(a, "*") {
			sp.prefix, a = true, strings.TrimSpace(a[:len(a)-1])
		}
		if strings.HasSuffix(a, ">") {
			sp.end, a = true, a[:len(a)-1]
		}
		if strings.ContainsAny(a, "<>*") {
			return part{}, fmt.Errorf("part %q: anchors only at the ends of a spelling", seg)
		}
		t.Reset(a)
		sp.letters = string(t.Letters())
		if sp.letters == "" || t.Len() > maxSpelling {
			return part{}, fmt.Errorf("part %q has a spelling with no letters or more than %d", seg, maxSpelling)
		}
		for k := 1; k < t.Len(); k++ {
			if t.TokenStart(k) {
				sp.spaces |= 1 << k
			}
		}
		// "보내줘" and "보내 줘" are one spelling, with the spaces of both.
		key := sp
		key.spaces = 0
		if k, ok := seen[key]; ok {
			pt.spellings[k].spaces |= sp.spaces
			continue
		}
		seen[key] = len(pt.spellings)
		pt.spellings = append(pt.spellings, sp)
	}
	return pt, nil
}

// expand returns every spelling of s, whose groups are "{a|b|}".
func expand(s string) ([]string, error) {
	out := []string{""}
	for s != "" {
		i := strings.IndexByte(s, '{')
		lit := s
		if i >= 0 {
			lit = s[:i]
		}
		if strings.ContainsAny(lit, "|}") {
			return nil, fmt.Errorf("%q: '|' or '}' outside a group", s)
		}
		for k := range out {
			out[k] += lit
		}
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("%q: unclosed group", s)
		}
		group := s[i+1 : i+j]
		if strings.ContainsRune(group, '{') {
			return nil, fmt.Errorf("%q: nested group", s)
		}
		alts := strings.Split(group, "|")
		next := make([]string, 0, len(out)*len(alts))
		for _, o := range out {
			for _, a := range alts {
				next = append(next, o+a)
			}
		}
		out = next
		s = s[i+j+1:]
	}
	return out, nil
}

// isWordRune reports the letters whose spellings are token-anchored by
// default: Latin letters and digits.
func isWordRune(r rune) bool { return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' }
