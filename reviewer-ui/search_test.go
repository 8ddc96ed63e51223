package reviewerui

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/haechi-tns/haechi/classifiers/pii"
	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/search"
	"github.com/haechi-tns/haechi/engine/store"
)

// syncSearch brings the store's own index up to date, as haechi serve
// does every second.
func (u *testUI) syncSearch() {
	u.t.Helper()
	ix := &search.Indexer{Feed: u.store, Index: u.store.SearchIndex(), Masker: search.NewMasker(pii.New()), Consumer: store.SearchConsumer}
	if _, err := ix.Sync(context.Background()); err != nil {
		u.t.Fatal(err)
	}
}

var searchRowRE = regexp.MustCompile(`<tr data-nav-item>`)
var nextRE = regexp.MustCompile(`<a href="([^"]+)" rel="next">`)

// TestSearchPage: reviewers find cases by user and by Korean words
// inside longer ones, masked; pages follow one another without repeats;
// the queues and kinds they may not see are refused and audited; a URL
// the page cannot read is a 400 with the form.
func TestSearchPage(t *testing.T) {
	u := newTestUI(t)
	scam := decision("scam", store.QueueGeneral, engine.Scam)
	scam.Content = &engine.Content{Kind: engine.KindChat, Text: "저 사기꾼 아니에요 010-1234-5678 로 연락 주세요"}
	youth := decision("youth", store.QueueYouthSafety, engine.SelfHarm)
	youth.Content = &engine.Content{Kind: engine.KindChat, Text: "사기 당했어요"}
	u.open(scam, youth)
	var many []*engine.Decision
	for i := range 55 {
		d := decision(fmt.Sprintf("p%02d", i), "")
		d.Action, d.SenderID = engine.ActionAllow, "author-p"
		many = append(many, d)
	}
	u.open(many...)
	u.syncSearch()

	kim := u.signIn("kim", store.RoleModerator)
	r := kim.get("/ui/search?text=" + url.QueryEscape("사기") + "&lang=en")
	if r.status != http.StatusOK {
		t.Fatalf("search: %d\n%s", r.status, r.body)
	}
	body := html.UnescapeString(r.body)
	c := u.caseOf(scam.EventID)
	if !strings.Contains(body, "저 사기꾼 아니에요") || !strings.Contains(body, `href="/ui/cases/`+c.ID+`"`) || !strings.Contains(body, "[phone number masked]") {
		t.Errorf("the scam case is not shown, masked:\n%s", body)
	}
	if strings.Contains(body, "1234") || strings.Contains(body, "당했어요") {
		t.Errorf("the page shows a masked number or a youth-safety case:\n%s", body)
	}
	if n := len(searchRowRE.FindAllString(r.body, -1)); n != 1 {
		t.Errorf("%d hits, want the general case alone", n)
	}

	// Every decision against one user, page after page.
	seen := map[string]bool{}
	next := "/ui/search?user=author-p&kind=decision"
	pages := 0
	for next != "" && pages < 5 {
		r := kim.get(next)
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d", next, r.status)
		}
		for _, m := range regexp.MustCompile(`<span class="mono">(d-p\d\d)</span>`).FindAllStringSubmatch(r.body, -1) {
			if seen[m[1]] {
				t.Errorf("%s shown twice", m[1])
			}
			seen[m[1]] = true
		}
		next = ""
		if m := nextRE.FindStringSubmatch(r.body); m != nil {
			next = html.UnescapeString(m[1])
		}
		pages++
	}
	if len(seen) != 55 || pages != 2 {
		t.Errorf("%d decisions on %d pages, want 55 on 2", len(seen), pages)
	}

	// Beyond the role: refused, audited.
	u.wantDenied(kim.get("/ui/search?kind=audit"), "u-kim", "ops_role")
	u.wantDenied(kim.get("/ui/search?queue=youth_safety"), "u-kim", "queue_role")
	u.wantDenied(kim.get("/ui/search?user=reporter:r-1"), "u-kim", "ops_role")

	// Counsellors find the youth-safety case; operators the audit log.
	lee := u.signIn("lee", store.RoleCounsellor)
	if r := lee.get("/ui/search?text=" + url.QueryEscape("사기")); !strings.Contains(r.body, "당했어요") || len(searchRowRE.FindAllString(r.body, -1)) != 1 {
		t.Errorf("counsellor's search:\n%s", r.body)
	}
	op := u.signIn("op", store.RoleOperator)
	if r := op.get("/ui/search?kind=audit&action=case.opened"); r.status != http.StatusOK || len(searchRowRE.FindAllString(r.body, -1)) != 2 {
		t.Errorf("operator's audit search: %d\n%s", r.status, r.body)
	}

	for _, bad := range []string{"?bogus=1", "?user=a&user=b", "?text=%ff", "?text=" + strings.Repeat("a", 201), "?after=nope",
		"?from=yesterday", "?kind=user", "?text=" + url.QueryEscape("?!"), "?user=" + strings.Repeat("x", 201)} {
		r := kim.get("/ui/search" + bad)
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, `role="alert"`) || !strings.Contains(r.body, `name="text"`) {
			t.Errorf("%s: %d, want 400 with the form", bad, r.status)
		}
	}
}
