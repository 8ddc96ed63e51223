package behaviour

import (
	"errors"
	"fmt"
	"time"
)

// NumWindows is the number of rate windows a sender record keeps.
const NumWindows = 3

// WindowBuckets is the number of buckets in each rate window's ring.
const WindowBuckets = 10

// MaxRepeatDepth is the largest RepeatDepth a Config may ask for.
const MaxRepeatDepth = 8

// Config sets the shape and bounds of a Senders. The zero value of a field
// takes the default documented on it.
type Config struct {
	// Windows are the rate windows, shortest first; default 10 s, 60 s,
	// 10 min. Each must be a whole multiple of WindowBuckets nanoseconds.
	Windows [NumWindows]time.Duration
	// RepeatDepth is how many of a sender's latest messages in a space are
	// compared with a new one; default and at most MaxRepeatDepth.
	RepeatDepth int
	// RepeatWindow bounds how old a compared message may be; default the
	// longest rate window.
	RepeatWindow time.Duration
	// NearDistance is the largest SimHash distance counted as a near
	// repeat; default 12 (one word of ten to fifteen changed measures 8-12,
	// unrelated texts about 32).
	NearDistance int
	// IdleTTL is how long, in event time, a record lives without events;
	// default the longest window.
	IdleTTL time.Duration
	// MaxSenders caps the number of (sender, space) records; at the cap the
	// least recently touched record is evicted. Default 1<<20.
	MaxSenders int
}

func (c Config) withDefaults() Config {
	if c.Windows == ([NumWindows]time.Duration{}) {
		c.Windows = [NumWindows]time.Duration{10 * time.Second, time.Minute, 10 * time.Minute}
	}
	if c.RepeatDepth == 0 {
		c.RepeatDepth = 8
	}
	if c.RepeatWindow == 0 {
		c.RepeatWindow = c.Windows[NumWindows-1]
	}
	if c.NearDistance == 0 {
		c.NearDistance = 12
	}
	if c.IdleTTL == 0 {
		c.IdleTTL = c.Windows[NumWindows-1]
	}
	if c.MaxSenders == 0 {
		c.MaxSenders = 1 << 20
	}
	return c
}

// Validate reports whether c, with defaults filled in, is usable.
func (c Config) Validate() error {
	c = c.withDefaults()
	for i, w := range c.Windows {
		if w <= 0 || w%WindowBuckets != 0 {
			return fmt.Errorf("behaviour: window %d (%v) must be a positive multiple of %dns", i, w, WindowBuckets)
		}
		if i > 0 && w < c.Windows[i-1] {
			return errors.New("behaviour: windows must be shortest first")
		}
	}
	if c.RepeatDepth < 1 || c.RepeatDepth > MaxRepeatDepth {
		return fmt.Errorf("behaviour: repeat depth %d not in [1, %d]", c.RepeatDepth, MaxRepeatDepth)
	}
	if c.RepeatWindow < 0 || c.IdleTTL < 0 {
		return errors.New("behaviour: negative duration")
	}
	if c.NearDistance < 0 || c.NearDistance > 64 {
		return fmt.Errorf("behaviour: near distance %d not in [0, 64]", c.NearDistance)
	}
	if c.MaxSenders < 1 || c.MaxSenders >= 1<<31 {
		return fmt.Errorf("behaviour: max senders %d out of range", c.MaxSenders)
	}
	return nil
}

// SenderSignals is what Senders.Observe reports for one event, counting the
// event itself.
type SenderSignals struct {
	// Rates are the sender's messages in the space over each Config window,
	// shortest first (10 s, 60 s, 10 min by default).
	Rates [NumWindows]int
	// Repeats counts earlier messages, among the last RepeatDepth within
	// RepeatWindow, with the same normalised text.
	Repeats int
	// NearRepeats counts those within NearDistance by SimHash, exact repeats
	// included.
	NearRepeats int
}

