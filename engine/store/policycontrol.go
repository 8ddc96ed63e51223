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

// The policy control plane. Every instance (haechi serve, worker, api)
// polls one control row: the live revision every instance serves (none:
// each serves the bundle it started with), the previous live revision
// that a rollback returns to, and the candidate evaluated in the shadow.
// Revisions are kept whole (their files) in policy_revisions, so an
// instance on another machine loads exactly what the operator uploaded.
// Every change bumps the row's generation and writes an audit entry in
// the same transaction.

const policyControlTables = `CREATE TABLE policy_revisions (
		revision    TEXT PRIMARY KEY,
		files       TEXT NOT NULL,
		tests       INTEGER NOT NULL,
		uploaded_by TEXT NOT NULL,
		uploaded_at BIGINT NOT NULL
	);
	CREATE TABLE policy_control (
		id                INTEGER PRIMARY KEY CHECK (id = 1),
		generation        BIGINT NOT NULL,
		live_revision     TEXT NOT NULL DEFAULT '',
		previous_revision TEXT NOT NULL DEFAULT '',
		candidate_revision TEXT NOT NULL DEFAULT '',
		candidate_since   BIGINT NOT NULL DEFAULT 0,
		updated_by        TEXT NOT NULL DEFAULT '',
		updated_at        BIGINT NOT NULL DEFAULT 0
	);
	INSERT INTO policy_control (id, generation) VALUES (1, 0);
	CREATE TABLE policy_instances (
		instance_id        TEXT PRIMARY KEY,
		generation         BIGINT NOT NULL,
		live_revision      TEXT NOT NULL,
		candidate_revision TEXT NOT NULL,
		problem            TEXT NOT NULL,
		seen_at            BIGINT NOT NULL
	);
	CREATE TABLE shadow_counts (
		candidate_revision TEXT NOT NULL,
		dim                TEXT NOT NULL,
		count_key          TEXT NOT NULL,
		n                  BIGINT NOT NULL,
		PRIMARY KEY (candidate_revision, dim, count_key)
	);
	CREATE TABLE shadow_samples (
		candidate_revision TEXT NOT NULL,
		decision_id        TEXT NOT NULL,
		at                 BIGINT NOT NULL,
		body               TEXT NOT NULL,
		PRIMARY KEY (candidate_revision, decision_id)
	);
	CREATE INDEX shadow_samples_at ON shadow_samples (candidate_revision, at)`

// PolicyRevision is a policy bundle kept in the store.
type PolicyRevision struct {
	Revision string
	// Files are the bundle's files by path (policy.ReadFiles).
	Files      map[string]string
	Tests      int
	UploadedBy string
	UploadedAt time.Time
}

// PolicyControl is the control row.
type PolicyControl struct {
	Generation        int64
	LiveRevision      string // "" : each instance serves the bundle it started with
	PreviousRevision  string
	CandidateRevision string // "" : no shadow
	CandidateSince    time.Time
	UpdatedBy         string
	UpdatedAt         time.Time
}

// PolicyInstance is what one instance last reported of the policy it
// applies.
type PolicyInstance struct {
	ID                string
	Generation        int64
	LiveRevision      string
	CandidateRevision string
	// Problem says why the instance does not apply the control row's
	// revisions ("" when it does).
	Problem string
	SeenAt  time.Time
}

// ErrNoCandidate is a promotion with no candidate in the shadow.
var ErrNoCandidate = errors.New("store: no candidate policy revision in the shadow")

// ErrNothingToRollBack is a rollback with no earlier live revision.
var ErrNothingToRollBack = errors.New("store: no policy revision was promoted, so there is nothing to roll back")

// SavePolicyRevision keeps a bundle that passed its checks, once per
// revision (saving a revision again changes nothing), and audits the
// upload.
func (s *Store) SavePolicyRevision(ctx context.Context, r PolicyRevision) error {
	files, err := json.Marshal(r.Files)
	if err != nil {
		return fmt.Errorf("store: policy revision: %w", err)
	}
	return s.retryTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT count(*) FROM policy_revisions WHERE revision = ?`), r.Revision).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO policy_revisions (revision, files, tests, uploaded_by, uploaded_at) VALUES (?, ?, ?, ?, ?)`),
			r.Revision, string(files), r.Tests, r.UploadedBy, ms(r.UploadedAt)); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, r.UploadedAt, r.UploadedBy, "policy.uploaded", "policy:"+r.Revision, map[string]any{"files": len(r.Files), "tests": r.Tests})
	})
}

