package search

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/haechi-tns/haechi/engine"
)

// How text is split into index terms, the same for every backend, so
// that a query finds the same documents whichever answers it.
//
// Korean has no stemmer in PostgreSQL or SQLite, and words carry
// particles and suffixes ("사기꾼이", "사기를"): searching "사기" must
// find "사기꾼". So runs of Hangul (and Han and kana, which have no
// spaces to split on either) are indexed as overlapping pairs of
// characters, bigrams ("사기꾼" → 사기, 기꾼), and a query of two or more
// such characters matches the documents holding all of its bigrams: a
// substring search, with rare false hits where the bigrams occur apart.
// A single character is matched as a prefix of the bigrams. Runs of
// other letters and digits are words, lowercased, matched by prefix
// ("scam" finds "scammer"). Text is NFKC-normalised first, so full-width
// letters match their ASCII forms. FTS5's trigram tokenizer was the
// other candidate: it cannot match a query of two characters, which is
// most Korean words.

// maxTermRunes bounds one word term; longer words are cut.
const maxTermRunes = 64

// Term is one term of a query: a value, matched exactly or as a prefix
// of the indexed terms.
type Term struct {
	Value  string
	Prefix bool
}

// Mask labels are written ⟦type⟧ in masked text; terms skip them, so a
// masked phone number cannot be found by searching "phone".
const (
	maskOpen  = '⟦'
	maskClose = '⟧'
)

// pairScript reports whether r is written without spaces between words
// and is indexed in bigrams.
func pairScript(r rune) bool {
	return unicode.In(r, unicode.Hangul, unicode.Han, unicode.Hiragana, unicode.Katakana)
}

// runs calls fn with each run of term characters of text, normalised,
// and whether it is of a pair script.
func runs(text string, fn func(run []rune, pairs bool)) {
	text = strings.ToLower(norm.NFKC.String(text))
	var run []rune
	pairs := false
	flush := func() {
		if len(run) > 0 {
			fn(run, pairs)
		}
		run = run[:0]
	}
	masked := false
	for _, r := range text {
		switch {
		case r == maskOpen:
			flush()
			masked = true
			continue
		case r == maskClose:
			masked = false
			continue
		case masked:
			continue
		}
		if !unicode.IsLetter(r) && !unicode.Is(unicode.Nd, r) {
			flush()
			continue
		}
		p := pairScript(r)
		if len(run) > 0 && p != pairs {
			flush()
		}
		pairs = p
		run = append(run, r)
	}
	flush()
}

