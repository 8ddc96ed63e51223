package pipelines

import (
	"context"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"
)

// OutboxItem is a message the store queued for the world platform in the
// same transaction as the decision that caused it.
type OutboxItem struct {
	Seq  int64
	Key  string
	Body []byte // a moderator's action (see docs/streaming.md)
}

// Outbox is where RelayOutbox takes messages from; the store provides it.
type Outbox struct {
	Pending  func(ctx context.Context, limit int) ([]OutboxItem, error)
	MarkSent func(ctx context.Context, seqs []int64) error
}

// RelayOutbox publishes the outbox's messages to the actions topic, in
// order, every interval until ctx ends. A message is marked sent only
// after the brokers acknowledged it, so a crash publishes it again (at
// least once; its action_id is stable).
func RelayOutbox(ctx context.Context, brokers []string, topic string, box Outbox, interval time.Duration, log *slog.Logger) {
	w := newWriter(brokers, MaxMessageBytes, 30*time.Second)
	defer w.Close()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for {
			items, err := box.Pending(ctx, 500)
			if err != nil {
				log.Error("outbox: read", "err", err)
				break
			}
			if len(items) == 0 {
				break
			}
			msgs := make([]kafka.Message, len(items))
			seqs := make([]int64, len(items))
			for i, it := range items {
				msgs[i] = kafka.Message{Topic: topic, Key: []byte(it.Key), Value: it.Body}
				seqs[i] = it.Seq
			}
			if err := w.WriteMessages(ctx, msgs...); err != nil {
				log.Warn("outbox: publish; retrying", "err", err, "messages", len(msgs))
				break
			}
			if err := box.MarkSent(ctx, seqs); err != nil {
				log.Error("outbox: mark sent", "err", err)
				break
			}
		}
	}
}
