package reviewerui

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/shadow"
	"github.com/haechi-tns/haechi/engine/store"
)

// PolicyStore is the policy control plane the policy page reads and
// changes (engine/store/policycontrol.go); *store.Store implements it.
// Each change writes its own audit entry. A Config.Store that does not
// implement it serves the page as not found.
type PolicyStore interface {
	PolicyControl(ctx context.Context) (*store.PolicyControl, error)
	PolicyInstances(ctx context.Context, since time.Time) ([]store.PolicyInstance, error)
	PolicyRevisions(ctx context.Context, limit int) ([]store.PolicyRevision, error)
	ShadowCounts(ctx context.Context, candidate string) ([]engine.ShadowCount, error)
	ShadowSamples(ctx context.Context, candidate string, limit int) ([]engine.ShadowSample, error)

	StartShadow(ctx context.Context, revision, actor string, now time.Time) (*store.PolicyControl, error)
	StopShadow(ctx context.Context, actor string, now time.Time) (*store.PolicyControl, error)
	PromoteCandidate(ctx context.Context, actor string, now time.Time) (*store.PolicyControl, error)
	RollbackPolicy(ctx context.Context, actor string, now time.Time) (*store.PolicyControl, error)
}

var _ PolicyStore = (*store.Store)(nil)

// policyPageRows bounds each table of the policy page.
const policyPageRows = 20

// policyData is the policy page's data.
type policyData struct {
	Control   *store.PolicyControl
	Instances []store.PolicyInstance
	Revisions []store.PolicyRevision // uploaded, not live: what may be put in the shadow
	// Diff is the candidate's differences from every instance; nil
	// without a candidate.
	Diff        *shadow.Tally
	Transitions []shadow.Transition
	Dims        []policyDim
	Samples     []engine.ShadowSample
	// CanChange says whether the reader may change the policy:
	// operators only.
	CanChange bool
	Notice    string
}

type policyDim struct {
	Title string // message key
	Rows  []shadow.Row
}

// policyNotices are what a redirect to the policy page may announce.
var policyNotices = map[string]string{
	"started":     "policy.notice.started",
	"stopped":     "policy.notice.stopped",
	"promoted":    "policy.notice.promoted",
	"rolled_back": "policy.notice.rolled_back",
}

func (s *Server) policyStore(w http.ResponseWriter, r *http.Request, rc *reqContext) (PolicyStore, bool) {
	ps, ok := s.cfg.Store.(PolicyStore)
	if !ok {
		s.fail(w, r, rc, http.StatusNotFound, "error.not_found")
	}
	return ps, ok
}

// policyPage shows operators which policy revision is live, which is in
// the shadow and how its decisions differ, with the forms that change
// them.
func (s *Server) policyPage(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	if !s.operatorsOnly(w, r, rc, "policy") {
		return
	}
	ps, ok := s.policyStore(w, r, rc)
	if !ok {
		return
	}
	ctx := r.Context()
	now := s.cfg.Now()
	ctl, err := ps.PolicyControl(ctx)
	if err != nil {
		s.internalError(w, r, rc, err)
		return
	}
	d := &policyData{Control: ctl, CanChange: rc.Account.Has(store.RoleOperator)}
	if d.Instances, err = ps.PolicyInstances(ctx, now.Add(-time.Minute)); err != nil {
		s.internalError(w, r, rc, err)
		return
	}
	revs, err := ps.PolicyRevisions(ctx, policyPageRows)
	if err != nil {
		s.internalError(w, r, rc, err)
		return
	}
	for _, rev := range revs {
		if rev.Revision != ctl.LiveRevision && rev.Revision != ctl.CandidateRevision {
			d.Revisions = append(d.Revisions, rev)
		}
	}
	if ctl.CandidateRevision != "" {
		counts, err := ps.ShadowCounts(ctx, ctl.CandidateRevision)
		if err != nil {
			s.internalError(w, r, rc, err)
			return
		}
		if d.Samples, err = ps.ShadowSamples(ctx, ctl.CandidateRevision, policyPageRows); err != nil {
			s.internalError(w, r, rc, err)
			return
		}
		d.Diff = shadow.NewTally(0)
		d.Diff.Merge(counts)
		d.Transitions = d.Diff.Transitions()
		titles := map[string]string{shadow.DimAction: "policy.by_action", shadow.DimCategory: "policy.by_category", shadow.DimRule: "policy.by_rule", shadow.DimSpace: "policy.by_space"}
		for _, dim := range shadow.Dims {
			rows := d.Diff.Rows(dim)
			d.Dims = append(d.Dims, policyDim{Title: titles[dim], Rows: rows[:min(len(rows), policyPageRows)]})
		}
	}
	d.Notice = policyNotices[r.URL.Query().Get("notice")]
	s.render(w, r, http.StatusOK, "policy", s.newView(r, rc, "policy.title", d))
}

