package links

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"

	"github.com/haechi-tns/haechi/engine"
)

// Bounds from RFC 1035: a label has at most 63 octets, a name 253. They
// also bound the work per candidate on hostile input.
const (
	maxLabel = 63
	maxHost  = 253
	// maxUserinfo bounds how far past a scheme the scanner looks for the
	// '@' of user information (http://www.bank.com@evil.example/).
	maxUserinfo = 256
)

// dotKind is how a dot between two labels was written, from the plainest
// to the one most easily read into ordinary prose.
type dotKind int

const (
	noDot dotKind = iota
	// dotPlain is '.'.
	dotPlain
	// dotHidden is written to hide the name from filters and from nothing
	// else: a full-width or ideographic dot, [.], (.), [dot], (dot).
	dotHidden
	// dotSpoken spells the dot out or spaces it: " dot ", 점, 닷, " . ",
	// " .". Spam uses it to dodge filters and voice transcripts write
	// dictated addresses that way, but "the dot com era" does too, so the
	// name must end in a common top-level domain.
	dotSpoken
	// dotLoose is ". ", which is also how a sentence ends: only com, net,
	// org and kr are read as names after it.
	dotLoose
)

// candidate is what the scanner learned about the link it is reading.
type candidate struct {
	// explicit: written with a scheme, or starting with www.
	explicit, scheme bool
	obfuscated       bool
	weakest          dotKind
	// tldTitle: the last label was written in title case ("done.It"),
	// which a sentence run together does and a typed address rarely.
	tldTitle bool
}

// scanner finds the links of one text. Offsets are kept in bytes while
// reading and turned into code points as links are reported, in order.
type scanner struct {
	text  string
	out   []engine.Link
	first int // index in out of this text's first link
	// name is the name being read, folded and lower-cased, in
	// nameBuf[:nameLen]. An array and a length rather than a slice, so
	// that the scanner does not point into itself and can stay on the
	// stack.
	nameBuf [maxHost + 8]byte
	nameLen int
	c       candidate
	// posByte and posRune are the last offset converted, in bytes and in
	// code points.
	posByte, posRune int
	// Scratch space of link, kept here so that it is cleared once per
	// text rather than once per word.
	marks, order [maxLabels + 1]mark
}

// name returns the name read so far.
func (s *scanner) name() []byte { return s.nameBuf[:s.nameLen] }

// appendName adds b to the name; label keeps it within nameBuf.
func (s *scanner) appendName(b ...byte) {
	s.nameLen += copy(s.nameBuf[s.nameLen:], b)
}

func (s *scanner) run() {
	for i := 0; i < len(s.text) && len(s.out)-s.first < MaxLinks; {
		// Fast paths for what most of chat is: ASCII that starts no
		// label, and Hangul syllables, which never do.
		if c := s.text[i]; c < utf8.RuneSelf && !isAlnum(rune(c)) {
			i++
			continue
		} else if hangulSyllableAt(s.text, i) {
			i += 3
			continue
		}
		f, n, _ := s.at(i)
		if !startChar(f) {
			i += n
			continue
		}
		end := s.skipLabel(i)
		if s.mayStartLink(i, end) && !s.blocked(i) {
			if e, ok := s.link(i); ok {
				i = e
				continue
			}
		}
		i = end
	}
}

// mayStartLink reports whether the run of label characters from i to end
// can begin a link: it is a scheme, or something that may be a dot
// follows it. Most words are followed by neither, and are passed over
// without reading them as a name.
func (s *scanner) mayStartLink(i, end int) bool {
	if f, _, _ := s.at(i); lower(f) == 'h' {
		if _, _, ok := s.scheme(i); ok {
			return true
		}
	}
	f, _, _ := s.at(end)
	switch f {
	case '.', '[', '(', '{', '점', '닷':
		return true
	case ' ':
		g, _, _ := s.at(s.spaces(end, 2))
		return g == '.' || g == '[' || g == '(' || g == '{' || g == '점' || g == '닷' || lower(g) == 'd'
	}
	return false
}