// PolicyRevision returns a kept revision with its files, or ErrNotFound.
func (s *Store) PolicyRevision(ctx context.Context, revision string) (*PolicyRevision, error) {
	r := &PolicyRevision{Revision: revision}
	var files string
	var at int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT files, tests, uploaded_by, uploaded_at FROM policy_revisions WHERE revision = ?`), revision).
		Scan(&files, &r.Tests, &r.UploadedBy, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: policy revision %s", ErrNotFound, revision)
	}
	if err != nil {
		return nil, fmt.Errorf("store: policy revision: %w", err)
	}
	if err := json.Unmarshal([]byte(files), &r.Files); err != nil {
		return nil, fmt.Errorf("store: policy revision %s: %w", revision, err)
	}
	r.UploadedAt = fromMS(at)
	return r, nil
}

// PolicyRevisions lists the kept revisions without their files, the
// newest first, at most limit.
func (s *Store) PolicyRevisions(ctx context.Context, limit int) ([]PolicyRevision, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT revision, tests, uploaded_by, uploaded_at FROM policy_revisions ORDER BY uploaded_at DESC, revision LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("store: policy revisions: %w", err)
	}
	defer rows.Close()
	var out []PolicyRevision
	for rows.Next() {
		var r PolicyRevision
		var at int64
		if err := rows.Scan(&r.Revision, &r.Tests, &r.UploadedBy, &at); err != nil {
			return nil, err
		}
		r.UploadedAt = fromMS(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// PolicyControl reads the control row.
func (s *Store) PolicyControl(ctx context.Context) (*PolicyControl, error) {
	return s.policyControl(ctx, s.db)
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) policyControl(ctx context.Context, q queryRower) (*PolicyControl, error) {
	var c PolicyControl
	var since, at int64
	err := q.QueryRowContext(ctx, `SELECT generation, live_revision, previous_revision, candidate_revision, candidate_since, updated_by, updated_at FROM policy_control WHERE id = 1`).
		Scan(&c.Generation, &c.LiveRevision, &c.PreviousRevision, &c.CandidateRevision, &since, &c.UpdatedBy, &at)
	if err != nil {
		return nil, fmt.Errorf("store: policy control: %w", err)
	}
	if since > 0 {
		c.CandidateSince = fromMS(since)
	}
	if at > 0 {
		c.UpdatedAt = fromMS(at)
	}
	return &c, nil
}

// changeControl reads the control row in a transaction, lets change edit
// it (returning the audit action and details, or an error), and writes it
// back with the next generation only if no one changed it meanwhile.
func (s *Store) changeControl(ctx context.Context, actor string, now time.Time, change func(tx *sql.Tx, c *PolicyControl) (string, map[string]any, error)) (*PolicyControl, error) {
	var out *PolicyControl
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		c, err := s.policyControl(ctx, tx)
		if err != nil {
			return err
		}
		gen := c.Generation
		action, details, err := change(tx, c)
		if err != nil {
			return err
		}
		c.Generation, c.UpdatedBy, c.UpdatedAt = gen+1, actor, now
		since := int64(0)
		if c.CandidateRevision != "" {
			since = ms(c.CandidateSince)
		} else {
			c.CandidateSince = time.Time{}
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE policy_control SET generation = ?, live_revision = ?, previous_revision = ?, candidate_revision = ?, candidate_since = ?, updated_by = ?, updated_at = ?
			WHERE id = 1 AND generation = ?`), c.Generation, c.LiveRevision, c.PreviousRevision, c.CandidateRevision, since, actor, ms(now), gen)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return errLostRace
		}
		details["generation"] = c.Generation
		out = c
		return s.appendAudit(ctx, tx, now, actor, action, "policy:control", details)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// StartShadow puts a kept revision in the shadow, replacing any candidate
