package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/classifiers/pii"
	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/search"
)

// TestSplitStatementsKeepsEarlierMigrations: the statement splitter that
// migration 17's trigger bodies need splits every earlier migration
// exactly as the plain split at semicolons it replaced.
func TestSplitStatementsKeepsEarlierMigrations(t *testing.T) {
	for i, m := range migrations[:16] {
		for _, sql := range []string{m.sqlite, m.postgres} {
			if got, want := splitStatements(sql), strings.Split(sql, ";"); !slices.Equal(got, want) {
				t.Errorf("migration %d split differently", i+1)
			}
		}
	}
	got := splitStatements(`CREATE TRIGGER t AFTER INSERT ON x BEGIN INSERT INTO y VALUES (1); INSERT INTO y VALUES (';'); END; CREATE FUNCTION f() AS $$ a; b $$; SELECT 1`)
	if len(got) != 3 || !strings.HasSuffix(got[0], "END") || !strings.HasSuffix(got[1], "$$") {
		t.Errorf("split %q", got)
	}
}

// syncAll syncs ix until it has read every change of the store. On
// PostgreSQL a change is read only once every older transaction of the
// whole server has ended, and other tests' transactions run beside this
// one's: it may take a few syncs.
func syncAll(t *testing.T, s *Store, ix *search.Indexer) int {
	t.Helper()
	ctx := context.Background()
	total := 0
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		n, err := ix.Sync(ctx)
		if err != nil {
			t.Fatal(err)
		}
		total += n
		var left int
		if err := s.db.QueryRowContext(ctx, s.q(`SELECT count(*) FROM search_changes c, search_consumers p
			WHERE p.consumer = ? AND (c.txn > p.txn OR (c.txn = p.txn AND c.seq > p.seq))`), ix.Consumer).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			return total
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d changes still unread", left)
		}
	}
}

