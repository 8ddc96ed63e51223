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

// Follow-up decisions (migration 23). An image in a space type that does
// not wait for its text gets a first decision at once, and the reading of
// its text is left pending: a row of image_text_pending, written in the
// transaction that stores the first decision, holding the event (its
// image inline) until the text has been read and the event decided again.
// A crash between the two loses nothing: the row stays, and whoever looks
// for pending readings (ClaimPendingTexts) takes it once its lease is
// over. SaveFollowUp ends the row and, when the follow-up changes the
// outcome, stores the follow-up decision in one transaction.
//
// Decisions are no longer one per event: a follow-up is a second row for
// the event, naming the first in supersedes, and the event's latest
// decision has latest = 1. One unique index on (event_id, supersedes)
// keeps one first decision per event (supersedes empty) and one follow-up
// per decision it supersedes, so a redelivered event or a follow-up made
// twice stores nothing more; its prefix finds an event's decisions. (One
// index: every stored decision writes each index, and two near-full
// partial ones cost half as much again as the rest of the insert.)

// followUpsSQLite rebuilds the decisions table without the uniqueness of
// event_id (SQLite cannot drop a column's UNIQUE), with the same rows,
// indexes (decisions_sender is gone since migration 21) and search
// triggers, and adds the pending readings.
var followUpsSQLite = `CREATE TABLE decisions_v22 (
		decision_id     TEXT PRIMARY KEY,
		event_id        TEXT NOT NULL,
		event_kind      TEXT NOT NULL,
		world           TEXT NOT NULL,
		space_id        TEXT NOT NULL,
		space_type      TEXT NOT NULL,
		sender_id       TEXT NOT NULL,
		action          TEXT NOT NULL,
		queue           TEXT NOT NULL DEFAULT '',
		policy_revision TEXT NOT NULL,
		decided_at      TEXT NOT NULL,
		body            TEXT NOT NULL,
		fingerprint     TEXT NOT NULL DEFAULT '',
		supersedes      TEXT NOT NULL DEFAULT '',
		latest          INTEGER NOT NULL DEFAULT 1
	);
	INSERT INTO decisions_v22 (decision_id, event_id, event_kind, world, space_id, space_type, sender_id, action, queue,
		policy_revision, decided_at, body, fingerprint)
		SELECT decision_id, event_id, event_kind, world, space_id, space_type, sender_id, action, queue,
		policy_revision, decided_at, body, fingerprint FROM decisions;
	DROP TABLE decisions;
	ALTER TABLE decisions_v22 RENAME TO decisions;
	CREATE INDEX decisions_action ON decisions (action, decided_at);
	CREATE INDEX decisions_sender_flags ON decisions (sender_id, decided_at) WHERE action <> 'allow';
	CREATE TRIGGER search_decisions_ins AFTER INSERT ON decisions BEGIN
		INSERT INTO search_changes (kind, ref) VALUES ('decision', NEW.decision_id); END;
	CREATE TRIGGER search_decisions_del AFTER DELETE ON decisions BEGIN
		INSERT INTO search_changes (kind, ref) VALUES ('decision', OLD.decision_id); END;
	` + followUpsCommon("BLOB")

// followUpsPostgres is followUpsSQLite in PostgreSQL, which can drop the
// constraint.
var followUpsPostgres = `ALTER TABLE decisions DROP CONSTRAINT decisions_event_id_key;
	ALTER TABLE decisions ADD COLUMN supersedes TEXT NOT NULL DEFAULT '';
	ALTER TABLE decisions ADD COLUMN latest INTEGER NOT NULL DEFAULT 1;
	` + followUpsCommon("BYTEA")

func followUpsCommon(blob string) string {
	return `CREATE UNIQUE INDEX decisions_event ON decisions (event_id, supersedes);
	CREATE TABLE image_text_pending (
		event_id         TEXT PRIMARY KEY,
		decision_id      TEXT NOT NULL,
		first_action     TEXT NOT NULL,
		first_categories TEXT NOT NULL,
		first_decided_at BIGINT NOT NULL,
		fingerprint      TEXT NOT NULL,
		event            ` + blob + ` NOT NULL,
		behaviour        TEXT NOT NULL,
		created_at       BIGINT NOT NULL,
		attempts         INTEGER NOT NULL DEFAULT 0,
		lease            TEXT NOT NULL DEFAULT '',
		lease_until      BIGINT NOT NULL DEFAULT 0
	);
	CREATE INDEX image_text_pending_due ON image_text_pending (lease_until, created_at)`
}