// repeat is one remembered message. Exact is truncated to 32 bits: a false
// repeat needs a collision between two of one sender's last few messages.
type repeat struct {
	sim   uint64
	exact uint32
	sec   uint32 // event time, Unix seconds; 0 marks an empty slot
}

// record is one (sender, space) pair's state. It holds no pointers, so a
// million of them cost the garbage collector nothing to scan.
type record struct {
	key        uint64
	last       int64 // latest event time, Unix nanoseconds
	prev, next int32 // recency list: prev is more recent; -1 ends it
	counts     [NumWindows][WindowBuckets]uint16
	head       uint8 // next slot in reps
	simFlags   uint8 // bit i set when reps[i].sim is a SimHash
	reps       [MaxRepeatDepth]repeat
}

// Senders is per-(sender, space) flood and repetition state for the
// partitions one worker owns. Methods must be called from one goroutine.
type Senders struct {
	cfg     Config
	widths  [NumWindows]int64 // bucket width per window, ns
	index   map[uint64]int32
	recs    []record
	free    int32 // free list through record.next; -1 when empty
	newest  int32
	oldest  int32
	latest  int64 // latest event time seen, Unix ns
	evicted uint64
	expired uint64
}

// NewSenders returns empty state shaped by cfg.
func NewSenders(cfg Config) (*Senders, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Senders{cfg: cfg, index: make(map[uint64]int32), free: -1, newest: -1, oldest: -1}
	for i, w := range cfg.Windows {
		s.widths[i] = int64(w) / WindowBuckets
	}
	return s, nil
}

// Key hashes a sender and space id into the record key (FNV-1a 64 of
// sender, a zero byte, space). It is stable across processes and versions,
// because snapshots store it.
func Key(sender, space string) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(sender); i++ {
		h ^= uint64(sender[i])
		h *= fnvPrime
	}
	h *= fnvPrime // the separator byte, 0
	for i := 0; i < len(space); i++ {
		h ^= uint64(space[i])
		h *= fnvPrime
	}
	return h
}

// Len returns the number of live records.
func (s *Senders) Len() int { return len(s.index) }

// Stats reports records evicted at the cap and expired for idleness.
func (s *Senders) Stats() (evicted, expired uint64) { return s.evicted, s.expired }

// Observe records one message from sender in space at event time at and
// returns the sender's signals including it. Events may arrive somewhat out
// of order: a late event is counted in its own bucket while that bucket is
// still inside the window, and ignored by the rates otherwise.
func (s *Senders) Observe(sender, space string, at time.Time, fp Fingerprint) SenderSignals {
	return s.ObserveKey(Key(sender, space), at, fp)
}

// ObserveKey is Observe for a key from Key.
func (s *Senders) ObserveKey(key uint64, at time.Time, fp Fingerprint) SenderSignals {
	now := at.UnixNano()
	if now > s.latest {
		s.latest = now
	}
	s.expire(2)
	i, ok := s.index[key]
	if !ok {
		i = s.alloc(key, now)
	}
	r := &s.recs[i]
	s.touch(i)

	var sig SenderSignals
	for w := range NumWindows {
		sig.Rates[w] = s.countWindow(r, w, now)
	}
	if now > r.last {
		r.last = now
	}

	if fp.Exact != 0 {
		sec := uint32(at.Unix())
		minSec := at.Add(-s.cfg.RepeatWindow).Unix()
		exact := uint32(fp.Exact)
		for j := range s.cfg.RepeatDepth {
			p := &r.reps[j]
			if p.sec == 0 || int64(p.sec) < minSec {
				continue
			}
			if p.exact == exact {
				sig.Repeats++
				sig.NearRepeats++
			} else if fp.HasSim && r.simFlags&(1<<j) != 0 && Distance(p.sim, fp.Sim) <= s.cfg.NearDistance {
				sig.NearRepeats++
			}
		}
		if sec == 0 {
			sec = 1
		}
		h := int(r.head)
		r.reps[h] = repeat{sim: fp.Sim, exact: exact, sec: sec}
		if fp.HasSim {
			r.simFlags |= 1 << h
		} else {
			r.simFlags &^= 1 << h
		}
		r.head = uint8((h + 1) % s.cfg.RepeatDepth)
	}
	return sig
}

