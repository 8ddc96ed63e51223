package reviewerui

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
)

// TestAnAppealTakenBeforeItsCaseWasDecided: a reviewer who claimed an
// appeal while the case it appeals was open, and then decided that case,
// may not decide the appeal.
func TestAnAppealTakenBeforeItsCaseWasDecided(t *testing.T) {
	u := newTestUI(t)
	d := decision("a", "", engine.Insult)
	u.open(d)
	a, err := u.store.FileAppeal(t.Context(), d.ID, d.SenderID, "I was quoting someone", u.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	kim, id := claimed(t, u, "kim", store.RoleModerator, store.RoleAppeals)
	if r := kim.post("/ui/queues/appeals/claim", nil); r.location != "/ui/cases/"+a.ReviewCase {
		t.Fatalf("claim the appeal before the case is decided: %d to %q", r.status, r.location)
	}
	decideRemove(t, kim, id, nil)
	u.wantDenied(kim.post("/ui/cases/"+a.ReviewCase+"/decide", url.Values{"outcome": {"overturn"}, "reason": {"r"}}), "u-kim", "own_decision")
}

// claimed signs a moderator in and claims the general queue's top case.
func claimed(t *testing.T, u *testUI, name string, roles ...string) (*client, string) {
	t.Helper()
	c := u.signIn(name, roles...)
	r := c.post("/ui/queues/general/claim", nil)
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/ui/cases/") {
		t.Fatalf("claim: %d to %q\n%s", r.status, r.location, r.body)
	}
	return c, strings.TrimPrefix(r.location, "/ui/cases/")
}

func TestCasePageShowsTheCaseAndTheDecisionForm(t *testing.T) {
	u := newTestUI(t)
	d := decision("a", "", engine.Insult)
	u.open(d)
	ctx := t.Context()
	for _, rep := range []string{"reporter-secret-1", "reporter-secret-2"} {
		if _, err := u.store.FileReport(ctx, &store.Report{ReporterID: rep, TargetKind: store.TargetMessage, TargetID: d.EventID,
			Category: engine.Harassment, Details: "keeps insulting people"}, t0); err != nil {
			t.Fatal(err)
		}
	}
	c, id := claimed(t, u, "kim", store.RoleModerator)
	r := c.get("/ui/cases/" + id + "?lang=en")
	if r.status != http.StatusOK {
		t.Fatalf("status %d", r.status)
	}
	noMissingMessages(t, "case page", r.body)
	for _, want := range []string{
		`data-lease-seconds="600"`, `data-lease-url="/ui/cases/` + id + `/lease"`,
		"The message is insulting.", "hold.insult", "rev-1", "inclusiveness", "0.81",
		"harassment × 2", "keeps insulting people", "author-a",
		"Statement of reasons the user gets", "held and will not be delivered until a moderator has reviewed it",
		`action="/ui/cases/` + id + `/decide"`, `data-outcome-key="1"`, `value="dismiss"`, `value="note"`,
		`name="mute_for"`, `name="suspend_for"`, `name="to_queue"`, `action="/ui/cases/` + id + `/release"`,
		`name="claim_next" value="yes" checked`,
		`id="content"`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("case page lacks %q", want)
		}
	}
	if strings.Contains(r.body, "reporter-secret") {
		t.Error("the case page names a reporter")
	}
	if strings.Contains(r.body, `value="ban"`) {
		t.Error("a moderator without the senior role is offered a ban")
	}
	// In Korean the policy's Korean reason shows.
	if body := c.get("/ui/cases/" + id + "?lang=ko").body; !strings.Contains(body, "모욕적인 표현이 있습니다.") {
		t.Error("the Korean reason is not shown in Korean")
	}
	// Another moderator may read it, without the form.
	lee := u.signIn("lee", store.RoleModerator)
	body := lee.get("/ui/cases/" + id + "?lang=en").body
	if !strings.Contains(body, "Another reviewer holds this case") || strings.Contains(body, "/decide") || strings.Contains(body, "data-lease") {
		t.Error("a reviewer not holding the case is offered the form")
	}
	if r := lee.get("/ui/cases/no-such-case"); r.status != http.StatusNotFound {
		t.Errorf("unknown case: %d", r.status)
	}
}

