package pipelines

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/moderation"
	"github.com/haechi-tns/haechi/internal/backoff"
)

// Moderator decides and stores events; *moderation.Service implements it.
type Moderator interface {
	Decide(ctx context.Context, evs []*engine.Event) (*moderation.Batch, error)
	Save(ctx context.Context, b *moderation.Batch) error
}

// prepared is a fetched batch with its events decided but not yet
// stored, published or committed.
type prepared struct {
	msgs  []kafka.Message
	bad   []*BadMessage // per message: why it cannot be decided, or nil
	batch *moderation.Batch
	start time.Time
}

// decideStage decodes a fetched batch's messages (a message that is not a
// valid event of its topic becomes a dead letter) and has the moderation
// service decide the events.
type decideStage struct {
	topics   Topics
	maxBytes int
	mod      Moderator
	metrics  *Metrics
	now      func() time.Time
}

func (d *decideStage) run(ctx context.Context, msgs []kafka.Message) (*prepared, error) {
	p := &prepared{msgs: msgs, bad: make([]*BadMessage, len(msgs)), start: d.now()}
	evs := make([]*engine.Event, len(msgs))
	for i, m := range msgs {
		d.metrics.observeFetch(m.Topic, m.Partition, m.Offset, m.HighWaterMark)
		ev, err := DecodeEventMessage(m.Topic, m.Value, d.topics, d.maxBytes)
		if err != nil {
			p.bad[i] = asBad(err, ClassInvalid)
			continue
		}
		ev.Origin = engine.Origin{Topic: m.Topic, Partition: m.Partition}
		evs[i] = ev
	}
	b, err := d.mod.Decide(ctx, evs)
	if err != nil {
		return nil, err
	}
	p.batch = b
	for i, r := range b.Results() {
		if r.Err != nil && p.bad[i] == nil {
			p.bad[i] = badResult(r.Err)
		}
	}
	return p, nil
}

// badResult is the dead letter of an event the service could not decide.
func badResult(err error) *BadMessage {
	var undecidable *moderation.UndecidableError
	switch {
	case engine.IsValidationError(err):
		return &BadMessage{ClassInvalid, err.Error()}
	case errors.Is(err, moderation.ErrConflict):
		return &BadMessage{ClassConflict, "the event id was decided before for other content; send new content under a new id"}
	case errors.As(err, &undecidable):
		return &BadMessage{ClassUndecidable, err.Error()}
	}
	return &BadMessage{ClassUndecidable, err.Error()}
}

// publisher writes messages to Kafka; *kafka.Writer implements it.
type publisher interface {
	WriteMessages(ctx context.Context, msgs ...kafka.Message) error
}

// committer commits consumed offsets; *kafka.Reader implements it.
type committer interface {
	CommitMessages(ctx context.Context, msgs ...kafka.Message) error
}

// outputStage finishes a decided batch: it has the service store the new
// decisions (which queues their actions in the outbox), publishes the
// decisions and dead letters, and only then commits the batch's offsets.
type outputStage struct {
	topics       Topics
	mod          Moderator
	pub          publisher
	retry        backoff.Policy
	metrics      *Metrics
	log          *slog.Logger
	now          func() time.Time
	logDecisions bool
	behaviour    BehaviourState
	saveEvery    time.Duration
	lastSave     time.Time
}

func (o *outputStage) finish(ctx context.Context, c committer, p *prepared) error {
	if err := o.mod.Save(ctx, p.batch); err != nil {
		return err
	}
	msgs, err := o.messages(p)
	if err != nil {
		return err
	}
	if err := o.retry.Do(ctx, func(ctx context.Context) error { return o.pub.WriteMessages(ctx, msgs...) }, o.retrying("publish", o.metrics.publishErr)); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	if err := o.retry.Do(ctx, func(ctx context.Context) error { return c.CommitMessages(ctx, p.msgs...) }, o.retrying("commit", o.metrics.commitErr)); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	o.observe(p)
	o.saveBehaviour(ctx)
	return nil
}

// saveBehaviour saves the behavioural state when the last save is older
// than saveEvery. A failed save is logged, not fatal: the decisions are
// stored and committed, and only the counts since the last save are at
// risk if the worker dies before the next.
func (o *outputStage) saveBehaviour(ctx context.Context) {
	if o.behaviour == nil || o.now().Sub(o.lastSave) < o.saveEvery {
		return
	}
	o.lastSave = o.now()
	if err := o.behaviour.Save(ctx); err != nil {
		o.log.Warn("saving behavioural state", "err", err)
	}
}

