package pipelines

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/haechi-tns/haechi/engine"
)

// Decider decides valid events; *engine.Pipeline implements it.
type Decider interface {
	DecideBatch(ctx context.Context, evs []*engine.Event) ([]*engine.Decision, []error)
}

// DecisionStore keeps one decision per event; *store.Store implements it.
type DecisionStore interface {
	// SaveDecisions stores each decision unless its event already has one
	// and returns the decision stored for each event.
	SaveDecisions(ctx context.Context, ds []*engine.Decision) ([]*engine.Decision, error)
	// DecisionsForEvents returns the stored decisions of those events that
	// have one, by event id.
	DecisionsForEvents(ctx context.Context, eventIDs []string) (map[string]*engine.Decision, error)
}

// WorkerConfig configures a Worker. Brokers, Decider and Store are
// required; everything else has a default.
type WorkerConfig struct {
	Brokers []string
	Group   string // consumer group, default "haechi"
	Topics  Topics // default DefaultTopics
	Decider Decider
	Store   DecisionStore
	Metrics *Metrics     // default: unregistered series
	Log     *slog.Logger // default: discard

	// BatchSize is the most messages decided together (default 500);
	// BatchWait is how long a batch may wait to fill after its first
	// message (default 5 ms).
	BatchSize int
	BatchWait time.Duration
	// Parallelism is how many goroutines decide one batch (default
	// GOMAXPROCS).
	Parallelism int
	// MaxMessageBytes bounds an input message (default: the largest valid
	// event, an inline 10 MiB image, plus room for the envelope).
	MaxMessageBytes int
	// Retries is how often a failed decision is retried (default 3), the
	// first after RetryBackoff (default 200 ms), doubling.
	Retries      int
	RetryBackoff time.Duration
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
	// Blobs fetches images sent by reference (image.uri); nil leaves them
	// unfetched, and the policy holds images nobody could look at.
	Blobs BlobFetcher
}

