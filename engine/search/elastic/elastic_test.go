package elastic

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/search"
	"github.com/haechi-tns/haechi/engine/search/searchtest"
	"github.com/haechi-tns/haechi/internal/backoff"
)

// fastRetry retries at once, so that tests of retries take no time.
var fastRetry = backoff.Policy{Initial: time.Microsecond, Max: time.Millisecond, Attempts: 5}

func newIndex(t *testing.T, f *fakeES, now time.Time) *Index {
	t.Helper()
	x, err := New(context.Background(), Config{URL: f.srv.URL, Name: "haechi-search", Retry: fastRetry, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// TestElasticsearchKeepsTheContract: the same documents and queries as
// the store's own index, through _bulk, _search with search_after and
// _delete_by_query.
func TestElasticsearchKeepsTheContract(t *testing.T) {
	f := newFakeES(t)
	x := newIndex(t, f, searchtest.T0)
	if _, ok := f.templates["haechi-search-template"]; !ok {
		t.Fatal("no index template")
	}
	if got := f.aliases["haechi-search"]; len(got) != 1 {
		t.Fatalf("read alias %v", got)
	}
	if got := f.aliases["haechi-search-write"]["haechi-search-1795338000000"]; !got {
		t.Fatalf("write alias %v", f.aliases["haechi-search-write"])
	}
	searchtest.Run(t, x)

	// A second process finds the aliases and creates nothing.
	before := len(f.indices)
	newIndex(t, f, searchtest.T0.Add(time.Hour))
	if len(f.indices) != before {
		t.Errorf("a second start created an index")
	}
}

// TestBulkRetriesRejections: a _bulk refused whole with 429 (recorded
// es_rejected_execution_exception) is sent again after a wait until it
// passes, and gives up after the policy's attempts.
func TestBulkRetriesRejections(t *testing.T) {
	f := newFakeES(t)
	x := newIndex(t, f, searchtest.T0)
	f.rejects = 2
	docs := searchtest.Docs()[:3]
	if err := x.Put(context.Background(), docs); err != nil {
		t.Fatal(err)
	}
	if len(f.bulks) != 3 {
		t.Errorf("%d bulk requests, want 2 refused and 1 accepted", len(f.bulks))
	}
	if got := searchtest.All(t, x, search.Query{}, 10); len(got) != 3 {
		t.Errorf("indexed %v", got)
	}

	f.rejects = 100
	err := x.Put(context.Background(), docs)
	var ee *Error
	if !errors.As(err, &ee) || ee.Status != 429 || ee.Type != "es_rejected_execution_exception" {
		t.Errorf("after the attempts: %v", err)
	}
	if f.rejects != 100-fastRetry.Attempts {
		t.Errorf("%d attempts, want %d", 100-f.rejects, fastRetry.Attempts)
	}
}

// TestPartialBulkFailure: of a _bulk whose answer (recorded) refuses one
// item for now (429) and one for good (400), only the first is sent
// again, and Put names the second.
func TestPartialBulkFailure(t *testing.T) {
	f := newFakeES(t)
	x := newIndex(t, f, searchtest.T0)
	f.script = [][]byte{recorded(t, "bulk_partial.json")}
	var docs []search.Doc
	for _, id := range []string{"p-1", "p-2", "p-3"} {
		docs = append(docs, search.Doc{Ref: search.Ref{Kind: search.KindDecision, ID: id}, At: searchtest.T0, Users: []string{"u"}})
	}
	err := x.Put(context.Background(), docs)
	var be *BulkError
	if !errors.As(err, &be) || len(be.Failed) != 1 || be.Failed["decision:p-3"] == nil || be.Failed["decision:p-3"].Type != "document_parsing_exception" {
		t.Fatalf("Put: %v", err)
	}
	if len(f.bulks) != 2 || !slices.Equal(f.bulks[1], []string{"decision:p-2"}) {
		t.Errorf("bulk requests %v: want the three, then p-2 alone", f.bulks)
	}
	if !strings.Contains(err.Error(), "decision:p-3") {
		t.Errorf("error %q does not name the document", err)
	}
}

// TestMappingMatchesDocuments: the template's strict mapping maps every
// field a document has, and no other.
func TestMappingMatchesDocuments(t *testing.T) {
	for _, field := range docFields {
		props := mapping["properties"].(map[string]any)
		if _, ok := props[field]; !ok {
			t.Errorf("field %s has no mapping", field)
		}
	}
	if n := len(mapping["properties"].(map[string]any)); n != len(docFields) {
		t.Errorf("%d mapped fields, %d document fields", n, len(docFields))
	}
}

// TestRecordedSearchAnswer: a recorded _search answer is read into hits
// with masked snippets and the cursor of the next page.
func TestRecordedSearchAnswer(t *testing.T) {
	q := search.Query{Text: "입금", Limit: 1}
	p, err := readPage(recorded(t, "search.json"), &q)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Hits) != 1 || p.Hits[0].Key() != "case:c-9" || !strings.Contains(p.Hits[0].Snippet, "⟦phone⟧") || p.Hits[0].Text != "" ||
		!p.Hits[0].At.Equal(time.UnixMilli(1764000120000)) {
		t.Errorf("hits %+v", p.Hits)
	}
	if p.Next == nil || p.Next.Key != "case:c-9" {
		t.Errorf("next %+v", p.Next)
	}
}

// TestSearchErrorsAreNotRetried: a query Elasticsearch cannot parse is
// answered at once with its type and reason.
func TestSearchErrorsAreNotRetried(t *testing.T) {
	f := newFakeES(t)
	x := newIndex(t, f, searchtest.T0)
	x.cfg.Name = "missing"
	n := len(f.requests)
	_, err := x.Search(context.Background(), search.Query{})
	var ee *Error
	if !errors.As(err, &ee) || ee.Status != 400 || ee.Type != "parsing_exception" {
		t.Errorf("search of a missing index: %v", err)
	}
	if len(f.requests)-n != 1 {
		t.Errorf("%d requests, want 1", len(f.requests)-n)
	}
}

// memFeed is a store of documents for Rebuild.
type memFeed struct{ docs []search.Doc }

func (m *memFeed) Changes(context.Context, string, string, time.Duration, int) (*search.Batch, error) {
	return &search.Batch{}, nil
}
func (m *memFeed) Ack(context.Context, string, string, *search.Batch) error { return nil }
func (m *memFeed) Head(context.Context) (search.Position, error) {
	return search.Position{Seq: 42}, nil
}
func (m *memFeed) SetPosition(context.Context, string, search.Position) error { return nil }
func (m *memFeed) CountRefs(context.Context) (int, error)                     { return len(m.docs), nil }
func (m *memFeed) Refs(_ context.Context, k search.Kind, after string, limit int) ([]search.Ref, error) {
	var out []search.Ref
	for _, d := range m.docs {
		if d.Kind == k && d.ID > after && len(out) < limit {
			out = append(out, d.Ref)
		}
	}
	slices.SortFunc(out, func(a, b search.Ref) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}
func (m *memFeed) Docs(_ context.Context, _ *search.Masker, refs []search.Ref) ([]search.Doc, []search.Ref, error) {
	var out []search.Doc
	for _, d := range m.docs {
		if slices.Contains(refs, d.Ref) {
			out = append(out, d)
		}
	}
	return out, nil, nil
}

// TestRebuildSwapsAliases: a rebuild fills a new index while searches
// still read the old one, then moves both aliases in one call and
// deletes the old index.
func TestRebuildSwapsAliases(t *testing.T) {
	f := newFakeES(t)
	x := newIndex(t, f, searchtest.T0)
	ctx := context.Background()
	stale := search.Doc{Ref: search.Ref{Kind: search.KindDecision, ID: "gone"}, At: searchtest.T0, Users: []string{"alice"}}
	if err := x.Put(ctx, []search.Doc{stale}); err != nil {
		t.Fatal(err)
	}
	feed := &memFeed{docs: searchtest.Docs()}
	var seen []int
	x.cfg.Now = func() time.Time { return searchtest.T0.Add(time.Hour) }
	err := search.Rebuild(ctx, feed, x, search.NewMasker(nopDetector{}), "elasticsearch", func(done, total int) {
		seen = append(seen, done)
		// Searches read the old index until the rebuild commits.
		if got := searchtest.All(t, x, search.Query{User: "alice", Kinds: []search.Kind{search.KindDecision}}, 10); !slices.Contains(got, "decision:gone") {
			t.Errorf("while rebuilding, alice's decisions: %v", got)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) < 2 || seen[len(seen)-1] != len(feed.docs) {
		t.Errorf("progress %v", seen)
	}
	if got := searchtest.All(t, x, search.Query{User: "alice", Kinds: []search.Kind{search.KindDecision}}, 10); !slices.Equal(got, []string{"decision:d-3", "decision:d-1"}) {
		t.Errorf("after the rebuild: %v", got)
	}
	if len(f.indices) != 1 || f.indices["haechi-search-1795341600000"] == nil {
		t.Errorf("indices %v", slices.Collect(maps.Keys(f.indices)))
	}
	if !f.aliases["haechi-search-write"]["haechi-search-1795341600000"] {
		t.Errorf("write alias %v", f.aliases["haechi-search-write"])
	}
}

type nopDetector struct{}

func (nopDetector) AppendDetect(dst []engine.PIISpan, _ string) []engine.PIISpan { return dst }