func TestCasesOfAQueueAreOnlyForItsReviewers(t *testing.T) {
	u := newTestUI(t)
	u.open(decision("y", store.QueueYouthSafety, engine.SelfHarm))
	id := u.caseOf("e-y").ID
	kim := u.signIn("kim", store.RoleModerator)
	u.wantDenied(kim.get("/ui/cases/"+id), "u-kim", "queue_role")
	u.wantDenied(kim.post("/ui/cases/"+id+"/decide", url.Values{"outcome": {"dismiss"}, "ground": {"inclusiveness"}, "reason": {"x"}}), "u-kim", "queue_role")
	u.wantDenied(kim.post("/ui/cases/"+id+"/lease", nil), "u-kim", "queue_role")
	u.wantDenied(kim.post("/ui/cases/"+id+"/release", nil), "u-kim", "queue_role")
	park := u.signIn("park", store.RoleCounsellor)
	if r := park.get("/ui/cases/" + id); r.status != http.StatusOK {
		t.Errorf("a counsellor reading a youth-safety case: %d", r.status)
	}
}

func TestDecisionsAreRecorded(t *testing.T) {
	tests := []struct {
		name     string
		form     url.Values
		outcome  string
		duration time.Duration
		queue    string // escalations
	}{
		{"dismiss", url.Values{"outcome": {"dismiss"}}, store.OutcomeDismiss, 0, ""},
		{"remove", url.Values{"outcome": {"remove"}}, store.OutcomeRemove, 0, ""},
		{"warn", url.Values{"outcome": {"warn"}}, store.OutcomeWarn, 0, ""},
		{"mute a day", url.Values{"outcome": {"mute"}, "mute_for": {"1d"}}, store.OutcomeMute, 24 * time.Hour, ""},
		{"suspend a week", url.Values{"outcome": {"suspend"}, "suspend_for": {"7d"}}, store.OutcomeSuspend, 7 * 24 * time.Hour, ""},
		{"restore", url.Values{"outcome": {"restore"}}, store.OutcomeRestore, 0, ""},
		{"escalate", url.Values{"outcome": {"escalate"}, "to_queue": {"senior"}}, store.OutcomeEscalate, 0, store.QueueSenior},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := newTestUI(t)
			u.open(decision("a", "", engine.Insult))
			c, id := claimed(t, u, "kim", store.RoleModerator)
			tt.form.Set("reason", "  clear breach of the code  ")
			if tt.queue == "" {
				tt.form.Set("ground", "inclusiveness")
			}
			r := c.post("/ui/cases/"+id+"/decide", tt.form)
			if r.status != http.StatusSeeOther {
				t.Fatalf("decide: %d\n%s", r.status, r.body)
			}
			got, err := u.store.Case(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			acts, err := u.store.CaseActions(t.Context(), id)
			if err != nil || len(acts) != 1 {
				t.Fatalf("actions %+v, %v", acts, err)
			}
			if a := acts[0]; a.Kind != tt.outcome || a.Duration != tt.duration || a.Note != "clear breach of the code" || a.Actor != "u-kim" ||
				a.Ground != tt.form.Get("ground") {
				t.Errorf("recorded %+v", a)
			}
			if tt.queue != "" {
				if !got.Open() || got.Queue != tt.queue || got.ClaimedBy != "" {
					t.Errorf("escalated case: %+v", got)
				}
				return
			}
			if got.Open() || got.Outcome != tt.outcome || got.DecidedBy != "u-kim" {
				t.Errorf("case after deciding: %+v", got)
			}
			// Without "claim next", back to the overview, saying so and
			// offering to undo.
			if !strings.HasPrefix(r.location, "/ui/?notice=decided&undo="+id+"&undo_until=") {
				t.Errorf("after deciding, to %q", r.location)
			}
		})
	}
}

