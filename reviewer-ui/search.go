package reviewerui

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/haechi-tns/haechi/engine/search"
	"github.com/haechi-tns/haechi/engine/store"
)

// The search page finds decisions, cases, reports, appeals and audit
// entries (engine/search) by the filters in its URL, newest first, a
// page at a time. What a reviewer may find follows the role table:
// operators and administrators everything, the audit log included;
// everyone else the decisions, cases, reports and appeals of the queues
// they may work (store.QueueRole) and of no queue. Asking for more is a
// 403, audited. Text is masked before it is indexed: snippets show what
// was masked by its type, never its text, and a reveal stays on the case
// page with its reason and audit entry. Who reported is for operators
// only, as on the case page: others neither see reporters among a
// report's users nor may search by one (search.Reporter).

// searchKeys are the URL's keys; any other, or one given twice, is a
// 400 rather than silently ignored.
var searchKeys = []string{"text", "user", "space", "category", "action", "rule", "queue", "kind", "from", "to", "after", "lang"}

// searchKindLabels name each kind (full keys, so the catalogue test sees
// them used).
var searchKindLabels = map[search.Kind]string{
	search.KindDecision: "search.kind.decision",
	search.KindCase:     "search.kind.case",
	search.KindReport:   "search.kind.report",
	search.KindAppeal:   "search.kind.appeal",
	search.KindAudit:    "search.kind.audit",
}

// searchFilter is the page's filters as the URL holds them.
type searchFilter struct {
	Text, User, Space, Category, Action, Rule, Queue, Kind string
	From, To                                               string // auditTimeLayout, KST
	After                                                  string
}

// url is the page with the filters and the page cursor after (none when
// empty).
func (f searchFilter) url(after string) string {
	v := url.Values{}
	for k, val := range map[string]string{"text": f.Text, "user": f.User, "space": f.Space, "category": f.Category, "action": f.Action,
		"rule": f.Rule, "queue": f.Queue, "kind": f.Kind, "from": f.From, "to": f.To, "after": after} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if len(v) == 0 {
		return basePath + "search"
	}
	return basePath + "search?" + v.Encode()
}

// parseSearchFilter reads the URL strictly: known keys, each once, valid
// UTF-8, within the limits; the query's own checks (search.Query.Validate)
// follow.
func parseSearchFilter(raw string) (searchFilter, search.Query, bool) {
	var f searchFilter
	var q search.Query
	if len(raw) > 4096 {
		return f, q, false
	}
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return f, q, false
	}
	for k, vs := range vals {
		if !slices.Contains(searchKeys, k) || len(vs) != 1 || !utf8.ValidString(vs[0]) {
			return f, q, false
		}
	}
	f = searchFilter{Text: vals.Get("text"), User: vals.Get("user"), Space: vals.Get("space"), Category: vals.Get("category"),
		Action: vals.Get("action"), Rule: vals.Get("rule"), Queue: vals.Get("queue"), Kind: vals.Get("kind"),
		From: vals.Get("from"), To: vals.Get("to"), After: vals.Get("after")}
	q = search.Query{Text: strings.TrimSpace(f.Text), User: f.User, Space: f.Space, Category: f.Category, Action: f.Action, Rule: f.Rule}
	if f.Kind != "" {
		if !search.Kind(f.Kind).Valid() {
			return f, q, false
		}
		q.Kinds = []search.Kind{search.Kind(f.Kind)}
	}
	if f.Queue != "" {
		q.Queues = []string{f.Queue}
	}
	if !parseTimeFilters(f.From, f.To, &q.From, &q.To) {
		return f, q, false
	}
	if f.After != "" {
		c, err := search.ParseCursor(f.After)
		if err != nil {
			return f, q, false
		}
		q.After = c
	}
	return f, q, q.Validate() == nil
}

// searchScope is what a reviewer may find: nil for everything, else the
// kinds and queues ("" for none).
func searchScope(a *Account) (kinds []search.Kind, queues []string) {
	if canOperate(a) {
		return nil, nil
	}
	queues = []string{""}
	for _, q := range store.QueueOrder {
		if role, ok := store.QueueRole[q]; ok && a.Has(role) {
			queues = append(queues, q)
		}
	}
	return []search.Kind{search.KindDecision, search.KindCase, search.KindReport, search.KindAppeal}, queues
}

// searchOption is a choice of a select.
type searchOption struct {
	Value, Label string
	Selected     bool
}

