package reviewerui

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
)

// TestEveryTemplateRendersInBothLanguages visits a page of every
// template, in Korean and in English, and finds no missing message and
// no template error.
func TestEveryTemplateRendersInBothLanguages(t *testing.T) {
	u := newTestUI(t)
	d := decision("a", "", engine.Insult)
	d.HashMatches = []engine.HashMatch{{Bank: "ncmec", Label: "known", Algorithm: "pdq", Distance: 12}}
	d.PII = []engine.PIISpan{{Type: engine.PIIPhone, Start: 0, End: 11, Score: 0.9}}
	d.Fired[0].DowngradedFrom = engine.ActionBlock
	u.open(d, decision("b", "", engine.Spam))
	if _, err := u.store.FileReport(t.Context(), &store.Report{ReporterID: "r1", TargetKind: store.TargetMessage, TargetID: d.EventID,
		Category: engine.Harassment, Details: "details", Location: "plaza"}, t0); err != nil {
		t.Fatal(err)
	}
	kim, id := claimed(t, u, "kim", store.RoleModerator, store.RoleSenior, store.RoleAppeals)
	kim.post("/ui/cases/"+id+"/decide", map[string][]string{"outcome": {"note"}, "reason": {"a note"}})
	u.accounts.add("new", store.RoleModerator)
	u.accounts.users["new"].acct.PasswordChangeRequired = true
	fresh := u.newClient()
	fresh.login("new", "pw-new", "")
	op := u.signIn("op", store.RoleOperator)

	visits := []struct {
		page string
		c    *client
		path string
		want int
	}{
		{"login", u.newClient(), "/ui/login", http.StatusOK},
		{"overview", kim, "/ui/?notice=decided", http.StatusOK},
		{"queue", kim, "/ui/queues/general", http.StatusOK},
		{"case", kim, "/ui/cases/" + id, http.StatusOK},
		{"error", kim, "/ui/no-such-page", http.StatusNotFound},
		{"password", fresh, "/ui/password", http.StatusOK},
		{"totp", kim, "/ui/totp", http.StatusOK},
		{"dashboard", op, "/ui/dashboard", http.StatusOK},
		{"audit", op, "/ui/audit", http.StatusOK},
		{"policy", op, "/ui/policy", http.StatusOK},
		{"bulk", kim, "/ui/queues/general/bulk", http.StatusOK},
		{"transparency", op, "/ui/transparency?month=2026-11", http.StatusOK},
		{"search", kim, "/ui/search?text=%EC%82%AC%EA%B8%B0", http.StatusOK},
	}
	for _, lang := range languages {
		for _, v := range visits {
			t.Run(lang+"/"+v.page, func(t *testing.T) {
				r := v.c.get(v.path + sep(v.path) + "lang=" + lang)
				if r.status != v.want {
					t.Fatalf("GET %s: %d, want %d\n%s", v.path, r.status, v.want, r.body)
				}
				if !strings.Contains(r.body, `<html lang="`+lang+`">`) || !strings.Contains(r.body, "</html>") {
					t.Errorf("not a whole page in %s", lang)
				}
				noMissingMessages(t, v.page, r.body)
			})
		}
	}
	var visited []string
	for _, v := range visits {
		visited = append(visited, v.page)
	}
	slices.Sort(visited)
	if all := slices.Sorted(maps.Keys(u.ui.pages)); !slices.Equal(all, visited) {
		t.Errorf("pages %v, visited %v: every template needs a visit here", all, visited)
	}
}

func sep(path string) string {
	if strings.Contains(path, "?") {
		return "&"
	}
	return "?"
}
