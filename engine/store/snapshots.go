package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/haechi-tns/haechi/engine"
)

// A case keeps snapshots of the content it is about, as it was when the
// case opened or a report added to it: what a reviewer must see even after
// the world platform has deleted or edited the message. Decisions never
// hold content; snapshots do, only for cases, and are deleted a while
// after their case closes (ApplyRetention).

// snapshotsTable is migration 8; blob is the dialect's binary type.
func snapshotsTable(blob string) string {
	return `CREATE TABLE case_snapshots (
		case_id        TEXT NOT NULL,
		ref            TEXT NOT NULL,
		source         TEXT NOT NULL,
		kind           TEXT NOT NULL,
		text           TEXT NOT NULL,
		asr_confidence DOUBLE PRECISION NOT NULL,
		content_type   TEXT NOT NULL,
		image          ` + blob + `,
		image_uri      TEXT NOT NULL,
		context        TEXT NOT NULL,
		created_at     BIGINT NOT NULL,
		PRIMARY KEY (case_id, ref)
	)`
}

// Snapshot is content a case is about: the decided event's, or what a
// report supplied (its context, the reported message among it when the
// platform included it).
type Snapshot struct {
	CaseID string `json:"case_id"`
	// Ref is the decision or report the snapshot came with.
	Ref    string `json:"ref"`
	Source string `json:"source"` // SourceDecision or SourceReport
	engine.Content
	// ImageSize is how many bytes of image the snapshot keeps, 0 for
	// none. Snapshots reads the bytes into Image; SnapshotRefs reads only
	// their size, and SnapshotImage the bytes of one snapshot.
	ImageSize int       `json:"image_size,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// saveSnapshot keeps c as the snapshot of caseID from ref, once.
func (s *Store) saveSnapshot(ctx context.Context, tx *sql.Tx, caseID, ref, source string, c *engine.Content, now time.Time) error {
	contextJSON, err := json.Marshal(nonNil(c.Context))
	if err != nil {
		return err
	}
	var image any
	if len(c.Image) > 0 {
		image = c.Image
	}
	_, err = tx.ExecContext(ctx, s.q(`INSERT INTO case_snapshots
		(case_id, ref, source, kind, text, asr_confidence, content_type, image, image_uri, context, created_at)
		VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (case_id, ref) DO NOTHING`),
		caseID, ref, source, string(c.Kind), c.Text, c.ASRConfidence, c.ContentType, image, c.ImageURI, string(contextJSON), ms(now))
	return err
}

// Snapshots returns the snapshots of a case, oldest first, images
// included. They hold content and personal data: callers show them to
// reviewers who may see the case, masked, and never log them.
func (s *Store) Snapshots(ctx context.Context, caseID string) ([]Snapshot, error) {
	return s.snapshots(ctx, caseID, true)
}

// SnapshotRefs is Snapshots without the images' bytes (Image is nil;
// ImageSize says whether there is one): what a page showing the case
// needs, at the cost of its text alone, however large the images. An
// image is read when it is shown, by SnapshotImage.
func (s *Store) SnapshotRefs(ctx context.Context, caseID string) ([]Snapshot, error) {
	return s.snapshots(ctx, caseID, false)
}

func (s *Store) snapshots(ctx context.Context, caseID string, images bool) ([]Snapshot, error) {
	// length() reads a value's size without its bytes: from SQLite's
	// record header, and from PostgreSQL's TOAST pointer.
	image := "NULL"
	if images {
		image = "image"
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT ref, source, kind, text, asr_confidence, content_type, `+image+`, coalesce(length(image), 0),
		image_uri, context, created_at FROM case_snapshots WHERE case_id = ? ORDER BY created_at, ref`), caseID)
	if err != nil {
		return nil, fmt.Errorf("store: snapshots: %w", err)
	}
	defer rows.Close()
	var out []Snapshot
	for rows.Next() {
		sn := Snapshot{CaseID: caseID}
		var kind, contextJSON string
		var created int64
		if err := rows.Scan(&sn.Ref, &sn.Source, &kind, &sn.Text, &sn.ASRConfidence, &sn.ContentType, &sn.Image, &sn.ImageSize,
			&sn.ImageURI, &contextJSON, &created); err != nil {
			return nil, fmt.Errorf("store: snapshots: %w", err)
		}
		sn.Kind, sn.CreatedAt = engine.Kind(kind), fromMS(created)
		if err := json.Unmarshal([]byte(contextJSON), &sn.Context); err != nil {
			return nil, fmt.Errorf("store: snapshot of case %s: %w", caseID, err)
		}
		out = append(out, sn)
	}
	return out, rows.Err()
}

// SnapshotImage returns the image bytes the snapshot ref of a case
// keeps; ErrNotFound when there is no such snapshot or it keeps no image.
func (s *Store) SnapshotImage(ctx context.Context, caseID, ref string) ([]byte, error) {
	var b []byte
	err := s.db.QueryRowContext(ctx, s.q(`SELECT image FROM case_snapshots WHERE case_id = ? AND ref = ?`), caseID, ref).Scan(&b)
	switch {
	case errors.Is(err, sql.ErrNoRows) || (err == nil && len(b) == 0):
		return nil, fmt.Errorf("%w: image of snapshot %s of case %s", ErrNotFound, ref, caseID)
	case err != nil:
		return nil, fmt.Errorf("store: snapshot image: %w", err)
	}
	return b, nil
}

// DefaultSnapshotRetention is how long snapshots outlive their case
// (ApplyRetention deletes them).
const DefaultSnapshotRetention = 90 * 24 * time.Hour
