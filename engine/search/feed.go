package search

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/haechi-tns/haechi/engine"
)

// The store records every change of a searchable record in a change
// feed, in the transaction that makes the change (engine/store,
// search_changes). Each index is a consumer of the feed with a position
// of its own: it reads the changes after its position, asks the store
// for the changed records as documents (built from their state now, so
// a change read twice or late only writes the newest state again),
// writes them or deletes the ones that are gone, and only then moves its
// position. Delivery is at least once; documents are idempotent.

// Position is where a consumer of the feed is: every change up to it
// has been indexed. Changes are ordered by (Txn, Seq); Txn is 0 on
// SQLite, which commits in Seq order, and the writing transaction's id
// on PostgreSQL, where changes are read only once every transaction that
// could still add one before them has ended.
type Position struct {
	Txn int64 `json:"txn"`
	Seq int64 `json:"seq"`
}

// Batch is changes read from the feed, up to End.
type Batch struct {
	Refs []Ref // the records changed, each once
	End  Position
	// Claimed is set when reading claimed the consumer's lease, which
	// Ack releases; a read that found nothing new claims nothing.
	Claimed bool
}

// ErrNoPosition is returned by Feed.Changes for a consumer without a
// position: its index must be rebuilt (Rebuild) before it follows the
// feed.
var ErrNoPosition = errors.New("search: the index has no position in the change feed; rebuild it")

// ErrBusy is returned by Feed.Changes while another process holds the
// consumer's lease.
var ErrBusy = errors.New("search: another process is indexing")

// Feed is the store as a source of documents: its change feed and its
// records.
type Feed interface {
	// Changes reads up to limit changes after consumer's position,
	// claiming the consumer for owner until lease has passed.
	Changes(ctx context.Context, consumer, owner string, lease time.Duration, limit int) (*Batch, error)
	// Ack moves consumer's position to b.End and releases the lease;
	// it fails if owner no longer holds it.
	Ack(ctx context.Context, consumer, owner string, b *Batch) error
	// Head is the position of the newest change.
	Head(ctx context.Context) (Position, error)
	// SetPosition sets consumer's position (after a rebuild).
	SetPosition(ctx context.Context, consumer string, p Position) error
	// Refs lists the records of a kind after the id after (in the
	// store's order of ids), at most limit; CountRefs counts them all.
	Refs(ctx context.Context, kind Kind, after string, limit int) ([]Ref, error)
	CountRefs(ctx context.Context) (int, error)
	// Docs builds the documents of refs from the records as they are
	// now, masking their text with m; gone lists the refs whose record
	// no longer exists.
	Docs(ctx context.Context, m *Masker, refs []Ref) (docs []Doc, gone []Ref, err error)
}

// Rebuilder is an index that is rebuilt into a new, empty index, which
// replaces the one searched only once it is full (Elasticsearch: a new
// index behind the alias). An index that is not a Rebuilder is emptied
// and refilled in place.
type Rebuilder interface {
	BeginRebuild(ctx context.Context) (fresh Index, commit func(context.Context) error, err error)
}

// Emptier is an index that can delete every document.
type Emptier interface {
	DeleteAll(ctx context.Context) error
}

// Indexer keeps one index in step with the store's change feed.
type Indexer struct {
	Feed   Feed
	Index  Index
	Masker *Masker
	// Consumer names the index in the feed ("store", "elasticsearch").
	Consumer string
	Log      *slog.Logger
	// Batch is how many changes are read at a time; default 500.
	Batch int
	// Lease is how long one process may index before another may take
	// over; default 1 minute.
	Lease time.Duration

	owner string
}

func (ix *Indexer) defaults() {
	if ix.Batch <= 0 {
		ix.Batch = 500
	}
	if ix.Lease <= 0 {
		ix.Lease = time.Minute
	}
	if ix.Log == nil {
		ix.Log = slog.New(slog.DiscardHandler)
	}
	if ix.owner == "" {
		var b [8]byte
		rand.Read(b[:])
		ix.owner = hex.EncodeToString(b[:])
	}
}

