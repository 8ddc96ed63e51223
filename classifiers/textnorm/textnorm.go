// Package textnorm normalises chat text so that obfuscated abuse reads like
// the plain kind, in Korean and English, while remembering where every
// normalised letter came from in the original text.
//
// It puts text written with bidi overrides in the order a reader sees it
// (\u202ekcuf\u202c), folds width and compatibility forms (NFKD per rune),
// drops invisible and control characters and combining marks, lowercases,
// maps Cyrillic and Greek look-alikes, small capitals, regional indicators
// and leetspeak inside Latin words to Latin letters, takes out digits and
// symbols inserted between Hangul syllables (시1발), composes typed-out jamo
// into syllables (ㅅㅣㅂㅏㄹ), shortens drawn-out Hangul vowels (씨이이이발,
// 씨ㅣ발) and runs of three or more identical letters to two. The result is
// a sequence of letters split into tokens; matchers decide how tokens may be
// joined (시 발, f u c k).
package textnorm

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Text is a normalised text: a sequence of letters, each with the span of
// original code points it came from, grouped into tokens. A Text can be
// reused with Reset to avoid allocation; it is not safe for concurrent use.
type Text struct {
	letters  []rune
	start    []int32 // first original code point of each letter
	end      []int32 // one past the last original code point
	tokStart []bool
	compact  []byte  // letters as UTF-8, no separators
	off      []int32 // byte offset of each letter in compact, and len(compact)
	units    []unit
	visual   []codePoint // scratch for text with bidi controls
	runes    int
	hangul   bool // whether any unit is Hangul; set by leetAndNoise
}

type unitKind uint8

const (
	kindLetter unitKind = iota // a letter or digit
	kindSep                    // whitespace, or punctuation that ends a token
	kindSym                    // a symbol: leet, mask, inserted noise or a separator
	kindDrop                   // removed by a later stage
)

type unit struct {
	r          rune
	start, end int32
	kind       unitKind
}

// cover widens u's span to take in v's, when v is merged into u. In text
// put in display order v may come from before u.
func (u *unit) cover(v *unit) {
	u.start, u.end = min(u.start, v.start), max(u.end, v.end)
}

// Normalize returns the normalised form of s.
func Normalize(s string) *Text {
	t := &Text{}
	t.Reset(s)
	return t
}

// Reset normalises s into t, reusing t's memory.
func (t *Text) Reset(s string) {
	t.units, t.hangul = t.units[:0], false
	t.fold(s)
	t.leetAndNoise()
	if t.hangul {
		t.composeJamo()
		t.collapseElongation()
	}
	t.collapseRepeats()
	t.build()
}

// Len returns the number of normalised letters.
func (t *Text) Len() int { return len(t.letters) }

// OriginalLen returns the number of code points in the original text.
func (t *Text) OriginalLen() int { return t.runes }

// Letters returns the normalised letters. The slice is owned by t.
func (t *Text) Letters() []rune { return t.letters }

// Compact returns the letters as UTF-8 without separators. The slice is
// owned by t and valid until the next Reset.
func (t *Text) Compact() []byte { return t.compact }

