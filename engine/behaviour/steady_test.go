package behaviour

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestSteadyStateAllocations(t *testing.T) {
	letters := []rune("heyeveryonecometotheplazatonightforfreegifts")
	s := newSenders(t, Config{})
	w := newWaves(t, WaveConfig{})
	f := NewFingerprint(letters)
	at := t0
	s.Observe("u1", "plaza-1", at, f)
	tests := []struct {
		name string
		fn   func()
	}{
		{"NewFingerprint", func() { f = NewFingerprint(letters) }},
		{"Senders.Observe", func() { at = at.Add(time.Second); s.Observe("u1", "plaza-1", at, f) }},
		{"Waves.Observe", func() { at = at.Add(time.Second); w.Observe(7, at, f) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, tt.fn); n != 0 {
				t.Errorf("%v allocations per call, want 0", n)
			}
		})
	}
}

// TestKeyStable pins Key: snapshots store keys, so changing the hash would
// silently orphan every persisted record.
func TestKeyStable(t *testing.T) {
	// FNV-1a 64 of "u1\x00plaza-1", computed outside Go.
	if got, want := Key("u1", "plaza-1"), uint64(0x8edcbd4335d4d5e7); got != want {
		t.Errorf("Key = %#x, want %#x", got, want)
	}
}

// TestWaveFindsSmallDistances checks the pigeonhole guarantee: with four
// 16-bit bands, three flipped bits leave at least one band intact.
func TestWaveFindsSmallDistances(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range 200 {
		w := newWaves(t, WaveConfig{})
		base := Fingerprint{Exact: 1, Sim: rng.Uint64(), HasSim: true}
		w.Observe(1, t0, base)
		moved := base
		for range 3 {
			moved.Sim ^= 1 << rng.IntN(64)
		}
		if got := w.Observe(2, t0, moved); got != 2 {
			t.Fatalf("trial %d: distance %d not found", i, Distance(base.Sim, moved.Sim))
		}
	}
}
