package api

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
)

// Limits on free text in reports and appeals, in characters.
const (
	maxDetailsChars  = 2000
	maxLocationChars = 200
)

// reportCategories are the category names a report may carry: the
// taxonomy's report categories and their aliases (engine.ReportCategories,
// engine.ParseReportCategory), listed in openapi.json. The policy bundle's
// review settings route each to a queue.
var reportCategories = engine.ReportCategoryNames()

var targetKinds = []string{store.TargetMessage, store.TargetImage, store.TargetUser}

// reportRequest is the body of POST /v1/reports.
type reportRequest struct {
	ReporterID string `json:"reporter_id"`
	Target     struct {
		Kind string `json:"kind"`
		ID   string `json:"id"`
	} `json:"target"`
	Category string `json:"category"`
	Details  string `json:"details"`
	World    string `json:"world"`
	Space    *struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	} `json:"space"`
	Location   string                  `json:"location"`
	OccurredAt string                  `json:"occurred_at"`
	Context    []engine.ContextMessage `json:"context"`
}

// reportCreated answers POST /v1/reports: the report's id and status only.
type reportCreated struct {
	ReportID string `json:"report_id"`
	Status   string `json:"status"`
}

// reportStatus answers GET /v1/reports/{id}; it never names the reporter,
// the case or the moderator.
type reportStatus struct {
	ReportID  string    `json:"report_id"`
	Status    string    `json:"status"`
	Outcome   string    `json:"outcome,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	ClosedAt  time.Time `json:"closed_at,omitzero"`
}

// postReport files a citizen's report, within the reporter's limits.
func (s *Server) postReport(w http.ResponseWriter, r *http.Request) {
	var req reportRequest
	if err := decodeRequest(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.cfg.Now().UTC()
	rep, err := req.validate(now)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	over, err := s.reportAllowed(r.Context(), callerKey(r), rep.ReporterID, now)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if over != nil {
		s.tooMany(w, r, over, "reports")
		return
	}
	filed, err := s.cfg.Store.FileReport(r.Context(), rep, now)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.cfg.Log.Debug("report filed", "report_id", filed.ID, "target_kind", filed.TargetKind, "category", filed.Category)
	w.Header().Set("Location", "/v1/reports/"+filed.ID)
	writeJSON(w, http.StatusCreated, reportCreated{ReportID: filed.ID, Status: "received"})
}

// validate checks the request and turns it into a report.
func (req *reportRequest) validate(now time.Time) (*store.Report, error) {
	var fe fieldErrors
	fe.id("reporter_id", req.ReporterID, true)
	switch {
	case req.Target.Kind == "":
		fe.add("target.kind", "required: one of %s", strings.Join(targetKinds, ", "))
	case !slices.Contains(targetKinds, req.Target.Kind):
		fe.add("target.kind", "unknown kind %q: must be one of %s", req.Target.Kind, strings.Join(targetKinds, ", "))
	}
	fe.id("target.id", req.Target.ID, true)
	category, known := engine.ParseReportCategory(req.Category)
	switch {
	case req.Category == "":
		fe.add("category", "required: one of %s", strings.Join(reportCategories, ", "))
	case !known:
		fe.add("category", "unknown category %q: must be one of %s", req.Category, strings.Join(reportCategories, ", "))
	}
	fe.text("details", req.Details, maxDetailsChars)
	fe.id("world", req.World, false)
	rep := &store.Report{
		ReporterID: req.ReporterID, TargetKind: req.Target.Kind, TargetID: req.Target.ID, Category: category,
		Details: req.Details, World: req.World, Location: req.Location,
	}
	if sp := req.Space; sp != nil {
		fe.id("space.id", sp.ID, true)
		if !slices.Contains(engine.SpaceTypes, engine.SpaceType(sp.Type)) {
			fe.add("space.type", "must be one of %s", spaceTypes())
		}
		rep.SpaceID, rep.SpaceType = sp.ID, sp.Type
	}
	fe.text("location", req.Location, maxLocationChars)
	fe = append(fe, engine.CheckContext("context", req.Context)...)
	rep.Context = req.Context
	rep.OccurredAt = fe.time("occurred_at", req.OccurredAt, now)
	if err := fe.err(); err != nil {
		return nil, err
	}
	return rep, nil
}

func spaceTypes() string {
	s := make([]string, len(engine.SpaceTypes))
	for i, t := range engine.SpaceTypes {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

// getReport tells where a report stands.
func (s *Server) getReport(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		s.writeError(w, r, notFound("report", id, nil))
		return
	}
	st, err := s.cfg.Store.ReportStatus(r.Context(), id)
	if err != nil {
		s.writeError(w, r, storeError(err, "report", id))
		return
	}
	writeJSON(w, http.StatusOK, reportStatus{ReportID: st.ReportID, Status: st.Status, Outcome: reporterOutcome(st.Outcome), CreatedAt: st.CreatedAt, ClosedAt: st.ClosedAt})
}

// reporterOutcome is what a reporter learns of the decision on their
// report: whether action was taken, not which sanction another user got.
func reporterOutcome(outcome string) string {
	switch outcome {
	case "":
		return ""
	case store.OutcomeDismiss, store.OutcomeRestore:
		return "no_violation"
	}
	return "action_taken"
}