// DocTerms returns the distinct terms a document's text is indexed by,
// in the order they first occur.
func DocTerms(text string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(t string) {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	runs(text, func(run []rune, pairs bool) {
		switch {
		case !pairs:
			add(string(run[:min(len(run), maxTermRunes)]))
		case len(run) == 1:
			add(string(run))
		default:
			for i := 0; i+1 < len(run); i++ {
				add(string(run[i : i+2]))
			}
		}
	})
	return out
}

// Terms returns the distinct terms of a query's text; a document matches
// when it holds them all.
func Terms(text string) []Term {
	var out []Term
	add := func(t Term) {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	runs(text, func(run []rune, pairs bool) {
		switch {
		case !pairs:
			add(Term{Value: string(run[:min(len(run), maxTermRunes)]), Prefix: true})
		case len(run) == 1:
			add(Term{Value: string(run), Prefix: true})
		default:
			for i := 0; i+1 < len(run); i++ {
				add(Term{Value: string(run[i : i+2])})
			}
		}
	})
	return out
}

// Detector finds personal information in text (classifiers/pii).
type Detector interface {
	AppendDetect(dst []engine.PIISpan, text string) []engine.PIISpan
}

// Masker masks the personal information in text before it is indexed:
// what the detector finds and the spans the engine found when it
// decided. It is the only way text reaches a Doc.
type Masker struct{ detect Detector }

// NewMasker returns a masker using d, which must not be nil.
func NewMasker(d Detector) *Masker {
	if d == nil {
		panic("search: a masker needs a detector")
	}
	return &Masker{detect: d}
}

// Mask returns text with each span of personal information (the
// detector's, and known: code-point offsets, as engine.PIISpan counts
// them) replaced by ⟦type⟧. Overlapping spans merge.
func (m *Masker) Mask(text string, known []engine.PIISpan) string {
	if text == "" {
		return ""
	}
	text = strings.ToValidUTF8(text, "\uFFFD")
	spans := m.detect.AppendDetect(slices.Clone(known), text)
	if len(spans) == 0 {
		return strings.NewReplacer(string(maskOpen), "[", string(maskClose), "]").Replace(text)
	}
	runes := []rune(text)
	slices.SortFunc(spans, func(a, b engine.PIISpan) int { return a.Start - b.Start })
	var b strings.Builder
	at := 0
	for i := 0; i < len(spans); {
		start, end, typ := max(spans[i].Start, at), min(spans[i].End, len(runes)), spans[i].Type
		for i++; i < len(spans) && spans[i].Start < end; i++ {
			end = max(end, min(spans[i].End, len(runes)))
		}
		if start >= end {
			continue
		}
		writePlain(&b, runes[at:start])
		b.WriteRune(maskOpen)
		b.WriteString(string(typ))
		b.WriteRune(maskClose)
		at = end
	}
	writePlain(&b, runes[at:])
	return b.String()
}

// writePlain writes user text, its own ⟦ ⟧ made plain brackets so that
// they cannot hide words from the index.
func writePlain(b *strings.Builder, rs []rune) {
	for _, r := range rs {
		switch r {
		case maskOpen:
			r = '['
		case maskClose:
			r = ']'
		}
		b.WriteRune(r)
	}
}

// Join joins masked texts into one document text of at most MaxText
// bytes, cut at a character boundary.
func Join(texts ...string) string {
	var b strings.Builder
	for _, t := range texts {
		if t == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(t)
	}
	s := b.String()
	if len(s) <= MaxText {
		return s
	}
	cut := MaxText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// snippetRunes is how long a snippet is, in characters.
const snippetRunes = 160

// Snippet returns about snippetRunes characters of a document's masked
// text around the first place a term of terms occurs (the start when
// none does), never cutting a mask label.
func Snippet(text string, terms []Term) string {
	rs := []rune(text)
	if len(rs) <= snippetRunes {
		return text
	}
	lower := []rune(strings.ToLower(text))
	if len(lower) != len(rs) {
		lower = rs
	}
	at := -1
	for _, t := range terms {
		if i := runeIndex(lower, []rune(t.Value)); i >= 0 && (at < 0 || i < at) {
			at = i
		}
	}
	start := 0
	if at > snippetRunes/4 {
		start = at - snippetRunes/4
	}
	end := min(len(rs), start+snippetRunes)
	// Move the edges out of any mask label they fall in.
	for start > 0 && inLabel(rs, start) {
		start--
	}
	for end < len(rs) && inLabel(rs, end) {
		end++
	}
	out := string(rs[start:end])
	if start > 0 {
		out = "…" + out
	}
	if end < len(rs) {
		out += "…"
	}
	return out
}

// inLabel reports whether position i of rs is inside a mask label, after
// its ⟦ and up to its ⟧.
func inLabel(rs []rune, i int) bool {
	for j := i - 1; j >= 0; j-- {
		switch rs[j] {
		case maskClose:
			return false
		case maskOpen:
			return true
		}
	}
	return false
}

func runeIndex(hay, needle []rune) int {
	if len(needle) == 0 {
		return -1
	}
	for i := 0; i+len(needle) <= len(hay); i++ {
		if slices.Equal(hay[i:i+len(needle)], needle) {
			return i
		}
	}
	return -1
}
