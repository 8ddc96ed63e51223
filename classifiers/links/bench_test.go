package links

import (
	"testing"

	"github.com/haechi-tns/haechi/engine"
)

// benchTexts are typical chat messages of about 30 to 60 code points.
var benchTexts = []struct{ name, text string }{
	// No dot, colon or spelled-out dot: the common case.
	{"no_link", "오늘 광장 행사 몇 시에 시작해요? 친구랑 같이 가려고요"},
	// Sentence dots and a decimal, but no link.
	{"dots", "감사합니다. 평점은 3.5점이에요. 다음에 또 봬요... see you at 7."},
	{"link", "자세한 건 https://news.seoul.go.kr/welfare/123 참고하세요"},
	{"obfuscated", "🔥 초특가 90% 할인 bit점ly/3xYz 지금 바로 hxxp://deal[.]example[.]com"},
	{"homoglyph", "애플 계정이 잠겼습니다 확인 аpple.com/verify"},
}

func BenchmarkExtract(b *testing.B) {
	for _, bt := range benchTexts {
		b.Run(bt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Extract(bt.text)
			}
		})
	}
}

// BenchmarkAppendExtract reuses the result slice, as a worker could.
func BenchmarkAppendExtract(b *testing.B) {
	for _, bt := range benchTexts {
		b.Run(bt.name, func(b *testing.B) {
			b.ReportAllocs()
			var buf []engine.Link
			for b.Loop() {
				buf = AppendExtract(buf[:0], bt.text)
				Share(bt.text, buf)
			}
		})
	}
}
