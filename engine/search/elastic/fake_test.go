package elastic

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeES is an in-test server speaking the subset of Elasticsearch 8's
// API that the backend uses: index templates, index creation and
// deletion, aliases, _bulk, _search with bool filters of term, terms,
// prefix and range, sort and search_after, and _delete_by_query on a
// term. Fixed answers are the recorded bodies of testdata; answers that
// depend on the documents are built in the same shape. Anything else,
// including a query clause or document field it does not know, is
// refused as Elasticsearch refuses it, so that the backend cannot drift
// from what was tested without a test failing.
type fakeES struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	templates map[string]json.RawMessage
	indices   map[string]map[string]esDoc // index → id → document
	aliases   map[string]map[string]bool  // alias → index → is write index
	rejects   int                         // _bulk requests still to refuse whole (429)
	script    [][]byte                    // _bulk answers to give as they are, first first
	bulks     [][]string                  // the ids of each _bulk request received
	requests  []string                    // method and path of each request
}

func newFakeES(t *testing.T) *fakeES {
	f := &fakeES{t: t, templates: map[string]json.RawMessage{}, indices: map[string]map[string]esDoc{}, aliases: map[string]map[string]bool{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// recorded returns a testdata body with its placeholders replaced.
func recorded(t *testing.T, name string, replace ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.NewReplacer(replace...).Replace(string(b)))
}

func (f *fakeES) answer(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

func (f *fakeES) answerJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		f.t.Error(err)
	}
	f.answer(w, http.StatusOK, b)
}

func (f *fakeES) fail(w http.ResponseWriter, status int, typ, reason string) {
	f.answerJSON2(w, status, map[string]any{"error": map[string]any{"root_cause": []any{map[string]any{"type": typ, "reason": reason}}, "type": typ, "reason": reason}, "status": status})
}

func (f *fakeES) answerJSON2(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	f.answer(w, status, b)
}

// resolve names the indexes an index or alias name stands for; write
// asks for the alias's write index only.
func (f *fakeES) resolve(name string, write bool) ([]string, bool) {
	if _, ok := f.indices[name]; ok {
		return []string{name}, true
	}
	m, ok := f.aliases[name]
	if !ok || len(m) == 0 {
		return nil, false
	}
	var out []string
	for idx, isWrite := range m {
		if !write || isWrite || len(m) == 1 {
			out = append(out, idx)
		}
	}
	slices.Sort(out)
	return out, len(out) > 0
}

func (f *fakeES) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	body, _ := io.ReadAll(r.Body)
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == http.MethodPut && len(parts) == 2 && parts[0] == "_index_template":
		f.templates[parts[1]] = body
		f.answer(w, 200, recorded(f.t, "ack.json"))
	case r.Method == http.MethodHead && len(parts) == 2 && parts[0] == "_alias":
		if _, ok := f.aliases[parts[1]]; ok {
			f.answer(w, 200, nil)
		} else {
			f.answer(w, 404, nil)
		}
	case r.Method == http.MethodGet && len(parts) == 2 && parts[0] == "_alias":
		out := map[string]any{}
		for idx, isWrite := range f.aliases[parts[1]] {
			a := map[string]any{}
			if isWrite {
				a["is_write_index"] = true
			}
			out[idx] = map[string]any{"aliases": map[string]any{parts[1]: a}}
		}
		f.answerJSON(w, out)
	case r.Method == http.MethodPost && len(parts) == 1 && parts[0] == "_aliases":
		f.updateAliases(w, body)
	case (r.Method == http.MethodPost || r.Method == http.MethodPut) && len(parts) == 1 && parts[0] == "_bulk":
		f.bulk(w, r, body)
	case r.Method == http.MethodPost && len(parts) == 2 && parts[1] == "_search":
		f.search(w, parts[0], body)
	case r.Method == http.MethodPost && len(parts) == 2 && parts[1] == "_delete_by_query":
		f.deleteByQuery(w, parts[0], body)
	case r.Method == http.MethodPut && len(parts) == 1 && !strings.HasPrefix(parts[0], "_"):
		f.createIndex(w, parts[0], body)
	case r.Method == http.MethodDelete && len(parts) == 1:
		for _, idx := range strings.Split(parts[0], ",") {
			if _, ok := f.indices[idx]; !ok {
				f.fail(w, 404, "index_not_found_exception", "no such index ["+idx+"]")
				return
			}
		}
		for _, idx := range strings.Split(parts[0], ",") {
			delete(f.indices, idx)
			for _, m := range f.aliases {
				delete(m, idx)
			}
		}
		f.answer(w, 200, recorded(f.t, "ack.json"))
	default:
		f.fail(w, 405, "illegal_argument_exception", "no handler for "+r.Method+" "+r.URL.Path)
	}
}

