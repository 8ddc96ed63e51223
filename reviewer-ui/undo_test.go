package reviewerui

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
)

// decideRemove has c remove case id, and returns where it was sent.
func decideRemove(t *testing.T, c *client, id string, form url.Values) string {
	t.Helper()
	f := url.Values{"outcome": {"remove"}, "ground": {"inclusiveness"}, "reason": {"insulting"}}
	for k, v := range form {
		f[k] = v
	}
	r := c.post("/ui/cases/"+id+"/decide", f)
	if r.status != http.StatusSeeOther {
		t.Fatalf("decide: %d\n%s", r.status, r.body)
	}
	return r.location
}

func TestADecisionCanBeUndoneForAWhile(t *testing.T) {
	u := newTestUI(t)
	u.open(decision("a", "", engine.Insult), decision("b", "", engine.Insult))
	kim, id := claimed(t, u, "kim", store.RoleModerator)
	loc := decideRemove(t, kim, id, url.Values{"also": {"mute:1h"}, "claim_next": {"yes"}})
	if got := moderatorActions(t, u); len(got) != 2 {
		t.Fatalf("queued %v", got)
	}
	// The next case's page offers to undo the decision, with the time
	// left.
	page := kim.get(loc + "&lang=en")
	next := strings.TrimPrefix(strings.Split(loc, "?")[0], "/ui/cases/")
	for _, want := range []string{`action="/ui/cases/` + id + `/undo"`, `data-undo-seconds="50"`, "Decision recorded.", `aria-keyshortcuts="u"`,
		`name="release" value="` + next + `"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the page after deciding lacks %q", want)
		}
	}
	// Only the reviewer who decided may undo it.
	lee := u.signIn("lee", store.RoleModerator)
	u.wantDenied(lee.post("/ui/cases/"+id+"/undo", nil), "u-lee", "undo_not_yours")

	u.clock.Advance(30 * time.Second)
	// The form names the case claimed after the decision, as the page
	// had it.
	r := kim.post("/ui/cases/"+id+"/undo", url.Values{"release": {next}})
	if r.status != http.StatusSeeOther || r.location != "/ui/cases/"+id+"?notice=undone_released" {
		t.Fatalf("undo: %d to %q\n%s", r.status, r.location, r.body)
	}
	got, _ := u.store.Case(t.Context(), id)
	if !got.Open() || got.ClaimedBy != "u-kim" || got.LeaseUntil.Sub(u.clock.Now()) != DefaultLease {
		t.Errorf("case after undo: %+v", got)
	}
	if got := moderatorActions(t, u); len(got) != 0 {
		t.Errorf("still queued after the undo: %v", got)
	}
	body := kim.get(r.location + "&lang=en").body
	if !strings.Contains(body, u.ui.msgs.text("en", "notice.undone_released")) || !strings.Contains(body, `action="/ui/cases/`+id+`/decide"`) {
		t.Error("the case page after undoing does not say so or offer the form")
	}
	if !strings.Contains(body, "undone") {
		t.Error("the case's history does not show the undo")
	}
	if e := u.audits("case.undone"); len(e) != 1 || e[0].Actor != "u-kim" {
		t.Errorf("audit of the undo: %+v", e)
	}
	// The case claimed after the decision went back to the queue.
	if c, _ := u.store.Case(t.Context(), next); c.ClaimedBy != "" || !c.Open() {
		t.Errorf("the next case after the undo: %+v", c)
	}
	if e := u.audits("case.released"); len(e) != 1 || e[0].Actor != "u-kim" || e[0].Subject != next {
		t.Errorf("audit of giving the next case back: %+v", e)
	}

	// Decided again, the undo's time runs out.
	loc = decideRemove(t, kim, id, nil)
	u.clock.Advance(store.UndoDeadline(time.Time{}).Sub(time.Time{}))
	if body := kim.get(loc + "&lang=en").body; strings.Contains(body, "/undo") {
		t.Error("an offer whose time ran out is still shown")
	}
	r = kim.post("/ui/cases/"+id+"/undo?lang=en", nil)
	if r.status != http.StatusConflict || !strings.Contains(r.body, u.ui.msgs.text("en", "conflict.undo_too_late")) {
		t.Errorf("undo too late: %d", r.status)
	}
	if got, _ := u.store.Case(t.Context(), id); got.Open() {
		t.Error("a late undo opened the case")
	}
}

// TestUndoKeepsTheNextCaseTheReviewerNoLongerHolds: undoing releases
// the case claimed after the decision only while the reviewer holds it;
// without one, the undo says nothing of it.
func TestUndoKeepsTheNextCaseTheReviewerNoLongerHolds(t *testing.T) {
	u := newTestUI(t)
	u.open(decision("a", "", engine.Insult), decision("b", "", engine.Insult), decision("c", "", engine.Insult))
	kim, first := claimed(t, u, "kim", store.RoleModerator)
	loc := decideRemove(t, kim, first, url.Values{"claim_next": {"yes"}})
	second := strings.TrimPrefix(strings.Split(loc, "?")[0], "/ui/cases/")
	// kim decides the second case too, and then undoes the first with
	// the offer that named the second.
	decideRemove(t, kim, second, nil)
	r := kim.post("/ui/cases/"+first+"/undo", url.Values{"release": {second}})
	if r.status != http.StatusSeeOther || r.location != "/ui/cases/"+first+"?notice=undone" {
		t.Fatalf("undo: %d to %q\n%s", r.status, r.location, r.body)
	}
	if c, _ := u.store.Case(t.Context(), second); c.Open() || c.DecidedBy != "u-kim" {
		t.Errorf("the second case, decided, after the undo of the first: %+v", c)
	}
	// A colleague's case is not released by naming it.
	_, held := claimed(t, u, "lee", store.RoleModerator)
	loc = decideRemove(t, kim, first, nil)
	if strings.Contains(kim.get(loc).body, `name="release"`) {
		t.Error("an undo offer on the overview names a case to release")
	}
	if r := kim.post("/ui/cases/"+first+"/undo", url.Values{"release": {held}}); r.location != "/ui/cases/"+first+"?notice=undone" {
		t.Errorf("undo naming a colleague's case: %d to %q", r.status, r.location)
	}
	if c, _ := u.store.Case(t.Context(), held); c.ClaimedBy != "u-lee" {
		t.Errorf("lee's case after kim's undo named it: %+v", c)
	}
}

func TestUndoOffersComeOnlyFromTheirURL(t *testing.T) {
	u := newTestUI(t)
	kim := u.signIn("kim", store.RoleModerator)
	until := strconv.FormatInt(t0.Add(20*time.Second).UnixMilli(), 10)
	for _, tt := range []struct {
		name, query string
		offered     bool
	}{
		{"offered", "undo=3f1c9a2e-0000-4000-8000-000000000001&undo_until=" + until, true},
		{"a path for an id", "undo=..%2F..%2Flogout&undo_until=" + until, false},
		{"no time", "undo=3f1c9a2e-0000-4000-8000-000000000001", false},
		{"past", "undo=3f1c9a2e-0000-4000-8000-000000000001&undo_until=" + strconv.FormatInt(t0.UnixMilli(), 10), false},
		{"beyond the window", "undo=3f1c9a2e-0000-4000-8000-000000000001&undo_until=" + strconv.FormatInt(t0.Add(time.Hour).UnixMilli(), 10), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := kim.get("/ui/?" + tt.query).body
			if got := strings.Contains(body, "data-undo "); got != tt.offered {
				t.Errorf("offered %v, want %v", got, tt.offered)
			}
		})
	}
	if body := u.newClient().get("/ui/login?undo=3f1c9a2e-0000-4000-8000-000000000001&undo_until=" + until).body; strings.Contains(body, "data-undo ") {
		t.Error("the sign-in page offers an undo")
	}
}