// hangulSyllableAt reports whether a Hangul syllable (U+AC00–U+D7A3,
// three bytes in UTF-8) starts at byte i of text.
func hangulSyllableAt(text string, i int) bool {
	if i+2 >= len(text) || text[i] < 0xEA || text[i] > 0xED || text[i+1]&0xC0 != 0x80 || text[i+2]&0xC0 != 0x80 {
		return false
	}
	r := rune(text[i]&0x0F)<<12 | rune(text[i+1]&0x3F)<<6 | rune(text[i+2]&0x3F)
	return 0xAC00 <= r && r <= 0xD7A3
}

// at returns the rune at byte i folded (see fold), its width in bytes and
// whether folding changed it; at the end of the text 0, 0.
func (s *scanner) at(i int) (rune, int, bool) {
	if i >= len(s.text) {
		return 0, 0, false
	}
	if c := s.text[i]; c < utf8.RuneSelf {
		return rune(c), 1, false
	}
	r, n := utf8.DecodeRuneInString(s.text[i:])
	f := fold(r)
	return f, n, f != r
}

// before returns the folded rune that ends at byte i, or 0 at the start.
func (s *scanner) before(i int) (rune, int) {
	if i <= 0 {
		return 0, 0
	}
	if c := s.text[i-1]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	r, n := utf8.DecodeLastRuneInString(s.text[:i])
	return fold(r), n
}

// fold maps a rune to the ASCII character it shows, for the full-width
// forms, ideographic and small full stops and typographic spaces; other
// runes come back unchanged. Folding is per rune, so offsets stay exact.
func fold(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII, ． and ： included
		return r - 0xFEE0
	case r == 0x3002 || r == 0xFF61 || r == 0xFE52: // 。 ｡ ﹒
		return '.'
	case r >= 0x2000 && r <= 0x200A, r == 0x00A0, r == 0x202F, r == 0x205F, r == 0x3000:
		return ' '
	}
	return r
}

// invisible reports whether r is a zero-width character or soft hyphen,
// slipped into a name to defeat filters without changing how it looks.
func invisible(r rune) bool {
	switch r {
	case 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD:
		return true
	}
	return false
}

func isDigit(f rune) bool { return '0' <= f && f <= '9' }
func isAlpha(f rune) bool { return 'a' <= f && f <= 'z' || 'A' <= f && f <= 'Z' }
func isAlnum(f rune) bool { return isAlpha(f) || isDigit(f) }
func lower(f rune) rune {
	if 'A' <= f && f <= 'Z' {
		return f + 'a' - 'A'
	}
	return f
}

// uniLetter reports whether f is a non-ASCII letter that can be part of an
// international label. Hangul, Han and kana are not read as labels: Korean
// writes particles straight after an address (naver.com에서), and
// international names in those scripts are rare in chat. A homograph
// attack needs letters that look Latin, which these are not.
func uniLetter(f rune) bool {
	if f < utf8.RuneSelf || f == utf8.RuneError || eastAsian(f) {
		return false
	}
	return unicode.IsLetter(f) || unicode.Is(unicode.Mn, f)
}

func eastAsian(f rune) bool {
	if 0xAC00 <= f && f <= 0xD7A3 { // Hangul syllables, the common case
		return true
	}
	return f >= 0x1100 && unicode.In(f, unicode.Hangul, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Bopomofo)
}

// startChar: a label may start here.
func startChar(f rune) bool { return isAlnum(f) || uniLetter(f) }

// labelChar: a label may go on with f.
func labelChar(f rune) bool { return isAlnum(f) || f == '-' || uniLetter(f) }

// blocked reports whether a name starting at i continues something that is
// not a link: an e-mail domain (after '@'), a path or parameter, an
// identifier (a_b.com), or a name whose start the scanner already tried.
func (s *scanner) blocked(i int) bool {
	p, n := s.before(i)
	switch p {
	case '@', '_', '/', '\\', '=', '&', '%', '#', '$', '~', '+':
		return true
	case '.':
		q, _ := s.before(i - n)
		return labelChar(q)
	}
	return false
}

