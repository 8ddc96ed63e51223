// Package searchtest checks that a search backend keeps the contract of
// search.Index: the same documents put into any backend are found by
// the same queries, in the same order, page by page, and are gone once
// deleted. Each backend's tests call Run on a fresh, empty index.
package searchtest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine/search"
)

// T0 is the time the fixture's documents are made around.
var T0 = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

// Docs is the fixture: one document of each kind with every filter set,
// Korean and English text with masked personal information, and a run
// of documents made in the same millisecond, to page through.
func Docs() []search.Doc {
	docs := []search.Doc{
		{Ref: search.Ref{Kind: search.KindDecision, ID: "d-1"}, At: T0, Users: []string{"alice"}, Space: "booth-3", Categories: []string{"scam"},
			Action: "block", Rules: []string{"prosperity.scam.link"}, Queue: "general"},
		{Ref: search.Ref{Kind: search.KindDecision, ID: "d-2"}, At: T0.Add(time.Minute), Users: []string{"bob"}, Space: "youth-1", Categories: []string{"insult", "harassment"},
			Action: "hold", Rules: []string{"respect.insult"}, Queue: "youth_safety"},
		{Ref: search.Ref{Kind: search.KindDecision, ID: "d-3"}, At: T0.Add(2 * time.Minute), Users: []string{"alice"}, Space: "plaza-1",
			Action: "allow"},
		{Ref: search.Ref{Kind: search.KindCase, ID: "c-1"}, At: T0.Add(3 * time.Minute), Users: []string{"alice"}, Space: "booth-3", Categories: []string{"scam"},
			Rules: []string{"prosperity.scam.link"}, Queue: "general", CaseID: "c-1",
			Text: "이 사람 사기꾼이에요 ⟦phone⟧ 로 돈을 보내래요\n입금하면 두 배로 돌려준대요"},
		{Ref: search.Ref{Kind: search.KindReport, ID: "r-1"}, At: T0.Add(4 * time.Minute), Users: []string{"alice", search.Reporter("carol")}, Space: "booth-3", Categories: []string{"scam"},
			Queue: "general", CaseID: "c-1", Text: "The scammer asked for my card ⟦card⟧ and an e-mail ⟦email⟧"},
		{Ref: search.Ref{Kind: search.KindAppeal, ID: "a-1"}, At: T0.Add(5 * time.Minute), Users: []string{"bob"}, Space: "youth-1", Categories: []string{"insult"},
			Action: "upheld", Rules: []string{"respect.insult"}, Queue: "appeals", CaseID: "c-2", Text: "저는 욕을 하지 않았습니다. It was a joke."},
		{Ref: search.Ref{Kind: search.KindAudit, ID: "7"}, At: T0.Add(6 * time.Minute), Users: []string{"mod-1"}, Action: "case.decided", Queue: "general",
			Text: "c-1 remove 사기 신고 확인"},
	}
	// Twelve of dave's messages in one millisecond, and nine more a
	// second apart: pages must neither repeat nor skip any.
	for i := range 21 {
		at := T0.Add(time.Hour)
		if i >= 12 {
			at = at.Add(time.Duration(i) * time.Second)
		}
		docs = append(docs, search.Doc{Ref: search.Ref{Kind: search.KindDecision, ID: fmt.Sprintf("dave-%02d", i)}, At: at,
			Users: []string{"dave"}, Space: "plaza-1", Categories: []string{"spam"}, Action: "hold", Rules: []string{"prosperity.spam"}, Queue: "general",
			Text: fmt.Sprintf("광고 메시지 %d번 buy now", i)})
	}
	return docs
}

// Matches is the reference answer: whether d matches q.
func Matches(d *search.Doc, q *search.Query) bool {
	at := search.Truncate(d.At)
	switch {
	case !q.Allows(d),
		q.User != "" && !slices.Contains(d.Users, q.User),
		q.Space != "" && d.Space != q.Space,
		q.Category != "" && !slices.Contains(d.Categories, q.Category),
		q.Rule != "" && !slices.Contains(d.Rules, q.Rule),
		q.Action != "" && d.Action != q.Action,
		!q.From.IsZero() && at.Before(search.Truncate(q.From)),
		!q.To.IsZero() && !at.Before(search.Truncate(q.To)):
		return false
	}
	terms := search.DocTerms(d.Text)
	for _, t := range search.Terms(q.Text) {
		if !slices.ContainsFunc(terms, func(s string) bool { return s == t.Value || (t.Prefix && strings.HasPrefix(s, t.Value)) }) {
			return false
		}
	}
	return true
}

