package reviewerui

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
)

func TestOverviewShowsTheQueuesTheReviewerMayWork(t *testing.T) {
	u := newTestUI(t)
	u.open(decision("a", "", engine.Insult), decision("b", "", engine.Spam), decision("y", store.QueueYouthSafety, engine.SelfHarm))
	u.clock.Advance(2 * time.Hour)
	tests := []struct {
		name       string
		roles      []string
		show, hide []string
	}{
		{"moderator", []string{store.RoleModerator}, []string{"/ui/queues/general"}, []string{"/ui/queues/youth_safety", "/ui/queues/senior", "/ui/queues/appeals"}},
		{"counsellor", []string{store.RoleCounsellor}, []string{"/ui/queues/youth_safety"}, []string{"/ui/queues/general"}},
		{"senior and appeals", []string{store.RoleSenior, store.RoleAppeals}, []string{"/ui/queues/senior", "/ui/queues/appeals"}, []string{"/ui/queues/general"}},
		{"operator", []string{store.RoleOperator}, nil, []string{"/ui/queues/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := u.signIn(tt.name, tt.roles...)
			r := c.get("/ui/?lang=en")
			if r.status != http.StatusOK {
				t.Fatalf("status %d", r.status)
			}
			for _, s := range tt.show {
				if !strings.Contains(r.body, `href="`+s+`"`) {
					t.Errorf("overview lacks %s", s)
				}
			}
			for _, s := range tt.hide {
				if strings.Contains(r.body, `href="`+s) {
					t.Errorf("overview shows %s", s)
				}
			}
			noMissingMessages(t, "overview", r.body)
		})
	}
	c := u.signIn("kim2", store.RoleModerator)
	body := c.get("/ui/?lang=en").body
	// Two open, none claimed, none overdue yet (24 h), the oldest two hours old.
	if !regexp.MustCompile(`(?s)General.*?<td class="num">2</td>\s*<td class="num">0</td>\s*<td class="num">0</td>\s*<td><time[^>]*>2 h 0 min</time>`).MatchString(body) {
		t.Errorf("general queue's counts not shown:\n%s", body)
	}
}

func TestClaimNextOpensTheTopCase(t *testing.T) {
	u := newTestUI(t)
	low := decision("low", "", engine.Spam)
	low.Severity = "low"
	high := decision("high", "", engine.Threat)
	high.Severity = "high"
	u.open(low, high)
	c := u.signIn("kim", store.RoleModerator)
	r := c.post("/ui/queues/general/claim", nil)
	if r.status != http.StatusSeeOther || r.location != "/ui/cases/"+u.caseOf("e-high").ID {
		t.Fatalf("claim: %d to %q, want the high-severity case", r.status, r.location)
	}
	r = c.post("/ui/queues/general/claim", nil)
	if r.location != "/ui/cases/"+u.caseOf("e-low").ID {
		t.Fatalf("second claim went to %q", r.location)
	}
	r = c.post("/ui/queues/general/claim", nil)
	if r.status != http.StatusSeeOther || r.location != "/ui/?notice=queue_empty" {
		t.Errorf("claim from an empty queue: %d to %q", r.status, r.location)
	}
	if body := c.get(r.location).body; !strings.Contains(body, "가져올 사례가 없습니다") {
		t.Error("the overview does not say the queue is empty")
	}
	// Nobody claims from a queue without its role, or from no queue.
	u.wantDenied(c.post("/ui/queues/youth_safety/claim", nil), "u-kim", "queue_role")
	if r := c.post("/ui/queues/nonsense/claim", nil); r.status != http.StatusNotFound {
		t.Errorf("claim from an unknown queue: %d", r.status)
	}
}

