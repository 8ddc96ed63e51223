package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
)

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), FileName)
	s, err := OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func decision(id, event string, action engine.Action) *engine.Decision {
	return &engine.Decision{
		ID: id, EventID: event, EventKind: engine.KindChat, World: "w", SenderID: "u1",
		Space:  engine.Space{ID: "plaza-1", Type: "plaza"},
		Action: action, Severity: "none", PolicyRevision: "rev", DecidedAt: time.Unix(1700000000, 0).UTC(),
		RuleIDs: []string{}, Reasons: []engine.Reason{},
	}
}

func TestSaveDecisionsKeepsTheFirstPerEvent(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	got, err := s.SaveDecisions(ctx, []*engine.Decision{decision("d1", "e1", engine.ActionAllow), decision("d2", "e2", engine.ActionBlock)})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].ID != "d1" || got[1].ID != "d2" {
		t.Fatalf("first save returned %s, %s", got[0].ID, got[1].ID)
	}
	// A redelivered e1 decided again gets the stored decision back.
	got, err = s.SaveDecisions(ctx, []*engine.Decision{decision("d1-again", "e1", engine.ActionBlock), decision("d3", "e3", engine.ActionHold)})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].ID != "d1" || got[0].Action != engine.ActionAllow {
		t.Errorf("redelivered event: got decision %s (%s), want the stored d1 (allow)", got[0].ID, got[0].Action)
	}
	if got[1].ID != "d3" {
		t.Errorf("new event: got %s", got[1].ID)
	}
	if n, _ := s.CountDecisions(ctx); n != 3 {
		t.Errorf("%d decisions stored, want 3", n)
	}
	m, err := s.DecisionsForEvents(ctx, []string{"e1", "e3", "missing"})
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 2 || m["e1"].ID != "d1" || m["e3"].ID != "d3" {
		t.Errorf("DecisionsForEvents = %v", m)
	}
	if _, err := s.Decision(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing decision: %v", err)
	}
	d, err := s.Decision(ctx, "d2")
	if err != nil || d.Action != engine.ActionBlock || d.Space.Type != "plaza" {
		t.Errorf("Decision(d2) = %+v, %v", d, err)
	}
}

