package reviewerui

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
)

func TestPolicyPage(t *testing.T) {
	u := newTestUI(t)
	ctx := context.Background()
	for _, rev := range []string{"rev-candidate", "rev-other"} {
		if err := u.store.SavePolicyRevision(ctx, store.PolicyRevision{Revision: rev, Files: map[string]string{"main.rego": "package x\n"}, UploadedBy: "cli:op", UploadedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	op := u.signIn("olivia", store.RoleOperator)
	admin := u.signIn("adam", store.RoleAdmin)
	mod := u.signIn("mina", store.RoleModerator)

	u.wantDenied(mod.get("/ui/policy"), "u-mina", "ops_role")
	// Admins see the page but may not change the policy.
	page := admin.get("/ui/policy")
	if page.status != http.StatusOK || strings.Contains(page.body, `action="/ui/policy/start"`) {
		t.Fatalf("admin's page: %d", page.status)
	}
	u.wantDenied(admin.post("/ui/policy/start", url.Values{"generation": {"0"}, "confirm": {"yes"}, "revision": {"rev-candidate"}}), "u-adam", "policy_role")

	page = op.get("/ui/policy")
	noMissingMessages(t, "policy page", page.body)
	if page.status != http.StatusOK || !strings.Contains(page.body, `<option value="rev-candidate">`) {
		t.Fatalf("operator's page: %d\n%s", page.status, page.body)
	}
	form := func(gen int64, extra ...string) url.Values {
		v := url.Values{"generation": {strconv.FormatInt(gen, 10)}, "confirm": {"yes"}}
		for i := 0; i+1 < len(extra); i += 2 {
			v.Add(extra[i], extra[i+1])
		}
		return v
	}
	// Strict forms: the box must be ticked, no field unknown or twice.
	for name, f := range map[string]url.Values{
		"not confirmed": {"generation": {"0"}, "revision": {"rev-candidate"}},
		"unknown field": form(0, "revision", "rev-candidate", "force", "1"),
		"field twice":   form(0, "revision", "rev-candidate", "revision", "rev-other"),
	} {
		if r := op.post("/ui/policy/start", f); r.status != http.StatusBadRequest {
			t.Errorf("%s: status %d", name, r.status)
		}
	}
	if r := op.post("/ui/policy/start", form(0, "revision", "rev-unknown")); r.status != http.StatusNotFound {
		t.Errorf("unknown revision: %d", r.status)
	}
	if r := op.post("/ui/policy/start", form(0, "revision", "rev-candidate")); r.status != http.StatusSeeOther || r.location != "/ui/policy?notice=started" {
		t.Fatalf("start: %d %s\n%s", r.status, r.location, r.body)
	}
	// A page shown before the change cannot act on it.
	if r := op.post("/ui/policy/promote", form(0)); r.status != http.StatusConflict {
		t.Errorf("stale promote: %d", r.status)
	}
	// What the instances counted shows, without content.
	err := u.store.AddShadowResults(ctx, "rev-candidate",
		[]engine.ShadowCount{{Dim: "compared", N: 10}, {Dim: "differing", N: 1}, {Dim: "transition", Key: "allow>block", N: 1}, {Dim: "live.action", Key: "allow", N: 10}, {Dim: "candidate.action", Key: "block", N: 1}, {Dim: "candidate.action", Key: "allow", N: 9}},
		[]engine.ShadowSample{{At: t0, DecisionID: "d-1", EventID: "evt-42", EventKind: engine.KindChat, SpaceType: engine.SpaceYouth,
			Live: engine.ShadowVerdict{Action: engine.ActionAllow}, Candidate: engine.ShadowVerdict{Action: engine.ActionBlock, Categories: []engine.Category{engine.Insult}, RuleIDs: []string{"respect.insult.block"}}}})
	if err != nil {
		t.Fatal(err)
	}
	page = op.get("/ui/policy?notice=started&lang=en")
	noMissingMessages(t, "policy page with a shadow", page.body)
	for _, want := range []string{"The revision is in the shadow", "evt-42", "respect.insult.block", "Compared on 10 live decisions, of which 1 differ", `action="/ui/policy/promote"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("policy page lacks %q", want)
		}
	}
	if r := op.post("/ui/policy/promote", form(1)); r.status != http.StatusSeeOther {
		t.Fatalf("promote: %d\n%s", r.status, r.body)
	}
	if r := op.post("/ui/policy/promote", form(2)); r.status != http.StatusConflict {
		t.Errorf("promote without candidate: %d", r.status)
	}
	if r := op.post("/ui/policy/rollback", form(2)); r.status != http.StatusSeeOther {
		t.Fatalf("rollback: %d\n%s", r.status, r.body)
	}
	ctl, _ := u.store.PolicyControl(ctx)
	if ctl.LiveRevision != "" || ctl.PreviousRevision != "rev-candidate" || ctl.Generation != 3 {
		t.Errorf("control after start, promote, rollback: %+v", ctl)
	}
	for _, action := range []string{"policy.shadow_started", "policy.promoted", "policy.rolled_back"} {
		p, err := u.store.SearchAudit(ctx, store.AuditQuery{Action: action, Actor: "u-olivia", From: t0.Add(-time.Hour)})
		if err != nil || len(p.Entries) != 1 {
			t.Errorf("audit of %s by the operator: %v %+v", action, err, p)
		}
	}
}
