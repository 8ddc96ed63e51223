package textnorm

// Hangul syllables are composed from an initial consonant (L), a vowel (V)
// and an optional final consonant (T): syllable = base + (L*21+V)*28 + T.
const (
	syllableBase   = 0xAC00
	syllableLast   = 0xD7A3
	vowelCount     = 21
	finalCount     = 28
	compatFirst    = 0x3131
	compatLast     = 0x318E
	hangulFiller   = 0x3164
	choseongFirst  = 0x1100
	jungseongFirst = 0x1161
	jongseongFirst = 0x11A8
)

// Compatibility jamo (the ones people type) in the order of the Unicode
// syllable algorithm's indices.
var (
	initials = []rune("ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ")
	vowels   = []rune("ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ")
	// finals[0] is "no final".
	finals = []rune("\x00ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ")
)

// Index tables from compatibility jamo to syllable indices; -1 where the
// jamo cannot take that place.
var (
	initialIndex [compatLast - compatFirst + 1]int8
	vowelIndex   [compatLast - compatFirst + 1]int8
	finalIndex   [compatLast - compatFirst + 1]int8
)

func init() {
	for i := range initialIndex {
		initialIndex[i], vowelIndex[i], finalIndex[i] = -1, -1, -1
	}
	for i, r := range initials {
		initialIndex[r-compatFirst] = int8(i)
	}
	for i, r := range vowels {
		vowelIndex[r-compatFirst] = int8(i)
	}
	for i, r := range finals[1:] {
		finalIndex[r-compatFirst] = int8(i + 1)
	}
}

func isSyllable(r rune) bool { return r >= syllableBase && r <= syllableLast }

func isCompatJamo(r rune) bool { return r >= compatFirst && r <= compatLast && r != hangulFiller }

// isHangul reports whether r is a Hangul syllable or a compatibility jamo.
func isHangul(r rune) bool { return isSyllable(r) || isCompatJamo(r) }

func jamoIndex(table *[compatLast - compatFirst + 1]int8, r rune) int {
	if r < compatFirst || r > compatLast {
		return -1
	}
	return int(table[r-compatFirst])
}

// conjoiningToCompat maps a conjoining jamo (U+1100 block, what NFKD makes
// of compatibility and half-width jamo) to the compatibility jamo people
// type. It returns 0 for fillers and jamo with no modern equivalent.
func conjoiningToCompat(r rune) rune {
	switch {
	case r >= choseongFirst && r < choseongFirst+rune(len(initials)):
		return initials[r-choseongFirst]
	case r >= jungseongFirst && r < jungseongFirst+vowelCount:
		return vowels[r-jungseongFirst]
	case r >= jongseongFirst && r < jongseongFirst+finalCount-1:
		return finals[r-jongseongFirst+1]
	}
	return 0
}

// initialOf returns the initial consonant of a syllable as a compatibility
// jamo, for matching initials-only spellings (ㅅㅂ).
func initialOf(r rune) rune {
	return initials[(r-syllableBase)/(vowelCount*finalCount)]
}

func compose(l, v, t int) rune {
	return rune(syllableBase + (l*vowelCount+v)*finalCount + t)
}

// vowelTail gives, for each vowel, the vowel that is heard last and so is
// the one written to draw it out: 쉬이, 뭐어, 야아, 돼애.
var vowelTail = [vowelCount]int8{
	0,  // ㅏ
	1,  // ㅐ
	0,  // ㅑ
	1,  // ㅒ
	4,  // ㅓ
	5,  // ㅔ
	4,  // ㅕ
	5,  // ㅖ
	8,  // ㅗ
	0,  // ㅘ
	1,  // ㅙ
	5,  // ㅚ
	8,  // ㅛ
	13, // ㅜ
	4,  // ㅝ
	5,  // ㅞ
	20, // ㅟ
	13, // ㅠ
	18, // ㅡ
	20, // ㅢ
	20, // ㅣ
}

// initialIeung is the index of ㅇ, the silent initial of a syllable that is
// only a vowel.
const initialIeung = 11

// isVowelOnly reports whether r is a syllable of ㅇ and a vowel, without a
// final consonant (이, 어, 와), the only kind that can draw out a vowel.
func isVowelOnly(r rune) bool {
	const first = syllableBase + initialIeung*vowelCount*finalCount
	return r >= first && r < first+vowelCount*finalCount && (r-first)%finalCount == 0
}

// drawnOut returns the index of the vowel that draws out the vowel of r
// (씨 → ㅣ, 뭐 → ㅓ) when r is a syllable without a final consonant.
func drawnOut(r rune) (int, bool) {
	if !isSyllable(r) || (r-syllableBase)%finalCount != 0 {
		return 0, false
	}
	return int(vowelTail[(r-syllableBase)%(vowelCount*finalCount)/finalCount]), true
}

// VowelRepeat returns the syllable that draws out the vowel of r (씨 → 이,
// 뭐 → 어, 개 → 애) when r is a Hangul syllable without a final consonant.
// The normaliser keeps one such syllable after r and drops the rest
// (씨이이이발 reads 씨이발), so a matcher that wants drawn-out spellings of
// a word adds it after one syllable at a time.
func VowelRepeat(r rune) (rune, bool) {
	v, ok := drawnOut(r)
	if !ok {
		return 0, false
	}
	return compose(initialIeung, v, 0), true
}