// there; its counts and samples start afresh.
func (s *Store) StartShadow(ctx context.Context, revision, actor string, now time.Time) (*PolicyControl, error) {
	return s.changeControl(ctx, actor, now, func(tx *sql.Tx, c *PolicyControl) (string, map[string]any, error) {
		if err := s.requireRevision(ctx, tx, revision); err != nil {
			return "", nil, err
		}
		if revision == c.LiveRevision {
			return "", nil, fmt.Errorf("%w: revision %s is live already", ErrConflict, revision)
		}
		details := map[string]any{"candidate": revision, "replaced": c.CandidateRevision, "live": c.LiveRevision}
		c.CandidateRevision, c.CandidateSince = revision, now
		if err := s.clearShadow(ctx, tx, revision); err != nil {
			return "", nil, err
		}
		return "policy.shadow_started", details, nil
	})
}

func (s *Store) requireRevision(ctx context.Context, tx *sql.Tx, revision string) error {
	var n int
	if err := tx.QueryRowContext(ctx, s.q(`SELECT count(*) FROM policy_revisions WHERE revision = ?`), revision).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%w: policy revision %s (upload it with haechi policy shadow start DIR)", ErrNotFound, revision)
	}
	return nil
}

func (s *Store) clearShadow(ctx context.Context, tx *sql.Tx, revision string) error {
	for _, t := range []string{"shadow_counts", "shadow_samples"} {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM `+t+` WHERE candidate_revision = ?`), revision); err != nil {
			return err
		}
	}
	return nil
}

// StopShadow ends the shadow. Its counts and samples stay until the
// revision is put in the shadow again.
func (s *Store) StopShadow(ctx context.Context, actor string, now time.Time) (*PolicyControl, error) {
	return s.changeControl(ctx, actor, now, func(tx *sql.Tx, c *PolicyControl) (string, map[string]any, error) {
		if c.CandidateRevision == "" {
			return "", nil, ErrNoCandidate
		}
		details := map[string]any{"candidate": c.CandidateRevision}
		c.CandidateRevision = ""
		return "policy.shadow_stopped", details, nil
	})
}

// PromoteCandidate makes the candidate the live revision of every
// instance and ends the shadow; the live revision before it is kept for
// a rollback.
func (s *Store) PromoteCandidate(ctx context.Context, actor string, now time.Time) (*PolicyControl, error) {
	return s.changeControl(ctx, actor, now, func(tx *sql.Tx, c *PolicyControl) (string, map[string]any, error) {
		if c.CandidateRevision == "" {
			return "", nil, ErrNoCandidate
		}
		details := map[string]any{"from": c.LiveRevision, "to": c.CandidateRevision}
		c.PreviousRevision, c.LiveRevision, c.CandidateRevision = c.LiveRevision, c.CandidateRevision, ""
		return "policy.promoted", details, nil
	})
}

// RollbackPolicy makes the previous live revision live again ("" : each
// instance's own start-up bundle), keeping the one it replaces as the
// previous: a second rollback undoes the first.
func (s *Store) RollbackPolicy(ctx context.Context, actor string, now time.Time) (*PolicyControl, error) {
	return s.changeControl(ctx, actor, now, func(tx *sql.Tx, c *PolicyControl) (string, map[string]any, error) {
		if c.LiveRevision == "" && c.PreviousRevision == "" {
			return "", nil, ErrNothingToRollBack
		}
		details := map[string]any{"from": c.LiveRevision, "to": c.PreviousRevision}
		c.LiveRevision, c.PreviousRevision = c.PreviousRevision, c.LiveRevision
		return "policy.rolled_back", details, nil
	})
}

// instanceForgotten is how long an instance that stopped reporting is
// kept in policy_instances: every start is a new instance.
const instanceForgotten = 24 * time.Hour

// ReportPolicyInstance records what an instance applies, and forgets the
// instances silent for a day.
func (s *Store) ReportPolicyInstance(ctx context.Context, in PolicyInstance) error {
	if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM policy_instances WHERE seen_at < ?`), ms(in.SeenAt.Add(-instanceForgotten))); err != nil {
		return fmt.Errorf("store: report policy instance: %w", err)
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO policy_instances (instance_id, generation, live_revision, candidate_revision, problem, seen_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (instance_id) DO UPDATE SET generation = excluded.generation, live_revision = excluded.live_revision,
		candidate_revision = excluded.candidate_revision, problem = excluded.problem, seen_at = excluded.seen_at`),
		in.ID, in.Generation, in.LiveRevision, in.CandidateRevision, in.Problem, ms(in.SeenAt))
	if err != nil {
		return fmt.Errorf("store: report policy instance: %w", err)
	}
	return nil
}

// PolicyInstances returns the instances seen since since, by id.
func (s *Store) PolicyInstances(ctx context.Context, since time.Time) ([]PolicyInstance, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT instance_id, generation, live_revision, candidate_revision, problem, seen_at FROM policy_instances WHERE seen_at >= ? ORDER BY instance_id`), ms(since))
	if err != nil {
		return nil, fmt.Errorf("store: policy instances: %w", err)
	}
	defer rows.Close()
	var out []PolicyInstance
	for rows.Next() {
		var in PolicyInstance
		var at int64
		if err := rows.Scan(&in.ID, &in.Generation, &in.LiveRevision, &in.CandidateRevision, &in.Problem, &at); err != nil {
			return nil, err
		}
		in.SeenAt = fromMS(at)
		out = append(out, in)
	}
	return out, rows.Err()
}

