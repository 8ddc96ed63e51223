package store

// reviewTables is the review queue (migration 2): cases, what was done on
// them, reports, appeals, account restrictions, strikes, bad-faith
// reporters, and the outbox of actions for the world platform.
const reviewTables = `CREATE TABLE cases (
		case_id         TEXT PRIMARY KEY,
		content_key     TEXT NOT NULL,
		source          TEXT NOT NULL,
		queue           TEXT NOT NULL,
		priority        INTEGER NOT NULL,
		severity        TEXT NOT NULL DEFAULT '',
		categories      TEXT NOT NULL DEFAULT '[]',
		space_type      TEXT NOT NULL DEFAULT '',
		subject_user_id TEXT NOT NULL DEFAULT '',
		event_id        TEXT NOT NULL DEFAULT '',
		decision_id     TEXT NOT NULL DEFAULT '',
		appeal_id       TEXT NOT NULL DEFAULT '',
		involves_minor  INTEGER NOT NULL DEFAULT 0,
		reporters       INTEGER NOT NULL DEFAULT 0,
		overdue         INTEGER NOT NULL DEFAULT 0,
		created_at      BIGINT NOT NULL,
		updated_at      BIGINT NOT NULL,
		sla_due_at      BIGINT NOT NULL,
		claimed_by      TEXT NOT NULL DEFAULT '',
		lease_until     BIGINT NOT NULL DEFAULT 0,
		decided_by      TEXT NOT NULL DEFAULT '',
		outcome         TEXT NOT NULL DEFAULT '',
		closed_at       BIGINT
	);
	CREATE UNIQUE INDEX cases_open_content ON cases (content_key) WHERE closed_at IS NULL;
	CREATE INDEX cases_claim ON cases (queue, priority DESC, created_at) WHERE closed_at IS NULL;
	CREATE INDEX cases_subject ON cases (subject_user_id, created_at);
	CREATE TABLE case_actions (
		action_id   TEXT PRIMARY KEY,
		case_id     TEXT NOT NULL REFERENCES cases (case_id),
		actor       TEXT NOT NULL,
		kind        TEXT NOT NULL,
		duration_ms BIGINT NOT NULL DEFAULT 0,
		to_queue    TEXT NOT NULL DEFAULT '',
		note        TEXT NOT NULL DEFAULT '',
		at          BIGINT NOT NULL
	);
	CREATE INDEX case_actions_case ON case_actions (case_id, at);
	CREATE TABLE reports (
		report_id    TEXT PRIMARY KEY,
		reporter_id  TEXT NOT NULL,
		target_kind  TEXT NOT NULL,
		target_id    TEXT NOT NULL,
		subject_user TEXT NOT NULL DEFAULT '',
		category     TEXT NOT NULL,
		details      TEXT NOT NULL DEFAULT '',
		world        TEXT NOT NULL DEFAULT '',
		space_id     TEXT NOT NULL DEFAULT '',
		space_type   TEXT NOT NULL DEFAULT '',
		location     TEXT NOT NULL DEFAULT '',
		occurred_at  BIGINT NOT NULL DEFAULT 0,
		created_at   BIGINT NOT NULL,
		counted      INTEGER NOT NULL,
		case_id      TEXT NOT NULL REFERENCES cases (case_id)
	);
	CREATE INDEX reports_case ON reports (case_id);
	CREATE INDEX reports_reporter ON reports (reporter_id, created_at);
	CREATE TABLE appeals (
		appeal_id    TEXT PRIMARY KEY,
		decision_id  TEXT NOT NULL,
		case_id      TEXT NOT NULL DEFAULT '',
		appellant_id TEXT NOT NULL,
		reason       TEXT NOT NULL DEFAULT '',
		created_at   BIGINT NOT NULL,
		review_case  TEXT NOT NULL REFERENCES cases (case_id),
		status       TEXT NOT NULL,
		outcome      TEXT NOT NULL DEFAULT '',
		decided_by   TEXT NOT NULL DEFAULT '',
		decided_at   BIGINT NOT NULL DEFAULT 0
	);
	CREATE UNIQUE INDEX appeals_decision ON appeals (decision_id);
	CREATE TABLE restrictions (
		restriction_id TEXT PRIMARY KEY,
		user_id        TEXT NOT NULL,
		kind           TEXT NOT NULL,
		case_id        TEXT NOT NULL,
		starts_at      BIGINT NOT NULL,
		ends_at        BIGINT NOT NULL,
		lifted_at      BIGINT NOT NULL DEFAULT 0
	);
	CREATE INDEX restrictions_user ON restrictions (user_id, ends_at);
	CREATE TABLE strikes (
		strike_id TEXT PRIMARY KEY,
		user_id   TEXT NOT NULL,
		case_id   TEXT NOT NULL,
		weight    INTEGER NOT NULL,
		at        BIGINT NOT NULL,
		lifted_at BIGINT NOT NULL DEFAULT 0
	);
	CREATE INDEX strikes_user ON strikes (user_id, at);
	CREATE TABLE ignored_reporters (
		reporter_id TEXT PRIMARY KEY,
		reason      TEXT NOT NULL,
		by_actor    TEXT NOT NULL,
		at          BIGINT NOT NULL
	);
	CREATE TABLE outbox (
		seq        BIGINT PRIMARY KEY,
		kind       TEXT NOT NULL,
		key        TEXT NOT NULL,
		body       TEXT NOT NULL,
		created_at BIGINT NOT NULL,
		sent_at    BIGINT NOT NULL DEFAULT 0
	);
	CREATE INDEX outbox_unsent ON outbox (sent_at, seq)`

// auditTables is the audit log and API keys (migration 3).
const auditTables = `CREATE TABLE audit_log (
		seq       BIGINT PRIMARY KEY,
		at        BIGINT NOT NULL,
		actor     TEXT NOT NULL,
		action    TEXT NOT NULL,
		subject   TEXT NOT NULL,
		details   TEXT NOT NULL,
		prev_hash TEXT NOT NULL,
		hash      TEXT NOT NULL
	);
	CREATE TABLE api_keys (
		key_id     TEXT PRIMARY KEY,
		name       TEXT NOT NULL,
		secret_sha TEXT NOT NULL,
		scopes     TEXT NOT NULL,
		created_at BIGINT NOT NULL,
		revoked_at BIGINT NOT NULL DEFAULT 0
	)`