func (c *WorkerConfig) setDefaults() error {
	switch {
	case len(c.Brokers) == 0:
		return errors.New("pipelines: no brokers")
	case c.Decider == nil:
		return errors.New("pipelines: no decider")
	case c.Store == nil:
		return errors.New("pipelines: no decision store")
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
	c.Parallelism = cmpOr(c.Parallelism, runtime.GOMAXPROCS(0))
	c.MaxMessageBytes = cmpOr(c.MaxMessageBytes, MaxMessageBytes)
	c.Retries = cmpOr(c.Retries, 3)
	c.RetryBackoff = cmpOr(c.RetryBackoff, 200*time.Millisecond)
	c.OpTimeout = cmpOr(c.OpTimeout, 30*time.Second)
	c.SessionTimeout = cmpOr(c.SessionTimeout, 10*time.Second)
	c.RebalanceTimeout = cmpOr(c.RebalanceTimeout, 10*time.Second)
	c.HeartbeatInterval = cmpOr(c.HeartbeatInterval, time.Second)
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

// Worker is one consumer-group member: it fetches input events in
// batches, decides them, stores the decisions, publishes decisions,
// actions and dead letters, and only then commits the batch's offsets.
type Worker struct {
	cfg    WorkerConfig
	writer *kafka.Writer
}

// NewWorker checks cfg and makes a worker; Run starts it.
func NewWorker(cfg WorkerConfig) (*Worker, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	return &Worker{cfg: cfg, writer: newWriter(cfg.Brokers, deadLetterMaxBytes, cfg.OpTimeout)}, nil
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

func (w *Worker) newReader() *kafka.Reader {
	c := w.cfg
	return kafka.NewReader(kafka.ReaderConfig{
		Brokers:     c.Brokers,
		GroupID:     c.Group,
		GroupTopics: c.Topics.Inputs(),
		MinBytes:    1,
		// Fetches must fit the largest message a topic accepts, not only
		// the largest this worker decides: a bigger one would stall its
		// partition instead of going to the dead-letter topic.
		MaxBytes:          max(c.MaxMessageBytes, MaxMessageBytes) + 1<<20,
		MaxWait:           100 * time.Millisecond,
		QueueCapacity:     max(c.BatchSize, 100),
		CommitInterval:    0, // commits are synchronous, after publishing
		StartOffset:       kafka.FirstOffset,
		SessionTimeout:    c.SessionTimeout,
		RebalanceTimeout:  c.RebalanceTimeout,
		HeartbeatInterval: c.HeartbeatInterval,
		JoinGroupBackoff:  500 * time.Millisecond,
		ReadBackoffMin:    10 * time.Millisecond,
		ReadBackoffMax:    200 * time.Millisecond,
		ErrorLogger:       kafka.LoggerFunc(func(msg string, args ...any) { logReaderError(c.Log, fmt.Sprintf(msg, args...)) }),
	})
}

// logReaderError logs kafka-go's reader errors. A fetch that times out
// (kafka-go's read deadline is the fetch's own wait, so a busy machine
// misses it now and then) is retried by kafka-go at once and logged only at
// debug level; anything else is a warning.
func logReaderError(log *slog.Logger, detail string) {
	if strings.Contains(detail, "i/o timeout") {
		log.Debug("kafka reader", "detail", detail)
		return
	}
	log.Warn("kafka reader", "detail", detail)
}

// Run consumes until ctx is cancelled, then finishes the batch in hand,
// commits it and leaves the group. A batch that cannot be stored,
// published or committed within OpTimeout is abandoned uncommitted and the
// worker rejoins the group, so the batch is delivered again (decisions are
// idempotent by event id); Run returns only when ctx ends.
func (w *Worker) Run(ctx context.Context) error {
	defer w.writer.Close()
	backoff := w.cfg.RetryBackoff
	for ctx.Err() == nil {
		err := w.consume(ctx)
		if err == nil || ctx.Err() != nil {
			break
		}
		w.cfg.Log.Error("pipeline worker restarting from the last committed offsets", "err", err, "in", backoff)
		sleep(ctx, backoff)
		backoff = min(2*backoff, 10*time.Second)
	}
	return nil
}

// consume runs one reader until ctx ends (nil) or a batch fails (error).
// It works in two stages so that both halves keep the CPUs busy: this
// goroutine fetches and decides batch n+1 while another stores, publishes
// and commits batch n. Commits stay in fetch order; when the second stage
// fails, both batches are left uncommitted and are delivered again.
func (w *Worker) consume(ctx context.Context) error {
	r := w.newReader()
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
			if err = w.finish(bctx, r, p); err != nil {
				stopFetching()
			}
			cancel()
		}
		finished <- err
	}()
	var fetchErr error
	for sctx.Err() == nil {
		batch, err := w.fetch(sctx, r)
		if len(batch) > 0 {
			bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.cfg.OpTimeout)
			p, perr := w.prepare(bctx, batch)
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
	if ctx.Err() != nil {
		return nil
	}
	return fetchErr
}

// fetch waits for a first message, then takes what arrives within
// BatchWait, up to BatchSize.
func (w *Worker) fetch(ctx context.Context, r *kafka.Reader) ([]kafka.Message, error) {
	m, err := r.FetchMessage(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil
		}
		return nil, fmt.Errorf("fetch: %w", err)
	}
	batch := []kafka.Message{m}
	fctx, cancel := context.WithTimeout(ctx, w.cfg.BatchWait)
	defer cancel()
	for len(batch) < w.cfg.BatchSize {
		m, err := r.FetchMessage(fctx)
		if err != nil {
			break
		}
		batch = append(batch, m)
	}
	return batch, nil
}

// item is one fetched message on its way through a batch.
type item struct {
	msg kafka.Message
	ev  *engine.Event
	dec *engine.Decision
	bad *BadMessage
	// redelivered: the event's decision was already stored.
	redelivered bool
}

// prepared is a fetched batch with its events decided but not yet
// stored, published or committed.
type prepared struct {
	batch  []kafka.Message
	items  []item
	firsts []int // the item deciding each distinct event
	start  time.Time
}

// prepare decodes a batch and decides its events (see decideNew).
func (w *Worker) prepare(ctx context.Context, batch []kafka.Message) (*prepared, error) {
	p := &prepared{batch: batch, items: make([]item, len(batch)), start: w.cfg.Now()}
	for i, m := range batch {
		p.items[i].msg = m
		w.cfg.Metrics.observeFetch(m.Topic, m.Partition, m.Offset, m.HighWaterMark)
		ev, err := DecodeEventMessage(m.Topic, m.Value, w.cfg.Topics, w.cfg.MaxMessageBytes)
		if err != nil {
			p.items[i].bad = asBad(err, ClassInvalid)
			continue
		}
		p.items[i].ev = ev
	}
	if w.cfg.Blobs != nil {
		w.fetchBlobs(ctx, p.items)
	}
	var err error
	p.firsts, err = w.decideNew(ctx, p.items)
	return p, err
}

// fetchBlobs fetches the images of the batch sent by reference, retrying
// failures that may pass. An image that cannot be fetched stays without
// data: the engine then cannot analyse it and the policy holds it for a
// person, which is never an allow.
func (w *Worker) fetchBlobs(ctx context.Context, items []item) {
	var evs []*engine.Event
	for _, it := range items {
		if ev := it.ev; ev != nil && ev.Image != nil && len(ev.Image.Data) == 0 && ev.Image.URI != "" {
			evs = append(evs, ev)
		}
	}
	backoff := w.cfg.RetryBackoff
	for attempt := 0; len(evs) > 0; attempt++ {
		errs := FetchImages(ctx, w.cfg.Blobs, evs, 8)
		var again []*engine.Event
		for i, ev := range evs {
			switch err := errs[i]; {
			case err == nil:
				ev.Image.URI = "" // the event now carries its bytes
			case IsPermanentBlobError(err) || attempt >= w.cfg.Retries:
				w.cfg.Log.Warn("image not fetched; it will be held", "event_id", ev.ID, "err", err)
			default:
				again = append(again, ev)
			}
		}
		if len(again) == 0 || !sleep(ctx, backoff) {
			return
		}
		backoff *= 2
		evs = again
	}
}

// finish stores a prepared batch's new decisions, publishes decisions,
// actions and dead letters, and commits the batch.
func (w *Worker) finish(ctx context.Context, r *kafka.Reader, p *prepared) error {
	items := p.items
	if err := w.storeNew(ctx, items, p.firsts); err != nil {
		return err
	}
	msgs, err := w.outputs(items)
	if err != nil {
		return err
	}
	if err := w.retry(ctx, "publish", func(ctx context.Context) error { return w.writer.WriteMessages(ctx, msgs...) }, w.cfg.Metrics.publishErr); err != nil {
		return err
	}
	if err := w.retry(ctx, "commit", func(ctx context.Context) error { return r.CommitMessages(ctx, p.batch...) }, w.cfg.Metrics.commitErr); err != nil {
		return err
	}
	now := w.cfg.Now()
	for _, it := range items {
		switch {
		case it.bad != nil:
			w.cfg.Metrics.deadLetter.WithLabelValues(it.msg.Topic, it.bad.Class).Inc()
		default:
			if it.redelivered {
				w.cfg.Metrics.redeliver.WithLabelValues(it.msg.Topic).Inc()
			}
			w.cfg.Metrics.observeDecided(it.msg.Topic, string(it.dec.Action), it.msg.Time, now)
			if w.cfg.LogDecisions && it.dec.Action.Restricts() {
				d := it.dec
				w.cfg.Log.Info("decision", "action", d.Action, "kind", d.EventKind, "space", d.Space.Type, "rules", d.RuleIDs,
					"categories", d.Categories, "queue", d.Queue, "event_id", d.EventID, "decision_id", d.ID)
			}
		}
	}
	w.cfg.Metrics.batch.Observe(now.Sub(p.start).Seconds())
	return nil
}

// decideNew fills in the decision of every valid item: the stored one for
// events decided before, a new one (not yet stored) for the first copy of
// each other event, whose indexes it returns. Events that keep failing
// become undecidable dead letters.
func (w *Worker) decideNew(ctx context.Context, items []item) ([]int, error) {
	var ids []string
	for _, it := range items {
		if it.ev != nil {
			ids = append(ids, it.ev.ID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	var stored map[string]*engine.Decision
	if err := w.retry(ctx, "look up decisions", func(ctx context.Context) (err error) {
		stored, err = w.cfg.Store.DecisionsForEvents(ctx, ids)
		return err
	}, nil); err != nil {
		return nil, err
	}
	// The first message of each undecided event is decided; later copies
	// in the batch share its decision.
	first := map[string]int{}
	var todo, firsts []int
	for i := range items {
		it := &items[i]
		if it.ev == nil {
			continue
		}
		if d, ok := stored[it.ev.ID]; ok {
			it.dec, it.redelivered = d, true
			continue
		}
		if _, seen := first[it.ev.ID]; !seen {
			first[it.ev.ID] = i
			todo = append(todo, i)
			firsts = append(firsts, i)
		}
	}
	backoff := w.cfg.RetryBackoff
	outage := false // every event of the first attempt failed
	for attempt := 0; len(todo) > 0; attempt++ {
		errs := w.decideParallel(ctx, items, todo)
		var failed []int
		for j, i := range todo {
			switch err := errs[j]; {
			case err == nil:
			case engine.IsValidationError(err):
				items[i].bad = &BadMessage{ClassInvalid, err.Error()}
			default:
				failed = append(failed, i)
			}
		}
		if attempt == 0 {
			outage = len(failed) > 1 && len(failed) == len(todo)
		}
		if len(failed) > 0 && attempt >= w.cfg.Retries {
			// When every event failed, a classifier, the policy or the
			// database is down, not these events: the batch is left
			// uncommitted and delivered again, for as long as the outage
			// lasts. Events that fail beside others that succeed are the
			// problem themselves and become dead letters. (A batch made
			// only of such events waits until other traffic joins it.)
			if outage {
				return nil, fmt.Errorf("every event of the batch failed %d times (%v); not committing it", attempt+1, errs[0])
			}
			for j, i := range todo {
				if errs[j] != nil && !engine.IsValidationError(errs[j]) {
					items[i].bad = &BadMessage{ClassUndecidable, fmt.Sprintf("after %d attempts: %v", attempt+1, errs[j])}
					w.cfg.Log.Error("event sent to the dead-letter topic", "event_id", items[i].ev.ID, "topic", items[i].msg.Topic, "err", errs[j])
				}
			}
			failed = nil
		}
		if len(failed) == 0 {
			break
		}
		w.cfg.Metrics.retries.WithLabelValues(items[failed[0]].msg.Topic).Add(float64(len(failed)))
		w.cfg.Log.Warn("retrying decisions", "events", len(failed), "attempt", attempt+1, "in", backoff)
		if !sleep(ctx, backoff) {
			return nil, ctx.Err()
		}
		backoff *= 2
		todo = failed
	}
	return firsts, nil
}

// storeNew stores the new decisions of items[firsts] and gives later
// copies of an event in the batch their first copy's outcome.
func (w *Worker) storeNew(ctx context.Context, items []item, firsts []int) error {
	var fresh []*engine.Decision
	var freshIdx []int
	for _, i := range firsts {
		if items[i].dec != nil && !items[i].redelivered {
			fresh = append(fresh, items[i].dec)
			freshIdx = append(freshIdx, i)
		}
	}
	if len(fresh) > 0 {
		var saved []*engine.Decision
		if err := w.retry(ctx, "store decisions", func(ctx context.Context) (err error) {
			saved, err = w.cfg.Store.SaveDecisions(ctx, fresh)
			return err
		}, nil); err != nil {
			return err
		}
		// Another worker may have stored its decision for the event first
		// (during a rebalance): publish that one, not ours.
		for j, i := range freshIdx {
			if saved[j].ID != fresh[j].ID {
				items[i].redelivered = true
			}
			items[i].dec = saved[j]
		}
	}
	first := make(map[string]int, len(firsts))
	for _, i := range firsts {
		first[items[i].ev.ID] = i
	}
	for i := range items {
		it := &items[i]
		if it.ev == nil || it.dec != nil || it.bad != nil {
			continue
		}
		src := items[first[it.ev.ID]]
		it.dec, it.bad = src.dec, src.bad
	}
	return nil
}

// decideParallel decides items[todo] in Parallelism chunks at once.
func (w *Worker) decideParallel(ctx context.Context, items []item, todo []int) []error {
	errs := make([]error, len(todo))
	chunk := (len(todo) + w.cfg.Parallelism - 1) / w.cfg.Parallelism
	var wg sync.WaitGroup
	for start := 0; start < len(todo); start += chunk {
		part := todo[start:min(start+chunk, len(todo))]
		wg.Go(func() {
			evs := make([]*engine.Event, len(part))
			for j, i := range part {
				evs[j] = items[i].ev
			}
			decs, derrs := w.cfg.Decider.DecideBatch(ctx, evs)
			for j, i := range part {
				items[i].dec = decs[j]
				errs[start+j] = derrs[j]
				if derrs[j] != nil {
					items[i].dec = nil
				}
			}
		})
	}
	wg.Wait()
	return errs
}

// outputs are the messages a handled batch publishes, in input order.
func (w *Worker) outputs(items []item) ([]kafka.Message, error) {
	msgs := make([]kafka.Message, 0, len(items)+len(items)/4)
	for _, it := range items {
		if it.bad != nil {
			msgs = append(msgs, w.deadLetter(it))
			continue
		}
		value, err := json.Marshal(DecisionMessage{SchemaVersion: SchemaVersion, Decision: it.dec})
		if err != nil {
			return nil, fmt.Errorf("encode decision %s: %w", it.dec.ID, err)
		}
		key := []byte(it.dec.SenderID)
		msgs = append(msgs, kafka.Message{Topic: w.cfg.Topics.Decisions, Key: key, Value: value})
		if a := ActionFor(it.dec); a != nil {
			value, err := json.Marshal(a)
			if err != nil {
				return nil, fmt.Errorf("encode action %s: %w", a.ActionID, err)
			}
			msgs = append(msgs, kafka.Message{Topic: w.cfg.Topics.Actions, Key: key, Value: value})
		}
	}
	return msgs, nil
}

// Dead-letter headers.
const (
	HeaderClass             = "haechi-dlq-class"
	HeaderReason            = "haechi-dlq-reason"
	HeaderOriginalTopic     = "haechi-original-topic"
	HeaderOriginalPartition = "haechi-original-partition"
	HeaderOriginalOffset    = "haechi-original-offset"
	HeaderDeadLetteredAt    = "haechi-dlq-at"
)

// deadLetterMaxBytes bounds a dead letter: any input message Haechi's
// topics accept, with its headers.
const deadLetterMaxBytes = MaxMessageBytes + 64<<10

// HeaderValueDropped is set on a dead letter whose original value was too
// large to copy (only possible on topics not created by Haechi).
const HeaderValueDropped = "haechi-dlq-value-dropped"

func (w *Worker) deadLetter(it item) kafka.Message {
	m := it.msg
	value := m.Value
	var dropped []kafka.Header
	if len(value) > MaxMessageBytes {
		value = nil
		dropped = []kafka.Header{{Key: HeaderValueDropped, Value: []byte(strconv.Itoa(len(m.Value)))}}
	}
	return kafka.Message{
		Topic: w.cfg.Topics.DeadLetter,
		Key:   m.Key,
		Value: value,
		Headers: append(dropped, []kafka.Header{
			{Key: HeaderClass, Value: []byte(it.bad.Class)},
			{Key: HeaderReason, Value: []byte(truncate(it.bad.Reason, 1000))},
			{Key: HeaderOriginalTopic, Value: []byte(m.Topic)},
			{Key: HeaderOriginalPartition, Value: []byte(strconv.Itoa(m.Partition))},
			{Key: HeaderOriginalOffset, Value: []byte(strconv.FormatInt(m.Offset, 10))},
			{Key: HeaderDeadLetteredAt, Value: []byte(w.cfg.Now().UTC().Format(time.RFC3339Nano))},
		}...),
	}
}

// retry runs fn until it succeeds or ctx ends, backing off between
// attempts and counting failures in failures (when not nil).
func (w *Worker) retry(ctx context.Context, what string, fn func(context.Context) error, failures interface{ Inc() }) error {
	backoff := w.cfg.RetryBackoff
	for {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		if failures != nil {
			failures.Inc()
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		w.cfg.Log.Warn("retrying", "op", what, "err", err, "in", backoff)
		if !sleep(ctx, backoff) {
			return fmt.Errorf("%s: %w", what, err)
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func asBad(err error, class string) *BadMessage {
	var bm *BadMessage
	if errors.As(err, &bm) {
		return bm
	}
	return &BadMessage{Class: class, Reason: err.Error()}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 { // do not cut a UTF-8 sequence
		n--
	}
	return s[:n] + "…"
}