// countWindow adds the event at now to window w of r and returns the
// window's count. Buckets between r's latest event and now are cleared.
func (s *Senders) countWindow(r *record, w int, now int64) int {
	width := s.widths[w]
	e := floorDiv(now, width)
	l := floorDiv(r.last, width)
	c := &r.counts[w]
	switch {
	case e > l:
		gap := e - l
		if gap > WindowBuckets {
			gap = WindowBuckets
		}
		for k := int64(1); k <= gap; k++ {
			c[floorMod(l+k, WindowBuckets)] = 0
		}
		inc(&c[floorMod(e, WindowBuckets)])
	case l-e < WindowBuckets:
		inc(&c[floorMod(e, WindowBuckets)])
	}
	// The window ends at the latest event: a late event sees the same
	// window as the event before it.
	n := 0
	for _, v := range c {
		n += int(v)
	}
	return n
}

func inc(v *uint16) {
	if *v < ^uint16(0) {
		*v++
	}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// alloc makes a fresh record for key, evicting the least recently touched
// one at the cap.
func (s *Senders) alloc(key uint64, now int64) int32 {
	if len(s.index) >= s.cfg.MaxSenders {
		s.remove(s.oldest)
		s.evicted++
	}
	var i int32
	if s.free >= 0 {
		i = s.free
		s.free = s.recs[i].next
	} else {
		s.recs = append(s.recs, record{})
		i = int32(len(s.recs) - 1)
	}
	s.recs[i] = record{key: key, last: now, prev: -1, next: -1}
	s.index[key] = i
	s.linkNewest(i)
	return i
}

// touch moves record i to the newest end of the recency list.
func (s *Senders) touch(i int32) {
	if s.newest == i {
		return
	}
	s.unlink(i)
	s.linkNewest(i)
}

func (s *Senders) linkNewest(i int32) {
	r := &s.recs[i]
	r.prev, r.next = -1, s.newest
	if s.newest >= 0 {
		s.recs[s.newest].prev = i
	}
	s.newest = i
	if s.oldest < 0 {
		s.oldest = i
	}
}

func (s *Senders) unlink(i int32) {
	r := &s.recs[i]
	if r.prev >= 0 {
		s.recs[r.prev].next = r.next
	} else {
		s.newest = r.next
	}
	if r.next >= 0 {
		s.recs[r.next].prev = r.prev
	} else {
		s.oldest = r.prev
	}
	r.prev, r.next = -1, -1
}

func (s *Senders) remove(i int32) {
	s.unlink(i)
	delete(s.index, s.recs[i].key)
	s.recs[i] = record{next: s.free, prev: -1}
	s.free = i
}

// expire removes up to n records idle for IdleTTL before the latest event
// seen; n < 0 removes all of them. Records are touched in event order, so
// the oldest end of the recency list holds the idlest records.
func (s *Senders) expire(n int) {
	cutoff := s.latest - int64(s.cfg.IdleTTL)
	for ; n != 0 && s.oldest >= 0; n-- {
		if s.recs[s.oldest].last >= cutoff {
			return
		}
		s.remove(s.oldest)
		s.expired++
	}
}

// Sweep removes every record idle for IdleTTL before at (or before the
// latest event seen, if later) and returns how many it removed. Observe
// already expires a few records per call; Sweep is for quiet partitions.
func (s *Senders) Sweep(at time.Time) int {
	if t := at.UnixNano(); t > s.latest {
		s.latest = t
	}
	before := len(s.index)
	s.expire(-1)
	return before - len(s.index)
}