// TestSearchFollowsTheStore: the store's records reach its index through
// the change feed, masked; a new index is built from the store first;
// purged snapshots and deleted records leave the index.
func TestSearchFollowsTheStore(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		hold := reviewDecision("scam", engine.ActionHold, QueueGeneral, engine.Scam)
		hold.SenderID, hold.RuleIDs = "seller-9", []string{"prosperity.scam.money"}
		hold.Content = &engine.Content{Kind: engine.KindChat, Text: "사기꾼 아니에요, 010-1234-5678 로 입금하세요",
			Context: []engine.ContextMessage{{ID: "m-0", SenderID: "buyer-1", Text: "환불해 주세요"}}}
		allow := reviewDecision("ok", engine.ActionAllow, "")
		allow.SenderID = "seller-9"
		openFor(t, s, hold, allow)
		if _, err := s.FileReport(ctx, &Report{ReporterID: "buyer-1", TargetKind: TargetUser, TargetID: "seller-9", Category: engine.Scam,
			Details: "He asked me to mail buyer@example.com my card", SpaceID: "booth-3"}, t0); err != nil {
			t.Fatal(err)
		}

		ix := &search.Indexer{Feed: s, Index: s.SearchIndex(), Masker: search.NewMasker(pii.New()), Consumer: SearchConsumer}
		// The index has no position yet: it is built from the store.
		syncAll(t, s, ix)
		find := func(q search.Query) []search.Hit {
			t.Helper()
			p, err := s.SearchIndex().Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			return p.Hits
		}
		keys := func(hs []search.Hit) []string {
			var out []string
			for _, h := range hs {
				out = append(out, h.Key())
			}
			return out
		}
		if got := keys(find(search.Query{User: "seller-9", Kinds: []search.Kind{search.KindDecision}})); !slices.Equal(got, []string{"decision:d-scam", "decision:d-ok"}) &&
			!slices.Equal(got, []string{"decision:d-ok", "decision:d-scam"}) {
			t.Errorf("seller's decisions: %v", got)
		}
		hits := find(search.Query{Text: "사기"})
		if len(hits) != 1 || hits[0].Kind != search.KindCase || hits[0].Space != "plaza-1" || !slices.Equal(hits[0].Rules, hold.RuleIDs) {
			t.Fatalf("사기: %+v", hits)
		}
		if sn := hits[0].Snippet; !strings.Contains(sn, "⟦phone⟧") || strings.Contains(sn, "1234") || !strings.Contains(sn, "환불") {
			t.Errorf("snippet %q", sn)
		}
		for _, secret := range []string{"1234", "5678", "buyer@example.com", "example"} {
			if got := find(search.Query{Text: secret}); len(got) != 0 {
				t.Errorf("masked %q found: %v", secret, keys(got))
			}
		}
		if got := find(search.Query{User: search.Reporter("buyer-1"), Kinds: []search.Kind{search.KindReport}}); len(got) != 1 || !strings.Contains(got[0].Snippet, "⟦email⟧") {
			t.Errorf("reporter's report: %+v", got)
		}
		if got := find(search.Query{Kinds: []search.Kind{search.KindAudit}, Action: "case.opened"}); len(got) == 0 {
			t.Error("no audit entry of the case opened")
		}

		// Later records come through the feed, not a rebuild.
		late := reviewDecision("late", engine.ActionBlock, "", engine.Spam)
		late.DecidedAt = t0.Add(time.Hour)
		if _, err := s.SaveDecisions(ctx, []*engine.Decision{late}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.FileAppeal(ctx, late.ID, late.SenderID, "억울합니다 제 전화 010-9876-5432", t0.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if n := syncAll(t, s, ix); n == 0 {
			t.Fatal("nothing synced")
		}
		if got := keys(find(search.Query{Category: "spam", Kinds: []search.Kind{search.KindDecision}})); !slices.Equal(got, []string{"decision:d-late"}) {
			t.Errorf("late decision: %v", got)
		}
		if got := find(search.Query{Text: "억울", User: late.SenderID}); len(got) != 1 || got[0].Kind != search.KindAppeal || got[0].Queue != QueueAppeals ||
			!strings.Contains(got[0].Snippet, "⟦phone⟧") || strings.Contains(got[0].Snippet, "9876") {
			t.Errorf("appeal: %+v", got)
		}

		// The case is decided and its snapshot purged: its text leaves
		// the index, the case stays findable by its user.
		m := Moderator{ID: "mod-1", Roles: []string{RoleModerator}}
		c, err := s.ClaimNext(ctx, QueueGeneral, m, time.Minute, t0)
		for err == nil && c.DecisionID != hold.ID {
			c, err = s.ClaimNext(ctx, QueueGeneral, m, time.Minute, t0)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Decide(ctx, c.ID, m, Outcome{Kind: OutcomeRemove}, t0); err != nil {
			t.Fatal(err)
		}
		// Retention (the housekeeping job's store side) deletes it.
		if n, err := s.ApplyRetention(ctx, t0.Add(DefaultSnapshotRetention+time.Hour), DefaultRetention()); err != nil || n.Snapshots != 1 {
			t.Fatalf("retention: %+v, %v", n, err)
		}
		syncAll(t, s, ix)
		if got := find(search.Query{Text: "사기"}); len(got) != 0 {
			t.Errorf("purged text still found: %v", keys(got))
		}
		if got := find(search.Query{User: "seller-9", Kinds: []search.Kind{search.KindCase}, Action: OutcomeRemove}); len(got) != 1 || got[0].Action != OutcomeRemove || got[0].Snippet != "" {
			t.Errorf("the purged case: %+v", got)
		}

		// A deleted record leaves the index with the next sync.
		if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM decisions WHERE decision_id = ?`), "d-late"); err != nil {
			t.Fatal(err)
		}
		syncAll(t, s, ix)
		if got := find(search.Query{Category: "spam", Kinds: []search.Kind{search.KindDecision}}); len(got) != 0 {
			t.Errorf("deleted decision found: %v", keys(got))
		}
		// Every change was consumed and pruned.
		var left int
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM search_changes`).Scan(&left); err != nil || left != 0 {
			t.Errorf("%d changes left (%v)", left, err)
		}
	})
}

