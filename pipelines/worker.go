package pipelines

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/haechi-tns/haechi/internal/backoff"
	"github.com/segmentio/kafka-go"
)

// WorkerConfig configures a Worker. Brokers and Moderator are required;
// everything else has a default.
type WorkerConfig struct {
	Brokers []string
	Group   string // consumer group, default "haechi"
	Topics  Topics // default DefaultTopics
	// Moderator decides and stores events: the moderation service that
	// the API uses too.
	Moderator Moderator
	Metrics   *Metrics     // default: unregistered series
	Log       *slog.Logger // default: discard

	// BatchSize is the most messages decided together (default 500);
	// BatchWait is how long a batch may wait to fill after its first
	// message (default 5 ms).
	BatchSize int
	BatchWait time.Duration
	// MaxMessageBytes bounds an input message (default: the largest valid
	// event, an inline 10 MiB image, plus room for the envelope).
	MaxMessageBytes int
	// Retry says how publishing and committing are retried (default: from
	// 200 ms, doubling to 5 s, until OpTimeout ends) and how long the
	// worker waits before rejoining after a failed batch.
	Retry backoff.Policy
	// OpTimeout bounds one batch's store, publish and commit, however many
	// times each is retried (default 30 s). A batch that cannot finish in
	// time is not committed; the worker rejoins and it is redelivered.
	OpTimeout time.Duration
	// Group timings (defaults 10 s, 10 s, 1 s).
	SessionTimeout, RebalanceTimeout, HeartbeatInterval time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// LogDecisions logs every decision that restricts content at info
	// level (ids, action, rules and categories; never content).
	LogDecisions bool
	// Behaviour, when set, is the behavioural state the moderation
	// service's pipeline keeps per input partition. The worker saves it
	// every BehaviourSave (default 30 s) after a commit, before a new
	// consumer-group generation and when it stops, and forgets it after a
	// rebalance, so that a partition that moved is read again from the
	// store.
	Behaviour     BehaviourState
	BehaviourSave time.Duration
}

// BehaviourState is the per-partition state the worker persists;
// *behaviour.Tracker implements it.
type BehaviourState interface {
	Save(ctx context.Context) error
	Forget()
}