// MaxShadowSamples is how many differing decisions are kept per candidate:
// the newest.
const MaxShadowSamples = 200

// AddShadowResults adds an instance's counts to the candidate's and keeps
// its samples, the newest MaxShadowSamples in all, in one transaction.
func (s *Store) AddShadowResults(ctx context.Context, candidate string, counts []engine.ShadowCount, samples []engine.ShadowSample) error {
	if len(counts) == 0 && len(samples) == 0 {
		return nil
	}
	bodies := make([][]byte, len(samples))
	for i, sm := range samples {
		b, err := json.Marshal(sm)
		if err != nil {
			return fmt.Errorf("store: shadow sample: %w", err)
		}
		bodies[i] = b
	}
	return s.retryTx(ctx, func(tx *sql.Tx) error {
		for _, c := range counts {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO shadow_counts (candidate_revision, dim, count_key, n) VALUES (?, ?, ?, ?)
				ON CONFLICT (candidate_revision, dim, count_key) DO UPDATE SET n = shadow_counts.n + excluded.n`), candidate, c.Dim, c.Key, c.N); err != nil {
				return err
			}
		}
		for i, sm := range samples {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO shadow_samples (candidate_revision, decision_id, at, body) VALUES (?, ?, ?, ?)
				ON CONFLICT (candidate_revision, decision_id) DO NOTHING`), candidate, sm.DecisionID, ms(sm.At), string(bodies[i])); err != nil {
				return err
			}
		}
		if len(samples) == 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, s.q(`DELETE FROM shadow_samples WHERE candidate_revision = ? AND decision_id NOT IN
			(SELECT decision_id FROM shadow_samples WHERE candidate_revision = ? ORDER BY at DESC, decision_id DESC LIMIT ?)`), candidate, candidate, MaxShadowSamples)
		return err
	})
}

// ShadowCounts returns a candidate's counts, from every instance.
func (s *Store) ShadowCounts(ctx context.Context, candidate string) ([]engine.ShadowCount, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT dim, count_key, n FROM shadow_counts WHERE candidate_revision = ? ORDER BY dim, count_key`), candidate)
	if err != nil {
		return nil, fmt.Errorf("store: shadow counts: %w", err)
	}
	defer rows.Close()
	var out []engine.ShadowCount
	for rows.Next() {
		var c engine.ShadowCount
		if err := rows.Scan(&c.Dim, &c.Key, &c.N); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ShadowSamples returns a candidate's newest samples, at most limit.
func (s *Store) ShadowSamples(ctx context.Context, candidate string, limit int) ([]engine.ShadowSample, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT body FROM shadow_samples WHERE candidate_revision = ? ORDER BY at DESC, decision_id DESC LIMIT ?`), candidate, limit)
	if err != nil {
		return nil, fmt.Errorf("store: shadow samples: %w", err)
	}
	defer rows.Close()
	var out []engine.ShadowSample
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		var sm engine.ShadowSample
		if err := json.Unmarshal([]byte(body), &sm); err != nil {
			return nil, fmt.Errorf("store: shadow sample: %w", err)
		}
		out = append(out, sm)
	}
	return out, rows.Err()
}
