package pii

import "github.com/haechi-tns/haechi/engine"

// passportAt reports a Korean passport number starting with the letter f at
// pos: one of M S R O D G, then eight digits (before 2021) or three digits, a
// letter and four digits (since 2021), as a whole word. The caller has
// checked that no letter or digit comes before pos.
func (s *scanner) passportAt(pos int, f rune) (int, bool) {
	switch lower(f) {
	case 'm', 's', 'r', 'o', 'd', 'g':
	default:
		return 0, false
	}
	_, n := s.at(pos)
	end := pos + n
	if g, _ := s.at(end); !isDigit(g) {
		return 0, false
	}
	var shape [8]rune
	for k := range shape {
		g, m := s.at(end)
		if m == 0 {
			return 0, false
		}
		shape[k] = g
		end += m
	}
	old, current := true, true
	for k, g := range shape {
		old = old && isDigit(g)
		if k == 3 {
			current = current && isLetter(g)
		} else {
			current = current && isDigit(g)
		}
	}
	if g, _ := s.at(end); !old && !current || isWordChar(g) {
		return 0, false
	}
	score := scorePassport
	if s.cuesBefore(pos)&cuePassport != 0 {
		score = scorePassportContext
	}
	s.add(found{typ: engine.PIIPassport, start: pos, end: end, score: score})
	return end, true
}

// token is one digit of a run that mixes ASCII digits and Hangul digit
// syllables.
type token struct {
	start, end int
	d          byte
	hangul     bool
	sepBefore  bool // a separator comes between it and the token before
}

const maxTokens = 32

// mixedRun is a run of digits and Hangul digit syllables with separators.
type mixedRun struct {
	toks [maxTokens]token
	n    int
	cut  bool // stopped at maxTokens with more digits following
}

// hangulDigitAfter reports whether a Hangul digit syllable follows offset i,
// directly or after a separator.
func (s *scanner) hangulDigitAfter(i int) bool {
	j, _, _ := s.separator(i)
	if j == i {
		j = s.skipInvisible(i)
	}
	f, _ := s.at(j)
	_, ok := hangulDigit(f)
	return ok
}

// hangulPhones searches the run of digits and Hangul digit syllables at pos
// for mobile numbers spelled at least partly in Hangul (공일공 일이삼사
// 오육칠팔), reports them and returns where the next search may start: the end
// of the run, or inside it when the run was too long to hold. Numbers written
// only in ASCII digits are left to the number classifier.
func (s *scanner) hangulPhones(pos int) int {
	m := &s.mixed
	m.n, m.cut = 0, false
	hangul := 0
	for j, sep := pos, false; ; {
		f, n := s.at(j)
		t := token{start: j, end: j + n, hangul: false, sepBefore: sep}
		if isDigit(f) {
			t.d = byte(f - '0')
		} else if d, ok := hangulDigit(f); ok {
			t.d, t.hangul = d, true
			hangul++
		} else {
			break
		}
		if m.n == maxTokens {
			m.cut = true
			break
		}
		m.toks[m.n] = t
		m.n++
		k, _, _ := s.separator(t.end)
		if sep = k != t.end; !sep {
			k = s.skipInvisible(t.end)
		}
		j = k
	}
	if m.n == 0 {
		return pos + 1
	}
	end := m.toks[m.n-1].end
	if m.cut {
		// A number may cross the cut: search again from the first token
		// whose number would not fit before it.
		end = m.toks[m.n-11].start
	}
	if hangul == 0 || m.n < 10 {
		return end
	}
	for i := 0; i+10 <= m.n; {
		if length := s.hangulPhoneAt(i); length > 0 {
			t := &m.toks[i]
			s.add(found{typ: engine.PIIPhone, start: t.start, end: m.toks[i+length-1].end, score: scoreHangulPhone})
			i += length
			continue
		}
		i++
	}
	return end
}

// hangulPhoneAt returns the number of tokens from i that spell a mobile
// number with at least one Hangul syllable, or 0. A number may begin or end
// inside a group only where Hangul continues on that side: "팔이에요" ends a
// number and starts a particle.
func (s *scanner) hangulPhoneAt(i int) int {
	m := &s.mixed
	toks := m.toks[:m.n]
	if i == 0 && s.gluedBefore(toks[0].start) ||
		i > 0 && !toks[i].sepBefore && !(toks[i].hangul && toks[i-1].hangul) {
		return 0
	}
	for _, length := range [...]int{11, 10} {
		k := i + length
		if k > len(toks) {
			continue
		}
		if k == len(toks) && (m.cut || s.gluedAfter(toks[k-1].end)) ||
			k < len(toks) && !toks[k].sepBefore && !(toks[k].hangul && toks[k-1].hangul) {
			continue
		}
		var d [11]byte
		hangul := false
		for j, t := range toks[i:k] {
			d[j] = t.d
			hangul = hangul || t.hangul
		}
		if !hangul || d[0] != 0 || d[1] != 1 {
			continue
		}
		if _, ok := phoneScore(d[:length], nil, false); ok {
			return length
		}
	}
	return 0
}
