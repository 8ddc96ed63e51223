// Package elastic is the Elasticsearch 8 backend of search.Index, for
// deployments whose search outgrows the store's own index. It speaks to
// Elasticsearch through github.com/elastic/go-elasticsearch/v8's esapi.
//
// Layout: an index template (<name>-template) gives every index named
// <name>-* its strict mapping; the documents live in one concrete index
// <name>-<unix ms>, reached through two aliases, <name> for searches and
// <name>-write for writes. A rebuild fills a new concrete index and then
// moves both aliases to it in one _aliases call, so searches never see a
// half-built index, and deletes the old one.
//
// Writes go through _bulk in chunks (bounded by count and bytes). A
// whole request refused with 429 (es_rejected_execution_exception: the
// write queue is full) or 5xx, and the items refused with 429 or 5xx,
// are retried with capped exponential backoff; while they are, the
// caller waits, so an overloaded cluster slows the indexer down instead
// of growing a queue (back-pressure). Items refused for another reason
// (a mapping error) are not retried: Put returns an error naming them.
//
// Pages are ordered by at then key, both in the sort, and continued with
// search_after on those values: keys are unique, so the pair is a total
// order and no point in time is needed for pages not to repeat or skip
// (a page may show a document indexed after the first page was read,
// as the store's own index does).
package elastic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/haechi-tns/haechi/engine/search"
	"github.com/haechi-tns/haechi/internal/backoff"
)

// Config configures the backend.
type Config struct {
	// URL is the cluster's address (--elasticsearch-url); user info in
	// it is used for basic authentication.
	URL string
	// Name is the read alias; the write alias is Name + "-write" and
	// the concrete indexes Name-<unix ms>. Default "haechi-search".
	Name string
	// Transport is the HTTP transport; nil means http.DefaultTransport.
	Transport http.RoundTripper
	// Retry is how 429s and 5xx are retried; the zero Policy means 8
	// attempts from 200 ms, doubling to at most 10 s.
	Retry backoff.Policy
	// BulkDocs and BulkBytes bound one _bulk request; defaults 1000
	// documents and 5 MiB.
	BulkDocs, BulkBytes int
	// Refresh makes every write visible to searches before it returns
	// (refresh=wait_for): for tests and small deployments.
	Refresh bool
	Log     *slog.Logger
	// Now is the clock naming new indexes; nil means time.Now.
	Now func() time.Time
}

// Index is the Elasticsearch backend. target, when set, is a concrete
// index written and searched directly (a rebuild in progress).
type Index struct {
	cfg    Config
	es     *elasticsearch.Client
	target string
}

var (
	_ search.Index     = (*Index)(nil)
	_ search.Rebuilder = (*Index)(nil)
)

// New connects and makes sure the index template and the aliases exist,
// creating the first concrete index when there is none. It fails at
// start-up, not at the first search, when the cluster cannot be reached.
func New(ctx context.Context, cfg Config) (*Index, error) {
	if cfg.URL == "" {
		return nil, errors.New("elastic: a URL is required")
	}
	if cfg.Name == "" {
		cfg.Name = "haechi-search"
	}
	if cfg.Retry.Initial == 0 {
		cfg.Retry = backoff.Policy{Initial: 200 * time.Millisecond, Max: 10 * time.Second, Jitter: 0.2, Attempts: 8}
	}
	if cfg.BulkDocs <= 0 {
		cfg.BulkDocs = 1000
	}
	if cfg.BulkBytes <= 0 {
		cfg.BulkBytes = 5 << 20
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	es, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{cfg.URL}, Transport: cfg.Transport, DisableRetry: true})
	if err != nil {
		return nil, fmt.Errorf("elastic: %w", err)
	}
	x := &Index{cfg: cfg, es: es}
	if err := x.setUp(ctx); err != nil {
		return nil, err
	}
	return x, nil
}

func (x *Index) writeAlias() string { return x.cfg.Name + "-write" }

