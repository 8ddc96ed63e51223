package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
)

// seedMonth stores n decisions spread over November 2026 (KST) as the
// engine makes them: evidence in every body, four in five allowed, the
// rest redacted, blocked or held (holds open cases with a snapshot),
// and a report for every hundredth.
func seedMonth(b *testing.B, s *Store, n int) {
	b.Helper()
	ctx := context.Background()
	actions := []engine.Action{engine.ActionAllow, engine.ActionAllow, engine.ActionAllow, engine.ActionAllow, engine.ActionAllow,
		engine.ActionAllow, engine.ActionAllow, engine.ActionAllow, engine.ActionRedact, engine.ActionBlock,
		engine.ActionAllow, engine.ActionAllow, engine.ActionAllow, engine.ActionAllow, engine.ActionAllow,
		engine.ActionAllow, engine.ActionAllow, engine.ActionAllow, engine.ActionHold, engine.ActionBlock}
	step := november.End().Sub(november.Start()) / time.Duration(n)
	batch := make([]*engine.Decision, 0, 1000)
	for i := range n {
		d := reviewDecision(fmt.Sprintf("%07d", i), actions[i%len(actions)], "")
		d.DecidedAt = november.Start().Add(time.Duration(i) * step)
		d.Scores = engine.Scores{engine.Insult: 0.7, engine.Spam: 0.1, engine.Toxic: 0.7}
		d.Evidence = d.Scores
		d.ModelVersions = map[string]string{"text": "v3", "text_cnn": "v2"}
		d.Fired = []engine.FiredRule{{RuleID: "inclusiveness.insult", Action: d.Action, Principle: "inclusiveness", Severity: "medium"}}
		if d.Action.Restricts() {
			d.Categories = []engine.Category{engine.Insult}
			d.RuleIDs = []string{"inclusiveness.insult"}
			d.Principle, d.Value = "inclusiveness", "safe_experience"
			d.Reasons = []engine.Reason{{RuleID: "inclusiveness.insult", KO: "모욕 표현", EN: "Insult"}}
			d.Terms = []engine.TermSpan{{Category: engine.Insult, Start: 0, End: 2}}
		}
		if d.Action == engine.ActionRedact {
			d.Categories = []engine.Category{engine.PIICategory}
			d.PII = []engine.PIISpan{{Type: engine.PIIPhone, Start: 4, End: 17, Score: 0.9}}
			d.RedactedText = "call *************"
		}
		if d.Action == engine.ActionHold {
			d.Queue = QueueGeneral
			d.Content = &engine.Content{Kind: engine.KindChat, Text: "held message text"}
		}
		batch = append(batch, d)
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := s.SaveDecisions(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
		if i%100 == 0 {
			if _, err := s.FileReport(ctx, &Report{ReporterID: fmt.Sprintf("r-%d", i%37), TargetKind: TargetMessage, TargetID: d.EventID,
				Category: engine.Insult, SpaceType: "plaza", Details: "free text"}, d.DecidedAt.Add(time.Minute)); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func openBenchSQLite(b *testing.B) *Store {
	s, err := OpenSQLite(context.Background(), filepath.Join(b.TempDir(), FileName))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkTransparencyMonth computes November's report over 100,000
// decisions (and the cases and reports they opened) on SQLite, as a
// month is computed once before it is frozen.
func BenchmarkTransparencyMonth(b *testing.B) {
	s := openBenchSQLite(b)
	seedMonth(b, s, 100_000)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		r, err := s.computeTransparency(ctx, november, utc(12, 5, 0, 0))
		if err != nil || r.OwnInitiative.Decisions != 100_000 {
			b.Fatalf("%v %+v", err, r.OwnInitiative)
		}
	}
}

// BenchmarkRetentionRound runs retention over 100,000 decisions past
// their evidence's period on SQLite: the first round strips every
// decision (but those whose case is open); the round after finds
// nothing left, as every hourly round does in a steady state.
func BenchmarkRetentionRound(b *testing.B) {
	s := openBenchSQLite(b)
	seedMonth(b, s, 100_000)
	ctx := context.Background()
	now := november.End().Add(DefaultDecisionEvidenceRetention + 24*time.Hour)
	avgBody := func() float64 {
		var n float64
		if err := s.db.QueryRowContext(ctx, `SELECT avg(length(body)) FROM decisions`).Scan(&n); err != nil {
			b.Fatal(err)
		}
		return n
	}
	before := avgBody()
	b.ResetTimer()
	start := time.Now()
	c, err := s.ApplyRetention(ctx, now, DefaultRetention())
	first := time.Since(start)
	if err != nil || c.Decisions < 90_000 || c.More {
		b.Fatalf("%v %+v", err, c)
	}
	var idle time.Duration
	for b.Loop() {
		start := time.Now()
		if c, err := s.ApplyRetention(ctx, now.Add(time.Hour), DefaultRetention()); err != nil || c.Decisions != 0 {
			b.Fatalf("%v %+v", err, c)
		}
		idle = time.Since(start)
	}
	b.ReportMetric(first.Seconds(), "first-round-s")
	b.ReportMetric(float64(c.Decisions), "decisions-stripped")
	b.ReportMetric(float64(idle.Microseconds())/1000, "idle-round-ms")
	b.StopTimer()
	b.ReportMetric(before, "body-bytes-before")
	b.ReportMetric(avgBody(), "body-bytes-after")
}
