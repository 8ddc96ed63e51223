package reviewerui

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/haechi-tns/haechi/engine/store"
)

// A bulk action decides many of a queue's cases at once, for spam waves:
// the reviewer chooses them with the queue page's filters, sees how many
// there are (and the first of them), and confirms by typing that number.
// Only queues in store.BulkQueues (the general queue) offer it; asking in
// any other, youth safety above all, is refused and audited.

// bulkSample is how many of the selected cases the page lists.
const bulkSample = 20

// bulkForm is the bulk action's form as submitted, kept to show it again
// with its error.
type bulkForm struct {
	Outcome string
	Reason  string
	Count   string // what the reviewer typed
	Error   string // a message key, or empty
}

// bulkData is the bulk page's data.
type bulkData struct {
	Queue  string
	Filter queueFilter
	// Cases are the first of the selection; Count is how many it holds,
	// More whether more cases match than one action takes.
	Cases []*store.Case
	Count int
	More  bool
	Max   int
	// Until is when the selection was made: cases opened later are not
	// in it. Milliseconds, for the form.
	Until     int64
	UntilTime time.Time
	Outcomes  []string
	Form      bulkForm
	// Done and Skipped say what the last action did, when Result.
	Result        bool
	Done, Skipped int
	// QueueURL is the queue page with the same filters; ActionURL is
	// where the form posts, FilterURL where the filters go.
	QueueURL, ActionURL string
	filterChoices

	selected []*store.Case // the whole selection
}

// bulkQueue checks that the reviewer may act in bulk on the path's
// queue, answering the request itself (and returning "") when not.
func (s *Server) bulkQueue(w http.ResponseWriter, r *http.Request, rc *reqContext) string {
	queue := r.PathValue("queue")
	if _, known := store.QueueRole[queue]; !known {
		s.fail(w, r, rc, http.StatusNotFound, "error.not_found")
		return ""
	}
	if !slices.Contains(store.BulkQueues, queue) {
		s.deny(w, r, rc, "bulk_queue", "queue:"+queue)
		return ""
	}
	if !canWork(rc.Account, queue) {
		s.deny(w, r, rc, "queue_role", "queue:"+queue)
		return ""
	}
	return queue
}

// bulkPage previews a bulk action: the cases the queue's filters select
// now, and the form to decide them.
func (s *Server) bulkPage(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	queue := s.bulkQueue(w, r, rc)
	if queue == "" {
		return
	}
	ops, ok := s.opsStore(w, r, rc)
	if !ok {
		return
	}
	q := r.URL.Query()
	f, sf, ok := parseQueueFilter(q)
	if !ok {
		s.fail(w, r, rc, http.StatusBadRequest, "error.bad_filter")
		return
	}
	d, ok := s.bulkSelection(w, r, rc, ops, queue, f, sf, s.cfg.Now())
	if !ok {
		return
	}
	if done, err := strconv.Atoi(q.Get("done")); err == nil && done >= 0 {
		skipped, _ := strconv.Atoi(q.Get("skipped"))
		d.Result, d.Done, d.Skipped = true, done, max(0, skipped)
	}
	s.render(w, r, http.StatusOK, "bulk", s.newView(r, rc, "bulk.title", d))
}

// bulkSelection reads the selection of queue's cases by f as of until
// into the page's data; it answers the request itself (and returns
// false) when it cannot.
func (s *Server) bulkSelection(w http.ResponseWriter, r *http.Request, rc *reqContext, ops OpsStore, queue string, f queueFilter, sf store.CaseFilter, until time.Time) (*bulkData, bool) {
	f.After = ""
	sf.Queue, sf.Now, sf.After = queue, until, nil
	cases, more, err := ops.SelectBulk(r.Context(), sf, until, rc.Account.Moderator(), s.cfg.Now())
	if err != nil {
		s.internalError(w, r, rc, err)
		return nil, false
	}
	base := basePath + "queues/" + url.PathEscape(queue)
	d := &bulkData{Queue: queue, Filter: f, Count: len(cases), More: more, Max: store.MaxBulk,
		Until: until.UnixMilli(), UntilTime: until, Outcomes: store.BulkOutcomes,
		QueueURL: base + f.query(""), ActionURL: base + "/bulk", filterChoices: newFilterChoices()}
	d.selected, d.Cases = cases, cases[:min(len(cases), bulkSample)]
	return d, true
}

