package lexicon

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/haechi-tns/haechi/classifiers/textnorm"
	"github.com/haechi-tns/haechi/engine"
)

func testLexicon(t testing.TB) *Lexicon {
	t.Helper()
	l, err := FromFS(os.DirFS("testdata"), ".")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

type found struct {
	cat  engine.Category
	text string // the original text under the span
}

func match(l *Lexicon, s string) []found {
	var out []found
	runes := []rune(s)
	for _, m := range l.Match(textnorm.Normalize(s), nil) {
		out = append(out, found{m.Category, string(runes[m.Start:m.End])})
	}
	return out
}

func TestMatch(t *testing.T) {
	l := testLexicon(t)
	tests := []struct {
		name string
		text string
		want []found
	}{
		{"plain", "이 씨발 진짜", []found{{"profanity", "씨발"}}},
		{"with particle", "씨발놈아", []found{{"profanity", "씨발"}}},
		{"inserted digit", "시1발", []found{{"profanity", "시1발"}}},
		{"inserted symbol", "씨@발", []found{{"profanity", "씨@발"}}},
		{"spaced syllables", "시 발", []found{{"profanity", "시 발"}}},
		{"spaced initials", "ㅅ ㅂ", []found{{"profanity", "ㅅ ㅂ"}}},
		{"initials", "아 ㅅㅂ 짜증나", []found{{"profanity", "ㅅㅂ"}}},
		{"typed jamo", "ㅅㅣㅂㅏㄹ", []found{{"profanity", "ㅅㅣㅂㅏㄹ"}}},
		{"zero width", "씨\u200b발", []found{{"profanity", "씨\u200b발"}}},
		{"english keyboard", "tlqkf 뭐야", []found{{"profanity", "tlqkf"}}},
		{"phrase spaced", "요즘 너무 죽고 싶다", []found{{"self_harm", "죽고 싶다"}}},
		{"phrase unspaced", "죽고싶다", []found{{"self_harm", "죽고싶다"}}},
		{"english prefix", "fucking hell", []found{{"profanity", "fucking"}}},
		{"english masked", "f*ck this", []found{{"profanity", "f*ck"}}},
		{"english leet", "sh1t happens", []found{{"profanity", "sh1t"}}},
		{"english repeated", "fuuuuuck", []found{{"profanity", "fuuuuuck"}}},
		{"english doubled", "shiit", []found{{"profanity", "shiit"}}},
		{"english dotted", "f.u.c.k", []found{{"profanity", "f.u.c.k"}}},
		{"cyrillic", "fuсk", []found{{"profanity", "fuсk"}}},
		{"fullwidth", "ｓｈｉｔ", []found{{"profanity", "ｓｈｉｔ"}}},
		{"english phrase", "just kill yourself", []found{{"harassment", "kill yourself"}}},
		{"leet symbols", "you a$$", []found{{"profanity", "a$$"}}},
		{"elongated", "씨이이이발 진짜", []found{{"profanity", "씨이이이발"}}},
		{"elongated once", "아 시이발", []found{{"profanity", "시이발"}}},
		{"elongated with particle", "병신이이이야", []found{{"insult", "병신"}}},
		{"stray vowel", "씨ㅣ발 뭐야", []found{{"profanity", "씨ㅣ발"}}},
		{"stray vowel and typed jamo", "씨ㅣㅂㅏㄹ", []found{{"profanity", "씨ㅣㅂㅏㄹ"}}},
		{"right-to-left override", "이 \u202e발씨\u202c 진짜", []found{{"profanity", "발씨"}}},
		{"right-to-left override english", "\u202ekcuf\u202c this", []found{{"profanity", "kcuf"}}},
		{"override over words", "just \u202eflesruoy llik\u202c", []found{{"harassment", "flesruoy llik"}}},
		{"small capitals", "ꜰᴜᴄᴋ this", []found{{"profanity", "ꜰᴜᴄᴋ"}}},
		{"regional indicators", "🇫🇺🇨🇰 this", []found{{"profanity", "🇫🇺🇨🇰"}}},
		// benign
		{"allow word", "오늘이 새로운 시발점이다", nil},
		{"across words", "다시 발견했다", nil},
		{"time then word", "3 시 발표", nil},
		{"scunthorpe", "the class assessment", nil},
		{"hello bang", "hello!", nil},
		{"disease", "병 신고 접수", nil},
		{"drawn-out words", "아이 오이 우유 기이하다 이이 시이다", nil},
		{"drawn-out allow word", "새로운 시이발점", nil},
		{"flags", "🇰🇷 🇺🇸 🇬🇧 팀 화이팅", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := match(l, tt.text)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Match(%q) = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
}

// TestVariants: drawn-out spellings of an entry match as the entry, except
// where the lexicon lists the spelling itself, and a Hangul entry that may
// match inside words does not stretch over the next word.
func TestVariants(t *testing.T) {
	l, err := New([]Entry{
		{Term: "씨발", Category: engine.Profanity, Weight: 0.95},
		{Term: "씨이발", Category: engine.Profanity, Weight: 0.85},
		{Term: "지랄", Category: engine.Profanity, Weight: 0.8},
		{Term: "시바", Category: engine.Profanity, Weight: 0.7, Bound: BoundWord},
		{Term: "몰카", Category: engine.Sexual, Weight: 0.7},
	}, "test")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text, term, under string
		weight            float64
	}{
		{"씨이이이발", "씨이발", "씨이이이발", 0.85},
		{"씨ㅣ발", "씨발", "씨ㅣ발", 0.95},
		{"지이이랄", "지랄", "지이이랄", 0.8},
		{"시바아아", "시바", "시바아아", 0.7},
		{"몰카아냐", "몰카", "몰카", 0.7},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got := l.Match(textnorm.Normalize(tt.text), nil)
			if len(got) != 1 {
				t.Fatalf("Match(%q) = %v, want one match", tt.text, got)
			}
			m := got[0]
			if under := string([]rune(tt.text)[m.Start:m.End]); m.Term != tt.term || m.Weight != tt.weight || under != tt.under {
				t.Errorf("Match(%q) = %s %.2f over %q, want %s %.2f over %q", tt.text, m.Term, m.Weight, under, tt.term, tt.weight, tt.under)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, line, want string }{
		{"fields", "씨발\tprofanity", "fields"},
		{"weight", "씨발\tprofanity\t2", "weight"},
		{"category", "씨발\tcurse\t0.9", "unknown category"},
		{"toxic", "씨발\ttoxic\t0.9", "unknown category"},
		{"flag", "씨발\tprofanity\t0.9\tfuzzy", "unknown flag"},
		{"allow category", "시발점\tprofanity\t1\tallow", "allow entries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader("# c\n"+tt.line+"\n"), "x.tsv")
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "x.tsv:2") {
				t.Errorf("Parse error = %v, want one naming x.tsv:2 and %q", err, tt.want)
			}
		})
	}
}