func (f *fakeES) createIndex(w http.ResponseWriter, name string, body []byte) {
	if _, ok := f.indices[name]; ok {
		f.answer(w, 400, recorded(f.t, "already_exists.json", "INDEX", name))
		return
	}
	var req struct {
		Aliases map[string]struct {
			IsWriteIndex bool `json:"is_write_index"`
		} `json:"aliases"`
	}
	if len(body) > 0 {
		if err := strictJSON(body, &req); err != nil {
			f.fail(w, 400, "x_content_parse_exception", err.Error())
			return
		}
	}
	f.indices[name] = map[string]esDoc{}
	for a, o := range req.Aliases {
		if f.aliases[a] == nil {
			f.aliases[a] = map[string]bool{}
		}
		f.aliases[a][name] = o.IsWriteIndex
	}
	f.answer(w, 200, recorded(f.t, "create_index.json", "INDEX", name))
}

func (f *fakeES) updateAliases(w http.ResponseWriter, body []byte) {
	var req struct {
		Actions []map[string]struct {
			Index        string `json:"index"`
			Alias        string `json:"alias"`
			IsWriteIndex bool   `json:"is_write_index"`
		} `json:"actions"`
	}
	if err := strictJSON(body, &req); err != nil {
		f.fail(w, 400, "x_content_parse_exception", err.Error())
		return
	}
	// All or nothing, as Elasticsearch applies them.
	next := map[string]map[string]bool{}
	for a, m := range f.aliases {
		next[a] = map[string]bool{}
		for k, v := range m {
			next[a][k] = v
		}
	}
	for _, act := range req.Actions {
		for op, a := range act {
			if _, ok := f.indices[a.Index]; !ok {
				f.fail(w, 404, "index_not_found_exception", "no such index ["+a.Index+"]")
				return
			}
			switch op {
			case "add":
				if next[a.Alias] == nil {
					next[a.Alias] = map[string]bool{}
				}
				next[a.Alias][a.Index] = a.IsWriteIndex
			case "remove":
				delete(next[a.Alias], a.Index)
			default:
				f.fail(w, 400, "x_content_parse_exception", "unknown action "+op)
				return
			}
		}
	}
	f.aliases = next
	f.answer(w, 200, recorded(f.t, "ack.json"))
}

// docFields are the fields the strict mapping knows.
var docFields = []string{"key", "kind", "id", "at", "users", "space", "categories", "action", "rules", "queue", "case_id", "text", "terms"}

