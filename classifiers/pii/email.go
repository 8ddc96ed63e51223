package pii

import "github.com/haechi-tns/haechi/engine"

// Limits from RFC 5321: a local part has at most 64 characters, a domain 255.
// They also bound the work per '@' on hostile input.
const (
	maxLocal  = 64
	maxDomain = 255
)

// atForm is how the "at" of an address was written.
type atForm int

const (
	atSign    atForm = iota // user@example.com
	atSpaced                // user @ example.com
	atBracket               // user(at)example.com, user [at] example.com
	atWord                  // user at example dot com
	atHangul                // user 골뱅이 example 닷 com
)

// signAtEmail handles the '@' at [atStart, atEnd).
func (s *scanner) signAtEmail(atStart, atEnd int) (int, bool) {
	// '@' with spaces around it is the same dodge as (at).
	form, localEnd := atSign, atStart
	if f, _ := s.before(atStart); f == ' ' {
		form = atSpaced
		localEnd, _ = s.spacesBack(atStart)
	}
	domainStart := atEnd
	if f, _ := s.at(atEnd); f == ' ' {
		form = atSpaced
		domainStart, _ = s.spaces(atEnd, 0)
	}
	return s.email(localEnd, domainStart, form)
}

// bracketAtEmail handles "(at)", "[at]" and "{at}" at pos.
func (s *scanner) bracketAtEmail(pos int) (int, bool) {
	open, n := s.at(pos)
	end, ok := s.asciiWord(pos+n, "at")
	if !ok {
		return 0, false
	}
	closing, m := s.at(end)
	if open == '(' && closing != ')' || open == '[' && closing != ']' || open == '{' && closing != '}' {
		return 0, false
	}
	localEnd, _ := s.spacesBack(pos)
	domainStart, _ := s.spaces(end+m, 0)
	return s.email(localEnd, domainStart, atBracket)
}

// wordAtEmail handles " at " where pos is the 'a', after a space.
func (s *scanner) wordAtEmail(pos int) (int, bool) {
	end, ok := s.asciiWord(pos, "at")
	if !ok {
		return 0, false
	}
	domainStart, spaces := s.spaces(end, 0)
	if spaces == 0 {
		return 0, false
	}
	localEnd, _ := s.spacesBack(pos)
	return s.email(localEnd, domainStart, atWord)
}

// golbaengiEmail handles "골뱅이" (the Korean name of @) at pos.
func (s *scanner) golbaengiEmail(pos int) (int, bool) {
	const word = "골뱅이"
	if len(s.text)-pos < len(word) || s.text[pos:pos+len(word)] != word {
		return 0, false
	}
	localEnd, _ := s.spacesBack(pos)
	domainStart, _ := s.spaces(pos+len(word), 0)
	return s.email(localEnd, domainStart, atHangul)
}

// email reports the address whose local part ends at localEnd and whose
// domain starts at domainStart, and returns where it ends.
func (s *scanner) email(localEnd, domainStart int, form atForm) (int, bool) {
	start, ok := s.localStart(localEnd)
	if !ok {
		return 0, false
	}
	end, firstLabel, dotted, ok := s.domain(domainStart)
	if !ok {
		return 0, false
	}
	// " at " is ordinary English ("docs at python.org"): only an obfuscated
	// dot or a mail provider's domain makes it an address.
	if form == atWord && !dotted && !mailProvider(firstLabel) {
		return 0, false
	}
	score := scoreEmail
	if form != atSign || dotted {
		score = scoreEmailObfuscated
	}
	s.add(found{typ: engine.PIIEmail, start: start, end: end, score: score})
	return end, true
}

// localStart walks back from end over the characters of a local part and
// returns where it starts. A local part longer than maxLocal is not one.
func (s *scanner) localStart(end int) (int, bool) {
	i := end
	for k := 0; ; k++ {
		f, n := s.before(i)
		if !isLetter(f) && !isDigit(f) && f != '.' && f != '_' && f != '%' && f != '+' && f != '-' {
			break
		}
		if k == maxLocal {
			return 0, false
		}
		i -= n
	}
	// Dots and signs at the start belong to the sentence, not the address.
	for i < end {
		f, n := s.at(i)
		if f != '.' && f != '+' && f != '-' && f != '%' {
			break
		}
		i += n
	}
	if f, _ := s.before(end); i == end || f == '.' {
		return 0, false
	}
	// A local part of signs alone ("%@0.AA") is not a mailbox.
	for j := i; j < end; {
		f, n := s.at(j)
		if isLetter(f) || isDigit(f) {
			return i, true
		}
		j += n
	}
	return 0, false
}

