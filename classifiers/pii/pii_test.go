package pii_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/haechi-tns/haechi/classifiers/pii"
	"github.com/haechi-tns/haechi/engine"
)

// Test numbers are made up and completed with the checksum functions below;
// none belongs to a real person.

// withCheck appends the check digit of a resident (or, with foreign, a
// foreigner) registration number to its first 12 digits, written YYMMDD-GXXXXX.
func withCheck(first12 string, foreign bool) string {
	digits := strings.ReplaceAll(first12, "-", "")
	sum := 0
	for i, w := range []int{2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5} {
		sum += int(digits[i]-'0') * w
	}
	k := 11
	if foreign {
		k = 13
	}
	return fmt.Sprintf("%s%d", first12, (k-sum%11)%10)
}

// wrongCheck is withCheck with a check digit that fails.
func wrongCheck(first12 string, foreign bool) string {
	s := withCheck(first12, foreign)
	last := (s[len(s)-1]-'0'+1)%10 + '0'
	return s[:len(s)-1] + string(rune(last))
}

// businessNumber completes a business registration number written XXX-XX-XXXX.
func businessNumber(first9 string, valid bool) string {
	digits := strings.ReplaceAll(first9, "-", "")
	sum := 0
	for i, w := range []int{1, 3, 7, 1, 3, 7, 1, 3, 5} {
		sum += int(digits[i]-'0') * w
	}
	sum += int(digits[8]-'0') * 5 / 10
	check := (10 - sum%10) % 10
	if !valid {
		check = (check + 1) % 10
	}
	return fmt.Sprintf("%s%d", first9, check)
}

// luhnComplete appends the Luhn check digit to a card number without it,
// keeping its separators. With valid false the digit is off by one.
func luhnComplete(prefix string, valid bool) string {
	var ds []int
	for _, r := range prefix {
		if r >= '0' && r <= '9' {
			ds = append(ds, int(r-'0'))
		}
	}
	sum := 0
	for i := range ds {
		v := ds[len(ds)-1-i]
		if i%2 == 0 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	check := (10 - sum%10) % 10
	if !valid {
		check = (check + 1) % 10
	}
	return fmt.Sprintf("%s%d", prefix, check)
}

// fixedClock is the detector's "today": birth dates after it are in the future.
func fixedClock() time.Time { return time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC) }

func newDetector() *pii.Detector { return pii.New(pii.WithClock(fixedClock)) }

// want is an expected span: its type and the exact text it covers. The
// offsets are those of the first occurrence of text at or after from runes.
type want struct {
	typ  engine.PIIType
	text string
	from int
}

// checkSpans compares spans with wants by offsets, by the text the offsets
// cut out of the original, and by type.
func checkSpans(t *testing.T, text string, got []engine.PIISpan, wants []want) {
	t.Helper()
	runes := []rune(text)
	if len(got) != len(wants) {
		t.Fatalf("Detect(%q) = %d spans %s, want %d", text, len(got), describe(runes, got), len(wants))
	}
	for i, w := range wants {
		g := got[i]
		start := utf8.RuneCountInString(text[:byteIndex(text, w.text, w.from)])
		end := start + utf8.RuneCountInString(w.text)
		if g.Start != start || g.End != end || g.Type != w.typ {
			t.Errorf("Detect(%q)[%d] = %s, want %s [%d,%d) %q", text, i, describe(runes, got[i:i+1]), w.typ, start, end, w.text)
			continue
		}
		if sub := string(runes[g.Start:g.End]); sub != w.text {
			t.Errorf("Detect(%q)[%d] covers %q, want %q", text, i, sub, w.text)
		}
		if g.Score <= 0 || g.Score > 1 {
			t.Errorf("Detect(%q)[%d] score %v out of (0,1]", text, i, g.Score)
		}
	}
}

func byteIndex(text, sub string, fromRune int) int {
	off := 0
	for i := 0; i < fromRune; i++ {
		_, n := utf8.DecodeRuneInString(text[off:])
		off += n
	}
	i := strings.Index(text[off:], sub)
	if i < 0 {
		panic(fmt.Sprintf("test bug: %q not in %q", sub, text))
	}
	return off + i
}