// TestStoredDecisionsAreFed: every decision stored gets one row in the
// search feed, in the order stored, whatever the batch's size (fed in
// statements of 128, 64, … 1 rows); a decision not stored because its
// event already has one gets none; a deleted one gets a row from its
// trigger.
func TestStoredDecisionsAreFed(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		feed := func() []string {
			t.Helper()
			rows, err := s.db.QueryContext(ctx, `SELECT ref FROM search_changes WHERE kind = 'decision' ORDER BY seq`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var refs []string
			for rows.Next() {
				var r string
				if err := rows.Scan(&r); err != nil {
					t.Fatal(err)
				}
				refs = append(refs, r)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			return refs
		}
		var want []string
		n := 0
		for _, size := range []int{1, 300, 127, 2} {
			ds := make([]*engine.Decision, size)
			for i := range ds {
				n++
				ds[i] = decision(fmt.Sprintf("fed-%04d", n), fmt.Sprintf("evt-fed-%04d", n), engine.ActionAllow)
				want = append(want, ds[i].ID)
			}
			if _, err := s.SaveDecisions(ctx, ds); err != nil {
				t.Fatal(err)
			}
		}
		// Decided again: the events' decisions are stored already.
		again := []*engine.Decision{decision("fed-again-1", "evt-fed-0001", engine.ActionBlock), decision("fed-again-2", "evt-fed-0300", engine.ActionAllow)}
		if got, err := s.SaveDecisions(ctx, again); err != nil || got[0].ID != "fed-0001" || got[1].ID != "fed-0300" {
			t.Fatalf("decided again: %v", err)
		}
		if got := feed(); !slices.Equal(got, want) {
			t.Fatalf("feed has %d decisions (first %v), want the %d stored in order", len(got), got[:min(len(got), 3)], len(want))
		}
		if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM decisions WHERE decision_id = ?`), "fed-0002"); err != nil {
			t.Fatal(err)
		}
		if got := feed(); len(got) != len(want)+1 || got[len(got)-1] != "fed-0002" {
			t.Errorf("after a delete the feed ends with %v", got[len(got)-1])
		}
	})
}

// TestSearchFeedWaitsForOpenTransactions: on PostgreSQL a change of a
// transaction still open when a later one commits is not skipped: the
// reader stops before it and takes it once it commits.
func TestSearchFeedWaitsForOpenTransactions(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		if !s.postgres {
			t.Skip("SQLite has one writer at a time: changes commit in order")
		}
		ctx := context.Background()
		if err := s.SetPosition(ctx, "test", search.Position{}); err != nil {
			t.Fatal(err)
		}
		open, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer open.Rollback()
		if _, err := open.ExecContext(ctx, `INSERT INTO search_changes (kind, ref) VALUES ('decision', 'first')`); err != nil {
			t.Fatal(err)
		}
		if _, err := s.db.ExecContext(ctx, `INSERT INTO search_changes (kind, ref) VALUES ('decision', 'second')`); err != nil {
			t.Fatal(err)
		}
		read := func() []search.Ref {
			b, err := s.Changes(ctx, "test", "me", time.Minute, 10)
			if err != nil {
				t.Fatal(err)
			}
			if !b.Claimed {
				return nil
			}
			if err := s.Ack(ctx, "test", "me", b); err != nil {
				t.Fatal(err)
			}
			return b.Refs
		}
		if got := read(); len(got) != 0 {
			t.Errorf("read %v while an older transaction is open", got)
		}
		if err := open.Commit(); err != nil {
			t.Fatal(err)
		}
		// Other tests' transactions on the server may hold the reader
		// back a little longer.
		var got []search.Ref
		for deadline := time.Now().Add(20 * time.Second); len(got) == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			got = read()
		}
		if len(got) != 2 || got[0].ID != "first" || got[1].ID != "second" {
			t.Errorf("read %v, want first and second", got)
		}
	})
}

// TestSearchIndexerLease: two indexers of one consumer do not index at
// once, the second waits for the lease; a read that finds nothing new
// claims nothing; a consumer gone for a week is forgotten.
func TestSearchIndexerLease(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	if err := s.SetPosition(ctx, "x", search.Position{}); err != nil {
		t.Fatal(err)
	}
	if b, err := s.Changes(ctx, "x", "a", time.Minute, 10); err != nil || b.Claimed {
		t.Fatalf("nothing new: %+v, %v; want nothing claimed", b, err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO search_changes (kind, ref) VALUES ('decision', 'd')`); err != nil {
		t.Fatal(err)
	}
	if b, err := s.Changes(ctx, "x", "a", time.Minute, 10); err != nil || !b.Claimed || len(b.Refs) != 1 {
		t.Fatalf("a change: %+v, %v", b, err)
	}
	if _, err := s.Changes(ctx, "x", "b", time.Minute, 10); err != search.ErrBusy {
		t.Errorf("second owner: %v, want ErrBusy", err)
	}
	if _, err := s.Changes(ctx, "y", "b", time.Minute, 10); err != search.ErrNoPosition {
		t.Errorf("unknown consumer: %v, want ErrNoPosition", err)
	}

	// A consumer unseen for a week no longer holds changes back.
	if err := s.SetPosition(ctx, "gone", search.Position{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE search_consumers SET seen_at = ? WHERE consumer = 'gone'`, ms(time.Now().Add(-SearchConsumerExpiry-time.Hour))); err != nil {
		t.Fatal(err)
	}
	b, err := s.Changes(ctx, "x", "a", time.Minute, 10)
	if err != nil || !b.Claimed {
		t.Fatalf("%+v %v", b, err)
	}
	if err := s.Ack(ctx, "x", "a", b); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM search_changes`).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d changes kept for a consumer gone (%v)", left, err)
	}
	if _, err := s.Changes(ctx, "gone", "c", time.Minute, 10); err != search.ErrNoPosition {
		t.Errorf("the consumer that came back: %v, want ErrNoPosition (rebuild)", err)
	}
}