// mapping is the documents' mapping: every filter a keyword, the time a
// date in epoch milliseconds, the text kept but not indexed (its terms,
// search.DocTerms, are), nothing else accepted.
var mapping = map[string]any{
	"dynamic": "strict",
	"properties": map[string]any{
		"key": map[string]any{"type": "keyword"}, "kind": map[string]any{"type": "keyword"}, "id": map[string]any{"type": "keyword"},
		"at":    map[string]any{"type": "date", "format": "epoch_millis"},
		"users": map[string]any{"type": "keyword"}, "space": map[string]any{"type": "keyword"}, "categories": map[string]any{"type": "keyword"},
		"action": map[string]any{"type": "keyword"}, "rules": map[string]any{"type": "keyword"}, "queue": map[string]any{"type": "keyword"},
		"case_id": map[string]any{"type": "keyword"},
		"text":    map[string]any{"type": "text", "index": false},
		"terms":   map[string]any{"type": "keyword"},
	},
}

// setUp puts the index template and, when the read alias names no
// index, creates one with both aliases.
func (x *Index) setUp(ctx context.Context) error {
	tmpl := map[string]any{
		"index_patterns": []string{x.cfg.Name + "-*"},
		"priority":       200,
		"template": map[string]any{
			"settings": map[string]any{"number_of_shards": 1, "refresh_interval": "1s"},
			"mappings": mapping,
		},
		"_meta": map[string]any{"description": "Haechi search documents (engine/search)"},
	}
	if _, err := do(x, ctx, "put index template", x.es.Indices.PutIndexTemplate.WithContext, func(o ...func(*esapi.IndicesPutIndexTemplateRequest)) (*esapi.Response, error) {
		return x.es.Indices.PutIndexTemplate(x.cfg.Name+"-template", jsonBody(tmpl), o...)
	}); err != nil {
		return err
	}
	res, err := x.es.Indices.ExistsAlias([]string{x.cfg.Name}, x.es.Indices.ExistsAlias.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("elastic: alias %s: %w", x.cfg.Name, err)
	}
	res.Body.Close()
	switch res.StatusCode {
	case http.StatusOK:
		return nil
	case http.StatusNotFound:
	default:
		return fmt.Errorf("elastic: alias %s: status %d", x.cfg.Name, res.StatusCode)
	}
	name := x.newIndexName()
	body := map[string]any{"aliases": map[string]any{x.cfg.Name: map[string]any{}, x.writeAlias(): map[string]any{"is_write_index": true}}}
	_, err = do(x, ctx, "create index", x.es.Indices.Create.WithContext, func(o ...func(*esapi.IndicesCreateRequest)) (*esapi.Response, error) {
		return x.es.Indices.Create(name, append(o, x.es.Indices.Create.WithBody(jsonBody(body)))...)
	})
	var ee *Error
	if errors.As(err, &ee) && ee.Type == "resource_already_exists_exception" {
		return nil // another process created it first
	}
	return err
}

func (x *Index) newIndexName() string {
	return x.cfg.Name + "-" + strconv.FormatInt(x.cfg.Now().UnixMilli(), 10)
}

// Error is an error Elasticsearch answered with.
type Error struct {
	Status int
	Type   string
	Reason string
}

func (e *Error) Error() string {
	return fmt.Sprintf("elasticsearch %d %s: %s", e.Status, e.Type, e.Reason)
}

// retryable reports whether a status means "later": 429 (rejected: a
// queue is full, or a circuit breaker tripped) or 5xx.
func retryable(status int) bool { return status == http.StatusTooManyRequests || status >= 500 }

// errorBody is Elasticsearch's error answer.
type errorBody struct {
	Error struct {
		Type   string `json:"type"`
		Reason string `json:"reason"`
	} `json:"error"`
	Status int `json:"status"`
}

