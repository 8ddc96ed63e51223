package behaviour

// distinctSize is how many senders a distinct set remembers per key. The
// policy's thresholds are far below it; a key with more recent senders
// than this counts as distinctSize.
const distinctSize = 16

// distinctSet is the latest senders seen under one key and when.
type distinctSet struct {
	senders [distinctSize]uint64
	at      [distinctSize]int64
	n       int
	newest  int64
}

// distinct counts, per key (a link domain, a target user), the distinct
// senders seen within a window. Memory is bounded by maxKeys: when it is
// reached, keys whose newest sender left the window are swept, and if none
// did, the new key is not remembered (its count is still returned).
type distinct struct {
	window  int64
	maxKeys int
	sets    map[uint64]*distinctSet
	// sweepAt is the map size at which the next sweep runs; a sweep that
	// left the map full waits until quietUntil (event time), so a flood of
	// new keys does not sweep on every one.
	sweepAt    int
	quietUntil int64
}

func newDistinct(window int64, maxKeys int) *distinct {
	return &distinct{window: window, maxKeys: maxKeys, sets: make(map[uint64]*distinctSet), sweepAt: min(maxKeys, 1024)}
}

// add records sender under key at time at (Unix ns).
func (d *distinct) add(key, sender uint64, at int64) {
	s := d.sets[key]
	if s == nil {
		if len(d.sets) >= d.sweepAt && at >= d.quietUntil {
			d.sweep(at)
		}
		if len(d.sets) >= d.maxKeys {
			return
		}
		s = &distinctSet{}
		d.sets[key] = s
	}
	s.newest = max(s.newest, at)
	oldest := 0
	for i := range s.n {
		if s.senders[i] == sender {
			s.at[i] = max(s.at[i], at)
			return
		}
		if s.at[i] < s.at[oldest] {
			oldest = i
		}
	}
	if s.n < distinctSize {
		oldest = s.n
		s.n++
	}
	s.senders[oldest], s.at[oldest] = sender, at
}

// count returns the distinct senders under key within the window ending at
// at, leaving out except (0 leaves out no one).
func (d *distinct) count(key, except uint64, at int64) int {
	s := d.sets[key]
	if s == nil {
		return 0
	}
	from, n := at-d.window, 0
	for i := range s.n {
		if s.at[i] >= from && s.at[i] <= at && s.senders[i] != except {
			n++
		}
	}
	return n
}

// sweep drops the keys with no sender in the window ending at at, and
// sets the size of the next sweep.
func (d *distinct) sweep(at int64) {
	for k, s := range d.sets {
		if s.newest < at-d.window {
			delete(d.sets, k)
		}
	}
	d.sweepAt = min(d.maxKeys, max(1024, 2*len(d.sets)))
	if len(d.sets) >= d.maxKeys {
		d.quietUntil = at + d.window/16
	}
}