func describe(runes []rune, spans []engine.PIISpan) string {
	var b strings.Builder
	for _, s := range spans {
		sub := "?"
		if s.Start >= 0 && s.End <= len(runes) && s.Start <= s.End {
			sub = string(runes[s.Start:s.End])
		}
		fmt.Fprintf(&b, "{%s [%d,%d) %q %.2f}", s.Type, s.Start, s.End, sub, s.Score)
	}
	return b.String()
}

type detectCase struct {
	name string
	text string
	want []want
}

func runCases(t *testing.T, cases []detectCase) {
	t.Helper()
	d := newDetector()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkSpans(t, tc.text, d.Detect(tc.text), tc.want)
		})
	}
}

func TestResidentRegistration(t *testing.T) {
	rrn := withCheck("900101-123456", false)
	rrn2000 := withCheck("050315-412345", false)
	bare := strings.ReplaceAll(withCheck("851231-298765", false), "-", "")
	spaced := strings.Replace(withCheck("770707-187654", false), "-", " ", 1)
	leap := withCheck("000229-312345", false) // 2000 is a leap year
	old := withCheck("950505-012345", false)  // gender 0: born in the 1800s
	frn := withCheck("900101-523456", true)
	frn2000 := withCheck("030303-712345", true)
	runCases(t, []detectCase{
		{"korean sentence", "제 주민번호는 " + rrn + " 입니다", []want{{engine.PIIResidentRegistration, rrn, 0}}},
		{"english sentence", "my RRN is " + rrn + ", keep it safe", []want{{engine.PIIResidentRegistration, rrn, 0}}},
		{"born in 2000s", "아이 번호 " + rrn2000, []want{{engine.PIIResidentRegistration, rrn2000, 0}}},
		{"bare digits", "주민" + bare + "요", []want{{engine.PIIResidentRegistration, bare, 0}}},
		{"space separator", "번호 " + spaced, []want{{engine.PIIResidentRegistration, spaced, 0}}},
		{"leap day 2000", leap, []want{{engine.PIIResidentRegistration, leap, 0}}},
		{"gender 0 is 1800s", old, []want{{engine.PIIResidentRegistration, old, 0}}},
		{"invalid checksum still reported", "주민번호 " + wrongCheck("900101-123456", false),
			[]want{{engine.PIIResidentRegistration, wrongCheck("900101-123456", false), 0}}},
		{"full-width digits", "주민번호 ９００１０１－" + fullWidth(rrn[7:]) + "입니다",
			[]want{{engine.PIIResidentRegistration, "９００１０１－" + fullWidth(rrn[7:]), 0}}},
		{"foreigner", "외국인등록번호 " + frn, []want{{engine.PIIForeignerRegistration, frn, 0}}},
		{"foreigner 2000s", "ARC " + frn2000, []want{{engine.PIIForeignerRegistration, frn2000, 0}}},
		{"foreigner invalid checksum", wrongCheck("900101-523456", true),
			[]want{{engine.PIIForeignerRegistration, wrongCheck("900101-523456", true), 0}}},

		{"february 30", "번호 " + withCheck("990230-123456", false), nil},
		{"month 13", withCheck("991301-123456", false), nil},
		{"1900 is not a leap year", withCheck("000229-123456", false), nil},
		{"2001 is not a leap year", withCheck("010229-312345", false), nil},
		{"future birth date for gender 3", withCheck("991231-312345", false), nil},
		{"future birth date for foreigner", withCheck("300101-712345", true), nil},
		{"order number glued to letter", "A" + bare + " 주문", nil},
		{"glued to more digits", bare + "7", nil},
		{"twelve digits", bare[:12], nil},
		{"dot separator is not used for RRN", strings.Replace(rrn, "-", ".", 1), nil},
	})
}

func TestRegistrationScoreOrdering(t *testing.T) {
	d := newDetector()
	valid := d.Detect(withCheck("900101-123456", false))
	invalid := d.Detect(wrongCheck("900101-123456", false))
	frnValid := d.Detect(withCheck("900101-523456", true))
	frnInvalid := d.Detect(wrongCheck("900101-523456", true))
	for _, got := range [][]engine.PIISpan{valid, invalid, frnValid, frnInvalid} {
		if len(got) != 1 {
			t.Fatalf("got %v, want one span each", got)
		}
	}
	if valid[0].Score <= invalid[0].Score {
		t.Errorf("checksum-valid RRN scores %v, not above invalid %v", valid[0].Score, invalid[0].Score)
	}
	if frnValid[0].Score <= frnInvalid[0].Score {
		t.Errorf("checksum-valid FRN scores %v, not above invalid %v", frnValid[0].Score, frnInvalid[0].Score)
	}
}

