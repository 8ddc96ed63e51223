package pii

import "github.com/haechi-tns/haechi/engine"

// phoneScore checks a number against the Korean numbering plan: mobile
// 01[016789], Seoul 02, the other area codes 0[3-6][1-5], VoIP 070 and 050x
// safe numbers, each followed by a 3- or 4-digit exchange and 4 digits, and
// the same after +82 or "82 " with the trunk 0 dropped (or kept by mistake).
// Separators may only sit after the prefix and after the exchange; a ')' only
// after the prefix, as in (02)1234-5678. plus says the number began with '+'.
func phoneScore(d []byte, bs []bound, plus bool) (float64, bool) {
	var nat [16]byte // the national number, trunk 0 included
	m := len(d)
	shift := 0 // digit i of d is digit i+shift of nat
	first := 0 // bs[:first] sit inside the country code
	intl := plus || len(bs) > 0 && bs[0].pos == 2 && d[0] == 8 && d[1] == 2
	if intl {
		if len(d) < 3 || d[0] != 8 || d[1] != 2 {
			return 0, false
		}
		off := 2
		if d[2] == 0 {
			off = 3
		}
		m = len(d) - off + 1
		if m > len(nat) {
			return 0, false
		}
		copy(nat[1:], d[off:])
		shift = 1 - off
		for first < len(bs) && bs[first].pos <= off {
			if bs[first].pos != 2 {
				return 0, false
			}
			first++
		}
	} else {
		if m > len(nat) {
			return 0, false
		}
		copy(nat[:], d)
	}
	if m < minNumber || nat[0] != 0 {
		return 0, false
	}
	var prefix int
	score, bare := scoreLandline, scoreLandlineBare
	switch a, b := nat[1], nat[2]; {
	case a == 1 && (b == 0 || b == 1 || b >= 6):
		prefix, score, bare = 3, scoreMobile, scoreMobile
	case a == 2:
		prefix = 2
	case a >= 3 && a <= 6 && b >= 1 && b <= 5, a == 7 && b == 0:
		prefix = 3
	case a == 5 && b == 0 && nat[3] >= 2 && nat[3] <= 8:
		prefix, score, bare = 4, scoreSafeNumber, scoreSafeNumber
	default:
		return 0, false
	}
	exchange := m - prefix - 4
	if exchange != 3 && exchange != 4 {
		return 0, false
	}
	for _, b := range bs[first:] {
		switch q := b.pos + shift; {
		case q == prefix:
		case q == prefix+exchange && b.kind != ')':
		default:
			return 0, false
		}
	}
	if len(bs) == first && !plus {
		return bare, true
	}
	return score, true
}

// registration checks a 13-digit resident (kr_rrn) or foreigner (kr_frn)
// registration number: YYMMDD, a gender digit that also gives the century,
// six more digits, written whole or split 6-7 by '-' or a space.
func (s *scanner) registration(d []byte, bs []bound) (engine.PIIType, float64, bool) {
	switch len(bs) {
	case 0:
	case 1:
		if bs[0].pos != 6 || bs[0].kind != '-' && bs[0].kind != ' ' {
			return "", 0, false
		}
	default:
		return "", 0, false
	}
	century, foreign := 0, false
	switch d[6] {
	case 9, 0:
		century = 1800
	case 1, 2:
		century = 1900
	case 3, 4:
		century = 2000
	case 5, 6:
		century, foreign = 1900, true
	case 7, 8:
		century, foreign = 2000, true
	}
	birth := civilDate{
		year:  century + int(d[0])*10 + int(d[1]),
		month: int(d[2])*10 + int(d[3]),
		day:   int(d[4])*10 + int(d[5]),
	}
	if !birth.valid() || s.todayDate().before(birth) {
		return "", 0, false
	}
	sum := 0
	for i, w := range [12]int{2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5} {
		sum += int(d[i]) * w
	}
	if foreign {
		if int(d[12]) == (13-sum%11)%10 {
			return engine.PIIForeignerRegistration, scoreFRN, true
		}
		return engine.PIIForeignerRegistration, scoreFRNNoChecksum, true
	}
	if int(d[12]) == (11-sum%11)%10 {
		return engine.PIIResidentRegistration, scoreRRN, true
	}
	return engine.PIIResidentRegistration, scoreRRNNoChecksum, true
}

// civilDate is a calendar date without a time zone.
type civilDate struct{ year, month, day int }

func (c civilDate) valid() bool {
	if c.month < 1 || c.month > 12 || c.day < 1 {
		return false
	}
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[c.month]
	if c.month == 2 && c.year%4 == 0 && (c.year%100 != 0 || c.year%400 == 0) {
		days = 29
	}
	return c.day <= days
}

func (c civilDate) before(o civilDate) bool {
	if c.year != o.year {
		return c.year < o.year
	}
	if c.month != o.month {
		return c.month < o.month
	}
	return c.day < o.day
}

// todayDate reads the clock once per Detect call, and only when a
// registration number needs it.
func (s *scanner) todayDate() civilDate {
	if !s.hasToday {
		y, m, d := s.d.now().Date()
		s.today, s.hasToday = civilDate{y, int(m), d}, true
	}
	return s.today
}

// cardScore checks a payment card number: 13 to 19 digits, bare or in groups
// of four (4-6-5 for American Express) with one kind of separator, a known
// issuer prefix of the right length, and a valid Luhn check digit.
func cardScore(d []byte, bs []bound) (float64, bool) {
	n := len(d)
	if n < 13 || n > 19 || !cardGroups(n, bs) || !cardIssuer(d) || !luhn(d) {
		return 0, false
	}
	if len(bs) == 0 {
		return scoreCardBare, true
	}
	return scoreCard, true
}