// domain reads a domain name at i: labels of letters, digits and hyphens
// separated by dots, plain or obfuscated, ending in an alphabetic top-level
// label of two letters or more. It returns the end of the last label that
// makes a valid domain, the first label, and whether an obfuscated dot was used.
func (s *scanner) domain(i int) (end int, first string, dotted, ok bool) {
	j, labels, obfuscated := i, 0, false
	for j-i <= maxDomain {
		start, alpha := j, true
		for {
			f, n := s.at(j)
			if !isLetter(f) && !isDigit(f) && f != '-' || j-i > maxDomain {
				break
			}
			alpha = alpha && isLetter(f)
			j += n
		}
		if j == start {
			break
		}
		labels++
		if labels == 1 {
			first = s.text[start:j]
		} else if alpha && j-start >= 2 {
			end, dotted, ok = j, obfuscated, true
		}
		next, obf, dot := s.domainDot(j)
		if !dot {
			break
		}
		obfuscated = obfuscated || obf
		j = next
	}
	return end, first, dotted, ok
}

// domainDot reads the dot after a domain label at j: '.', " dot ",
// "(dot)", "[dot]", "닷" or "점", and returns where the next label starts.
func (s *scanner) domainDot(j int) (next int, obfuscated, ok bool) {
	if f, n := s.at(j); f == '.' {
		return j + n, false, s.labelAt(j + n)
	}
	k, before := s.spaces(j, 0)
	after := 0
	switch f, n := s.at(k); {
	case f == 'd' || f == 'D':
		end, ok := s.asciiWord(k, "dot")
		if !ok || before == 0 {
			return 0, false, false
		}
		if k, after = s.spaces(end, 0); after == 0 {
			return 0, false, false
		}
	case f == '(' || f == '[' || f == '{':
		end, ok := s.asciiWord(k+n, "dot")
		g, m := s.at(end)
		if !ok || g != ')' && g != ']' && g != '}' {
			return 0, false, false
		}
		k, _ = s.spaces(end+m, 0)
	case f == '닷' || f == '점':
		k, _ = s.spaces(k+n, 0)
	default:
		return 0, false, false
	}
	return k, true, s.labelAt(k)
}

func (s *scanner) labelAt(i int) bool {
	f, _ := s.at(i)
	return isLetter(f) || isDigit(f)
}

// asciiWord matches the lower-case ASCII word w at i, in any case and width,
// as a whole word, and returns where it ends.
func (s *scanner) asciiWord(i int, w string) (int, bool) {
	for k := 0; k < len(w); k++ {
		f, n := s.at(i)
		if lower(f) != rune(w[k]) {
			return 0, false
		}
		i += n
	}
	if f, _ := s.at(i); isLetter(f) {
		return 0, false
	}
	return i, true
}

// spacesBack steps back over up to two spaces before i.
func (s *scanner) spacesBack(i int) (int, int) {
	count := 0
	for ; count < 2; count++ {
		f, n := s.before(i)
		if f != ' ' {
			break
		}
		i -= n
	}
	return i, count
}

// mailProvider reports whether a domain's first label names a large mail
// provider, whose domain makes "name at naver.com" an address.
func mailProvider(label string) bool {
	if len(label) > len("protonmail") {
		return false
	}
	var buf [len("protonmail")]byte
	for i := 0; i < len(label); i++ {
		buf[i] = byte(lower(rune(label[i])))
	}
	switch string(buf[:len(label)]) {
	case "gmail", "googlemail", "naver", "daum", "hanmail", "kakao", "nate", "yahoo",
		"hotmail", "outlook", "live", "msn", "icloud", "proton", "protonmail", "korea":
		return true
	}
	return false
}
