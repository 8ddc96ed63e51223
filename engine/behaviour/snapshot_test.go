package behaviour

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// busySenders returns a Senders after a deterministic stream of events
// from 50 senders in 3 spaces, with repeats, near repeats and textless
// messages.
func busySenders(t testing.TB, cfg Config) *Senders {
	t.Helper()
	s := newSenders(t, cfg)
	texts := []Fingerprint{fp(spamText), fp("free robux at this site click now before its gone"), fp("ㅋㅋ"), {},
		fp("지금 바로 이 링크 누르면 무료 아이템 드립니다")}
	rng := rand.New(rand.NewPCG(3, 4))
	at := t0
	for range 2000 {
		at = at.Add(time.Duration(rng.IntN(500)) * time.Millisecond)
		s.Observe(fmt.Sprint("u", rng.IntN(50)), fmt.Sprint("space-", rng.IntN(3)), at, texts[rng.IntN(len(texts))])
	}
	return s
}

func TestSnapshotRoundTrip(t *testing.T) {
	a := busySenders(t, Config{})
	snap := a.AppendSnapshot(nil)
	b := newSenders(t, Config{})
	if err := b.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if b.Len() != a.Len() {
		t.Fatalf("restored %d records, want %d", b.Len(), a.Len())
	}
	if again := b.AppendSnapshot(nil); !bytes.Equal(again, snap) {
		t.Fatal("snapshot of the restored state differs")
	}
	// Both carry on identically, eviction order included.
	rng := rand.New(rand.NewPCG(5, 6))
	at := time.Unix(0, a.latest)
	for i := range 500 {
		at = at.Add(time.Duration(rng.IntN(3000)) * time.Millisecond)
		sender, space, f := fmt.Sprint("u", rng.IntN(60)), fmt.Sprint("space-", rng.IntN(3)), fp(spamText)
		if ga, gb := a.Observe(sender, space, at, f), b.Observe(sender, space, at, f); ga != gb {
			t.Fatalf("event %d: original %+v, restored %+v", i, ga, gb)
		}
	}
}

func TestSnapshotRestoreDropsOldestOverCap(t *testing.T) {
	a := newSenders(t, Config{})
	for i := range 10 {
		a.Observe(fmt.Sprint("u", i), "x", t0.Add(time.Duration(i)*time.Second), Fingerprint{})
	}
	b := newSenders(t, Config{MaxSenders: 4})
	if err := b.Restore(a.AppendSnapshot(nil)); err != nil {
		t.Fatal(err)
	}
	if b.Len() != 4 {
		t.Fatalf("%d records, want 4", b.Len())
	}
	if got := b.Observe("u9", "x", t0.Add(10*time.Second), Fingerprint{}).Rates[1]; got != 2 {
		t.Errorf("newest kept: rate %d, want 2", got)
	}
	if got := b.Observe("u0", "x", t0.Add(10*time.Second), Fingerprint{}).Rates[1]; got != 1 {
		t.Errorf("oldest dropped: rate %d, want 1", got)
	}
}

func TestSnapshotRejectsBadInput(t *testing.T) {
	good := busySenders(t, Config{}).AppendSnapshot(nil)
	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 0x40
		return b
	}
	// reseal recomputes the checksum, so the structural checks are reached.
	reseal := func(b []byte) []byte {
		return seal(bytes.Clone(b[:len(b)-4]), 0)
	}
	tests := []struct {
		name string
		in   []byte
		cfg  Config
	}{
		{"empty", nil, Config{}},
		{"header only", good[:snapshotHeader], Config{}},
		{"truncated", good[:len(good)-1], Config{}},
		{"truncated mid record", reseal(good[:len(good)-40]), Config{}},
		{"flipped byte", flip(len(good) / 2), Config{}},
		{"wrong version", reseal(flip(0)), Config{}},
		{"other windows", good, Config{Windows: [3]time.Duration{time.Second, time.Minute, time.Hour}}},
		{"other depth", good, Config{RepeatDepth: 4}},
		{"count too high", reseal(func() []byte {
			b := bytes.Clone(good)
			b[snapshotHeader-4]++
			return b
		}()), Config{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := busySenders(t, tt.cfg)
			before := s.AppendSnapshot(nil)
			err := s.Restore(tt.in)
			if !errors.Is(err, ErrSnapshot) {
				t.Fatalf("Restore() = %v, want ErrSnapshot", err)
			}
			if !bytes.Equal(s.AppendSnapshot(nil), before) {
				t.Error("failed Restore changed the state")
			}
		})
	}
}

func FuzzRestore(f *testing.F) {
	good := busySenders(f, Config{}).AppendSnapshot(nil)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(newSenders(f, Config{}).AppendSnapshot(nil))
	f.Add([]byte{snapshotVersion})
	f.Fuzz(func(t *testing.T, b []byte) {
		// As given, and resealed so the checksum does not hide the
		// structural checks from the fuzzer.
		for _, in := range [][]byte{b, seal(bytes.Clone(b), 0)} {
			s := newSenders(t, Config{})
			if err := s.Restore(in); err != nil {
				continue
			}
			if again := s.AppendSnapshot(nil); !bytes.Equal(again, in) {
				t.Fatal("accepted snapshot does not round-trip")
			}
		}
	})
}