// bulkDecide decides the selected cases once the reviewer has typed
// their number. The selection is made again as of the preview's time:
// cases opened since are not in it, cases closed or claimed by others
// since have left it. A typed number that is not the preview's is
// refused (400); a selection that has changed since the preview is
// shown again with its new number, to be confirmed anew (409).
func (s *Server) bulkDecide(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	queue := s.bulkQueue(w, r, rc)
	if queue == "" {
		return
	}
	ops, ok := s.opsStore(w, r, rc)
	if !ok {
		return
	}
	form := r.PostForm
	f, sf, ok := parseQueueFilter(form)
	untilMS, err := strconv.ParseInt(form.Get("until"), 10, 64)
	now := s.cfg.Now()
	if !ok || err != nil || untilMS > now.UnixMilli() || untilMS <= 0 {
		s.fail(w, r, rc, http.StatusBadRequest, "error.bad_request")
		return
	}
	until := time.UnixMilli(untilMS).UTC()
	d, ok := s.bulkSelection(w, r, rc, ops, queue, f, sf, until)
	if !ok {
		return
	}
	d.Form = bulkForm{Outcome: form.Get("outcome"), Reason: strings.TrimSpace(form.Get("reason")), Count: strings.TrimSpace(form.Get("count"))}
	typed, typedErr := strconv.Atoi(d.Form.Count)
	preview, previewErr := strconv.Atoi(form.Get("preview"))
	status := http.StatusBadRequest
	switch {
	case !slices.Contains(store.BulkOutcomes, d.Form.Outcome):
		d.Form.Error = "bulk.error.outcome"
	case d.Form.Reason == "":
		d.Form.Error = "decide.error.reason"
	case utf8.RuneCountInString(d.Form.Reason) > maxReason:
		d.Form.Error = "decide.error.reason_long"
	case typedErr != nil || previewErr != nil || typed != preview:
		d.Form.Error = "bulk.error.count"
	case typed != d.Count:
		d.Form.Error, d.Form.Count, status = "bulk.error.changed", "", http.StatusConflict
	case typed == 0:
		d.Form.Error = "bulk.error.none"
	}
	if d.Form.Error != "" {
		s.render(w, r, status, "bulk", s.newView(r, rc, "bulk.title", d))
		return
	}
	ids := make([]string, len(d.selected))
	for i, c := range d.selected {
		ids[i] = c.ID
	}
	res, err := ops.BulkDecide(r.Context(), queue, ids, rc.Account.Moderator(), store.Outcome{Kind: d.Form.Outcome, Note: d.Form.Reason}, now)
	if errors.Is(err, store.ErrForbidden) {
		s.deny(w, r, rc, "queue_role", "queue:"+queue)
		return
	}
	if err != nil {
		s.internalError(w, r, rc, err)
		return
	}
	s.cfg.Log.Info("cases decided in bulk", "bulk_id", res.ID, "queue", queue, "outcome", d.Form.Outcome,
		"decided", len(res.Decided), "skipped", len(res.Skipped), "user_id", rc.Account.ID)
	v := url.Values{"done": {strconv.Itoa(len(res.Decided))}, "skipped": {strconv.Itoa(len(res.Skipped))}}
	for k, val := range map[string]string{"space": f.Space, "category": f.Category, "source": f.Source, "age": f.Age} {
		if val != "" {
			v.Set(k, val)
		}
	}
	http.Redirect(w, r, d.ActionURL+"?"+v.Encode(), http.StatusSeeOther)
}