// readError turns an error answer into *Error.
func readError(res *esapi.Response) error {
	b, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	var eb errorBody
	e := &Error{Status: res.StatusCode}
	if json.Unmarshal(b, &eb) == nil && eb.Error.Type != "" {
		e.Type, e.Reason = eb.Error.Type, eb.Error.Reason
	} else {
		e.Type, e.Reason = "unknown", strings.TrimSpace(string(b))
	}
	return e
}

// do calls an API with the context, retrying 429s, 5xx and transport
// failures, and returns the body of a 2xx answer.
func do[O any](x *Index, ctx context.Context, what string, withContext func(context.Context) O, call func(...O) (*esapi.Response, error)) ([]byte, error) {
	var out []byte
	err := x.cfg.Retry.Do(ctx, func(ctx context.Context) (err error) {
		out, err = body(call(withContext(ctx)))
		return err
	}, func(attempt int, err error, wait time.Duration) {
		x.cfg.Log.Warn("elasticsearch busy or failing; retrying", "call", what, "attempt", attempt, "wait", wait, "err", err)
	})
	if err != nil {
		return nil, fmt.Errorf("elastic: %s: %w", what, err)
	}
	return out, nil
}

// body reads a 2xx answer; any other is an *Error, permanent (not to be
// retried) unless it is a 429 or 5xx.
func body(res *esapi.Response, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.IsError() {
		err := readError(res)
		if retryable(res.StatusCode) {
			return nil, err
		}
		return nil, backoff.Permanent(err)
	}
	return io.ReadAll(res.Body)
}

// jsonBody encodes v as a request body.
func jsonBody(v any) io.Reader {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only maps and slices of strings and numbers
	}
	return bytes.NewReader(b)
}

// esDoc is a document as Elasticsearch keeps it: every field present,
// the time in epoch milliseconds, the text's terms beside it.
type esDoc struct {
	Key        string   `json:"key"`
	Kind       string   `json:"kind"`
	ID         string   `json:"id"`
	At         int64    `json:"at"`
	Users      []string `json:"users"`
	Space      string   `json:"space"`
	Categories []string `json:"categories"`
	Action     string   `json:"action"`
	Rules      []string `json:"rules"`
	Queue      string   `json:"queue"`
	CaseID     string   `json:"case_id"`
	Text       string   `json:"text"`
	Terms      []string `json:"terms"`
}

func toES(d *search.Doc) esDoc {
	return esDoc{Key: d.Key(), Kind: string(d.Kind), ID: d.ID, At: search.Truncate(d.At).UnixMilli(), Users: nonNil(d.Users), Space: d.Space,
		Categories: nonNil(d.Categories), Action: d.Action, Rules: nonNil(d.Rules), Queue: d.Queue, CaseID: d.CaseID, Text: d.Text,
		Terms: nonNil(search.DocTerms(d.Text))}
}

