// Package retention is the job that deletes personal data once it has
// outlived its use, and tells the search index to forget it too. The
// store decides what is past its period and deletes it
// (store.ApplyRetention); the job runs that on a schedule, freezes last
// month's transparency report first (so that what retention minimises
// never changes a month already over), logs how much went, never what,
// and hands the ids of what went to the search index.
package retention

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/haechi-tns/haechi/engine/store"
)

// Store is what the job needs of the store; *store.Store implements it.
type Store interface {
	TransparencyReport(ctx context.Context, m store.Month, now time.Time) (*store.TransparencyReport, error)
	ApplyRetention(ctx context.Context, now time.Time, r store.Retention) (store.RetentionCounts, error)
	Forgotten(ctx context.Context, limit int) ([]store.Forgotten, error)
	AckForgotten(ctx context.Context, items []store.Forgotten) error
}

var _ Store = (*store.Store)(nil)

// Index is a search index's side of retention. Forget removes from the
// index everything it holds of the items: for ForgottenCase the
// snapshots (content and context) of the case, for ForgottenReport the
// report's free text, for ForgottenAppeal the appeal's reason, for
// ForgottenDecision whatever it indexed of the decision beyond
// statement.Minimal. It must be idempotent: an item is given again
// when an earlier call failed or the process stopped before the store
// recorded that the index had forgotten it.
type Index interface {
	Forget(ctx context.Context, items []store.Forgotten) error
}

// Job is one retention run's configuration.
type Job struct {
	Store     Store
	Retention store.Retention
	// Index, when set, is told what the store deleted; without one the
	// list of deleted items is cleared.
	Index Index
	Log   *slog.Logger
}

// forgetBatch is how many items one Index.Forget call gets, and
// forgetBatches how many calls one Run makes at most.
const (
	forgetBatch   = 1000
	forgetBatches = 100
)

// Run freezes last month's transparency report (once its month is
// settled), applies the retention at now, logs the counts and hands
// what was deleted to the index. Housekeeping calls it every hour; a
// run that fails is logged by the caller and the next one goes on where
// it stopped.
func (j *Job) Run(ctx context.Context, now time.Time) error {
	last := store.MonthOf(now).Prev()
	if _, err := j.Store.TransparencyReport(ctx, last, now); err != nil {
		return fmt.Errorf("retention: freezing the transparency report of %s: %w", last, err)
	}
	c, err := j.Store.ApplyRetention(ctx, now, j.Retention)
	if err != nil {
		return fmt.Errorf("retention: %w", err)
	}
	if c.Snapshots+c.Reports+c.Appeals+c.Decisions+c.RedactedImages > 0 || c.More {
		j.Log.Info("personal data deleted after its retention", "snapshots", c.Snapshots, "report_texts", c.Reports,
			"appeal_texts", c.Appeals, "decisions_minimised", c.Decisions, "redacted_images", c.RedactedImages, "more_left", c.More)
	}
	forgotten := 0
	for range forgetBatches {
		items, err := j.Store.Forgotten(ctx, forgetBatch)
		if err != nil {
			return fmt.Errorf("retention: %w", err)
		}
		if len(items) == 0 {
			break
		}
		if j.Index != nil {
			if err := j.Index.Forget(ctx, items); err != nil {
				return fmt.Errorf("retention: search index: %w", err)
			}
		}
		if err := j.Store.AckForgotten(ctx, items); err != nil {
			return fmt.Errorf("retention: %w", err)
		}
		forgotten += len(items)
	}
	if forgotten > 0 && j.Index != nil {
		j.Log.Info("search index told to forget deleted data", "items", forgotten)
	}
	return nil
}
