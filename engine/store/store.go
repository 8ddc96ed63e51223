// Package store keeps Haechi's state: the decisions the engine made, the
// review queue's cases, reports, appeals, account restrictions and strikes,
// API keys, and the hash-chained audit log. SQLite (modernc.org/sqlite,
// pure Go) under the data directory is the default; PostgreSQL (pgx) serves
// several instances. One implementation speaks to both through
// database/sql; the few statements that differ are chosen by dialect, and
// the schema is created and upgraded by numbered migrations per dialect.
//
// Decisions are stored once per event: saving a decision for an event that
// already has one keeps the first and returns it, so a redelivered event
// yields the same decision id however many workers saw it.
package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"github.com/haechi-tns/haechi/engine"
)

// Store is the database. It is safe for concurrent use, also by several
// processes on one SQLite file (SQLite's locking, with a busy timeout) or
// one PostgreSQL database.
type Store struct {
	db       *sql.DB
	postgres bool
	// caches are the user-history caches made by UserContexts, told when
	// a user's history changes.
	cachesMu sync.Mutex
	caches   []*userCache
	// prepared holds the hot path's statements, by query (see stmt).
	prepared sync.Map
	// review is the review configuration SetReview last accepted.
	review reviewSetting
}

// Open opens the store at dsn: a postgres:// or postgresql:// URL, or else
// the path of a SQLite file.
func Open(ctx context.Context, dsn string) (*Store, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return OpenPostgres(ctx, dsn)
	}
	return OpenSQLite(ctx, dsn)
}

// OpenPostgres connects to PostgreSQL and brings the schema up to date.
// The URL may end in max_conns=N (a Haechi parameter, removed before
// connecting) to size the connection pool; the default is two per CPU
// and at least four. More connections than the database server has cores
// to run them make it slower, not faster: measured on two cores, reports
// at 500/s had a p99 of 5 ms with 4 connections and 120 ms or more with 32.
func OpenPostgres(ctx context.Context, rawURL string) (*Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("store: postgres URL: %w", err)
	}
	conns := max(4, 2*runtime.GOMAXPROCS(0))
	q := u.Query()
	if v := q.Get("max_conns"); v != "" {
		// Migrating holds one connection for its lock and needs another.
		if conns, err = strconv.Atoi(v); err != nil || conns < 2 {
			return nil, fmt.Errorf("store: postgres URL: max_conns must be a number of at least 2, got %q", v)
		}
		q.Del("max_conns")
		u.RawQuery = q.Encode()
	}
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		return nil, fmt.Errorf("store: postgres: %w", err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	s := &Store{db: db, postgres: true}
	err = s.migrate(ctx)
	if err == nil {
		err = s.prepareHot(ctx)
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("store: postgres: %w", err)
	}
	return s, nil
}

// Dialect names the database: "sqlite" or "postgres".
func (s *Store) Dialect() string {
	if s.postgres {
		return "postgres"
	}
	return "sqlite"
}

