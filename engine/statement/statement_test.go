package statement

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var decidedAt = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

const appealURL = "https://haechi.example/v1/appeals"

func decision(kind engine.Kind, action engine.Action) *engine.Decision {
	return &engine.Decision{
		ID: "d-1", EventID: "e-1", EventKind: kind, World: "seoul", SenderID: "user-7",
		Space:  engine.Space{ID: "plaza-1", Type: engine.SpacePlaza},
		Action: action, Categories: []engine.Category{engine.Insult, engine.Profanity},
		RuleIDs:   []string{"safe_experience.insult.block"},
		Principle: "inclusiveness", Value: "safe_experience", Severity: "medium",
		Reasons: []engine.Reason{{RuleID: "safe_experience.insult.block",
			KO: "다른 이용자를 모욕하는 표현이 있어 차단되었습니다.", EN: "Blocked for insulting another user."}},
		RedactedText: "secret content never shown", PolicyRevision: "rev1", DecidedAt: decidedAt,
		RedactedImage: &engine.RedactedImage{ID: "ab12", ContentType: "image/png", Size: 9, URL: engine.RedactedImagePath("ab12"),
			Boxes: []engine.Box{{X0: 1, Y0: 1, X1: 9, Y1: 9}}},
		Supersedes: "d0", Pending: &engine.PendingText{Event: []byte(`{"id":"e1"}`)},
	}
}

func TestBuildMapsEngineActions(t *testing.T) {
	tests := []struct {
		action      engine.Action
		restriction string
		pending     bool
		appealable  bool
		doneEN      string
	}{
		{engine.ActionBlock, ContentRemoved, false, true, "was removed automatically"},
		{engine.ActionHold, ContentDisabled, true, true, "is held"},
		{engine.ActionEscalate, ContentDisabled, true, true, "specialist reviewer"},
		{engine.ActionRedact, ContentPartiallyMasked, false, true, "with parts masked"},
		{engine.ActionAllow, "", false, false, "No restriction"},
	}
	for _, tt := range tests {
		t.Run(string(tt.action), func(t *testing.T) {
			st := Build(decision(engine.KindChat, tt.action), nil, appealURL)
			switch {
			case tt.restriction == "" && st.Visibility != nil:
				t.Errorf("visibility %+v, want none", st.Visibility)
			case tt.restriction != "" && (st.Visibility == nil || st.Visibility.Restriction != tt.restriction || st.Visibility.PendingReview != tt.pending):
				t.Errorf("visibility %+v, want %s pending=%v", st.Visibility, tt.restriction, tt.pending)
			}
			if st.Account != nil {
				t.Errorf("an engine decision restricted the account: %+v", st.Account)
			}
			if !st.AutomatedDetection || !st.AutomatedDecision || st.Source != "own_initiative" {
				t.Errorf("automated detection %v decision %v source %s", st.AutomatedDetection, st.AutomatedDecision, st.Source)
			}
			if !strings.Contains(st.Facts.EN, tt.doneEN) || !strings.HasPrefix(st.Facts.EN, "Blocked for insulting") {
				t.Errorf("facts %q lack the reason or %q", st.Facts.EN, tt.doneEN)
			}
			if !strings.HasPrefix(st.Facts.KO, "다른 이용자를") || !strings.Contains(st.Facts.KO, "메시지") {
				t.Errorf("Korean facts %q", st.Facts.KO)
			}
			if st.Redress.Appealable != tt.appealable {
				t.Errorf("appealable = %v", st.Redress.Appealable)
			}
			if tt.appealable {
				wantUntil := decidedAt.Add(AppealWindow)
				if st.Redress.URL != appealURL || st.Redress.Method != "POST" || st.Redress.DecisionID != "d-1" || !st.Redress.Until.Equal(wantUntil) {
					t.Errorf("redress %+v", st.Redress)
				}
				if day := wantUntil.Format(time.DateOnly); !strings.Contains(st.Redress.Text.EN, day) || !strings.Contains(st.Redress.Text.KO, day) {
					t.Errorf("redress text lacks the last day %s: %+v", day, st.Redress.Text)
				}
			}
			b, _ := json.Marshal(st)
			for _, secret := range []string{"secret content", "user-7"} {
				if bytes.Contains(b, []byte(secret)) {
					t.Errorf("statement holds %q: %s", secret, b)
				}
			}
		})
	}
}

