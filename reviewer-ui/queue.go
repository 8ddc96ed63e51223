package reviewerui

import (
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
)

// ageFilters are the ages a queue can be filtered by (?age=), oldest
// first; each is a message key filter.age.<name>.
var ageFilters = []ageFilter{
	{"3d", 72 * time.Hour},
	{"1d", 24 * time.Hour},
	{"4h", 4 * time.Hour},
	{"1h", time.Hour},
}

type ageFilter struct {
	Name string
	Age  time.Duration
}

// sources are the case sources a queue can be filtered by.
var sources = []string{store.SourceDecision, store.SourceReport, store.SourceAppeal}

// allCategories are the categories a case may hold, in the taxonomy's
// order: the text categories, the overall abuse score, personal
// information, the image categories, then the report-only ones.
var allCategories = slices.Concat(engine.TextCategories,
	[]engine.Category{engine.Toxic, engine.PIICategory, engine.Nudity, engine.Suggestive, engine.HashMatchC, engine.Grooming, engine.Minors, engine.Other})

// queueFilter is a queue page's filters, as the URL's query holds them.
type queueFilter struct {
	Space    string
	Category string
	Source   string
	Age      string
	After    string // the cursor of the page's start
}

// parseQueueFilter reads the filters of a queue page; an unknown value
// is an error rather than silently ignored.
func parseQueueFilter(q url.Values) (queueFilter, store.CaseFilter, bool) {
	f := queueFilter{Space: q.Get("space"), Category: q.Get("category"), Source: q.Get("source"), Age: q.Get("age"), After: q.Get("after")}
	var sf store.CaseFilter
	if f.Space != "" && !slices.Contains(engine.SpaceTypes, engine.SpaceType(f.Space)) {
		return f, sf, false
	}
	if f.Category != "" && !slices.Contains(allCategories, engine.Category(f.Category)) {
		return f, sf, false
	}
	if f.Source != "" && !slices.Contains(sources, f.Source) {
		return f, sf, false
	}
	sf.SpaceType, sf.Category, sf.Source = f.Space, engine.Category(f.Category), f.Source
	if f.Age != "" {
		i := slices.IndexFunc(ageFilters, func(a ageFilter) bool { return a.Name == f.Age })
		if i < 0 {
			return f, sf, false
		}
		sf.OlderThan = ageFilters[i].Age
	}
	if f.After != "" {
		cur, err := store.ParseCaseCursor(f.After)
		if err != nil {
			return f, sf, false
		}
		sf.After = &cur
	}
	return f, sf, true
}

// query encodes the filters, with the page start after (none when empty).
func (f queueFilter) query(after string) string {
	v := url.Values{}
	for k, val := range map[string]string{"space": f.Space, "category": f.Category, "source": f.Source, "age": f.Age, "after": after} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// queueData is a queue page's data.
type queueData struct {
	Queue   string
	Filter  queueFilter
	Cases   []*store.Case
	Me      string // the reviewer's id, to mark the cases they hold
	NextURL string // the next page, or empty
	// FirstURL is the first page with the same filters, when this is not
	// it.
	FirstURL string
	RowsURL  string // this page's rows, which htmx reloads
	// BulkURL is the bulk action on the same filters, where the queue
	// allows it (store.BulkQueues).
	BulkURL string
	filterChoices
}

// filterChoices are the values a queue's filters offer (the
// filter_fields partial), on the queue page and the bulk page alike.
type filterChoices struct {
	Spaces     []engine.SpaceType
	Categories []engine.Category
	Sources    []string
	Ages       []string
}

func newFilterChoices() filterChoices {
	fc := filterChoices{Spaces: engine.SpaceTypes, Categories: allCategories, Sources: sources}
	for _, a := range ageFilters {
		fc.Ages = append(fc.Ages, a.Name)
	}
	return fc
}

// queuePage lists a queue's open cases in the order they are claimed,
// with filters kept in the URL and a page at a time.
func (s *Server) queuePage(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	d, status, ok := s.queueData(w, r, rc)
	if !ok {
		return
	}
	s.render(w, r, status, "queue", s.newView(r, rc, "queue.title", d))
}

// queueRows renders only the rows of a queue page, for htmx to swap in
// every few seconds.
func (s *Server) queueRows(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	d, status, ok := s.queueData(w, r, rc)
	if !ok {
		return
	}
	s.execute(w, r, status, "queue", "queue_rows", s.newView(r, rc, "queue.title", d))
}

// queueData reads a queue page's cases; it answers the request itself
// (and returns false) when it cannot.
func (s *Server) queueData(w http.ResponseWriter, r *http.Request, rc *reqContext) (*queueData, int, bool) {
	queue := r.PathValue("queue")
	if _, known := store.QueueRole[queue]; !known {
		s.fail(w, r, rc, http.StatusNotFound, "error.not_found")
		return nil, 0, false
	}
	if !canWork(rc.Account, queue) {
		s.deny(w, r, rc, "queue_role", "queue:"+queue)
		return nil, 0, false
	}
	f, sf, ok := parseQueueFilter(r.URL.Query())
	if !ok {
		s.fail(w, r, rc, http.StatusBadRequest, "error.bad_filter")
		return nil, 0, false
	}
	sf.Queue, sf.Now, sf.Limit = queue, s.cfg.Now(), s.cfg.PageSize
	page, err := s.cfg.Store.ListCases(r.Context(), sf)
	if err != nil {
		s.internalError(w, r, rc, err)
		return nil, 0, false
	}
	base := basePath + "queues/" + url.PathEscape(queue)
	d := &queueData{Queue: queue, Filter: f, Cases: page.Cases, Me: rc.Account.ID,
		RowsURL: base + "/rows" + f.query(f.After), filterChoices: newFilterChoices()}
	if slices.Contains(store.BulkQueues, queue) {
		d.BulkURL = base + "/bulk" + f.query("")
	}
	if page.Next != nil {
		d.NextURL = base + f.query(page.Next.String())
	}
	if f.After != "" {
		d.FirstURL = base + f.query("")
	}
	return d, http.StatusOK, true
}