// Expect is the keys of docs that match q, in the order of a page.
func Expect(docs []search.Doc, q search.Query) []string {
	var out []search.Doc
	for i := range docs {
		if Matches(&docs[i], &q) {
			out = append(out, docs[i])
		}
	}
	slices.SortFunc(out, func(a, b search.Doc) int {
		return cmp.Or(search.Truncate(b.At).Compare(search.Truncate(a.At)), strings.Compare(b.Key(), a.Key()))
	})
	keys := make([]string, len(out))
	for i := range out {
		keys[i] = out[i].Key()
	}
	return keys
}

// Queries are the queries Run asks, each with the keys it must find
// named where the reference could be wrong too.
func Queries() []struct {
	Name  string
	Query search.Query
	Want  []string // nil: only compared with Expect
} {
	return []struct {
		Name  string
		Query search.Query
		Want  []string
	}{
		{"everything", search.Query{}, nil},
		{"every decision against one user", search.Query{User: "alice", Kinds: []search.Kind{search.KindDecision}}, []string{"decision:d-3", "decision:d-1"}},
		{"reporter", search.Query{User: search.Reporter("carol")}, []string{"report:r-1"}},
		{"a reporter is not found as a user", search.Query{User: "carol"}, []string{}},
		{"space", search.Query{Space: "youth-1"}, []string{"appeal:a-1", "decision:d-2"}},
		{"category", search.Query{Category: "harassment"}, []string{"decision:d-2"}},
		{"action", search.Query{Action: "upheld"}, []string{"appeal:a-1"}},
		{"rule", search.Query{Rule: "prosperity.scam.link"}, []string{"case:c-1", "decision:d-1"}},
		{"queue", search.Query{Queues: []string{"youth_safety"}}, []string{"decision:d-2"}},
		{"queues allowed, none included", search.Query{Queues: []string{"", "appeals"}}, []string{"appeal:a-1", "decision:d-3"}},
		{"kind", search.Query{Kinds: []search.Kind{search.KindAudit}}, []string{"audit:7"}},
		{"kinds", search.Query{Kinds: []search.Kind{search.KindReport, search.KindAppeal}}, []string{"appeal:a-1", "report:r-1"}},
		{"time range", search.Query{From: T0.Add(time.Minute), To: T0.Add(3 * time.Minute)}, []string{"decision:d-3", "decision:d-2"}},
		{"korean substring", search.Query{Text: "사기"}, []string{"audit:7", "case:c-1"}},
		{"korean word", search.Query{Text: "사기꾼"}, []string{"case:c-1"}},
		{"korean two words", search.Query{Text: "돈을 입금"}, []string{"case:c-1"}},
		{"english prefix", search.Query{Text: "scam"}, []string{"report:r-1"}},
		{"english case folded", search.Query{Text: "JOKE"}, []string{"appeal:a-1"}},
		{"full-width", search.Query{Text: "ｊｏｋｅ"}, []string{"appeal:a-1"}},
		{"text and filters", search.Query{Text: "사기", Kinds: []search.Kind{search.KindCase}, User: "alice", Space: "booth-3"}, []string{"case:c-1"}},
		{"masked label is not text", search.Query{Text: "phone"}, []string{}},
		{"no match", search.Query{Text: "없는말"}, []string{}},
		{"filters combined", search.Query{User: "dave", Action: "hold", Category: "spam", Rule: "prosperity.spam", Space: "plaza-1", Queues: []string{"general"},
			Kinds: []search.Kind{search.KindDecision}, Text: "광고", From: T0, To: T0.Add(2 * time.Hour)}, nil},
	}
}

