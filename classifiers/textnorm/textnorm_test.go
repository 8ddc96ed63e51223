package textnorm

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain korean", "안녕하세요 여러분", "안녕하세요 여러분"},
		{"digit inserted", "시1발", "시발"},
		{"symbol inserted", "씨@발", "씨발"},
		{"several symbols", "씨~~~발", "씨발"},
		{"zero width", "시\u200b발", "시발"},
		{"hangul filler", "시\u3164발", "시발"},
		{"spaced syllables kept as tokens", "시 발", "시 발"},
		{"initials kept", "ㅅㅂ ㅂㅅ", "ㅅㅂ ㅂㅅ"},
		{"typed jamo composed", "ㅅㅣㅂㅏㄹ", "시발"},
		{"jamo next to syllable", "시ㅂㅏㄹ", "시발"},
		{"laughter untouched", "ㅋㅋㅋㅋ ㅠㅠ", "ㅋㅋ ㅠㅠ"},
		{"laughter and tears", "ㅋㅋㅠㅠ", "ㅋㅋㅠㅠ"},
		{"halfwidth jamo", "\uffb5\uffb2", "ㅅㅂ"},
		{"halfwidth syllable", "\uffb5\uffc2", "사"},
		{"circled jamo", "㉦㉥", "ㅅㅂ"},
		{"leet", "sh1t", "shit"},
		{"leet symbols", "a$$hole", "asshole"},
		{"leading at", "@ss", "ass"},
		{"mask", "f*ck", "f*ck"},
		{"mask at end is punctuation", "fuck*", "fuck"},
		{"bang after word", "hello!", "hello"},
		{"bang inside word", "sh!t", "shit"},
		{"repeats", "fuuuuuck", "fuuck"},
		{"dotted letters", "f.u.c.k", "f u c k"},
		{"cyrillic", "fuсk", "fuck"},
		{"greek", "fυck", "fuck"},
		{"fullwidth", "ｆｕｃｋ ＳＨＩＴ", "fuck shit"},
		{"math bold", "𝐟𝐮𝐜𝐤", "fuck"},
		{"accents", "fück", "fuck"},
		{"ligature", "ﬁne", "fine"},
		{"numbers stay", "covid-19 2024년", "covid 19 2024년"},
		{"time then word", "3시 발표", "3시 발표"},
		{"control chars", "a\x00b\tc", "a b c"},
		{"invalid utf8", "ab\xffcd", "ab cd"},
		{"english keyboard korean", "tlqkf", "tlqkf"},
		{"emoji inside a word is noise", "시👍발", "시발"},
		{"emoji between words", "좋아 👍 요", "좋아 요"},
		{"elongated vowel", "씨이이이발", "씨이발"},
		{"elongation of a compound vowel", "쉬이이발", "쉬이발"},
		{"elongation keeps one repeat", "기이이하다", "기이하다"},
		{"one repeat is a word", "기이하다 이이 시이다", "기이하다 이이 시이다"},
		{"different vowels", "아이 오이 우유 나아가다", "아이 오이 우유 나아가다"},
		{"final consonant ends elongation", "발아아아", "발아아"},
		{"bare vowel after syllable", "씨ㅣ발", "씨발"},
		{"bare vowels after syllable", "씨ㅣㅣㅣ발", "씨발"},
		{"bare vowels and syllables", "씨ㅣ이ㅣ이발", "씨이발"},
		{"bare vowel before typed jamo", "씨ㅣㅂㅏㄹ", "씨발"},
		{"typed jamo elongated", "ㅅㅣㅣㅂㅏㄹ", "시발"},
		{"tears after syllable", "좋아ㅠㅠ 우ㅜㅜ", "좋아ㅠㅠ 우"},
		{"right-to-left override", "\u202e발씨\u202c", "씨발"},
		{"override latin", "\u202ekcuf\u202c", "fuck"},
		{"override inside text", "you \u202ekcuf\u202c off", "you fuck off"},
		{"override over words", "\u202effo kcuf\u202c", "fuck off"},
		{"override without end", "\u202ekcuf", "fuck"},
		{"override ends with paragraph", "\u202eba\ndc", "ab dc"},
		{"left-to-right override inside", "\u202eb\u202dxy\u202ca\u202c", "axyb"},
		{"isolate inside override", "\u202eba \u2066cd\u2069\u202c", "cd ab"},
		{"pdi closes override", "\u2067\u202eba\u2069cd", "abcd"},
		{"isolate keeps order", "\u2067abc\u2069 \u2066시발\u2069", "abc 시발"},
		{"embedding keeps order", "\u202babc\u202c", "abc"},
		{"reversed typed jamo", "\u202eㄹㅏㅂㅣㅅ\u202c", "시발"},
		{"small capitals", "ꜰᴜᴄᴋ ꜱʜɪᴛ", "fuck shit"},
		{"small capitals all", "ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘꞯʀꜱᴛᴜᴠᴡʏᴢ", "abcdefghijklmnopqrstuvwyz"},
		{"regional indicators", "🇫🇺🇨🇰", "fuck"},
		{"flag", "한국 🇰🇷 화이팅", "한국 kr 화이팅"},
		{"negative squared letters", "🅵🆄🅲🅺 🅕🅤🅒🅚", "fuck fuck"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in).String(); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestSpans checks that letters map back to exactly the original code
