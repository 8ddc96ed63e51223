package textcnn

import (
	"slices"
	"testing"

	"github.com/haechi-tns/haechi/classifiers/textnorm"
)

func TestJamo(t *testing.T) {
	tests := []struct {
		r       rune
		a, b, c int
	}{
		{'가', 1, 1, 0},
		{'발', 8, 1, 8},    // ㅂ ㅏ ㄹ
		{'빨', 9, 1, 8},    // ㅃ ㅏ ㄹ: one jamo from 발
		{'힣', 19, 21, 27}, // the last syllable
		{'ㅅ', 10, 0, 0},   // a typed-alone consonant is an initial
		{'ㄳ', 0, 0, 3},    // a cluster cannot begin a syllable
		{'ㅏ', 0, 1, 0},
		{'ㅣ', 0, 21, 0},
		{'a', 0, 0, 0},
	}
	for _, tt := range tests {
		a, b, c := Jamo(tt.r)
		if a != tt.a || b != tt.b || c != tt.c {
			t.Errorf("Jamo(%q) = %d %d %d, want %d %d %d", tt.r, a, b, c, tt.a, tt.b, tt.c)
		}
		if a >= NumInitials || b >= NumMedials || c >= NumFinals {
			t.Errorf("Jamo(%q) out of range", tt.r)
		}
	}
}

func TestEncode(t *testing.T) {
	v, err := NewVocab([]rune("시발a"))
	if err != nil {
		t.Fatal(err)
	}
	got := v.Encode(textnorm.Normalize("시1발 ab 빨"), 100, nil)
	want := []int64{
		FirstLetterID, 10, 21, 0, // 시
		FirstLetterID + 1, 8, 1, 8, // 발
		SepID, 0, 0, 0,
		FirstLetterID + 2, 0, 0, 0, // a
		unkLatin, 0, 0, 0, // b is not in the vocabulary
		SepID, 0, 0, 0,
		unkHangul, 9, 1, 8, // 빨: unknown, but its jamo are there
	}
	if !slices.Equal(got, want) {
		t.Errorf("Encode = %v\nwant     %v", got, want)
	}
	if got := v.Encode(textnorm.Normalize("시발 시발 시발"), 4, nil); len(got) != 4*UnitWidth {
		t.Errorf("Encode with maxUnits 4 gave %d units", len(got)/UnitWidth)
	}
	// Long numbers are left out, with the token boundaries around them;
	// short ones stay.
	enc := func(s string) []int64 { return v.Encode(textnorm.Normalize(s), 100, nil) }
	sep := []int64{SepID, 0, 0, 0}
	a := []int64{FirstLetterID + 2, 0, 0, 0}
	if got, want := enc("a 010-1234-5678 a"), slices.Concat(a, sep, a); !slices.Equal(got, want) {
		t.Errorf("phone number: Encode = %v, want %v", got, want)
	}
	if got, want := enc("０１０１２３４５６７８ a"), a; !slices.Equal(got, want) {
		t.Errorf("full-width number first: Encode = %v, want %v", got, want)
	}
	if got, want := enc("a 18"), slices.Concat(a, sep, []int64{unkDigit, 0, 0, 0, unkDigit, 0, 0, 0}); !slices.Equal(got, want) {
		t.Errorf("short number: Encode = %v, want %v", got, want)
	}
	if got := enc("123 4567 89012"); len(got) != 0 {
		t.Errorf("only long numbers gave units %v", got)
	}
	if got := v.Encode(textnorm.Normalize("!!! ..."), 10, nil); len(got) != 0 {
		t.Errorf("text without letters gave units %v", got)
	}
}

func TestBuildVocab(t *testing.T) {
	c := LetterCounts{}
	c.Add([]rune("가가가나나다라"))
	v, err := BuildVocab(c, 2, 10)
	if err != nil {
		t.Fatal(err)
	}
	if string(v.Letters) != "가나" {
		t.Errorf("letters %q, want 가나 (count ≥ 2, most frequent first)", string(v.Letters))
	}
	if v.ID('가') != FirstLetterID || v.ID('다') != unkHangul || v.Size() != FirstLetterID+2 {
		t.Errorf("ids: 가 %d, 다 %d, size %d", v.ID('가'), v.ID('다'), v.Size())
	}
	if _, err := NewVocab([]rune("가가")); err == nil {
		t.Error("a repeated letter was accepted")
	}
}