func TestQueuePageFiltersAndPages(t *testing.T) {
	u := newTestUI(t, func(c *Config) { c.PageSize = 3 })
	var ds []*engine.Decision
	for i := range 7 {
		d := decision(fmt.Sprintf("c%d", i), "", engine.Insult)
		d.DecidedAt = t0.Add(time.Duration(i) * time.Hour)
		if i%2 == 0 {
			d.Space.Type = engine.SpaceYouth
			d.Categories = []engine.Category{engine.Harassment}
		}
		ds = append(ds, d)
	}
	u.open(ds...)
	u.clock.Advance(10 * time.Hour)
	c := u.signIn("kim", store.RoleModerator)

	rows := func(body string) int { return strings.Count(body, `data-nav-link class="mono"`) }
	r := c.get("/ui/queues/general?lang=en")
	if r.status != http.StatusOK || rows(r.body) != 3 {
		t.Fatalf("first page: %d, %d rows", r.status, rows(r.body))
	}
	noMissingMessages(t, "queue page", r.body)
	next := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(r.body)
	if next == nil {
		t.Fatal("no next page link")
	}
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`/ui/cases/([0-9a-f-]{36})`).FindAllStringSubmatch(r.body, -1) {
		seen[m[1]] = true
	}
	pages := 1
	link := strings.ReplaceAll(next[1], "&amp;", "&")
	for link != "" {
		pages++
		r = c.get(link)
		for _, m := range regexp.MustCompile(`/ui/cases/([0-9a-f-]{36})`).FindAllStringSubmatch(r.body, -1) {
			if seen[m[1]] {
				t.Errorf("case %s on two pages", m[1])
			}
			seen[m[1]] = true
		}
		if !strings.Contains(r.body, `href="/ui/queues/general"`) {
			t.Error("a later page has no link to the first")
		}
		link = ""
		if m := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(r.body); m != nil {
			link = strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	if pages != 3 || len(seen) != 7 {
		t.Errorf("%d pages, %d cases", pages, len(seen))
	}

	// Filters stay in the URL, in the next page's link and the rows' poll.
	r = c.get("/ui/queues/general?space=youth&category=harassment&age=4h")
	if rows(r.body) != 3 || !strings.Contains(r.body, `hx-get="/ui/queues/general/rows?age=4h&amp;category=harassment&amp;space=youth"`) {
		t.Errorf("filtered page: %d rows\n%s", rows(r.body), r.body)
	}
	if !strings.Contains(r.body, `<option value="youth" selected>`) || !strings.Contains(r.body, `<option value="4h" selected>`) {
		t.Error("the filter form does not show the filters chosen")
	}
	if r := c.get("/ui/queues/general?space=youth&age=1d"); rows(r.body) != 0 || !strings.Contains(r.body, "No case matches.") {
		t.Errorf("no case a day old: %d rows", rows(r.body))
	}
	for _, bad := range []string{"space=moon", "category=nonsense", "source=rumour", "age=1y", "after=junk"} {
		if r := c.get("/ui/queues/general?" + bad); r.status != http.StatusBadRequest {
			t.Errorf("?%s: %d, want 400", bad, r.status)
		}
	}

	// The rows partial is the table body alone, for htmx to swap.
	r = c.get("/ui/queues/general/rows?space=youth")
	if r.status != http.StatusOK || !strings.HasPrefix(strings.TrimSpace(r.body), `<tbody id="case-rows"`) || strings.Contains(r.body, "<html") ||
		!strings.Contains(r.body, `hx-trigger="every 10s"`) || rows(r.body) != 3 {
		t.Errorf("rows partial: %d\n%s", r.status, r.body)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Error("the rows partial may be cached")
	}

	// Queues are checked on the list as on the claim.
	u.wantDenied(c.get("/ui/queues/youth_safety"), "u-kim", "queue_role")
	u.wantDenied(c.get("/ui/queues/youth_safety/rows"), "u-kim", "queue_role")
	if r := c.get("/ui/queues/nonsense"); r.status != http.StatusNotFound {
		t.Errorf("unknown queue: %d", r.status)
	}
}

func TestQueuePageMarksHeldCases(t *testing.T) {
	u := newTestUI(t)
	u.open(decision("a", "", engine.Insult), decision("b", "", engine.Insult))
	kim := u.signIn("kim", store.RoleModerator)
	lee := u.signIn("lee", store.RoleModerator)
	kim.post("/ui/queues/general/claim", url.Values{})
	lee.post("/ui/queues/general/claim", url.Values{})
	body := kim.get("/ui/queues/general?lang=en").body
	if !strings.Contains(body, "held by you") || strings.Count(body, ">held<") != 1 {
		t.Errorf("held cases not marked:\n%s", body)
	}
}

// TestQueuePageLinksToBulkWhereAllowed: the general queue's page offers
// the bulk action on its current filters; youth safety's never does.
func TestQueuePageLinksToBulkWhereAllowed(t *testing.T) {
	u := newTestUI(t)
	c := u.signIn("mod-bulk-link", store.RoleModerator, store.RoleCounsellor)
	r := c.get("/ui/queues/general?category=spam")
	if !strings.Contains(r.body, `href="/ui/queues/general/bulk?category=spam"`) {
		t.Errorf("the general queue's page has no bulk link on its filters:\n%s", r.body)
	}
	if r := c.get("/ui/queues/youth_safety"); strings.Contains(r.body, "/ui/queues/youth_safety/bulk") {
		t.Error("the youth_safety queue's page offers a bulk action")
	}
}