func (c *WorkerConfig) setDefaults() error {
	switch {
	case len(c.Brokers) == 0:
		return errors.New("pipelines: no brokers")
	case c.Moderator == nil:
		return errors.New("pipelines: no moderation service")
	}
	if c.Group == "" {
		c.Group = "haechi"
	}
	if c.Topics == (Topics{}) {
		c.Topics = DefaultTopics
	}
	for _, t := range c.Topics.All() {
		if t == "" {
			return fmt.Errorf("pipelines: a topic name is empty in %+v", c.Topics)
		}
	}
	if c.Metrics == nil {
		c.Metrics = NewMetrics(nil)
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	c.BatchSize = cmpOr(c.BatchSize, 500)
	c.BatchWait = cmpOr(c.BatchWait, 5*time.Millisecond)
	c.MaxMessageBytes = cmpOr(c.MaxMessageBytes, MaxMessageBytes)
	if c.Retry.Initial <= 0 {
		c.Retry = backoff.Policy{Initial: 200 * time.Millisecond, Max: 5 * time.Second, Jitter: 0.2}
	}
	c.OpTimeout = cmpOr(c.OpTimeout, 30*time.Second)
	c.SessionTimeout = cmpOr(c.SessionTimeout, 10*time.Second)
	c.RebalanceTimeout = cmpOr(c.RebalanceTimeout, 10*time.Second)
	c.HeartbeatInterval = cmpOr(c.HeartbeatInterval, time.Second)
	c.BehaviourSave = cmpOr(c.BehaviourSave, 30*time.Second)
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

func cmpOr[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Worker is one consumer-group member. Three parts do its work: the
// reader fetches batches of input messages (reader.go), the decide stage
// decodes them and has the moderation service decide them, and the output
// stage stores the decisions, publishes decisions and dead letters and
// only then commits the batch's offsets (stages.go). Platform actions go
// out through the store's outbox (see RelayOutbox).
type Worker struct {
	cfg    WorkerConfig
	writer *kafka.Writer
	decide *decideStage
	output *outputStage
}

// NewWorker checks cfg and makes a worker; Run starts it.
func NewWorker(cfg WorkerConfig) (*Worker, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	w := &Worker{cfg: cfg, writer: newWriter(cfg.Brokers, deadLetterMaxBytes, cfg.OpTimeout)}
	w.decide = &decideStage{topics: cfg.Topics, maxBytes: cfg.MaxMessageBytes, mod: cfg.Moderator, metrics: cfg.Metrics, now: cfg.Now}
	w.output = &outputStage{topics: cfg.Topics, mod: cfg.Moderator, pub: w.writer, retry: cfg.Retry, metrics: cfg.Metrics,
		log: cfg.Log, now: cfg.Now, logDecisions: cfg.LogDecisions, behaviour: cfg.Behaviour, saveEvery: cfg.BehaviourSave}
	return w, nil
}

// newWriter is the producer for decisions, actions and dead letters. Each
// message names its topic; keys pick the partition, so one sender's
// decisions stay in order.
func newWriter(brokers []string, maxMessage int, timeout time.Duration) *kafka.Writer {
	return &kafka.Writer{
		Addr:         kafka.TCP(brokers...),
		Balancer:     &kafka.Hash{},
		RequiredAcks: kafka.RequireAll,
		BatchSize:    1000,
		BatchBytes:   int64(maxMessage) + 64<<10,
		BatchTimeout: time.Millisecond,
		WriteTimeout: timeout,
		ReadTimeout:  timeout,
		MaxAttempts:  3,
	}
}

// Run consumes until ctx is cancelled, then finishes the batch in hand,
// commits it and leaves the group. A batch that cannot be stored,
// published or committed within OpTimeout is abandoned uncommitted and the
// worker rejoins the group, so the batch is delivered again (decisions are
// idempotent by event id); Run returns only when ctx ends.
func (w *Worker) Run(ctx context.Context) error {
	defer w.writer.Close()
	rejoin := w.cfg.Retry
	rejoin.Max = 10 * time.Second
	retry := rejoin.Start()
	for ctx.Err() == nil {
		err := w.consume(ctx, newReader(&w.cfg))
		if err == nil || ctx.Err() != nil {
			break
		}
		if b := w.cfg.Behaviour; b != nil {
			// The batches left uncommitted come again; their partitions'
			// state is read again from the last save.
			b.Forget()
		}
		w.cfg.Log.Error("pipeline worker restarting from the last committed offsets", "err", err)
		if !retry.Next(ctx) {
			break
		}
	}
	return nil
}

// consume runs one reader until ctx ends (nil) or a batch fails (error).
// It works in two stages so that both halves keep the CPUs busy: this
// goroutine fetches and decides batch n+1 while another stores, publishes
// and commits batch n. Commits stay in fetch order; when the second stage
// fails, both batches are left uncommitted and are delivered again.
func (w *Worker) consume(ctx context.Context, r messageReader) error {
	defer func() {
		if err := r.Close(); err != nil {
			w.cfg.Log.Warn("closing kafka reader", "err", err)
		}
	}()
	sctx, stopFetching := context.WithCancel(ctx)
	defer stopFetching()
	ready := make(chan *prepared, 1)
	finished := make(chan error, 1)
	go func() {
		var err error
		for p := range ready {
			if err != nil {
				continue // drain; the batch stays uncommitted
			}
			// A batch in hand finishes even when ctx is cancelled
			// meanwhile: shutting down means storing, publishing and
			// committing what was decided, within OpTimeout.
			bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.cfg.OpTimeout)
			if err = w.output.finish(bctx, r, p); err != nil {
				stopFetching()
			}
			cancel()
		}
		finished <- err
	}()
	var fetchErr error
	for sctx.Err() == nil {
		batch, err := fetchBatch(sctx, r, w.cfg.BatchSize, w.cfg.BatchWait)
		if rebalanced(r) {
			w.handOver(ctx)
		}
		if len(batch) > 0 {
			bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.cfg.OpTimeout)
			p, perr := w.decide.run(bctx, batch)
			cancel()
			if perr != nil {
				fetchErr = perr
				break
			}
			ready <- p
		}
		if err != nil {
			fetchErr = err
			break
		}
	}
	close(ready)
	if err := <-finished; err != nil {
		return err
	}
	w.handOver(ctx)
	if ctx.Err() != nil {
		return nil
	}
	return fetchErr
}

// rebalanced reports whether the reader joined a new consumer-group
// generation since it was last asked (kafka-go counts rebalances in its
// stats, which each call resets).
func rebalanced(r messageReader) bool {
	s, ok := r.(interface{ Stats() kafka.ReaderStats })
	return ok && s.Stats().Rebalances > 0
}

// handOver saves the behavioural state and forgets it: after a rebalance
// the partitions this worker keeps are read back from the store, and the
// ones it lost are left to their new owner in the state just saved.
func (w *Worker) handOver(ctx context.Context) {
	b := w.cfg.Behaviour
	if b == nil {
		return
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.cfg.OpTimeout)
	defer cancel()
	if err := b.Save(sctx); err != nil {
		w.cfg.Log.Warn("saving behavioural state", "err", err)
	}
	b.Forget()
}