// points they came from.
func TestSpans(t *testing.T) {
	tests := []struct {
		in         string
		i, j       int // letters
		start, end int // original code points
	}{
		{"아 시1발 진짜", 1, 3, 2, 5},
		{"ㅅㅣㅂㅏㄹ", 0, 2, 0, 5},
		{"x fuuuuuck y", 1, 6, 2, 10},
		{"ab\xffcd", 2, 4, 3, 5},
		{"ﬁne", 0, 2, 0, 1},
		{"시\u200b발", 0, 2, 0, 3},
		{"씨이이이발", 0, 3, 0, 5},
		{"씨이이이발", 1, 2, 1, 4},
		{"씨ㅣ발", 0, 2, 0, 3},
		{"씨ㅣㅂㅏㄹ", 1, 2, 2, 5},
		{"\u202e발씨\u202c", 0, 2, 1, 3},
		{"\u202e발씨\u202c", 0, 1, 2, 3},
		{"a \u202ekcuf\u202c b", 1, 5, 3, 7},
		{"a \u202ekcuf\u202c b", 1, 2, 6, 7},
		{"a \u202ekcuf\u202c b", 5, 6, 9, 10},
		{"\u202ekcuuuuf\u202c", 0, 5, 1, 8},
		{"\u202ekcuuuuf\u202c", 2, 3, 3, 6},
		{"\u202eㄹㅏㅂㅣㅅ\u202c", 0, 1, 4, 6},
		{"\u202eㄹㅏㅂㅣㅅ\u202c", 0, 2, 1, 6},
		{"ꜰᴜᴄᴋ", 1, 3, 1, 3},
		{"🇫🇺🇨🇰", 0, 4, 0, 4},
	}
	for _, tt := range tests {
		n := Normalize(tt.in)
		s, e := n.Span(tt.i, tt.j)
		if s != tt.start || e != tt.end {
			t.Errorf("Normalize(%q).Span(%d,%d) = [%d,%d), want [%d,%d)", tt.in, tt.i, tt.j, s, e, tt.start, tt.end)
		}
	}
}

