// Package shadow runs a candidate policy bundle beside the live one on live
// traffic, without enforcing anything. A Shadow is the Pipeline's
// engine.DecisionObserver: for each decision the pipeline made with the
// live policy it evaluates the candidate on the very same policy input (the
// classifiers ran once), compares the two verdicts, counts the differences
// in Prometheus metrics and in a Tally the caller drains into the store,
// and keeps a bounded sample of differing decisions (ids and evidence,
// never content).
//
// The candidate never touches the live decision: it is evaluated later, on
// goroutines of the Shadow's own, from a bounded queue. A full queue skips
// the comparison (counted), a candidate that errs, panics or runs past its
// time is counted and otherwise ignored, so a slow or broken candidate can
// neither delay nor change what the live policy decided.
package shadow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/haechi-tns/haechi/engine"
)

// Candidate is a policy revision evaluated in the shadow.
type Candidate struct {
	Policy   engine.Policy
	Revision string
}

// Config tunes a Shadow; zero values take the defaults.
type Config struct {
	// Workers is how many goroutines evaluate the candidate (default
	// half of GOMAXPROCS, at least one): under full load the shadow
	// takes at most that many cores from live decisions, and skips the
	// comparisons it has no time for.
	Workers int
	// Queue is how many decisions may wait for the candidate (default
	// 4096); beyond it comparisons are skipped, and counted.
	Queue int
	// Timeout bounds one evaluation of the candidate (default 100 ms).
	Timeout time.Duration
	// MaxSamples bounds the differing decisions kept between two Drain
	// calls (default 20).
	MaxSamples int
	Now        func() time.Time
	Log        *slog.Logger
}

// Shadow evaluates the candidate, if any, beside the live policy. It is
// safe for concurrent use; Close stops its goroutines.
type Shadow struct {
	cfg     Config
	cand    atomic.Pointer[Candidate]
	jobs    chan job
	done    chan struct{}
	wg      sync.WaitGroup
	pending atomic.Int64 // jobs queued and not yet finished
	metrics *metrics

	mu    sync.Mutex
	tally *Tally // since the last Drain
	// revision is the candidate revision tally counts.
	revision string
}

type job struct {
	cand *Candidate
	in   *engine.PolicyInput
	s    engine.ShadowSample // Live filled in
}

