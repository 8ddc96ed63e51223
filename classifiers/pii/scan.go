package pii

import (
	"unicode/utf8"

	"github.com/haechi-tns/haechi/engine"
)

// Limits of one number candidate. A long run of digit groups ends at the
// first space after softGroups groups or softDigits digits and the scan
// resumes inside it, so that a list of numbers is read whole. A run with no
// space that reaches maxGroups is cut, and the cut counts as a digit glued on.
const (
	maxGroups  = 32
	maxDigits  = 64
	softGroups = 16
	softDigits = 32
	// minNumber and maxNumber bound the digits of any number type: a
	// 02-123-4567 landline has 9, a 4-4-4-4-3 card 19.
	minNumber = 9
	maxNumber = 19
	// maxShape is the most digit groups any type is written in: a card as
	// 4-4-4-4-3, or 82 10 1234 5678.
	maxShape = 5
)

// scanner holds the state of one Detect call. It lives on the caller's stack.
type scanner struct {
	d    *Detector
	text string

	fixed [8]found
	n     int
	spill []found // every detection, once fixed is full

	num   number
	mixed mixedRun
	// mixedDone is the end of the last run searched for Hangul digits, so a
	// long run is searched once, not once per syllable.
	mixedDone int

	today    civilDate
	hasToday bool

	// cuesFor is the offset (plus one) whose context words are in cues.
	cuesFor int
	cues    cueSet
	ctx     [contextBytes]byte
}

// scan walks the text once, rune by rune, and hands each place where
// personal information can start to the matching detector.
func (s *scanner) scan() {
	prev := rune(' ') // the text's start behaves like a space
	for pos := 0; pos < len(s.text); {
		b := s.text[pos]
		if b >= utf8.RuneSelf {
			r, size := decode(s.text, pos)
			if r >= 0xAC00 && r <= 0xD7A3 {
				// Hangul syllables, most of Korean text, only start
				// digit words (공일공…) and 골뱅이.
				s.hangulAt(pos, r)
				prev = r
				pos += size
				continue
			}
			if f := fold(r); f >= utf8.RuneSelf || f == ' ' {
				prev = f
				pos += size
				continue
			}
		} else if b == ' ' || b >= 'a' && b <= 'z' && isWordChar(prev) {
			prev = rune(b)
			pos++
			continue
		}
		f, size := s.at(pos)
		next := pos + size
		switch {
		case isDigit(f):
			next = s.numberAt(pos)
		case f == '+':
			if g, _ := s.at(next); isDigit(g) {
				next = s.numberAt(pos)
			}
		case f == '@':
			if end, ok := s.signAtEmail(pos, next); ok {
				next = end
			}
		case f == '(' || f == '[' || f == '{':
			if end, ok := s.bracketAtEmail(pos); ok {
				next = end
			}
		case isLetter(f) && !isWordChar(prev):
			if (f == 'a' || f == 'A') && prev == ' ' {
				if end, ok := s.wordAtEmail(pos); ok {
					next = end
					break
				}
			}
			if end, ok := s.passportAt(pos, f); ok {
				next = end
			}
		}
		if next == pos+size {
			prev = f
		} else {
			prev, _ = s.before(next)
		}
		pos = next
	}
}

// hangulAt handles the Hangul syllable r at pos.
func (s *scanner) hangulAt(pos int, r rune) {
	if r == '골' {
		// An address is reported from its local part, before pos; the
		// domain after it holds nothing else to find.
		s.golbaengiEmail(pos)
		return
	}
	if _, ok := hangulDigit(r); ok && pos >= s.mixedDone {
		s.mixedDone = s.hangulPhones(pos)
	}
}

// group is a run of digits inside a number candidate.
type group struct {
	start, end int  // byte offsets of the first digit and just past the last
	off, n     int  // where its digits sit in number.digits, and how many
	sep        byte // separator before it: '-', '.', ')' or ' '; 0 for the first
	split      bool // the separator holds a space: a window may start here
}

