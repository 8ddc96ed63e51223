package reviewerui

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/haechi-tns/haechi/engine/store"
)

// leaseAnswer is the heartbeat's answer, read by static/app.js.
type leaseAnswer struct {
	// Seconds is how long the lease now runs; 0 when it is lost.
	Seconds int  `json:"seconds"`
	Lost    bool `json:"lost,omitempty"`
}

// extendLease is the case page's heartbeat: static/app.js posts it every
// 30 seconds while the page is visible, and the reviewer's lease is
// extended by the configured lease. A lease that already ran out, or a
// case no longer the reviewer's, answers 409 and the page says the case
// is lost.
func (s *Server) extendLease(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	id := r.PathValue("id")
	c, err := s.cfg.Store.Case(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeJSON(w, http.StatusNotFound, leaseAnswer{Lost: true})
		return
	case err != nil:
		s.cfg.Log.Error("lease heartbeat failed", "case_id", id, "err", err)
		writeJSON(w, http.StatusInternalServerError, leaseAnswer{})
		return
	}
	if !canWork(rc.Account, c.Queue) {
		s.deny(w, r, rc, "queue_role", c.ID)
		return
	}
	now := s.cfg.Now()
	until, err := s.cfg.Store.ExtendLease(r.Context(), c.ID, rc.Account.Moderator(), s.cfg.Lease, now)
	switch {
	case errors.Is(err, store.ErrForbidden):
		writeJSON(w, http.StatusConflict, leaseAnswer{Lost: true})
	case err != nil:
		s.cfg.Log.Error("lease heartbeat failed", "case_id", c.ID, "err", err)
		writeJSON(w, http.StatusInternalServerError, leaseAnswer{})
	default:
		writeJSON(w, http.StatusOK, leaseAnswer{Seconds: int(until.Sub(now) / time.Second)})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	// The status line is sent; a failed write means the client went away.
	_ = json.NewEncoder(w).Encode(v)
}
