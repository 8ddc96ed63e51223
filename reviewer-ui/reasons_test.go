package reviewerui

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
)

func TestReasonTemplatesCoverEveryOutcome(t *testing.T) {
	known := slices.Concat(engine.TextCategories, engine.ReportCategories)
	hangul := func(s string) bool {
		return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Hangul, r) })
	}
	for _, o := range slices.Concat(caseOutcomes, appealOutcomes) {
		if !slices.ContainsFunc(reasonTemplates, func(t reasonTemplate) bool { return t.Outcome == o && t.Category == "" }) {
			t.Errorf("no general reason template for %s", o)
		}
	}
	for _, tpl := range reasonTemplates {
		switch {
		case !slices.Contains(caseOutcomes, tpl.Outcome) && !slices.Contains(appealOutcomes, tpl.Outcome):
			t.Errorf("template for unknown outcome %q", tpl.Outcome)
		case tpl.Category != "" && !slices.Contains(known, tpl.Category):
			t.Errorf("template for unknown category %q", tpl.Category)
		case !hangul(tpl.KO) || hangul(tpl.EN) || tpl.EN == "":
			t.Errorf("template %q / %q is not Korean and English", tpl.KO, tpl.EN)
		case utf8.RuneCountInString(tpl.KO) > maxReason || utf8.RuneCountInString(tpl.EN) > maxReason:
			t.Errorf("template %q is longer than a reason may be", tpl.EN)
		}
	}
	msgs, err := loadCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range engine.Principles {
		for _, lang := range languages {
			if _, ok := msgs[lang]["principle."+p]; !ok {
				t.Errorf("messages/%s.json does not name the principle %s", lang, p)
			}
		}
	}
}

func TestDecisionFormOffersGroundsAccountActionsAndTemplates(t *testing.T) {
	u := newTestUI(t)
	u.open(decision("a", "", engine.Insult), decision("b", "", engine.Insult))
	kim, id := claimed(t, u, "kim", store.RoleModerator)
	body := kim.get("/ui/cases/" + id + "?lang=en").body
	for _, want := range []string{
		// Prefilled from the policy's principle.
		`<option value="inclusiveness" selected>inclusiveness</option>`,
		`<option value="authenticity">authenticity</option>`,
		`<option value="mute:1d">Mute · 1 day</option>`, `<option value="warn">Warn</option>`,
		`data-reason-template`, `data-template-outcome="remove"`,
		`<option value="The message insults another user and is removed.">`,
		"can be undone for 50 seconds",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the decision form lacks %q", want)
		}
	}
	// The templates for the case's category come before the general ones.
	if i, j := strings.Index(body, "insults another user and is removed"), strings.Index(body, "breaches the code of ethics and is removed"); i < 0 || j < i {
		t.Error("the insult template does not come first among the removal's")
	}
	if strings.Contains(body, `value="ban"`) || strings.Contains(body, `name="ban_confirm"`) {
		t.Error("a moderator is offered a ban among the account actions")
	}
	park, id2 := claimed(t, u, "park", store.RoleModerator, store.RoleSenior)
	if body := park.get("/ui/cases/" + id2 + "?lang=en").body; !strings.Contains(body, `<option value="ban">Ban</option>`) || !strings.Contains(body, `name="ban_confirm"`) {
		t.Error("a senior reviewer is not offered a ban beside the removal, with its confirmation")
	}
}