func cardGroups(n int, bs []bound) bool {
	if len(bs) == 0 {
		return true
	}
	kind := bs[0].kind
	if kind != '-' && kind != ' ' {
		return false
	}
	for _, b := range bs {
		if b.kind != kind {
			return false
		}
	}
	if n == 15 && len(bs) == 2 && bs[0].pos == 4 && bs[1].pos == 10 {
		return true
	}
	for i, b := range bs {
		if b.pos != 4*(i+1) {
			return false
		}
	}
	last := n - 4*len(bs)
	return len(bs) >= 3 && last >= 1 && last <= 4
}

// cardIssuer reports whether d starts with the prefix of an issuer that uses
// its length: Visa, Mastercard, American Express, JCB, Discover, UnionPay and
// Korean domestic cards (9).
func cardIssuer(d []byte) bool {
	n := len(d)
	p2 := int(d[0])*10 + int(d[1])
	p4 := p2*100 + int(d[2])*10 + int(d[3])
	switch {
	case d[0] == 4:
		return n == 13 || n == 16 || n == 19
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720:
		return n == 16
	case p2 == 34, p2 == 37:
		return n == 15
	case p4 >= 3528 && p4 <= 3589, p4 == 6011, p2 == 65, p2 == 62:
		return n >= 16
	case d[0] == 9:
		return n == 16
	}
	return false
}

// luhn reports whether the last digit of d is its Luhn check digit.
func luhn(d []byte) bool {
	sum := 0
	for i := range d {
		v := int(d[len(d)-1-i])
		if i%2 == 1 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return sum%10 == 0
}

// businessScore checks a business registration number: ten digits, bare or
// as 3-2-5 with hyphens, with a valid check digit. A checksum passes for one
// number in ten, so bare digits score low unless a business word precedes.
func (s *scanner) businessScore(w *window) (float64, bool) {
	bs := w.bounds[:w.nb]
	hyphens := len(bs) == 2 && bs[0] == bound{3, '-'} && bs[1] == bound{5, '-'}
	if len(bs) != 0 && !hyphens || !businessChecksum(w.d) {
		return 0, false
	}
	switch {
	case s.cuesBefore(w.start)&cueBusiness != 0:
		return scoreBRNContext, true
	case hyphens:
		return scoreBRN, true
	}
	return scoreBRNBare, true
}

func businessChecksum(d []byte) bool {
	sum := 0
	for i, w := range [9]int{1, 3, 7, 1, 3, 7, 1, 3, 5} {
		sum += int(d[i]) * w
	}
	sum += int(d[8]) * 5 / 10
	return int(d[9]) == (10-sum%10)%10
}

// licenseScore checks a driver's licence number: RR-YY-NNNNNN-CC with region
// code RR in 11-28, or the region's name followed by YY-NNNNNN-CC, in which
// case the span starts at the name. Separators are all '-' or all spaces;
// twelve bare digits count only after a licence word.
func (s *scanner) licenseScore(w *window) (score float64, start int, ok bool) {
	bs := w.bounds[:w.nb]
	start = w.start
	switch len(w.d) {
	case 12:
		if region := int(w.d[0])*10 + int(w.d[1]); region < 11 || region > 28 {
			return 0, 0, false
		}
		if len(bs) == 0 {
			if s.cuesBefore(start)&cueLicense == 0 {
				return 0, 0, false
			}
			return scoreLicenseBare, start, true
		}
		if !shapeIs(bs, 2, 4, 10) {
			return 0, 0, false
		}
	case 10:
		if !shapeIs(bs, 2, 8) {
			return 0, 0, false
		}
		if start, ok = s.regionBefore(start); !ok {
			return 0, 0, false
		}
	default:
		return 0, 0, false
	}
	if s.cuesBefore(start)&cueLicense != 0 {
		return scoreLicenseContext, start, true
	}
	return scoreLicense, start, true
}

// shapeIs reports whether the separators fall exactly after the given digit
// positions and are all hyphens or all spaces.
func shapeIs(bs []bound, pos ...int) bool {
	if len(bs) != len(pos) {
		return false
	}
	for i, b := range bs {
		if b.pos != pos[i] || b.kind != bs[0].kind || b.kind != '-' && b.kind != ' ' {
			return false
		}
	}
	return true
}

// regionBefore finds a licence region name (서울 12-345678-90) written just
// before i, with at most one space, and returns where it starts.
func (s *scanner) regionBefore(i int) (int, bool) {
	if f, n := s.before(i); f == ' ' {
		i -= n
	}
	const width = len("서울") // every region name is two Hangul syllables
	if i < width {
		return 0, false
	}
	switch s.text[i-width : i] {
	case "서울", "부산", "경기", "강원", "충북", "충남", "전북", "전남",
		"경북", "경남", "제주", "대구", "인천", "광주", "대전", "울산":
		return i - width, true
	}
	return 0, false
}

// accountScore reports a bank account: 10 to 14 digits, bare or in two to
// four hyphenated groups of at least two digits, after a banking word.
func (s *scanner) accountScore(w *window) (float64, bool) {
	bs := w.bounds[:w.nb]
	if len(bs) > 3 {
		return 0, false
	}
	prev := 0
	for _, b := range bs {
		if b.kind != '-' || b.pos-prev < 2 {
			return 0, false
		}
		prev = b.pos
	}
	if len(w.d)-prev < 2 || s.cuesBefore(w.start)&cueBank == 0 {
		return 0, false
	}
	return scoreAccount, true
}
