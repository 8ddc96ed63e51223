package reviewerui

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
)

func TestReassignToANamedColleague(t *testing.T) {
	u := newTestUI(t)
	u.open(decision("a", "", engine.Insult))
	kim, id := claimed(t, u, "kim", store.RoleModerator)
	u.accounts.add("park", store.RoleCounsellor) // may not work the general queue
	lee := u.signIn("lee", store.RoleModerator)
	for _, tt := range []struct {
		name string
		form url.Values
		key  string
	}{
		{"no note", url.Values{"to": {"lee"}, "note": {" "}}, "work.error.note"},
		{"nobody", url.Values{"to": {"nobody"}, "note": {"n"}}, "work.error.colleague"},
		{"not their queue", url.Values{"to": {"park"}, "note": {"n"}}, "work.error.colleague"},
		{"oneself", url.Values{"to": {"kim"}, "note": {"n"}}, "work.error.colleague"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := kim.post("/ui/cases/"+id+"/reassign?lang=en", tt.form)
			if r.status != http.StatusBadRequest || !strings.Contains(r.body, u.ui.msgs.text("en", tt.key)) {
				t.Errorf("%d, want 400 saying %q", r.status, u.ui.msgs.text("en", tt.key))
			}
		})
	}
	r := kim.post("/ui/cases/"+id+"/reassign", url.Values{"to": {"lee"}, "note": {"lee knows this player"}})
	if r.status != http.StatusSeeOther || r.location != "/ui/?notice=reassigned" {
		t.Fatalf("reassign: %d to %q\n%s", r.status, r.location, r.body)
	}
	got, _ := u.store.Case(t.Context(), id)
	if got.ClaimedBy != "u-lee" || !got.LeaseUntil.After(u.clock.Now()) {
		t.Errorf("after reassigning: %+v", got)
	}
	body := lee.get("/ui/cases/" + id + "?lang=en").body
	if !strings.Contains(body, "data-lease") || !strings.Contains(body, "lee knows this player") {
		t.Error("the colleague does not hold the case, or the note is missing")
	}
	if r := kim.post("/ui/cases/"+id+"/reassign", url.Values{"to": {"lee"}, "note": {"n"}}); r.status != http.StatusConflict {
		t.Errorf("reassigning a case no longer held: %d", r.status)
	}
}

func TestHoldWhileAskingForHelp(t *testing.T) {
	u := newTestUI(t)
	u.open(decision("a", "", engine.Insult))
	kim, id := claimed(t, u, "kim", store.RoleModerator)
	if r := kim.post("/ui/cases/"+id+"/help", url.Values{"note": {"is this a threat?"}, "hold": {"9h"}}); r.status != http.StatusBadRequest {
		t.Errorf("an unknown hold: %d", r.status)
	}
	r := kim.post("/ui/cases/"+id+"/help", url.Values{"note": {"is this a threat?"}, "hold": {"4h"}})
	if r.status != http.StatusSeeOther || r.location != "/ui/cases/"+id+"?notice=help_requested" {
		t.Fatalf("ask for help: %d to %q\n%s", r.status, r.location, r.body)
	}
	u.clock.Advance(3 * time.Hour)
	body := kim.get(r.location + "&lang=en").body
	if !strings.Contains(body, "Asking for help since 2026-11-22 18:00 KST") || !strings.Contains(body, "is this a threat?") || !strings.Contains(body, "data-lease") {
		t.Errorf("the case page three hours later:\n%s", body)
	}
	if r := kim.post("/ui/cases/"+id+"/decide", url.Values{"outcome": {"dismiss"}, "ground": {"inclusiveness"}, "reason": {"not a threat"}}); r.status != http.StatusSeeOther {
		t.Errorf("deciding after help: %d", r.status)
	}
}
