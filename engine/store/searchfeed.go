package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/search"
)

// The store as the source of search documents (search.Feed): a change
// feed written in the transaction of every change of a searchable record
// (by triggers, except for stored decisions, which feedDecisions writes a
// batch at a time), each consumer's position in it, and the documents
// built from the records. See engine/search for how indexes follow it.

// searchChangesTables is the change feed and the consumers' positions
// (part of migration 17). On PostgreSQL each change keeps the id of the
// transaction that wrote it (txn): a sequence number is taken when a row
// is written, not when it commits, so a reader that only moved past the
// highest number it saw could skip a change of a transaction still
// open. Readers take only changes of transactions older than every one
// still running (searchChangesSQL), in (txn, seq) order.
func searchChangesTables(serial, txn string) string {
	return `CREATE TABLE search_changes (
		seq  ` + serial + `,
		txn  BIGINT NOT NULL DEFAULT ` + txn + `,
		kind TEXT NOT NULL,
		ref  TEXT NOT NULL
	);
	CREATE INDEX search_changes_order ON search_changes (txn, seq);
	CREATE TABLE search_consumers (
		consumer    TEXT PRIMARY KEY,
		txn         BIGINT NOT NULL,
		seq         BIGINT NOT NULL,
		owner       TEXT NOT NULL DEFAULT '',
		lease_until BIGINT NOT NULL DEFAULT 0,
		seen_at     BIGINT NOT NULL DEFAULT 0
	)`
}

// searchTriggersSQLite record the changes of searchable records. A
// snapshot belongs to its case and, when a report supplied it, to the
// report too. Only the columns a document is made of fire a case's or
// an appeal's trigger: a lease extended every 30 s is no change.
const searchTriggersSQLite = `CREATE TRIGGER search_decisions_ins AFTER INSERT ON decisions BEGIN
		INSERT INTO search_changes (kind, ref) VALUES ('decision', NEW.decision_id); END;
	CREATE TRIGGER search_decisions_del AFTER DELETE ON decisions BEGIN
		INSERT INTO search_changes (kind, ref) VALUES ('decision', OLD.decision_id); END;
	CREATE TRIGGER search_cases_ins AFTER INSERT ON cases BEGIN
		INSERT INTO search_changes (kind, ref) VALUES ('case', NEW.case_id); END;
	CREATE TRIGGER search_cases_upd AFTER UPDATE OF queue, categories, subject_user_id, decision_id, outcome, closed_at ON cases BEGIN
		INSERT INTO search_changes (kind, ref) VALUES ('case', NEW.case_id); END;
	CREATE TRIGGER search_cases_del AFTER DELETE ON cases BEGIN
		INSERT INTO search_changes (kind, ref) VALUES ('case', OLD.case_id); END;
	CREATE TRIGGER search_snapshots_ins AFTER INSERT ON case_snapshots BEGIN
		INSERT INTO search_changes (kind, ref) VALUES ('case', NEW.case_id);
		INSERT INTO search_changes (kind, ref) SELECT 'report', NEW.ref WHERE NEW.source = 'report'; END;
	CREATE TRIGGER search_snapshots_del AFTER DELETE ON case_snapshots BEGIN
		INSERT INTO search_changes (kind, ref) VALUES ('case', OLD.case_id);
		INSERT INTO search_changes (kind, ref) SELECT 'report', OLD.ref WHERE OLD.source = 'report'; END;
	CREATE TRIGGER search_reports_ins AFTER INSERT ON reports BEGIN
		INSERT INTO search_changes (kind, ref) VALUES ('report', NEW.report_id); END;
	CREATE TRIGGER search_reports_del AFTER DELETE ON reports BEGIN
		INSERT INTO search_changes (kind, ref) VALUES ('report', OLD.report_id); END;
	CREATE TRIGGER search_appeals_ins AFTER INSERT ON appeals BEGIN
		INSERT INTO search_changes (kind, ref) VALUES ('appeal', NEW.appeal_id); END;
	CREATE TRIGGER search_appeals_upd AFTER UPDATE OF status, outcome, review_case ON appeals BEGIN
		INSERT INTO search_changes (kind, ref) VALUES ('appeal', NEW.appeal_id); END;
	CREATE TRIGGER search_appeals_del AFTER DELETE ON appeals BEGIN
		INSERT INTO search_changes (kind, ref) VALUES ('appeal', OLD.appeal_id); END;
	CREATE TRIGGER search_audit_ins AFTER INSERT ON audit_log BEGIN
		INSERT INTO search_changes (kind, ref) VALUES ('audit', CAST(NEW.seq AS TEXT)); END;
	CREATE TRIGGER search_audit_del AFTER DELETE ON audit_log BEGIN
		INSERT INTO search_changes (kind, ref) VALUES ('audit', CAST(OLD.seq AS TEXT)); END`

// searchTriggersPostgres are searchTriggersSQLite in PostgreSQL: one
// function, told the kind and the id's column by each trigger.
const searchTriggersPostgres = `CREATE FUNCTION search_change() RETURNS trigger LANGUAGE plpgsql AS $$
	DECLARE
		r record;
		v text;
	BEGIN
		IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
		EXECUTE format('SELECT ($1).%I::text', TG_ARGV[1]) INTO v USING r;
		INSERT INTO search_changes (kind, ref) VALUES (TG_ARGV[0], v);
		RETURN NULL;
	END $$;
	CREATE TRIGGER search_decisions AFTER INSERT OR DELETE ON decisions
		FOR EACH ROW EXECUTE FUNCTION search_change('decision', 'decision_id');
	CREATE TRIGGER search_cases AFTER INSERT OR DELETE OR UPDATE OF queue, categories, subject_user_id, decision_id, outcome, closed_at ON cases
		FOR EACH ROW EXECUTE FUNCTION search_change('case', 'case_id');
	CREATE TRIGGER search_snapshots AFTER INSERT OR DELETE ON case_snapshots
		FOR EACH ROW EXECUTE FUNCTION search_change('case', 'case_id');
	CREATE TRIGGER search_snapshots_report_ins AFTER INSERT ON case_snapshots
		FOR EACH ROW WHEN (NEW.source = 'report') EXECUTE FUNCTION search_change('report', 'ref');
	CREATE TRIGGER search_snapshots_report_del AFTER DELETE ON case_snapshots
		FOR EACH ROW WHEN (OLD.source = 'report') EXECUTE FUNCTION search_change('report', 'ref');
	CREATE TRIGGER search_reports AFTER INSERT OR DELETE ON reports
		FOR EACH ROW EXECUTE FUNCTION search_change('report', 'report_id');
	CREATE TRIGGER search_appeals AFTER INSERT OR DELETE OR UPDATE OF status, outcome, review_case ON appeals
		FOR EACH ROW EXECUTE FUNCTION search_change('appeal', 'appeal_id');
	CREATE TRIGGER search_audit AFTER INSERT OR DELETE ON audit_log
		FOR EACH ROW EXECUTE FUNCTION search_change('audit', 'seq')`

// decisionsDeleteTrigger is migration 24 on PostgreSQL: the trigger of
// decisions fires on deletes only (stored ones are fed by feedDecisions).
const decisionsDeleteTrigger = `DROP TRIGGER search_decisions ON decisions;
	CREATE TRIGGER search_decisions AFTER DELETE ON decisions
		FOR EACH ROW EXECUTE FUNCTION search_change('decision', 'decision_id')`

// feedStatements[k] writes the search feed's rows of 2^k decisions; they
// are prepared when the store opens (prepareHot), so that any number of
// decisions is fed by at most len(feedStatements) prepared statements.
var feedStatements = func() (qs [8]string) {
	for k := range qs {
		var b strings.Builder
		b.WriteString(`INSERT INTO search_changes (kind, ref) VALUES `)
		for i := range 1 << k {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(`('decision', ?)`)
		}
		qs[k] = b.String()
	}
	return qs
}()

// feedDecisions writes the search feed's rows of the decisions just
// stored in tx, ids in the order they were stored, in statements of up to
// 128 rows. Every insert into decisions calls it in its transaction. A
// trigger per row did this before, and made SQLite keep a statement
// journal for every insert: storing a batch's decision took about a sixth
// longer that way (BENCHMARKS.md, issue 15's fifth slice).
func (s *Store) feedDecisions(ctx context.Context, tx *sql.Tx, ids []string) error {
	args := make([]any, 0, min(len(ids), 1<<(len(feedStatements)-1)))
	for len(ids) > 0 {
		k := min(bits.Len(uint(len(ids)))-1, len(feedStatements)-1)
		insert, err := s.stmt(ctx, tx, s.q(feedStatements[k]))
		if err != nil {
			return err
		}
		args = args[:0]
		for _, id := range ids[:1<<k] {
			args = append(args, id)
		}
		if _, err := insert.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("search feed: %w", err)
		}
		ids = ids[1<<k:]
	}
	return nil
}

// splitStatements splits a migration into statements at its semicolons,
// except those inside quotes, $$ … $$ bodies and the BEGIN … END body of
// a SQLite trigger.
func splitStatements(s string) []string {
	var out []string
	start := 0
	quote, dollar := false, false
	for i := 0; i < len(s); i++ {
		switch {
		case quote:
			quote = s[i] != '\''
		case dollar:
			if strings.HasPrefix(s[i:], "$$") {
				dollar = false
				i++
			}
		case s[i] == '\'':
			quote = true
		case strings.HasPrefix(s[i:], "$$"):
			dollar = true
			i++
		case s[i] == ';':
			stmt := strings.ToUpper(strings.TrimSpace(s[start:i]))
			if strings.HasPrefix(stmt, "CREATE TRIGGER") && strings.Contains(stmt, " BEGIN") && !strings.HasSuffix(stmt, "END") {
				continue
			}
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

var _ search.Feed = (*Store)(nil)

// Changes implements search.Feed. On PostgreSQL it reads only the
// changes of transactions older than the oldest still running, so none
// can later appear before the position it returns.
func (s *Store) Changes(ctx context.Context, consumer, owner string, lease time.Duration, limit int) (*search.Batch, error) {
	b := &search.Batch{}
	visible := `1 = 1`
	if s.postgres {
		visible = `txn < txid_snapshot_xmin(txid_current_snapshot())`
	}
	// Most calls find nothing new: they read, and write nothing but,
	// once an hour, that the consumer is still there.
	var seen int64
	var pending bool
	err := s.db.QueryRowContext(ctx, s.q(`SELECT p.seen_at, EXISTS (SELECT 1 FROM search_changes
		WHERE (txn > p.txn OR (txn = p.txn AND seq > p.seq)) AND `+visible+`) FROM search_consumers p WHERE p.consumer = ?`), consumer).Scan(&seen, &pending)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, search.ErrNoPosition
	case err != nil:
		return nil, fmt.Errorf("store: search changes: %w", err)
	}
	if !pending {
		if now := ms(time.Now()); seen < now-time.Hour.Milliseconds() {
			if _, err := s.db.ExecContext(ctx, s.q(`UPDATE search_consumers SET seen_at = ? WHERE consumer = ?`), now, consumer); err != nil {
				return nil, fmt.Errorf("store: search changes: %w", err)
			}
		}
		return b, nil
	}
	err = s.retryTx(ctx, func(tx *sql.Tx) error {
		b.Refs = b.Refs[:0]
		now := ms(time.Now())
		res, err := tx.ExecContext(ctx, s.q(`UPDATE search_consumers SET owner = ?, lease_until = ?, seen_at = ?
			WHERE consumer = ? AND (owner = ? OR owner = '' OR lease_until < ?)`), owner, now+lease.Milliseconds(), now, consumer, owner, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var one int
			switch err := tx.QueryRowContext(ctx, s.q(`SELECT 1 FROM search_consumers WHERE consumer = ?`), consumer).Scan(&one); {
			case errors.Is(err, sql.ErrNoRows):
				return search.ErrNoPosition
			case err != nil:
				return err
			}
			return search.ErrBusy
		}
		if err := tx.QueryRowContext(ctx, s.q(`SELECT txn, seq FROM search_consumers WHERE consumer = ?`), consumer).Scan(&b.End.Txn, &b.End.Seq); err != nil {
			return err
		}
		b.Claimed = true
		rows, err := tx.QueryContext(ctx, s.q(`SELECT txn, seq, kind, ref FROM search_changes
			WHERE (txn > ? OR (txn = ? AND seq > ?)) AND `+visible+` ORDER BY txn, seq LIMIT ?`), b.End.Txn, b.End.Txn, b.End.Seq, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		seen := map[search.Ref]bool{}
		for rows.Next() {
			var r search.Ref
			if err := rows.Scan(&b.End.Txn, &b.End.Seq, &r.Kind, &r.ID); err != nil {
				return err
			}
			if !seen[r] {
				seen[r] = true
				b.Refs = append(b.Refs, r)
			}
		}
		return rows.Err()
	})
	if err != nil {
		if errors.Is(err, search.ErrNoPosition) || errors.Is(err, search.ErrBusy) {
			return nil, err
		}
		return nil, fmt.Errorf("store: search changes: %w", err)
	}
	return b, nil
}

// SearchConsumerExpiry is how long a consumer of the change feed may go
// unseen (no process syncing its index) before the changes it has not
// read are deleted all the same: an index left behind, such as the
// store's own after a move to Elasticsearch, must not make the feed
// grow for ever.
const SearchConsumerExpiry = 7 * 24 * time.Hour

// ErrLeaseLost is returned by Ack when another process took the
// consumer over: its work is done again there, which is harmless.
var ErrLeaseLost = errors.New("store: search consumer's lease lost")

// Ack implements search.Feed; it also deletes the changes every
// consumer has passed.
func (s *Store) Ack(ctx context.Context, consumer, owner string, b *search.Batch) error {
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE search_consumers SET txn = ?, seq = ?, owner = '', lease_until = 0
			WHERE consumer = ? AND owner = ?`), b.End.Txn, b.End.Seq, consumer, owner)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrLeaseLost
		}
		// A consumer not seen for SearchConsumerExpiry no longer holds
		// changes back: it is forgotten, and rebuilds its index if it
		// comes back (search.ErrNoPosition).
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM search_consumers WHERE seen_at < ? AND consumer <> ?`),
			ms(time.Now().Add(-SearchConsumerExpiry)), consumer); err != nil {
			return err
		}
		var txn, seq sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT txn, seq FROM search_consumers ORDER BY txn, seq LIMIT 1`).Scan(&txn, &seq); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`DELETE FROM search_changes WHERE txn < ? OR (txn = ? AND seq <= ?)`), txn.Int64, txn.Int64, seq.Int64)
		return err
	})
	if err != nil && !errors.Is(err, ErrLeaseLost) {
		return fmt.Errorf("store: search ack: %w", err)
	}
	return err
}

// Head implements search.Feed. On PostgreSQL it is just before the
// oldest transaction still running: every change a transaction running
// now makes comes after it.
func (s *Store) Head(ctx context.Context) (search.Position, error) {
	var p search.Position
	var err error
	if s.postgres {
		err = s.db.QueryRowContext(ctx, `SELECT txid_snapshot_xmin(txid_current_snapshot()) - 1, coalesce((SELECT max(seq) FROM search_changes), 0)`).Scan(&p.Txn, &p.Seq)
	} else {
		err = s.db.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM search_changes`).Scan(&p.Seq)
	}
	if err != nil {
		return p, fmt.Errorf("store: search head: %w", err)
	}
	return p, nil
}

// SetPosition implements search.Feed.
func (s *Store) SetPosition(ctx context.Context, consumer string, p search.Position) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO search_consumers (consumer, txn, seq, seen_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (consumer) DO UPDATE SET txn = excluded.txn, seq = excluded.seq, owner = '', lease_until = 0, seen_at = excluded.seen_at`),
		consumer, p.Txn, p.Seq, ms(time.Now()))
	if err != nil {
		return fmt.Errorf("store: search position: %w", err)
	}
	return nil
}

// searchRefSQL lists each kind's ids in order, after a given one.
var searchRefSQL = map[search.Kind]string{
	search.KindDecision: `SELECT decision_id FROM decisions WHERE decision_id > ? ORDER BY decision_id LIMIT ?`,
	search.KindCase:     `SELECT case_id FROM cases WHERE case_id > ? ORDER BY case_id LIMIT ?`,
	search.KindReport:   `SELECT report_id FROM reports WHERE report_id > ? ORDER BY report_id LIMIT ?`,
	search.KindAppeal:   `SELECT appeal_id FROM appeals WHERE appeal_id > ? ORDER BY appeal_id LIMIT ?`,
	search.KindAudit:    `SELECT seq FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?`,
}

// Refs implements search.Feed.
func (s *Store) Refs(ctx context.Context, kind search.Kind, after string, limit int) ([]search.Ref, error) {
	q, ok := searchRefSQL[kind]
	if !ok {
		return nil, fmt.Errorf("store: search refs: unknown kind %q", kind)
	}
	var arg any = after
	if kind == search.KindAudit {
		n, _ := strconv.ParseInt(after, 10, 64)
		arg = n
	}
	var out []search.Ref
	err := s.each(ctx, s.q(q), []any{arg, limit}, func(rows *sql.Rows) error {
		r := search.Ref{Kind: kind}
		err := rows.Scan(&r.ID)
		out = append(out, r)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: search refs: %w", err)
	}
	return out, nil
}

// CountRefs implements search.Feed.
func (s *Store) CountRefs(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM decisions) + (SELECT count(*) FROM cases) +
		(SELECT count(*) FROM reports) + (SELECT count(*) FROM appeals) + (SELECT count(*) FROM audit_log)`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: search count: %w", err)
	}
	return n, nil
}

