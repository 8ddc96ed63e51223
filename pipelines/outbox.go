package pipelines

import (
	"context"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/haechi-tns/haechi/engine/moderation"
	"github.com/haechi-tns/haechi/engine/store"
	"github.com/haechi-tns/haechi/internal/backoff"
)

// OutboxSource hands out the store's unsent outbox messages and marks
// them sent once published; *store.Store implements it.
type OutboxSource interface {
	RelayOutbox(ctx context.Context, limit int, now func() time.Time, publish func([]store.OutboxMessage) error) (int, error)
}

// Relay publishes the outbox's messages, in order, at least once: the
// platform actions of automated decisions and of moderators' outcomes to
// the actions topic, and follow-up decisions (store.OutboxDecision) to
// the decisions topic, wrapped as DecisionMessage; a message is marked sent only after the
// brokers acknowledged it. It polls every interval and at once when woken
// (the moderation service wakes it after queueing actions in this
// process), so an action follows its decision within milliseconds.
type Relay struct {
	src      OutboxSource
	writer   *kafka.Writer
	topics   RelayTopics
	interval time.Duration
	log      *slog.Logger
	wake     <-chan struct{}
}

// RelayTopics are where a Relay publishes each kind of outbox message.
type RelayTopics struct {
	Actions, Decisions string
}

// NewRelay makes a relay to topics that looks at the outbox every
// interval and whenever wake (which may be nil) receives; Run starts it.
func NewRelay(brokers []string, topics RelayTopics, src OutboxSource, interval time.Duration, wake <-chan struct{}, log *slog.Logger) *Relay {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Relay{
		src: src, writer: newWriter(brokers, MaxMessageBytes, 30*time.Second), topics: topics,
		interval: interval, log: log, wake: wake,
	}
}

// Run relays until ctx ends, then closes the producer. Failures are
// retried with backoff; the messages stay in the outbox meanwhile.
func (r *Relay) Run(ctx context.Context) {
	defer r.writer.Close()
	t := time.NewTicker(r.interval)
	defer t.Stop()
	policy := backoff.Policy{Initial: r.interval, Max: 10 * time.Second, Jitter: 0.2}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-r.wake:
		}
		retry := policy.Start()
		for ctx.Err() == nil {
			n, err := r.src.RelayOutbox(ctx, 500, time.Now, func(msgs []store.OutboxMessage) error {
				out := make([]kafka.Message, len(msgs))
				for i, m := range msgs {
					out[i] = kafka.Message{Topic: r.topics.Actions, Key: []byte(m.Key), Value: m.Body}
					if m.Kind == store.OutboxDecision {
						value, err := decisionMessage(moderation.Result{Encoded: m.Body})
						if err != nil {
							return err
						}
						out[i].Topic, out[i].Value = r.topics.Decisions, value
					}
				}
				return r.writer.WriteMessages(ctx, out...)
			})
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				r.log.Warn("outbox: relaying failed; the messages stay queued", "err", err)
				if !retry.Next(ctx) {
					return
				}
				continue
			}
			if n < 500 {
				break
			}
		}
	}
}
