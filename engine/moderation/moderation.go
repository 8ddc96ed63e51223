// Package moderation is the one path from an event to a stored decision.
// The in-world API's pre-send check (POST /v1/moderate) and the Kafka
// worker both call a Service, so a decision made anywhere is made, stored
// and followed up the same way:
//
//  1. events already decided are answered with the stored decision, when
//     they are the same content (their fingerprints agree), and refused
//     as a conflict when they are not;
//  2. images sent by reference are fetched from the allowed prefixes
//     within a fixed budget; one that cannot be fetched in time is
//     decided without its pixels, which the policy holds for a person;
//  3. the engine decides, retrying failures that may pass;
//  4. the store keeps the decision once per event id, opens the review
//     case when a person is needed, queues the platform action in the
//     outbox and forgets the sender's cached history, all in one
//     transaction;
//  5. an image decided before its text was read (a space type that does
//     not wait for it) leaves the reading pending in the same
//     transaction, and FollowUps reads it and decides the event again
//     (followup.go).
//
// Decide and Save are separate so that the worker can decide one batch
// while it stores the one before; Moderate does both for one event.
package moderation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/blob"
	"github.com/haechi-tns/haechi/internal/backoff"
)

// Decider decides valid events; *engine.Pipeline implements it.
type Decider interface {
	DecideBatch(ctx context.Context, evs []*engine.Event) ([]*engine.Decision, []error)
}

// Store keeps one decision per event; *store.Store implements it.
type Store interface {
	// DecisionsForEvents returns the stored decisions of those events
	// that have one, by event id, with their fingerprints.
	DecisionsForEvents(ctx context.Context, eventIDs []string) (map[string]*engine.Decision, error)
	// SaveEncodedDecisions stores each decision unless its event already
	// has one, opening cases and queueing actions, and returns the
	// decision stored for each event. bodies[i] is ds[i] as json.Marshal
	// encodes it, to be stored as it is.
	SaveEncodedDecisions(ctx context.Context, ds []*engine.Decision, bodies [][]byte) ([]*engine.Decision, error)
}

// Config wires a Service. Decider and Store are required.
type Config struct {
	Decider Decider
	Store   Store
	// Blobs fetches images sent by reference; nil leaves them unfetched
	// (and held by the policy).
	Blobs blob.Fetcher
	// BlobBudget bounds the fetching of one batch's images, retries
	// included (default 1 s): a slow blob store costs at most this, and
	// an image not fetched in time is held, never allowed.
	BlobBudget time.Duration
	// BlobParallel is how many images are fetched at once (default 8).
	BlobParallel int
	// DecideRetry says how often and when a failed decision is tried
	// again (default: 4 attempts in all, 200 ms, 400 ms, 800 ms apart,
	// ±20 %).
	DecideRetry backoff.Policy
	// StoreRetry says how a failing store is retried (default: from
	// 50 ms, doubling to 2 s, until the caller's context ends).
	StoreRetry backoff.Policy
	// Parallelism is how many goroutines decide one batch (default
	// GOMAXPROCS).
	Parallelism int
	// OnRetry, when set, is told how many events (or images) of a stage
	// ("lookup", "blob", "decide", "save") are tried again.
	OnRetry func(stage string, n int)
	// OnQueued, when set, is called after a save that queued platform
	// actions in the outbox, so that a relay in this process can publish
	// them at once.
	OnQueued func()
	// FollowUps, when set, reads the text of the images whose decisions
	// left it for later (engine.WithTextDeferral) and decides them again.
	// Without it such readings are still stored, for an instance that
	// has FollowUps to take.
	FollowUps *FollowUps
	Log       *slog.Logger
}

// Default retry policies.
var (
	DefaultDecideRetry = backoff.Policy{Initial: 200 * time.Millisecond, Attempts: 4, Jitter: 0.2}
	DefaultStoreRetry  = backoff.Policy{Initial: 50 * time.Millisecond, Max: 2 * time.Second, Jitter: 0.2}
)

// DefaultBlobBudget bounds the image fetching of one batch.
const DefaultBlobBudget = time.Second

