package backoff

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// fakeClock advances only when a wait is taken: each After moves it by
// the wait and fires at once, recording the waits.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.waits = append(c.waits, d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

func TestDelayIsCappedExponential(t *testing.T) {
	p := Policy{Initial: 100 * time.Millisecond, Max: time.Second}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, w := range want {
		if got := p.Delay(i); got != w*time.Millisecond {
			t.Errorf("Delay(%d) = %v, want %v", i, got, w*time.Millisecond)
		}
	}
	if got := (Policy{Initial: time.Second, Multiplier: 3}).Delay(2); got != 9*time.Second {
		t.Errorf("multiplier 3: Delay(2) = %v", got)
	}
	if got := (Policy{Initial: time.Second, Max: time.Hour}).Delay(200); got != time.Hour {
		t.Errorf("many attempts: %v, want the cap", got)
	}
}

func TestJitterStaysWithinItsBand(t *testing.T) {
	for _, r := range []float64{0, 0.5, 0.999} {
		p := Policy{Initial: time.Second, Jitter: 0.2, Rand: func() float64 { return r }}
		got := p.jittered(0)
		if got < 800*time.Millisecond || got > 1200*time.Millisecond {
			t.Errorf("rand %v: wait %v outside ±20%%", r, got)
		}
	}
}

func TestDoRetriesUntilSuccess(t *testing.T) {
	clk := &fakeClock{now: time.Unix(0, 0)}
	p := Policy{Initial: 10 * time.Millisecond, Max: 40 * time.Millisecond, Clock: clk}
	calls := 0
	var told []int
	err := p.Do(context.Background(), func(context.Context) error {
		calls++
		if calls < 5 {
			return errors.New("not yet")
		}
		return nil
	}, func(attempt int, err error, wait time.Duration) { told = append(told, attempt) })
	if err != nil || calls != 5 {
		t.Fatalf("err %v after %d calls", err, calls)
	}
	want := []time.Duration{10, 20, 40, 40}
	for i, w := range want {
		if clk.waits[i] != w*time.Millisecond {
			t.Errorf("wait %d = %v, want %v", i, clk.waits[i], w*time.Millisecond)
		}
	}
	if len(told) != 4 || told[0] != 0 || told[3] != 3 {
		t.Errorf("onRetry told %v", told)
	}
}

func TestDoStopsAtAttempts(t *testing.T) {
	clk := &fakeClock{now: time.Unix(0, 0)}
	boom := errors.New("boom")
	calls := 0
	err := Policy{Initial: time.Millisecond, Attempts: 3, Clock: clk}.Do(context.Background(), func(context.Context) error {
		calls++
		return boom
	}, nil)
	if calls != 3 || !errors.Is(err, ErrStopped) || !errors.Is(err, boom) {
		t.Fatalf("calls %d err %v", calls, err)
	}
}

// TestDoStopsWithinTheBudget: no wait is started that would end after the
// budget, so a slow dependency costs at most the budget.
func TestDoStopsWithinTheBudget(t *testing.T) {
	clk := &fakeClock{now: time.Unix(0, 0)}
	start := clk.Now()
	calls := 0
	err := Policy{Initial: 100 * time.Millisecond, Budget: time.Second, Clock: clk}.Do(context.Background(), func(context.Context) error {
		calls++
		return errors.New("slow")
	}, nil)
	if !errors.Is(err, ErrStopped) {
		t.Fatalf("err %v", err)
	}
	// 100+200+400 = 700 ms; the next wait (800 ms) would end at 1.5 s.
	if spent := clk.Now().Sub(start); spent != 700*time.Millisecond || calls != 4 {
		t.Errorf("spent %v in %d calls, want 700ms in 4", spent, calls)
	}
}

func TestDoReturnsPermanentErrorsAtOnce(t *testing.T) {
	bad := errors.New("404")
	calls := 0
	err := Policy{Initial: time.Hour}.Do(context.Background(), func(context.Context) error {
		calls++
		return Permanent(bad)
	}, nil)
	if err != bad || calls != 1 {
		t.Fatalf("err %v after %d calls", err, calls)
	}
}

func TestDoStopsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	done := make(chan error, 1)
	go func() {
		done <- Policy{Initial: time.Hour}.Do(ctx, func(context.Context) error {
			calls++
			return errors.New("down")
		}, nil)
	}()
	time.Sleep(10 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || calls != 1 {
			t.Fatalf("err %v after %d calls", err, calls)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Do did not stop when its context ended")
	}
}

func TestRetryRemaining(t *testing.T) {
	clk := &fakeClock{now: time.Unix(0, 0)}
	r := Policy{Initial: 300 * time.Millisecond, Budget: time.Second, Clock: clk}.Start()
	if !r.Next(context.Background()) {
		t.Fatal("first wait refused")
	}
	if left, ok := r.Remaining(); !ok || left != 700*time.Millisecond {
		t.Errorf("remaining %v %v", left, ok)
	}
	if _, ok := (Policy{}).Start().Remaining(); ok {
		t.Error("no budget reported as one")
	}
}
