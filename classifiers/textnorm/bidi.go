package textnorm

import "strings"

// Bidirectional formatting characters. An override (RLO, LRO) makes every
// character up to its PDF display in one direction whatever its own, so
// "\u202ekcuf\u202c" reads "fuck" on screen. Embeddings and isolates only
// set the direction of characters that have none of their own; Latin and
// Hangul letters keep theirs inside them, so they only move whole runs.
const (
	bidiLRE = 0x202A
	bidiRLE = 0x202B
	bidiPDF = 0x202C
	bidiLRO = 0x202D
	bidiRLO = 0x202E
	bidiLRI = 0x2066
	bidiRLI = 0x2067
	bidiFSI = 0x2068
	bidiPDI = 0x2069
)

// maxBidiDepth is the deepest embedding level the bidi algorithm allows;
// controls beyond it are ignored.
const maxBidiDepth = 125

// codePoint is one code point of the original text, kept in display order.
type codePoint struct {
	r     rune
	at    int32 // byte offset in the original text
	pos   int32 // index among its code points
	level uint8 // bidi embedding level
}

// hasBidiControl reports whether s contains an embedding, override or
// isolate character. All of them are encoded as E2 80 AA–AE or
// E2 81 A6–A9, and E2 is rare in chat, so this is cheap.
func hasBidiControl(s string) bool {
	for i := 0; ; i++ {
		k := strings.IndexByte(s[i:], 0xE2)
		if k < 0 || i+k+2 >= len(s) {
			return false
		}
		i += k
		b1, b2 := s[i+1], s[i+2]
		if b1 == 0x80 && b2 >= 0xAA && b2 <= 0xAE || b1 == 0x81 && b2 >= 0xA6 && b2 <= 0xA9 {
			return true
		}
	}
}

// isParagraphSeparator reports the characters that end a bidi paragraph;
// every control is closed by them.
func isParagraphSeparator(r rune) bool {
	switch r {
	case '\n', '\r', 0x1C, 0x1D, 0x1E, 0x85, 0x2029:
		return true
	}
	return false
}

type bidiEntry struct {
	level    uint8
	override byte // 0, 'L' or 'R'
	isolate  bool
}

// visualOrder returns the code points of s without its embedding, override
// and isolate characters, in the order a reader sees them. It follows the
// Unicode Bidirectional Algorithm's explicit rules (X1–X8) and its
// reordering rule (L2), simplified for text whose characters all run left
// to right (Latin, Hangul, digits and their punctuation): a character
// takes the direction of the innermost override around it, and otherwise
// runs left to right. Right-to-left scripts would need the implicit rules
// too; nothing in the lexicon is written in them.
func (t *Text) visualOrder(s string) []codePoint {
	var stack [maxBidiDepth + 2]bidiEntry
	n := 1 // stack[0] is the paragraph: level 0, no override
	overIsolates, overEmbeddings, isolates := 0, 0, 0
	cps, para := t.visual[:0], 0
	var pos int32
	for i, r := range s {
		p := pos
		pos++
		switch r {
		case bidiLRE, bidiRLE, bidiLRO, bidiRLO, bidiLRI, bidiRLI, bidiFSI:
			isolate := r >= bidiLRI
			level := (stack[n-1].level + 1) | 1 // next odd level: right to left
			if r == bidiLRE || r == bidiLRO || r == bidiLRI || r == bidiFSI {
				level = (stack[n-1].level + 2) &^ 1 // next even level
			}
			switch {
			case level <= maxBidiDepth && overIsolates == 0 && overEmbeddings == 0:
				e := bidiEntry{level: level, isolate: isolate}
				switch r {
				case bidiRLO:
					e.override = 'R'
				case bidiLRO:
					e.override = 'L'
				}
				stack[n] = e
				n++
				if isolate {
					isolates++
				}
			case isolate:
				overIsolates++
			case overIsolates == 0:
				overEmbeddings++
			}
			continue
		case bidiPDI:
			switch {
			case overIsolates > 0:
				overIsolates--
			case isolates > 0:
				overEmbeddings = 0
				for !stack[n-1].isolate {
					n--
				}
				n--
				isolates--
			}
			continue
		case bidiPDF:
			switch {
			case overIsolates > 0:
			case overEmbeddings > 0:
				overEmbeddings--
			case !stack[n-1].isolate && n > 1:
				n--
			}
			continue
		}
		if isParagraphSeparator(r) {
			reorderLevels(cps[para:])
			cps = append(cps, codePoint{r: r, at: int32(i), pos: p})
			para = len(cps)
			n, overIsolates, overEmbeddings, isolates = 1, 0, 0, 0
			continue
		}
		e := stack[n-1]
		level := e.level
		if e.override == 0 && level%2 == 1 {
			level++ // a left-to-right character in a right-to-left embedding
		}
		cps = append(cps, codePoint{r: r, at: int32(i), pos: p, level: level})
	}
	reorderLevels(cps[para:])
	t.visual = cps
	return cps
}

// reorderLevels applies rule L2 to one paragraph: from the highest level
// down to the lowest odd one, every run at that level or higher is
// reversed.
func reorderLevels(cps []codePoint) {
	if len(cps) == 0 {
		return
	}
	hi, lo := cps[0].level, cps[0].level
	for _, c := range cps[1:] {
		hi, lo = max(hi, c.level), min(lo, c.level)
	}
	for level := hi; level >= lo|1; level-- {
		for i := 0; i < len(cps); {
			if cps[i].level < level {
				i++
				continue
			}
			j := i + 1
			for j < len(cps) && cps[j].level >= level {
				j++
			}
			for a, b := i, j-1; a < b; a, b = a+1, b-1 {
				cps[a], cps[b] = cps[b], cps[a]
			}
			i = j
		}
	}
}
