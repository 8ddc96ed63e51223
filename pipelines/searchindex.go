package pipelines

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/haechi-tns/haechi/engine/search"
	"github.com/haechi-tns/haechi/internal/backoff"
)

// DefaultSearchGroup is the consumer group of the search indexer on the
// decisions topic: its own, so that it reads every decision whatever the
// world platform's consumers do.
const DefaultSearchGroup = "haechi-search"

// DecisionIndexer puts the decisions published on the decisions topic
// into a search index (Elasticsearch) as they are published, a batch at
// a time, and commits a batch's offsets only once the index took it.
// The store's change feed (search.Indexer) brings the same decisions and
// every other record, so a decision indexed twice is written twice with
// the same document: this path makes stream decisions searchable within
// a second at any rate, the feed makes the index complete (decisions of
// POST /v1/moderate are not published) and forgets what the store
// deletes.
type DecisionIndexer struct {
	Brokers []string
	Topic   string
	// Group defaults to DefaultSearchGroup.
	Group  string
	Index  search.Index
	Masker *search.Masker
	Log    *slog.Logger
	// Batch is the most decisions indexed at once; default 500.
	Batch int
	// Retry is how a failed Put is retried before the batch is given
	// up on (and read again after a restart); the zero Policy retries
	// until ctx ends, from 500 ms up to 30 s.
	Retry backoff.Policy
}

// Run indexes until ctx ends. While the index refuses a batch, nothing
// more is read: an overloaded index slows the indexer, not the stream.
func (d *DecisionIndexer) Run(ctx context.Context) error {
	if d.Group == "" {
		d.Group = DefaultSearchGroup
	}
	if d.Batch <= 0 {
		d.Batch = 500
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Retry.Initial == 0 {
		d.Retry = backoff.Policy{Initial: 500 * time.Millisecond, Max: 30 * time.Second, Jitter: 0.2}
	}
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: d.Brokers, GroupID: d.Group, GroupTopics: []string{d.Topic},
		MinBytes: 1, MaxBytes: MaxMessageBytes + 1<<20, MaxWait: 200 * time.Millisecond,
		QueueCapacity: d.Batch, CommitInterval: 0, StartOffset: kafka.FirstOffset,
	})
	defer r.Close()
	for {
		msgs, err := d.fetch(ctx, r)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("search indexer: fetch: %w", err)
		}
		docs := make([]search.Doc, 0, len(msgs))
		for _, m := range msgs {
			var dm DecisionMessage
			if err := json.Unmarshal(m.Value, &dm); err != nil || dm.Decision == nil || dm.Decision.ID == "" {
				d.Log.Warn("search indexer: not a decision message; skipped", "partition", m.Partition, "offset", m.Offset)
				continue
			}
			docs = append(docs, search.DecisionDoc(dm.Decision, d.Masker))
		}
		if len(docs) > 0 {
			err := d.Retry.Do(ctx, func(ctx context.Context) error { return d.Index.Put(ctx, docs) }, func(attempt int, err error, wait time.Duration) {
				d.Log.Warn("search indexer: index refused a batch of decisions; retrying", "attempt", attempt, "decisions", len(docs), "wait", wait, "err", err)
			})
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("search indexer: %w", err)
			}
		}
		if err := r.CommitMessages(ctx, msgs...); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("search indexer: commit: %w", err)
		}
	}
}

// fetch waits for one message, then takes those already there, up to a
// batch.
func (d *DecisionIndexer) fetch(ctx context.Context, r *kafka.Reader) ([]kafka.Message, error) {
	m, err := r.FetchMessage(ctx)
	if err != nil {
		return nil, err
	}
	msgs := []kafka.Message{m}
	for len(msgs) < d.Batch {
		short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		m, err := r.FetchMessage(short)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) || (err != nil && ctx.Err() == nil && short.Err() != nil) {
			break
		}
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}
