package pipelines

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
)

// messageReader is what the worker needs of a Kafka consumer-group
// reader; *kafka.Reader implements it.
type messageReader interface {
	FetchMessage(ctx context.Context) (kafka.Message, error)
	CommitMessages(ctx context.Context, msgs ...kafka.Message) error
	Close() error
}

// newReader joins the worker's consumer group on the input topics.
// Offsets are committed only by the worker, after a batch's decisions
// are stored and published.
func newReader(c *WorkerConfig) *kafka.Reader {
	return kafka.NewReader(kafka.ReaderConfig{
		Brokers:     c.Brokers,
		GroupID:     c.Group,
		GroupTopics: c.Topics.Inputs(),
		MinBytes:    1,
		// Fetches must fit the largest message a topic accepts, not only
		// the largest this worker decides: a bigger one would stall its
		// partition instead of going to the dead-letter topic.
		MaxBytes: max(c.MaxMessageBytes, MaxMessageBytes) + 1<<20,
		// kafka-go uses MaxWait as the fetch's read deadline as well as
		// the broker's wait for data (kafka-go issue 574): a fetch the
		// broker takes longer to answer, as a large image message on a
		// busy machine can, times out and is tried again, every time.
		// Brokers answer a fetch as soon as data arrives, so a long wait
		// adds no latency; it only bounds how long an idle fetch waits.
		MaxWait:           500 * time.Millisecond,
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

// fetchBatch waits for a first message, then takes what arrives within
// wait, up to size messages. It returns no messages and no error when ctx
// ends before the first.
func fetchBatch(ctx context.Context, r messageReader, size int, wait time.Duration) ([]kafka.Message, error) {
	m, err := r.FetchMessage(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil
		}
		return nil, fmt.Errorf("fetch: %w", err)
	}
	batch := []kafka.Message{m}
	fctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for len(batch) < size {
		m, err := r.FetchMessage(fctx)
		if err != nil {
			break
		}
		batch = append(batch, m)
	}
	return batch, nil
}
