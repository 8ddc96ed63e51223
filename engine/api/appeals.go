package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/haechi-tns/haechi/engine/store"

	"github.com/haechi-tns/haechi/engine/statement"
)

// maxReasonChars bounds an appeal's reason, in characters.
const maxReasonChars = 2000

// appealRequest is the body of POST /v1/appeals.
type appealRequest struct {
	DecisionID  string `json:"decision_id"`
	AppellantID string `json:"appellant_id"`
	Reason      string `json:"reason"`
}

// appealCreated answers POST /v1/appeals.
type appealCreated struct {
	AppealID string `json:"appeal_id"`
	Status   string `json:"status"`
}

// appealStatus answers GET /v1/appeals/{id}; it never names the
// appellant, the moderator or the cases.
type appealStatus struct {
	AppealID   string    `json:"appeal_id"`
	DecisionID string    `json:"decision_id"`
	Status     string    `json:"status"`
	CreatedAt  time.Time `json:"created_at"`
	DecidedAt  time.Time `json:"decided_at,omitzero"`
}

// postAppeal files an appeal of a decision by the user it restricted,
// within the API key's limits.
func (s *Server) postAppeal(w http.ResponseWriter, r *http.Request) {
	var req appealRequest
	if err := decodeRequest(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	var fe fieldErrors
	fe.id("decision_id", req.DecisionID, true)
	fe.id("appellant_id", req.AppellantID, true)
	fe.text("reason", req.Reason, maxReasonChars)
	if err := fe.err(); err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.cfg.Now().UTC()
	// The store allows one appeal per decision, by the user it restricted:
	// only the key's limits stand between a leaked key and an appeal of
	// every decision.
	if over, ok := s.keyAppeals.take(callerKey(r), now); !ok {
		s.tooMany(w, r, over, "appeals")
		return
	}
	a, err := s.cfg.Store.FileAppeal(r.Context(), req.DecisionID, req.AppellantID, req.Reason, now)
	if err != nil {
		s.writeError(w, r, storeError(err, "decision", req.DecisionID))
		return
	}
	s.cfg.Log.Debug("appeal filed", "appeal_id", a.ID, "decision_id", a.DecisionID)
	w.Header().Set("Location", "/v1/appeals/"+a.ID)
	writeJSON(w, http.StatusCreated, appealCreated{AppealID: a.ID, Status: a.Status})
}

// getAppeal tells where an appeal stands.
func (s *Server) getAppeal(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		s.writeError(w, r, notFound("appeal", id, nil))
		return
	}
	a, err := s.cfg.Store.AppealByID(r.Context(), id)
	if err != nil {
		s.writeError(w, r, storeError(err, "appeal", id))
		return
	}
	writeJSON(w, http.StatusOK, appealStatus{AppealID: a.ID, DecisionID: a.DecisionID, Status: a.Status, CreatedAt: a.CreatedAt, DecidedAt: a.DecidedAt})
}

// getStatement writes the statement of reasons for a stored decision,
// including a person's later decision on the content.
func (s *Server) getStatement(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		s.writeError(w, r, notFound("decision", id, nil))
		return
	}
	d, err := s.cfg.Store.Decision(r.Context(), id)
	if err != nil {
		s.writeError(w, r, storeError(err, "decision", id))
		return
	}
	// When a person decided about the content, the statement says so.
	var human *statement.HumanDecision
	c, err := s.cfg.Store.ClosedCaseForEvent(r.Context(), d.EventID)
	switch {
	case err == nil && c.ClosedAt != nil:
		human = &statement.HumanDecision{Outcome: c.Outcome, DecidedAt: *c.ClosedAt, FromReport: c.Source == store.SourceReport}
		if human.Ground, err = s.cfg.Store.CaseGround(r.Context(), c.ID); err != nil {
			s.writeError(w, r, storeError(err, "", ""))
			return
		}
	case err != nil && !errors.Is(err, store.ErrNotFound):
		s.writeError(w, r, storeError(err, "", ""))
		return
	}
	writeJSON(w, http.StatusOK, statement.Build(d, human, s.cfg.AppealURL))
}