func TestDecidingClaimsTheNextCaseOrNot(t *testing.T) {
	u := newTestUI(t)
	u.open(decision("a", "", engine.Insult), decision("b", "", engine.Insult), decision("c", "", engine.Insult))
	c, first := claimed(t, u, "kim", store.RoleModerator)
	r := c.post("/ui/cases/"+first+"/decide", url.Values{"outcome": {"remove"}, "ground": {"inclusiveness"}, "reason": {"r"}, "claim_next": {"yes"}})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/ui/cases/") || strings.HasPrefix(r.location, "/ui/cases/"+first) {
		t.Fatalf("decide then claim next: %d to %q", r.status, r.location)
	}
	if body := c.get(r.location + "&lang=en").body; !strings.Contains(body, "The decision was recorded.") || !strings.Contains(body, "data-lease") {
		t.Error("the next case's page does not say the decision was recorded, or is not held")
	}
	second := strings.TrimPrefix(strings.Split(r.location, "?")[0], "/ui/cases/")
	r = c.post("/ui/cases/"+second+"/decide", url.Values{"outcome": {"remove"}, "ground": {"inclusiveness"}, "reason": {"r"}})
	if !strings.HasPrefix(r.location, "/ui/?notice=decided&undo="+second) {
		t.Errorf("decide without claiming next: to %q", r.location)
	}
	// The last case, decided with "claim next", leaves an empty queue.
	r = c.post("/ui/queues/general/claim", nil)
	third := strings.TrimPrefix(r.location, "/ui/cases/")
	r = c.post("/ui/cases/"+third+"/decide", url.Values{"outcome": {"remove"}, "ground": {"inclusiveness"}, "reason": {"r"}, "claim_next": {"yes"}})
	if !strings.HasPrefix(r.location, "/ui/?notice=queue_empty&undo="+third) {
		t.Errorf("decide and claim next from an empty queue: to %q", r.location)
	}
}

func TestANoteKeepsTheCaseOpen(t *testing.T) {
	u := newTestUI(t)
	u.open(decision("a", "", engine.Insult))
	c, id := claimed(t, u, "kim", store.RoleModerator)
	r := c.post("/ui/cases/"+id+"/decide", url.Values{"outcome": {"note"}, "reason": {"asked a counsellor"}})
	if r.status != http.StatusSeeOther || r.location != "/ui/cases/"+id {
		t.Fatalf("note: %d to %q", r.status, r.location)
	}
	got, _ := u.store.Case(t.Context(), id)
	if !got.Open() || got.ClaimedBy != "u-kim" {
		t.Errorf("after a note: %+v", got)
	}
	if body := c.get(r.location).body; !strings.Contains(body, "asked a counsellor") || !strings.Contains(body, `action="/ui/cases/`+id+`/decide"`) {
		t.Error("the note or the form is missing after a note")
	}
}

func TestDecisionFormErrorsAreShownAgain(t *testing.T) {
	u := newTestUI(t)
	u.open(decision("a", "", engine.Insult))
	c, id := claimed(t, u, "kim", store.RoleModerator, store.RoleSenior)
	long := strings.Repeat("가", maxReason+1)
	tests := []struct {
		name string
		form url.Values
		key  string
	}{
		{"no outcome", url.Values{"reason": {"r"}}, "decide.error.outcome"},
		{"unknown outcome", url.Values{"outcome": {"obliterate"}, "reason": {"r"}}, "decide.error.outcome"},
		{"appeal outcome", url.Values{"outcome": {"overturn"}, "reason": {"r"}}, "decide.error.outcome"},
		{"no reason", url.Values{"outcome": {"remove"}, "ground": {"inclusiveness"}, "reason": {"   "}}, "decide.error.reason"},
		{"reason too long", url.Values{"outcome": {"remove"}, "ground": {"inclusiveness"}, "reason": {long}}, "decide.error.reason_long"},
		{"mute without a duration", url.Values{"outcome": {"mute"}, "reason": {"r"}}, "decide.error.duration"},
		{"suspend for a year", url.Values{"outcome": {"suspend"}, "suspend_for": {"365d"}, "reason": {"r"}}, "decide.error.duration"},
		{"ban unconfirmed", url.Values{"outcome": {"ban"}, "ground": {"inclusiveness"}, "reason": {"r"}}, "decide.error.ban_confirm"},
		{"escalate to its own queue", url.Values{"outcome": {"escalate"}, "to_queue": {"general"}, "reason": {"r"}}, "decide.error.queue"},
		{"escalate to appeals", url.Values{"outcome": {"escalate"}, "to_queue": {"appeals"}, "reason": {"r"}}, "decide.error.queue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.form.Set("lang", "en")
			r := c.post("/ui/cases/"+id+"/decide?lang=en", tt.form)
			if r.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", r.status)
			}
			if !strings.Contains(r.body, u.ui.msgs.text("en", tt.key)) {
				t.Errorf("the page does not say %q", u.ui.msgs.text("en", tt.key))
			}
			if tt.form.Get("reason") == "r" && !strings.Contains(r.body, ">r</textarea>") {
				t.Error("the reason typed is lost")
			}
		})
	}
	got, _ := u.store.Case(t.Context(), id)
	if !got.Open() || got.ClaimedBy != "u-kim" {
		t.Errorf("a refused form changed the case: %+v", got)
	}
}

