package reviewerui

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/haechi-tns/haechi/engine/store"
)

// claim gives the reviewer the queue's top case that nobody holds, under
// a lease, and opens its page. A reviewer whose day in the youth_safety
// queue is over is refused there (403, audited; wellbeing.go).
func (s *Server) claim(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	queue := r.PathValue("queue")
	if _, known := store.QueueRole[queue]; !known {
		s.fail(w, r, rc, http.StatusNotFound, "error.not_found")
		return
	}
	if !canWork(rc.Account, queue) {
		s.deny(w, r, rc, "queue_role", "queue:"+queue)
		return
	}
	switch capped, err := s.capReached(r.Context(), rc.Account, queue); {
	case err != nil:
		s.internalError(w, r, rc, err)
		return
	case capped:
		s.deny(w, r, rc, "wellbeing_cap", "queue:"+queue)
		return
	}
	c, err := s.cfg.Store.ClaimNext(r.Context(), queue, rc.Account.Moderator(), s.cfg.Lease, s.cfg.Now())
	switch {
	case errors.Is(err, store.ErrNoCase):
		http.Redirect(w, r, basePath+"?notice=queue_empty", http.StatusSeeOther)
		return
	case err != nil:
		s.internalError(w, r, rc, err)
		return
	}
	http.Redirect(w, r, casePath(c.ID), http.StatusSeeOther)
}

// casePath is the page of a case.
func casePath(id string) string { return basePath + "cases/" + url.PathEscape(id) }
