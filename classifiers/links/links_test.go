package links

import (
	"bufio"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/fixtures"
)

// want is one link a test expects: its text, host and flags.
type want struct {
	text, host, domain string
	obfuscated, idn    bool
	mixed              bool
	skeleton           string
}

func TestExtract(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []want
	}{
		// Plain links.
		{"scheme", "자세한 건 https://news.seoul.go.kr/welfare/archives/123 참고하세요",
			[]want{{text: "https://news.seoul.go.kr/welfare/archives/123", host: "news.seoul.go.kr", domain: "seoul.go.kr"}}},
		{"scheme, unlisted top-level domain", "FREE skins!!! click http://free-gift-42.example/join?ref=demo",
			[]want{{text: "http://free-gift-42.example/join?ref=demo", host: "free-gift-42.example", domain: "free-gift-42.example"}}},
		{"bare with path", "이거 봐 example.com/promo 진짜 싸다",
			[]want{{text: "example.com/promo", host: "example.com", domain: "example.com"}}},
		{"bare", "naver.com에서 검색해 보세요",
			[]want{{text: "naver.com", host: "naver.com", domain: "naver.com"}}},
		{"www", "www.seoul.go.kr 들어가 보세요",
			[]want{{text: "www.seoul.go.kr", host: "www.seoul.go.kr", domain: "seoul.go.kr"}}},
		{"www with an uncommon top-level domain", "see www.comune.roma.it for the schedule",
			[]want{{text: "www.comune.roma.it", host: "www.comune.roma.it", domain: "comune.roma.it"}}},
		{"uncommon top-level domain with a path", "shortened as bit.do/xyz",
			[]want{{text: "bit.do/xyz", host: "bit.do", domain: "bit.do"}}},
		{"shortener", "선착순!! bit.ly/3xYz9Qa",
			[]want{{text: "bit.ly/3xYz9Qa", host: "bit.ly", domain: "bit.ly"}}},
		{"sentence punctuation after", "Visit https://example.com/a_(b)), then (see example.org).",
			[]want{
				{text: "https://example.com/a_(b)", host: "example.com", domain: "example.com"},
				{text: "example.org", host: "example.org", domain: "example.org"},
			}},
		{"ellipsis and Korean particle after a path", "여기 example.com/event에서 확인… 그리고 naver.com/abc...",
			[]want{
				{text: "example.com/event", host: "example.com", domain: "example.com"},
				{text: "naver.com/abc", host: "naver.com", domain: "naver.com"},
			}},
		{"port", "http://localhost.localdomain:8080/x 와 seoul.go.kr:443",
			[]want{
				{text: "http://localhost.localdomain:8080/x", host: "localhost.localdomain", domain: "localhost.localdomain"},
				{text: "seoul.go.kr:443", host: "seoul.go.kr", domain: "seoul.go.kr"},
			}},
		{"upper case", "VISIT NAVER.COM NOW", []want{{text: "NAVER.COM", host: "naver.com", domain: "naver.com"}}},
		{"private suffix", "my blog: kim.github.io/posts", []want{{text: "kim.github.io/posts", host: "kim.github.io", domain: "kim.github.io"}}},
		{"host after user information", "https://www.kbstar.com@evil.example/login",
			[]want{{text: "https://www.kbstar.com@evil.example/login", host: "evil.example", domain: "evil.example"}}},
		{"name runs on after plain dots", "naver.com. Thanks and google.com.It was",
			[]want{
				{text: "naver.com", host: "naver.com", domain: "naver.com"},
				{text: "google.com", host: "google.com", domain: "google.com"},
			}},

		// Obfuscated.
		{"hxxp", "hxxp://free-gift[.]example[.]com/claim 지금!",
			[]want{{text: "hxxp://free-gift[.]example[.]com/claim", host: "free-gift.example.com", domain: "example.com", obfuscated: true}}},
		{"hxxps upper case", "HXXPS://evil.example/x", []want{{text: "HXXPS://evil.example/x", host: "evil.example", domain: "evil.example", obfuscated: true}}},
		{"defanged colon", "http[:]//evil.example/x", []want{{text: "http[:]//evil.example/x", host: "evil.example", domain: "evil.example", obfuscated: true}}},
		{"bracket dot", "example[.]com 으로 오세요", []want{{text: "example[.]com", host: "example.com", domain: "example.com", obfuscated: true}}},
		{"paren dot", "example(.)com", []want{{text: "example(.)com", host: "example.com", domain: "example.com", obfuscated: true}}},
		{"bracket word", "example [dot] com", []want{{text: "example [dot] com", host: "example.com", domain: "example.com", obfuscated: true}}},
		{"spelled dot", "go to cheap-deal dot com now", []want{{text: "cheap-deal dot com", host: "cheap-deal.com", domain: "cheap-deal.com", obfuscated: true}}},
		{"Korean 점 joined", "bit점ly/abc 로 들어와", []want{{text: "bit점ly/abc", host: "bit.ly", domain: "bit.ly", obfuscated: true}}},
		{"Korean 닷 spaced", "naver 닷 com 에서 검색", []want{{text: "naver 닷 com", host: "naver.com", domain: "naver.com", obfuscated: true}}},
		{"voice transcript", "www 점 seoul 점 go 점 kr 로 신청하세요",
			[]want{{text: "www 점 seoul 점 go 점 kr", host: "www.seoul.go.kr", domain: "seoul.go.kr", obfuscated: true}}},
		{"spaces around a dot", "example . com 오세요", []want{{text: "example . com", host: "example.com", domain: "example.com", obfuscated: true}}},
		{"space before a dot", "example .com", []want{{text: "example .com", host: "example.com", domain: "example.com", obfuscated: true}}},
		{"space after a dot", "go to example. com now", []want{{text: "example. com", host: "example.com", domain: "example.com", obfuscated: true}}},
		{"full width", "ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏｍ 방문", []want{{text: "ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏｍ", host: "www.example.com", domain: "example.com", obfuscated: true}}},
		{"full-width scheme", "ｈｔｔｐ：／／evil.example／x", []want{{text: "ｈｔｔｐ：／／evil.example／x", host: "evil.example", domain: "evil.example", obfuscated: true}}},
		{"ideographic dot", "naver。com", []want{{text: "naver。com", host: "naver.com", domain: "naver.com", obfuscated: true}}},
		{"zero-width space inside", "goo\u200bgle.com/login", []want{{text: "goo\u200bgle.com/login", host: "google.com", domain: "google.com", obfuscated: true}}},
		{"mathematical letters", "𝐛𝐢𝐭.𝐥𝐲/x", []want{{text: "𝐛𝐢𝐭.𝐥𝐲/x", host: "bit.ly", domain: "bit.ly", obfuscated: true}}},

		// Look-alikes and international names.
		{"Cyrillic а", "애플 계정 확인 аpple.com/verify",
			[]want{{text: "аpple.com/verify", host: "xn--pple-43d.com", domain: "xn--pple-43d.com", idn: true, mixed: true, skeleton: "apple.com"}}},
		{"punycode written out", "https://xn--pple-43d.com/id",
			[]want{{text: "https://xn--pple-43d.com/id", host: "xn--pple-43d.com", domain: "xn--pple-43d.com", idn: true, mixed: true, skeleton: "apple.com"}}},
		{"whole-script Cyrillic", "http://аррӏе.com",
			[]want{{text: "http://аррӏе.com", host: "xn--80ak6aa92e.com", domain: "xn--80ak6aa92e.com", idn: true, skeleton: "apple.com"}}},
		{"city domain with Cyrillic о", "재난지원금 신청 https://seоul.go.kr/support",
			[]want{{text: "https://seоul.go.kr/support", host: "xn--seul-65d.go.kr", domain: "xn--seul-65d.go.kr", idn: true, mixed: true, skeleton: "seoul.go.kr"}}},
		{"digits for letters", "paypa1.com/login", []want{{text: "paypa1.com/login", host: "paypa1.com", domain: "paypa1.com", skeleton: "paypal.com"}}},
		{"rn for m", "rnicrosoft.com", []want{{text: "rnicrosoft.com", host: "rnicrosoft.com", domain: "rnicrosoft.com", skeleton: "microsoft.com"}}},
		{"diacritics", "https://gооglé.com", []want{{text: "https://gооglé.com", host: "xn--ggl-dma673ba.com", domain: "xn--ggl-dma673ba.com", idn: true, mixed: true, skeleton: "google.com"}}},
		{"international name in one script", "https://пример.рф/путь",
			[]want{{text: "https://пример.рф/путь", host: "xn--e1afmkfd.xn--p1ai", domain: "xn--e1afmkfd.xn--p1ai", idn: true, skeleton: "npиmep.pф"}}},

		// Not links.
		{"e-mail", "메일 jisoo.kim@example.com 으로 보내주세요", nil},
		{"e-mail with a spelled-out dot", "kim@naver 닷 com", nil},
		{"decimal score", "평점 3.5점 드려요", nil},
		{"version", "v1.2.3 업데이트 했어요", nil},
		{"e.g.", "fruits, e.g. apples", nil},
		{"i.e.", "the plaza, i.e. the square", nil},
		{"Korean sentences", "안녕.하세요 감사합니다.다음에 봬요", nil},
		{"run-together sentence", "I'm done.It was fun", nil},
		{"run-together lower case", "i'm done.it was fun", nil},
		{"title", "Mr.Kim and Dr.Lee", nil},
		{"hello world", "Hello.World", nil},
		{"file names", "see README.md and main.go and photo.png and setup.py", nil},
		{"JavaScript", "Node.js and Vue.js", nil},
		{"date", "2024.12.01 에 만나요", nil},
		{"times", "a.m. and p.m.", nil},
		{"U.S.", "the U.S. and the U.K.", nil},
		{"ellipsis", "음... 글쎄요.. 잘 모르겠어요...", nil},
		{"spoken dot in prose", "back in the dot com era", nil},
		{"spelled dot needs a common top-level domain", "connect the dot to the line", nil},
		{"Korean 점 in words", "장점 com 단점 net 3 점 5", nil},
		{"점 between grades", "A점 받았어요 B 점 it", nil},
		{"sentence end with a space", "I went home. Me too. It is fine. co op", nil},
		{"public suffix alone", "co.kr 이라는 도메인", nil},
		{"numbers", "1.5배 10.000원 192.168.0.1", nil},
		{"scheme without a host", "http:// 이렇게 쓰면", nil},
		{"identifier", "my_file.com and user.name@mail", nil},
		{"two-letter word top-level domains", "let's go.to sleep; is.it ok? ok.bye", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Extract(tt.text)
			if len(got) != len(tt.want) {
				t.Fatalf("Extract(%q) = %+v, want %d links", tt.text, got, len(tt.want))
			}
			runes := []rune(tt.text)
			for i, w := range tt.want {
				g := got[i]
				if text := string(runes[g.Start:g.End]); text != w.text {
					t.Errorf("link %d covers %q, want %q", i, text, w.text)
				}
				if g.Host != w.host || g.Domain != w.domain || g.Obfuscated != w.obfuscated || g.IDN != w.idn ||
					g.MixedScript != w.mixed || g.Skeleton != w.skeleton {
					t.Errorf("link %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func TestShare(t *testing.T) {
	tests := []struct {
		text string
		want float64
	}{
		{"https://example.com/promo", 1},
		{"  bit.ly/abc  ", 1},
		{"보세요 bit.ly/abcd", 11.0 / 14},
		{"naver 닷 com 보세요", 9.0 / 12}, // the spaces inside the link do not count
		{"ask.me?", 6.0 / 7},
		{"링크 없음", 0},
		{"", 0},
	}
	for _, tt := range tests {
		if got := Share(tt.text, Extract(tt.text)); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("Share(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestMaxLinks(t *testing.T) {
	text := strings.Repeat("a.com ", 2*MaxLinks)
	if got := Extract(text); len(got) != MaxLinks {
		t.Errorf("%d links, want %d", len(got), MaxLinks)
	}
	prior := []engine.Link{{Host: "x.com"}}
	if got := AppendExtract(prior, text); len(got) != MaxLinks+1 || got[0].Host != "x.com" {
		t.Errorf("AppendExtract kept %d links after the prior one", len(got)-1)
	}
}

// TestBenignFixtures: the benign chat fixtures, Korean and English, hold
// no links, and the extractor finds none in them.
func TestBenignFixtures(t *testing.T) {
	f, err := fixtures.FS.Open("text/benign.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		var line struct {
			ID   string `json:"id"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		n++
		if got := Extract(line.Text); len(got) > 0 {
			t.Errorf("%s %q: found %+v", line.ID, line.Text, got)
		}
	}
	if err := sc.Err(); err != nil || n < 100 {
		t.Fatalf("read %d fixtures: %v", n, err)
	}
}

func TestNoLinkExitsEarly(t *testing.T) {
	for _, text := range []string{"오늘 광장 행사 몇 시에 시작해요? 친구랑 같이 가려고요", "see you at 7, ok?"} {
		if mayHoldLink(text) {
			t.Errorf("mayHoldLink(%q) = true", text)
		}
	}
	for _, text := range []string{"a.b", "hxxp:", "example dot com", "bit점ly", "naver 닷 com", "naver。com", "ｅｘａｍｐｌｅ．ｃｏｍ"} {
		if !mayHoldLink(text) {
			t.Errorf("mayHoldLink(%q) = false", text)
		}
	}
}