// q rewrites a query's ? placeholders as $1, $2 … for PostgreSQL.
func (s *Store) q(query string) string {
	if !s.postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// FileName is the database file inside the data directory.
const FileName = "haechi.db"

// OpenSQLite opens (creating it if needed) the database at exactly path,
// whatever characters its name holds, and brings its schema up to date.
// The journal is write-ahead with synchronous=FULL: a committed decision
// survives the process being killed and the machine losing power.
// Temporary storage is in memory: storing a batch of decisions in one
// transaction writes statement-journal pages (SQLite's undo for one
// statement inside a larger transaction), and in a temporary file that was
// a write system call per page, a quarter of the time a decision took to
// store. The queries Haechi runs sort and group pages
// of results, not whole tables, so what else goes there stays small.
func OpenSQLite(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	dsn, err := sqliteURI(path, "_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=temp_store(MEMORY)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s := &Store{db: db}
	err = s.migrate(ctx)
	if err == nil {
		err = s.prepareHot(ctx)
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("store: %s: %w", path, err)
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.prepared.Range(func(_, v any) bool {
		v.(*sql.Stmt).Close()
		return true
	})
	return s.db.Close()
}

// stmt returns query (already in the dialect's placeholders) prepared
// once, and by database/sql once per connection that runs it; with tx it
// runs in tx. The decision path runs a dozen statements per event, and
// SQLite would otherwise parse each anew every time, which costs more
// than running it. A query first seen inside a transaction is prepared in
// it and not kept: preparing on the pool while holding a connection could
// wait forever for another. The hot path's queries are prepared when the
// store opens (prepareHot).
func (s *Store) stmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	v, ok := s.prepared.Load(query)
	if !ok && tx != nil {
		return tx.PrepareContext(ctx, query)
	}
	if !ok {
		st, err := s.db.PrepareContext(ctx, query)
		if err != nil {
			return nil, err
		}
		if v, ok = s.prepared.LoadOrStore(query, st); ok {
			st.Close()
		} else {
			v = st
		}
	}
	if tx != nil {
		return tx.StmtContext(ctx, v.(*sql.Stmt)), nil
	}
	return v.(*sql.Stmt), nil
}

// migration is one schema step, in each dialect's SQL.
type migration struct{ sqlite, postgres string }

// migrations are applied in order, each once, recorded in
// schema_migrations. Never edit a released migration; add one. Times are
// RFC 3339 text in the decisions table and Unix milliseconds elsewhere;
// flags are integers 0 and 1, in both dialects.
var migrations = []migration{
	// 1: decisions, one per event.
	{sqlite: decisionsTable, postgres: decisionsTable},
	// 2: the review queue.
	{sqlite: reviewTables, postgres: reviewTables},
	// 3: the audit log and API keys.
	{sqlite: auditTables, postgres: auditTables},
	// 4: each decision's event fingerprint, to tell repeats from impostors.
	{sqlite: fingerprintColumn, postgres: fingerprintColumn},
	// 5: signed checkpoints of the audit log's head.
	{sqlite: checkpointsTable, postgres: checkpointsTable},
	// 6: the senders' restricted decisions, for their recent flags.
	{sqlite: flagsIndex, postgres: flagsIndex},
	// 7: outbox messages numbered by a sequence on PostgreSQL (see
	// enqueue); SQLite is unchanged.
	{sqlite: `SELECT 1`, postgres: outboxSequence},
	// 8: snapshots of the content cases are about, with its context.
	{sqlite: snapshotsTable("BLOB"), postgres: snapshotsTable("BYTEA")},
	// 9: reviewer accounts, sign-in failures and locks, sessions.
	{sqlite: usersTables, postgres: usersTables},
	// 10: overturning an appeal takes two people (the proposal); a
	// reviewer may hold a case while asking for help.
	{sqlite: appealProposals, postgres: appealProposals},
	// 11: reveals in the audit log by reviewer and time (reveals.go).
	{sqlite: revealsIndex, postgres: revealsIndex},
	// 12: the dashboards' samples and counts, and indexes of the times
	// they count cases and appeals by (stats.go).
	{sqlite: statsTables, postgres: statsTables},
	// 13: the audit view's indexes (auditsearch.go).
	{sqlite: auditIndexes, postgres: auditIndexes},
	// 14: the dashboards' counts of cases closed and overdue (stats.go).
	{sqlite: caseCountsTable, postgres: caseCountsTable},
	// 15: a person's actions wait in the outbox for their undo window,
	// named by their case; the ground of a case's actions (undo.go).
	{sqlite: undoColumns, postgres: undoColumns},
	// 16: the closed cases of a content item by when they closed, which
	// name the original decider of an appeal (originalDeciderSQL).
	{sqlite: closedContentIndex, postgres: closedContentIndex},
	// 17: frozen transparency reports, what retention deleted for the
	// search index to forget, and the indexes both read by
	// (transparency.go, retention.go).
	{sqlite: transparencyTables, postgres: transparencyTables},
	// 18: search (issue 13): the change feed of searchable records,
	// written by triggers, its consumers, and the store's own full-text
	// index (searchfeed.go, searchindex.go).
	{sqlite: searchMigration(false), postgres: searchMigration(true)},
	// 19: policy revisions kept for every instance, the control row
	// naming the live and candidate (shadow) revisions, the instances'
	// reports, and shadow counts and samples (policycontrol.go).
	{sqlite: policyControlTables, postgres: policyControlTables},
	// 20: the behavioural state of each input partition, the marks
	// instances share to count senders across partitions, and reports by
	// the user they are about (behaviour.go).
	{sqlite: behaviourTables(false), postgres: behaviourTables(true)},
	// 21: every query of a sender's decisions asks for the restricted
	// ones, which decisions_sender_flags (6) holds; the index of all of
	// them cost every stored decision a write and served none.
	{sqlite: `DROP INDEX decisions_sender`, postgres: `DROP INDEX decisions_sender`},
	// 22: redacted copies of images, by their SHA-256 (redacted.go).
	{sqlite: redactedImagesTable("BLOB"), postgres: redactedImagesTable("BYTEA")},
	// 23: follow-up decisions: several decisions per event, the latest
	// marked, and the readings of images' text left for after the first
	// decision (followups.go).
	{sqlite: followUpsSQLite, postgres: followUpsPostgres},
	// 24: the search feed's rows of stored decisions are written by the
	// store, up to 128 in a statement (feedDecisions), instead of by a
	// trigger per row; deleted decisions keep their trigger.
	{sqlite: `DROP TRIGGER search_decisions_ins`, postgres: decisionsDeleteTrigger},
}

// usersTables are the reviewer UI's accounts (users.go) and sessions
// (sessions.go). Failures and locks are kept by a hash of the sign-in
// name, known or not; sessions by a hash of their token.
const usersTables = `CREATE TABLE users (
		user_id                  TEXT PRIMARY KEY,
		name                     TEXT NOT NULL UNIQUE,
		display_name             TEXT NOT NULL,
		roles                    TEXT NOT NULL,
		password_hash            TEXT NOT NULL,
		password_change_required INTEGER NOT NULL DEFAULT 0,
		totp_secret              TEXT NOT NULL DEFAULT '',
		totp_pending             TEXT NOT NULL DEFAULT '',
		totp_last_step           BIGINT NOT NULL DEFAULT 0,
		disabled_at              BIGINT NOT NULL DEFAULT 0,
		created_at               BIGINT NOT NULL,
		updated_at               BIGINT NOT NULL,
		last_sign_in             BIGINT NOT NULL DEFAULT 0
	);
	CREATE TABLE sign_in_failures (
		name_key TEXT NOT NULL,
		at       BIGINT NOT NULL
	);
	CREATE INDEX sign_in_failures_name ON sign_in_failures (name_key, at);
	CREATE INDEX sign_in_failures_at ON sign_in_failures (at);
	CREATE TABLE sign_in_locks (
		name_key     TEXT PRIMARY KEY,
		locked_until BIGINT NOT NULL
	);
	CREATE TABLE sessions (
		token_sha  TEXT PRIMARY KEY,
		csrf       TEXT NOT NULL,
		user_id    TEXT NOT NULL REFERENCES users (user_id),
		created_at BIGINT NOT NULL,
		last_seen  BIGINT NOT NULL,
		expires_at BIGINT NOT NULL
	);
	CREATE INDEX sessions_user ON sessions (user_id);
	CREATE INDEX sessions_expires ON sessions (expires_at)`

const outboxSequence = `CREATE SEQUENCE outbox_seq;
	SELECT setval('outbox_seq', (SELECT coalesce(max(seq), 0) + 1 FROM outbox), false);
	ALTER TABLE outbox ALTER COLUMN seq SET DEFAULT nextval('outbox_seq')`

const flagsIndex = `CREATE INDEX decisions_sender_flags ON decisions (sender_id, decided_at) WHERE action <> 'allow'`

const appealProposals = `ALTER TABLE appeals ADD COLUMN proposed_by TEXT NOT NULL DEFAULT '';
	ALTER TABLE appeals ADD COLUMN proposed_at BIGINT NOT NULL DEFAULT 0;
	ALTER TABLE appeals ADD COLUMN proposal_note TEXT NOT NULL DEFAULT '';
	ALTER TABLE cases ADD COLUMN help_requested_at BIGINT NOT NULL DEFAULT 0`

const fingerprintColumn = `ALTER TABLE decisions ADD COLUMN fingerprint TEXT NOT NULL DEFAULT ''`

const decisionsTable = `CREATE TABLE decisions (
		decision_id     TEXT PRIMARY KEY,
		event_id        TEXT NOT NULL UNIQUE,
		event_kind      TEXT NOT NULL,
		world           TEXT NOT NULL,
		space_id        TEXT NOT NULL,
		space_type      TEXT NOT NULL,
		sender_id       TEXT NOT NULL,
		action          TEXT NOT NULL,
		queue           TEXT NOT NULL DEFAULT '',
		policy_revision TEXT NOT NULL,
		decided_at      TEXT NOT NULL,
		body            TEXT NOT NULL
	);
	CREATE INDEX decisions_sender ON decisions (sender_id, decided_at);
	CREATE INDEX decisions_action ON decisions (action, decided_at);`

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if s.postgres {
		// Instances starting together must not migrate at once.
		conn, err := s.db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7262024)`); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(7262024)`)
	}
	for i, m := range migrations {
		version := i + 1
		err := s.tx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, s.q(`SELECT count(*) FROM schema_migrations WHERE version = ?`), version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			stmts := m.sqlite
			if s.postgres {
				stmts = m.postgres
			}
			for _, stmt := range splitStatements(stmts) {
				if strings.TrimSpace(stmt) == "" {
					continue
				}
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return err
				}
			}
			_, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`), version, time.Now().UTC().Format(time.RFC3339Nano))
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %d: %w", version, err)
		}
	}
	return nil
}

// Queries of the decision path, prepared when the store opens (see stmt).
const (
	insertDecisionSQL = `INSERT INTO decisions
			(decision_id, event_id, event_kind, world, space_id, space_type, sender_id, action, queue, policy_revision, decided_at, body, fingerprint)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id, supersedes) DO NOTHING`
	// userContextSQL reads a user's history in one query: strikes decayed
	// by their age (weight × 0.5^(age / half-life)), restrictions in force
	// and recent flags, counted on their partial index and only up to the
	// cap, so that a flooding sender's history costs no more than anyone's,
	// and the distinct users who reported the sender in the last 7 days
	// (among their latest reports, up to the same cap).
	userContextSQL = `SELECT
		(SELECT coalesce(sum(weight * exp(ln(0.5) * CAST(? - at AS DOUBLE PRECISION) / ?)), 0) FROM strikes WHERE user_id = ? AND lifted_at = 0),
		(SELECT count(*) FROM restrictions WHERE user_id = ? AND lifted_at = 0 AND starts_at <= ? AND ends_at > ?),
		(SELECT count(*) FROM (SELECT 1 FROM decisions WHERE sender_id = ? AND decided_at >= ? AND action <> 'allow' AND latest = 1 LIMIT ?) AS flags),
		(SELECT count(DISTINCT reporter_id) FROM (SELECT reporter_id FROM reports WHERE subject_user = ? AND created_at >= ? AND counted = 1 LIMIT ?) AS reporters)`
	lastOutboxSQL   = `SELECT coalesce(max(seq), 0) FROM outbox`
	insertOutboxSQL = `INSERT INTO outbox (seq, kind, key, body, created_at) VALUES (?,?,?,?,?)`
	// insertOutboxPostgresSQL numbers the message from outbox_seq.
	insertOutboxPostgresSQL = `INSERT INTO outbox (kind, key, body, created_at) VALUES ($1,$2,$3,$4)`
	lastAuditSQL            = `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`
	insertAuditSQL          = `INSERT INTO audit_log (seq, at, actor, action, subject, details, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?)`
)

// prepareHot prepares the decision path's queries, before any
// transaction holds a connection.
func (s *Store) prepareHot(ctx context.Context) error {
	outbox := []string{lastOutboxSQL, insertOutboxSQL}
	if s.postgres {
		outbox = []string{insertOutboxPostgresSQL}
	}
	hot := append([]string{insertDecisionSQL, userContextSQL, lastAuditSQL, insertAuditSQL}, outbox...)
	for _, q := range append(hot, feedStatements[:]...) {
		if _, err := s.stmt(ctx, nil, s.q(q)); err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
	}
	return nil
}

// SchemaVersion returns the newest migration applied.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v)
	return int(v.Int64), err
}

func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// SaveDecisions stores each decision in one transaction unless its event
// already has one, and returns, in order, the decision now stored for
// each event: the one given, or the one stored before (whose id differs,
// and whose Fingerprint tells whether it was the same content). In the
// same transaction, a new decision that needs review (NeedsReview) opens
// its case and one that restricts content queues its action
// (engine.AutomatedAction) in the outbox: a crash cannot leave a decision
// without them.
func (s *Store) SaveDecisions(ctx context.Context, ds []*engine.Decision) ([]*engine.Decision, error) {
	return s.SaveEncodedDecisions(ctx, ds, nil)
}

// SaveEncodedDecisions is SaveDecisions given each decision's JSON as
// json.Marshal writes it: bodies[i], when there is one, is stored as ds[i]'s
// body as it is, so that a caller that also publishes the decisions
// encodes each once. A missing body is encoded here.
func (s *Store) SaveEncodedDecisions(ctx context.Context, ds []*engine.Decision, bodies [][]byte) ([]*engine.Decision, error) {
	out := make([]*engine.Decision, len(ds))
	var restricted []string
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		restricted = restricted[:0]
		now := time.Now()
		insert, err := s.stmt(ctx, tx, s.q(insertDecisionSQL))
		if err != nil {
			return err
		}
		var actions []outboxEntry
		stored := make([]string, 0, len(ds))
		for i, d := range ds {
			if d == nil || d.ID == "" || d.EventID == "" {
				return fmt.Errorf("decision %d has no id or event id", i)
			}
			var body []byte
			if i < len(bodies) {
				body = bodies[i]
			}
			if body == nil {
				if body, err = json.Marshal(d); err != nil {
					return err
				}
			}
			res, err := insert.ExecContext(ctx, d.ID, d.EventID, string(d.EventKind), d.World, d.Space.ID, string(d.Space.Type),
				d.SenderID, string(d.Action), d.Queue, d.PolicyRevision, d.DecidedAt.UTC().Format(sortableTime), body, d.Fingerprint)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 1 {
				out[i] = d
				if NeedsReview(d) {
					if _, _, err := s.openDecisionCase(ctx, tx, d, d.DecidedAt); err != nil {
						return err
					}
				}
				if d.RedactedImage != nil {
					if err := s.saveRedactedImage(ctx, tx, d.RedactedImage, d.DecidedAt); err != nil {
						return err
					}
				}
				if d.Pending != nil {
					if err := s.savePending(ctx, tx, d, now); err != nil {
						return err
					}
				}
				if a := engine.AutomatedAction(d); a != nil {
					actions = append(actions, outboxEntry{kind: OutboxAction, key: d.SenderID, body: a})
					restricted = append(restricted, d.SenderID)
				}
				stored = append(stored, d.ID)
				continue
			}
			if out[i], err = s.latestDecision(ctx, tx, d.EventID); err != nil {
				return err
			}
		}
		if err := s.feedDecisions(ctx, tx, stored); err != nil {
			return err
		}
		return s.enqueue(ctx, tx, now, actions...)
	})
	if err != nil {
		return nil, fmt.Errorf("store: save decisions: %w", err)
	}
	s.flagged(restricted)
	return out, nil
}

// sortableTime formats the decisions table's times: fixed width, so that
// text order is time order.
const sortableTime = "2006-01-02T15:04:05.000000000Z"

// ErrNotFound is returned for a decision that is not stored.
var ErrNotFound = errors.New("store: not found")

// Decision returns the decision with the given id.
func (s *Store) Decision(ctx context.Context, id string) (*engine.Decision, error) {
	return s.decisionWhere(ctx, s.db, "decision_id", id)
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (s *Store) decisionWhere(ctx context.Context, q queryer, column, value string) (*engine.Decision, error) {
	return s.oneDecision(ctx, q, `WHERE `+column+` = ?`, value, fmt.Sprintf("decision with %s %q", column, value))
}

// latestDecision returns the latest decision of an event: its follow-up
// when it has one.
func (s *Store) latestDecision(ctx context.Context, q queryer, eventID string) (*engine.Decision, error) {
	return s.oneDecision(ctx, q, `WHERE event_id = ? AND latest = 1`, eventID, fmt.Sprintf("decision of event %q", eventID))
}

// oneDecision reads the decision a WHERE clause with one argument
// selects; what names it in errors.
func (s *Store) oneDecision(ctx context.Context, q queryer, where, arg, what string) (*engine.Decision, error) {
	var body, fingerprint string
	err := q.QueryRowContext(ctx, s.q(`SELECT body, fingerprint FROM decisions `+where), arg).Scan(&body, &fingerprint)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, what)
	}
	if err != nil {
		return nil, err
	}
	var d engine.Decision
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	d.Fingerprint = fingerprint
	return &d, nil
}

// DecisionsForEvents returns the latest stored decision of those events
// that have one (a follow-up, when one superseded the first), by event
// id.
func (s *Store) DecisionsForEvents(ctx context.Context, eventIDs []string) (map[string]*engine.Decision, error) {
	out := make(map[string]*engine.Decision)
	const chunk = 500 // under SQLite's bound-parameter limit
	for start := 0; start < len(eventIDs); start += chunk {
		ids := eventIDs[start:min(start+chunk, len(eventIDs))]
		args := make([]any, len(ids))
		for i, id := range ids {
			args[i] = id
		}
		q, err := s.stmt(ctx, nil, s.q(`SELECT body, fingerprint FROM decisions WHERE latest = 1 AND event_id IN (?`+strings.Repeat(",?", len(ids)-1)+`)`))
		if err != nil {
			return nil, fmt.Errorf("store: decisions for events: %w", err)
		}
		rows, err := q.QueryContext(ctx, args...)
		if err != nil {
			return nil, fmt.Errorf("store: decisions for events: %w", err)
		}
		for rows.Next() {
			var body, fingerprint string
			if err := rows.Scan(&body, &fingerprint); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: decisions for events: %w", err)
			}
			var d engine.Decision
			if err := json.Unmarshal([]byte(body), &d); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: decisions for events: %w", err)
			}
			d.Fingerprint = fingerprint
			out[d.EventID] = &d
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("store: decisions for events: %w", err)
		}
	}
	return out, nil
}

// CountDecisions returns how many decisions are stored.
func (s *Store) CountDecisions(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM decisions`).Scan(&n)
	return n, err
}
