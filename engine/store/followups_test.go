package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store/pgtest"
)

// TestFollowUps: a first decision that leaves its image's text pending
// stores the reading with it; ClaimPendingTexts leases readings whose
// lease is over; SaveFollowUp stores the follow-up once, as the event's
// latest decision (what a repeat of the event gets), with its decision
// and action in the outbox, and only while the lease is the row's.
func TestFollowUps(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		first := reviewDecision("f1", engine.ActionAllow, "")
		first.EventKind, first.Fingerprint = engine.KindImage, "fp-f1"
		first.Pending = &engine.PendingText{Event: []byte(`{"id":"e-f1"}`), Behaviour: &engine.BehaviourSignals{Rate60s: 3},
			Lease: "mine", LeaseUntil: t0.Add(time.Minute)}
		unleased := reviewDecision("f2", engine.ActionAllow, "")
		unleased.Pending = &engine.PendingText{Event: []byte(`{"id":"e-f2"}`)}
		if _, err := s.SaveDecisions(ctx, []*engine.Decision{first, unleased}); err != nil {
			t.Fatal(err)
		}
		// Only the unleased reading is free before the lease ends.
		ps, err := s.ClaimPendingTexts(ctx, "sweep-1", 10, t0, time.Hour)
		if err != nil || len(ps) != 1 || ps[0].EventID != "e-f2" || ps[0].Lease != "sweep-1" || ps[0].Attempts != 1 {
			t.Fatalf("claim before the lease ends: %+v %v", ps, err)
		}
		ps, err = s.ClaimPendingTexts(ctx, "sweep-2", 10, t0.Add(2*time.Minute), time.Minute)
		if err != nil || len(ps) != 1 || ps[0].EventID != "e-f1" {
			t.Fatalf("claim after the lease ends: %+v %v", ps, err)
		}
		p := ps[0]
		if p.FirstID != first.ID || p.FirstAction != engine.ActionAllow || p.Fingerprint != "fp-f1" || p.Behaviour.Rate60s != 3 ||
			string(p.Event) != `{"id":"e-f1"}` || !p.FirstDecidedAt.Equal(t0) {
			t.Errorf("claimed %+v", p)
		}
		follow := reviewDecision("f1-followup", engine.ActionHold, QueueGeneral, engine.PIICategory)
		follow.EventID, follow.EventKind, follow.Supersedes, follow.Fingerprint = first.EventID, engine.KindImage, first.ID, "fp-f1"
		follow.Content = &engine.Content{Kind: engine.KindImage, Image: []byte("pixels")}
		// The old lease no longer holds the reading.
		if err := s.SaveFollowUp(ctx, first.EventID, "mine", follow, nil, t0); !errors.Is(err, ErrPendingLeaseLost) {
			t.Fatalf("follow-up under a lost lease: %v", err)
		}
		if err := s.SaveFollowUp(ctx, first.EventID, "sweep-2", follow, nil, t0); err != nil {
			t.Fatal(err)
		}
		// The follow-up is in the search feed, once.
		var fed int
		if err := s.db.QueryRowContext(ctx, s.q(`SELECT count(*) FROM search_changes WHERE kind = 'decision' AND ref = ?`), follow.ID).Scan(&fed); err != nil || fed != 1 {
			t.Errorf("the follow-up is fed %d times (%v), want once", fed, err)
		}
		latest, err := s.DecisionsForEvents(ctx, []string{first.EventID, unleased.EventID})
		if err != nil || latest[first.EventID].ID != follow.ID || latest[first.EventID].Supersedes != first.ID || latest[unleased.EventID].ID != unleased.ID {
			t.Fatalf("latest decisions %+v %v", latest, err)
		}
		if d, err := s.Decision(ctx, first.ID); err != nil || d.Action != engine.ActionAllow {
			t.Errorf("the first decision by id: %+v %v", d, err)
		}
		// A redelivery of the event decided again gets the follow-up.
		again := reviewDecision("f1-again", engine.ActionBlock, "")
		again.EventID = first.EventID
		got, err := s.SaveDecisions(ctx, []*engine.Decision{again})
		if err != nil || got[0].ID != follow.ID {
			t.Errorf("repeat stored %+v %v, want the follow-up", got[0], err)
		}
		msgs, err := s.Outbox(ctx, 10)
		if err != nil || len(msgs) != 2 || msgs[0].Kind != OutboxDecision || msgs[1].Kind != OutboxAction {
			t.Fatalf("outbox %+v %v", msgs, err)
		}
		var d engine.Decision
		if err := json.Unmarshal(msgs[0].Body, &d); err != nil || d.ID != follow.ID || d.Supersedes != first.ID {
			t.Errorf("decision in the outbox %s %v", msgs[0].Body, err)
		}
		c, err := s.openCaseFor(ctx, s.db, "event:"+first.EventID)
		if err != nil || c.DecisionID != follow.ID {
			t.Fatalf("case of the follow-up %+v %v", c, err)
		}
		if sn, err := s.Snapshots(ctx, c.ID); err != nil || len(sn) != 1 || string(sn[0].Image) != "pixels" {
			t.Errorf("snapshot %+v %v", sn, err)
		}
		// The reading is done: nothing left to claim, and a second
		// follow-up of the same decision cannot be stored.
		if n, _ := s.CountPendingTexts(ctx); n != 1 {
			t.Errorf("%d readings pending, want 1 (e-f2)", n)
		}
		// e-f2's reading: tried again later, then given up.
		if err := s.RetryPendingText(ctx, "e-f2", "sweep-1", t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if ps, _ := s.ClaimPendingTexts(ctx, "sweep-3", 10, t0.Add(30*time.Minute), time.Minute); len(ps) != 0 {
			t.Errorf("claimed before its retry time: %+v", ps)
		}
		ps, err = s.ClaimPendingTexts(ctx, "sweep-3", 10, t0.Add(61*time.Minute), time.Minute)
		if err != nil || len(ps) != 1 || ps[0].Attempts != 2 {
			t.Fatalf("claim at its retry time %+v %v", ps, err)
		}
		if err := s.DropPendingText(ctx, "e-f2", "sweep-1"); !errors.Is(err, ErrPendingLeaseLost) {
			t.Errorf("drop under an old lease: %v", err)
		}
		if err := s.DropPendingText(ctx, "e-f2", "sweep-3"); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.CountPendingTexts(ctx); n != 0 {
			t.Errorf("%d readings pending, want none", n)
		}
	})
}