// number is a candidate: digit groups joined by single separators.
type number struct {
	plus       bool
	start, end int // byte offsets, start at the '+' when there is one
	groups     [maxGroups]group
	ng         int
	digits     [maxDigits]byte
	nd         int
	cut        bool // stopped at maxGroups with more digits following
	// soft says the candidate stopped at a space because it was long, with
	// more digit groups following.
	soft bool
}

// numberAt parses the number candidate at pos, reports what it holds and
// returns where the scan goes on (see number.resume).
func (s *scanner) numberAt(pos int) int {
	c := &s.num
	s.parseNumber(pos, c)
	if c.nd >= minNumber {
		s.classifyNumber(c)
	}
	// 010 일이삼사 오육칠팔 starts with ASCII digits; search it for Hangul
	// digits from its first digit.
	if first := c.groups[0].start; first >= s.mixedDone && s.hangulDigitAfter(c.end) {
		s.mixedDone = s.hangulPhones(first)
	}
	return c.resume()
}

// resume returns where the scan goes on after c: its end, or after a soft
// stop the first segment that a window crossing the stop could start at, so
// that such a window is read by the next candidate.
func (c *number) resume() int {
	if !c.soft {
		return c.end
	}
	resume := c.end
	for gi := c.ng - 1; gi > 0; gi-- {
		g := &c.groups[gi]
		if c.nd-g.off >= maxNumber || c.ng-gi >= maxShape {
			break
		}
		if g.split {
			resume = g.start
		}
	}
	return resume
}

func (s *scanner) parseNumber(pos int, c *number) {
	c.plus, c.ng, c.nd, c.cut, c.soft = false, 0, 0, false, false
	c.start = pos
	if f, n := s.at(pos); f == '+' {
		c.plus = true
		pos += n
	}
	var sep byte
	split := false
	for {
		if c.ng == maxGroups {
			c.cut = true
			return
		}
		g := group{start: pos, off: c.nd, sep: sep, split: split}
		for {
			f, n := s.at(pos)
			if !isDigit(f) {
				// A zero-width character between two digits is ignored.
				j := s.skipInvisible(pos)
				if g, _ := s.at(j); j > pos && isDigit(g) {
					pos = j
					continue
				}
				break
			}
			if c.nd < maxDigits {
				c.digits[c.nd] = byte(f - '0')
			}
			c.nd++
			g.n++
			pos += n
		}
		g.end = pos
		c.groups[c.ng] = g
		c.ng++
		c.end = pos
		j, kind, space := s.separator(pos)
		if f, _ := s.at(j); j == pos || !isDigit(f) {
			return
		}
		if space && (c.ng >= softGroups || c.nd >= softDigits) {
			c.soft = true
			return
		}
		pos, sep, split = j, kind, space
	}
}

// separator reads the separator that may sit between two digit groups at i:
// up to two spaces, at most one of - . ), up to two spaces. It returns the
// offset after it (i when there is none), its kind ('-', '.', ')' or ' ') and
// whether it holds a space. Zero-width characters inside are skipped.
func (s *scanner) separator(i int) (end int, kind byte, space bool) {
	j := s.skipInvisible(i)
	spaces := 0
	j, spaces = s.spaces(j, spaces)
	kind = ' '
	if f, n := s.at(j); f == '-' || f == '.' || f == ')' {
		kind = byte(f)
		j = s.skipInvisible(j + n)
		j, spaces = s.spaces(j, spaces)
	}
	if kind == ' ' && spaces == 0 {
		return i, 0, false
	}
	return j, kind, spaces > 0
}

// spaces steps over up to two spaces at j.
func (s *scanner) spaces(j, count int) (int, int) {
	for k := 0; k < 2; k++ {
		f, n := s.at(j)
		if f != ' ' {
			break
		}
		j = s.skipInvisible(j + n)
		count++
	}
	return j, count
}

// window is a stretch of a number candidate offered to the classifiers: its
// digits, where separators fall between them, and its byte offsets.
type window struct {
	d          []byte
	bounds     [maxNumber]bound
	nb         int
	plus       bool
	start, end int
}

