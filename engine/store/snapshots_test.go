package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
)

// TestSnapshotsKeepTheContentOfCases: a decision that opens a case keeps
// its content and context as the case's snapshot; one that opens no case
// keeps nothing; a report's context is kept with its case; snapshots go a
// while after the case closes, not before, and open cases keep theirs.
func TestSnapshotsKeepTheContentOfCases(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		earlier := []engine.ContextMessage{{ID: "m-1", SenderID: "u-2", Text: "어제 그 얘기 기억나?", SentAt: t0.Add(-time.Minute)}}
		hold := reviewDecision("h", engine.ActionHold, QueueGeneral, engine.Harassment)
		hold.Content = &engine.Content{Kind: engine.KindImage, Text: "caption", ContentType: "image/png", Image: []byte("\x89PNG\x00\x01"), Context: earlier}
		allow := reviewDecision("a", engine.ActionAllow, "")
		allow.Content = &engine.Content{Kind: engine.KindChat, Text: "안녕하세요"}
		cases := openFor(t, s, hold, allow)
		if len(cases) != 1 {
			t.Fatalf("%d cases", len(cases))
		}
		got, err := s.Snapshots(ctx, cases[0].ID)
		if err != nil || len(got) != 1 {
			t.Fatalf("snapshots %+v %v", got, err)
		}
		sn := got[0]
		if sn.Ref != hold.ID || sn.Source != SourceDecision || sn.Text != "caption" || !bytes.Equal(sn.Image, hold.Content.Image) ||
			len(sn.Context) != 1 || sn.Context[0].Text != earlier[0].Text || !sn.Context[0].SentAt.Equal(earlier[0].SentAt) {
			t.Errorf("snapshot %+v", sn)
		}
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM case_snapshots`).Scan(&n); err != nil || n != 1 {
			t.Errorf("%d snapshots stored (%v), want only the case's", n, err)
		}

		rep, err := s.FileReport(ctx, &Report{ReporterID: "r-1", TargetKind: TargetMessage, TargetID: "e-x", Category: engine.Insult,
			Context: []engine.ContextMessage{{SenderID: "u-3", Text: "너 진짜 못생겼다"}}}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Snapshots(ctx, rep.CaseID); len(got) != 1 || got[0].Source != SourceReport || got[0].Context[0].Text != "너 진짜 못생겼다" {
			t.Errorf("report snapshot %+v", got)
		}

		// Close the decision's case; the report's stays open.
		m := Moderator{ID: "mod-1", Roles: []string{RoleModerator}}
		c, err := s.ClaimNext(ctx, QueueGeneral, m, time.Minute, t0)
		for err == nil && c.ID != cases[0].ID {
			c, err = s.ClaimNext(ctx, QueueGeneral, m, time.Minute, t0)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Decide(ctx, c.ID, m, Outcome{Kind: OutcomeDismiss}, t0); err != nil {
			t.Fatal(err)
		}
		if n, err := s.ApplyRetention(ctx, t0.Add(DefaultSnapshotRetention-time.Hour), DefaultRetention()); err != nil || n.Snapshots != 0 {
			t.Errorf("purged %d (%v) before the retention ended", n.Snapshots, err)
		}
		if n, err := s.ApplyRetention(ctx, t0.Add(DefaultSnapshotRetention+time.Hour), DefaultRetention()); err != nil || n.Snapshots != 1 {
			t.Errorf("purged %d (%v), want the closed case's one", n.Snapshots, err)
		}
		if got, _ := s.Snapshots(ctx, rep.CaseID); len(got) != 1 {
			t.Error("an open case lost its snapshot")
		}
	})
}

// TestSnapshotRefsLeaveTheImage: SnapshotRefs reads a case's snapshots
// as Snapshots does but for the image's bytes, whose size it gives;
// SnapshotImage reads those of one snapshot.
func TestSnapshotRefsLeaveTheImage(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		img := reviewDecision("i", engine.ActionHold, QueueGeneral, engine.Nudity)
		img.Content = &engine.Content{Kind: engine.KindImage, Text: "caption", ContentType: "image/png", Image: bytes.Repeat([]byte("\x89PNG"), 1000),
			Context: []engine.ContextMessage{{SenderID: "u-2", Text: "봐봐"}}}
		text := reviewDecision("t", engine.ActionHold, QueueGeneral, engine.Insult)
		text.Content = &engine.Content{Kind: engine.KindChat, Text: "바보"}
		cases := openFor(t, s, img, text)
		full, err := s.Snapshots(ctx, cases[0].ID)
		if err != nil || len(full) != 1 {
			t.Fatalf("snapshots %d, %v", len(full), err)
		}
		refs, err := s.SnapshotRefs(ctx, cases[0].ID)
		if err != nil || len(refs) != 1 {
			t.Fatalf("refs %d, %v", len(refs), err)
		}
		if refs[0].Image != nil || refs[0].ImageSize != len(img.Content.Image) || full[0].ImageSize != len(img.Content.Image) {
			t.Errorf("refs hold %d bytes of image, say %d; Snapshots says %d; want none, %d", len(refs[0].Image), refs[0].ImageSize, full[0].ImageSize, len(img.Content.Image))
		}
		full[0].Image = nil
		if fmt.Sprint(refs[0]) != fmt.Sprint(full[0]) {
			t.Errorf("refs %+v, want %+v without the image", refs[0], full[0])
		}
		if b, err := s.SnapshotImage(ctx, cases[0].ID, img.ID); err != nil || !bytes.Equal(b, img.Content.Image) {
			t.Errorf("image: %d bytes, %v", len(b), err)
		}
		if refs, _ := s.SnapshotRefs(ctx, cases[1].ID); len(refs) != 1 || refs[0].ImageSize != 0 || refs[0].Text != "바보" {
			t.Errorf("refs of a text: %+v", refs)
		}
		for _, tt := range []struct{ name, caseID, ref string }{
			{"no image kept", cases[1].ID, text.ID},
			{"no such snapshot", cases[0].ID, text.ID},
		} {
			if _, err := s.SnapshotImage(ctx, tt.caseID, tt.ref); !errors.Is(err, ErrNotFound) {
				t.Errorf("%s: %v, want ErrNotFound", tt.name, err)
			}
		}
	})
}