// skipLabel returns where the run of label characters at i ends, or
// where a scheme starts inside it: spam runs a link into the word before
// it ("experiencehttp://…").
func (s *scanner) skipLabel(i int) int {
	for k := i; k < len(s.text); {
		f, n, _ := s.at(k)
		if !labelChar(f) && !invisible(f) {
			return k
		}
		if k > i && lower(f) == 'h' {
			if _, _, ok := s.scheme(k); ok {
				return k
			}
		}
		k += n
	}
	return len(s.text)
}

// maxLabels bounds the labels read for one name; a name with more is read
// as far as that.
const maxLabels = 16

// mark is the state after one label of a name, so that a name whose last
// labels do not make a link can fall back to the ones before
// ("naver.com.it's" → naver.com).
type mark struct {
	end     int // byte offset in the text where the label ends
	bufLen  int
	weakest dotKind
	title   bool // the label is in title case
}

// link reads the link that may start at start and reports it.
func (s *scanner) link(start int) (int, bool) {
	s.c = candidate{}
	i := start
	if j, obf, ok := s.scheme(i); ok {
		s.c.explicit, s.c.scheme, s.c.obfuscated = true, true, obf
		i = s.afterUserinfo(j)
	}
	if f, _, _ := s.at(i); !startChar(f) {
		return 0, false
	}
	s.nameLen = 0
	marks := &s.marks
	labels, weakest, plain := 0, noDot, false
	lastStart, lastBuf := i, 0
	for {
		bufStart := s.nameLen
		j, ascii, title, ok := s.label(i)
		if !ok {
			return 0, false
		}
		if labels == 0 && string(s.name()) == "www" {
			s.c.explicit = true
		}
		marks[labels] = mark{end: j, bufLen: s.nameLen, weakest: weakest, title: title}
		lastStart, lastBuf = i, bufStart
		labels++
		if labels == maxLabels {
			break
		}
		k, kind := s.dot(j, ascii)
		// A spelled-out or loose dot does not extend a name written with
		// plain dots: "naver.com. Thanks" ends at com.
		if kind == noDot || kind >= dotSpoken && plain {
			break
		}
		plain = plain || kind < dotSpoken
		weakest = max(weakest, kind)
		s.appendName('.')
		i = k
	}
	if labels < 2 {
		return 0, false
	}
	// Tried in turn: the whole name; its last label cut where a common
	// top-level domain runs into the next word (www.ldew.com1win); the
	// name without its last label, and so on.
	order := &s.order
	order[0] = marks[labels-1]
	n := 1
	if cut, ok := s.runTogether(lastStart, lastBuf, marks[labels-1]); ok {
		order[n] = cut
		n++
	}
	for k := labels - 2; k >= 1; k-- {
		order[n] = marks[k]
		n++
	}
	obfuscated := s.c.obfuscated
	for _, m := range order[:n] {
		s.c.obfuscated = obfuscated || m.weakest >= dotHidden
		s.c.weakest, s.c.tldTitle = m.weakest, m.title
		if end, ok := s.finish(start, m.end, s.nameBuf[:m.bufLen]); ok {
			return end, true
		}
	}
	return 0, false
}

// runTogether returns the mark of a last label cut after a common
// top-level domain that a digit or a capital follows without a space
// ("com1win", "netUN"), as SMS spam runs words together. The label starts
// at byte start of the text and lastBuf of buf; only a label written in
// plain ASCII is cut.
func (s *scanner) runTogether(start, lastBuf int, m mark) (mark, bool) {
	label := s.nameBuf[lastBuf:m.bufLen]
	if m.end-start != len(label) || validTLD(label) && commonTLDs[string(label)] {
		return mark{}, false
	}
	for n := 2; n <= 3 && n < len(label); n++ {
		next, prev := s.text[start+n], s.text[start+n-1]
		if commonTLDs[string(label[:n])] && (isDigit(rune(next)) || 'a' <= prev && prev <= 'z' && 'A' <= next && next <= 'Z') {
			return mark{end: start + n, bufLen: lastBuf + n, weakest: m.weakest}, true
		}
	}
	return mark{}, false
}

