package pii

import "unicode/utf8"

// fold maps a rune to the ASCII character it stands for in a number or an
// address, so that ０１０－１２３４ reads as 010-1234 and every dash look-alike
// as '-'. Runes with no ASCII reading come back unchanged. Folding is per
// rune, so offsets into the original text stay exact.
func fold(r rune) rune {
	if r < utf8.RuneSelf {
		return r
	}
	switch {
	case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII forms
		return r - 0xFEE0
	case r >= 0x1D7CE && r <= 0x1D7FF: // mathematical bold, double-struck, sans-serif, monospace digits
		return '0' + (r-0x1D7CE)%10
	case r >= 0x2000 && r <= 0x200A: // typographic spaces
		return ' '
	}
	switch r {
	case 0x00A0, 0x202F, 0x205F, 0x3000: // no-break and ideographic spaces
		return ' '
	case 0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, // hyphens and dashes
		0x2212, 0xFE58, 0xFE63, // minus, small em dash, small hyphen-minus
		0x00B7, 0x2027, 0x30FB, 0xFF65, 0x318D: // middle dots and Hangul arae-a used as dashes
		return '-'
	}
	return r
}

// invisible reports whether r is a zero-width character. They are slipped
// into numbers to defeat filters without changing how the number looks, so
// the scanner steps over them inside a number.
func invisible(r rune) bool {
	switch r {
	case 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0x180E:
		return true
	}
	return false
}

func isDigit(f rune) bool  { return '0' <= f && f <= '9' }
func isLetter(f rune) bool { return 'a' <= f && f <= 'z' || 'A' <= f && f <= 'Z' }
func lower(f rune) rune {
	if 'A' <= f && f <= 'Z' {
		return f + 'a' - 'A'
	}
	return f
}

// isWordChar reports whether a number touching f is part of a longer code
// (A2024…, 2024…7x) rather than standing on its own. Hangul is not: Korean
// writes particles straight after numbers (01012345678이요).
func isWordChar(f rune) bool { return isDigit(f) || isLetter(f) || f == '_' }

// hangulDigit returns the digit a Sino-Korean number syllable spells.
func hangulDigit(r rune) (byte, bool) {
	switch r {
	case '공', '영':
		return 0, true
	case '일':
		return 1, true
	case '이':
		return 2, true
	case '삼':
		return 3, true
	case '사':
		return 4, true
	case '오':
		return 5, true
	case '육', '륙':
		return 6, true
	case '칠':
		return 7, true
	case '팔':
		return 8, true
	case '구':
		return 9, true
	}
	return 0, false
}

// at returns the folded rune at byte offset i and its width; -1 at the end.
// Invalid UTF-8 reads as one U+FFFD per byte, as a for range loop does.
func (s *scanner) at(i int) (rune, int) {
	if i < len(s.text) {
		if b := s.text[i]; b < utf8.RuneSelf {
			return rune(b), 1
		}
	}
	return s.atSlow(i)
}

func (s *scanner) atSlow(i int) (rune, int) {
	if i < 0 || i >= len(s.text) {
		return -1, 0
	}
	r, n := decode(s.text, i)
	return fold(r), n
}

// decode is utf8.DecodeRuneInString(text[i:]) with the three-byte case,
// which all Hangul takes, decoded inline. It agrees with utf8 on every input
// (TestDecodeMatchesUTF8).
func decode(text string, i int) (rune, int) {
	b0 := text[i]
	if b0 < utf8.RuneSelf {
		return rune(b0), 1
	}
	if b0&0xF0 == 0xE0 && i+2 < len(text) {
		b1, b2 := text[i+1], text[i+2]
		lo, hi := byte(0x80), byte(0xBF)
		switch b0 {
		case 0xE0:
			lo = 0xA0 // shorter forms are overlong
		case 0xED:
			hi = 0x9F // higher are surrogates
		}
		if lo <= b1 && b1 <= hi && b2&0xC0 == 0x80 {
			return rune(b0&0x0F)<<12 | rune(b1&0x3F)<<6 | rune(b2&0x3F), 3
		}
	}
	return utf8.DecodeRuneInString(text[i:])
}

// before returns the folded rune that ends at byte offset i and its width;
// -1 at the start. Every rune it reports as valid also starts a rune when the
// text is decoded forwards (a lead byte is never a continuation byte), so
// offsets found by walking back stay aligned with the forward decoding.
func (s *scanner) before(i int) (rune, int) {
	if i <= 0 || i > len(s.text) {
		return -1, 0
	}
	if b := s.text[i-1]; b < utf8.RuneSelf {
		return rune(b), 1
	}
	r, n := utf8.DecodeLastRuneInString(s.text[:i])
	return fold(r), n
}

// skipInvisible returns the offset of the first visible rune at or after i.
func (s *scanner) skipInvisible(i int) int {
	for i < len(s.text) && s.text[i] >= utf8.RuneSelf {
		r, n := decode(s.text, i)
		if !invisible(r) {
			break
		}
		i += n
	}
	return i
}

// visibleBefore returns the folded rune before i, stepping back over
// zero-width characters, and the offset where that rune starts.
func (s *scanner) visibleBefore(i int) (rune, int) {
	for {
		f, n := s.before(i)
		if n == 0 {
			return -1, 0
		}
		i -= n
		if !invisible(f) {
			return f, i
		}
	}
}

// gluedBefore reports whether the number starting at i continues something
// written before it: a letter or digit (A2024…), or a digit and one of . : -
// (12:30, 1..2). Hangul and spaces do not glue, nor do , and /, which list
// numbers (010-1234-5678,010-…); a price split at its commas is in groups too
// short to be anything.
func (s *scanner) gluedBefore(i int) bool {
	f, j := s.visibleBefore(i)
	if isWordChar(f) || f == '@' {
		return true
	}
	switch f {
	case '.', ':', '-':
		g, _ := s.visibleBefore(j)
		return isDigit(g)
	}
	return false
}

// gluedAfter is gluedBefore for the end of a number at i. A number followed
// by @ is the local part of an e-mail address.
func (s *scanner) gluedAfter(i int) bool {
	i = s.skipInvisible(i)
	f, n := s.at(i)
	if isWordChar(f) || f == '@' {
		return true
	}
	switch f {
	case '.', ':', '-':
		g, _ := s.at(s.skipInvisible(i + n))
		return isDigit(g)
	}
	return false
}
