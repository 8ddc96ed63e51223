package reviewerui

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
)

// youthCases opens n held cases in the youth_safety queue.
func youthCases(u *testUI, n int) {
	for i := range n {
		u.open(decision("y"+strconv.Itoa(i), store.QueueYouthSafety, engine.Grooming))
	}
}

// claimYouth has c claim the youth_safety queue's next case and returns
// the answer.
func claimYouth(c *client) *response { return c.post("/ui/queues/youth_safety/claim", nil) }

func TestTheYouthSafetyQueueCapsCases(t *testing.T) {
	u := newTestUI(t, func(c *Config) { c.YouthSafetyCases = 2 })
	youthCases(u, 4)
	u.open(decision("g", "", engine.Insult))
	park := u.signIn("park", store.RoleCounsellor, store.RoleModerator)
	r := claimYouth(park)
	first := strings.TrimPrefix(r.location, "/ui/cases/")
	if !strings.HasPrefix(r.location, "/ui/cases/") {
		t.Fatalf("first claim: %d to %q", r.status, r.location)
	}
	if body := park.get("/ui/?lang=en").body; strings.Contains(body, `id="youth-day"`) {
		t.Error("the day's count shows long before the cap")
	}
	// Deciding the second case with "claim next" stops at the cap.
	loc := decideRemove(t, park, first, url.Values{"claim_next": {"yes"}})
	second := strings.TrimPrefix(strings.Split(loc, "?")[0], "/ui/cases/")
	if !strings.HasPrefix(loc, "/ui/cases/") {
		t.Fatalf("claim next: to %q", loc)
	}
	if body := park.get("/ui/?lang=en").body; !strings.Contains(body, "You have worked 2 youth-safety cases today, for 0 min") {
		t.Errorf("the day's count at the cap: %q", between(body, `id="youth-day">`, "</p>"))
	}
	loc = decideRemove(t, park, second, url.Values{"claim_next": {"yes"}})
	if !strings.HasPrefix(loc, "/ui/?notice=wellbeing_cap&undo="+second) {
		t.Errorf("claim next beyond the cap: to %q", loc)
	}
	body := park.get(loc + "&lang=en").body
	for _, key := range []string{"notice.wellbeing_cap"} {
		if !strings.Contains(body, u.ui.msgs.text("en", key)) {
			t.Errorf("the overview does not say %s", key)
		}
	}
	if !strings.Contains(body, "You have worked 2 youth-safety cases today") {
		t.Error("the overview does not say the day's limit is reached")
	}
	u.wantDenied(claimYouth(park), "u-park", "wellbeing_cap")
	// The other queues stay open.
	if r := park.post("/ui/queues/general/claim", nil); !strings.HasPrefix(r.location, "/ui/cases/") {
		t.Errorf("general claim after the youth cap: %d to %q", r.status, r.location)
	}
	// Another counsellor's day is their own, and a new day (in KST) starts
	// afresh: 15:00 UTC is midnight in Seoul.
	if r := claimYouth(u.signIn("kang", store.RoleCounsellor)); !strings.HasPrefix(r.location, "/ui/cases/") {
		t.Errorf("another counsellor's claim: %d to %q", r.status, r.location)
	}
	u.clock.Advance(6 * time.Hour)
	if r := claimYouth(park); !strings.HasPrefix(r.location, "/ui/cases/") {
		t.Errorf("the next day's claim: %d to %q", r.status, r.location)
	}
}

func TestTheYouthSafetyQueueCapsTime(t *testing.T) {
	u := newTestUI(t, func(c *Config) { c.YouthSafetyTime = 30 * time.Minute })
	youthCases(u, 3)
	park := u.signIn("park", store.RoleCounsellor)
	id := strings.TrimPrefix(claimYouth(park).location, "/ui/cases/")
	// Twenty-five minutes on one case, kept by its page's heartbeat.
	for range 5 {
		u.clock.Advance(5 * time.Minute)
		if r := park.post("/ui/cases/"+id+"/lease", nil); r.status != http.StatusOK {
			t.Fatalf("heartbeat: %d", r.status)
		}
	}
	if body := park.get("/ui/?lang=en").body; !strings.Contains(body, "Youth safety today: 1 of 40 cases, 25 min of 30 min.") {
		t.Errorf("the day's count near the cap: %q", between(body, `id="youth-day">`, "</p>"))
	}
	decideRemove(t, park, id, nil)
	// A case left to its lease counts one lease.
	id = strings.TrimPrefix(claimYouth(park).location, "/ui/cases/")
	u.clock.Advance(time.Hour)
	acct := u.accounts.users["park"].acct
	w, err := u.ui.workToday(t.Context(), &acct, store.QueueYouthSafety, u.clock.Now())
	if err != nil || w.Cases != 2 || w.Time != 25*time.Minute+DefaultLease {
		t.Errorf("the day's work: %+v, %v; want 2 cases, 25 min and one lease", w, err)
	}
	u.wantDenied(claimYouth(park), "u-park", "wellbeing_cap")
}

