package behaviour

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

func newWaves(t testing.TB, cfg WaveConfig) *Waves {
	t.Helper()
	w, err := NewWaves(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

const spamText = "free robux at this site click now before it is gone"

func TestWaveCountsDistinctSenders(t *testing.T) {
	spam := fp(spamText)
	variant := fp("🔥free robux at this site click now before its gone🔥")
	other := fp("the library opens at nine tomorrow morning for everyone")
	type post struct {
		sender string
		after  time.Duration
		fp     Fingerprint
	}
	tests := []struct {
		name  string
		bits  int
		posts []post
		last  post
		want  int
	}{
		{"alone", 0, nil, post{"a", 0, spam}, 1},
		{"one sender many times", 0, []post{{"a", 0, spam}, {"a", 1, spam}, {"a", 2, spam}}, post{"a", 3, spam}, 1},
		{"three senders", 0, []post{{"a", 0, spam}, {"b", 1, spam}, {"b", 2, spam}}, post{"c", 3, spam}, 3},
		{"near copies count", 8, []post{{"a", 0, variant}, {"b", 1, spam}}, post{"c", 3, variant}, 3},
		{"unrelated do not", 0, []post{{"a", 0, other}, {"b", 1, other}}, post{"c", 3, spam}, 1},
		{"outside window", 0, []post{{"a", 0, spam}, {"b", 0, spam}}, post{"c", 2*time.Minute + 1, spam}, 1},
		{"inside window", 0, []post{{"a", 0, spam}, {"b", 0, spam}}, post{"c", 2 * time.Minute, spam}, 3},
		{"short text not tracked", 0, []post{{"a", 0, fp("ㅋㅋ")}}, post{"b", 1, fp("ㅋㅋ")}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWaves(t, WaveConfig{BandBits: tt.bits})
			for _, p := range tt.posts {
				if _, err := w.ObserveWave(context.Background(), p.sender, t0.Add(p.after), p.fp); err != nil {
					t.Fatal(err)
				}
			}
			got, _ := w.ObserveWave(context.Background(), tt.last.sender, t0.Add(tt.last.after), tt.last.fp)
			if got != tt.want {
				t.Errorf("count %d, want %d", got, tt.want)
			}
		})
	}
}

func TestWaveCapacityOverwritesOldest(t *testing.T) {
	w := newWaves(t, WaveConfig{Capacity: 8})
	spam := fp(spamText)
	w.Observe(1, t0, spam)
	w.Observe(2, t0, spam)
	for i := range 8 {
		w.Observe(uint64(100+i), t0, fp(fmt.Sprintf("unrelated filler message number %d about the library", i)))
	}
	if got := w.Observe(3, t0, spam); got != 1 {
		t.Errorf("count %d after the spam was overwritten, want 1", got)
	}
}

func TestWaveSaturatesAndProbesBounded(t *testing.T) {
	w := newWaves(t, WaveConfig{MaxCount: 5, MaxProbe: 16})
	spam := fp(spamText)
	for i := range 10 {
		w.Observe(uint64(i+1), t0, spam)
	}
	if got := w.Observe(99, t0, spam); got != 5 {
		t.Errorf("count %d, want saturated at 5", got)
	}
	// One sender repeating past MaxProbe hides older senders: the bound
	// is the point, the undercount is its cost.
	w = newWaves(t, WaveConfig{MaxProbe: 16})
	w.Observe(1, t0, spam)
	for range 100 {
		w.Observe(2, t0, spam)
	}
	if got := w.Observe(3, t0, spam); got != 2 {
		t.Errorf("count %d, want 2 (sender 1 beyond the probe bound)", got)
	}
}

// TestWaveRecallOfEdits measures how often a near-copy made by changing one
// word is found, for both band widths. It asserts only loose floors; the
// logged figures are the documentation.
func TestWaveRecallOfEdits(t *testing.T) {
	words := []string{"free", "robux", "gifts", "coins", "plaza", "tonight", "shop", "click", "link", "now",
		"everyone", "come", "prize", "event", "today", "hurry", "limited", "offer", "visit", "site"}
	rng := rand.New(rand.NewPCG(1, 2))
	message := func() []string {
		m := make([]string, 15)
		for i := range m {
			m[i] = words[rng.IntN(len(words))]
		}
		return m
	}
	join := func(m []string) string {
		s := ""
		for _, x := range m {
			s += x + " "
		}
		return s
	}
	for _, tt := range []struct {
		bits  int
		floor float64
	}{{16, 0.2}, {8, 0.7}} {
		t.Run(fmt.Sprint(tt.bits, "-bit bands"), func(t *testing.T) {
			found, trials := 0, 300
			for i := range trials {
				w := newWaves(t, WaveConfig{BandBits: tt.bits})
				m := message()
				w.Observe(1, t0, fp(join(m)))
				m[rng.IntN(len(m))] = words[rng.IntN(len(words))] + "x"
				if w.Observe(uint64(2+i), t0, fp(join(m))) == 2 {
					found++
				}
			}
			recall := float64(found) / float64(trials)
			t.Logf("one word of fifteen changed: pair found %.0f%% of the time", 100*recall)
			if recall < tt.floor {
				t.Errorf("recall %.2f, want at least %.2f", recall, tt.floor)
			}
		})
	}
}

// TestWaveStopsAtExpiredUnlessLate: the walk down a chain stops at the
// first entry older than the window, yet an entry merged late from
// another instance, which sits in the chain above older-sequenced but
// newer entries, does not hide them.
func TestWaveStopsAtExpiredUnlessLate(t *testing.T) {
	spam := fp(spamText)
	t.Run("late merge does not hide newer copies", func(t *testing.T) {
		w := newWaves(t, WaveConfig{})
		w.Observe(Key("a", ""), t0.Add(100*time.Second), spam)
		w.insert(Key("b", ""), t0.Add(40*time.Second).UnixNano(), spam.Sim) // merged 60 s late
		if got := w.Observe(Key("c", ""), t0.Add(200*time.Second), spam); got != 2 {
			t.Errorf("count %d, want 2 (c and a)", got)
		}
	})
	t.Run("expired copies end the walk", func(t *testing.T) {
		w := newWaves(t, WaveConfig{MaxProbe: 1 << 20})
		for i := range 1000 {
			w.Observe(Key(fmt.Sprint("old", i), ""), t0.Add(time.Duration(i)*time.Millisecond), spam)
		}
		w.Observe(Key("recent", ""), t0.Add(10*time.Minute), spam)
		if got := w.Observe(Key("c", ""), t0.Add(11*time.Minute), spam); got != 2 {
			t.Errorf("count %d, want 2", got)
		}
		if w.late != 0 {
			t.Errorf("late %d with entries in time order", w.late)
		}
	})
}

// BenchmarkWaveObserveRepeatedText is the bench's case: the same few
// hundred texts come back after the window has passed, so every chain
// is long with expired copies.
func BenchmarkWaveObserveRepeatedText(b *testing.B) {
	w := newWaves(b, WaveConfig{})
	texts := make([]Fingerprint, 353)
	for i := range texts {
		texts[i] = fp(fmt.Sprintf("%s %d", spamText, i*7919))
	}
	at := t0
	for i := range w.cfg.Capacity {
		w.Observe(uint64(i), at, texts[i%len(texts)])
		at = at.Add(500 * time.Millisecond)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		at = at.Add(500 * time.Millisecond)
		w.Observe(uint64(i), at, texts[i%len(texts)])
		i++
	}
}

func BenchmarkWaveObserve(b *testing.B) {
	w := newWaves(b, WaveConfig{})
	rng := rand.New(rand.NewPCG(1, 2))
	// A full ring of unrelated traffic, with a wave in every sixteenth
	// message.
	spam := fp(spamText)
	next := func(i int) Fingerprint {
		if i%16 == 0 {
			return spam
		}
		return Fingerprint{Exact: rng.Uint64(), Sim: rng.Uint64(), HasSim: true}
	}
	at := t0
	for i := range w.cfg.Capacity {
		w.Observe(uint64(i), at, next(i))
		at = at.Add(100 * time.Microsecond)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		at = at.Add(100 * time.Microsecond)
		w.Observe(uint64(i), at, next(i))
		i++
	}
}

// BenchmarkWaveObserveAllWave is the worst case: every message is a copy
// from a new sender, so every lookup saturates at MaxCount.
func BenchmarkWaveObserveAllWave(b *testing.B) {
	w := newWaves(b, WaveConfig{})
	spam := fp(spamText)
	at := t0
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		at = at.Add(100 * time.Microsecond)
		w.Observe(uint64(i), at, spam)
		i++
	}
}
