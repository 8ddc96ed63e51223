// Package links finds web addresses in chat text and voice transcripts:
// URLs with a scheme, bare domain names (example.com/promo) and the forms
// spammers write to slip past filters (hxxp://, example[.]com, bit점ly,
// naver 닷 com, spaces around dots, full-width letters, invisible
// characters inside a name). For each it reports the host, its registrable
// domain by the Public Suffix List, and what makes it suspicious: an
// obfuscated spelling, international (punycode) labels, scripts mixed in
// one label, and a skeleton that shows which ASCII name a look-alike host
// imitates (аpple.com with a Cyrillic а reads apple.com).
//
// It decides nothing: which domains are the city's own, which are link
// shorteners and which brands to protect is policy data
// (policies/data.json, links), judged by the Rego rules.
//
// The text classifier calls Extract once per message. Parsing is strict:
// a bare name counts only with a top-level domain that people write in
// links (com, net, kr …) or a path after it, so that sentences run
// together without a space ("done.it", "Mr.Kim"), version numbers, scores
// ("3.5점"), abbreviations ("e.g.") and file names ("main.go",
// "README.md") are not links. E-mail addresses are the PII detector's:
// a name right before or after an '@' is not reported here, and the text
// classifier drops links inside the e-mail spans the PII detector found
// ("kim 골뱅이 naver 닷 com").
package links

import (
	"unicode"
	"unicode/utf8"

	"github.com/haechi-tns/haechi/engine"
)

// Version identifies the extractor's rules in the text classifier's
// version, so a decision can be traced to them.
const Version = "1"

// MaxLinks bounds the links reported for one text, and so the work spent
// on one: a text of MaxTextBytes could otherwise hold thousands. A text
// with that many links is link spam whatever the rest says.
const MaxLinks = 32

// Extract returns the links in text, in order and not overlapping. A text
// with no dot, colon or spelled-out dot in it returns nil at once.
func Extract(text string) []engine.Link {
	return AppendExtract(nil, text)
}

// AppendExtract appends the links in text to dst and returns the
// extended slice.
func AppendExtract(dst []engine.Link, text string) []engine.Link {
	if !mayHoldLink(text) {
		return dst
	}
	s := scanner{text: text, out: dst, first: len(dst)}
	s.run()
	return s.out
}

// Share returns the share of text's non-space code points that lie inside
// links, in [0,1]; links must be in order and not overlap, as Extract
// returns them. A message that is mostly a link has a share near 1.
func Share(text string, links []engine.Link) float64 {
	if len(links) == 0 {
		return 0
	}
	total, covered, k, pos := 0, 0, 0, 0
	for i := 0; i < len(text); {
		r, n := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(text[i:])
		}
		for k < len(links) && links[k].End <= pos {
			k++
		}
		if !unicode.IsSpace(r) {
			total++
			if k < len(links) && links[k].Start <= pos {
				covered++
			}
		}
		i += n
		pos++
	}
	if total == 0 {
		return 0
	}
	return float64(covered) / float64(total)
}

// mayHoldLink reports whether text has anything a link needs: a dot (in
// any width), a colon (of a scheme), "dot" or a Korean spelled-out dot
// (점, 닷). Most chat messages have none and cost one pass over their
// bytes.
func mayHoldLink(text string) bool {
	for i := 0; i < len(text); i++ {
		if !trigger[text[i]] {
			continue
		}
		switch text[i] {
		case '.', ':':
			return true
		case 'd', 'D':
			if i+2 < len(text) && text[i+1]|0x20 == 'o' && text[i+2]|0x20 == 't' {
				return true
			}
		case 0xE3: // 。 U+3002
			if i+2 < len(text) && text[i+1] == 0x80 && text[i+2] == 0x82 {
				return true
			}
		case 0xEF: // ． U+FF0E, ： U+FF1A, ｡ U+FF61, ﹒ U+FE52
			if i+2 < len(text) {
				b, c := text[i+1], text[i+2]
				if b == 0xBC && (c == 0x8E || c == 0x9A) || b == 0xBD && c == 0xA1 || b == 0xB9 && c == 0x92 {
					return true
				}
			}
		case 0xEC: // 점 U+C810
			if i+2 < len(text) && text[i+1] == 0xA0 && text[i+2] == 0x90 {
				return true
			}
		case 0xEB: // 닷 U+B2F7
			if i+2 < len(text) && text[i+1] == 0x8B && text[i+2] == 0xB7 {
				return true
			}
		}
	}
	return false
}

// trigger marks the bytes mayHoldLink looks at more closely.
var trigger = func() (t [256]bool) {
	for _, c := range []byte{'.', ':', 'd', 'D', 0xE3, 0xEF, 0xEC, 0xEB} {
		t[c] = true
	}
	return t
}()