func (e *esDoc) doc() search.Doc {
	d := search.Doc{Ref: search.Ref{Kind: search.Kind(e.Kind), ID: e.ID}, At: time.UnixMilli(e.At).UTC(), Space: e.Space, Action: e.Action,
		Queue: e.Queue, CaseID: e.CaseID, Text: e.Text}
	d.Users, d.Categories, d.Rules = nilEmpty(e.Users), nilEmpty(e.Categories), nilEmpty(e.Rules)
	return d
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

func nilEmpty(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	return ss
}

// writeIndex is where writes go: the rebuild's index, or the write alias.
func (x *Index) writeIndex() string {
	if x.target != "" {
		return x.target
	}
	return x.writeAlias()
}

// readIndex is what searches read.
func (x *Index) readIndex() string {
	if x.target != "" {
		return x.target
	}
	return x.cfg.Name
}

// bulkItem is one action of a _bulk request: its action line and, for
// index, its source.
type bulkItem struct {
	key    string
	action []byte
	source []byte
}

// Put implements search.Index.
func (x *Index) Put(ctx context.Context, docs []search.Doc) error {
	items := make([]bulkItem, 0, len(docs))
	for i := range docs {
		src, err := json.Marshal(toES(&docs[i]))
		if err != nil {
			return fmt.Errorf("elastic: %w", err)
		}
		items = append(items, x.item("index", docs[i].Key(), src))
	}
	return x.bulk(ctx, items)
}

// Delete implements search.Index. Deleting a document that is not there
// is no error.
func (x *Index) Delete(ctx context.Context, refs []search.Ref) error {
	items := make([]bulkItem, 0, len(refs))
	for _, r := range refs {
		items = append(items, x.item("delete", r.Key(), nil))
	}
	return x.bulk(ctx, items)
}

func (x *Index) item(op, key string, src []byte) bulkItem {
	action, _ := json.Marshal(map[string]any{op: map[string]any{"_index": x.writeIndex(), "_id": key}})
	return bulkItem{key: key, action: action, source: src}
}

// bulkResponse is the answer to _bulk.
type bulkResponse struct {
	Errors bool `json:"errors"`
	Items  []map[string]struct {
		ID     string     `json:"_id"`
		Status int        `json:"status"`
		Error  *itemError `json:"error"`
	} `json:"items"`
}

// itemError is why a bulk item was refused.
type itemError struct {
	Type   string `json:"type"`
	Reason string `json:"reason"`
}

// asError is e with the item's status, for a missing e an empty reason.
func (e *itemError) asError(status int) *Error {
	if e == nil {
		return &Error{Status: status}
	}
	return &Error{Status: status, Type: e.Type, Reason: e.Reason}
}

// BulkError names the items Elasticsearch refused for good.
type BulkError struct {
	Failed map[string]*Error // by document key
}

func (e *BulkError) Error() string {
	keys := make([]string, 0, len(e.Failed))
	for k := range e.Failed {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	first := e.Failed[keys[0]]
	return fmt.Sprintf("elastic: bulk: %d documents refused (%s: %s %s)", len(keys), keys[0], first.Type, first.Reason)
}

// bulk sends items in chunks, each retried until every item of it is
// done or refused for good.
func (x *Index) bulk(ctx context.Context, items []bulkItem) error {
	failed := map[string]*Error{}
	for len(items) > 0 {
		n, size := 0, 0
		for n < len(items) && n < x.cfg.BulkDocs && (n == 0 || size+len(items[n].action)+len(items[n].source)+2 <= x.cfg.BulkBytes) {
			size += len(items[n].action) + len(items[n].source) + 2
			n++
		}
		if err := x.bulkChunk(ctx, items[:n], failed); err != nil {
			return err
		}
		items = items[n:]
	}
	if len(failed) > 0 {
		return &BulkError{Failed: failed}
	}
	return nil
}

// bulkChunk sends one chunk and sends again, after a backoff wait, the
// items refused with 429 or 5xx; refusals for good go into failed.
func (x *Index) bulkChunk(ctx context.Context, chunk []bulkItem, failed map[string]*Error) error {
	pending := chunk
	err := x.cfg.Retry.Do(ctx, func(ctx context.Context) error {
		var req bytes.Buffer
		for _, it := range pending {
			req.Write(it.action)
			req.WriteByte('\n')
			if it.source != nil {
				req.Write(it.source)
				req.WriteByte('\n')
			}
		}
		opts := []func(*esapi.BulkRequest){x.es.Bulk.WithContext(ctx)}
		if x.cfg.Refresh {
			opts = append(opts, x.es.Bulk.WithRefresh("wait_for"))
		}
		answer, err := body(x.es.Bulk(&req, opts...))
		if err != nil {
			return err
		}
		var br bulkResponse
		if err := json.Unmarshal(answer, &br); err != nil {
			return backoff.Permanent(fmt.Errorf("bulk answer: %w", err))
		}
		if len(br.Items) != len(pending) {
			return backoff.Permanent(fmt.Errorf("bulk answer: %d items for %d actions", len(br.Items), len(pending)))
		}
		var again []bulkItem
		var last error
		for i, m := range br.Items {
			for op, it := range m {
				switch {
				case it.Status < 300, op == "delete" && it.Status == http.StatusNotFound:
				case retryable(it.Status):
					again = append(again, pending[i])
					last = it.Error.asError(it.Status)
				default:
					failed[pending[i].key] = it.Error.asError(it.Status)
				}
			}
		}
		pending = again
		if len(again) > 0 {
			return fmt.Errorf("%d of the chunk's items refused for now: %w", len(again), last)
		}
		return nil
	}, func(attempt int, err error, wait time.Duration) {
		x.cfg.Log.Warn("elasticsearch refused a bulk request or some of its items; retrying", "attempt", attempt, "items", len(pending), "wait", wait, "err", err)
	})
	if err != nil {
		return fmt.Errorf("elastic: bulk: %w", err)
	}
	return nil
}

// DeleteCase implements search.Index, by _delete_by_query on case_id.
func (x *Index) DeleteCase(ctx context.Context, caseID string) error {
	body := map[string]any{"query": map[string]any{"term": map[string]any{"case_id": caseID}}}
	b, err := do(x, ctx, "delete by query", x.es.DeleteByQuery.WithContext, func(o ...func(*esapi.DeleteByQueryRequest)) (*esapi.Response, error) {
		o = append(o, x.es.DeleteByQuery.WithConflicts("proceed"), x.es.DeleteByQuery.WithRefresh(x.cfg.Refresh))
		return x.es.DeleteByQuery([]string{x.readIndex()}, jsonBody(body), o...)
	})
	if err != nil {
		return err
	}
	var r struct {
		Failures []json.RawMessage `json:"failures"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("elastic: delete by query answer: %w", err)
	}
	if len(r.Failures) > 0 {
		return fmt.Errorf("elastic: delete by query: %d failures, the first %s", len(r.Failures), r.Failures[0])
	}
	return nil
}

// searchBody is the query of q: a bool of filters, sorted by at then
// key, continued after q.After.
func searchBody(q *search.Query) map[string]any {
	var filter []any
	term := func(field, v string) {
		if v != "" {
			filter = append(filter, map[string]any{"term": map[string]any{field: v}})
		}
	}
	term("users", q.User)
	term("space", q.Space)
	term("categories", q.Category)
	term("action", q.Action)
	term("rules", q.Rule)
	if len(q.Kinds) > 0 {
		filter = append(filter, map[string]any{"terms": map[string]any{"kind": q.Kinds}})
	}
	if len(q.Queues) > 0 {
		filter = append(filter, map[string]any{"terms": map[string]any{"queue": q.Queues}})
	}
	if !q.From.IsZero() || !q.To.IsZero() {
		r := map[string]any{}
		if !q.From.IsZero() {
			r["gte"] = search.Truncate(q.From).UnixMilli()
		}
		if !q.To.IsZero() {
			r["lt"] = search.Truncate(q.To).UnixMilli()
		}
		filter = append(filter, map[string]any{"range": map[string]any{"at": r}})
	}
	for _, t := range search.Terms(q.Text) {
		op := "term"
		if t.Prefix {
			op = "prefix"
		}
		filter = append(filter, map[string]any{op: map[string]any{"terms": t.Value}})
	}
	body := map[string]any{
		"size":             q.Limit + 1,
		"query":            map[string]any{"bool": map[string]any{"filter": nonNilAny(filter)}},
		"sort":             []any{map[string]any{"at": "desc"}, map[string]any{"key": "desc"}},
		"track_total_hits": false,
	}
	if q.After != nil {
		body["search_after"] = []any{search.Truncate(q.After.At).UnixMilli(), q.After.Key}
	}
	return body
}

func nonNilAny(v []any) []any {
	if v == nil {
		return []any{}
	}
	return v
}

// searchResponse is the part of _search's answer read.
type searchResponse struct {
	Hits struct {
		Hits []struct {
			ID     string `json:"_id"`
			Source esDoc  `json:"_source"`
		} `json:"hits"`
	} `json:"hits"`
}

// Search implements search.Index.
func (x *Index) Search(ctx context.Context, q search.Query) (*search.Page, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	b, err := do(x, ctx, "search", x.es.Search.WithContext, func(o ...func(*esapi.SearchRequest)) (*esapi.Response, error) {
		return x.es.Search(append(o, x.es.Search.WithIndex(x.readIndex()), x.es.Search.WithBody(jsonBody(searchBody(&q))))...)
	})
	if err != nil {
		return nil, err
	}
	return readPage(b, &q)
}

// readPage reads a _search answer into a page of at most q.Limit hits.
func readPage(b []byte, q *search.Query) (*search.Page, error) {
	var r searchResponse
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("elastic: search answer: %w", err)
	}
	terms := search.Terms(q.Text)
	page := &search.Page{}
	for _, h := range r.Hits.Hits {
		d := h.Source.doc()
		if d.Key() != h.ID {
			return nil, fmt.Errorf("elastic: search answer: document %s holds %s", h.ID, d.Key())
		}
		hit := search.Hit{Doc: d, Snippet: search.Snippet(d.Text, terms)}
		hit.Text = ""
		page.Hits = append(page.Hits, hit)
	}
	if len(page.Hits) > q.Limit {
		page.Hits = page.Hits[:q.Limit]
		last := page.Hits[q.Limit-1]
		page.Next = &search.Cursor{At: last.At, Key: last.Key()}
	}
	return page, nil
}

// BeginRebuild implements search.Rebuilder: a new concrete index, which
// commit puts behind both aliases in one atomic _aliases call before
// deleting the indexes they named.
func (x *Index) BeginRebuild(ctx context.Context) (search.Index, func(context.Context) error, error) {
	name := x.newIndexName()
	if _, err := do(x, ctx, "create index", x.es.Indices.Create.WithContext, func(o ...func(*esapi.IndicesCreateRequest)) (*esapi.Response, error) {
		return x.es.Indices.Create(name, o...)
	}); err != nil {
		return nil, nil, err
	}
	fresh := &Index{cfg: x.cfg, es: x.es, target: name}
	commit := func(ctx context.Context) error {
		old, err := x.aliasIndexes(ctx)
		if err != nil {
			return err
		}
		actions := []any{
			map[string]any{"add": map[string]any{"index": name, "alias": x.cfg.Name}},
			map[string]any{"add": map[string]any{"index": name, "alias": x.writeAlias(), "is_write_index": true}},
		}
		for _, o := range old {
			if o != name {
				actions = append(actions, map[string]any{"remove": map[string]any{"index": o, "alias": x.cfg.Name}},
					map[string]any{"remove": map[string]any{"index": o, "alias": x.writeAlias()}})
			}
		}
		if _, err := do(x, ctx, "swap aliases", x.es.Indices.UpdateAliases.WithContext, func(o ...func(*esapi.IndicesUpdateAliasesRequest)) (*esapi.Response, error) {
			return x.es.Indices.UpdateAliases(jsonBody(map[string]any{"actions": actions}), o...)
		}); err != nil {
			return err
		}
		old = slices.DeleteFunc(old, func(o string) bool { return o == name })
		if len(old) == 0 {
			return nil
		}
		_, err = do(x, ctx, "delete old index", x.es.Indices.Delete.WithContext, func(o ...func(*esapi.IndicesDeleteRequest)) (*esapi.Response, error) {
			return x.es.Indices.Delete(old, o...)
		})
		return err
	}
	return fresh, commit, nil
}

// aliasIndexes lists the concrete indexes behind the read alias.
func (x *Index) aliasIndexes(ctx context.Context) ([]string, error) {
	b, err := do(x, ctx, "get alias", x.es.Indices.GetAlias.WithContext, func(o ...func(*esapi.IndicesGetAliasRequest)) (*esapi.Response, error) {
		return x.es.Indices.GetAlias(append(o, x.es.Indices.GetAlias.WithName(x.cfg.Name))...)
	})
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("elastic: alias answer: %w", err)
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out, nil
}
