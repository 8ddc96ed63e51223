package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/search"
	"github.com/haechi-tns/haechi/engine/store"
)

// searchStore fills a store with one user's decisions, one of which
// opened a case whose snapshot holds Korean text and a phone number.
func searchStore(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	var ds []*engine.Decision
	for i := range 5 {
		d := &engine.Decision{ID: fmt.Sprintf("d-%d", i), EventID: fmt.Sprintf("e-%d", i), EventKind: engine.KindChat, World: "w",
			SenderID: "seller-9", Space: engine.Space{ID: "booth-3", Type: "business"}, Action: engine.ActionAllow, Severity: "none",
			PolicyRevision: "rev", DecidedAt: at.Add(time.Duration(i) * time.Minute), RuleIDs: []string{}, Reasons: []engine.Reason{}}
		if i == 4 {
			d.Action, d.Queue, d.Categories, d.RuleIDs = engine.ActionHold, store.QueueGeneral, []engine.Category{engine.Scam}, []string{"prosperity.scam.money"}
			d.Content = &engine.Content{Kind: engine.KindChat, Text: "사기꾼 아니에요 010-1234-5678 로 입금\x1b[2J하세요"}
		}
		ds = append(ds, d)
	}
	if _, err := st.SaveDecisions(ctx, ds); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestSearchCommand: haechi search finds every decision against one
// user page by page, finds Korean text inside words with the phone
// number masked, and refuses bad input before searching.
func TestSearchCommand(t *testing.T) {
	dir := searchStore(t)
	var keys []string
	cursor := ""
	for range 5 {
		args := []string{"search", "--data-dir", dir, "--user", "seller-9", "--kind", "decision", "--json", "--page-size", "2"}
		if cursor != "" {
			args = append(args, "--cursor", cursor)
		}
		out, errOut, err := run(t, "", args...)
		if err != nil {
			t.Fatalf("%v (%s)", err, errOut)
		}
		var page struct {
			Hits []search.Hit `json:"hits"`
			Next string       `json:"next"`
		}
		if err := json.Unmarshal([]byte(out), &page); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		for _, h := range page.Hits {
			keys = append(keys, h.Key())
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	if got := strings.Join(keys, " "); got != "decision:d-4 decision:d-3 decision:d-2 decision:d-1 decision:d-0" {
		t.Errorf("pages found %s", got)
	}

	out, errOut, err := run(t, "", "search", "--data-dir", dir, "--text", "사기")
	if err != nil {
		t.Fatalf("%v (%s)", err, errOut)
	}
	if !strings.Contains(out, "case") || !strings.Contains(out, "⟦phone⟧") || strings.Contains(out, "1234") || strings.Contains(out, "\x1b") {
		t.Errorf("text search printed %q", out)
	}
	if out, _, _ := run(t, "", "search", "--data-dir", dir, "--text", "5678"); strings.TrimSpace(out) != "nothing found" {
		t.Errorf("masked number found: %q", out)
	}

	for _, bad := range [][]string{
		{"--page-size", "1000"}, {"--page-size", "0"}, {"--from", "yesterday"}, {"--kind", "user"}, {"--cursor", "!!"},
		{"--text", strings.Repeat("가", 300)}, {"--user", "a\xffb"}, {"stray"},
	} {
		if _, _, err := run(t, "", append([]string{"search", "--data-dir", dir}, bad...)...); err == nil {
			t.Errorf("search %v: no error", bad)
		}
	}

	out, _, err = run(t, "", "search", "reindex", "--data-dir", dir)
	if err != nil || !strings.Contains(out, "reindexed 7 records") {
		t.Errorf("reindex: %q, %v", out, err)
	}
	if out, _, _ := run(t, "", "search", "--data-dir", dir, "--text", "입금", "--kind", "case"); !strings.Contains(out, "prosperity.scam.money") {
		t.Errorf("after reindex: %q", out)
	}
}