// finish decides whether the name in name, read from the text up to
// hostEnd, makes a link, and reports it.
func (s *scanner) finish(start, hostEnd int, name []byte) (int, bool) {
	if f, _, _ := s.at(hostEnd); f == '@' || f == '_' {
		return 0, false // a mailbox's local part, or an identifier
	}
	host := ""
	hb := name
	if !ascii(name) {
		// The international name in the form DNS sees; UTS #46 mapping
		// also turns compatibility letters (𝐚, ａ) into ASCII ones.
		a, err := idna.Lookup.ToASCII(string(name))
		if err != nil {
			return 0, false
		}
		if !strings.Contains(a, "xn--") {
			s.c.obfuscated = true
		}
		host, hb = a, []byte(a)
	}
	if !validASCII(hb) {
		return 0, false
	}
	tldAt := bytes.LastIndexByte(hb, '.') + 1
	prevAt := bytes.LastIndexByte(hb[:tldAt-1], '.') + 1
	tld, sld := hb[tldAt:], hb[prevAt:tldAt-1]
	if !validTLD(tld) {
		return 0, false
	}
	end, hasPath := s.path(hostEnd)
	if !s.accept(tld, sld, hasPath) {
		return 0, false
	}
	if host == "" {
		host = string(hb)
	}
	suffix, _ := publicsuffix.PublicSuffix(host)
	if len(host) <= len(suffix) || host[len(host)-len(suffix)-1] != '.' {
		return 0, false // the name is a public suffix itself (co.kr)
	}
	cut := len(host) - len(suffix) - 1
	domain := host[strings.LastIndexByte(host[:cut], '.')+1:]

	l := engine.Link{Host: host, Domain: domain, Obfuscated: s.c.obfuscated}
	unicodeHost := host
	if strings.Contains(host, "xn--") {
		u, err := idna.Lookup.ToUnicode(host)
		if err != nil {
			return 0, false
		}
		l.IDN, unicodeHost = true, u
		l.MixedScript = mixedScript(u)
	}
	if sk := skeleton(unicodeHost); sk != host {
		l.Skeleton = sk
	}
	l.Start, l.End = s.runeOffset(start), s.runeOffset(end)
	s.out = append(s.out, l)
	return end, true
}

// accept decides whether the name read is a link, by how it was written
// and its top-level domain tld and second-level label sld.
func (s *scanner) accept(tld, sld []byte, hasPath bool) bool {
	switch {
	case s.c.weakest == dotLoose:
		return strongTLDs[string(tld)] && !s.c.tldTitle && !stopWords[string(sld)]
	case s.c.weakest == dotSpoken:
		return commonTLDs[string(tld)] && !s.c.tldTitle && len(sld) >= 2 && !stopWords[string(sld)]
	case s.c.scheme:
		return true
	case s.c.tldTitle:
		return false
	case commonTLDs[string(tld)]:
		return true
	}
	// Any other ICANN top-level domain needs www. or a path: "main.go",
	// "README.md", "done.it" and "nice.nice.how" are not links,
	// "www.seoul.it" and "bit.do/xyz" are.
	if !s.c.explicit && !hasPath {
		return false
	}
	_, icann := publicsuffix.PublicSuffix(string(tld))
	return icann
}

// scheme reads "http://" or "https://" at i, in any case and width, or a
// defanged spelling of them (hxxp, hXXps, h**p, http[:]//). It returns
// where the rest of the link starts and whether the spelling was
// defanged or folded.
func (s *scanner) scheme(i int) (int, bool, bool) {
	obf := false
	next := func(want ...rune) bool {
		f, n, folded := s.at(i)
		for _, w := range want {
			if lower(f) == w {
				i += n
				obf = obf || folded || w == 'x' || w == '*'
				return true
			}
		}
		return false
	}
	if !next('h') || !next('t', 'x', '*') || !next('t', 'x', '*') || !next('p') {
		return 0, false, false
	}
	next('s')
	switch {
	case next(':'):
	case next('[', '('):
		if !next(':') || !next(']', ')') {
			return 0, false, false
		}
		obf = true
	default:
		return 0, false, false
	}
	if !next('/') || !next('/') {
		return 0, false, false
	}
	return i, obf, true
}

