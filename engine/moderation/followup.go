package moderation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
	"github.com/haechi-tns/haechi/internal/backoff"
)

// FollowUpDecider decides an event again with its image's text read;
// *engine.Pipeline implements it.
type FollowUpDecider interface {
	FollowUp(ctx context.Context, ev *engine.Event, b *engine.BehaviourSignals) (*engine.Decision, error)
}

// FollowUpStore keeps the readings left for after first decisions;
// *store.Store implements it (see engine/store/followups.go).
type FollowUpStore interface {
	ClaimPendingTexts(ctx context.Context, lease string, limit int, now time.Time, d time.Duration) ([]store.PendingText, error)
	SaveFollowUp(ctx context.Context, eventID, lease string, d *engine.Decision, body []byte, now time.Time) error
	RetryPendingText(ctx context.Context, eventID, lease string, at time.Time) error
	DropPendingText(ctx context.Context, eventID, lease string) error
}

// FollowUpConfig configures FollowUps. Decider and Store are required.
type FollowUpConfig struct {
	Decider FollowUpDecider
	Store   FollowUpStore
	// Queue is how many readings may wait in memory (default 64). A
	// reading that finds it full is not lost: it waits in the store,
	// unleased, and the sweep takes it when there is room
	// (OnQueueFull counts it).
	Queue int
	// Workers is how many readings run at once (default 1): each holds
	// an OCR engine while it reads, and first decisions need them too.
	Workers int
	// Lease is how long a reading is held before another instance may
	// take it (default 2 min): longer than a reading can take.
	Lease time.Duration
	// Sweep is how often the store is searched for readings left over
	// (unleased, or leased by an instance that died; default 5 s).
	Sweep time.Duration
	// Timeout bounds one follow-up decision (default 30 s).
	Timeout time.Duration
	// Attempts is how many times a reading is tried before it is given up
	// and the first decision stands (default 6), Retry the waits between
	// (default 5 s doubling to 5 min).
	Attempts int
	Retry    backoff.Policy
	// OnQueued is told when a follow-up queued messages in the outbox,
	// for the relay of this process.
	OnQueued func()
	// OnResult is told how each reading ended (published, unchanged,
	// retried, failed, lease_lost) and how long after the first
	// decision; OnQueueFull how many readings found the queue full.
	OnResult    func(result string, sinceFirst time.Duration)
	OnQueueFull func(n int)
	Now         func() time.Time
	Log         *slog.Logger
}

// Results of a reading, for OnResult.
const (
	FollowUpPublished = "published"
	FollowUpUnchanged = "unchanged"
	FollowUpRetried   = "retried"
	FollowUpFailed    = "failed"
	FollowUpLeaseLost = "lease_lost"
)

