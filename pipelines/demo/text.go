package demo

import (
	"fmt"
	"strings"

	"github.com/haechi-tns/haechi/engine"
)

// topicalPercent is how often a benign line is about the space it is said
// in rather than small talk.
const topicalPercent = 65

// text draws a line of category cat in lang and fills its placeholders.
// typed is false for speech: a recogniser writes swear words plainly.
func (g *Generator) text(cat category, st engine.SpaceType, lang string, typed bool) string {
	pool := abuse[cat]
	if cat == catBenign {
		pool = benignGeneral
		if topical, ok := benignBySpace[st]; ok && g.rng.IntN(100) < topicalPercent {
			pool = topical
		}
	}
	ls := pool.in(lang)
	return g.fill(ls[g.rng.IntN(len(ls))], lang, typed)
}

// fill replaces every {key} in tmpl. An unknown key is a mistake in the
// phrase pools, which the tests fill exhaustively, so it panics.
func (g *Generator) fill(tmpl, lang string, typed bool) string {
	var b strings.Builder
	for {
		open := strings.IndexByte(tmpl, '{')
		if open < 0 {
			b.WriteString(tmpl)
			return b.String()
		}
		end := strings.IndexByte(tmpl[open:], '}')
		if end < 0 {
			panic(fmt.Sprintf("demo: unclosed placeholder in %q", tmpl))
		}
		b.WriteString(tmpl[:open])
		b.WriteString(g.value(tmpl[open+1:open+end], lang, typed))
		tmpl = tmpl[open+end+1:]
	}
}

// value is a made-up value for placeholder key.
func (g *Generator) value(key, lang string, typed bool) string {
	en := lang == "en"
	switch key {
	case "name":
		return g.oneOf(en, namesKo, namesEn)
	case "place":
		return g.oneOf(en, placesKo, placesEn)
	case "item":
		return g.oneOf(en, itemsKo, itemsEn)
	case "bank":
		return g.oneOf(en, banksKo, banksEn)
	case "kgroup":
		return g.any(groupsKo)
	case "egroup":
		return g.any(groupsEn)
	case "district":
		return g.any(districts)
	case "n":
		return fmt.Sprint(2 + g.rng.IntN(998))
	case "amount":
		if en {
			return g.any(amountsEn)
		}
		return g.any(amountsKo)
	case "time":
		h := 1 + g.rng.IntN(11)
		switch {
		case en && g.rng.IntN(2) == 0:
			return fmt.Sprintf("%d pm", h)
		case en:
			return fmt.Sprintf("%d:30 pm", h)
		case h >= 9:
			return fmt.Sprintf("오전 %d시", h)
		default:
			return fmt.Sprintf("오후 %d시", h)
		}
	case "date":
		m, d := 1+g.rng.IntN(12), 1+g.rng.IntN(28)
		if en {
			return fmt.Sprintf("%s %d", months[m-1], d)
		}
		return fmt.Sprintf("%d월 %d일", m, d)
	case "phone":
		mid, last := 2000+g.rng.IntN(8000), g.rng.IntN(10000)
		switch g.rng.IntN(10) {
		case 0:
			return fmt.Sprintf("010%04d%04d", mid, last)
		case 1:
			return fmt.Sprintf("010 %04d %04d", mid, last)
		}
		return fmt.Sprintf("010-%04d-%04d", mid, last)
	case "email":
		local := g.any(emailLocals)
		if g.rng.IntN(2) == 0 {
			local += fmt.Sprint(g.rng.IntN(100))
		}
		return local + "@" + g.any(emailDomains)
	case "account":
		return g.account()
	case "url":
		return g.spamURL(typed, en)
	case "citylink":
		return g.any(cityLinks)
	case "fakecitylink":
		// A Cyrillic о in place of the Latin o of seoul.go.kr.
		return "https://www.se\u043eul.go.kr/" + g.any(spamPaths)
	}
	if s, ok := swears[key]; ok {
		if typed {
			return g.any(s.typed)
		}
		return g.any(s.spoken)
	}
	panic(fmt.Sprintf("demo: unknown placeholder {%s}", key))
}

// spamURL is a made-up link of a spammer, on the reserved example domains:
// mostly plain, sometimes spelled to get past filters (hxxp, [.], a
// spelled-out dot), as link spam is. Speech spells the dot out.
func (g *Generator) spamURL(typed, en bool) string {
	host, n, path := g.any(spamHosts), g.rng.IntN(100), g.any(spamPaths)
	switch r := g.rng.IntN(10); {
	case !typed && r < 5 && en:
		return fmt.Sprintf("%s%d dot example dot com", host, n)
	case !typed && r < 5:
		return fmt.Sprintf("%s%d 점 example 점 com", host, n)
	case r < 6:
		return fmt.Sprintf("hxxp://%s-%d[.]example/%s", host, n, path)
	case r < 7:
		return fmt.Sprintf("%s-%d.example(.)com/%s", host, n, path)
	case r < 8:
		return fmt.Sprintf("%s%d 닷 example 닷 com", host, n)
	}
	return fmt.Sprintf("http://%s-%d.example/%s", host, n, path)
}

