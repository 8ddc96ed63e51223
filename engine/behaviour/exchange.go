package behaviour

import (
	"context"
	"fmt"
	"time"
)

// MarkKind says what a Mark counts towards.
type MarkKind uint8

// The kinds of marks instances share.
const (
	// MarkWave is a message's SimHash, for the wave index.
	MarkWave MarkKind = 1
	// MarkDomain is a sender linking to a domain (Key hashes the domain).
	MarkDomain MarkKind = 2
	// MarkTarget is an abusive message at a user (Key hashes the user).
	MarkTarget MarkKind = 3
)

// Mark is one observation another instance needs to count senders across
// the whole world: hashes and a time, never ids or content.
type Mark struct {
	// Seq is the store's number for the mark; set by MarkStore.Marks.
	Seq    int64
	Kind   MarkKind
	Key    uint64 // the domain or target hash; 0 for MarkWave
	Sender uint64
	Sim    uint64 // MarkWave only
	At     int64  // event time, Unix ns
}

// MarkStore is where instances exchange marks; the case store implements
// it on SQLite and PostgreSQL.
type MarkStore interface {
	// AppendMarks stores marks made by instance.
	AppendMarks(ctx context.Context, instance string, marks []Mark) error
	// Marks returns the marks other instances stored since since (by the
	// store's clock, a little before the last call: rows committed late
	// are read again and deduplicated by Seq), at most limit.
	Marks(ctx context.Context, instance string, since time.Time, limit int) ([]Mark, error)
	// PurgeMarks deletes marks stored before before.
	PurgeMarks(ctx context.Context, before time.Time) error
}

// maxPending bounds the marks waiting for the next exchange; beyond it the
// newest are dropped and counted (Dropped).
const maxPending = 1 << 16

// share queues m for the other instances; called with crossMu held.
func (t *Tracker) share(m Mark) {
	if !t.sharing {
		return
	}
	if len(t.pending) >= maxPending {
		t.dropped++
		return
	}
	t.pending = append(t.pending, m)
}

// Exchanger shares a Tracker's cross-sender marks with the other
// instances through a MarkStore, so that waves, link domains and pile-ons
// are counted over every worker's senders: each instance writes what it
// saw and merges what the others wrote, every Every.
type Exchanger struct {
	t        *Tracker
	store    MarkStore
	instance string
	every    time.Duration
	now      func() time.Time
	// seen are the marks merged in the last reads, by Seq, so that the
	// overlap between reads merges nothing twice.
	seen      map[int64]int64 // seq → when read (Unix ns)
	lastRead  time.Time
	lastPurge time.Time
}

// overlap is how far before the last read each read starts again: rows
// committed late (PostgreSQL numbers them before commit) and clocks a
// little apart are still read.
const overlap = 10 * time.Second

// NewExchanger shares t's marks through store as instance (a name unique
// among the running instances). It turns sharing on in t.
func NewExchanger(t *Tracker, store MarkStore, instance string, every time.Duration) *Exchanger {
	t.crossMu.Lock()
	t.sharing = true
	t.crossMu.Unlock()
	return &Exchanger{t: t, store: store, instance: instance, every: every, now: time.Now, seen: map[int64]int64{}}
}

// Run exchanges marks every Every until ctx ends. Failures are returned to
// report (the caller logs them) and retried at the next tick; marks that
// could not be written are kept, up to the pending bound.
func (x *Exchanger) Run(ctx context.Context, report func(error)) {
	tick := time.NewTicker(x.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := x.Exchange(ctx); err != nil && ctx.Err() == nil {
				report(err)
			}
		}
	}
}

// Exchange writes the pending marks, merges the other instances' new ones
// and, once a minute, purges marks older than every window.
func (x *Exchanger) Exchange(ctx context.Context) error {
	t := x.t
	t.crossMu.Lock()
	out := t.pending
	t.pending = nil
	t.crossMu.Unlock()
	if len(out) > 0 {
		if err := x.store.AppendMarks(ctx, x.instance, out); err != nil {
			t.crossMu.Lock()
			if room := maxPending - len(t.pending); room > 0 {
				t.pending = append(out[:min(len(out), room)], t.pending...)
			}
			t.crossMu.Unlock()
			return fmt.Errorf("behaviour: share marks: %w", err)
		}
	}
	now := x.now()
	since := x.lastRead.Add(-overlap)
	if x.lastRead.IsZero() {
		since = now.Add(-t.longestShared())
	}
	in, err := x.store.Marks(ctx, x.instance, since, 4*maxPending)
	if err != nil {
		return fmt.Errorf("behaviour: read marks: %w", err)
	}
	x.lastRead = now
	fresh := in[:0]
	for _, m := range in {
		if _, dup := x.seen[m.Seq]; !dup {
			x.seen[m.Seq] = now.UnixNano()
			fresh = append(fresh, m)
		}
	}
	for seq, at := range x.seen {
		if at < now.Add(-3*overlap).UnixNano() {
			delete(x.seen, seq)
		}
	}
	t.merge(fresh)
	if now.Sub(x.lastPurge) >= time.Minute {
		x.lastPurge = now
		if err := x.store.PurgeMarks(ctx, now.Add(-t.longestShared()-overlap)); err != nil {
			return fmt.Errorf("behaviour: purge marks: %w", err)
		}
	}
	return nil
}

// longestShared is the longest window a shared mark counts in.
func (t *Tracker) longestShared() time.Duration {
	return max(t.cfg.Waves.Window, t.cfg.DomainWindow, t.cfg.PileOnWindow)
}

// merge counts other instances' marks. Waves only index them (they are
// counted when this instance sees a near-copy); domains and targets add
// the sender to the key's set.
func (t *Tracker) merge(marks []Mark) {
	if len(marks) == 0 {
		return
	}
	t.crossMu.Lock()
	defer t.crossMu.Unlock()
	for _, m := range marks {
		switch m.Kind {
		case MarkWave:
			t.waves.insert(m.Sender, m.At, m.Sim)
		case MarkDomain:
			t.domains.add(m.Key, m.Sender, m.At)
		case MarkTarget:
			t.targets.add(m.Key, m.Sender, m.At)
		}
	}
}

// Dropped returns how many marks were not shared because too many were
// waiting (the store was unreachable for long).
func (t *Tracker) Dropped() uint64 {
	t.crossMu.Lock()
	defer t.crossMu.Unlock()
	return t.dropped
}