func TestBusinessRegistration(t *testing.T) {
	brn := businessNumber("123-45-6789", true)
	bare := strings.ReplaceAll(businessNumber("220-81-6290", true), "-", "")
	bad := businessNumber("123-45-6789", false)
	runCases(t, []detectCase{
		{"hyphenated", "세금계산서 " + brn + " 로 발행", []want{{engine.PIIBusinessRegistration, brn, 0}}},
		{"bare with context", "사업자등록번호:" + bare, []want{{engine.PIIBusinessRegistration, bare, 0}}},
		{"english context", "Business registration no. " + brn, []want{{engine.PIIBusinessRegistration, brn, 0}}},
		{"bad checksum", "사업자번호 " + bad, nil},
		{"wrong grouping", "사업자 " + strings.ReplaceAll(brn, "-", "")[:5] + "-" + strings.ReplaceAll(brn, "-", "")[5:], nil},
	})
	d := newDetector()
	ctx := d.Detect("사업자등록번호 " + bare)
	noCtx := d.Detect("번호 " + bare)
	hyph := d.Detect("번호 " + brn)
	if len(ctx) != 1 || len(noCtx) != 1 || len(hyph) != 1 {
		t.Fatalf("got %v %v %v", ctx, noCtx, hyph)
	}
	if !(ctx[0].Score > hyph[0].Score && hyph[0].Score > noCtx[0].Score) {
		t.Errorf("scores context %v, hyphenated %v, bare %v: want decreasing", ctx[0].Score, hyph[0].Score, noCtx[0].Score)
	}
}

func TestPassport(t *testing.T) {
	runCases(t, []detectCase{
		{"old format with korean context", "여권번호 M12345678 입니다", []want{{engine.PIIPassport, "M12345678", 0}}},
		{"new format with english context", "passport: m123a4567.", []want{{engine.PIIPassport, "m123a4567", 0}}},
		{"hangul after", "여권은S87654321이에요", []want{{engine.PIIPassport, "S87654321", 0}}},
		{"full-width", "여권 Ｍ１２３４５６７８", []want{{engine.PIIPassport, "Ｍ１２３４５６７８", 0}}},
		{"letter not used by Korea", "여권 X12345678", nil},
		{"nine digits", "passport M123456789", nil},
		{"seven digits", "passport M1234567", nil},
		{"inside a word", "passport AM12345678", nil},
		{"glued after", "passport M12345678B", nil},
	})
	d := newDetector()
	ctx, noCtx := d.Detect("여권 M12345678"), d.Detect("코드 M12345678")
	if len(ctx) != 1 || len(noCtx) != 1 || ctx[0].Score <= noCtx[0].Score {
		t.Errorf("context %v, no context %v: want context to score higher", ctx, noCtx)
	}
}

func TestDriverLicense(t *testing.T) {
	runCases(t, []detectCase{
		{"numeric region", "면허번호 11-23-123456-78", []want{{engine.PIIDriverLicense, "11-23-123456-78", 0}}},
		{"english", "my driver's license is 28-19-654321-01", []want{{engine.PIIDriverLicense, "28-19-654321-01", 0}}},
		{"no context", "번호 13-20-654321-01", []want{{engine.PIIDriverLicense, "13-20-654321-01", 0}}},
		{"region name", "운전면허 서울 23-123456-78", []want{{engine.PIIDriverLicense, "서울 23-123456-78", 0}}},
		{"region name glued", "면허 부산12-345678-90", []want{{engine.PIIDriverLicense, "부산12-345678-90", 0}}},
		{"bare with context", "운전면허번호 112312345678", []want{{engine.PIIDriverLicense, "112312345678", 0}}},
		{"region 29", "면허번호 29-23-123456-78", nil},
		{"region 10", "면허번호 10-23-123456-78", nil},
		{"bare without context", "송장 112312345678", nil},
		{"no region name", "면허 23-123456-78", nil},
	})
}

func TestPhone(t *testing.T) {
	runCases(t, []detectCase{
		{"mobile hyphens", "연락처 010-1234-5678 로 주세요", []want{{engine.PIIPhone, "010-1234-5678", 0}}},
		{"mobile dots", "call 010.9876.5432 now", []want{{engine.PIIPhone, "010.9876.5432", 0}}},
		{"mobile spaces", "폰 010 1234 5678", []want{{engine.PIIPhone, "010 1234 5678", 0}}},
		{"mobile bare with particle", "전화01012345678이요", []want{{engine.PIIPhone, "01012345678", 0}}},
		{"old mobile prefix", "011-123-4567", []want{{engine.PIIPhone, "011-123-4567", 0}}},
		{"partial separators", "010-12345678", []want{{engine.PIIPhone, "010-12345678", 0}}},
		{"seoul landline", "사무실 02-123-4567", []want{{engine.PIIPhone, "02-123-4567", 0}}},
		{"seoul parenthesis", "문의 (02)1234-5678", []want{{engine.PIIPhone, "(02)1234-5678", 0}}},
		{"area code", "031-123-4567번", []want{{engine.PIIPhone, "031-123-4567", 0}}},
		{"voip", "070-1234-5678", []want{{engine.PIIPhone, "070-1234-5678", 0}}},
		{"safe number", "안심번호 0505-123-4567", []want{{engine.PIIPhone, "0505-123-4567", 0}}},
		{"international space", "+82 10-1234-5678", []want{{engine.PIIPhone, "+82 10-1234-5678", 0}}},
		{"international hyphen", "whatsapp +82-10-1234-5678!", []want{{engine.PIIPhone, "+82-10-1234-5678", 0}}},
		{"international bare", "+821012345678", []want{{engine.PIIPhone, "+821012345678", 0}}},
		{"international trunk zero kept", "+82 010 1234 5678", []want{{engine.PIIPhone, "+82 010 1234 5678", 0}}},
		{"international without plus", "82 10-1234-5678", []want{{engine.PIIPhone, "82 10-1234-5678", 0}}},
		{"full-width", "번호 ０１０－１２３４－５６７８ 입니다", []want{{engine.PIIPhone, "０１０－１２３４－５６７８", 0}}},
		{"dash look-alikes", "010‐1234–5678 and 010—9876－5432", []want{{engine.PIIPhone, "010‐1234–5678", 0}, {engine.PIIPhone, "010—9876－5432", 0}}},
		{"middle dots", "010・1234ㆍ5678", []want{{engine.PIIPhone, "010・1234ㆍ5678", 0}}},
		{"zero-width inside", "010\u200b1234\u200d5678", []want{{engine.PIIPhone, "010\u200b1234\u200d5678", 0}}},
		{"zero-width outside", "\u200b010-1234-5678\u200b", []want{{engine.PIIPhone, "010-1234-5678", 0}}},
		{"inside a longer space-separated run", "주문 123 010 1234 5678", []want{{engine.PIIPhone, "010 1234 5678", 0}}},
		{"two numbers", "010-1111-2222, 010-3333-4444", []want{{engine.PIIPhone, "010-1111-2222", 0}, {engine.PIIPhone, "010-3333-4444", 0}}},
		{"long list", strings.Repeat("010-1234-5678 ", 9) + "010 9876 5432", repeatWant(engine.PIIPhone, "010-1234-5678", 9, 14, want{engine.PIIPhone, "010 9876 5432", 126})},
		{"long list of spaced numbers", strings.Repeat("010 1234 5678 ", 8), repeatWant(engine.PIIPhone, "010 1234 5678", 8, 14)},
		{"long hangul list", strings.Repeat("공일공 일이삼사 오육칠팔 ", 5), repeatWant(engine.PIIPhone, "공일공 일이삼사 오육칠팔", 5, 14)},
		{"comma list", "010-1111-2222,010-3333-4444", []want{{engine.PIIPhone, "010-1111-2222", 0}, {engine.PIIPhone, "010-3333-4444", 0}}},
		{"slash list", "집/폰 02-123-4567/010-3333-4444", []want{{engine.PIIPhone, "02-123-4567", 0}, {engine.PIIPhone, "010-3333-4444", 0}}},
		{"label with colon", "tel:010-1234-5678", []want{{engine.PIIPhone, "010-1234-5678", 0}}},
		{"label with dot", "Tel.010-1234-5678.", []want{{engine.PIIPhone, "010-1234-5678", 0}}},
		{"time after", "010-1234-5678:30", nil},

		{"hangul digits", "공일공 일이삼사 오육칠팔", []want{{engine.PIIPhone, "공일공 일이삼사 오육칠팔", 0}}},
		{"hangul digits with particle", "번호는 공일공-일이삼사-오육칠팔이에요", []want{{engine.PIIPhone, "공일공-일이삼사-오육칠팔", 0}}},
		{"hangul 영 and 륙", "영일영일이삼사오륙칠팔", []want{{engine.PIIPhone, "영일영일이삼사오륙칠팔", 0}}},
		{"hangul mixed with digits", "010 일이삼사 오육칠팔", []want{{engine.PIIPhone, "010 일이삼사 오육칠팔", 0}}},
		{"digits then particle 이", "010-1234-5678이에요", []want{{engine.PIIPhone, "010-1234-5678", 0}}},
		{"hangul not a mobile", "공이 일이삼사 오육칠팔", nil},
		{"hangul too short", "공일공 일이삼 오육칠", nil},
		{"ordinary korean", "오늘 이 사람이 구경 와서 일 이야기를 했다", nil},

		{"too many digits", "010-1234-56789", nil},
		{"bare too long", "010123456789", nil},
		{"wrong grouping", "010-12-345678", nil},
		{"glued to letters", "ID010-1234-5678", nil},
		{"glued to digits", "1010-1234-5678", nil},
		{"toll free is not personal", "080-123-4567", nil},
		{"customer service", "1588-1234", nil},
		{"other country code", "+1 212-555-0100", nil},
		{"area code 07x not used", "075-123-4567", nil},
	})
}

func TestEmail(t *testing.T) {
	runCases(t, []detectCase{
		{"plain", "메일 hong.gildong@example.com 으로", []want{{engine.PIIEmail, "hong.gildong@example.com", 0}}},
		{"plus and subdomain", "write to user+tag@mail.example.co.kr.", []want{{engine.PIIEmail, "user+tag@mail.example.co.kr", 0}}},
		{"korean around", "이메일은kim_99@naver.com입니다", []want{{engine.PIIEmail, "kim_99@naver.com", 0}}},
		{"full-width", "ｈｏｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ", []want{{engine.PIIEmail, "ｈｏｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ", 0}}},
		{"digits local part is not a phone", "01012345678@naver.com", []want{{engine.PIIEmail, "01012345678@naver.com", 0}}},
		{"bracket at and dot", "hong (at) example (dot) com", []want{{engine.PIIEmail, "hong (at) example (dot) com", 0}}},
		{"square brackets", "hong[at]example[dot]co[dot]kr", []want{{engine.PIIEmail, "hong[at]example[dot]co[dot]kr", 0}}},
		{"words", "mail me: hong at example dot com", []want{{engine.PIIEmail, "hong at example dot com", 0}}},
		{"word at with provider", "kim at gmail.com", []want{{engine.PIIEmail, "kim at gmail.com", 0}}},
		{"korean words", "hong 골뱅이 naver 닷 com 으로", []want{{engine.PIIEmail, "hong 골뱅이 naver 닷 com", 0}}},
		{"korean 점", "hong골뱅이naver점com", []want{{engine.PIIEmail, "hong골뱅이naver점com", 0}}},
		{"spaced at sign", "hong @ naver.com", []want{{engine.PIIEmail, "hong @ naver.com", 0}}},

		{"english at", "look at docs.python.org for it", nil},
		{"mention", "@username hello", nil},
		{"no dot", "user@localhost", nil},
		{"one-letter tld", "user@example.c", nil},
		{"numeric tld", "user@192.168.0.1", nil},
		{"no local part", " @example.com", nil},
		{"local part of signs", "%@0.AA and -.+@example.com", nil},
		{"leading sign trimmed", "(-hong@example.com)", []want{{engine.PIIEmail, "hong@example.com", 0}}},
		{"leading underscore kept", "_dev@example.com", []want{{engine.PIIEmail, "_dev@example.com", 0}}},
	})
	d := newDetector()
	plain, obf := d.Detect("a@example.com"), d.Detect("a (at) example (dot) com")
	if len(plain) != 1 || len(obf) != 1 || plain[0].Score <= obf[0].Score {
		t.Errorf("plain %v, obfuscated %v: want plain to score higher", plain, obf)
	}
}

func TestCard(t *testing.T) {
	visa := luhnComplete("4111 1111 1111 111", true)
	mc := luhnComplete("5500-0000-0000-000", true)
	mc2 := luhnComplete("222100000000000", true)
	amex := luhnComplete("3782 822463 1000", true)
	jcb := luhnComplete("3530 1113 3330 000", true)
	unionPay := luhnComplete("6212 3456 7890 1234 56", true)
	domestic := luhnComplete("9410-1234-5678-901", true)
	discover := luhnComplete("6011000990139424"[:15], true)
	runCases(t, []detectCase{
		{"visa spaces", "카드번호 " + visa + " 입니다", []want{{engine.PIICard, visa, 0}}},
		{"mastercard hyphens", "card: " + mc, []want{{engine.PIICard, mc, 0}}},
		{"mastercard 2-series bare", mc2, []want{{engine.PIICard, mc2, 0}}},
		{"amex 4-6-5", amex, []want{{engine.PIICard, amex, 0}}},
		{"jcb", jcb, []want{{engine.PIICard, jcb, 0}}},
		{"unionpay 19 digits", unionPay, []want{{engine.PIICard, unionPay, 0}}},
		{"korean domestic", domestic, []want{{engine.PIICard, domestic, 0}}},
		{"discover", discover, []want{{engine.PIICard, discover, 0}}},
		{"full-width", fullWidth(visa), []want{{engine.PIICard, fullWidth(visa), 0}}},

		{"luhn invalid", "카드 " + luhnComplete("4111 1111 1111 111", false), nil},
		{"unknown issuer", luhnComplete("1234 5678 9012 345", true), nil},
		{"amex wrong length", luhnComplete("3782 8224 6310 005", true), nil},
		{"mixed separators", strings.Replace(visa, " ", "-", 1), nil},
		{"odd grouping", luhnComplete("41111 11111 11111", true), nil},
		{"glued to letter", "X" + strings.ReplaceAll(visa, " ", ""), nil},
	})
}

func TestBankAccount(t *testing.T) {
	runCases(t, []detectCase{
		{"3-3-6", "계좌번호 110-123-456789 로 입금", []want{{engine.PIIBankAccount, "110-123-456789", 0}}},
		{"kakaobank", "카카오뱅크 3333-01-1234567 예금주 홍길동", []want{{engine.PIIBankAccount, "3333-01-1234567", 0}}},
		{"ambiguous bank name right before", "국민 123456-01-123456", []want{{engine.PIIBankAccount, "123456-01-123456", 0}}},
		{"bare", "여기로 송금해주세요 1234567890123", []want{{engine.PIIBankAccount, "1234567890123", 0}}},
		{"english", "Bank: Shinhan, account 110-123-456789", []want{{engine.PIIBankAccount, "110-123-456789", 0}}},
		{"a/c", "a/c 12345678901", []want{{engine.PIIBankAccount, "12345678901", 0}}},
		{"nh whole word", "NH 302-1234-5678-91", []want{{engine.PIIBankAccount, "302-1234-5678-91", 0}}},

		{"no context", "번호 110-123-456789", nil},
		{"context too far", "계좌 얘기는 나중에 하고 일단 오늘 저녁에 만나서 이야기합시다 110-123-456789", nil},
		{"ambiguous word not adjacent", "우리 집 번호 110-123-456789", nil},
		{"nh inside a word", "enhance 110-123-456789", nil},
		{"phone is not an account", "계좌 말고 010-1234-5678 로 연락", []want{{engine.PIIPhone, "010-1234-5678", 0}}},
		{"rrn is not an account", "이체 " + wrongCheck("900101-123456", false),
			[]want{{engine.PIIResidentRegistration, wrongCheck("900101-123456", false), 0}}},
		{"card is not an account", "입금 카드 " + luhnComplete("499999999999", true),
			[]want{{engine.PIICard, luhnComplete("499999999999", true), 0}}},
		{"amount", "입금 1,234,567원", nil},
		{"date", "이체일 2024-01-15", nil},
		{"single digit group", "계좌 1-234567-89012", nil},
	})
}

// TestNotPersonal lists numbers chat is full of that must not be reported.
func TestNotPersonal(t *testing.T) {
	runCases(t, []detectCase{
		{"price", "가격은 1,234,567원 이에요", nil},
		{"big price", "₩12,345,678,901", nil},
		{"year", "2024년에 만나요", nil},
		{"date hyphens", "2024-01-15 에 출발", nil},
		{"date dots", "2024.01.15", nil},
		{"date and time", "2024-01-15 14:30:15", nil},
		{"time", "14:30 에 봐", nil},
		{"count", "조회수 12345678회", nil},
		{"version", "v1.22.3 released, also 10.15.7", nil},
		{"ip address", "서버 192.168.100.200 과 10.0.0.1", nil},
		{"order number", "order A20240101123456", nil},
		{"tracking number", "운송장 123456789012", nil},
		{"order number digits", "주문번호 2024010112345678", nil},
		{"score", "3:2 로 이겼다", nil},
		{"decimals", "3.14159265358979", nil},
		{"phone shape glued to letters", "SKU010-1234-5678X", nil},
		{"empty", "", nil},
	})
}

func TestOffsetsAndOverlaps(t *testing.T) {
	rrn := withCheck("900101-123456", false)
	runCases(t, []detectCase{
		{"invalid utf-8 around", "\xff010-1234-5678\xfe", []want{{engine.PIIPhone, "010-1234-5678", 0}}},
		{"invalid utf-8 between", "a\xe4\xb8 010-1234-5678 \xc3", []want{{engine.PIIPhone, "010-1234-5678", 0}}},
		{"emoji before", "😀😀 " + rrn, []want{{engine.PIIResidentRegistration, rrn, 0}}},
		{"several types in order", "메일 a@b.co, 폰 010-1234-5678, 주민 " + rrn,
			[]want{{engine.PIIEmail, "a@b.co", 0}, {engine.PIIPhone, "010-1234-5678", 0}, {engine.PIIResidentRegistration, rrn, 0}}},
		{"same number twice", "010-1234-5678 / 010-1234-5678",
			[]want{{engine.PIIPhone, "010-1234-5678", 0}, {engine.PIIPhone, "010-1234-5678", 5}}},
	})
}

func TestAppendDetect(t *testing.T) {
	d := newDetector()
	prior := engine.PIISpan{Type: engine.PIIEmail, Start: 1, End: 2, Score: 1}
	got := d.AppendDetect([]engine.PIISpan{prior}, "010-1234-5678")
	if len(got) != 2 || got[0] != prior || got[1].Type != engine.PIIPhone {
		t.Errorf("AppendDetect = %v, want prior span then phone", got)
	}
	if got := d.Detect("nothing here"); got != nil {
		t.Errorf("Detect = %#v, want nil", got)
	}
}

func TestAllocations(t *testing.T) {
	d := newDetector()
	buf := make([]engine.PIISpan, 0, 4)
	for _, text := range []string{
		"오늘 저녁 7시에 강남역 2번 출구에서 만나요. 늦으면 연락 주세요! price 1,200원",
		"제 번호는 010-1234-5678 이에요 메일은 hong@example.com",
		"계좌 110-123-456789 / 사업자 " + businessNumber("123-45-6789", true),
	} {
		allocs := testing.AllocsPerRun(100, func() { buf = d.AppendDetect(buf[:0], text) })
		if allocs != 0 {
			t.Errorf("AppendDetect(%q) allocates %v times, want 0", text, allocs)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	d := newDetector()
	text := "연락처 010-1234-5678, " + withCheck("900101-123456", false)
	want := d.Detect(text)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if got := d.Detect(text); len(got) != len(want) || got[0] != want[0] {
					t.Errorf("concurrent Detect = %v, want %v", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestDefaultClock(t *testing.T) {
	// With the real clock a birth date in 2099 is in the future for a while.
	if got := pii.New().Detect(withCheck("991231-312345", false)); got != nil {
		t.Errorf("Detect = %v, want nothing for a birth date in 2099", got)
	}
	if got := pii.New().Detect(withCheck("900101-123456", false)); len(got) != 1 {
		t.Errorf("Detect = %v, want one RRN", got)
	}
}

// fullWidth writes the ASCII characters of s in their full-width forms.
func fullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == ' ':
			b.WriteRune(r)
		case r > ' ' && r < 0x7F:
			b.WriteRune(r + 0xFEE0)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// repeatWant expects text n times, every step runes, then the extra wants.
func repeatWant(typ engine.PIIType, text string, n, step int, extra ...want) []want {
	var ws []want
	for i := range n {
		ws = append(ws, want{typ, text, i * step})
	}
	return append(ws, extra...)
}
