// Package textcnn is Haechi's second text model: a convolutional network
// over the letters of normalised text, each letter given as its own id and,
// for Hangul, the ids of its three jamo, so that spellings that differ in
// one jamo (씨발, 씨빨, 시발) start close together. The network is trained
// in PyTorch (scripts/train_text_cnn.py) on ids this package writes, and
// served here with ONNX Runtime; the encoding of text into ids is defined
// once, in this file, for both.
package textcnn

import (
	"unicode"

	"github.com/haechi-tns/haechi/classifiers/textnorm"
)

// UnitWidth is the number of ids that describe one letter: the letter's own
// id, then its initial, medial and final jamo (0 when it has none).
const UnitWidth = 4

// Reserved letter ids. Letters missing from the vocabulary get the id of
// their script, so an unseen Hangul syllable still reads as Hangul (and its
// jamo still carry its sound).
const (
	PadID  = iota // padding after the end of a text
	SepID         // a boundary between tokens
	MaskID        // a masked letter, used only in pretraining
	unkHangul
	unkLatin
	unkDigit
	unkHan
	unkOther
	FirstLetterID // the vocabulary's first letter
)

// Jamo id ranges: initial 1..19, medial 1..21, final 1..27; 0 is none.
const (
	NumInitials = 19 + 1
	NumMedials  = 21 + 1
	NumFinals   = 27 + 1
)

const (
	syllableBase = 0xAC00
	syllableLast = 0xD7A3
	compatFirst  = 0x3131 // ㄱ
	compatVowel  = 0x314F // ㅏ
	compatLast   = 0x3163 // ㅣ
)

// compatInitial maps Hangul compatibility consonants (ㄱ..ㅎ) to initial
// jamo ids (1-based); consonant clusters that cannot begin a syllable map
// to the final-jamo table instead (compatFinal).
var compatInitial, compatFinal [compatVowel - compatFirst]int8

func init() {
	// The 19 initials in Unicode order, as compatibility letters.
	initials := []rune("ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ")
	for i, r := range initials {
		compatInitial[r-compatFirst] = int8(i + 1)
	}
	// The 27 finals in Unicode order.
	finals := []rune("ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ")
	for i, r := range finals {
		if compatInitial[r-compatFirst] == 0 {
			compatFinal[r-compatFirst] = int8(i + 1)
		}
	}
}

// Jamo returns the initial, medial and final jamo ids of r (each 0 when r
// has none): a syllable has all three (final 0 when open), a typed-alone
// consonant has an initial (or a final, for clusters), a vowel a medial.
func Jamo(r rune) (initial, medial, final int) {
	switch {
	case r >= syllableBase && r <= syllableLast:
		s := int(r - syllableBase)
		return s/588 + 1, (s%588)/28 + 1, s % 28
	case r >= compatFirst && r < compatVowel:
		return int(compatInitial[r-compatFirst]), 0, int(compatFinal[r-compatFirst])
	case r >= compatVowel && r <= compatLast:
		return 0, int(r-compatVowel) + 1, 0
	}
	return 0, 0, 0
}

// unknownID is the id of a letter the vocabulary does not hold.
func unknownID(r rune) int {
	switch {
	case r >= syllableBase && r <= syllableLast, r >= compatFirst && r <= compatLast:
		return unkHangul
	case r < 0x250 && unicode.IsLetter(r):
		return unkLatin
	case unicode.IsDigit(r):
		return unkDigit
	case unicode.Is(unicode.Han, r):
		return unkHan
	}
	return unkOther
}

// LongNumber is the length from which a run of digits is left out of the
// units. Long numbers are phone, account and order numbers: the spam in the
// text messages the spam head learns from is full of them and the ham
// seldom has one, so a model that saw them learnt "a phone number is spam"
// (0.98 on "제 번호는 010-1234-5678이에요"). Short numbers stay: "18" is
// Korean profanity, "2" and "4" stand for words in English.
const LongNumber = 3

// Encoding names the way Encode turns text into units; a manifest states
// the encoding its model was trained on and Open refuses any other.
const Encoding = 2

// Encode appends the units of t (normalised text) to dst, UnitWidth ids per
// unit: the letters of each token, with a SepID between tokens, at most
// maxUnits units in all, leaving out runs of LongNumber or more digits. It
// returns the extended slice.
func (v *Vocab) Encode(t *textnorm.Text, maxUnits int, dst []int64) []int64 {
	letters := t.Letters()
	n := 0
	sep := false // a SepID is owed before the next letter
	for i := 0; i < len(letters) && n < maxUnits; i++ {
		if i > 0 && t.TokenStart(i) {
			sep = n > 0
		}
		r := letters[i]
		if isDigit(r) {
			j := i + 1
			for j < len(letters) && isDigit(letters[j]) && !t.TokenStart(j) {
				j++
			}
			if j-i >= LongNumber {
				i = j - 1
				continue
			}
		}
		if sep {
			dst = append(dst, SepID, 0, 0, 0)
			sep = false
			if n++; n >= maxUnits {
				break
			}
		}
		a, b, c := Jamo(r)
		dst = append(dst, int64(v.ID(r)), int64(a), int64(b), int64(c))
		n++
	}
	return dst
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }
