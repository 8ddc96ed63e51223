package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/haechi-tns/haechi/engine/search"
)

// The store's own search index (search.Index), the default: documents in
// search_docs, one row per filter value in search_keys, and the text's
// terms (search.DocTerms) in an FTS5 table on SQLite or a tsvector
// column with a GIN index on PostgreSQL. Terms are made in Go, the same
// for every backend, and handed to the database as they are: FTS5's
// unicode61 tokenizer only splits them at the spaces between them, and
// PostgreSQL's array_to_tsvector keeps them without a parser, stemmer
// or locale, so Korean bigrams survive both unchanged.
//
// Every filter is a key (field, value) in search_keys, with the
// document's time and key beside it, so the most selective filter of a
// query drives it in the page's order: a page of one user's documents
// reads about a page of rows, however many documents there are. The
// other filters are checked by primary-key lookups, the text by the
// full-text index.

// searchDocsSQLite and searchDocsPostgres are the index (part of
// migration 17).
const searchDocsSQLite = `CREATE TABLE search_docs (
		doc_id  INTEGER PRIMARY KEY,
		doc_key TEXT NOT NULL UNIQUE,
		kind    TEXT NOT NULL,
		at      BIGINT NOT NULL,
		queue   TEXT NOT NULL,
		case_id TEXT NOT NULL,
		body    TEXT NOT NULL
	);
	CREATE VIRTUAL TABLE search_text USING fts5(terms, detail=none, tokenize='unicode61 remove_diacritics 0')`

const searchDocsPostgres = `CREATE TABLE search_docs (
		doc_key TEXT PRIMARY KEY,
		kind    TEXT NOT NULL,
		at      BIGINT NOT NULL,
		queue   TEXT NOT NULL,
		case_id TEXT NOT NULL,
		body    TEXT NOT NULL,
		terms   tsvector NOT NULL
	);
	CREATE INDEX search_docs_terms ON search_docs USING GIN (terms)`

const searchDocsIndexes = `CREATE INDEX search_docs_at ON search_docs (at, doc_key);
	CREATE INDEX search_docs_case ON search_docs (case_id);
	CREATE TABLE search_keys (
		field   TEXT NOT NULL,
		value   TEXT NOT NULL,
		at      BIGINT NOT NULL,
		doc_key TEXT NOT NULL,
		PRIMARY KEY (field, value, at, doc_key)
	);
	CREATE INDEX search_keys_doc ON search_keys (doc_key)`

// searchMigration is migration 17 in a dialect.
func searchMigration(postgres bool) string {
	if postgres {
		return strings.Join([]string{searchChangesTables("BIGSERIAL PRIMARY KEY", "txid_current()"), searchDocsPostgres, searchDocsIndexes, searchTriggersPostgres}, ";\n")
	}
	return strings.Join([]string{searchChangesTables("INTEGER PRIMARY KEY AUTOINCREMENT", "0"), searchDocsSQLite, searchDocsIndexes, searchTriggersSQLite}, ";\n")
}

// SearchConsumer is the store's own index's name in the change feed.
const SearchConsumer = "store"

// SearchIndex is the store's own search index.
type SearchIndex struct{ s *Store }

// SearchIndex returns the store's own search index.
func (s *Store) SearchIndex() *SearchIndex { return &SearchIndex{s: s} }

var (
	_ search.Index   = (*SearchIndex)(nil)
	_ search.Emptier = (*SearchIndex)(nil)
)

// Key fields, in the order a query prefers them to drive it: the most
// selective first.
const (
	keyUser     = "u"
	keyRule     = "r"
	keySpace    = "s"
	keyCategory = "c"
	keyAction   = "a"
	keyQueue    = "q"
	keyKind     = "k"
)

type searchKey struct{ field, value string }

// docKeys are the filter values of d, each once.
func docKeys(d *search.Doc) []searchKey {
	var out []searchKey
	add := func(field string, vals ...string) {
		for _, v := range vals {
			k := searchKey{field, v}
			if v != "" && !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	add(keyUser, d.Users...)
	add(keyRule, d.Rules...)
	add(keySpace, d.Space)
	add(keyCategory, d.Categories...)
	add(keyAction, d.Action)
	add(keyQueue, d.Queue)
	add(keyKind, string(d.Kind))
	return out
}

// Put implements search.Index, in one transaction, its statements
// prepared once for all the documents.
func (x *SearchIndex) Put(ctx context.Context, docs []search.Doc) error {
	s := x.s
	upsert := `INSERT INTO search_docs (doc_key, kind, at, queue, case_id, body) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (doc_key) DO UPDATE SET kind = excluded.kind, at = excluded.at, queue = excluded.queue,
		case_id = excluded.case_id, body = excluded.body RETURNING doc_id`
	if s.postgres {
		upsert = `INSERT INTO search_docs (doc_key, kind, at, queue, case_id, body, terms)
			VALUES ($1, $2, $3, $4, $5, $6, array_to_tsvector(string_to_array($7, ' ')))
			ON CONFLICT (doc_key) DO UPDATE SET kind = excluded.kind, at = excluded.at, queue = excluded.queue,
			case_id = excluded.case_id, body = excluded.body, terms = excluded.terms`
	}
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		st, err := x.prepare(ctx, tx, upsert, `INSERT INTO search_text (rowid, terms) VALUES (?, ?)`,
			`INSERT INTO search_keys (field, value, at, doc_key) VALUES (?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer st.close()
		for i := range docs {
			d := &docs[i]
			d.At = search.Truncate(d.At)
			body, err := json.Marshal(d)
			if err != nil {
				return err
			}
			key, at := d.Key(), ms(d.At)
			terms := strings.Join(search.DocTerms(d.Text), " ")
			if err := x.deleteKey(ctx, st, key, false); err != nil {
				return err
			}
			if s.postgres {
				_, err = st.stmts[3].ExecContext(ctx, key, d.Kind, at, d.Queue, d.CaseID, string(body), terms)
			} else {
				var id int64
				err = st.stmts[3].QueryRowContext(ctx, key, d.Kind, at, d.Queue, d.CaseID, string(body)).Scan(&id)
				if err == nil {
					_, err = st.stmts[4].ExecContext(ctx, id, terms)
				}
			}
			if err != nil {
				return err
			}
			for _, k := range docKeys(d) {
				if _, err := st.stmts[5].ExecContext(ctx, k.field, k.value, at, key); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: search put: %w", err)
	}
	return nil
}

// indexStmts are statements prepared in a transaction: deleteKey's
// three, then the caller's.
type indexStmts struct{ stmts []*sql.Stmt }

func (st *indexStmts) close() {
	for _, s := range st.stmts {
		if s != nil {
			s.Close()
		}
	}
}

// prepare prepares deleteKey's statements and extra in tx (extra
// statements the dialect does not use are left nil).
func (x *SearchIndex) prepare(ctx context.Context, tx *sql.Tx, extra ...string) (*indexStmts, error) {
	s := x.s
	queries := append([]string{`DELETE FROM search_keys WHERE doc_key = ?`,
		`DELETE FROM search_text WHERE rowid IN (SELECT doc_id FROM search_docs WHERE doc_key = ?)`,
		`DELETE FROM search_docs WHERE doc_key = ?`}, extra...)
	st := &indexStmts{}
	for _, q := range queries {
		if s.postgres && strings.Contains(q, "search_text") {
			st.stmts = append(st.stmts, nil)
			continue
		}
		p, err := tx.PrepareContext(ctx, s.q(q))
		if err != nil {
			st.close()
			return nil, err
		}
		st.stmts = append(st.stmts, p)
	}
	return st, nil
}

// deleteKey deletes a document's keys and text and, when all is set,
// the document.
func (x *SearchIndex) deleteKey(ctx context.Context, st *indexStmts, key string, all bool) error {
	for i, s := range st.stmts[:3] {
		if s == nil || (i == 2 && !all) {
			continue
		}
		if _, err := s.ExecContext(ctx, key); err != nil {
			return err
		}
	}
	return nil
}

// Delete implements search.Index.
func (x *SearchIndex) Delete(ctx context.Context, refs []search.Ref) error {
	err := x.s.retryTx(ctx, func(tx *sql.Tx) error {
		st, err := x.prepare(ctx, tx)
		if err != nil {
			return err
		}
		defer st.close()
		for _, r := range refs {
			if err := x.deleteKey(ctx, st, r.Key(), true); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: search delete: %w", err)
	}
	return nil
}

// DeleteCase implements search.Index.
func (x *SearchIndex) DeleteCase(ctx context.Context, caseID string) error {
	s := x.s
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		var keys []string
		rows, err := tx.QueryContext(ctx, s.q(`SELECT doc_key FROM search_docs WHERE case_id = ?`), caseID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				rows.Close()
				return err
			}
			keys = append(keys, k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		st, err := x.prepare(ctx, tx)
		if err != nil {
			return err
		}
		defer st.close()
		for _, k := range keys {
			if err := x.deleteKey(ctx, st, k, true); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: search delete case: %w", err)
	}
	return nil
}

// DeleteAll implements search.Emptier.
func (x *SearchIndex) DeleteAll(ctx context.Context) error {
	err := x.s.retryTx(ctx, func(tx *sql.Tx) error {
		stmts := []string{`DELETE FROM search_keys`, `DELETE FROM search_docs`}
		if !x.s.postgres {
			stmts = append(stmts, `DELETE FROM search_text`)
		}
		for _, st := range stmts {
			if _, err := tx.ExecContext(ctx, st); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: search delete all: %w", err)
	}
	return nil
}

// queryKeys are q's filters as keys, the one to drive the query first.
func queryKeys(q *search.Query) []searchKey {
	var out []searchKey
	for _, k := range []searchKey{{keyUser, q.User}, {keyRule, q.Rule}, {keySpace, q.Space}, {keyCategory, q.Category}, {keyAction, q.Action}} {
		if k.value != "" {
			out = append(out, k)
		}
	}
	if len(q.Queues) == 1 && q.Queues[0] != "" {
		out = append(out, searchKey{keyQueue, q.Queues[0]})
	}
	if len(q.Kinds) == 1 {
		out = append(out, searchKey{keyKind, string(q.Kinds[0])})
	}
	return out
}

// Search implements search.Index.
func (x *SearchIndex) Search(ctx context.Context, q search.Query) (*search.Page, error) {
	s := x.s
	if err := q.Validate(); err != nil {
		return nil, err
	}
	var (
		where []string
		args  []any
		from  = `search_docs d`
		order = `d`
	)
	keys := queryKeys(&q)
	if len(keys) > 0 {
		from, order = `search_keys k0 JOIN search_docs d ON d.doc_key = k0.doc_key`, `k0`
		where = append(where, `k0.field = ? AND k0.value = ?`)
		args = append(args, keys[0].field, keys[0].value)
		for _, k := range keys[1:] {
			where = append(where, `EXISTS (SELECT 1 FROM search_keys k1 WHERE k1.field = ? AND k1.value = ? AND k1.at = k0.at AND k1.doc_key = k0.doc_key)`)
			args = append(args, k.field, k.value)
		}
	}
	if !q.From.IsZero() {
		where = append(where, order+`.at >= ?`)
		args = append(args, ms(q.From))
	}
	if !q.To.IsZero() {
		where = append(where, order+`.at < ?`)
		args = append(args, ms(q.To))
	}
	if q.After != nil {
		where = append(where, `(`+order+`.at < ? OR (`+order+`.at = ? AND `+order+`.doc_key < ?))`)
		at := ms(q.After.At)
		args = append(args, at, at, q.After.Key)
	}
	if len(q.Kinds) > 1 {
		where = append(where, `d.kind IN (`+placeholders(len(q.Kinds))+`)`)
		for _, k := range q.Kinds {
			args = append(args, string(k))
		}
	}
	if len(q.Queues) > 1 || (len(q.Queues) == 1 && q.Queues[0] == "") {
		where = append(where, `d.queue IN (`+placeholders(len(q.Queues))+`)`)
		for _, v := range q.Queues {
			args = append(args, v)
		}
	}
	terms := search.Terms(q.Text)
	if len(terms) > 0 {
		if s.postgres {
			where = append(where, `d.terms @@ CAST(? AS tsquery)`)
			args = append(args, tsQuery(terms))
		} else {
			// Driven by a key, a page reads few documents: each is looked
			// up in the text index by its rowid. Otherwise the matches are
			// read once, and the documents in page order checked against
			// them.
			if len(keys) > 0 {
				where = append(where, `EXISTS (SELECT 1 FROM search_text WHERE search_text MATCH ? AND rowid = d.doc_id)`)
			} else {
				where = append(where, `d.doc_id IN (SELECT rowid FROM search_text WHERE search_text MATCH ?)`)
			}
			args = append(args, ftsQuery(terms))
		}
	}
	query := `SELECT d.body FROM ` + from
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY ` + order + `.at DESC, ` + order + `.doc_key DESC LIMIT ?`
	args = append(args, q.Limit+1)
	page := &search.Page{}
	err := s.each(ctx, s.q(query), args, func(rows *sql.Rows) error {
		var body string
		if err := rows.Scan(&body); err != nil {
			return err
		}
		var h search.Hit
		if err := json.Unmarshal([]byte(body), &h.Doc); err != nil {
			return err
		}
		h.Snippet = search.Snippet(h.Text, terms)
		h.Text = ""
		page.Hits = append(page.Hits, h)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: search: %w", err)
	}
	if len(page.Hits) > q.Limit {
		page.Hits = page.Hits[:q.Limit]
		last := page.Hits[q.Limit-1]
		page.Next = &search.Cursor{At: last.At, Key: last.Key()}
	}
	return page, nil
}

// ftsQuery is terms as an FTS5 query: every term, quoted, words as
// prefixes. Terms hold only letters and digits.
func ftsQuery(terms []search.Term) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = `"` + t.Value + `"`
		if t.Prefix {
			parts[i] += `*`
		}
	}
	return strings.Join(parts, " AND ")
}

// tsQuery is terms as a PostgreSQL tsquery, read as it is written (no
// parser): every lexeme quoted, words as prefixes.
func tsQuery(terms []search.Term) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = `'` + t.Value + `'`
		if t.Prefix {
			parts[i] += `:*`
		}
	}
	return strings.Join(parts, " & ")
}
