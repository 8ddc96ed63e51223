package links

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"github.com/haechi-tns/haechi/engine"
)

func FuzzExtract(f *testing.F) {
	for _, seed := range []string{
		"",
		"자세한 건 https://news.seoul.go.kr/welfare 참고하세요",
		"hxxp://free-gift[.]example[.]com/claim bit점ly/abc naver 닷 com",
		"ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏｍ naver。com goo\u200bgle.com",
		"аpple.com/verify https://xn--pple-43d.com paypa1.com rnicrosoft.com",
		"https://www.kbstar.com@evil.example/login http[:]//x.example/(a))",
		"평점 3.5점 v1.2.3 e.g. 안녕.하세요 I'm done.It was fun jisoo.kim@example.com",
		"www 점 seoul 점 go 점 kr example . com example. com the dot com era",
		"www.ldew.com1win experiencehttp://www.vouch4me.com/x shsex.netUN",
		"\xff.com a\xe4.com http://\xc3.kr \u0301.com -a.com a-.com xn--.com",
		strings.Repeat("a.", 200) + "com",
		strings.Repeat("a 점 ", 100) + "com",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		links := Extract(text)
		runes := utf8.RuneCountInString(text) // invalid bytes count one each, as offsets do
		if len(links) > MaxLinks {
			t.Fatalf("%d links, over MaxLinks", len(links))
		}
		end := 0
		for i, l := range links {
			if l.Start < end || l.Start >= l.End || l.End > runes {
				t.Fatalf("link %d %+v: out of order, empty or outside [0,%d]: %+v", i, l, runes, links)
			}
			end = l.End
			for _, s := range []string{l.Host, l.Domain, l.Skeleton} {
				if !utf8.ValidString(s) {
					t.Fatalf("link %d %+v: invalid UTF-8", i, l)
				}
			}
			if l.Host == "" || !strings.HasSuffix(l.Host, l.Domain) || !strings.Contains(l.Domain, ".") || l.Domain == l.Host[:len(l.Host)-len(l.Domain)] {
				t.Fatalf("link %d %+v: domain is not a registrable part of the host", i, l)
			}
			if len(l.Host) > len(l.Domain) && l.Host[len(l.Host)-len(l.Domain)-1] != '.' {
				t.Fatalf("link %d %+v: domain does not start at a label", i, l)
			}
			for j := 0; j < len(l.Host); j++ {
				if c := l.Host[j]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
					t.Fatalf("link %d %+v: host is not lower-case ASCII", i, l)
				}
			}
			if _, err := idna.Lookup.ToUnicode(l.Host); err != nil {
				t.Fatalf("link %d %+v: host is not a valid name: %v", i, l, err)
			}
			if l.Skeleton == l.Host {
				t.Fatalf("link %d %+v: skeleton repeats the host", i, l)
			}
		}
		if s := Share(text, links); !(s >= 0 && s <= 1) || len(links) > 0 && s == 0 && strings.TrimSpace(text) != "" {
			t.Fatalf("Share = %v for %d links", s, len(links))
		}
		prior := []engine.Link{{Host: "x.example"}}
		if got := AppendExtract(prior, text); len(got) != len(links)+1 || got[0] != prior[0] {
			t.Fatalf("AppendExtract = %+v, want the prior link and %d more", got, len(links))
		}
	})
}
