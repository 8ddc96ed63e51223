package behaviour

import (
	"context"
	"fmt"
	"time"
)

// WaveCounter counts distinct senders posting near-copies of a text across
// the whole world. The pipeline consumes it; Waves is the in-memory
// implementation for a single worker, and a shared-store implementation
// (for waves spread over partitions) satisfies the same contract.
type WaveCounter interface {
	// ObserveWave records that sender posted a message with fingerprint fp
	// at event time at, and returns how many distinct senders, this one
	// included, posted a near-copy within the wave window. A fingerprint
	// without a SimHash returns 0 and is not recorded.
	ObserveWave(ctx context.Context, sender string, at time.Time, fp Fingerprint) (int, error)
}

// WaveConfig sets the shape of a Waves. Zero fields take the defaults
// documented on them.
type WaveConfig struct {
	// Window is how far back near-copies count; default 2 min.
	Window time.Duration
	// BandBits is the width of an LSH band, 8 or 16; default 16 (four
	// bands). 8-bit bands find pairs further apart but compare many more
	// candidates.
	BandBits int
	// NearDistance is the largest SimHash distance counted as a near-copy;
	// default 12.
	NearDistance int
	// Capacity is the number of recent messages kept; default 1<<18. When
	// it is full the oldest are overwritten, so in a busy world the
	// effective window can be shorter than Window.
	Capacity int
	// MaxProbe bounds the entries examined per band for one message;
	// default 256. It keeps one sender repeating a text thousands of times
	// from making each lookup walk them all.
	MaxProbe int
	// MaxCount is where the count saturates; default 64.
	MaxCount int
}

func (c WaveConfig) withDefaults() WaveConfig {
	if c.Window == 0 {
		c.Window = 2 * time.Minute
	}
	if c.BandBits == 0 {
		c.BandBits = 16
	}
	if c.NearDistance == 0 {
		c.NearDistance = 12
	}
	if c.Capacity == 0 {
		c.Capacity = 1 << 18
	}
	if c.MaxProbe == 0 {
		c.MaxProbe = 256
	}
	if c.MaxCount == 0 {
		c.MaxCount = 64
	}
	return c
}

// Validate reports whether c, with defaults filled in, is usable.
func (c WaveConfig) Validate() error {
	c = c.withDefaults()
	switch {
	case c.Window < 0:
		return fmt.Errorf("behaviour: wave window %v is negative", c.Window)
	case c.BandBits != 8 && c.BandBits != 16:
		return fmt.Errorf("behaviour: band bits %d, want 8 or 16", c.BandBits)
	case c.NearDistance < 0 || c.NearDistance > 64:
		return fmt.Errorf("behaviour: near distance %d not in [0, 64]", c.NearDistance)
	case c.Capacity < 1 || c.Capacity > 1<<28:
		return fmt.Errorf("behaviour: wave capacity %d out of range", c.Capacity)
	case c.MaxProbe < 1 || c.MaxCount < 1 || c.MaxCount > 1<<16:
		return fmt.Errorf("behaviour: max probe %d or max count %d out of range", c.MaxProbe, c.MaxCount)
	}
	return nil
}

type waveEntry struct {
	sim    uint64
	sender uint64
	at     int64 // Unix ns
}

// Waves is an in-memory WaveCounter: a ring of the last Capacity
// fingerprints, with one bucket chain per (band, band value) threaded
// through the ring newest first. Memory is allocated once, in NewWaves:
// about (24 + 8×bands) bytes per entry plus 8×bands×2^BandBits for the
// bucket heads (18 MB with the defaults). Not safe for concurrent use.
type Waves struct {
	cfg     WaveConfig
	bands   int
	mask    uint64
	entries []waveEntry
	next    []uint64 // next[slot*bands+b]: older entry's sequence in band b's chain
	heads   []uint64 // heads[b<<bits|value]: newest entry's sequence; 0 is none
	seq     uint64   // sequence of the last entry written; entry seq lives in slot seq%cap
	seen    []uint64 // senders counted for the current message
	set     []int32  // open-addressed set over seen: index+1, 0 is empty
	// newest is the latest time inserted, and late the most an entry
	// was ever inserted behind newest (entries merged from other
	// instances arrive late). An entry inserted before entry e is at
	// most e.at+late, so a chain walk stops at the first entry older
	// than the window by more than late.
	newest, late int64
}

