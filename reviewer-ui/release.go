package reviewerui

import (
	"errors"
	"net/http"

	"github.com/haechi-tns/haechi/engine/store"
)

// release gives a case the reviewer holds back to its queue.
func (s *Server) release(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	d, ok := s.loadCase(w, r, rc)
	if !ok {
		return
	}
	err := s.cfg.Store.Release(r.Context(), d.Case.ID, rc.Account.Moderator(), s.cfg.Now())
	switch {
	case errors.Is(err, store.ErrForbidden):
		s.conflict(w, r, rc, "conflict.lease_lost")
		return
	case err != nil:
		s.internalError(w, r, rc, err)
		return
	}
	http.Redirect(w, r, basePath+"?notice=released", http.StatusSeeOther)
}