func TestResetReuses(t *testing.T) {
	var n Text
	n.Reset("씨@발 놈아")
	n.Reset("hi")
	if n.String() != "hi" || n.Len() != 2 || n.OriginalLen() != 2 {
		t.Errorf("after Reset: %q len %d", n.String(), n.Len())
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"시1발", "ㅅㅣㅂㅏㄹ", "f*ck", "a$$", "\xff\xfe", "ﬁ㈜", "ㅋㅋㅠㅠ", "ｆｕｃｋ", "\u200b\u3164", "시ㅂㅏㄹ놈ㅇ",
		"씨이이이발", "씨ㅣ이ㅣ발", "ㅅㅣㅣㅂㅏㅏㄹ", "뭐어어ㅓ", "ꜰᴜᴄᴋ", "🇫🇺🇨🇰 🅵🆄", "\u202ekcuf\u202c", "a \u202e발씨\u202c b",
		"\u202eb\u202dx\xffy\u202ca\ncd", "\u2067\u202eﬁ\u2069\u2069\u202c", "\u202eㄹㅏㅂㅣㅅ", strings.Repeat("\u202e\u2066", 70) + "ab",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		orig := utf8.RuneCountInString(s)
		if n.OriginalLen() != orig {
			t.Fatalf("OriginalLen = %d, want %d", n.OriginalLen(), orig)
		}
		if !utf8.Valid(n.Compact()) {
			t.Fatal("compact form is not valid UTF-8")
		}
		// Letters shown in reverse order by a bidi override come from the
		// original in reverse.
		reordered := hasBidiControl(s)
		prevEnd := 0
		for i := range n.Len() {
			start, end := n.Span(i, i+1)
			if start < 0 || end > orig || start >= end {
				t.Fatalf("letter %d maps to [%d,%d) of %d code points", i, start, end, orig)
			}
			if s, e := n.Span(0, i+1); s > start || e < end {
				t.Fatalf("Span(0,%d) = [%d,%d) does not hold letter %d at [%d,%d)", i+1, s, e, i, start, end)
			}
			if start < prevEnd-1 && i > 0 && !reordered {
				// letters from one decomposed code point share a span;
				// otherwise spans move forward.
				ps, _ := n.Span(i-1, i)
				if ps != start {
					t.Fatalf("letter %d starts at %d, before the previous letter's end %d", i, start, prevEnd)
				}
			}
			prevEnd = end
			if got := n.LetterAt(n.ByteOffset(i)); got != i {
				t.Fatalf("LetterAt(ByteOffset(%d)) = %d", i, got)
			}
		}
		if reordered || !utf8.ValidString(s) || strings.ContainsFunc(s, isParagraphSeparator) {
			return
		}
		// Text written backwards under a right-to-left override reads as
		// the text itself, and a left-to-right override changes nothing.
		want := n.String()
		runes := []rune(s)
		slices.Reverse(runes)
		if got := Normalize("\u202e" + string(runes) + "\u202c").String(); got != want {
			t.Fatalf("reversed under RLO: %q, want %q", got, want)
		}
		if got := Normalize("\u202d" + s + "\u202c").String(); got != want {
			t.Fatalf("under LRO: %q, want %q", got, want)
		}
	})
}

// BenchmarkNormalize normalises typical chat messages into a reused Text,
// as the text classifier does for every message.
func BenchmarkNormalize(b *testing.B) {
	for _, bc := range []struct{ name, text string }{
		{"korean", "오늘 광장 행사 몇 시에 시작해요? 친구랑 같이 가려고요"},
		{"english", "Does anyone know when the library opens tomorrow?"},
		{"obfuscated", "아 시1발 ㅅㅣㅂㅏㄹ 진짜 f*ck ｆｕｃｋ sh1t fuuuuck"},
		{"bidi", "you \u202ekcuf\u202c off \u2067씨이이발\u2069 ꜰᴜᴄᴋ 🇫🇺🇨🇰"},
		{"long", strings.Repeat("민원 접수는 2층 창구로 가시면 됩니다. Thanks! ", 40)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var t Text
			b.SetBytes(int64(len(bc.text)))
			b.ReportAllocs()
			for b.Loop() {
				t.Reset(bc.text)
			}
		})
	}
}