func (o *outputStage) retrying(op string, failures interface{ Inc() }) func(int, error, time.Duration) {
	return func(attempt int, err error, wait time.Duration) {
		failures.Inc()
		o.log.Warn("retrying", "op", op, "attempt", attempt+1, "in", wait, "err", err)
	}
}

// messages are what a finished batch publishes, in input order: a
// decision per decided message, a dead letter per other.
func (o *outputStage) messages(p *prepared) ([]kafka.Message, error) {
	results := p.batch.Results()
	out := make([]kafka.Message, 0, len(p.msgs))
	for i, m := range p.msgs {
		if bad := o.badOf(p, i); bad != nil {
			out = append(out, o.deadLetter(m, bad))
			continue
		}
		d := results[i].Decision
		value, err := decisionMessage(results[i])
		if err != nil {
			return nil, fmt.Errorf("encode decision %s: %w", d.ID, err)
		}
		out = append(out, kafka.Message{Topic: o.topics.Decisions, Key: []byte(d.SenderID), Value: value})
	}
	return out, nil
}

// decisionMessage is r's DecisionMessage, encoded. A decision this
// process stored is wrapped as the store keeps it rather than encoded
// again: the bytes are the same as json.Marshal's.
func decisionMessage(r moderation.Result) ([]byte, error) {
	if r.Encoded == nil {
		return json.Marshal(DecisionMessage{SchemaVersion: SchemaVersion, Decision: r.Decision})
	}
	const head, field = `{"schema_version":`, `,"decision":`
	b := make([]byte, 0, len(head)+4+len(field)+len(r.Encoded)+1)
	b = append(b, head...)
	b = strconv.AppendInt(b, SchemaVersion, 10)
	b = append(b, field...)
	b = append(b, r.Encoded...)
	return append(b, '}'), nil
}

// badOf is why message i of p is a dead letter, or nil. A conflict found
// only when storing (another worker stored other content first) is read
// from the stored results.
func (o *outputStage) badOf(p *prepared, i int) *BadMessage {
	if p.bad[i] != nil {
		return p.bad[i]
	}
	if err := p.batch.Results()[i].Err; err != nil {
		p.bad[i] = badResult(err)
	}
	return p.bad[i]
}

func (o *outputStage) observe(p *prepared) {
	now := o.now()
	results := p.batch.Results()
	for i, m := range p.msgs {
		if bad := p.bad[i]; bad != nil {
			o.metrics.deadLetter.WithLabelValues(m.Topic, bad.Class).Inc()
			if bad.Class == ClassUndecidable || bad.Class == ClassConflict {
				o.log.Error("event sent to the dead-letter topic", "class", bad.Class, "topic", m.Topic, "partition", m.Partition, "offset", m.Offset)
			}
			continue
		}
		r := results[i]
		if r.Repeat {
			o.metrics.redeliver.WithLabelValues(m.Topic).Inc()
		}
		d := r.Decision
		o.metrics.observeDecided(m.Topic, string(d.Action), m.Time, now)
		if o.logDecisions && d.Action.Restricts() {
			o.log.Info("decision", "action", d.Action, "kind", d.EventKind, "space", d.Space.Type, "rules", d.RuleIDs,
				"categories", d.Categories, "queue", d.Queue, "event_id", d.EventID, "decision_id", d.ID)
		}
	}
	o.metrics.batch.Observe(now.Sub(p.start).Seconds())
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

func (o *outputStage) deadLetter(m kafka.Message, bad *BadMessage) kafka.Message {
	value := m.Value
	var dropped []kafka.Header
	if len(value) > MaxMessageBytes {
		value = nil
		dropped = []kafka.Header{{Key: HeaderValueDropped, Value: []byte(strconv.Itoa(len(m.Value)))}}
	}
	return kafka.Message{
		Topic: o.topics.DeadLetter,
		Key:   m.Key,
		Value: value,
		Headers: append(dropped, []kafka.Header{
			{Key: HeaderClass, Value: []byte(bad.Class)},
			{Key: HeaderReason, Value: []byte(truncate(bad.Reason, 1000))},
			{Key: HeaderOriginalTopic, Value: []byte(m.Topic)},
			{Key: HeaderOriginalPartition, Value: []byte(strconv.Itoa(m.Partition))},
			{Key: HeaderOriginalOffset, Value: []byte(strconv.FormatInt(m.Offset, 10))},
			{Key: HeaderDeadLetteredAt, Value: []byte(o.now().UTC().Format(time.RFC3339Nano))},
		}...),
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