// Docs implements search.Feed. Text is masked with m: snapshots (the
// decided message with the spans the engine found, and the context),
// reports' details, appeals' reasons, audit entries' details.
func (s *Store) Docs(ctx context.Context, m *search.Masker, refs []search.Ref) ([]search.Doc, []search.Ref, error) {
	var docs []search.Doc
	var gone []search.Ref
	for _, r := range refs {
		var d *search.Doc
		var err error
		switch r.Kind {
		case search.KindDecision:
			d, err = s.decisionDoc(ctx, m, r.ID)
		case search.KindCase:
			d, err = s.caseDoc(ctx, m, r.ID)
		case search.KindReport:
			d, err = s.reportDoc(ctx, m, r.ID)
		case search.KindAppeal:
			d, err = s.appealDoc(ctx, m, r.ID)
		case search.KindAudit:
			d, err = s.auditDoc(ctx, m, r.ID)
		default:
			err = fmt.Errorf("%w: kind %q", ErrNotFound, r.Kind)
		}
		switch {
		case errors.Is(err, ErrNotFound):
			gone = append(gone, r)
		case err != nil:
			return nil, nil, fmt.Errorf("store: search document %s: %w", r.Key(), err)
		default:
			docs = append(docs, *d)
		}
	}
	return docs, gone, nil
}

func (s *Store) decisionDoc(ctx context.Context, m *search.Masker, id string) (*search.Doc, error) {
	d, err := s.Decision(ctx, id)
	if err != nil {
		return nil, err
	}
	doc := search.DecisionDoc(d, m)
	return &doc, nil
}