// TestFollowUpMigrationKeepsDecisions opens a database at migration 22
// holding decisions, upgrades it, and checks they read as before, as
// each event's latest, and that one first decision per event is still
// enforced.
func TestFollowUpMigrationKeepsDecisions(t *testing.T) {
	ctx := context.Background()
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			var dsn string
			if dialect == "sqlite" {
				dsn = t.TempDir() + "/" + FileName
			} else {
				dsn = pgtest.URL(t)
			}
			// The schema of migration 22 (the statements this code prepares
			// at opening need 23, so the database is reached directly).
			all := migrations
			migrations = all[:22]
			_, err := Open(ctx, dsn)
			migrations = all
			if err == nil || !strings.Contains(err.Error(), "supersedes") {
				t.Fatalf("opening at migration 22: %v", err)
			}
			driver, q := "sqlite", "?"
			if dialect == "postgres" {
				driver, q = "pgx", "$"
			}
			raw, err := sql.Open(driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			args := []any{"d-old", "e-old", "chat", "w", "s", "plaza", "u", "block", "", "rev",
				"2026-11-22T09:00:00.000000000Z", `{"decision_id":"d-old","event_id":"e-old","action":"block"}`, "fp"}
			ph := make([]string, len(args))
			for i := range ph {
				ph[i] = q
				if q == "$" {
					ph[i] = fmt.Sprintf("$%d", i+1)
				}
			}
			if _, err := raw.ExecContext(ctx, `INSERT INTO decisions
				(decision_id, event_id, event_kind, world, space_id, space_type, sender_id, action, queue, policy_revision, decided_at, body, fingerprint)
				VALUES (`+strings.Join(ph, ",")+`)`, args...); err != nil {
				t.Fatal(err)
			}
			raw.Close()
			s, err := Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if v, _ := s.SchemaVersion(ctx); v != len(migrations) {
				t.Errorf("schema version %d, want %d", v, len(migrations))
			}
			got, err := s.DecisionsForEvents(ctx, []string{"e-old"})
			if err != nil || got["e-old"] == nil || got["e-old"].ID != "d-old" || got["e-old"].Fingerprint != "fp" {
				t.Fatalf("decision after the migration: %+v %v", got, err)
			}
			// The search feed's triggers follow the rebuilt table.
			var before, after int
			s.db.QueryRowContext(ctx, `SELECT count(*) FROM search_changes`).Scan(&before)
			if _, err := s.SaveDecisions(ctx, []*engine.Decision{decision("d-other", "e-other", engine.ActionAllow)}); err != nil {
				t.Fatal(err)
			}
			s.db.QueryRowContext(ctx, `SELECT count(*) FROM search_changes`).Scan(&after)
			if after != before+1 {
				t.Errorf("search changes %d → %d after a new decision, want one more", before, after)
			}
			again := decision("d-new", "e-old", engine.ActionAllow)
			saved, err := s.SaveDecisions(ctx, []*engine.Decision{again})
			if err != nil || saved[0].ID != "d-old" {
				t.Errorf("a second first decision for the event: %+v %v", saved[0], err)
			}
		})
	}
}
