package behaviour

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/classifiers/textnorm"
)

// BenchmarkEvent is the cost one chat event adds: fingerprinting letters
// textnorm has already produced, the sender's flood state and the wave
// index, over 100,000 senders and a full wave ring. Besides the mean it
// reports the median and 99th percentile of single events (each timed with
// time.Now, which adds a few tens of nanoseconds).
func BenchmarkEvent(b *testing.B) {
	const senders = 100_000
	ids := make([]string, senders)
	for i := range ids {
		ids[i] = fmt.Sprint("user-", i)
	}
	msgs := [][]rune{
		textnorm.Normalize(spamText).Letters(),
		textnorm.Normalize("hey everyone come to the plaza tonight for free gifts and prizes from our shop").Letters(),
		textnorm.Normalize("지금 바로 이 링크 누르면 무료 아이템 드립니다").Letters(),
		textnorm.Normalize("시청 민원실은 내일 오전 아홉시에 문을 엽니다").Letters(),
		textnorm.Normalize("ㅋㅋ").Letters(),
	}
	s := newSenders(b, Config{})
	w := newWaves(b, WaveConfig{})
	at := t0
	event := func(i int) {
		at = at.Add(50 * time.Microsecond)
		f := NewFingerprint(msgs[i%len(msgs)])
		s.Observe(ids[i%senders], "plaza-1", at, f)
		w.Observe(Key(ids[i%senders], ""), at, f)
	}
	for i := range 300_000 {
		event(i)
	}
	lat := make([]time.Duration, 0, 1<<20)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		start := time.Now()
		event(i)
		if len(lat) < cap(lat) {
			lat = append(lat, time.Since(start))
		}
		i++
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2]), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100]), "p99-ns")
}
