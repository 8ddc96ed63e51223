package search

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
)

func TestTerms(t *testing.T) {
	for _, tc := range []struct {
		text string
		doc  []string
		q    []Term
	}{
		{"사기꾼이에요", []string{"사기", "기꾼", "꾼이", "이에", "에요"}, []Term{{"사기", false}, {"기꾼", false}, {"꾼이", false}, {"이에", false}, {"에요", false}}},
		{"돈", []string{"돈"}, []Term{{"돈", true}}},
		{"Scammer 010", []string{"scammer", "010"}, []Term{{"scammer", true}, {"010", true}}},
		{"ｓｃａｍ사기", []string{"scam", "사기"}, []Term{{"scam", true}, {"사기", false}}},
		{"call ⟦phone⟧ now", []string{"call", "now"}, []Term{{"call", true}, {"now", true}}},
		{"...!!", nil, nil},
	} {
		if got := DocTerms(tc.text); !slices.Equal(got, tc.doc) {
			t.Errorf("DocTerms(%q) = %q, want %q", tc.text, got, tc.doc)
		}
		if got := Terms(tc.text); !slices.Equal(got, tc.q) {
			t.Errorf("Terms(%q) = %v, want %v", tc.text, got, tc.q)
		}
	}
}

// fixedDetector finds what it is told to, as code-point spans.
type fixedDetector struct{ find, typ string }

func (f fixedDetector) AppendDetect(dst []engine.PIISpan, text string) []engine.PIISpan {
	if i := strings.Index(text, f.find); i >= 0 {
		start := len([]rune(text[:i]))
		dst = append(dst, engine.PIISpan{Type: engine.PIIType(f.typ), Start: start, End: start + len([]rune(f.find))})
	}
	return dst
}

func TestMask(t *testing.T) {
	m := NewMasker(fixedDetector{"010-1234-5678", "phone"})
	for _, tc := range []struct {
		text  string
		known []engine.PIISpan
		want  string
	}{
		{"전화 010-1234-5678 주세요", nil, "전화 ⟦phone⟧ 주세요"},
		{"메일 a@b.kr 전화 010-1234-5678", []engine.PIISpan{{Type: "email", Start: 3, End: 9}}, "메일 ⟦email⟧ 전화 ⟦phone⟧"},
		// Overlapping spans merge; spans out of range are cut.
		{"abc 010-1234-5678", []engine.PIISpan{{Type: "card", Start: 2, End: 8}, {Type: "x", Start: 40, End: 50}}, "ab⟦card⟧"},
		// The user's own brackets cannot hide text from the index.
		{"⟦hidden⟧ text", nil, "[hidden] text"},
		{"", nil, ""},
	} {
		if got := m.Mask(tc.text, tc.known); got != tc.want {
			t.Errorf("Mask(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
	if got := DocTerms(m.Mask("⟦hidden⟧ text", nil)); !slices.Equal(got, []string{"hidden", "text"}) {
		t.Errorf("terms of a text with brackets: %q", got)
	}
}

func TestSnippetKeepsLabelsWhole(t *testing.T) {
	text := strings.Repeat("가나다라 ", 60) + "⟦phone⟧ 사기꾼 " + strings.Repeat("마바사 ", 60)
	sn := Snippet(text, Terms("사기"))
	if !strings.Contains(sn, "사기꾼") || !strings.HasPrefix(sn, "…") || !strings.HasSuffix(sn, "…") {
		t.Errorf("snippet %q", sn)
	}
	for i := 140; i < 160; i++ {
		short := strings.Repeat("x", i) + "⟦bank_account⟧" + strings.Repeat("y", 200)
		sn := Snippet(short, nil)
		if strings.Count(sn, "⟦") != strings.Count(sn, "⟧") {
			t.Fatalf("label cut at %d: %q", i, sn)
		}
	}
}

func TestQueryValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		q    Query
		ok   bool
	}{
		{"empty", Query{}, true},
		{"bad kind", Query{Kinds: []Kind{"user"}}, false},
		{"invalid utf-8", Query{User: "a\xffb"}, false},
		{"long filter", Query{Space: strings.Repeat("가", MaxFilter+1)}, false},
		{"long text", Query{Text: strings.Repeat("a ", MaxTextQuery)}, false},
		{"punctuation only", Query{Text: "?!"}, false},
		{"too many terms", Query{Text: "a b c d e f g h i j k l m n o p q"}, false},
		{"page too big", Query{Limit: MaxPageSize + 1}, false},
		{"negative page", Query{Limit: -1}, false},
		{"backwards range", Query{From: time.Unix(10, 0), To: time.Unix(5, 0)}, false},
	} {
		err := tc.q.Validate()
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrInvalid)) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	q := Query{}
	q.Validate()
	if q.Limit != DefaultPageSize {
		t.Errorf("default limit %d", q.Limit)
	}
}

func TestCursorRoundTrip(t *testing.T) {
	c := Cursor{At: time.UnixMilli(1764000000123).UTC(), Key: "case:abc:def"}
	got, err := ParseCursor(c.String())
	if err != nil || !got.At.Equal(c.At) || got.Key != c.Key {
		t.Errorf("%+v %v", got, err)
	}
	for _, bad := range []string{"", "!!", "MTIz", "eC5kZWNpc2lvbjph", "MTIzLm5vcGU6eA"} {
		if _, err := ParseCursor(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseCursor(%q) = %v", bad, err)
		}
	}
}