// Run checks idx, which must be empty, against the contract.
func Run(t *testing.T, idx search.Index) {
	ctx := context.Background()
	docs := Docs()
	if err := idx.Put(ctx, docs); err != nil {
		t.Fatal(err)
	}
	// Putting again replaces: nothing is found twice.
	if err := idx.Put(ctx, docs[:3]); err != nil {
		t.Fatal(err)
	}
	for _, tc := range Queries() {
		t.Run(tc.Name, func(t *testing.T) {
			want := Expect(docs, tc.Query)
			if tc.Want != nil && !slices.Equal(want, tc.Want) {
				t.Fatalf("the reference finds %v, the test says %v", want, tc.Want)
			}
			got := All(t, idx, tc.Query, 100)
			if !slices.Equal(got, want) {
				t.Errorf("found %v, want %v", got, want)
			}
			// Page by page, three at a time: the same, in the same order.
			if paged := All(t, idx, tc.Query, 3); !slices.Equal(paged, want) {
				t.Errorf("pages of 3 found %v, want %v", paged, want)
			}
		})
	}
	t.Run("snippets are masked and around the match", func(t *testing.T) {
		p, err := idx.Search(ctx, search.Query{Text: "돌려준대요"})
		if err != nil || len(p.Hits) != 1 {
			t.Fatalf("%+v %v", p, err)
		}
		h := p.Hits[0]
		if !strings.Contains(h.Snippet, "돌려준대요") || !strings.Contains(h.Snippet, "⟦phone⟧") || h.Text != "" {
			t.Errorf("hit %+v", h)
		}
		if h.Kind != search.KindCase || h.ID != "c-1" || h.CaseID != "c-1" || !h.At.Equal(T0.Add(3*time.Minute)) || h.Queue != "general" ||
			!slices.Equal(h.Users, []string{"alice"}) || !slices.Equal(h.Rules, []string{"prosperity.scam.link"}) {
			t.Errorf("hit fields %+v", h)
		}
	})
	t.Run("replaced text is no longer found", func(t *testing.T) {
		d := docs[5]
		d.Text = "완전히 다른 이유"
		if err := idx.Put(ctx, []search.Doc{d}); err != nil {
			t.Fatal(err)
		}
		if got := All(t, idx, search.Query{Text: "joke"}, 10); len(got) != 0 {
			t.Errorf("old text found: %v", got)
		}
		if got := All(t, idx, search.Query{Text: "다른 이유"}, 10); !slices.Equal(got, []string{"appeal:a-1"}) {
			t.Errorf("new text: %v", got)
		}
	})
	t.Run("deleted documents are gone", func(t *testing.T) {
		if err := idx.Delete(ctx, []search.Ref{{Kind: search.KindDecision, ID: "d-2"}, {Kind: search.KindDecision, ID: "never"}}); err != nil {
			t.Fatal(err)
		}
		if got := All(t, idx, search.Query{User: "bob"}, 10); !slices.Equal(got, []string{"appeal:a-1"}) {
			t.Errorf("after delete: %v", got)
		}
		if err := idx.DeleteCase(ctx, "c-1"); err != nil {
			t.Fatal(err)
		}
		if got := All(t, idx, search.Query{Text: "사기"}, 10); !slices.Equal(got, []string{"audit:7"}) {
			t.Errorf("after deleting case c-1, found %v", got)
		}
		if got := All(t, idx, search.Query{User: search.Reporter("carol")}, 10); len(got) != 0 {
			t.Errorf("the case's report is still found: %v", got)
		}
	})
}

// All pages through q with pages of size and returns the keys found,
// failing on a repeated key or an endless run of pages.
func All(t *testing.T, idx search.Index, q search.Query, size int) []string {
	t.Helper()
	q.Limit = size
	keys := []string{}
	seen := map[string]bool{}
	for range 1000 {
		p, err := idx.Search(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Hits) > size {
			t.Fatalf("a page of %d hits, asked for %d", len(p.Hits), size)
		}
		for _, h := range p.Hits {
			if seen[h.Key()] {
				t.Fatalf("%s found twice", h.Key())
			}
			seen[h.Key()] = true
			keys = append(keys, h.Key())
		}
		if p.Next == nil {
			return keys
		}
		q.After = p.Next
	}
	t.Fatal("pages never end")
	return nil
}