// snapshotTexts masks a case's snapshots (or the one ref gave, when
// set): the decided message with the engine's spans (known), and every
// context message.
func (s *Store) snapshotTexts(ctx context.Context, m *search.Masker, caseID, ref string, known []engine.PIISpan) ([]string, error) {
	snaps, err := s.SnapshotRefs(ctx, caseID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, sn := range snaps {
		if ref != "" && sn.Ref != ref {
			continue
		}
		for _, cm := range sn.Context {
			out = append(out, m.Mask(cm.Text, nil))
		}
		if sn.Source == SourceDecision {
			out = append(out, m.Mask(sn.Text, known))
		}
	}
	return out, nil
}

func (s *Store) caseDoc(ctx context.Context, m *search.Masker, id string) (*search.Doc, error) {
	c, err := s.Case(ctx, id)
	if err != nil {
		return nil, err
	}
	doc := &search.Doc{Ref: search.Ref{Kind: search.KindCase, ID: c.ID}, At: search.Truncate(c.CreatedAt),
		Users: search.NonEmpty(c.SubjectUserID), Action: c.Outcome, Queue: c.Queue, CaseID: c.ID}
	for _, cat := range c.Categories {
		doc.Categories = append(doc.Categories, string(cat))
	}
	var known []engine.PIISpan
	if c.DecisionID != "" {
		d, err := s.Decision(ctx, c.DecisionID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		if d != nil {
			doc.Space, doc.Rules, known = d.Space.ID, d.RuleIDs, d.PII
		}
	}
	texts, err := s.snapshotTexts(ctx, m, c.ID, "", known)
	if err != nil {
		return nil, err
	}
	if doc.Space == "" {
		// A case opened by reports: the space the first report named.
		err := s.db.QueryRowContext(ctx, s.q(`SELECT space_id FROM reports WHERE case_id = ? AND space_id <> '' ORDER BY created_at LIMIT 1`), c.ID).Scan(&doc.Space)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
	}
	doc.Text = search.Join(texts...)
	return doc, nil
}

func (s *Store) reportDoc(ctx context.Context, m *search.Masker, id string) (*search.Doc, error) {
	var reporter, subject, category, details, space, caseID, queue string
	var created int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT r.reporter_id, r.subject_user, r.category, r.details, r.space_id, r.created_at, r.case_id, coalesce(c.queue, '')
		FROM reports r LEFT JOIN cases c ON c.case_id = r.case_id WHERE r.report_id = ?`), id).
		Scan(&reporter, &subject, &category, &details, &space, &created, &caseID, &queue)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	texts, err := s.snapshotTexts(ctx, m, caseID, id, nil)
	if err != nil {
		return nil, err
	}
	return &search.Doc{Ref: search.Ref{Kind: search.KindReport, ID: id}, At: search.Truncate(fromMS(created)),
		Users: search.NonEmpty(subject, search.Reporter(reporter)), Space: space, Categories: search.NonEmpty(category), Queue: queue, CaseID: caseID,
		Text: search.Join(append([]string{m.Mask(details, nil)}, texts...)...)}, nil
}

func (s *Store) appealDoc(ctx context.Context, m *search.Masker, id string) (*search.Doc, error) {
	a, err := s.AppealByID(ctx, id)
	if err != nil {
		return nil, err
	}
	action := ""
	if a.Status != AppealOpen {
		action = a.Status
	}
	doc := &search.Doc{Ref: search.Ref{Kind: search.KindAppeal, ID: a.ID}, At: search.Truncate(a.CreatedAt),
		Users: search.NonEmpty(a.AppellantID), Action: action, Queue: QueueAppeals, CaseID: a.ReviewCase,
		Text: search.Join(m.Mask(a.Reason, nil))}
	d, err := s.Decision(ctx, a.DecisionID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	if d != nil {
		doc.Space, doc.Rules = d.Space.ID, d.RuleIDs
		for _, c := range d.Categories {
			doc.Categories = append(doc.Categories, string(c))
		}
	}
	return doc, nil
}

// auditUser is the user an audit entry's actor or subject names:
// reviewers by id, citizens named user: by id, reporters as
// search.Reporter has them, nothing for haechi, operator or a case.
func auditUser(v string) string {
	if rest, ok := strings.CutPrefix(v, "user:"); ok {
		return rest
	}
	if rest, ok := strings.CutPrefix(v, "reporter:"); ok {
		return search.Reporter(rest)
	}
	switch v {
	case "haechi", "operator", "anonymous":
		return ""
	}
	if strings.Contains(v, ":") {
		return ""
	}
	return v
}

func (s *Store) auditDoc(ctx context.Context, m *search.Masker, id string) (*search.Doc, error) {
	seq, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, ErrNotFound
	}
	e, err := s.AuditEntryAt(ctx, seq)
	if err != nil {
		return nil, err
	}
	if e.Seq != seq {
		return nil, ErrNotFound
	}
	doc := &search.Doc{Ref: search.Ref{Kind: search.KindAudit, ID: id}, At: search.Truncate(e.At), Action: e.Action,
		Text: search.Join(m.Mask(e.Subject+" "+auditText(e.Details), nil))}
	doc.Users = search.NonEmpty(auditUser(e.Actor))
	if u := auditUser(e.Subject); u != "" && !strings.HasPrefix(e.Subject, "case") && u != auditUser(e.Actor) {
		var isCase int
		if err := s.db.QueryRowContext(ctx, s.q(`SELECT count(*) FROM cases WHERE case_id = ?`), e.Subject).Scan(&isCase); err != nil {
			return nil, err
		}
		if isCase == 0 {
			doc.Users = append(doc.Users, u)
		}
	}
	var details map[string]any
	if json.Unmarshal([]byte(e.Details), &details) == nil {
		if q, ok := details["queue"].(string); ok {
			doc.Queue = q
		}
	}
	return doc, nil
}

// auditText is the values of an audit entry's details, for the text
// index: notes, reasons, names.
func auditText(details string) string {
	var v any
	if json.Unmarshal([]byte(details), &v) != nil {
		return ""
	}
	var parts []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			parts = append(parts, v)
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(v)) {
				walk(v[k])
			}
		}
	}
	walk(v)
	return strings.Join(parts, " ")
}