func TestTheGroundIsRequired(t *testing.T) {
	u := newTestUI(t)
	u.open(decision("a", "", engine.Insult))
	c, id := claimed(t, u, "kim", store.RoleModerator)
	for _, tt := range []struct {
		name string
		form url.Values
	}{
		{"none", url.Values{"outcome": {"remove"}, "reason": {"r"}}},
		{"unknown", url.Values{"outcome": {"remove"}, "ground": {"convenience"}, "reason": {"r"}}},
		{"unknown on a note", url.Values{"outcome": {"note"}, "ground": {"convenience"}, "reason": {"r"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := c.post("/ui/cases/"+id+"/decide?lang=en", tt.form)
			if r.status != http.StatusBadRequest || !strings.Contains(r.body, u.ui.msgs.text("en", "decide.error.ground")) {
				t.Errorf("status %d, want 400 saying the ground is required", r.status)
			}
			// The reviewer's choice stays chosen, not the policy's.
			if strings.Contains(r.body, `value="inclusiveness" selected`) {
				t.Error("the form put the policy's principle back")
			}
		})
	}
	// A note or an escalation rests on no ground.
	if r := c.post("/ui/cases/"+id+"/decide", url.Values{"outcome": {"note"}, "reason": {"looking into it"}}); r.status != http.StatusSeeOther {
		t.Errorf("a note without a ground: %d", r.status)
	}
	if r := c.post("/ui/cases/"+id+"/decide", url.Values{"outcome": {"remove"}, "ground": {"fairness"}, "reason": {"r"}}); r.status != http.StatusSeeOther {
		t.Fatalf("remove with a ground: %d", r.status)
	}
	acts, _ := u.store.CaseActions(t.Context(), id)
	if len(acts) != 2 || !slices.ContainsFunc(acts, func(a store.CaseAction) bool { return a.Kind == store.OutcomeRemove && a.Ground == "fairness" }) {
		t.Errorf("case actions %+v", acts)
	}
}

func TestRemoveAndRestrictInOneDecision(t *testing.T) {
	u := newTestUI(t)
	u.open(decision("a", "", engine.Insult), decision("b", "", engine.Insult))
	kim, id := claimed(t, u, "kim", store.RoleModerator)
	form := func(outcome, also string) url.Values {
		return url.Values{"outcome": {outcome}, "also": {also}, "ground": {"inclusiveness"}, "reason": {"insults, again"}}
	}
	for _, tt := range []struct {
		name string
		form url.Values
		key  string
	}{
		{"after a dismissal", form("dismiss", "mute:1d"), "decide.error.also"},
		{"after a warning", form("warn", "mute:1d"), "decide.error.also"},
		{"an unknown length", form("remove", "mute:1y"), "decide.error.also"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := kim.post("/ui/cases/"+id+"/decide?lang=en", tt.form)
			if r.status != http.StatusBadRequest || !strings.Contains(r.body, u.ui.msgs.text("en", tt.key)) {
				t.Errorf("status %d, want 400 saying %q", r.status, tt.key)
			}
		})
	}
	u.wantDenied(kim.post("/ui/cases/"+id+"/decide", form("remove", "ban")), "u-kim", "ban_role")
	r := kim.post("/ui/cases/"+id+"/decide", form("remove", "mute:1d"))
	if r.status != http.StatusSeeOther {
		t.Fatalf("remove and mute: %d\n%s", r.status, r.body)
	}
	got, _ := u.store.Case(t.Context(), id)
	acts, _ := u.store.CaseActions(t.Context(), id)
	if got.Open() || got.Outcome != store.OutcomeRemove || len(acts) != 2 || acts[1].Kind != store.OutcomeMute {
		t.Errorf("case %+v, actions %+v", got, acts)
	}
	h, _ := u.store.UserHistory(t.Context(), got.SubjectUserID, 10)
	if len(h.Restrictions) != 1 || h.Restrictions[0].Kind != store.OutcomeMute || len(h.Strikes) != 1 {
		t.Errorf("history after remove and mute: %+v", h)
	}
	// A senior reviewer's ban beside the removal still needs confirming.
	park, id2 := claimed(t, u, "park", store.RoleModerator, store.RoleSenior)
	if r := park.post("/ui/cases/"+id2+"/decide?lang=en", form("remove", "ban")); r.status != http.StatusBadRequest ||
		!strings.Contains(r.body, u.ui.msgs.text("en", "decide.error.ban_confirm")) {
		t.Errorf("an unconfirmed ban beside a removal: %d", r.status)
	}
	f := form("remove", "ban")
	f.Set("ban_confirm", "yes")
	if r := park.post("/ui/cases/"+id2+"/decide", f); r.status != http.StatusSeeOther {
		t.Errorf("a confirmed ban beside a removal: %d", r.status)
	}
	if got := moderatorActions(t, u); !slices.Equal(got, []string{"remove", "mute", "remove", "ban"}) {
		t.Errorf("outbox holds %q, want each removal then its account action", got)
	}
}

// moderatorActions lists the moderators' actions waiting in the outbox,
// oldest first.
func moderatorActions(t *testing.T, u *testUI) []string {
	t.Helper()
	msgs, err := u.store.Outbox(t.Context(), 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		var a engine.ActionMessage
		if err := json.Unmarshal(m.Body, &a); err != nil {
			t.Fatal(err)
		}
		if a.Source == engine.SourceModerator {
			out = append(out, a.Action)
		}
	}
	return out
}