func (c *Config) setDefaults() error {
	switch {
	case c.Decider == nil:
		return errors.New("moderation: no decider")
	case c.Store == nil:
		return errors.New("moderation: no store")
	}
	if c.BlobBudget <= 0 {
		c.BlobBudget = DefaultBlobBudget
	}
	if c.BlobParallel <= 0 {
		c.BlobParallel = 8
	}
	if c.DecideRetry.Initial <= 0 {
		c.DecideRetry = DefaultDecideRetry
	}
	if c.StoreRetry.Initial <= 0 {
		c.StoreRetry = DefaultStoreRetry
	}
	if c.Parallelism <= 0 {
		c.Parallelism = runtime.GOMAXPROCS(0)
	}
	if c.OnRetry == nil {
		c.OnRetry = func(string, int) {}
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Service moderates events. It is safe for concurrent use and starts no
// goroutines of its own beyond those of a call.
type Service struct {
	cfg   Config
	saver saver
}

// New checks cfg and makes a Service.
func New(cfg Config) (*Service, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	return &Service{cfg: cfg}, nil
}

// ErrConflict is an event whose id was decided before for other content:
// a repeat must be the same event, or it could replace abuse with a
// harmless text whose decision the abuse then inherits.
var ErrConflict = errors.New("moderation: event id already decided for different content")

// UndecidableError is an event the engine kept failing on.
type UndecidableError struct {
	Attempts int
	Err      error
}

func (e *UndecidableError) Error() string {
	return fmt.Sprintf("moderation: undecidable after %d attempts: %v", e.Attempts, e.Err)
}

func (e *UndecidableError) Unwrap() error { return e.Err }

// Result is what became of one event.
type Result struct {
	// Decision is the event's decision: the stored one when Repeat.
	Decision *engine.Decision
	// Repeat says the event was decided before (a redelivery, a retried
	// request, a copy in the same batch).
	Repeat bool
	// Err is why there is no decision: a *engine.ValidationError,
	// ErrConflict or an *UndecidableError.
	Err error
	// Encoded is Decision as json.Marshal encodes it, as it was stored,
	// when Save stored it; nil otherwise. Whoever publishes the decision
	// uses it rather than encoding the decision again. It must not be
	// modified.
	Encoded []byte
}

// Batch is events decided together whose decisions are not yet stored.
type Batch struct {
	evs     []*engine.Event
	results []Result
	fps     []string
	// fresh are the indexes of new decisions, one per distinct event.
	fresh []int
	// copyOf maps a later copy of an event in the batch to its first.
	copyOf map[int]int
}

// Results is what became of each event, in order. Before Save, new
// decisions are not yet stored; after it, they are the stored ones.
func (b *Batch) Results() []Result { return b.results }

// OutageError is a batch in which every event failed for a reason that
// is not the events': a classifier, the policy or the database is down.
// The caller keeps the batch and offers it again later.
type OutageError struct {
	Events int
	Err    error
}

func (e *OutageError) Error() string {
	return fmt.Sprintf("moderation: every one of %d events failed (%v)", e.Events, e.Err)
}

func (e *OutageError) Unwrap() error { return e.Err }

// Decide decides valid events (nil entries are skipped and get no result)
// without storing anything. It returns an error only when the batch as a
// whole cannot be decided: an *OutageError, a store that stays down, or
// ctx ending. Image events sent by reference get their bytes filled in.
func (s *Service) Decide(ctx context.Context, evs []*engine.Event) (*Batch, error) {
	b := &Batch{evs: evs, results: make([]Result, len(evs)), fps: make([]string, len(evs)), copyOf: map[int]int{}}
	ids := make([]string, 0, len(evs))
	for i, ev := range evs {
		if ev != nil {
			b.fps[i] = ev.Fingerprint()
			ids = append(ids, ev.ID)
		}
	}
	if len(ids) == 0 {
		return b, nil
	}
	var stored map[string]*engine.Decision
	err := s.cfg.StoreRetry.Do(ctx, func(ctx context.Context) (err error) {
		stored, err = s.cfg.Store.DecisionsForEvents(ctx, ids)
		return err
	}, s.retrying("lookup", len(ids)))
	if err != nil {
		return nil, fmt.Errorf("moderation: look up decisions: %w", err)
	}
	first := make(map[string]int, len(ids))
	var todo []int
	for i, ev := range evs {
		if ev == nil {
			continue
		}
		if d, ok := stored[ev.ID]; ok {
			b.results[i] = repeatOf(d, b.fps[i])
			continue
		}
		if j, seen := first[ev.ID]; seen {
			b.copyOf[i] = j
			continue
		}
		first[ev.ID] = i
		todo = append(todo, i)
	}
	if s.cfg.Blobs != nil {
		s.fetchBlobs(ctx, evs, todo)
	}
	if err := s.decide(ctx, b, todo); err != nil {
		return nil, err
	}
	for _, i := range todo {
		if d := b.results[i].Decision; d != nil {
			d.Fingerprint = b.fps[i]
			// Kept only if the decision opens a case (its snapshot).
			d.Content = engine.ContentOf(evs[i])
			if d.Pending != nil {
				// The event, its image's bytes included, is kept until
				// the follow-up has read the text.
				ev, err := json.Marshal(evs[i])
				if err != nil {
					b.results[i] = Result{Err: &UndecidableError{Attempts: 1, Err: fmt.Errorf("keep event for its follow-up: %w", err)}}
					continue
				}
				d.Pending.Event = ev
			}
			b.fresh = append(b.fresh, i)
		}
	}
	b.fillCopies()
	return b, nil
}

// repeatOf is the result of an event that was decided before: the stored
// decision if it was this content, a conflict if not. Decisions stored
// before fingerprints were kept have none and are taken as repeats.
func repeatOf(stored *engine.Decision, fp string) Result {
	if stored.Fingerprint != "" && stored.Fingerprint != fp {
		return Result{Err: ErrConflict}
	}
	return Result{Decision: stored, Repeat: true}
}

// fillCopies gives later copies of an event in the batch their first
// copy's outcome, or a conflict when they are other content.
func (b *Batch) fillCopies() {
	for i, j := range b.copyOf {
		switch first := b.results[j]; {
		case b.fps[i] != b.fps[j]:
			b.results[i] = Result{Err: ErrConflict}
		case first.Decision != nil:
			b.results[i] = Result{Decision: first.Decision, Repeat: true}
		default:
			b.results[i] = first
		}
	}
}

// fetchBlobs fills in the bytes of the images of evs[todo] sent by
// reference, within the blob budget: transient failures are tried again
// while the budget lasts, and each attempt is cut off where the budget
// ends. An image left without bytes is analysed by nobody and held by
// the policy.
func (s *Service) fetchBlobs(ctx context.Context, evs []*engine.Event, todo []int) {
	var want []*engine.Event
	for _, i := range todo {
		if ev := evs[i]; ev.Image != nil && len(ev.Image.Data) == 0 && ev.Image.URI != "" {
			want = append(want, ev)
		}
	}
	if len(want) == 0 {
		return
	}
	bctx, cancel := context.WithTimeout(ctx, s.cfg.BlobBudget)
	defer cancel()
	retry := backoff.Policy{Initial: 100 * time.Millisecond, Jitter: 0.2, Budget: s.cfg.BlobBudget}.Start()
	for {
		errs := blob.FetchImages(bctx, s.cfg.Blobs, want, s.cfg.BlobParallel)
		var again []*engine.Event
		for i, ev := range want {
			switch err := errs[i]; {
			case err == nil:
			case blob.IsPermanent(err):
				s.cfg.Log.Warn("image not fetched; it will be held", "event_id", ev.ID, "err", err)
			default:
				again = append(again, ev)
			}
		}
		if len(again) == 0 {
			return
		}
		if !retry.Next(bctx) {
			for _, ev := range again {
				s.cfg.Log.Warn("image not fetched within the budget; it will be held", "event_id", ev.ID, "budget", s.cfg.BlobBudget)
			}
			return
		}
		s.cfg.OnRetry("blob", len(again))
		want = again
	}
}

// decide decides evs[todo], trying failed events again as DecideRetry
// says. Events that keep failing beside others that succeed are
// undecidable; when every event failed, that is an outage.
func (s *Service) decide(ctx context.Context, b *Batch, todo []int) error {
	retry := s.cfg.DecideRetry.Start()
	outage := false
	for len(todo) > 0 {
		errs := s.decideParallel(ctx, b, todo)
		var failed []int
		var firstErr error
		for j, i := range todo {
			switch err := errs[j]; {
			case err == nil:
			case engine.IsValidationError(err):
				b.results[i] = Result{Err: err}
			default:
				failed = append(failed, i)
				if firstErr == nil {
					firstErr = err
				}
			}
		}
		if retry.Attempt() == 0 {
			outage = len(failed) > 1 && len(failed) == len(todo)
		}
		if len(failed) == 0 {
			return nil
		}
		attempts := retry.Attempt() + 1
		if !retry.Next(ctx) {
			if err := ctx.Err(); err != nil {
				return err
			}
			if outage {
				return &OutageError{Events: len(failed), Err: firstErr}
			}
			for j, i := range todo {
				if errs[j] != nil && !engine.IsValidationError(errs[j]) {
					b.results[i] = Result{Err: &UndecidableError{Attempts: attempts, Err: errs[j]}}
				}
			}
			return nil
		}
		s.cfg.OnRetry("decide", len(failed))
		s.cfg.Log.Warn("retrying decisions", "events", len(failed), "attempt", attempts, "err", firstErr)
		todo = failed
	}
	return nil
}

// decideParallel decides evs[todo] in Parallelism chunks at once and
// returns each one's error.
func (s *Service) decideParallel(ctx context.Context, b *Batch, todo []int) []error {
	errs := make([]error, len(todo))
	chunk := (len(todo) + s.cfg.Parallelism - 1) / s.cfg.Parallelism
	if len(todo) < 2*s.cfg.Parallelism {
		// A few events (one, from the API) are decided on the caller's
		// goroutine: a new one would cost more than it saves.
		chunk = len(todo)
	}
	var wg sync.WaitGroup
	for start := 0; start < len(todo); start += chunk {
		part := todo[start:min(start+chunk, len(todo))]
		decide := func() {
			evs := make([]*engine.Event, len(part))
			for j, i := range part {
				evs[j] = b.evs[i]
			}
			decs, derrs := s.cfg.Decider.DecideBatch(ctx, evs)
			for j, i := range part {
				errs[start+j] = derrs[j]
				if derrs[j] == nil {
					b.results[i] = Result{Decision: decs[j]}
				}
			}
		}
		if chunk == len(todo) {
			decide()
			break
		}
		wg.Go(decide)
	}
	wg.Wait()
	return errs
}

// Save stores the batch's new decisions (retrying a failing store until
// ctx ends) and replaces each result with what is stored: another worker
// or request may have stored its decision for the event first, which is
// then the answer, or a conflict if it was for other content.
func (s *Service) Save(ctx context.Context, b *Batch) error {
	if len(b.fresh) == 0 {
		return nil
	}
	fresh := make([]*engine.Decision, len(b.fresh))
	bodies := make([][]byte, len(b.fresh))
	for j, i := range b.fresh {
		fresh[j] = b.results[i].Decision
		// Encoded once, for the store and for whoever publishes it; a
		// decision that cannot be encoded is left to the store, which
		// fails on it as before.
		bodies[j], _ = json.Marshal(fresh[j])
	}
	var leased []int
	if s.cfg.FollowUps != nil {
		leased = s.cfg.FollowUps.lease(fresh)
	}
	saved, err := s.saveGrouped(ctx, fresh, bodies)
	if s.cfg.FollowUps != nil {
		evs := make([]*engine.Event, len(b.fresh))
		for j, i := range b.fresh {
			evs[j] = b.evs[i]
		}
		s.cfg.FollowUps.queued(fresh, evs, leased, func(j int) bool { return err == nil && saved[j].ID == fresh[j].ID })
	}
	if err != nil {
		return fmt.Errorf("moderation: store decisions: %w", err)
	}
	queued := false
	for j, i := range b.fresh {
		if saved[j].ID != fresh[j].ID {
			b.results[i] = repeatOf(saved[j], b.fps[i])
			continue
		}
		b.results[i] = Result{Decision: saved[j], Encoded: bodies[j]}
		queued = queued || saved[j].Action.Restricts()
	}
	b.fresh = nil
	b.fillCopies()
	if queued && s.cfg.OnQueued != nil {
		s.cfg.OnQueued()
	}
	return nil
}

// Moderate decides one valid event and stores its decision, answering
// with the stored decision. A repeat of an event answers the decision
// stored for it; other content under a decided id is ErrConflict. The
// error is the result's (invalid, conflict, undecidable) or the
// service's (store down, ctx ended); either way nothing was decided.
func (s *Service) Moderate(ctx context.Context, ev *engine.Event) (Result, error) {
	b, err := s.Decide(ctx, []*engine.Event{ev})
	if err != nil {
		return Result{}, err
	}
	if err := s.Save(ctx, b); err != nil {
		return Result{}, err
	}
	r := b.results[0]
	return r, r.Err
}

func (s *Service) retrying(stage string, n int) func(int, error, time.Duration) {
	return func(attempt int, err error, wait time.Duration) {
		s.cfg.OnRetry(stage, n)
		s.cfg.Log.Warn("retrying", "stage", stage, "attempt", attempt+1, "in", wait, "err", err)
	}
}

// saver groups concurrent saves into one transaction (group commit): a
// database commit waits for the disk, and one commit per API request would
// cap the requests a second at the disk's syncs a second. The first caller
// leads: it stores its decisions together with every caller's that arrived
// while the previous group was being stored, and hands the lead to the
// next waiting caller when done. Alone, a caller stores at once.
type saver struct {
	mu      sync.Mutex
	busy    bool
	pending []*saveRequest
}

type saveRequest struct {
	ds     []*engine.Decision
	bodies [][]byte
	saved  []*engine.Decision
	err    error
	// done is closed when the request was stored, or when it is to lead
	// the next group (lead set).
	done chan struct{}
	lead bool
}

// groupTimeout bounds the storing of one group whose leader's context has
// no deadline. A group is never cancelled with its leader's context (a
// client that went away must not fail the others' saves); it ends by the
// leader's deadline, or this.
const groupTimeout = 30 * time.Second

// saveGrouped stores ds, in a transaction shared with the saves of other
// callers that arrived meanwhile, and returns the decisions stored for
// ds. A caller whose ctx ends while it waits returns at once unless its
// decisions are already being stored.
func (s *Service) saveGrouped(ctx context.Context, ds []*engine.Decision, bodies [][]byte) ([]*engine.Decision, error) {
	r := &saveRequest{ds: ds, bodies: bodies, done: make(chan struct{})}
	sv := &s.saver
	sv.mu.Lock()
	if sv.busy {
		sv.pending = append(sv.pending, r)
		sv.mu.Unlock()
		select {
		case <-r.done:
		case <-ctx.Done():
			sv.mu.Lock()
			if i := slices.Index(sv.pending, r); i >= 0 {
				sv.pending = slices.Delete(sv.pending, i, i+1)
				sv.mu.Unlock()
				return nil, ctx.Err()
			}
			sv.mu.Unlock()
			<-r.done // taken into a group, or handed the lead
		}
		if !r.lead {
			return r.saved, r.err
		}
		sv.mu.Lock()
	} else {
		sv.busy = true
	}
	group := append([]*saveRequest{r}, sv.pending...)
	sv.pending = nil
	sv.mu.Unlock()

	s.storeGroup(ctx, group)

	sv.mu.Lock()
	if len(sv.pending) > 0 {
		next := sv.pending[0]
		sv.pending = sv.pending[1:]
		next.lead = true
		close(next.done)
	} else {
		sv.busy = false
	}
	sv.mu.Unlock()
	for _, g := range group[1:] {
		close(g.done)
	}
	return r.saved, r.err
}

// storeGroup stores the decisions of every request of group in one
// SaveDecisions call, retrying a failing store, and gives each request
// its part of the result.
func (s *Service) storeGroup(ctx context.Context, group []*saveRequest) {
	var all []*engine.Decision
	var bodies [][]byte
	for _, g := range group {
		all = append(all, g.ds...)
		bodies = append(bodies, g.bodies...)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(groupTimeout)
	}
	gctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	defer cancel()
	var saved []*engine.Decision
	err := s.cfg.StoreRetry.Do(gctx, func(ctx context.Context) (err error) {
		saved, err = s.cfg.Store.SaveEncodedDecisions(ctx, all, bodies)
		return err
	}, s.retrying("save", len(all)))
	if err == nil && len(saved) != len(all) {
		err = fmt.Errorf("store returned %d decisions for %d", len(saved), len(all))
	}
	off := 0
	for _, g := range group {
		if err != nil {
			g.err = err
			continue
		}
		g.saved = saved[off : off+len(g.ds)]
		off += len(g.ds)
	}
}