// afterUserinfo returns where the host starts after a scheme that ends at
// i: after the last '@' of the authority, if it has one. Browsers go to
// the host after it, whatever name comes before.
func (s *scanner) afterUserinfo(i int) int {
	host := i
	for j := i; j < len(s.text) && j-i < maxUserinfo; {
		f, n, _ := s.at(j)
		if f == '/' || f == '?' || f == '#' || f == ' ' || unicode.IsSpace(f) || eastAsian(f) {
			break
		}
		if f == '@' {
			host = j + n
		}
		j += n
	}
	return host
}

// label reads a label at i into the name, ASCII letters lower-cased, and
// returns where it ends, whether it is all ASCII and whether it is
// written in title case. Invisible characters inside it are skipped and
// mark the link obfuscated.
func (s *scanner) label(i int) (end int, ascii, title, ok bool) {
	start, ascii := s.nameLen, true
	upperFirst, lowerRest := false, false
	for {
		f, n, folded := s.at(i)
		switch {
		case invisible(f):
			s.c.obfuscated = true
		case isAlnum(f) || f == '-':
			if s.nameLen == start {
				upperFirst = 'A' <= f && f <= 'Z'
			} else {
				lowerRest = lowerRest || 'a' <= f && f <= 'z'
			}
			s.c.obfuscated = s.c.obfuscated || folded
			s.appendName(byte(lower(f)))
		case uniLetter(f):
			ascii = false
			var enc [utf8.UTFMax]byte
			s.appendName(enc[:utf8.EncodeRune(enc[:], f)]...)
		default:
			return i, ascii, upperFirst && lowerRest, s.nameLen > start
		}
		i += n
		if s.nameLen > maxHost {
			return 0, false, false, false
		}
	}
}

// dot reads the dot after a label that ends at i and returns where the
// next label starts and how the dot was written. prevASCII tells whether
// the label before was all ASCII: spelled-out and spaced dots join ASCII
// labels only.
func (s *scanner) dot(i int, prevASCII bool) (int, dotKind) {
	f, n, folded := s.at(i)
	switch {
	case f == '.':
		k := i + n
		if g, _, _ := s.at(k); startChar(g) {
			if folded {
				return k, dotHidden
			}
			return k, dotPlain
		}
		if g, m, _ := s.at(k); prevASCII && !folded && g == ' ' && s.asciiAt(k+m) {
			return k + m, dotLoose
		}
	case f == '[' || f == '(' || f == '{':
		return s.bracketDot(i)
	case f == ' ' && prevASCII:
		k := s.spaces(i, 2)
		g, m, _ := s.at(k)
		switch {
		case g == '.':
			if after := s.spaces(k+m, 2); s.asciiAt(after) {
				return after, dotSpoken
			}
		case g == '[' || g == '(' || g == '{':
			return s.bracketDot(k)
		case g == '점' || g == '닷':
			if after := s.spaces(k+m, 2); s.asciiAt(after) {
				return after, dotSpoken
			}
		case lower(g) == 'd':
			if end, ok := s.word(k, "dot"); ok {
				if after := s.spaces(end, 2); after > end && s.asciiAt(after) {
					return after, dotSpoken
				}
			}
		}
	case (f == '점' || f == '닷') && prevASCII:
		if after := s.spaces(i+n, 2); s.asciiAt(after) {
			return after, dotSpoken
		}
	}
	return 0, noDot
}

// bracketDot reads "[.]", "(.)", "{.}", "[dot]", "(dot)" or "{dot}" at
// i, and up to two spaces after it.
func (s *scanner) bracketDot(i int) (int, dotKind) {
	open, n, _ := s.at(i)
	k := i + n
	if f, m, _ := s.at(k); f == '.' {
		k += m
	} else if end, ok := s.word(k, "dot"); ok {
		k = end
	} else {
		return 0, noDot
	}
	closing, m, _ := s.at(k)
	if open == '[' && closing != ']' || open == '(' && closing != ')' || open == '{' && closing != '}' {
		return 0, noDot
	}
	k = s.spaces(k+m, 2)
	if f, _, _ := s.at(k); !startChar(f) {
		return 0, noDot
	}
	return k, dotHidden
}

