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
		// benign
		{"allow word", "오늘이 새로운 시발점이다", nil},
		{"across words", "다시 발견했다", nil},
		{"time then word", "3 시 발표", nil},
		{"scunthorpe", "the class assessment", nil},
		{"hello bang", "hello!", nil},
		{"disease", "병 신고 접수", nil},
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
