package reviewerui

import (
	"net/http"
	"slices"

	"github.com/haechi-tns/haechi/engine/store"
)

// overviewData is the queues overview's data.
type overviewData struct {
	Queues []store.QueueSummary // the queues the reviewer may work
	Notice string               // a message key, or empty
}

// notices are what a redirect to the overview may announce (?notice=),
// each a message key notice.<name>; anything else is ignored.
var notices = []string{"decided", "escalated", "released", "queue_empty", "lease_lost", "appeal_decided", "overturn_proposed", "reassigned", "help_requested",
	"password_changed", "totp_enrolled", "undone", "undone_released", "wellbeing_cap"}

// overview lists the queues the reviewer may work with their open,
// claimed and overdue cases and the oldest one's age, each with a
// "claim next" button.
func (s *Server) overview(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	all, err := s.cfg.Store.QueueSummaries(r.Context(), s.cfg.Now())
	if err != nil {
		s.internalError(w, r, rc, err)
		return
	}
	d := overviewData{Queues: []store.QueueSummary{}}
	for _, q := range all {
		if canWork(rc.Account, q.Queue) {
			d.Queues = append(d.Queues, q)
		}
	}
	if n := r.URL.Query().Get("notice"); slices.Contains(notices, n) {
		d.Notice = "notice." + n
	}
	s.render(w, r, http.StatusOK, "overview", s.newView(r, rc, "overview.title", d))
}
