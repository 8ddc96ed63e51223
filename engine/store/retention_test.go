package store

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/statement"
)

func TestRetentionValidate(t *testing.T) {
	if err := DefaultRetention().Validate(); err != nil {
		t.Errorf("the default: %v", err)
	}
	r := DefaultRetention()
	r.DecisionEvidence = AppealWindow - time.Hour
	if err := r.Validate(); err == nil {
		t.Error("evidence kept less than the appeal window was accepted")
	}
	r = DefaultRetention()
	r.ReportText = 0
	if err := r.Validate(); err == nil {
		t.Error("a zero retention was accepted")
	}
}

// TestRetentionRemovesWhatIsPastItsPeriod: snapshots, report text, appeal
// reasons and decisions' evidence past their periods are gone from the
// store, and listed for the search index; what is not past its period,
// or still read by an open case or appeal, stays; rows stay; a second
// run changes nothing; a held decision goes once its case closes.
func TestRetentionRemovesWhatIsPastItsPeriod(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		day := 24 * time.Hour
		T0 := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
		T1 := T0.Add(100 * day)
		now := T1.Add(90*day + time.Hour) // T0 + 190 days + 1 hour
		mod := Moderator{ID: "mod-1", Roles: []string{RoleModerator, RoleAppeals, RoleCounsellor, RoleSenior}}

		content := func(text string) *engine.Content {
			return &engine.Content{Kind: engine.KindChat, Text: text, Context: []engine.ContextMessage{{SenderID: "u-9", Text: "context of " + text}}}
		}
		withEvidence := func(d *engine.Decision) *engine.Decision {
			d.Scores, d.Evidence = engine.Scores{engine.Insult: 0.8}, engine.Scores{engine.Insult: 0.85}
			d.PII = []engine.PIISpan{{Type: engine.PIIPhone, Start: 1, End: 14, Score: 0.9}}
			d.Terms = []engine.TermSpan{{Category: engine.Insult, Start: 0, End: 1}}
			d.Fired = []engine.FiredRule{{RuleID: "r", Action: d.Action, Principle: "inclusiveness", Severity: "medium"}}
			d.ModelVersions = map[string]string{"text": "v1"}
			d.Fingerprint = "fingerprint-" + d.ID
			return d
		}
		at := func(d *engine.Decision, t time.Time) *engine.Decision { d.DecidedAt = t; return withEvidence(d) }
		allow := at(reviewDecision("allow", engine.ActionAllow, ""), T0)
		redact := at(reviewDecision("redact", engine.ActionRedact, "", engine.PIICategory), T0)
		redact.RedactedText = "call me at ***********"
		block := at(reviewDecision("block", engine.ActionBlock, "", engine.Insult), T0)        // its appeal stays open
		held := at(reviewDecision("held", engine.ActionHold, QueueGeneral, engine.Insult), T0) // its case stays open
		held.Content = content("held text")
		closedA := at(reviewDecision("a", engine.ActionHold, QueueGeneral, engine.Spam), T1.Add(-day))
		closedA.Content = content("a text")
		recent := at(reviewDecision("recent", engine.ActionBlock, "", engine.Insult), now.Add(-day))
		ds := []*engine.Decision{allow, redact, block, held, closedA, recent}
		original := map[string]string{}
		for _, d := range ds {
			b, _ := json.Marshal(d)
			original[d.ID] = string(b)
		}
		openFor(t, s, ds...)

		report := func(target string, at time.Time) *Report {
			r, err := s.FileReport(ctx, &Report{ReporterID: "rep-" + target, TargetKind: TargetMessage, TargetID: target, Category: engine.Insult,
				Details: "he wrote my phone number 010-1234-5678", Location: "near the fountain", Context: content("reported " + target).Context}, at)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		repB, repC, repD := report("e-b", T1.Add(-day)), report("e-c", T1.Add(-day)), report("e-d", T1.Add(-day))
		caseA, err := s.openCaseFor(ctx, s.db, "event:e-a")
		if err != nil {
			t.Fatal(err)
		}
		decideCase(t, s, caseA.ID, mod, Outcome{Kind: OutcomeDismiss}, T1)
		decideCase(t, s, repB.CaseID, mod, Outcome{Kind: OutcomeRemove}, T1)
		decideCase(t, s, repD.CaseID, mod, Outcome{Kind: OutcomeRemove}, T1.Add(10*day)) // not yet past

		appX, err := s.FileAppeal(ctx, redact.ID, redact.SenderID, "I only gave my own number", T0.Add(5*day))
		if err != nil {
			t.Fatal(err)
		}
		decideAppeal(t, s, []Moderator{mod}, false, T1)
		appY, err := s.FileAppeal(ctx, block.ID, block.SenderID, "it was a joke between friends", T0.Add(10*day))
		if err != nil {
			t.Fatal(err)
		}

		counts, err := s.ApplyRetention(ctx, now, DefaultRetention())
		if err != nil {
			t.Fatal(err)
		}
		// Snapshots: case A's decision snapshot and report B's context.
		want := RetentionCounts{Snapshots: 2, Reports: 1, Appeals: 1, Decisions: 2}
		if counts != want {
			t.Errorf("counts %+v, want %+v", counts, want)
		}

		snapshots := func(caseID string) int {
			var n int
			if err := s.db.QueryRowContext(ctx, s.q(`SELECT count(*) FROM case_snapshots WHERE case_id = ?`), caseID).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		heldCase, err := s.openCaseFor(ctx, s.db, "event:e-held")
		if err != nil {
			t.Fatal(err)
		}
		for id, want := range map[string]int{caseA.ID: 0, repB.CaseID: 0, repC.CaseID: 1, repD.CaseID: 1, heldCase.ID: 1} {
			if got := snapshots(id); got != want {
				t.Errorf("case %s keeps %d snapshots, want %d", id, got, want)
			}
		}
		reportText := func(id string) string {
			var details, location string
			if err := s.db.QueryRowContext(ctx, s.q(`SELECT details, location FROM reports WHERE report_id = ?`), id).Scan(&details, &location); err != nil {
				t.Fatal(err)
			}
			return details + location
		}
		if got := reportText(repB.ID); got != "" {
			t.Errorf("report B keeps %q", got)
		}
		for _, r := range []*Report{repC, repD} {
			if got := reportText(r.ID); !strings.Contains(got, "010-1234-5678") {
				t.Errorf("report %s lost its text before its time: %q", r.ID, got)
			}
		}
		for id, want := range map[string]string{appX.ID: "", appY.ID: "it was a joke between friends"} {
			a, err := s.AppealByID(ctx, id)
			if err != nil || a.Reason != want {
				t.Errorf("appeal %s reason %q (%v), want %q", id, a.Reason, err, want)
			}
		}

		stored := func(id string) (string, string) {
			var body, fp string
			if err := s.db.QueryRowContext(ctx, s.q(`SELECT body, fingerprint FROM decisions WHERE decision_id = ?`), id).Scan(&body, &fp); err != nil {
				t.Fatal(err)
			}
			return body, fp
		}
		for _, d := range []*engine.Decision{allow, redact} {
			body, fp := stored(d.ID)
			want, _ := json.Marshal(statement.Minimal(d))
			if body != string(want) || fp != "" {
				t.Errorf("decision %s: body %s fingerprint %q, want %s", d.ID, body, fp, want)
			}
			for _, gone := range []string{"***", "0.8", "phone", "\"text\":\"v1\""} {
				if strings.Contains(body, gone) {
					t.Errorf("decision %s keeps %q", d.ID, gone)
				}
			}
			got, err := s.Decision(ctx, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			h := &statement.HumanDecision{Outcome: statement.OutcomeRemove, DecidedAt: T1}
			a, _ := json.Marshal(statement.Build(got, h, "/v1/appeals"))
			b, _ := json.Marshal(statement.Build(d, h, "/v1/appeals"))
			if string(a) != string(b) {
				t.Errorf("decision %s: the statement changed:\n%s\n%s", d.ID, a, b)
			}
		}
		for _, d := range []*engine.Decision{block, held, closedA, recent} {
			if body, fp := stored(d.ID); body != original[d.ID] || fp != d.Fingerprint {
				t.Errorf("decision %s was changed before its time or while a case or appeal reads it", d.ID)
			}
		}

		forgotten, err := s.Forgotten(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		wantForgotten := []Forgotten{{ForgottenCase, caseA.ID}, {ForgottenCase, repB.CaseID}, {ForgottenReport, repB.ID},
			{ForgottenAppeal, appX.ID}, {ForgottenDecision, allow.ID}, {ForgottenDecision, redact.ID}}
		sortForgotten(forgotten)
		sortForgotten(wantForgotten)
		if !slices.Equal(forgotten, wantForgotten) {
			t.Errorf("forgotten %v, want %v", forgotten, wantForgotten)
		}

		// Nothing more to do: idempotent.
		if again, err := s.ApplyRetention(ctx, now.Add(time.Minute), DefaultRetention()); err != nil || again != (RetentionCounts{}) {
			t.Errorf("a second run: %+v %v", again, err)
		}
		if again, _ := s.Forgotten(ctx, 100); len(again) != len(wantForgotten) {
			t.Errorf("a second run listed %d items, want the first run's %d", len(again), len(wantForgotten))
		}
		if err := s.AckForgotten(ctx, forgotten[:2]); err != nil {
			t.Fatal(err)
		}
		if left, _ := s.Forgotten(ctx, 100); len(left) != len(wantForgotten)-2 {
			t.Errorf("%d left after acknowledging 2 of %d", len(left), len(wantForgotten))
		}

		// Rows stay: the reports count them.
		for table, want := range map[string]int{"decisions": 6, "reports": 3, "appeals": 2} {
			var n int
			if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil || n != want {
				t.Errorf("%s: %d rows (%v), want %d", table, n, err, want)
			}
		}

		// The held case closes: its decision goes at the next run, with
		// the case's snapshots once their own period is over.
		later := now.Add(time.Hour)
		decideCase(t, s, heldCase.ID, mod, Outcome{Kind: OutcomeRemove}, later)
		c, err := s.ApplyRetention(ctx, later.Add(statsLag+time.Minute), DefaultRetention())
		if err != nil || c != (RetentionCounts{Decisions: 1}) {
			t.Errorf("after the held case closed: %+v %v", c, err)
		}
		if body, _ := stored(held.ID); strings.Contains(body, "0.8") {
			t.Error("the held decision kept its evidence after its case closed")
		}
	})
}

func sortForgotten(fs []Forgotten) {
	slices.SortFunc(fs, func(a, b Forgotten) int {
		if c := strings.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}