func (f *fakeES) bulk(w http.ResponseWriter, r *http.Request, body []byte) {
	if f.rejects > 0 {
		f.rejects--
		f.bulks = append(f.bulks, nil)
		f.answer(w, 429, recorded(f.t, "bulk_rejected.json"))
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 64<<20)
	var items []any
	var ids []string
	hasErrors := false
	for sc.Scan() {
		var action map[string]struct {
			Index string `json:"_index"`
			ID    string `json:"_id"`
		}
		if err := strictJSON(sc.Bytes(), &action); err != nil || len(action) != 1 {
			f.fail(w, 400, "illegal_argument_exception", fmt.Sprintf("malformed action/metadata line: %v", err))
			return
		}
		for op, meta := range action {
			ids = append(ids, meta.ID)
			var source []byte
			if op == "index" {
				if !sc.Scan() {
					f.fail(w, 400, "illegal_argument_exception", "the bulk request must be terminated by a newline")
					return
				}
				source = slices.Clone(sc.Bytes())
			} else if op != "delete" {
				f.fail(w, 400, "illegal_argument_exception", "unknown action ["+op+"]")
				return
			}
			targets, ok := f.resolve(meta.Index, true)
			if !ok {
				f.fail(w, 404, "index_not_found_exception", "no such index ["+meta.Index+"]")
				return
			}
			idx := targets[0]
			item := map[string]any{"_index": idx, "_id": meta.ID}
			switch {
			case op == "delete":
				if _, ok := f.indices[idx][meta.ID]; ok {
					delete(f.indices[idx], meta.ID)
					item["status"], item["result"] = 200, "deleted"
				} else {
					item["status"], item["result"] = 404, "not_found"
				}
			default:
				var raw map[string]json.RawMessage
				json.Unmarshal(source, &raw)
				var d esDoc
				var unknown string
				for k := range raw {
					if !slices.Contains(docFields, k) {
						unknown = k
					}
				}
				if err := json.Unmarshal(source, &d); err != nil || unknown != "" {
					item["status"] = 400
					item["error"] = map[string]any{"type": "strict_dynamic_mapping_exception", "reason": fmt.Sprintf("[1:1] mapping set to strict, dynamic introduction of [%s] within [_doc] is not allowed", unknown)}
					hasErrors = true
					break
				}
				_, existed := f.indices[idx][meta.ID]
				f.indices[idx][meta.ID] = d
				item["status"], item["result"] = 201, "created"
				if existed {
					item["status"], item["result"] = 200, "updated"
				}
			}
			items = append(items, map[string]any{op: item})
		}
	}
	f.bulks = append(f.bulks, ids)
	if len(f.script) > 0 {
		b := f.script[0]
		f.script = f.script[1:]
		f.answer(w, 200, b)
		return
	}
	f.answerJSON(w, map[string]any{"took": 1, "errors": hasErrors, "items": items})
}

// query is the subset of the query DSL the fake understands.
type query struct {
	Size           int                 `json:"size"`
	Query          *json.RawMessage    `json:"query"`
	Sort           []map[string]string `json:"sort"`
	SearchAfter    []json.RawMessage   `json:"search_after"`
	TrackTotalHits *bool               `json:"track_total_hits"`
}

// matcher reads one filter clause.
func matcher(clause map[string]map[string]json.RawMessage) (func(*esDoc) bool, error) {
	if len(clause) != 1 {
		return nil, fmt.Errorf("a clause with %d keys", len(clause))
	}
	for op, fields := range clause {
		if len(fields) != 1 {
			return nil, fmt.Errorf("[%s] on %d fields", op, len(fields))
		}
		for field, raw := range fields {
			if !slices.Contains(docFields, field) {
				return nil, fmt.Errorf("unknown field [%s]", field)
			}
			switch op {
			case "term", "prefix":
				var v string
				if err := json.Unmarshal(raw, &v); err != nil {
					return nil, err
				}
				return func(d *esDoc) bool {
					return slices.ContainsFunc(d.values(field), func(s string) bool {
						return s == v || (op == "prefix" && strings.HasPrefix(s, v))
					})
				}, nil
			case "terms":
				var vs []string
				if err := json.Unmarshal(raw, &vs); err != nil {
					return nil, err
				}
				return func(d *esDoc) bool {
					return slices.ContainsFunc(d.values(field), func(s string) bool { return slices.Contains(vs, s) })
				}, nil
			case "range":
				var rg map[string]int64
				if err := strictJSON(raw, &rg); err != nil || field != "at" {
					return nil, fmt.Errorf("range: %v", err)
				}
				return func(d *esDoc) bool {
					for k, v := range rg {
						if (k == "gte" && d.At < v) || (k == "lt" && d.At >= v) || (k != "gte" && k != "lt") {
							return false
						}
					}
					return true
				}, nil
			}
			return nil, fmt.Errorf("unknown query [%s]", op)
		}
	}
	return nil, nil
}

// values are a document's values of a keyword field.
func (d *esDoc) values(field string) []string {
	switch field {
	case "users":
		return d.Users
	case "categories":
		return d.Categories
	case "rules":
		return d.Rules
	case "terms":
		return d.Terms
	}
	m := map[string]string{"key": d.Key, "kind": d.Kind, "id": d.ID, "space": d.Space, "action": d.Action, "queue": d.Queue, "case_id": d.CaseID}
	return []string{m[field]}
}

