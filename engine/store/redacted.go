package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/haechi-tns/haechi/engine"
)

// Redacted copies of images (migration 22). A decision that redacts the
// personal information in an image's text carries a reference to a copy
// with it filled (engine.RedactedImage); the copy's bytes are kept here,
// by their SHA-256, written in the transaction that stores the decision,
// and served to the world platform by the API. They hold no personal
// information the policy masked, but they are still a citizen's upload:
// retention deletes them with the decision's evidence, whose reference to
// them goes then too (statement.Minimal). The original is never kept
// here: only a case's snapshot keeps an original.

// redactedImagesTable is migration 22; blob is the dialect's binary type.
func redactedImagesTable(blob string) string {
	return `CREATE TABLE redacted_images (
		image_id     TEXT PRIMARY KEY,
		content_type TEXT NOT NULL,
		data         ` + blob + ` NOT NULL,
		created_at   BIGINT NOT NULL
	);
	CREATE INDEX redacted_images_created ON redacted_images (created_at)`
}

// saveRedactedImage keeps the copy a new decision refers to. The same
// copy made again (the same image redacted alike for another event) is
// one row, dated by its latest use, so that retention keeps it as long as
// the youngest decision that names it.
func (s *Store) saveRedactedImage(ctx context.Context, tx *sql.Tx, ri *engine.RedactedImage, now time.Time) error {
	if len(ri.Data) == 0 {
		return fmt.Errorf("redacted image %s of a new decision has no bytes", ri.ID)
	}
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO redacted_images (image_id, content_type, data, created_at) VALUES (?,?,?,?)
		ON CONFLICT (image_id) DO UPDATE SET created_at = excluded.created_at`), ri.ID, ri.ContentType, ri.Data, ms(now))
	return err
}

// RedactedImage returns the bytes and content type of the redacted copy
// id; ErrNotFound when there is none (never made, or deleted by
// retention).
func (s *Store) RedactedImage(ctx context.Context, id string) (contentType string, data []byte, err error) {
	err = s.db.QueryRowContext(ctx, s.q(`SELECT content_type, data FROM redacted_images WHERE image_id = ?`), id).Scan(&contentType, &data)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", nil, fmt.Errorf("%w: redacted image %s", ErrNotFound, id)
	case err != nil:
		return "", nil, fmt.Errorf("store: redacted image: %w", err)
	}
	return contentType, data, nil
}

// purgeRedactedImagesBatch deletes a batch of redacted copies last used
// before cutoff, adding how many to n, and reports whether none is left.
func (s *Store) purgeRedactedImagesBatch(ctx context.Context, cutoff time.Time, n *int) (bool, error) {
	done := false
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM redacted_images WHERE image_id IN
			(SELECT image_id FROM redacted_images WHERE created_at < ? LIMIT ?)`), ms(cutoff), retentionBatch)
		if err != nil {
			return err
		}
		k, err := res.RowsAffected()
		if err != nil {
			return err
		}
		*n += int(k)
		done = k < retentionBatch
		return nil
	})
	return done, err
}
