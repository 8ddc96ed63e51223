package links

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// lookalikes maps letters used in look-alike domain names to the ASCII
// letters they imitate. Host names arrive lower-cased by IDNA mapping, so
// only lower-case forms are listed. Taken from Unicode's confusables.txt
// (Unicode Technical Standard #39, security mechanisms), keeping the
// Cyrillic, Greek, Armenian and Latin letters whose prototype is a single
// ASCII letter or that chat filters fold to one (classifiers/textnorm
// folds the same Cyrillic and Greek letters for the lexicon). Letters with
// diacritics (é, ö) fold to their base letter in skeleton.
var lookalikes = map[rune]rune{
	// Cyrillic
	'а': 'a', 'в': 'b', 'ь': 'b', 'с': 'c', 'ԁ': 'd', 'е': 'e', 'ё': 'e', 'г': 'r',
	'һ': 'h', 'н': 'h', 'і': 'i', 'ї': 'i', 'ј': 'j', 'к': 'k', 'ӏ': 'l', 'м': 'm',
	'п': 'n', 'о': 'o', 'р': 'p', 'ԛ': 'q', 'ѕ': 's', 'т': 't', 'у': 'y', 'ү': 'y',
	'ԝ': 'w', 'х': 'x',
	// Greek
	'α': 'a', 'β': 'b', 'ϲ': 'c', 'ε': 'e', 'η': 'n', 'ι': 'i', 'ϳ': 'j', 'κ': 'k',
	'ν': 'v', 'ο': 'o', 'ρ': 'p', 'τ': 't', 'υ': 'u', 'χ': 'x', 'ω': 'w', 'γ': 'y',
	// Armenian
	'ա': 'w', 'հ': 'h', 'ո': 'n', 'ս': 'u', 'օ': 'o', 'ց': 'g', 'զ': 'q',
	// Latin letters beyond ASCII
	'ı': 'i', 'ȷ': 'j', 'ɑ': 'a', 'ɡ': 'g', 'ɩ': 'i', 'ɪ': 'i', 'ʟ': 'l', 'ɴ': 'n',
	'ʀ': 'r', 'ʏ': 'y', 'ƅ': 'b', 'ł': 'l', 'ø': 'o', 'đ': 'd', 'ħ': 'h', 'ŧ': 't',
	'ƶ': 'z', 'ᴀ': 'a', 'ᴄ': 'c', 'ᴅ': 'd', 'ᴇ': 'e', 'ᴊ': 'j', 'ᴋ': 'k', 'ᴍ': 'm',
	'ᴏ': 'o', 'ᴘ': 'p', 'ᴛ': 't', 'ᴜ': 'u', 'ᴠ': 'v', 'ᴡ': 'w', 'ᴢ': 'z',
}

// skeleton returns host with every look-alike folded to the ASCII letter
// it imitates: the letters of lookalikes, letters with diacritics to their
// base letter, the digits 0 and 1 to o and l, and the pairs rn and vv to m
// and w. Two names with the same skeleton look alike; policy compares it
// with the names it protects. Runes with no ASCII look-alike stay as they
// are. host is lower-case, as IDNA mapping leaves it.
func skeleton(host string) string {
	if !needsSkeleton(host) {
		return host
	}
	var b strings.Builder
	b.Grow(len(host))
	for _, r := range host {
		switch {
		case r == '0':
			r = 'o'
		case r == '1':
			r = 'l'
		case r < utf8.RuneSelf:
		default:
			if l, ok := lookalikes[r]; ok {
				r = l
			} else if base := baseLetter(r); base != 0 {
				r = base
			}
		}
		b.WriteRune(r)
	}
	s := b.String()
	if strings.Contains(s, "rn") || strings.Contains(s, "vv") {
		s = strings.NewReplacer("rn", "m", "vv", "w").Replace(s)
	}
	return s
}

// needsSkeleton reports whether skeleton would change host.
func needsSkeleton(host string) bool {
	for i := 0; i < len(host); i++ {
		switch c := host[i]; {
		case c >= utf8.RuneSelf, c == '0', c == '1':
			return true
		case c == 'r' && i+1 < len(host) && host[i+1] == 'n', c == 'v' && i+1 < len(host) && host[i+1] == 'v':
			return true
		}
	}
	return false
}

// baseLetter returns the ASCII letter a letter with diacritics is built on
// (é → e), or 0.
func baseLetter(r rune) rune {
	d := norm.NFD.PropertiesString(string(r)).Decomposition()
	if len(d) > 0 && d[0] < utf8.RuneSelf && isAlpha(rune(d[0])) {
		return lower(rune(d[0]))
	}
	return 0
}

// Scripts, as bits, for mixedScript.
const (
	scriptLatin = 1 << iota
	scriptCyrillic
	scriptGreek
	scriptArmenian
	scriptHangul
	scriptHan
	scriptKana
	scriptBopomofo
	scriptOther
)

// mixedScript reports whether a label of host mixes scripts in a way that
// Unicode TS #39's highly restrictive profile forbids: one script per
// label, except Latin with Han and kana (Japanese), with Han and Bopomofo
// (Chinese) or with Han and Hangul (Korean). Digits, hyphens and combining
// marks belong to no script. "pаypal" with a Cyrillic а is mixed;
// "пример" is not.
func mixedScript(host string) bool {
	for label := range strings.SplitSeq(host, ".") {
		set := 0
		for _, r := range label {
			set |= scriptOf(r)
		}
		if set&(set-1) == 0 {
			continue // one script or none
		}
		switch {
		case set&^(scriptLatin|scriptHan|scriptKana) == 0,
			set&^(scriptLatin|scriptHan|scriptBopomofo) == 0,
			set&^(scriptLatin|scriptHan|scriptHangul) == 0:
			continue
		}
		return true
	}
	return false
}

func scriptOf(r rune) int {
	switch {
	case r < utf8.RuneSelf:
		if isAlpha(r) {
			return scriptLatin
		}
		return 0
	case !unicode.IsLetter(r):
		return 0
	case unicode.Is(unicode.Latin, r):
		return scriptLatin
	case unicode.Is(unicode.Cyrillic, r):
		return scriptCyrillic
	case unicode.Is(unicode.Greek, r):
		return scriptGreek
	case unicode.Is(unicode.Armenian, r):
		return scriptArmenian
	case unicode.Is(unicode.Hangul, r):
		return scriptHangul
	case unicode.Is(unicode.Han, r):
		return scriptHan
	case unicode.In(r, unicode.Hiragana, unicode.Katakana):
		return scriptKana
	case unicode.Is(unicode.Bopomofo, r):
		return scriptBopomofo
	}
	return scriptOther
}