// policyChanges are the page's actions, by the path's {change}, with the
// form fields each takes besides csrf, confirm and generation.
var policyChanges = map[string][]string{
	"start":    {"revision"},
	"stop":     nil,
	"promote":  nil,
	"rollback": nil,
}

// changePolicy starts or stops the shadow, promotes the candidate or
// rolls back, for operators, after the confirmation box was ticked. The
// form names the control row's generation the page showed: if the row
// changed since, nothing is done and the operator sees the new state
// first. Every change is audited by the store under the operator's id.
func (s *Server) changePolicy(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	change := r.PathValue("change")
	extra, known := policyChanges[change]
	if !known {
		s.fail(w, r, rc, http.StatusNotFound, "error.not_found")
		return
	}
	if !canOperate(rc.Account) || !rc.Account.Has(store.RoleOperator) {
		s.deny(w, r, rc, "policy_role", r.URL.Path)
		return
	}
	ps, ok := s.policyStore(w, r, rc)
	if !ok {
		return
	}
	form, ok := exactForm(r.PostForm, append([]string{"csrf", "confirm", "generation"}, extra...)...)
	gen, err := strconv.ParseInt(form["generation"], 10, 64)
	if !ok || err != nil || gen < 0 || form["confirm"] != "yes" {
		s.fail(w, r, rc, http.StatusBadRequest, "policy.error.confirm")
		return
	}
	ctx := r.Context()
	ctl, err := ps.PolicyControl(ctx)
	if err != nil {
		s.internalError(w, r, rc, err)
		return
	}
	if ctl.Generation != gen {
		s.conflict(w, r, rc, "policy.error.changed")
		return
	}
	now, actor := s.cfg.Now(), rc.actor()
	var notice string
	switch change {
	case "start":
		rev := form["revision"]
		if len(rev) == 0 || len(rev) > 64 {
			s.fail(w, r, rc, http.StatusBadRequest, "error.bad_request")
			return
		}
		_, err = ps.StartShadow(ctx, rev, actor, now)
		notice = "started"
	case "stop":
		_, err = ps.StopShadow(ctx, actor, now)
		notice = "stopped"
	case "promote":
		_, err = ps.PromoteCandidate(ctx, actor, now)
		notice = "promoted"
	case "rollback":
		_, err = ps.RollbackPolicy(ctx, actor, now)
		notice = "rolled_back"
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.fail(w, r, rc, http.StatusNotFound, "policy.error.no_revision")
	case errors.Is(err, store.ErrNoCandidate):
		s.conflict(w, r, rc, "policy.error.no_candidate")
	case errors.Is(err, store.ErrNothingToRollBack):
		s.conflict(w, r, rc, "policy.error.nothing_to_roll_back")
	case errors.Is(err, store.ErrConflict):
		s.conflict(w, r, rc, "policy.error.live_already")
	case err != nil:
		s.internalError(w, r, rc, err)
	default:
		http.Redirect(w, r, basePath+"policy?"+url.Values{"notice": {notice}}.Encode(), http.StatusSeeOther)
	}
}

// exactForm returns the form's values if it holds exactly the named
// fields, each once, and nothing else.
func exactForm(form url.Values, names ...string) (map[string]string, bool) {
	if len(form) != len(names) {
		return nil, false
	}
	out := make(map[string]string, len(names))
	for _, n := range names {
		v := form[n]
		if len(v) != 1 {
			return nil, false
		}
		out[n] = v[0]
	}
	return out, true
}