// LetterAt returns the index of the letter that starts at byte offset b of
// Compact, or the index of the letter containing it.
func (t *Text) LetterAt(b int) int {
	lo, hi := 0, len(t.letters)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if int(t.off[m]) <= b {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo - 1
}

// ByteOffset returns the byte offset in Compact where letter i starts;
// ByteOffset(Len()) is len(Compact()).
func (t *Text) ByteOffset(i int) int { return int(t.off[i]) }

// TokenStart reports whether letter i begins a token.
func (t *Text) TokenStart(i int) bool { return i >= len(t.letters) || t.tokStart[i] }

// TokenEnd reports whether a token ends just before letter i (i may be
// Len()).
func (t *Text) TokenEnd(i int) bool { return i >= len(t.letters) || t.tokStart[i] }

// Span maps letters [i, j) to the original code points [start, end) they came
// from: the smallest range that holds all of them. It includes anything
// removed between them, such as inserted noise, and the bidi controls
// inside a reversed run, whose letters come from the original in reverse.
func (t *Text) Span(i, j int) (start, end int) {
	s, e := t.start[i], t.end[j-1]
	for k := i; k < j; k++ {
		s, e = min(s, t.start[k]), max(e, t.end[k])
	}
	return int(s), int(e)
}

// String returns the normalised text with tokens separated by single spaces.
func (t *Text) String() string {
	var b strings.Builder
	b.Grow(len(t.compact) + len(t.letters)/2)
	for i, r := range t.letters {
		if i > 0 && t.tokStart[i] {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// fold decodes s into units, in display order when s has bidi controls:
// per code point, invisible characters are dropped, everything but Hangul
// is decomposed (NFKD) with combining marks removed, letters are lowercased
// and look-alikes mapped to Latin.
func (t *Text) fold(s string) {
	if hasBidiControl(s) {
		cps := t.visualOrder(s)
		for _, c := range cps {
			t.foldRune(s, int(c.at), c.r, c.pos)
		}
		t.runes = utf8.RuneCountInString(s)
		return
	}
	var k int32
	for i, r := range s {
		if r < utf8.RuneSelf {
			t.addRune(r, k) // the common case, without a call to foldRune
		} else {
			t.foldRune(s, i, r, k)
		}
		k++
	}
	t.runes = int(k)
}

// foldRune folds r, the code point at byte i of s and code point pos.
func (t *Text) foldRune(s string, i int, r rune, pos int32) {
	switch {
	case r < utf8.RuneSelf:
		t.addRune(lowerASCII(r), pos)
	case isHangul(r): // first: no Hangul letter is invisible, and it is the common case
		t.units = append(t.units, unit{r: r, start: pos, end: pos + 1, kind: kindLetter})
	case r == utf8.RuneError && isInvalidAt(s, i):
		t.units = append(t.units, unit{r: ' ', start: pos, end: pos + 1, kind: kindSep})
	case invisible(r):
	default:
		d := norm.NFKD.PropertiesString(s[i:]).Decomposition()
		if d == nil {
			t.addRune(r, pos)
			return
		}
		for _, x := range string(d) {
			t.addRune(x, pos)
		}
	}
}

func isInvalidAt(s string, i int) bool {
	_, n := utf8.DecodeRuneInString(s[i:])
	return n == 1
}

// addRune appends one decomposed code point as a unit.
func (t *Text) addRune(r rune, pos int32) {
	u := unit{start: pos, end: pos + 1}
	switch {
	case r < utf8.RuneSelf:
		r = lowerASCII(r)
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			u.kind = kindLetter
		case r == ' ', r < 0x20, r == 0x7f:
			u.kind = kindSep
			r = ' '
		default:
			u.kind = kindSym
		}
	case unicode.In(r, unicode.Mn, unicode.Me) || invisible(r):
		return
	case r >= choseongFirst && r <= 0x11FF:
		if r = conjoiningToCompat(r); r == 0 {
			return
		}
		u.kind = kindLetter
	case unicode.IsSpace(r) || unicode.IsControl(r):
		u.kind, r = kindSep, ' '
	case enclosedLetter(r) != 0:
		u.kind, r = kindLetter, enclosedLetter(r)
	case unicode.IsLetter(r) || unicode.Is(unicode.Nd, r):
		r = unicode.ToLower(r)
		if m, ok := lookalike[r]; ok {
			r = m
		}
		u.kind = kindLetter
	default:
		if m, ok := lookalike[r]; ok {
			r = m
		}
		u.kind = kindSym
	}
	u.r = r
	t.units = append(t.units, u)
}

func lowerASCII(r rune) rune {
	if r >= 'A' && r <= 'Z' {
		return r + 'a' - 'A'
	}
	return r
}

// invisible reports code points that render as nothing and are used to split
// words without anyone seeing it: format characters (zero-width space and
// joiners, bidi marks, soft hyphen), variation selectors and Hangul fillers.
func invisible(r rune) bool {
	switch {
	case r == hangulFiller, r == 0x115F, r == 0x1160, r == 0xFFA0, r == 0x034F:
		return true
	case r >= 0xFE00 && r <= 0xFE0F, r >= 0xE0100 && r <= 0xE01EF:
		return true
	}
	return unicode.Is(unicode.Cf, r)
}

// leet maps digits and symbols to the Latin letters they stand for inside
// Latin words (sh1t, a$$, @ss).
var leet = map[rune]rune{
	'0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't',
	'@': 'a', '$': 's', '!': 'i', '|': 'l', '+': 't', '€': 'e',
}

// interiorOnly leet symbols stand for a letter only inside a word: "sh!t"
// but not "hello!".
func interiorOnly(r rune) bool { return r == '!' || r == '|' || r == '+' }

// masks hide a letter inside a word (f*ck, f#ck); they become '*'.
func isMask(r rune) bool { return r == '*' || r == '#' }

// Mask is the letter that masked characters become in normalised text.
const Mask = '*'

// lookalike maps Cyrillic and Greek letters (after lowercasing), small
// capitals and a few symbols to the Latin letters they are used to
// imitate. Small capitals have no compatibility decomposition, so NFKD
// leaves them alone.
var lookalike = map[rune]rune{
	'а': 'a', 'в': 'b', 'е': 'e', 'ё': 'e', 'з': '3', 'і': 'i', 'ї': 'i',
	'ј': 'j', 'к': 'k', 'м': 'm', 'н': 'h', 'о': 'o', 'п': 'n', 'р': 'p',
	'с': 'c', 'т': 't', 'у': 'y', 'х': 'x', 'ѕ': 's', 'ԁ': 'd', 'һ': 'h',
	'ԛ': 'q', 'ԝ': 'w', 'ӏ': 'l', 'ս': 'u', 'ո': 'n',
	'α': 'a', 'β': 'b', 'ε': 'e', 'η': 'n', 'ι': 'i', 'κ': 'k', 'ν': 'v',
	'ο': 'o', 'ρ': 'p', 'τ': 't', 'υ': 'u', 'χ': 'x', 'ω': 'w', 'γ': 'y',
	'ı': 'i', 'ɡ': 'g', 'ℓ': 'l', 'ß': 's',
	'ᴀ': 'a', 'ʙ': 'b', 'ᴄ': 'c', 'ᴅ': 'd', 'ᴇ': 'e', 'ꜰ': 'f', 'ɢ': 'g',
	'ʜ': 'h', 'ɪ': 'i', 'ᴊ': 'j', 'ᴋ': 'k', 'ʟ': 'l', 'ᴍ': 'm', 'ɴ': 'n',
	'ᴏ': 'o', 'ᴘ': 'p', 'ꞯ': 'q', 'ʀ': 'r', 'ꜱ': 's', 'ᴛ': 't', 'ᴜ': 'u',
	'ᴠ': 'v', 'ᴡ': 'w', 'ʏ': 'y', 'ᴢ': 'z',
}

// enclosedLetter returns the Latin letter that a regional indicator (🇫,
// two of which make a flag) or a negative circled or squared letter (🅕,
// 🅵) shows, or 0. These are symbols without a decomposition.
func enclosedLetter(r rune) rune {
	switch {
	case r >= 0x1F1E6 && r <= 0x1F1FF:
		return 'a' + r - 0x1F1E6
	case r >= 0x1F150 && r <= 0x1F169:
		return 'a' + r - 0x1F150
	case r >= 0x1F170 && r <= 0x1F189:
		return 'a' + r - 0x1F170
	}
	return 0
}

func isLatin(r rune) bool { return r >= 'a' && r <= 'z' }

// leetAndNoise works on raw tokens (runs between whitespace). In a token with
// Latin letters, leet characters touching the word become letters and masks
// inside it become Mask. In a token with Hangul, up to three digits or
// symbols between two Hangul letters are dropped as inserted noise. Every
// symbol left over ends a token.
func (t *Text) leetAndNoise() {
	u := t.units
	for i := 0; i < len(u); {
		if u[i].kind == kindSep {
			i++
			continue
		}
		j := i
		latin, hangul := false, false
		for ; j < len(u) && u[j].kind != kindSep; j++ {
			latin = latin || isLatin(u[j].r)
			hangul = hangul || isHangul(u[j].r)
		}
		if latin {
			t.leetToken(u[i:j])
		}
		if hangul {
			dropHangulNoise(u[i:j])
			t.hangul = true
		}
		for k := i; k < j; k++ {
			if u[k].kind == kindSym {
				u[k].kind, u[k].r = kindSep, ' '
			}
		}
		i = j
	}
}

// leetToken maps leet characters in runs that contain a Latin letter.
func (t *Text) leetToken(tok []unit) {
	wordish := func(x unit) bool {
		_, isLeet := leet[x.r]
		return isLatin(x.r) || isLeet || isMask(x.r)
	}
	for i := 0; i < len(tok); {
		if !wordish(tok[i]) {
			i++
			continue
		}
		j, latin := i, false
		for ; j < len(tok) && wordish(tok[j]); j++ {
			latin = latin || isLatin(tok[j].r)
		}
		if latin {
			for k := i; k < j; k++ {
				interior := k > i && k < j-1
				switch r := tok[k].r; {
				case isMask(r):
					if interior {
						tok[k].r, tok[k].kind = Mask, kindLetter
					}
				case interiorOnly(r) && !interior:
				case !isLatin(r):
					tok[k].r, tok[k].kind = leet[r], kindLetter
				}
			}
		}
		i = j
	}
}

// maxNoise is the longest run of digits or symbols between two Hangul
// letters that is taken to be inserted noise (씨@@발).
const maxNoise = 3

func dropHangulNoise(tok []unit) {
	for i := 0; i < len(tok); i++ {
		if !isHangul(tok[i].r) {
			continue
		}
		j := i + 1
		for j < len(tok) && j-i-1 <= maxNoise && !isHangul(tok[j].r) && !isLatin(tok[j].r) {
			j++
		}
		if j > i+1 && j < len(tok) && j-i-1 <= maxNoise && isHangul(tok[j].r) {
			for k := i + 1; k < j; k++ {
				tok[k].kind = kindDrop
			}
		}
		i = j - 1
	}
}

// composeJamo turns runs of typed-out jamo that spell whole syllables
// (ㅅㅣㅂㅏㄹ) into syllables. Runs that do not parse as syllables, such as
// ㅋㅋ, ㅠㅠ or initials-only ㅅㅂ, are left alone. Vowel jamo that only draw
// out the vowel of the syllable before them (씨ㅣ발, ㅅㅣㅣㅂㅏㄹ) are taken
// into that syllable first.
func (t *Text) composeJamo() {
	u := t.units
	prev := -1 // the letter before u[i] in its token
	for i := 0; i < len(u); i++ {
		switch {
		case u[i].kind == kindDrop:
			continue
		case u[i].kind != kindLetter:
			prev = -1
			continue
		case !isCompatJamo(u[i].r):
			prev = i
			continue
		}
		j := i
		idx := make([]int, 0, 8)
		for ; j < len(u); j++ {
			if u[j].kind == kindDrop {
				continue
			}
			if !isCompatJamo(u[j].r) || u[j].kind != kindLetter {
				break
			}
			idx = append(idx, j)
		}
		if prev >= 0 {
			if v, ok := drawnOut(u[prev].r); ok {
				for len(idx) > 0 && u[idx[0]].r == vowels[v] {
					u[prev].cover(&u[idx[0]])
					u[idx[0]].kind = kindDrop
					idx = idx[1:]
				}
			}
		}
		t.composeRun(idx)
		prev = -1
		for k := len(idx) - 1; k >= 0; k-- {
			if u[idx[k]].kind != kindDrop {
				prev = idx[k]
				break
			}
		}
		i = j - 1
	}
}

func (t *Text) composeRun(idx []int) {
	u := t.units
	jamo := func(k int) rune { return u[idx[k]].r }
	// Parse the whole run as (L V T?)+ first; compose only if it all parses.
	type syl struct{ l, v, t, from, to int }
	var out []syl
	for k := 0; k < len(idx); {
		l := jamoIndex(&initialIndex, jamo(k))
		if l < 0 || k+1 >= len(idx) {
			return
		}
		v := jamoIndex(&vowelIndex, jamo(k+1))
		if v < 0 {
			return
		}
		s := syl{l: l, v: v, from: k, to: k + 2}
		for s.to < len(idx) && jamo(s.to) == vowels[vowelTail[v]] {
			s.to++ // a drawn-out vowel: ㅅㅣㅣ
		}
		if s.to < len(idx) {
			next := jamo(s.to)
			followedByVowel := s.to+1 < len(idx) && jamoIndex(&vowelIndex, jamo(s.to+1)) >= 0
			if f := jamoIndex(&finalIndex, next); f > 0 && !followedByVowel {
				s.t = f
				s.to++
			}
		}
		out = append(out, s)
		k = s.to
	}
	if len(out) == 0 {
		return
	}
	for _, s := range out {
		first := idx[s.from]
		u[first].r = compose(s.l, s.v, s.t)
		for k := s.from + 1; k < s.to; k++ {
			u[first].cover(&u[idx[k]])
			u[idx[k]].kind = kindDrop
		}
	}
}

// collapseElongation shortens a vowel drawn out with syllables that only
// repeat it (씨이이이발, 뭐어어): after a syllable without a final consonant,
// of the following syllables made of ㅇ and its vowel, the first is kept and
// the rest are dropped into it. One is kept, as collapseRepeats keeps two
// letters, because one is often a word (기이하다, 이이, 시이다); the lexicon
// spells its entries with one such syllable too.
func (t *Text) collapseElongation() {
	u := t.units
	prev, kept := -1, -1 // the syllable drawn out, and the one repeat kept after it
	for i := range u {
		switch {
		case u[i].kind == kindDrop:
			continue
		case u[i].kind != kindLetter:
			prev = -1
			continue
		case prev >= 0 && isVowelOnly(u[i].r):
			if rep, ok := VowelRepeat(u[prev].r); ok && rep == u[i].r {
				if kept < 0 {
					kept = i
				} else {
					u[kept].cover(&u[i])
					u[i].kind = kindDrop
				}
				continue
			}
		}
		prev, kept = i, -1
	}
}

// collapseRepeats shortens runs of three or more identical letters to two;
// the second kept letter's span covers the whole run.
func (t *Text) collapseRepeats() {
	u := t.units
	prev, run := -1, 0
	var kept int
	for i := range u {
		if u[i].kind == kindDrop {
			continue
		}
		if u[i].kind != kindLetter {
			prev, run = -1, 0
			continue
		}
		if prev >= 0 && u[prev].r == u[i].r {
			run++
		} else {
			run = 1
		}
		if run >= 3 {
			u[kept].cover(&u[i])
			u[i].kind = kindDrop
			continue
		}
		kept = i
		prev = i
	}
}

// build lays out the letters, their spans and token starts.
func (t *Text) build() {
	t.letters, t.start, t.end = t.letters[:0], t.start[:0], t.end[:0]
	t.tokStart, t.compact, t.off = t.tokStart[:0], t.compact[:0], t.off[:0]
	newToken := true
	for _, u := range t.units {
		switch u.kind {
		case kindDrop:
			continue
		case kindSep:
			newToken = true
			continue
		}
		t.letters = append(t.letters, u.r)
		t.start = append(t.start, u.start)
		t.end = append(t.end, u.end)
		t.tokStart = append(t.tokStart, newToken)
		t.off = append(t.off, int32(len(t.compact)))
		t.compact = utf8.AppendRune(t.compact, u.r)
		newToken = false
	}
	t.off = append(t.off, int32(len(t.compact)))
}