func TestBuildGroundAndContent(t *testing.T) {
	d := decision(engine.KindVoice, engine.ActionBlock)
	st := Build(d, nil, appealURL)
	g := st.Ground
	if g.Type != GroundIncompatible || g.Reference != "code_of_ethics/safe_experience/inclusiveness" ||
		!slices.Equal(g.RuleIDs, d.RuleIDs) || !slices.Equal(g.Categories, []string{"insult", "profanity"}) {
		t.Errorf("ground %+v", g)
	}
	if !strings.Contains(g.Explanation.KO, "포용성") || !strings.Contains(g.Explanation.KO, "안전한 경험") ||
		!strings.Contains(g.Explanation.EN, "inclusiveness") || !strings.Contains(g.Explanation.EN, "safe experience") {
		t.Errorf("explanation %+v", g.Explanation)
	}
	if st.ContentType != "voice_transcript" || !strings.Contains(st.Facts.EN, "voice message") || !strings.Contains(st.Facts.KO, "음성 발화") {
		t.Errorf("content type %s, facts %+v", st.ContentType, st.Facts)
	}
	if !st.ContentDate.IsZero() || st.ContentLanguage != "" {
		t.Errorf("unknown content date or language filled in: %v %q", st.ContentDate, st.ContentLanguage)
	}
	ko := *d
	ko.Lang = "ko"
	if got := Build(&ko, nil, appealURL).ContentLanguage; got != "ko" {
		t.Errorf("content language %q, want the decision's ko", got)
	}
	if !st.DecisionDate.Equal(decidedAt) || st.DecisionID != "d-1" || st.ContentID != "e-1" {
		t.Errorf("ids and dates: %+v", st)
	}
	// Unknown principles still give a ground, never an empty explanation.
	d.Principle, d.Value = "", ""
	if g := Build(d, nil, appealURL).Ground; g.Reference != "code_of_ethics" || g.Explanation.EN == "" || g.Explanation.KO == "" {
		t.Errorf("ground without a principle: %+v", g)
	}
	if Build(decision(engine.KindImage, engine.ActionBlock), nil, appealURL).ContentType != "image" {
		t.Error("image content type")
	}
}