func TestBansNeedASeniorReviewerAndConfirmation(t *testing.T) {
	u := newTestUI(t)
	u.open(decision("a", "", engine.Threat), decision("b", "", engine.Threat))
	kim, id := claimed(t, u, "kim", store.RoleModerator)
	u.wantDenied(kim.post("/ui/cases/"+id+"/decide", url.Values{"outcome": {"ban"}, "ground": {"inclusiveness"}, "ban_confirm": {"yes"}, "reason": {"r"}}), "u-kim", "ban_role")
	if got, _ := u.store.Case(t.Context(), id); !got.Open() {
		t.Fatal("a moderator banned")
	}
	park, id2 := claimed(t, u, "park", store.RoleModerator, store.RoleSenior)
	if body := park.get("/ui/cases/" + id2).body; !strings.Contains(body, `value="ban"`) || !strings.Contains(body, `name="ban_confirm"`) {
		t.Error("a senior reviewer is not offered a ban with its confirmation")
	}
	r := park.post("/ui/cases/"+id2+"/decide", url.Values{"outcome": {"ban"}, "ground": {"inclusiveness"}, "ban_confirm": {"yes"}, "reason": {"threats"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("ban: %d\n%s", r.status, r.body)
	}
	banned, _ := u.store.Case(t.Context(), id2)
	h, err := u.store.UserHistory(t.Context(), banned.SubjectUserID, 10)
	if err != nil || len(h.Restrictions) != 1 || h.Restrictions[0].Kind != store.OutcomeBan {
		t.Errorf("restrictions after a ban: %+v, %v", h, err)
	}
}

func TestAStaleLeaseIsAConflict(t *testing.T) {
	u := newTestUI(t)
	u.open(decision("a", "", engine.Insult))
	kim, id := claimed(t, u, "kim", store.RoleModerator)
	u.clock.Advance(DefaultLease + time.Second)
	r := kim.post("/ui/cases/"+id+"/decide?lang=en", url.Values{"outcome": {"remove"}, "ground": {"inclusiveness"}, "reason": {"r"}})
	if r.status != http.StatusConflict || !strings.Contains(r.body, "Your hold on this case ran out") {
		t.Fatalf("decide on an expired lease: %d\n%s", r.status, r.body)
	}
	// Someone else takes it; the first reviewer's form is stale still.
	lee, id2 := claimed(t, u, "lee", store.RoleModerator)
	if id2 != id {
		t.Fatalf("lee claimed %s, not the case kim lost", id2)
	}
	if r := kim.post("/ui/cases/"+id+"/decide", url.Values{"outcome": {"remove"}, "ground": {"inclusiveness"}, "reason": {"r"}}); r.status != http.StatusConflict {
		t.Errorf("decide on a case another holds: %d", r.status)
	}
	if r := kim.post("/ui/cases/"+id+"/release", nil); r.status != http.StatusConflict {
		t.Errorf("release of a case another holds: %d", r.status)
	}
	if r := lee.post("/ui/cases/"+id+"/decide", url.Values{"outcome": {"remove"}, "ground": {"inclusiveness"}, "reason": {"r"}}); r.status != http.StatusSeeOther {
		t.Errorf("the holder's decision: %d", r.status)
	}
	if r := lee.post("/ui/cases/"+id+"/decide", url.Values{"outcome": {"remove"}, "ground": {"inclusiveness"}, "reason": {"again"}}); r.status != http.StatusConflict {
		t.Errorf("deciding a closed case: %d", r.status)
	}
}

func TestTheHeartbeatExtendsTheLease(t *testing.T) {
	u := newTestUI(t)
	u.open(decision("a", "", engine.Insult))
	kim, id := claimed(t, u, "kim", store.RoleModerator)
	beat := func(c *client) (int, leaseAnswer) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, u.srv.URL+"/ui/cases/"+id+"/lease", nil)
		req.Header.Set("X-CSRF-Token", c.csrf)
		r := c.do(req)
		var a leaseAnswer
		if err := json.Unmarshal([]byte(r.body), &a); err != nil && r.status != http.StatusForbidden {
			t.Fatalf("heartbeat answer %q: %v", r.body, err)
		}
		return r.status, a
	}
	u.clock.Advance(9 * time.Minute)
	if st, a := beat(kim); st != http.StatusOK || a.Seconds != int(DefaultLease/time.Second) {
		t.Fatalf("heartbeat: %d %+v", st, a)
	}
	u.clock.Advance(9 * time.Minute) // 18 minutes after the claim: alive thanks to the beat
	if got, _ := u.store.Case(t.Context(), id); !got.LeaseUntil.After(u.clock.Now()) {
		t.Fatal("the lease was not extended")
	}
	lee := u.signIn("lee", store.RoleModerator)
	if st, a := beat(lee); st != http.StatusConflict || !a.Lost {
		t.Errorf("another reviewer's heartbeat: %d %+v", st, a)
	}
	u.clock.Advance(2 * time.Minute)
	if st, a := beat(kim); st != http.StatusConflict || !a.Lost {
		t.Errorf("heartbeat after the lease ran out: %d %+v", st, a)
	}
	// Without the token it is refused like any other post.
	req, _ := http.NewRequest(http.MethodPost, u.srv.URL+"/ui/cases/"+id+"/lease", nil)
	u.wantDenied(kim.do(req), "u-kim", "csrf")
}