func (c *FollowUpConfig) setDefaults() error {
	switch {
	case c.Decider == nil:
		return errors.New("moderation: follow-ups: no decider")
	case c.Store == nil:
		return errors.New("moderation: follow-ups: no store")
	}
	if c.Queue <= 0 {
		c.Queue = 64
	}
	if c.Workers <= 0 {
		c.Workers = 1
	}
	if c.Lease <= 0 {
		c.Lease = 2 * time.Minute
	}
	if c.Sweep <= 0 {
		c.Sweep = 5 * time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.Attempts <= 0 {
		c.Attempts = 6
	}
	if c.Retry.Initial <= 0 {
		c.Retry = backoff.Policy{Initial: 5 * time.Second, Max: 5 * time.Minute}
	}
	if c.OnResult == nil {
		c.OnResult = func(string, time.Duration) {}
	}
	if c.OnQueueFull == nil {
		c.OnQueueFull = func(int) {}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return nil
}

// FollowUps reads the text of images decided before it was read and
// decides them again: the second half of the contract in
// docs/streaming.md ("Follow-up decisions"). Readings come from the
// service's saves (in memory, leased when they are stored) and from the
// store (sweep: readings that found the queue full, or that an instance
// left behind when it died). A follow-up is stored, and published
// through the outbox, only when it changes the outcome and never lifts a
// restriction (see changes). Start starts its goroutines; Close stops
// them.
type FollowUps struct {
	cfg   FollowUpConfig
	queue chan *reading

	mu       sync.Mutex
	reserved int

	// overflow is set when a reading found the queue full: the sweep is
	// woken when room frees up.
	overflow atomic.Bool
	kick     chan struct{}
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup

	// swept, when set (by tests, before Start), is called after each sweep.
	swept func()
}

// reading is one pending reading in the queue.
type reading struct {
	ev          *engine.Event
	behaviour   *engine.BehaviourSignals
	eventID     string
	firstID     string
	firstAction engine.Action
	firstCats   []engine.Category
	firstAt     time.Time
	fingerprint string
	attempts    int
	lease       string
}

// NewFollowUps checks cfg and makes FollowUps; Start runs them.
func NewFollowUps(cfg FollowUpConfig) (*FollowUps, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &FollowUps{cfg: cfg, queue: make(chan *reading, cfg.Queue), kick: make(chan struct{}, 1), ctx: ctx, cancel: cancel}, nil
}

// Start runs the workers and the sweep, which looks in the store at once
// (readings a previous run left) and every Sweep after.
func (f *FollowUps) Start() {
	for range f.cfg.Workers {
		f.wg.Go(f.work)
	}
	f.wg.Go(f.sweepLoop)
}

// Close stops taking readings, waits for those running (they end by
// their timeout at the latest, or ctx) and gives the queued ones back to
// the store, to be taken at once by whoever sweeps next.
func (f *FollowUps) Close(ctx context.Context) error {
	f.cancel()
	done := make(chan struct{})
	go func() {
		f.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("moderation: follow-ups: close: %w", ctx.Err())
	}
	for {
		select {
		case r := <-f.queue:
			if err := f.cfg.Store.RetryPendingText(ctx, r.eventID, r.lease, time.Time{}); err != nil && !errors.Is(err, store.ErrPendingLeaseLost) {
				f.cfg.Log.Warn("follow-up reading not given back; it is taken when its lease ends", "event_id", r.eventID, "err", err)
			}
		default:
			return nil
		}
	}
}

// reserve promises up to n places in the queue and returns how many.
func (f *FollowUps) reserve(n int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := max(0, min(n, cap(f.queue)-len(f.queue)-f.reserved))
	f.reserved += k
	return k
}

func (f *FollowUps) unreserve(n int) {
	if n == 0 {
		return
	}
	f.mu.Lock()
	f.reserved -= n
	f.mu.Unlock()
}

// push queues r in a place reserved for it.
func (f *FollowUps) push(r *reading) {
	f.mu.Lock()
	f.reserved--
	f.queue <- r // never blocks: the place was reserved
	f.mu.Unlock()
}

// newLease is the token of one claim of readings.
func newLease() string { return "fu-" + uuid.NewString() }

// lease marks the pending decisions of ds for this queue, as many as it
// has room for, before they are stored; the rest are stored unleased
// for the sweep and counted as finding the queue full. It returns the
// marked ones' indexes.
func (f *FollowUps) lease(ds []*engine.Decision) []int {
	var pending []int
	for j, d := range ds {
		if d.Pending != nil {
			pending = append(pending, j)
		}
	}
	if len(pending) == 0 {
		return nil
	}
	k := f.reserve(len(pending))
	if k < len(pending) {
		f.overflow.Store(true)
		f.cfg.OnQueueFull(len(pending) - k)
		f.cfg.Log.Warn("follow-up queue full; the readings wait in the store", "readings", len(pending)-k)
	}
	until := f.cfg.Now().Add(f.cfg.Lease)
	for _, j := range pending[:k] {
		ds[j].Pending.Lease, ds[j].Pending.LeaseUntil = newLease(), until
	}
	return pending[:k]
}

// queued puts the leased decisions that were stored into the queue, and
// frees the places of those that were not (another copy of the event was
// stored first, or the save failed: stored says which).
func (f *FollowUps) queued(ds []*engine.Decision, evs []*engine.Event, leased []int, stored func(j int) bool) {
	for _, j := range leased {
		d := ds[j]
		if !stored(j) {
			f.unreserve(1)
			continue
		}
		f.push(&reading{
			ev: evs[j], behaviour: d.Pending.Behaviour, eventID: d.EventID, firstID: d.ID, firstAction: d.Action,
			firstCats: d.Categories, firstAt: d.DecidedAt, fingerprint: d.Fingerprint, attempts: 1, lease: d.Pending.Lease,
		})
	}
}

func (f *FollowUps) work() {
	for {
		select {
		case <-f.ctx.Done():
			return
		case r := <-f.queue:
			f.read(r)
			if f.overflow.Load() {
				select {
				case f.kick <- struct{}{}:
				default:
				}
			}
		}
	}
}

func (f *FollowUps) sweepLoop() {
	t := time.NewTicker(f.cfg.Sweep)
	defer t.Stop()
	for {
		f.sweep()
		if f.swept != nil {
			f.swept()
		}
		select {
		case <-f.ctx.Done():
			return
		case <-t.C:
		case <-f.kick:
		}
	}
}

// sweep claims as many readings from the store as the queue has room for.
func (f *FollowUps) sweep() {
	room := f.reserve(cap(f.queue))
	if room == 0 {
		return
	}
	f.overflow.Store(false)
	ps, err := f.cfg.Store.ClaimPendingTexts(f.ctx, newLease(), room, f.cfg.Now(), f.cfg.Lease)
	f.unreserve(room - len(ps))
	if err != nil {
		if f.ctx.Err() == nil {
			f.cfg.Log.Warn("follow-ups: looking for pending readings failed; trying again at the next sweep", "err", err)
		}
		return
	}
	if len(ps) == room {
		// There may be more: look again as soon as there is room.
		f.overflow.Store(true)
	}
	for _, p := range ps {
		var ev engine.Event
		err := json.Unmarshal(p.Event, &ev)
		if err == nil {
			err = ev.Validate()
		}
		if err != nil {
			f.unreserve(1)
			f.giveUp(p.EventID, p.Lease, p.FirstDecidedAt, fmt.Errorf("stored event: %w", err))
			continue
		}
		f.push(&reading{
			ev: &ev, behaviour: p.Behaviour, eventID: p.EventID, firstID: p.FirstID, firstAction: p.FirstAction,
			firstCats: p.FirstCategories, firstAt: p.FirstDecidedAt, fingerprint: p.Fingerprint, attempts: p.Attempts, lease: p.Lease,
		})
	}
}

// read decides r's event again and stores the outcome.
func (f *FollowUps) read(r *reading) {
	ctx, cancel := context.WithTimeout(f.ctx, f.cfg.Timeout)
	defer cancel()
	d, err := f.cfg.Decider.FollowUp(ctx, r.ev, r.behaviour)
	if err != nil {
		switch {
		case f.ctx.Err() != nil:
			// Closing: Close gives queued readings back; this one is
			// given back here, to be read at the next start.
			f.retry(r, time.Time{}, err)
		case engine.IsValidationError(err) || r.attempts >= f.cfg.Attempts:
			f.giveUp(r.eventID, r.lease, r.firstAt, err)
		default:
			f.retry(r, f.cfg.Now().Add(f.cfg.Retry.Delay(r.attempts-1)), err)
		}
		return
	}
	now := f.cfg.Now()
	var body []byte
	publish := changes(r, d)
	if publish {
		d.Supersedes, d.Fingerprint, d.Content = r.firstID, r.fingerprint, engine.ContentOf(r.ev)
		if body, err = json.Marshal(d); err != nil {
			f.giveUp(r.eventID, r.lease, r.firstAt, err)
			return
		}
	} else {
		d = nil
	}
	// Stored even while closing: the reading is done.
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), f.cfg.Timeout)
	defer scancel()
	switch err := f.cfg.Store.SaveFollowUp(sctx, r.eventID, r.lease, d, body, now); {
	case errors.Is(err, store.ErrPendingLeaseLost):
		f.cfg.OnResult(FollowUpLeaseLost, 0)
	case err != nil:
		f.retry(r, now.Add(f.cfg.Retry.Delay(r.attempts-1)), err)
	case publish:
		if f.cfg.OnQueued != nil {
			f.cfg.OnQueued()
		}
		f.cfg.Log.Info("follow-up decision", "event_id", r.eventID, "decision_id", d.ID, "supersedes", r.firstID,
			"action", d.Action, "was", r.firstAction, "categories", d.Categories)
		f.cfg.OnResult(FollowUpPublished, now.Sub(r.firstAt))
	default:
		f.cfg.OnResult(FollowUpUnchanged, now.Sub(r.firstAt))
	}
}