// savePending keeps the reading d leaves for later, once.
func (s *Store) savePending(ctx context.Context, tx *sql.Tx, d *engine.Decision, now time.Time) error {
	p := d.Pending
	if len(p.Event) == 0 {
		return fmt.Errorf("decision %s leaves a reading pending without its event", d.ID)
	}
	cats, err := json.Marshal(nonNil(d.Categories))
	if err != nil {
		return err
	}
	var b []byte
	if p.Behaviour != nil {
		if b, err = json.Marshal(p.Behaviour); err != nil {
			return err
		}
	}
	_, err = tx.ExecContext(ctx, s.q(`INSERT INTO image_text_pending
		(event_id, decision_id, first_action, first_categories, first_decided_at, fingerprint, event, behaviour, created_at, lease, lease_until)
		VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (event_id) DO NOTHING`),
		d.EventID, d.ID, string(d.Action), string(cats), ms(d.DecidedAt), d.Fingerprint, p.Event, string(b), ms(now), p.Lease, ms(p.LeaseUntil))
	return err
}

// PendingText is a reading of an image's text left for after the event's
// first decision, as ClaimPendingTexts hands it out.
type PendingText struct {
	EventID string
	// First is the first decision: its id, action, categories and time.
	FirstID         string
	FirstAction     engine.Action
	FirstCategories []engine.Category
	FirstDecidedAt  time.Time
	// Fingerprint is the event's, for the follow-up decision.
	Fingerprint string
	// Event is the event as JSON, image inline; Behaviour its behavioural
	// signals when first decided (nil for none).
	Event     []byte
	Behaviour *engine.BehaviourSignals
	CreatedAt time.Time
	// Attempts counts the claims of the reading, this one included.
	Attempts int
	// Lease is the claim's token: SaveFollowUp, RetryPendingText and
	// DropPendingText act only while it is still the row's.
	Lease string
}

// ErrPendingLeaseLost is returned when a pending reading is no longer held by
// the lease given: it was taken over after the lease ran out, or done.
var ErrPendingLeaseLost = errors.New("store: the pending reading is no longer held by this lease")

// ClaimPendingTexts hands out up to limit pending readings whose lease is
// over at now (or that never had one), oldest first, leased to lease
// until now+d. On PostgreSQL rows another transaction is claiming are
// passed over.
func (s *Store) ClaimPendingTexts(ctx context.Context, lease string, limit int, now time.Time, d time.Duration) ([]PendingText, error) {
	var out []PendingText
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		skip := ""
		if s.postgres {
			skip = " FOR UPDATE SKIP LOCKED"
		}
		var ids []any
		err := s.eachIn(ctx, tx, `SELECT event_id FROM image_text_pending WHERE lease_until <= ? ORDER BY lease_until, created_at LIMIT ?`+skip,
			[]any{ms(now), limit}, func(r *sql.Rows) error {
				var id string
				err := r.Scan(&id)
				ids = append(ids, id)
				return err
			})
		if err != nil || len(ids) == 0 {
			return err
		}
		args := append([]any{lease, ms(now.Add(d))}, ids...)
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE image_text_pending SET lease = ?, lease_until = ?, attempts = attempts + 1
			WHERE event_id IN (`+placeholders(len(ids))+`)`), args...); err != nil {
			return err
		}
		return s.eachIn(ctx, tx, `SELECT event_id, decision_id, first_action, first_categories, first_decided_at, fingerprint, event, behaviour,
			created_at, attempts, lease FROM image_text_pending WHERE event_id IN (`+placeholders(len(ids))+`) ORDER BY created_at`, ids,
			func(r *sql.Rows) error {
				p, err := scanPending(r)
				out = append(out, p)
				return err
			})
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim pending texts: %w", err)
	}
	return out, nil
}

func scanPending(r *sql.Rows) (PendingText, error) {
	var p PendingText
	var action, cats, behaviour string
	var decided, created int64
	if err := r.Scan(&p.EventID, &p.FirstID, &action, &cats, &decided, &p.Fingerprint, &p.Event, &behaviour, &created, &p.Attempts, &p.Lease); err != nil {
		return p, err
	}
	p.FirstAction, p.FirstDecidedAt, p.CreatedAt = engine.Action(action), fromMS(decided), fromMS(created)
	if err := json.Unmarshal([]byte(cats), &p.FirstCategories); err != nil {
		return p, fmt.Errorf("pending text of %s: %w", p.EventID, err)
	}
	if behaviour != "" {
		p.Behaviour = &engine.BehaviourSignals{}
		if err := json.Unmarshal([]byte(behaviour), p.Behaviour); err != nil {
			return p, fmt.Errorf("pending text of %s: %w", p.EventID, err)
		}
	}
	return p, nil
}

// CountPendingTexts returns how many readings are pending.
func (s *Store) CountPendingTexts(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM image_text_pending`).Scan(&n)
	return n, err
}