func TestBuildWithHumanDecision(t *testing.T) {
	reviewed := decidedAt.Add(3 * time.Hour)
	until := reviewed.Add(7 * 24 * time.Hour)
	tests := []struct {
		name       string
		action     engine.Action
		human      HumanDecision
		visibility string
		account    *AccountRestriction
		detection  bool
		doneEN     string
	}{
		{"remove held", engine.ActionHold, HumanDecision{Outcome: OutcomeRemove, DecidedAt: reviewed}, ContentRemoved, nil, true, "a moderator removed"},
		{"dismiss held", engine.ActionHold, HumanDecision{Outcome: OutcomeDismiss, DecidedAt: reviewed}, "", nil, true, "found no violation"},
		{"suspend", engine.ActionBlock, HumanDecision{Outcome: OutcomeSuspend, DecidedAt: reviewed, Until: until}, ContentRemoved,
			&AccountRestriction{Restriction: AccountSuspend, EndDate: until}, true, "suspended the account until " + until.Format(time.DateOnly)},
		{"mute from a report", engine.ActionAllow, HumanDecision{Outcome: OutcomeMute, DecidedAt: reviewed, Until: until, FromReport: true}, "",
			&AccountRestriction{Restriction: AccountMute, EndDate: until}, false, "muted the account"},
		{"ban", engine.ActionEscalate, HumanDecision{Outcome: OutcomeBan, DecidedAt: reviewed}, ContentDisabled,
			&AccountRestriction{Restriction: AccountBan}, true, "closed the account permanently"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decision(engine.KindChat, tt.action)
			st := Build(d, &tt.human, appealURL)
			if st.AutomatedDecision || st.AutomatedDetection != tt.detection {
				t.Errorf("automated decision %v detection %v", st.AutomatedDecision, st.AutomatedDetection)
			}
			if tt.human.FromReport != (st.Source == "user_report") {
				t.Errorf("source %s", st.Source)
			}
			if got := st.Visibility; (tt.visibility == "") != (got == nil) || got != nil && (got.Restriction != tt.visibility || got.PendingReview) {
				t.Errorf("visibility %+v, want %q decided", got, tt.visibility)
			}
			if (tt.account == nil) != (st.Account == nil) || st.Account != nil && (st.Account.Restriction != tt.account.Restriction || !st.Account.EndDate.Equal(tt.account.EndDate)) {
				t.Errorf("account %+v, want %+v", st.Account, tt.account)
			}
			if !st.DecisionDate.Equal(reviewed) || !strings.Contains(st.Facts.EN, tt.doneEN) || !strings.Contains(st.Facts.KO, "운영자가") {
				t.Errorf("date %v facts %+v", st.DecisionDate, st.Facts)
			}
			// The appeal window runs from the engine's decision, as the
			// appeals API counts it.
			if st.Redress.Appealable && !st.Redress.Until.Equal(decidedAt.Add(AppealWindow)) {
				t.Errorf("until %v", st.Redress.Until)
			}
			if st.StatementID == Build(d, nil, appealURL).StatementID {
				t.Error("a person's decision kept the automated statement's id")
			}
		})
	}
}

func TestStatementIDIsStable(t *testing.T) {
	a := Build(decision(engine.KindChat, engine.ActionBlock), nil, appealURL)
	b := Build(decision(engine.KindChat, engine.ActionBlock), nil, "/other")
	if a.StatementID != b.StatementID || len(a.StatementID) != 36 {
		t.Errorf("statement ids %s, %s", a.StatementID, b.StatementID)
	}
	other := decision(engine.KindChat, engine.ActionBlock)
	other.ID = "d-2"
	if Build(other, nil, appealURL).StatementID == a.StatementID {
		t.Error("two decisions share a statement id")
	}
}

// TestGolden keeps whole statements in testdata for review of the wording;
// go test -update rewrites them.
func TestGolden(t *testing.T) {
	cases := map[string]Statement{
		"block_chat":        Build(decision(engine.KindChat, engine.ActionBlock), nil, appealURL),
		"hold_image":        Build(decision(engine.KindImage, engine.ActionHold), nil, appealURL),
		"redact_voice":      Build(decision(engine.KindVoice, engine.ActionRedact), nil, appealURL),
		"suspend_by_person": Build(decision(engine.KindChat, engine.ActionHold), &HumanDecision{Outcome: OutcomeSuspend, DecidedAt: decidedAt.Add(time.Hour), Until: decidedAt.Add(73 * time.Hour)}, appealURL),
	}
	for name, st := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := json.MarshalIndent(st, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", name+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the golden file:\n%s", name, got)
			}
		})
	}
}

// TestWordsForEveryPrinciple: users read every principle and value of the
// code of ethics in words, and nothing else is worded.
func TestWordsForEveryPrinciple(t *testing.T) {
	if len(principles) != len(engine.Principles) || len(values) != len(engine.Values) {
		t.Errorf("%d principles and %d values worded, the code of ethics has %d and %d", len(principles), len(values), len(engine.Principles), len(engine.Values))
	}
	for _, p := range engine.Principles {
		if w, ok := principles[p]; !ok || w.ko == "" || w.en == "" {
			t.Errorf("principle %s has no words", p)
		}
	}
	for _, v := range engine.Values {
		if w, ok := values[v]; !ok || w.ko == "" || w.en == "" {
			t.Errorf("value %s has no words", v)
		}
	}
}