func TestMigrationsRunOnceAcrossReopen(t *testing.T) {
	s, path := openTemp(t)
	ctx := context.Background()
	if _, err := s.SaveDecisions(ctx, []*engine.Decision{decision("d1", "e1", engine.ActionAllow)}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	v, err := s2.SchemaVersion(ctx)
	if err != nil || v != len(migrations) {
		t.Errorf("schema version %d, %v; want %d", v, err, len(migrations))
	}
	if n, _ := s2.CountDecisions(ctx); n != 1 {
		t.Errorf("%d decisions after reopening, want 1", n)
	}
}

func TestConcurrentSavesOfOneEventStoreOne(t *testing.T) {
	// Two handles on one file stand for two worker processes.
	s1, path := openTemp(t)
	s2, err := OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	ctx := context.Background()
	var wg sync.WaitGroup
	ids := make([][]string, 8)
	for g := range 8 {
		st := s1
		if g%2 == 1 {
			st = s2
		}
		wg.Go(func() {
			for e := range 50 {
				got, err := st.SaveDecisions(ctx, []*engine.Decision{decision(fmt.Sprintf("d-%d-%d", g, e), fmt.Sprintf("e%d", e), engine.ActionAllow)})
				if err != nil {
					t.Error(err)
					return
				}
				ids[g] = append(ids[g], got[0].ID)
			}
		})
	}
	wg.Wait()
	if n, _ := s1.CountDecisions(ctx); n != 50 {
		t.Fatalf("%d decisions, want 50", n)
	}
	for e := range 50 {
		for g := 1; g < 8; g++ {
			if ids[g][e] != ids[0][e] {
				t.Fatalf("event e%d: savers got different decisions %s and %s", e, ids[0][e], ids[g][e])
			}
		}
	}
}

// TestSaveDecisionsKeepsFingerprintsAndQueuesActionsOnce: the stored
// fingerprint comes back with the stored decision, and a restricting
// decision's action is queued once, however often it is saved.
func TestSaveDecisionsKeepsFingerprintsAndQueuesActionsOnce(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		block := decision("d-b", "e-b", engine.ActionBlock)
		block.Fingerprint = "fp-1"
		allow := decision("d-a", "e-a", engine.ActionAllow)
		allow.Fingerprint = "fp-2"
		if _, err := s.SaveDecisions(ctx, []*engine.Decision{block, allow}); err != nil {
			t.Fatal(err)
		}
		again := decision("d-b2", "e-b", engine.ActionAllow)
		again.Fingerprint = "fp-other"
		got, err := s.SaveDecisions(ctx, []*engine.Decision{again})
		if err != nil {
			t.Fatal(err)
		}
		if got[0].ID != "d-b" || got[0].Fingerprint != "fp-1" {
			t.Errorf("saving over e-b returned %s with fingerprint %q, want d-b with fp-1", got[0].ID, got[0].Fingerprint)
		}
		m, err := s.DecisionsForEvents(ctx, []string{"e-a", "e-b"})
		if err != nil || m["e-a"].Fingerprint != "fp-2" || m["e-b"].Fingerprint != "fp-1" {
			t.Errorf("DecisionsForEvents fingerprints: %v %v", m, err)
		}
		if d, err := s.Decision(ctx, "d-a"); err != nil || d.Fingerprint != "fp-2" {
			t.Errorf("Decision fingerprint: %+v %v", d, err)
		}
		out, err := s.Outbox(ctx, 10)
		if err != nil || len(out) != 1 {
			t.Fatalf("outbox %v %v, want the block's action only", out, err)
		}
		var a engine.ActionMessage
		if err := json.Unmarshal(out[0].Body, &a); err != nil || a.ActionID != "d-b:block" || a.Source != engine.SourceAutomated || out[0].Key != "u1" {
			t.Errorf("queued action %s (key %s): %v", out[0].Body, out[0].Key, err)
		}
		if strings.Contains(string(out[0].Body), "fp-1") {
			t.Error("the fingerprint left the store in an action")
		}
	})
}

// TestSenderQueriesUseTheFlagsIndex: every query of a sender's decisions
// is answered from the partial index of restricted decisions
// (decisions_sender_flags), since the index of all of them was dropped
// (migration 21) to spare every stored decision a write. A sender's
// flags count only each event's latest decision (a follow-up, not also
// the first it superseded: migration 23), read from the rows the index
// finds.
func TestSenderQueriesUseTheFlagsIndex(t *testing.T) {
	s, _ := openTemp(t)
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`SELECT 1 FROM decisions WHERE sender_id = ? AND decided_at >= ? AND action <> 'allow' AND latest = 1 LIMIT ?`, []any{"u1", "2026", 10}}, // userContextSQL's flags
		{`SELECT body FROM decisions WHERE sender_id = ? AND action <> 'allow' ORDER BY decided_at DESC LIMIT ?`, []any{"u1", 10}},                // UserHistory
	} {
		if p := queryPlan(t, s, q.sql, q.args...); !strings.Contains(p, "decisions_sender_flags") {
			t.Errorf("%s\nplanned as %s", q.sql, p)
		}
	}
	// An event's decisions (a first and its follow-up) are found by the
	// prefix of the one unique index that also keeps them one each.
	for _, q := range []string{
		`SELECT body, fingerprint FROM decisions WHERE latest = 1 AND event_id IN (?, ?)`,
		`SELECT body, fingerprint FROM decisions WHERE event_id = ? AND latest = 1`,
		`UPDATE decisions SET latest = 0 WHERE event_id = ? AND decision_id <> ?`,
	} {
		if p := queryPlan(t, s, q, "e1", "e2"); !strings.Contains(p, "decisions_event") {
			t.Errorf("%s\nplanned as %s", q, p)
		}
	}
	if !strings.Contains(userContextSQL, `SELECT 1 FROM decisions WHERE sender_id = ? AND decided_at >= ? AND action <> 'allow' AND latest = 1 LIMIT ?`) {
		t.Error("userContextSQL no longer counts flags as this test plans them")
	}
}
