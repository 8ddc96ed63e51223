package reviewerui

import (
	"context"
	"crypto/ed25519"
	"net/http"
	"time"

	"github.com/haechi-tns/haechi/engine/store"
)

// OpsStore is what the operators' pages (the dashboards, the audit view)
// and the moderators' bulk actions read and change; *store.Store
// implements it (engine/store/stats.go, auditsearch.go, bulk.go and
// checkpoint.go say what each method guarantees). A Config.Store that
// does not implement it serves those pages as not found.
type OpsStore interface {
	Dashboard(ctx context.Context, w store.StatsWindow) (*store.Dashboard, error)
	// Users names the reviewers in the dashboards and the audit view.
	Users(ctx context.Context) ([]store.User, error)

	SearchAudit(ctx context.Context, q store.AuditQuery) (*store.AuditPage, error)
	AuditEntryAt(ctx context.Context, seq int64) (*store.AuditEntry, error)
	VerifyAudit(ctx context.Context) (int64, error)
	VerifyAuditSigned(ctx context.Context, pub ed25519.PublicKey, journal []store.Checkpoint) (*store.AuditVerification, error)

	SelectBulk(ctx context.Context, f store.CaseFilter, until time.Time, m store.Moderator, now time.Time) ([]*store.Case, bool, error)
	BulkDecide(ctx context.Context, queue string, ids []string, m store.Moderator, o store.Outcome, now time.Time) (*store.BulkResult, error)
}

var _ OpsStore = (*store.Store)(nil)

// opsDenyReasons are the refusals of this file's pages; each has the
// message error.forbidden.<reason>.
var opsDenyReasons = []string{"ops_role", "bulk_queue", "policy_role"}

// opsStore returns the store's operator methods, or answers 404 (and
// false) when the store has none.
func (s *Server) opsStore(w http.ResponseWriter, r *http.Request, rc *reqContext) (OpsStore, bool) {
	ops, ok := s.cfg.Store.(OpsStore)
	if !ok {
		s.fail(w, r, rc, http.StatusNotFound, "error.not_found")
	}
	return ops, ok
}

// canOperate reports whether a may read the dashboards and the audit
// log: operators and admins.
func canOperate(a *Account) bool { return a.Has(store.RoleOperator) || a.Has(store.RoleAdmin) }

// operatorsOnly refuses (403, audited) whoever may not operate, and says
// whether the request may go on.
func (s *Server) operatorsOnly(w http.ResponseWriter, r *http.Request, rc *reqContext, page string) bool {
	if canOperate(rc.Account) {
		return true
	}
	s.deny(w, r, rc, "ops_role", "page:"+page)
	return false
}

// reviewerNames maps reviewers' user ids to the names pages show: the
// display name, else the sign-in name. A failed read shows ids.
func (s *Server) reviewerNames(ctx context.Context, ops OpsStore) map[string]string {
	users, err := ops.Users(ctx)
	if err != nil {
		s.cfg.Log.Error("reading reviewers' names failed", "err", err)
		return map[string]string{}
	}
	names := make(map[string]string, len(users))
	for _, u := range users {
		names[u.ID] = u.Name
		if u.DisplayName != "" {
			names[u.ID] = u.DisplayName
		}
	}
	return names
}