// snippetPart is a run of a snippet: text, or what was masked there.
type snippetPart struct {
	Text   string
	Masked bool
}

// searchHit is one hit as the page shows it.
type searchHit struct {
	search.Hit
	KindLabel string
	// URL is the case page of a case, or of a report's or appeal's case.
	URL     string
	Snippet []snippetPart
}

// searchData is the search page's data.
type searchData struct {
	Filter            searchFilter
	Kinds, Queues     []searchOption
	Hits              []searchHit
	Invalid           bool
	NextURL, FirstURL string
}

// searchPage answers GET /ui/search.
func (s *Server) searchPage(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	if s.cfg.Search == nil {
		s.notFound(w, r, rc)
		return
	}
	f, q, ok := parseSearchFilter(r.URL.RawQuery)
	kinds, queues := searchScope(rc.Account)
	d := &searchData{Filter: f}
	for _, k := range search.Kinds {
		if kinds == nil || slices.Contains(kinds, k) {
			d.Kinds = append(d.Kinds, searchOption{Value: string(k), Label: s.msgs.text(rc.Lang, searchKindLabels[k]), Selected: f.Kind == string(k)})
		}
	}
	for _, qn := range store.QueueOrder {
		if queues == nil || slices.Contains(queues, qn) {
			d.Queues = append(d.Queues, searchOption{Value: qn, Label: s.msgs.text(rc.Lang, "queue."+qn), Selected: f.Queue == qn})
		}
	}
	if !ok {
		d.Invalid = true
		s.render(w, r, http.StatusBadRequest, "search", s.newView(r, rc, "search.title", d))
		return
	}
	switch {
	case kinds != nil && len(q.Kinds) == 1 && !slices.Contains(kinds, q.Kinds[0]),
		kinds != nil && strings.HasPrefix(q.User, search.ReporterPrefix):
		s.deny(w, r, rc, "ops_role", "page:search")
		return
	case queues != nil && len(q.Queues) == 1 && !slices.Contains(queues, q.Queues[0]):
		s.deny(w, r, rc, "queue_role", "queue:"+q.Queues[0])
		return
	}
	if len(q.Kinds) == 0 {
		q.Kinds = kinds
	}
	if len(q.Queues) == 0 {
		q.Queues = queues
	}
	page, err := s.cfg.Search.Search(r.Context(), q)
	if errors.Is(err, search.ErrInvalid) {
		d.Invalid = true
		s.render(w, r, http.StatusBadRequest, "search", s.newView(r, rc, "search.title", d))
		return
	}
	if err != nil {
		s.internalError(w, r, rc, err)
		return
	}
	for _, h := range page.Hits {
		if kinds != nil {
			// Reviewers other than operators never see who reported.
			h.Users = slices.DeleteFunc(h.Users, func(u string) bool { return strings.HasPrefix(u, search.ReporterPrefix) })
		}
		v := searchHit{Hit: h, KindLabel: s.msgs.text(rc.Lang, searchKindLabels[h.Kind]), Snippet: s.snippetParts(rc, h.Snippet)}
		switch {
		case h.Kind == search.KindCase:
			v.URL = casePath(h.ID)
		case (h.Kind == search.KindReport || h.Kind == search.KindAppeal) && h.CaseID != "":
			v.URL = casePath(h.CaseID)
		}
		d.Hits = append(d.Hits, v)
	}
	if page.Next != nil {
		d.NextURL = f.url(page.Next.String())
	}
	if f.After != "" {
		d.FirstURL = f.url("")
	}
	s.render(w, r, http.StatusOK, "search", s.newView(r, rc, "search.title", d))
}

// snippetParts splits a masked snippet at its ⟦type⟧ labels, each shown
// as the case page shows a masked part, in the reviewer's language.
func (s *Server) snippetParts(rc *reqContext, snippet string) []snippetPart {
	var out []snippetPart
	for snippet != "" {
		i := strings.Index(snippet, "⟦")
		j := strings.Index(snippet, "⟧")
		if i < 0 || j < i {
			out = append(out, snippetPart{Text: snippet})
			break
		}
		if i > 0 {
			out = append(out, snippetPart{Text: snippet[:i]})
		}
		typ := snippet[i+len("⟦") : j]
		out = append(out, snippetPart{Masked: true, Text: s.msgs.text(rc.Lang, "content.masked", s.msgs.text(rc.Lang, "pii."+typ))})
		snippet = snippet[j+len("⟧"):]
	}
	return out
}