// RetryPendingText gives a reading held by lease back, to be claimed
// again from at (a later attempt after a failure, or at once when a
// queue gives back what it did not start).
func (s *Store) RetryPendingText(ctx context.Context, eventID, lease string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE image_text_pending SET lease = '', lease_until = ? WHERE event_id = ? AND lease = ?`), ms(at), eventID, lease)
	return leaseResult(res, err, "retry pending text")
}

// DropPendingText gives up a reading held by lease: the first decision
// stands.
func (s *Store) DropPendingText(ctx context.Context, eventID, lease string) error {
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM image_text_pending WHERE event_id = ? AND lease = ?`), eventID, lease)
	return leaseResult(res, err, "drop pending text")
}

func leaseResult(res sql.Result, err error, what string) error {
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	} else if n == 0 {
		return ErrPendingLeaseLost
	}
	return nil
}

// SaveFollowUp ends the pending reading of eventID held by lease and,
// when d is not nil, stores d as the follow-up of the first decision
// (d.Supersedes) in the same transaction: d becomes the event's latest
// decision, opens a case when it needs review, queues its platform action
// when it restricts and queues d itself (body, its JSON) for the
// decisions topic (outbox kind "decision"). It returns ErrPendingLeaseLost, and
// changes nothing, when the reading is no longer held by lease. A
// follow-up of the first decision stored already (a second worker's) is
// kept and d is not stored.
func (s *Store) SaveFollowUp(ctx context.Context, eventID, lease string, d *engine.Decision, body []byte, now time.Time) error {
	if d != nil && (d.Supersedes == "" || d.EventID != eventID || d.ID == "") {
		return fmt.Errorf("store: save follow-up: decision %q of event %q supersedes %q", d.ID, d.EventID, d.Supersedes)
	}
	restricted := false
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		restricted = false
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM image_text_pending WHERE event_id = ? AND lease = ?`), eventID, lease)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrPendingLeaseLost
		}
		if d == nil {
			return nil
		}
		if body == nil {
			if body, err = json.Marshal(d); err != nil {
				return err
			}
		}
		res, err = tx.ExecContext(ctx, s.q(`INSERT INTO decisions
			(decision_id, event_id, event_kind, world, space_id, space_type, sender_id, action, queue, policy_revision, decided_at, body, fingerprint, supersedes, latest)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT (event_id, supersedes) DO NOTHING`),
			d.ID, d.EventID, string(d.EventKind), d.World, d.Space.ID, string(d.Space.Type), d.SenderID, string(d.Action), d.Queue,
			d.PolicyRevision, d.DecidedAt.UTC().Format(sortableTime), body, d.Fingerprint, d.Supersedes)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		if err := s.feedDecisions(ctx, tx, []string{d.ID}); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE decisions SET latest = 0 WHERE event_id = ? AND decision_id <> ?`), d.EventID, d.ID); err != nil {
			return err
		}
		if d.RedactedImage != nil {
			if err := s.saveRedactedImage(ctx, tx, d.RedactedImage, d.DecidedAt); err != nil {
				return err
			}
		}
		if NeedsReview(d) {
			if _, _, err := s.openDecisionCase(ctx, tx, d, d.DecidedAt); err != nil {
				return err
			}
		}
		entries := []outboxEntry{{kind: OutboxDecision, key: d.SenderID, body: json.RawMessage(body)}}
		if a := engine.AutomatedAction(d); a != nil {
			entries = append(entries, outboxEntry{kind: OutboxAction, key: d.SenderID, body: a})
			restricted = true
		}
		return s.enqueue(ctx, tx, now, entries...)
	})
	if err != nil {
		if errors.Is(err, ErrPendingLeaseLost) {
			return err
		}
		return fmt.Errorf("store: save follow-up: %w", err)
	}
	if restricted {
		s.flagged([]string{d.SenderID})
	}
	return nil
}

// Kinds of outbox messages: platform actions for the actions topic, and
// follow-up decisions for the decisions topic.
const (
	OutboxAction   = "action"
	OutboxDecision = "decision"
)
