package pii_test

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/haechi-tns/haechi/classifiers/pii"
	"github.com/haechi-tns/haechi/engine"
)

func FuzzDetect(f *testing.F) {
	for _, seed := range []string{
		"",
		"연락처 010-1234-5678 로 주세요",
		"+82 10-1234-5678, +821012345678, 82 10-1234-5678",
		"주민 " + withCheck("900101-123456", false) + " 외국인 " + withCheck("900101-523456", true),
		"번호 ０１０－１２３４－５６７８ 입니다",
		"010\u200b1234\u200d5678 (02)1234-5678",
		"공일공 일이삼사 오육칠팔이에요 010 일이삼사 오육칠팔",
		"hong (at) example (dot) com, kim 골뱅이 naver 닷 com, a@b.co",
		"여권 M12345678 passport m123a4567 면허 서울 23-123456-78",
		"카드 " + luhnComplete("4111 1111 1111 111", true) + " 계좌 110-123-456789",
		"사업자 " + businessNumber("123-45-6789", true),
		"\xff010-1234-5678\xfe a\xe4\xb8 010 1234 5678 \xc3",
		"1,234,567원 2024-01-15 14:30 192.168.100.200 v1.2.3 A20240101123456",
	} {
		f.Add(seed)
	}
	d := pii.New(pii.WithClock(fixedClock))
	f.Fuzz(func(t *testing.T, text string) {
		spans := d.Detect(text)
		runes := []rune(text) // invalid bytes become U+FFFD, one rune each, as Detect counts them
		if len(runes) != utf8.RuneCountInString(text) {
			t.Fatalf("rune count mismatch")
		}
		end := 0
		for i, s := range spans {
			if s.Start < end || s.Start >= s.End || s.End > len(runes) {
				t.Fatalf("span %d %+v: out of order, empty or out of [0,%d]: %v", i, s, len(runes), spans)
			}
			if !(s.Score > 0 && s.Score <= 1) {
				t.Fatalf("span %d %+v: score outside (0,1]", i, s)
			}
			if !knownType(s.Type) {
				t.Fatalf("span %d %+v: unknown type", i, s)
			}
			// Every span starts and ends on the personal information itself,
			// never on a separator or a space: offsets that drifted would.
			first, last := runes[s.Start], runes[s.End-1]
			if !unicode.IsDigit(first) && !unicode.IsLetter(first) && !strings.ContainsRune("+＋(（", first) &&
				!(s.Type == engine.PIIEmail && (first == '_' || first == '＿')) {
				t.Fatalf("span %d %+v starts on %q", i, s, first)
			}
			if !unicode.IsDigit(last) && !unicode.IsLetter(last) {
				t.Fatalf("span %d %+v ends on %q", i, s, last)
			}
			end = s.End
		}
		prior := []engine.PIISpan{{Type: engine.PIIEmail, Start: 0, End: 1, Score: 1}}
		if got := d.AppendDetect(prior, text); !slices.Equal(got[1:], spans) || got[0] != prior[0] {
			t.Fatalf("AppendDetect = %v, want %v after the prior span", got, spans)
		}
	})
}

func knownType(t engine.PIIType) bool {
	switch t {
	case engine.PIIResidentRegistration, engine.PIIForeignerRegistration, engine.PIIBusinessRegistration,
		engine.PIIPassport, engine.PIIDriverLicense, engine.PIIPhone, engine.PIIEmail, engine.PIICard,
		engine.PIIBankAccount:
		return true
	}
	return false
}