// New starts a Shadow with no candidate.
func New(cfg Config) *Shadow {
	if cfg.Workers <= 0 {
		cfg.Workers = max(1, runtime.GOMAXPROCS(0)/2)
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 4096
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 100 * time.Millisecond
	}
	if cfg.MaxSamples <= 0 {
		cfg.MaxSamples = 20
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	s := &Shadow{cfg: cfg, jobs: make(chan job, cfg.Queue), done: make(chan struct{}), metrics: newMetrics(), tally: NewTally(cfg.MaxSamples)}
	for range cfg.Workers {
		s.wg.Go(s.work)
	}
	return s
}

// Register adds the shadow's metrics to reg.
func (s *Shadow) Register(reg prometheus.Registerer) error { return s.metrics.register(reg) }

// SetCandidate starts evaluating c beside the live policy, or stops the
// shadow when c is nil. Counts and samples not yet drained that belong to
// another candidate are dropped.
func (s *Shadow) SetCandidate(c *Candidate) {
	s.cand.Store(c)
	rev := ""
	if c != nil {
		rev = c.Revision
	}
	s.metrics.setCandidate(rev)
	s.mu.Lock()
	if s.revision != rev {
		s.revision, s.tally = rev, NewTally(s.cfg.MaxSamples)
	}
	s.mu.Unlock()
}

// Candidate returns the candidate in the shadow, or nil.
func (s *Shadow) Candidate() *Candidate { return s.cand.Load() }

// ObserveDecision queues the candidate's evaluation of in, to be compared
// with d. It never blocks: with no candidate it does nothing, with a full
// queue it counts a skipped comparison.
func (s *Shadow) ObserveDecision(in *engine.PolicyInput, d *engine.Decision) {
	c := s.cand.Load()
	if c == nil {
		return
	}
	j := job{cand: c, in: in, s: engine.ShadowSample{
		DecisionID: d.ID, EventID: d.EventID, EventKind: d.EventKind, SpaceType: d.Space.Type, Live: Verdict(d),
	}}
	s.pending.Add(1)
	select {
	case <-s.done:
		s.pending.Add(-1)
	case s.jobs <- j:
	default:
		s.pending.Add(-1)
		s.failed(c, "skipped")
	}
}

func (s *Shadow) work() {
	for {
		select {
		case <-s.done:
			return
		case j := <-s.jobs:
			s.evaluate(j)
			s.pending.Add(-1)
		}
	}
}

// evaluate runs the candidate on j and records the comparison.
func (s *Shadow) evaluate(j job) {
	defer func() {
		if r := recover(); r != nil {
			s.cfg.Log.Error("shadow candidate panicked; live decisions are unaffected", "revision", j.cand.Revision, "event_id", j.s.EventID, "panic", fmt.Sprint(r))
			s.failed(j.cand, "panic")
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Timeout)
	defer cancel()
	start := time.Now()
	res, err := j.cand.Policy.Evaluate(ctx, j.in)
	s.metrics.latency.Observe(time.Since(start).Seconds())
	if err == nil {
		err = res.Validate()
	}
	switch {
	case err != nil && (errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil):
		s.failed(j.cand, "timeout")
		return
	case err != nil:
		s.cfg.Log.Warn("shadow candidate failed; live decisions are unaffected", "revision", j.cand.Revision, "event_id", j.s.EventID, "err", err)
		s.failed(j.cand, "error")
		return
	}
	j.s.Candidate = ResultVerdict(res)
	j.s.At = s.cfg.Now().UTC()
	s.metrics.observe(j.s)
	s.mu.Lock()
	if s.revision == j.cand.Revision {
		s.tally.Add(j.s)
	}
	s.mu.Unlock()
}

func (s *Shadow) failed(c *Candidate, reason string) {
	s.metrics.results.WithLabelValues(reason).Inc()
	s.mu.Lock()
	if s.revision == c.Revision {
		s.tally.AddFailure(reason)
	}
	s.mu.Unlock()
}

// Drain returns what was counted for the current candidate since the last
// Drain, and starts a new tally. The revision is "" with no candidate.
func (s *Shadow) Drain() (revision string, t *Tally) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t = s.tally
	s.tally = NewTally(s.cfg.MaxSamples)
	return s.revision, t
}

// Wait waits until every comparison queued so far is done, or ctx ends.
// Tests and replays use it; live traffic never waits for the shadow.
func (s *Shadow) Wait(ctx context.Context) error {
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	for s.pending.Load() > 0 {
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Close stops the shadow's goroutines; comparisons still queued are
// dropped. A worker stuck in a candidate that ignores its context is not
// waited for past ctx.
func (s *Shadow) Close(ctx context.Context) error {
	select {
	case <-s.done:
		return nil
	default:
	}
	close(s.done)
	stopped := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(stopped)
	}()
	select {
	case <-stopped:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// metrics are the shadow's Prometheus metrics.
type metrics struct {
	results    *prometheus.CounterVec
	actions    *prometheus.CounterVec
	categories *prometheus.CounterVec
	rules      *prometheus.CounterVec
	latency    prometheus.Histogram
	candidate  *prometheus.GaugeVec
}

func newMetrics() *metrics {
	return &metrics{
		results: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "haechi_shadow_decisions_total",
			Help: "Live decisions the shadow candidate was compared on, by result: same, different, or why not (error, timeout, panic, skipped).",
		}, []string{"result"}),
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "haechi_shadow_differences_total",
			Help: "Live decisions the shadow candidate judged differently, by live action, candidate action and space type.",
		}, []string{"live_action", "candidate_action", "space_type"}),
		categories: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "haechi_shadow_category_differences_total",
			Help: "Categories the shadow candidate named (added) or dropped (removed) against the live decision.",
		}, []string{"category", "change"}),
		rules: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "haechi_shadow_rule_differences_total",
			Help: "Rules that fired in the shadow candidate only (added) or in the live policy only (removed).",
		}, []string{"rule", "change"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "haechi_shadow_evaluation_seconds",
			Help:    "Time to evaluate the shadow candidate on one decision's policy input.",
			Buckets: []float64{25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 10e-3, 50e-3, 100e-3},
		}),
		candidate: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "haechi_shadow_candidate_info",
			Help: "The policy revision in the shadow: 1 for the current candidate; none while no shadow runs.",
		}, []string{"revision"}),
	}
}

func (m *metrics) register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.results, m.actions, m.categories, m.rules, m.latency, m.candidate} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("shadow: metrics: %w", err)
		}
	}
	return nil
}

func (m *metrics) setCandidate(rev string) {
	m.candidate.Reset()
	if rev != "" {
		m.candidate.WithLabelValues(rev).Set(1)
	}
}

func (m *metrics) observe(s engine.ShadowSample) {
	if s.Live.Same(s.Candidate) {
		m.results.WithLabelValues("same").Inc()
		return
	}
	m.results.WithLabelValues("different").Inc()
	m.actions.WithLabelValues(string(s.Live.Action), string(s.Candidate.Action), string(s.SpaceType)).Inc()
	added, removed := setDiff(s.Candidate.Categories, s.Live.Categories)
	for _, c := range added {
		m.categories.WithLabelValues(string(c), "added").Inc()
	}
	for _, c := range removed {
		m.categories.WithLabelValues(string(c), "removed").Inc()
	}
	radded, rremoved := setDiff(s.Candidate.RuleIDs, s.Live.RuleIDs)
	for _, r := range radded {
		m.rules.WithLabelValues(r, "added").Inc()
	}
	for _, r := range rremoved {
		m.rules.WithLabelValues(r, "removed").Inc()
	}
}

// setDiff returns what is in a and not b, and what is in b and not a.
func setDiff[T comparable](a, b []T) (onlyA, onlyB []T) {
	inA := make(map[T]bool, len(a))
	for _, x := range a {
		inA[x] = true
	}
	inB := make(map[T]bool, len(b))
	for _, x := range b {
		inB[x] = true
		if !inA[x] {
			onlyB = append(onlyB, x)
		}
	}
	for _, x := range a {
		if !inB[x] {
			onlyA = append(onlyA, x)
		}
	}
	return onlyA, onlyB
}
