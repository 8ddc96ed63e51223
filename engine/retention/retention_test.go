package retention

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
)

// fakeIndex records what it is told to forget, and fails while fail is set.
type fakeIndex struct {
	fail   bool
	forgot []store.Forgotten
}

func (f *fakeIndex) Forget(_ context.Context, items []store.Forgotten) error {
	if f.fail {
		return errors.New("index unavailable")
	}
	f.forgot = append(f.forgot, items...)
	return nil
}

// TestJobDeletesAndTellsTheIndex: a run deletes a closed case's snapshot
// and report text past their period, freezes last month's transparency
// report and tells the index; an index that fails is told again at the
// next run; the log names counts, never content.
func TestJobDeletesAndTellsTheIndex(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), store.FileName)
	st, err := store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	t0 := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	const secret = "my number is 010-1234-5678"
	rep, err := st.FileReport(ctx, &store.Report{ReporterID: "r-1", TargetKind: store.TargetMessage, TargetID: "e-1", Category: engine.Insult,
		Details: secret, Context: []engine.ContextMessage{{SenderID: "u-2", Text: secret}}}, t0)
	if err != nil {
		t.Fatal(err)
	}
	m := store.Moderator{ID: "mod-1", Roles: []string{store.RoleModerator}}
	c, err := st.ClaimNext(ctx, store.QueueGeneral, m, time.Hour, t0)
	if err != nil || c.ID != rep.CaseID {
		t.Fatalf("claim: %v %v", c, err)
	}
	if err := st.Decide(ctx, c.ID, m, store.Outcome{Kind: store.OutcomeRemove}, t0); err != nil {
		t.Fatal(err)
	}

	var logs bytes.Buffer
	idx := &fakeIndex{fail: true}
	job := &Job{Store: st, Retention: store.DefaultRetention(), Index: idx, Log: slog.New(slog.NewTextHandler(&logs, nil))}
	now := t0.Add(store.DefaultSnapshotRetention + time.Hour)
	if err := job.Run(ctx, now); err == nil || !strings.Contains(err.Error(), "index unavailable") {
		t.Fatalf("a failing index: %v", err)
	}
	if snaps, err := st.Snapshots(ctx, rep.CaseID); err != nil || len(snaps) != 0 {
		t.Errorf("snapshots left: %d (%v)", len(snaps), err)
	}
	idx.fail = false
	if err := job.Run(ctx, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	want := []store.Forgotten{{Kind: store.ForgottenCase, ID: rep.CaseID}, {Kind: store.ForgottenReport, ID: rep.ID}}
	slices.SortFunc(idx.forgot, func(a, b store.Forgotten) int { return strings.Compare(a.Kind, b.Kind) })
	if !slices.Equal(idx.forgot, want) {
		t.Errorf("the index was told %v, want %v", idx.forgot, want)
	}
	if left, err := st.Forgotten(ctx, 10); err != nil || len(left) != 0 {
		t.Errorf("%d items still listed (%v)", len(left), err)
	}
	if err := job.Run(ctx, now.Add(2*time.Hour)); err != nil || len(idx.forgot) != 2 {
		t.Errorf("a third run told the index %d items (%v)", len(idx.forgot), err)
	}

	out := logs.String()
	if !strings.Contains(out, "snapshots=1") || !strings.Contains(out, "report_texts=1") || !strings.Contains(out, "items=2") {
		t.Errorf("the log lacks the counts:\n%s", out)
	}
	if strings.Contains(out, "010-1234") || strings.Contains(out, "r-1") || strings.Contains(out, "u-2") {
		t.Errorf("the log holds personal data:\n%s", out)
	}

	// Last month (November in KST) was frozen.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var month string
	if err := db.QueryRowContext(ctx, `SELECT month FROM transparency_reports`).Scan(&month); err != nil || month != store.MonthOf(now).Prev().String() {
		t.Errorf("frozen %q (%v), want %s", month, err, store.MonthOf(now).Prev())
	}
}
