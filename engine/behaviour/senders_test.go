package behaviour

import (
	"fmt"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/haechi-tns/haechi/internal/racetest"
)

var t0 = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

func newSenders(t testing.TB, cfg Config) *Senders {
	t.Helper()
	s, err := NewSenders(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRatesAcrossWindowEdges(t *testing.T) {
	tests := []struct {
		name  string
		times []time.Duration // offsets of earlier events from t0
		at    time.Duration   // offset of the observed event
		want  [NumWindows]int
	}{
		{"first event", nil, 0, [3]int{1, 1, 1}},
		{"ten in a second", durs(0, 100*time.Millisecond, 10), 950 * time.Millisecond, [3]int{11, 11, 11}},
		{"just inside 10s", durs(0, 100*time.Millisecond, 10), 9999 * time.Millisecond, [3]int{11, 11, 11}},
		{"10s bucket rolled", durs(0, 100*time.Millisecond, 10), 10 * time.Second, [3]int{1, 11, 11}},
		{"60s rolled", durs(0, time.Second, 5), 60 * time.Second, [3]int{1, 1, 6}},
		{"just inside 60s", durs(0, time.Second, 5), 59 * time.Second, [3]int{1, 6, 6}},
		{"10m rolled", durs(0, time.Second, 5), 10 * time.Minute, [3]int{1, 1, 1}},
		{"long gap clears everything", durs(0, time.Second, 5), 5 * time.Hour, [3]int{1, 1, 1}},
		{"late event inside window", durs(0, time.Second, 5), 2 * time.Second, [3]int{6, 6, 6}},
		{"late event outside short window", durs(30*time.Second, time.Second, 1), 5 * time.Second, [3]int{1, 2, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A long idle TTL so the late-event cases are not expired.
			s := newSenders(t, Config{IdleTTL: 24 * time.Hour})
			for _, d := range tt.times {
				s.Observe("u1", "plaza-1", t0.Add(d), Fingerprint{})
			}
			got := s.Observe("u1", "plaza-1", t0.Add(tt.at), Fingerprint{})
			if got.Rates != tt.want {
				t.Errorf("rates %v, want %v", got.Rates, tt.want)
			}
		})
	}
}

// durs returns n offsets from start, step apart.
func durs(start, step time.Duration, n int) []time.Duration {
	var d []time.Duration
	for i := range n {
		d = append(d, start+time.Duration(i)*step)
	}
	return d
}

func TestRatesKeyedBySenderAndSpace(t *testing.T) {
	s := newSenders(t, Config{})
	s.Observe("u1", "plaza-1", t0, Fingerprint{})
	s.Observe("u1", "plaza-1", t0, Fingerprint{})
	if got := s.Observe("u1", "plaza-2", t0, Fingerprint{}).Rates[0]; got != 1 {
		t.Errorf("other space: rate %d, want 1", got)
	}
	if got := s.Observe("u2", "plaza-1", t0, Fingerprint{}).Rates[0]; got != 1 {
		t.Errorf("other sender: rate %d, want 1", got)
	}
	// "ab"+"c" and "a"+"bc" must not share a key.
	if Key("ab", "c") == Key("a", "bc") {
		t.Error("key ignores the boundary between sender and space")
	}
}

func TestRepeats(t *testing.T) {
	spam := fp("free robux at this site click now before it is gone")
	variant := fp("free robux at this site click now before its gone")
	other := fp("the library opens at nine tomorrow morning for everyone")
	short := fp("ㅋㅋ")
	tests := []struct {
		name         string
		earlier      []Fingerprint
		gap          time.Duration // between events
		msg          Fingerprint
		reps, nearly int
	}{
		{"none", nil, time.Second, spam, 0, 0},
		{"three exact", []Fingerprint{spam, spam, spam}, time.Second, spam, 3, 3},
		{"near", []Fingerprint{spam, variant, other}, time.Second, spam, 1, 2},
		{"short text exact only", []Fingerprint{short, short}, time.Second, short, 2, 2},
		{"no text never repeats", []Fingerprint{{}, {}}, time.Second, Fingerprint{}, 0, 0},
		{"only last depth", []Fingerprint{spam, spam, other, other, other, other, other, other, other, other}, time.Second, spam, 0, 0},
		{"outside repeat window", []Fingerprint{spam, spam}, 6 * time.Minute, spam, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSenders(t, Config{RepeatWindow: 10 * time.Minute})
			at := t0
			for _, f := range tt.earlier {
				s.Observe("u1", "plaza-1", at, f)
				at = at.Add(tt.gap)
			}
			got := s.Observe("u1", "plaza-1", at, tt.msg)
			if got.Repeats != tt.reps || got.NearRepeats != tt.nearly {
				t.Errorf("repeats %d near %d, want %d %d", got.Repeats, got.NearRepeats, tt.reps, tt.nearly)
			}
		})
	}
}

func TestExpiry(t *testing.T) {
	s := newSenders(t, Config{IdleTTL: time.Minute})
	for i := range 100 {
		s.Observe(fmt.Sprint("u", i), "plaza-1", t0, Fingerprint{})
	}
	s.Observe("active", "plaza-1", t0.Add(59*time.Second), Fingerprint{})
	if n := s.Sweep(t0.Add(59 * time.Second)); n != 0 {
		t.Fatalf("swept %d before the TTL", n)
	}
	// Observe alone expires a few idle records per call.
	s.Observe("active", "plaza-1", t0.Add(61*time.Second), Fingerprint{})
	if s.Len() != 99 {
		t.Errorf("after one observe past the TTL: %d records, want 99", s.Len())
	}
	if n := s.Sweep(t0.Add(61 * time.Second)); n != 98 {
		t.Errorf("swept %d, want 98", n)
	}
	if s.Len() != 1 {
		t.Errorf("%d records left, want 1", s.Len())
	}
	// An expired sender starts afresh.
	if got := s.Observe("u1", "plaza-1", t0.Add(62*time.Second), Fingerprint{}); got.Rates[2] != 1 {
		t.Errorf("expired sender's rate %d, want 1", got.Rates[2])
	}
	if _, exp := s.Stats(); exp != 100 {
		t.Errorf("expired count %d, want 100", exp)
	}
}

func TestEvictionAtCap(t *testing.T) {
	s := newSenders(t, Config{MaxSenders: 3})
	s.Observe("a", "x", t0, Fingerprint{})
	s.Observe("b", "x", t0.Add(time.Second), Fingerprint{})
	s.Observe("c", "x", t0.Add(2*time.Second), Fingerprint{})
	s.Observe("a", "x", t0.Add(3*time.Second), Fingerprint{}) // a is now the most recent
	s.Observe("d", "x", t0.Add(4*time.Second), Fingerprint{}) // evicts b
	if s.Len() != 3 {
		t.Fatalf("%d records, want 3", s.Len())
	}
	if ev, _ := s.Stats(); ev != 1 {
		t.Errorf("evicted %d, want 1", ev)
	}
	if got := s.Observe("a", "x", t0.Add(5*time.Second), Fingerprint{}).Rates[1]; got != 3 {
		t.Errorf("a kept: rate %d, want 3", got)
	}
	if got := s.Observe("b", "x", t0.Add(6*time.Second), Fingerprint{}).Rates[1]; got != 1 {
		t.Errorf("b evicted: rate %d, want 1", got)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"defaults", Config{}, true},
		{"depth too big", Config{RepeatDepth: MaxRepeatDepth + 1}, false},
		{"windows out of order", Config{Windows: [3]time.Duration{time.Minute, time.Second, time.Hour}}, false},
		{"window not divisible", Config{Windows: [3]time.Duration{7, time.Second, time.Hour}}, false},
		{"distance", Config{NearDistance: 65}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

func BenchmarkObserve(b *testing.B) {
	const senders = 100_000
	s := newSenders(b, Config{})
	keys := make([]uint64, senders)
	for i := range keys {
		keys[i] = Key(fmt.Sprint("user-", i), "plaza-1")
	}
	f := fp("free robux at this site click now before it is gone")
	at := t0
	for i, k := range keys {
		s.ObserveKey(k, at.Add(time.Duration(i)*time.Microsecond), f)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		at = at.Add(time.Millisecond)
		s.ObserveKey(keys[i%senders], at, f)
		i++
	}
}

// BenchmarkObserveStrings is BenchmarkObserve through Observe, hashing the
// sender and space ids on each call.
func BenchmarkObserveStrings(b *testing.B) {
	const senders = 100_000
	s := newSenders(b, Config{})
	ids := make([]string, senders)
	for i := range ids {
		ids[i] = fmt.Sprint("user-", i)
	}
	f := fp("free robux at this site click now before it is gone")
	at := t0
	for _, id := range ids {
		at = at.Add(time.Microsecond)
		s.Observe(id, "plaza-1", at, f)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		at = at.Add(time.Millisecond)
		s.Observe(ids[i%senders], "plaza-1", at, f)
		i++
	}
}

// TestMemoryMillionSenders fills a Senders with one million active
// (sender, space) pairs and reports the heap it holds.
func TestMemoryMillionSenders(t *testing.T) {
	racetest.Heavy(t)
	if testing.Short() {
		t.Skip("fills a million records")
	}
	const n = 1_000_000
	f := fp("free robux at this site click now before it is gone")
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s := newSenders(t, Config{MaxSenders: n})
	for i := range n {
		s.ObserveKey(uint64(i)*0x9e3779b97f4a7c15+1, t0.Add(time.Duration(i)*time.Microsecond), f)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if s.Len() != n {
		t.Fatalf("%d records, want %d", s.Len(), n)
	}
	used := after.HeapAlloc - before.HeapAlloc
	t.Logf("record %d bytes; %d senders hold %.1f MB of heap (%d bytes each)",
		unsafe.Sizeof(record{}), n, float64(used)/(1<<20), used/n)
	if used > 400<<20 {
		t.Errorf("%d bytes for a million senders, want under 400 MB", used)
	}
	runtime.KeepAlive(s)
}