// Sync indexes the changes made since the index's position, until there
// are none, and returns how many records it indexed. An index without a
// position is rebuilt first. When another process holds the lease, Sync
// returns 0 and nil: that process keeps the index in step.
func (ix *Indexer) Sync(ctx context.Context) (int, error) {
	ix.defaults()
	n := 0
	for {
		b, err := ix.Feed.Changes(ctx, ix.Consumer, ix.owner, ix.Lease, ix.Batch)
		switch {
		case errors.Is(err, ErrBusy):
			return n, nil
		case errors.Is(err, ErrNoPosition):
			ix.Log.Info("search index has no position in the change feed: rebuilding it from the store", "consumer", ix.Consumer)
			if err := Rebuild(ctx, ix.Feed, ix.Index, ix.Masker, ix.Consumer, nil); err != nil {
				return n, err
			}
			continue
		case err != nil:
			return n, fmt.Errorf("search: read changes: %w", err)
		}
		if !b.Claimed {
			return n, nil
		}
		if len(b.Refs) > 0 {
			if err := Apply(ctx, ix.Feed, ix.Index, ix.Masker, b.Refs); err != nil {
				return n, err
			}
		}
		if err := ix.Feed.Ack(ctx, ix.Consumer, ix.owner, b); err != nil {
			return n, fmt.Errorf("search: move position: %w", err)
		}
		n += len(b.Refs)
		if len(b.Refs) < ix.Batch {
			return n, nil
		}
	}
}

// Run syncs every interval until ctx ends; failures are logged and
// retried at the next tick.
func (ix *Indexer) Run(ctx context.Context, interval time.Duration) {
	ix.defaults()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := ix.Sync(ctx); err != nil && ctx.Err() == nil {
			ix.Log.Error("search indexing failed; retrying", "consumer", ix.Consumer, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Apply writes the documents of refs as the store has them now into idx
// and deletes those whose record is gone.
func Apply(ctx context.Context, feed Feed, idx Index, m *Masker, refs []Ref) error {
	docs, gone, err := feed.Docs(ctx, m, refs)
	if err != nil {
		return fmt.Errorf("search: read documents: %w", err)
	}
	if len(docs) > 0 {
		if err := idx.Put(ctx, docs); err != nil {
			return fmt.Errorf("search: index: %w", err)
		}
	}
	if len(gone) > 0 {
		if err := idx.Delete(ctx, gone); err != nil {
			return fmt.Errorf("search: delete: %w", err)
		}
	}
	return nil
}

// rebuildBatch is how many records a rebuild reads and indexes at a time.
const rebuildBatch = 500

// Rebuild fills idx anew with every record of the store and sets
// consumer's position to where the feed was when it began, so that
// changes made meanwhile are indexed again by the next Sync. progress,
// if not nil, is told how many records are done of how many.
func Rebuild(ctx context.Context, feed Feed, idx Index, m *Masker, consumer string, progress func(done, total int)) error {
	head, err := feed.Head(ctx)
	if err != nil {
		return fmt.Errorf("search: rebuild: %w", err)
	}
	total, err := feed.CountRefs(ctx)
	if err != nil {
		return fmt.Errorf("search: rebuild: %w", err)
	}
	target, commit := idx, func(context.Context) error { return nil }
	if r, ok := idx.(Rebuilder); ok {
		if target, commit, err = r.BeginRebuild(ctx); err != nil {
			return fmt.Errorf("search: rebuild: %w", err)
		}
	} else if e, ok := idx.(Emptier); ok {
		if err := e.DeleteAll(ctx); err != nil {
			return fmt.Errorf("search: rebuild: %w", err)
		}
	}
	done := 0
	if progress != nil {
		progress(0, total)
	}
	for _, kind := range Kinds {
		after := ""
		for {
			refs, err := feed.Refs(ctx, kind, after, rebuildBatch)
			if err != nil {
				return fmt.Errorf("search: rebuild: %w", err)
			}
			if len(refs) == 0 {
				break
			}
			if err := Apply(ctx, feed, target, m, refs); err != nil {
				return fmt.Errorf("search: rebuild: %w", err)
			}
			done += len(refs)
			if progress != nil {
				progress(done, max(total, done))
			}
			after = refs[len(refs)-1].ID
		}
	}
	if err := commit(ctx); err != nil {
		return fmt.Errorf("search: rebuild: %w", err)
	}
	if err := feed.SetPosition(ctx, consumer, head); err != nil {
		return fmt.Errorf("search: rebuild: %w", err)
	}
	return nil
}

// DecisionDoc is the document of a decision: the one definition for the
// store's feed and for decisions read from the haechi.decisions topic.
// A decision holds no content but a redact's masked text, which is
// masked again.
func DecisionDoc(d *engine.Decision, m *Masker) Doc {
	doc := Doc{
		Ref:    Ref{Kind: KindDecision, ID: d.ID},
		At:     Truncate(d.DecidedAt),
		Users:  NonEmpty(d.SenderID),
		Space:  d.Space.ID,
		Action: string(d.Action),
		Rules:  d.RuleIDs,
		Queue:  d.Queue,
	}
	for _, c := range d.Categories {
		doc.Categories = append(doc.Categories, string(c))
	}
	if d.RedactedText != "" {
		doc.Text = Join(m.Mask(d.RedactedText, nil))
	}
	return doc
}

// NonEmpty is the non-empty strings of ss, nil when none is: a
// document's users and categories.
func NonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
