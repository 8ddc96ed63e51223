// Package backoff retries operations that may fail for a while: capped
// exponential waits with jitter, bounded by attempts, by a total budget or
// by the caller's context, on a clock tests can replace. Every retry loop
// in Haechi (storing, publishing, committing, fetching images, deciding,
// database transactions that lost a race) goes through it.
package backoff

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// Clock is the time source a Policy waits on.
type Clock interface {
	Now() time.Time
	// After sends on the channel once d has passed.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Policy says how often and how long to wait between attempts. The zero
// Policy retries at once and forever; set at least Initial.
type Policy struct {
	// Initial is the wait after the first failure; each later wait is
	// Multiplier (default 2) times the one before, up to Max (no cap when
	// zero).
	Initial, Max time.Duration
	Multiplier   float64
	// Jitter spreads each wait uniformly over ±Jitter of itself (0 to 1),
	// so that many clients failing together do not retry together.
	Jitter float64
	// Attempts bounds the attempts in all, the first included; zero means
	// no bound.
	Attempts int
	// Budget bounds the time from the first attempt to the end of the last
	// wait: no wait is started that would end after it. Zero means none.
	Budget time.Duration
	// Clock is the time source; nil means the real one.
	Clock Clock
	// Rand returns a number in [0,1) for the jitter; nil means math/rand.
	Rand func() float64
}

// Delay is the wait after the given failed attempt (0 for the first),
// before jitter.
func (p Policy) Delay(attempt int) time.Duration {
	m := p.Multiplier
	if m <= 1 {
		m = 2
	}
	d := float64(p.Initial)
	for range attempt {
		d *= m
		if p.Max > 0 && d >= float64(p.Max) {
			return p.Max
		}
	}
	if p.Max > 0 && d > float64(p.Max) {
		return p.Max
	}
	return time.Duration(d)
}

func (p Policy) jittered(attempt int) time.Duration {
	d := p.Delay(attempt)
	if p.Jitter <= 0 || d <= 0 {
		return d
	}
	r := rand.Float64
	if p.Rand != nil {
		r = p.Rand
	}
	j := min(p.Jitter, 1)
	return time.Duration(float64(d) * (1 - j + 2*j*r()))
}

func (p Policy) clock() Clock {
	if p.Clock == nil {
		return realClock{}
	}
	return p.Clock
}

// ErrStopped wraps the last error when retrying stopped because the
// attempts or the budget ran out.
var ErrStopped = errors.New("backoff: gave up")

// Permanent marks an error that retrying cannot help; Do returns it at
// once (unwrapped).
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanent{err}
}

type permanent struct{ err error }

func (p *permanent) Error() string { return p.err.Error() }
func (p *permanent) Unwrap() error { return p.err }

// Retry is one run of a Policy: it counts attempts and keeps the budget's
// start, for loops that decide themselves what to retry (a batch whose
// failed items are tried again). The zero Retry is not usable; call
// Policy.Start.
type Retry struct {
	p       Policy
	start   time.Time
	attempt int
}

// Start begins a run; its budget counts from now.
func (p Policy) Start() *Retry { return &Retry{p: p, start: p.clock().Now()} }

// Attempt is how many waits have been taken: the number of the next
// attempt, counting from 0.
func (r *Retry) Attempt() int { return r.attempt }

// Next waits before the next attempt. It returns false, without waiting,
// when the attempts or the budget would be exceeded or ctx has ended; and
// false after a wait cut short by ctx.
func (r *Retry) Next(ctx context.Context) bool {
	d, ok := r.next(ctx)
	return ok && r.wait(ctx, d)
}

// next takes the next attempt and returns the wait before it, or false
// when there is none to take.
func (r *Retry) next(ctx context.Context) (time.Duration, bool) {
	if ctx.Err() != nil {
		return 0, false
	}
	if r.p.Attempts > 0 && r.attempt+1 >= r.p.Attempts {
		return 0, false
	}
	d := r.p.jittered(r.attempt)
	if r.p.Budget > 0 && r.p.clock().Now().Add(d).Sub(r.start) > r.p.Budget {
		return 0, false
	}
	r.attempt++
	return d, true
}

func (r *Retry) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	select {
	case <-r.p.clock().After(d):
		return true
	case <-ctx.Done():
		return false
	}
}

// Remaining is how much of the budget is left; ok is false when the
// policy has no budget.
func (r *Retry) Remaining() (left time.Duration, ok bool) {
	if r.p.Budget <= 0 {
		return 0, false
	}
	return max(0, r.p.Budget-r.p.clock().Now().Sub(r.start)), true
}

// Do runs fn until it succeeds, returns a Permanent error, or the policy
// gives up (ErrStopped joined with fn's last error) or ctx ends (ctx's
// error joined with fn's last one). onRetry, when not nil, is told of
// each failure that will be retried, its attempt (from 0) and the wait
// before the next.
func (p Policy) Do(ctx context.Context, fn func(context.Context) error, onRetry func(attempt int, err error, wait time.Duration)) error {
	r := p.Start()
	for {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		var perm *permanent
		if errors.As(err, &perm) {
			return perm.err
		}
		attempt := r.Attempt()
		d, ok := r.next(ctx)
		if ok && onRetry != nil {
			onRetry(attempt, err, d)
		}
		if !ok || !r.wait(ctx, d) {
			if cerr := ctx.Err(); cerr != nil {
				return errors.Join(cerr, err)
			}
			return errors.Join(ErrStopped, err)
		}
	}
}