// word matches the lower-case ASCII word w at i in any case and width, as
// a whole word, and returns where it ends.
func (s *scanner) word(i int, w string) (int, bool) {
	for k := 0; k < len(w); k++ {
		f, n, _ := s.at(i)
		if lower(f) != rune(w[k]) {
			return 0, false
		}
		i += n
	}
	if f, _, _ := s.at(i); labelChar(f) {
		return 0, false
	}
	return i, true
}

// spaces skips up to limit spaces at i.
func (s *scanner) spaces(i, limit int) int {
	for ; limit > 0; limit-- {
		f, n, _ := s.at(i)
		if f != ' ' {
			break
		}
		i += n
	}
	return i
}

// asciiAt reports whether an ASCII letter or digit is at i.
func (s *scanner) asciiAt(i int) bool {
	f, _, _ := s.at(i)
	return isAlnum(f)
}

// path returns where the link whose host ends at i ends, after a port and
// a path, query or fragment, less the punctuation that ends the sentence
// around it, and whether it has a path of at least one character after
// its '/'. A path stops at a space or at Hangul, Han or kana, which is how
// Korean text goes on after an address (example.com/promo에서).
func (s *scanner) path(i int) (int, bool) {
	if f, n, _ := s.at(i); f == ':' {
		k, digits := i+n, 0
		for ; digits < 5; digits++ {
			g, m, _ := s.at(k)
			if !isDigit(g) {
				break
			}
			k += m
		}
		if digits > 0 {
			i = k
		}
	}
	first, width, _ := s.at(i)
	if first != '/' && first != '?' && first != '#' {
		return i, false
	}
	start, k := i, i
	opens := 0
	for k < len(s.text) {
		f, n, _ := s.at(k)
		if f <= ' ' || f == '<' || f == '>' || f == '"' || f == '`' || unicode.IsSpace(f) || eastAsian(f) || f == utf8.RuneError && n == 1 {
			break
		}
		switch f {
		case '(', '[', '{':
			opens++
		case ')', ']', '}':
			opens--
		}
		k += n
	}
trim:
	for k > start {
		f, n := s.before(k)
		switch f {
		case '.', ',', ';', ':', '!', '?', '\'', '"', '…', '、':
		case ')', ']', '}':
			if opens >= 0 {
				break trim
			}
			opens++
		default:
			break trim
		}
		k -= n
	}
	return k, first == '/' && k > start+width
}

// runeOffset converts byte offset b, at or after the last one converted,
// into a code-point offset. An invalid byte counts as one code point, as
// the other detectors count it.
func (s *scanner) runeOffset(b int) int {
	s.posRune += utf8.RuneCountInString(s.text[s.posByte:b])
	s.posByte = b
	return s.posRune
}

func ascii(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// validASCII checks an ASCII host name: labels of 1 to 63 letters, digits
// and hyphens, not starting or ending with a hyphen, with "--" in third
// and fourth place only in punycode labels (xn--), 253 bytes in all.
func validASCII(h []byte) bool {
	if len(h) == 0 || len(h) > maxHost {
		return false
	}
	start := 0
	for i := 0; i <= len(h); i++ {
		if i < len(h) && h[i] != '.' {
			continue
		}
		l := h[start:i]
		if len(l) == 0 || len(l) > maxLabel || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		if len(l) >= 4 && l[2] == '-' && l[3] == '-' && string(l[:2]) != "xn" {
			return false
		}
		start = i + 1
	}
	return true
}

// validTLD: a top-level domain is letters, two or more, or punycode.
func validTLD(t []byte) bool {
	if len(t) < 2 {
		return false
	}
	if len(t) > 4 && string(t[:4]) == "xn--" {
		return true
	}
	for _, c := range t {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}