// bound is a separator inside a window, after digit pos.
type bound struct {
	pos  int
	kind byte
}

// classifyNumber offers the candidate to the classifiers whole and, when it
// does not validate, split at its spaces ("주문 123 010 1234 5678" holds a
// phone number), longest windows first, left to right.
func (s *scanner) classifyNumber(c *number) {
	var segs [maxGroups + 1]int // first group of each space-separated segment
	ns := 0
	for i := 0; i < c.ng; i++ {
		if i == 0 || c.groups[i].split {
			segs[ns] = i
			ns++
		}
	}
	segs[ns] = c.ng
	gluedStart := s.gluedBefore(c.start)
	gluedEnd := c.cut || s.gluedAfter(c.end)
	var w window
	for a := 0; a < ns; {
		matched := false
		for b := ns - 1; b >= a; b-- {
			first, last := &c.groups[segs[a]], &c.groups[segs[b+1]-1]
			nd := last.off + last.n - first.off
			if nd < minNumber {
				break
			}
			if nd > maxNumber || last.off+last.n > maxDigits || segs[b+1]-segs[a] > maxShape ||
				a == 0 && gluedStart || b == ns-1 && gluedEnd {
				continue
			}
			w.d = c.digits[first.off : first.off+nd]
			w.nb = 0
			for gi := segs[a] + 1; gi < segs[b+1]; gi++ {
				g := &c.groups[gi]
				w.bounds[w.nb] = bound{pos: g.off - first.off, kind: g.sep}
				w.nb++
			}
			w.plus = c.plus && a == 0
			w.start, w.end = first.start, last.end
			if w.plus {
				w.start = c.start
			}
			if f, ok := s.classify(&w); ok {
				s.add(f)
				a, matched = b+1, true
				break
			}
		}
		if !matched {
			a++
		}
	}
}

// classify names the number in w, or reports false. Each type validates its
// own shape; the best score wins, ties going to the type tried first.
func (s *scanner) classify(w *window) (found, bool) {
	best := found{start: w.start, end: w.end}
	offer := func(t engine.PIIType, score float64, start int) {
		if score > best.score {
			best.typ, best.score, best.start = t, score, start
		}
	}
	n := len(w.d)
	bs := w.bounds[:w.nb]
	if w.plus {
		// Only Korean phone numbers are written with a country code here.
		if score, ok := phoneScore(w.d, bs, true); ok {
			offer(engine.PIIPhone, score, w.start)
		}
		return best, best.score > 0
	}
	// A number that is a registration number, card or phone is never also
	// reported as an account, whatever the banking words around it.
	claimed := false
	if n == 13 {
		if t, score, ok := s.registration(w.d, bs); ok {
			offer(t, score, w.start)
			claimed = true
		}
	}
	if n >= 13 {
		if score, ok := cardScore(w.d, bs); ok {
			offer(engine.PIICard, score, w.start)
			claimed = true
		}
	}
	if n <= 13 {
		if score, ok := phoneScore(w.d, bs, false); ok {
			offer(engine.PIIPhone, score, s.phoneStart(w))
			claimed = true
		}
	}
	if n == 10 {
		if score, ok := s.businessScore(w); ok {
			offer(engine.PIIBusinessRegistration, score, w.start)
		}
	}
	if n == 10 || n == 12 {
		if score, start, ok := s.licenseScore(w); ok {
			offer(engine.PIIDriverLicense, score, start)
		}
	}
	if !claimed && n >= 10 && n <= 14 {
		if score, ok := s.accountScore(w); ok {
			offer(engine.PIIBankAccount, score, w.start)
		}
	}
	return best, best.score > 0
}

// phoneStart is where a phone number's span starts: at its first digit, or at
// the '(' of an area code written (02)1234-5678, so that the span does not
// hold an unbalanced parenthesis.
func (s *scanner) phoneStart(w *window) int {
	if w.nb == 0 || w.bounds[0].kind != ')' {
		return w.start
	}
	if f, n := s.before(w.start); f == '(' {
		return w.start - n
	}
	return w.start
}