// account is a made-up bank account number in one of the shapes Korean
// banks use.
func (g *Generator) account() string {
	d := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteByte(byte('0' + g.rng.IntN(10)))
		}
		return b.String()
	}
	switch g.rng.IntN(3) {
	case 0:
		return d(3) + "-" + d(3) + "-" + d(6)
	case 1:
		return d(3) + "-" + d(6) + "-" + d(2) + "-" + d(3)
	}
	return d(4) + "-" + d(2) + "-" + d(7)
}

func (g *Generator) any(words []string) string { return words[g.rng.IntN(len(words))] }

func (g *Generator) oneOf(en bool, ko, eng []string) string {
	if en {
		return g.any(eng)
	}
	return g.any(ko)
}

var (
	namesKo = []string{
		"민준", "서연", "지호", "수아", "도윤", "하은", "예준", "지우", "서준", "하린",
		"유진", "지민", "현우", "채원", "김철수", "이영희", "박지훈", "최유나", "정다은", "강민호",
	}
	namesEn = []string{
		"Alex", "Jordan", "Sam", "Emily", "Daniel", "Priya", "Minho", "Sarah", "Chris", "Olivia", "Tom", "Yuna",
	}
	placesKo = []string{
		"시청 광장", "중앙도서관", "청소년 상담실", "핀테크 부스", "법률 상담 창구", "축제 무대", "관광 안내소", "민원실", "분수대",
	}
	placesEn = []string{
		"the central plaza", "the library hall", "the festival stage", "the fintech booth",
		"the legal desk", "the tourism center", "the fountain", "the youth lounge",
	}
	itemsKo = []string{"명품 가방", "아바타 스킨", "게임 머니", "다이어트 보조제", "무선 이어폰", "한정판 운동화"}
	itemsEn = []string{"avatar skins", "designer bags", "game coins", "sneakers", "wireless earbuds"}
	banksKo = []string{"국민은행", "신한은행", "우리은행", "하나은행", "농협", "기업은행"}
	banksEn = []string{"KB Bank", "Shinhan Bank", "Woori Bank", "Hana Bank"}
	// Groups that hateful lines target. Naming them is needed for a
	// classifier to recognise the hate; the lines never use slurs.
	groupsKo  = []string{"이주민", "난민", "외국인 노동자", "장애인", "성소수자", "무슬림"}
	groupsEn  = []string{"immigrants", "refugees", "disabled people", "Muslims", "gay people", "foreigners"}
	districts = []string{"종로구", "중구", "마포구", "강남구", "송파구", "노원구", "은평구", "관악구"}
	amountsKo = []string{"5만원", "10만원", "30만원", "50만원", "100만원", "200만원", "300만원", "500만원", "1,000만원"}
	amountsEn = []string{"$50", "$100", "$250", "$500", "$1,000", "$2,500", "$5,000"}
	months    = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	spamHosts = []string{"free-gift", "cheap-deal", "best-skins", "win-now", "easy-money", "promo-zone"}
	spamPaths = []string{"go", "event", "claim", "join?ref=demo", "free"}
	// The city's own site, which policy data allow-lists (*.seoul.go.kr).
	cityLinks = []string{"https://www.seoul.go.kr", "www.seoul.go.kr", "seoul.go.kr"}
	// Addresses are all on the reserved example domains.
	emailLocals  = []string{"jisoo.kim", "minho", "sarah.lee", "parkhana", "dev.jun", "alex_cho", "yuna.song", "hyun.woo"}
	emailDomains = []string{"example.com", "example.net", "example.org"}
)

// swearWord is one family of swear words: how a recogniser writes it and
// the ways users type it to get past filters (jamo, digits, Latin letters,
// spacing, doubled letters).
type swearWord struct{ spoken, typed []string }

var swears = map[string]swearWord{
	"swear": {
		spoken: []string{"시발", "씨발", "씨팔"},
		typed: []string{
			"시발", "씨발", "ㅅㅂ", "ㅆㅂ", "ㅅ ㅂ", "시1발", "씨1발", "씨bal", "sibal", "시이발",
			"씨이이발", "시.발", "씌발", "c발", "tlqkf", "ㅅㅂㅅㅂ", "씨 발",
		},
	},
	"jonna": {
		spoken: []string{"존나", "졸라"},
		typed:  []string{"존나", "ㅈㄴ", "존1나", "졸라", "존나아", "jonna", "존ㄴㅏ", "whsk", "조온나"},
	},
	"swearnoun": {
		spoken: []string{"개새끼", "병신", "미친놈"},
		typed: []string{
			"개새끼", "개색기", "개ㅅㄲ", "개새기", "개쉐끼", "ㄱㅅㄲ", "병신", "ㅂㅅ", "병1신", "븅신",
			"병ㅅ", "qudtls", "미친놈", "ㅁㅊㄴ", "미1친놈", "미친nom", "개 새 끼",
		},
	},
	"fword": {
		spoken: []string{"fuck"},
		typed:  []string{"fuck", "f*ck", "fck", "fuuuck", "f u c k", "fxck", "phuck", "fuk", "FUCK"},
	},
	"shit": {
		spoken: []string{"shit"},
		typed:  []string{"shit", "sh1t", "sh*t", "shiiit", "$hit", "s h i t"},
	},
	"bullshit": {
		spoken: []string{"bullshit"},
		typed:  []string{"bullshit", "bs", "bullsh1t", "bull$hit", "bullshiiit"},
	},
}
