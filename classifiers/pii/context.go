package pii

import (
	"bytes"
	"unicode/utf8"
)

// Context words are looked for in a few runes before a candidate: far
// enough for "계좌번호는 국민은행 " or "my passport number is ", near enough
// that a word from an unrelated sentence rarely reaches.
const (
	contextRunes         = 25
	passportContextRunes = 20
	contextBytes         = contextRunes * utf8.UTFMax
)

// cueSet is the kinds of context word found before a candidate.
type cueSet uint8

const (
	cueBank cueSet = 1 << iota
	cueBusiness
	cueLicense
	cuePassport
)

// cue is a context word, lower case, compared with the folded text.
type cue struct {
	word []byte
	set  cueSet
	// prefix says an ASCII word must not continue another word ("bank" but
	// not "snowbank"); whole says it must not touch letters on either side
	// ("nh" but not "enhance").
	prefix, whole bool
}

// compileCues builds the context word table once per Detector.
func compileCues() []cue {
	var cs []cue
	add := func(set cueSet, kind string, words ...string) {
		for _, w := range words {
			cs = append(cs, cue{word: []byte(w), set: set, prefix: kind == "prefix", whole: kind == "whole"})
		}
	}
	add(cueBank, "", "계좌", "입금", "송금", "이체", "은행", "뱅크", "농협", "신한", "우체국",
		"sc제일", "씨티", "신협", "수협", "새마을금고")
	add(cueBank, "prefix", "bank", "account", "acct")
	add(cueBank, "whole", "a/c", "kb", "nh", "ibk")
	add(cueBusiness, "", "사업자")
	add(cueBusiness, "prefix", "business reg", "business number", "business no")
	add(cueBusiness, "whole", "brn")
	add(cueLicense, "", "면허")
	add(cueLicense, "prefix", "licen", "driver", "driving")
	add(cuePassport, "", "여권")
	add(cuePassport, "prefix", "passport")
	return cs
}

// in reports whether the cue occurs in hay.
func (c *cue) in(hay []byte) bool {
	for off := 0; off < len(hay); {
		i := bytes.Index(hay[off:], c.word)
		if i < 0 {
			return false
		}
		i += off
		end := i + len(c.word)
		left := !(c.prefix || c.whole) || i == 0 || !isLetter(rune(hay[i-1]))
		right := !c.whole || end == len(hay) || !isLetter(rune(hay[end]))
		if left && right {
			return true
		}
		off = i + 1
	}
	return false
}

// cuesBefore returns the kinds of context word in the runes before byte
// offset start. The text there is folded and lower-cased first, so "ＢＡＮＫ"
// and "Bank" count as "bank".
func (s *scanner) cuesBefore(start int) cueSet {
	if s.cuesFor == start+1 {
		return s.cues
	}
	i, mark := start, -1
	for k := 0; k < contextRunes; k++ {
		if k == passportContextRunes {
			mark = i
		}
		_, n := s.before(i)
		if n == 0 {
			break
		}
		i -= n
	}
	buf, markAt := s.ctx[:0], 0
	for j := i; j < start && len(buf)+utf8.UTFMax <= cap(buf); {
		if j == mark {
			markAt = len(buf)
		}
		f, n := s.at(j)
		buf = utf8.AppendRune(buf, lower(f))
		j += n
	}
	var set cueSet
	for k := range s.d.cues {
		c := &s.d.cues[k]
		hay := buf
		if c.set == cuePassport {
			hay = buf[markAt:]
		}
		if set&c.set == 0 && c.in(hay) {
			set |= c.set
		}
	}
	if bankNameEnds(buf) {
		set |= cueBank
	}
	s.cuesFor, s.cues = start+1, set
	return set
}

// bankNameEnds reports whether buf ends with the name of a bank that is also
// an ordinary word or place (우리 is "we", 하나 "one", 부산 a city). These
// count only right before the number: "하나 123-456789-01234".
func bankNameEnds(buf []byte) bool {
	buf = bytes.TrimRight(buf, " :-()")
	const syllable = len("가")
	if n := len(buf); n >= 2*syllable {
		switch string(buf[n-2*syllable:]) {
		case "국민", "우리", "하나", "기업", "산업", "대구", "부산", "경남", "광주", "전북", "제주", "씨티":
			return true
		}
	}
	if n := len(buf); n >= 3*syllable {
		switch string(buf[n-3*syllable:]) {
		case "새마을", "카카오":
			return true
		}
	}
	return false
}