// NewWaves returns an empty wave index shaped by cfg.
func NewWaves(cfg WaveConfig) (*Waves, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	bands := 64 / cfg.BandBits
	return &Waves{
		cfg:     cfg,
		bands:   bands,
		mask:    1<<cfg.BandBits - 1,
		entries: make([]waveEntry, cfg.Capacity),
		next:    make([]uint64, cfg.Capacity*bands),
		heads:   make([]uint64, bands<<cfg.BandBits),
		seen:    make([]uint64, 0, cfg.MaxCount),
		set:     make([]int32, setSize(cfg.MaxCount)),
	}, nil
}

// ObserveWave implements WaveCounter; ctx is unused and the error is always
// nil.
func (w *Waves) ObserveWave(_ context.Context, sender string, at time.Time, fp Fingerprint) (int, error) {
	return w.Observe(Key(sender, ""), at, fp), nil
}

// Observe is ObserveWave for a sender key (Key(sender, "")).
func (w *Waves) Observe(sender uint64, at time.Time, fp Fingerprint) int {
	if !fp.HasSim {
		return 0
	}
	now := at.UnixNano()
	from := now - int64(w.cfg.Window)
	capacity := uint64(len(w.entries))
	w.resetSeen()
	w.addSeen(sender)
	for b := 0; b < w.bands && len(w.seen) < w.cfg.MaxCount; b++ {
		v := fp.Sim >> (b * w.cfg.BandBits) & w.mask
		s := w.heads[b<<w.cfg.BandBits|int(v)]
		for probe := 0; s != 0 && probe < w.cfg.MaxProbe; probe++ {
			if w.seq >= capacity && s <= w.seq-capacity {
				break // overwritten: everything further down is older still
			}
			slot := s % capacity
			e := &w.entries[slot]
			if e.at < from {
				if e.at < from-w.late {
					break // everything further down is older than the window
				}
				// Entries from other instances (Tracker merges them)
				// arrive out of time order, so an old entry does not
				// mean the rest of the chain is older: skip it.
				s = w.next[slot*uint64(w.bands)+uint64(b)]
				continue
			}
			if e.at <= now && Distance(e.sim, fp.Sim) <= w.cfg.NearDistance && w.addSeen(e.sender) {
				if len(w.seen) == w.cfg.MaxCount {
					break
				}
			}
			s = w.next[slot*uint64(w.bands)+uint64(b)]
		}
	}
	n := len(w.seen)
	w.insert(sender, now, fp.Sim)
	return n
}

func (w *Waves) insert(sender uint64, at int64, sim uint64) {
	if w.seq == 0 || at > w.newest {
		w.newest = at
	} else if d := w.newest - at; d > w.late {
		w.late = d
	}
	w.seq++
	slot := w.seq % uint64(len(w.entries))
	w.entries[slot] = waveEntry{sim: sim, sender: sender, at: at}
	for b := range w.bands {
		h := b<<w.cfg.BandBits | int(sim>>(b*w.cfg.BandBits)&w.mask)
		w.next[slot*uint64(w.bands)+uint64(b)] = w.heads[h]
		w.heads[h] = w.seq
	}
}

// setSize is a power of two at least twice n, so probes stay short.
func setSize(n int) int {
	size := 4
	for size < 2*n {
		size *= 2
	}
	return size
}

// resetSeen empties the sender set, clearing only the slots in use.
func (w *Waves) resetSeen() {
	mask := uint64(len(w.set) - 1)
	for _, v := range w.seen {
		for i := mix64(v) & mask; w.set[i] != 0; i = (i + 1) & mask {
			w.set[i] = 0
		}
	}
	w.seen = w.seen[:0]
}

// addSeen adds sender to the set and reports whether it was new.
func (w *Waves) addSeen(sender uint64) bool {
	mask := uint64(len(w.set) - 1)
	i := mix64(sender) & mask
	for ; w.set[i] != 0; i = (i + 1) & mask {
		if w.seen[w.set[i]-1] == sender {
			return false
		}
	}
	w.seen = append(w.seen, sender)
	w.set[i] = int32(len(w.seen))
	return true
}
