package pii_test

import (
	"testing"

	"github.com/haechi-tns/haechi/classifiers/pii"
	"github.com/haechi-tns/haechi/engine"
)

// benchTexts are typical chat messages of about 60 runes.
var benchTexts = []struct{ name, text string }{
	{"no_pii", "오늘 저녁 7시에 강남역 2번 출구에서 만나요. 늦으면 연락 주세요! see you at 7, ok?"},
	{"phone", "제 번호는 010-1234-5678 이에요. 문자 주시면 바로 연락드릴게요 :) 감사합니다"},
	{"mixed", "메일 hong@example.com 폰 010-1234-5678 계좌 110-123-456789 주민 900101-1234568"},
}

func BenchmarkDetect(b *testing.B) {
	d := pii.New()
	for _, bt := range benchTexts {
		b.Run(bt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d.Detect(bt.text)
			}
		})
	}
}

// BenchmarkAppendDetect reuses the result slice, as a pipeline worker would.
func BenchmarkAppendDetect(b *testing.B) {
	d := pii.New()
	for _, bt := range benchTexts {
		b.Run(bt.name, func(b *testing.B) {
			b.ReportAllocs()
			var buf []engine.PIISpan
			for b.Loop() {
				buf = d.AppendDetect(buf[:0], bt.text)
			}
		})
	}
}