// filters reads {"bool":{"filter":[…]}} or {"term":…}.
func filters(raw json.RawMessage) ([]func(*esDoc) bool, error) {
	var b struct {
		Bool *struct {
			Filter []map[string]map[string]json.RawMessage `json:"filter"`
		} `json:"bool"`
	}
	if err := strictJSON(raw, &b); err == nil && b.Bool != nil {
		var out []func(*esDoc) bool
		for _, c := range b.Bool.Filter {
			m, err := matcher(c)
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		}
		return out, nil
	}
	var c map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	m, err := matcher(c)
	return []func(*esDoc) bool{m}, err
}

func (f *fakeES) matching(index string, raw json.RawMessage) ([]esDoc, []string, error) {
	fs, err := filters(raw)
	if err != nil {
		return nil, nil, err
	}
	targets, ok := f.resolve(index, false)
	if !ok {
		return nil, nil, fmt.Errorf("no such index [%s]", index)
	}
	var out []esDoc
	var where []string
	for _, idx := range targets {
		for _, d := range f.indices[idx] {
			if !slices.ContainsFunc(fs, func(m func(*esDoc) bool) bool { return !m(&d) }) {
				out = append(out, d)
				where = append(where, idx)
			}
		}
	}
	return out, where, nil
}

func (f *fakeES) search(w http.ResponseWriter, index string, body []byte) {
	var q query
	if err := strictJSON(body, &q); err != nil || q.Query == nil {
		f.answer(w, 400, recorded(f.t, "parsing_exception.json", "QUERY", fmt.Sprint(err)))
		return
	}
	if !slices.EqualFunc(q.Sort, []map[string]string{{"at": "desc"}, {"key": "desc"}}, func(a, b map[string]string) bool { return fmt.Sprint(a) == fmt.Sprint(b) }) {
		f.fail(w, 400, "illegal_argument_exception", "the fake sorts only by at then key, descending")
		return
	}
	docs, where, err := f.matching(index, *q.Query)
	if err != nil {
		f.answer(w, 400, recorded(f.t, "parsing_exception.json", "QUERY", err.Error()))
		return
	}
	type hit struct {
		d   esDoc
		idx string
	}
	hits := make([]hit, len(docs))
	for i := range docs {
		hits[i] = hit{docs[i], where[i]}
	}
	slices.SortFunc(hits, func(a, b hit) int { return cmp.Or(cmp.Compare(b.d.At, a.d.At), strings.Compare(b.d.Key, a.d.Key)) })
	if len(q.SearchAfter) > 0 {
		if len(q.SearchAfter) != 2 {
			f.fail(w, 400, "illegal_argument_exception", "search_after has 2 sort fields")
			return
		}
		var at int64
		var key string
		if json.Unmarshal(q.SearchAfter[0], &at) != nil || json.Unmarshal(q.SearchAfter[1], &key) != nil {
			f.fail(w, 400, "illegal_argument_exception", "search_after values do not match the sort")
			return
		}
		hits = slices.DeleteFunc(hits, func(h hit) bool { return h.d.At > at || (h.d.At == at && h.d.Key >= key) })
	}
	if q.Size < len(hits) {
		hits = hits[:q.Size]
	}
	out := []any{}
	for _, h := range hits {
		out = append(out, map[string]any{"_index": h.idx, "_id": h.d.Key, "_score": nil, "_source": h.d, "sort": []any{h.d.At, h.d.Key}})
	}
	f.answerJSON(w, map[string]any{"took": 1, "timed_out": false, "_shards": map[string]int{"total": 1, "successful": 1, "skipped": 0, "failed": 0},
		"hits": map[string]any{"max_score": nil, "hits": out}})
}

func (f *fakeES) deleteByQuery(w http.ResponseWriter, index string, body []byte) {
	var q struct {
		Query json.RawMessage `json:"query"`
	}
	if err := strictJSON(body, &q); err != nil {
		f.answer(w, 400, recorded(f.t, "parsing_exception.json", "QUERY", err.Error()))
		return
	}
	docs, where, err := f.matching(index, q.Query)
	if err != nil {
		f.answer(w, 400, recorded(f.t, "parsing_exception.json", "QUERY", err.Error()))
		return
	}
	for i, d := range docs {
		delete(f.indices[where[i]], d.Key)
	}
	f.answer(w, 200, recorded(f.t, "delete_by_query.json", "DELETED", strconv.Itoa(len(docs))))
}

// strictJSON decodes refusing unknown fields, as Elasticsearch's
// parsers refuse unknown keys.
func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
