package behaviour

import (
	"testing"

	"github.com/haechi-tns/haechi/classifiers/textnorm"
)

func fp(s string) Fingerprint { return NewFingerprint(textnorm.Normalize(s).Letters()) }

func TestFingerprintDistance(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		min  int // inclusive bounds on the distance
		max  int
	}{
		{"identical english", "free robux at this site click now before it is gone", "free robux at this site click now before it is gone", 0, 0},
		{"identical korean", "지금 바로 이 링크 누르면 무료 아이템 드립니다", "지금 바로 이 링크 누르면 무료 아이템 드립니다", 0, 0},
		{"spaces and emoji", "free robux at this site click now", "🔥free  robux at this   site 🔥 click now", 0, 0},
		// textnorm reads "now!!!" as leet "nowii": two extra letters.
		{"trailing bangs", "free robux at this site click now", "free robux at this site click now!!!", 1, 8},
		{"jamo obfuscation", "무료 아이템 받으세요 지금 바로", "무료 아이템 받으세요 ㅈㅣㄱㅡㅁ 바로", 0, 0},
		{"digits between syllables", "무료 아이템 받으세요 지금 바로", "무1료 아2이템 받으세요 지금 바로", 0, 0},
		{"one word of fifteen changed english",
			"hey everyone come to the plaza tonight for free gifts and prizes from our shop",
			"hey everyone come to the plaza tonight for free coins and prizes from our shop", 0, 14},
		{"one word of fifteen changed korean",
			"여러분 오늘 밤 광장으로 오세요 우리 가게에서 무료 선물과 상품을 드립니다 꼭 오세요 기다릴게요 감사합니다",
			"여러분 오늘 밤 광장으로 오세요 우리 가게에서 무료 쿠폰과 상품을 드립니다 꼭 오세요 기다릴게요 감사합니다", 0, 14},
	}
	unrelated := []struct{ a, b string }{
		{"free robux at this site click now before it is gone", "the library opens at nine tomorrow morning for everyone"},
		{"지금 바로 이 링크 누르면 무료 아이템 드립니다", "시청 민원실은 내일 오전 아홉시에 문을 엽니다"},
		{"hey everyone come to the plaza tonight for free gifts", "지금 바로 이 링크 누르면 무료 아이템 드립니다"},
		{"please submit your business permit application online", "what time does the fireworks show start tonight"},
		{"오늘 축제에 오신 여러분 환영합니다 즐거운 시간 되세요", "취업 상담은 이층 인사과 창구에서 받으실 수 있습니다"},
	}
	for _, u := range unrelated {
		tests = append(tests, struct {
			name string
			a, b string
			min  int
			max  int
		}{"unrelated " + u.a[:12], u.a, u.b, 20, 64})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := fp(tt.a), fp(tt.b)
			if !a.HasSim || !b.HasSim {
				t.Fatalf("no simhash: %v %v", a.HasSim, b.HasSim)
			}
			d := Distance(a.Sim, b.Sim)
			t.Logf("distance %d", d)
			if d < tt.min || d > tt.max {
				t.Errorf("distance %d, want in [%d, %d]", d, tt.min, tt.max)
			}
			if (d == 0) != (a.Exact == b.Exact) {
				t.Errorf("exact hashes equal=%v but distance %d", a.Exact == b.Exact, d)
			}
		})
	}
}

func TestFingerprintShort(t *testing.T) {
	tests := []struct {
		name, in string
		exact    bool
		sim      bool
	}{
		{"empty", "", false, false},
		{"only emoji", "🔥🔥", false, false},
		{"laughter", "ㅋㅋㅋ", true, false},
		{"seven letters", "abcdefg", true, false},
		{"eight letters", "abcdefgh", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fp(tt.in)
			if (f.Exact != 0) != tt.exact || f.HasSim != tt.sim {
				t.Errorf("fingerprint %+v, want exact %v sim %v", f, tt.exact, tt.sim)
			}
		})
	}
}

func BenchmarkNewFingerprint(b *testing.B) {
	letters := textnorm.Normalize("hey everyone come to the plaza tonight for free gifts and prizes from our shop").Letters()
	b.ReportAllocs()
	for b.Loop() {
		_ = NewFingerprint(letters)
	}
}