// changes reports whether the follow-up d replaces the first decision:
// it restricts more, or as much but for other categories or with a
// redacted copy of the image the first could not have. A follow-up that
// restricts less never replaces it: a restriction is lifted by a person,
// not by a reading.
func changes(r *reading, d *engine.Decision) bool {
	switch first, then := r.firstAction.Rank(), d.Action.Rank(); {
	case then > first:
		return true
	case then < first:
		return false
	}
	if d.RedactedImage != nil {
		return true
	}
	a, b := slices.Clone(r.firstCats), slices.Clone(d.Categories)
	slices.Sort(a)
	slices.Sort(b)
	return !slices.Equal(slices.Compact(a), slices.Compact(b))
}

func (f *FollowUps) retry(r *reading, at time.Time, cause error) {
	f.cfg.OnResult(FollowUpRetried, 0)
	if f.ctx.Err() == nil {
		f.cfg.Log.Warn("follow-up failed; it will be tried again", "event_id", r.eventID, "attempt", r.attempts, "at", at, "err", cause)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(f.ctx), 5*time.Second)
	defer cancel()
	if err := f.cfg.Store.RetryPendingText(ctx, r.eventID, r.lease, at); err != nil && !errors.Is(err, store.ErrPendingLeaseLost) {
		f.cfg.Log.Warn("follow-up not given back; it is taken when its lease ends", "event_id", r.eventID, "err", err)
	}
}

// giveUp ends a reading that cannot succeed: the first decision stands.
func (f *FollowUps) giveUp(eventID, lease string, firstAt time.Time, cause error) {
	f.cfg.OnResult(FollowUpFailed, f.cfg.Now().Sub(firstAt))
	f.cfg.Log.Error("follow-up given up; the first decision stands", "event_id", eventID, "err", cause)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(f.ctx), 5*time.Second)
	defer cancel()
	if err := f.cfg.Store.DropPendingText(ctx, eventID, lease); err != nil && !errors.Is(err, store.ErrPendingLeaseLost) {
		f.cfg.Log.Warn("follow-up not dropped; it is tried again when its lease ends", "event_id", eventID, "err", err)
	}
}