func TestReleaseGivesTheCaseBack(t *testing.T) {
	u := newTestUI(t)
	u.open(decision("a", "", engine.Insult))
	kim, id := claimed(t, u, "kim", store.RoleModerator)
	r := kim.post("/ui/cases/"+id+"/release", nil)
	if r.status != http.StatusSeeOther || r.location != "/ui/?notice=released" {
		t.Fatalf("release: %d to %q", r.status, r.location)
	}
	if _, id2 := claimed(t, u, "lee", store.RoleModerator); id2 != id {
		t.Error("the released case could not be claimed again")
	}
}

func TestAppealsAreDecidedByAnotherReviewer(t *testing.T) {
	u := newTestUI(t)
	d := decision("a", "", engine.Insult)
	u.open(d)
	kim, id := claimed(t, u, "kim", store.RoleModerator, store.RoleAppeals)
	if r := kim.post("/ui/cases/"+id+"/decide", url.Values{"outcome": {"remove"}, "ground": {"inclusiveness"}, "reason": {"insulting"}}); r.status != http.StatusSeeOther {
		t.Fatalf("decide: %d", r.status)
	}
	a, err := u.store.FileAppeal(t.Context(), d.ID, d.SenderID, "I was <quoting> someone", u.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	// The reviewer who removed it is not given the appeal.
	if r := kim.post("/ui/queues/appeals/claim", nil); r.location != "/ui/?notice=queue_empty" {
		t.Fatalf("the original decider's claim of the appeal: %d to %q", r.status, r.location)
	}
	if body := kim.get("/ui/cases/" + a.ReviewCase + "?lang=en").body; strings.Contains(body, `value="overturn"`) {
		t.Error("the original decider is offered the appeal's decision")
	}
	// Someone without the appeals role cannot take it at all.
	mod := u.signIn("mod", store.RoleModerator)
	u.wantDenied(mod.post("/ui/queues/appeals/claim", nil), "u-mod", "queue_role")
	lee := u.signIn("lee", store.RoleAppeals)
	r := lee.post("/ui/queues/appeals/claim", nil)
	if r.location != "/ui/cases/"+a.ReviewCase {
		t.Fatalf("lee's claim: %q", r.location)
	}
	body := lee.get(r.location + "?lang=en").body
	for _, want := range []string{`value="uphold"`, `value="overturn"`, "I was &lt;quoting&gt; someone", "Remove (<a href=\"/ui/cases/" + id + "\""} {
		if !strings.Contains(body, want) {
			t.Errorf("appeal page lacks %q", want)
		}
	}
	if strings.Contains(body, `value="remove"`) {
		t.Error("an appeal offers a case's outcomes")
	}
	noMissingMessages(t, "appeal page", body)
	// Nor can the appeal be handed to kim.
	u.wantDenied(lee.post("/ui/cases/"+a.ReviewCase+"/reassign", url.Values{"to": {"kim"}, "note": {"you know this user"}}), "u-lee", "original_decider")
	if c, _ := u.store.Case(t.Context(), a.ReviewCase); c.ClaimedBy != "u-lee" {
		t.Errorf("after the refused reassignment the appeal is held by %q", c.ClaimedBy)
	}
	r = lee.post("/ui/cases/"+a.ReviewCase+"/decide", url.Values{"outcome": {"overturn"}, "reason": {"quoting, not insulting"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("overturn: %d\n%s", r.status, r.body)
	}
	// Overturning takes two: lee proposed; lee may not approve, and
	// another appeals reviewer does.
	if r.location != "/ui/?notice=overturn_proposed" {
		t.Fatalf("the first overturn went to %q, want a proposal", r.location)
	}
	if r := lee.post("/ui/queues/appeals/claim", nil); r.location != "/ui/cases/"+a.ReviewCase {
		t.Fatalf("lee claiming the proposal: %q", r.location)
	}
	if body := lee.get("/ui/cases/" + a.ReviewCase + "?lang=en").body; !strings.Contains(body, "Overturn proposed") || !strings.Contains(body, "You proposed it.") {
		t.Error("the appeal page does not show lee's proposal")
	}
	u.wantDenied(lee.post("/ui/cases/"+a.ReviewCase+"/decide", url.Values{"outcome": {"overturn"}, "reason": {"r"}}), "u-lee", "own_proposal")
	lee.post("/ui/cases/"+a.ReviewCase+"/release", nil)
	choi := u.signIn("choi", store.RoleAppeals)
	if r := choi.post("/ui/queues/appeals/claim", nil); r.location != "/ui/cases/"+a.ReviewCase {
		t.Fatalf("choi's claim: %q", r.location)
	}
	r = choi.post("/ui/cases/"+a.ReviewCase+"/decide", url.Values{"outcome": {"overturn"}, "reason": {"agreed"}})
	if r.status != http.StatusSeeOther || r.location != "/ui/?notice=appeal_decided" {
		t.Fatalf("overturn: %d to %q\n%s", r.status, r.location, r.body)
	}
	got, err := u.store.AppealByID(t.Context(), a.ID)
	if err != nil || got.Status != store.AppealOverturned || got.DecidedBy != "u-choi" {
		t.Errorf("appeal after overturning: %+v, %v", got, err)
	}
}

// TestCasePageShowsTheBehaviour: a counsellor reading a grooming case
// sees the conversation's cues and counts, named in their language.
func TestCasePageShowsTheBehaviour(t *testing.T) {
	u := newTestUI(t)
	d := decision("g", store.QueueYouthSafety, engine.Grooming)
	d.Behaviour = &engine.BehaviourSignals{Rate10s: 1, Rate60s: 2, Rate10m: 3, WaveSenders: 1, AccountAgeHours: -1,
		Grooming: &engine.GroomingHistory{Cues: []engine.GroomingCue{engine.CueAge, engine.CueSecrecy, engine.CuePlatformMove}, Messages: 6, CueMessages: 3, Days: 2}}
	u.open(d)
	id := u.caseOf("e-g").ID
	park := u.signIn("park", store.RoleCounsellor)
	for lang, want := range map[string][]string{
		"en": {"Grooming cues in the conversation (14 days)", "asks age or grade", "asks for secrecy", "moves to another app or a private room", "6 messages, 3 with a cue, on 2 days", "unknown"},
		"ko": {"대화의 그루밍 징후 (14일)", "나이·학년 질문", "비밀 요구", "메시지 6개, 징후가 있는 메시지 3개, 2일에 걸침"},
	} {
		r := park.get("/ui/cases/" + id + "?lang=" + lang)
		if r.status != http.StatusOK {
			t.Fatalf("status %d", r.status)
		}
		noMissingMessages(t, "case page", r.body)
		for _, w := range want {
			if !strings.Contains(r.body, w) {
				t.Errorf("%s case page lacks %q", lang, w)
			}
		}
	}
}