// TestTheYouthSafetyCapCountsCasesReassignedToTheReviewer: a case a
// colleague hands over counts in the day like one claimed, and so does
// the time it is held.
func TestTheYouthSafetyCapCountsCasesReassignedToTheReviewer(t *testing.T) {
	u := newTestUI(t, func(c *Config) { c.YouthSafetyCases = 2 })
	youthCases(u, 4)
	u.accounts.add("park", store.RoleCounsellor)
	kang := u.signIn("kang", store.RoleCounsellor)
	given := strings.TrimPrefix(claimYouth(kang).location, "/ui/cases/")
	if r := kang.post("/ui/cases/"+given+"/reassign", url.Values{"to": {"park"}, "note": {"park knows this space"}}); r.status != http.StatusSeeOther {
		t.Fatalf("reassign: %d\n%s", r.status, r.body)
	}
	park := u.newClient()
	park.login("park", "pw-park", "")
	u.clock.Advance(5 * time.Minute)
	acct := u.accounts.users["park"].acct
	w, err := u.ui.workToday(t.Context(), &acct, store.QueueYouthSafety, u.clock.Now())
	if err != nil || w.Cases != 1 || w.Time != 5*time.Minute {
		t.Errorf("park's day with the case reassigned to them: %+v, %v; want 1 case held for 5 min", w, err)
	}
	decideRemove(t, park, given, nil)
	// The reassigned case and one claimed make the day's two.
	mine := strings.TrimPrefix(claimYouth(park).location, "/ui/cases/")
	if mine == "" || mine == given {
		t.Fatalf("park's own claim: %q", mine)
	}
	decideRemove(t, park, mine, nil)
	u.wantDenied(claimYouth(park), "u-park", "wellbeing_cap")
	// kang's day holds the case they claimed, until they gave it away.
	acct = u.accounts.users["kang"].acct
	if w, err := u.ui.workToday(t.Context(), &acct, store.QueueYouthSafety, u.clock.Now()); err != nil || w.Cases != 1 || w.Time != 0 {
		t.Errorf("kang's day: %+v, %v; want 1 case held for no time", w, err)
	}
}

func TestABreakIsSuggestedAfterAnHour(t *testing.T) {
	u := newTestUI(t)
	kim := u.signIn("kim", store.RoleModerator)
	breakIn := regexp.MustCompile(`<section class="break" data-break aria-labelledby="break-h" data-break-in-ms="(\d+)"[^>]*?( hidden)?>`)
	check := func(t *testing.T, wantIn time.Duration, cookie string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, u.srv.URL+"/ui/?lang=en", nil)
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: breakCookie, Value: cookie})
		}
		body := kim.do(req).body
		m := breakIn.FindStringSubmatch(body)
		if m == nil {
			t.Fatal("no break reminder on the page")
		}
		if m[1] != strconv.FormatInt(wantIn.Milliseconds(), 10) || (m[2] == " hidden") != (wantIn > 0) {
			t.Errorf("the reminder shows in %s ms (%q), want in %v", m[1], m[2], wantIn)
		}
		if !strings.Contains(body, "You have been working for over 1 h 0 min.") {
			t.Error("the reminder does not say how long")
		}
	}
	t.Run("fresh", func(t *testing.T) { check(t, time.Hour, "") })
	u.clock.Advance(61 * time.Minute)
	t.Run("due", func(t *testing.T) { check(t, 0, "") })
	snoozed := u.clock.Now().Add(breakSnooze)
	t.Run("snoozed", func(t *testing.T) { check(t, breakSnooze, strconv.FormatInt(snoozed.UnixMilli(), 10)) })
	t.Run("a cookie from far away", func(t *testing.T) {
		check(t, 0, strconv.FormatInt(u.clock.Now().Add(48*time.Hour).UnixMilli(), 10))
	})
	t.Run("a cookie of nonsense", func(t *testing.T) { check(t, 0, "soon") })
	if body := u.newClient().get("/ui/login").body; strings.Contains(body, "data-break") {
		t.Error("the sign-in page suggests a break")
	}
}

func TestWellbeingLimitsAreChecked(t *testing.T) {
	for _, c := range []Config{{YouthSafetyCases: -1}, {YouthSafetyTime: -time.Minute}, {BreakAfter: -time.Minute}} {
		c.Store, c.Accounts = &store.Store{}, newFakeAccounts()
		if err := c.Validate(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
