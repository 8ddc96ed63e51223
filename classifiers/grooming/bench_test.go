package grooming_test

import (
	"strings"
	"testing"

	"github.com/haechi-tns/haechi/classifiers/grooming"
	"github.com/haechi-tns/haechi/classifiers/textnorm"
)

// BenchmarkDetect measures Detect alone on text normalised beforehand, as
// the text classifier calls it: ordinary messages without a cue, and one
// with several.
func BenchmarkDetect(b *testing.B) {
	for _, bc := range []struct{ name, text string }{
		{"korean", "오늘 광장 행사 몇 시에 시작해요? 친구랑 같이 가려고요"},
		{"korean-long", "축제 때 불꽃놀이 진짜 예뻤어요 ㅋㅋ 다음에는 사진 많이 찍어서 올릴게요. 민원 접수는 2층 창구로 가시면 됩니다"},
		{"english", "Does anyone know when the library opens tomorrow?"},
		{"english-long", "I think we should meet the deadline first, then send me the file and the photos of the venue when you can"},
		{"cues", "너 몇 살이야? 진짜 예쁘다 ㅎㅎ 카톡 아이디 알려줘 부모님한테는 비밀로 하자"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			t := textnorm.Normalize(bc.text)
			b.ReportAllocs()
			for b.Loop() {
				grooming.Detect(t)
			}
		})
	}
}

// BenchmarkDetectAdversarial measures long text made to open many chains
// at once: the cost grows with the length, not faster.
func BenchmarkDetectAdversarial(b *testing.B) {
	for _, bc := range []struct{ name, text string }{
		{"korean-4k", strings.Repeat("너 진짜 카톡 부모님한테 ", 180)},
		{"english-4k", strings.Repeat("send me you are so dont tell ", 140)},
		{"hangul-4k-no-cue", strings.Repeat("오늘 광장 행사 몇 시에 시작해요 ", 200)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			t := textnorm.Normalize(bc.text)
			b.ReportAllocs()
			for b.Loop() {
				grooming.Detect(t)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(t.Len()), "ns/letter")
		})
	}
}
