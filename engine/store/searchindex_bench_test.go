package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/classifiers/pii"
	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/search"
	"github.com/haechi-tns/haechi/engine/store/pgtest"
)

// benchPhrases make the text of the benchmark's case documents: Korean
// and English chat of the kinds the categories name.
var benchPhrases = []string{
	"사기꾼 아니에요 입금하면 두 배로 돌려드려요", "오늘 광장에서 축제 한대요", "너 진짜 못생겼다 꺼져", "계좌로 보내주시면 바로 보내드립니다",
	"청소년 상담실 어디에 있나요", "buy cheap coins now", "you are an idiot", "the mayor's office opens at nine",
	"무료 쿠폰 받으세요 링크 클릭", "도서관에서 책 빌리는 방법 알려주세요", "죽고 싶다는 생각이 들어요", "follow me for free gifts",
}

// benchDocs makes n documents as a busy city makes them: decisions of
// 20,000 users in 50 spaces over 30 days, and a case with text for
// every fifth.
func benchDocs(n int) []search.Doc {
	r := rand.New(rand.NewPCG(1, 2))
	cats := []string{"insult", "profanity", "hate", "harassment", "sexual", "threat", "self_harm", "scam", "spam", "impersonation"}
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	docs := make([]search.Doc, 0, n)
	for i := range n {
		d := search.Doc{Ref: search.Ref{Kind: search.KindDecision, ID: fmt.Sprintf("d-%07d", i)},
			At:    start.Add(time.Duration(r.Int64N(int64(30 * 24 * time.Hour)))).Truncate(time.Millisecond),
			Users: []string{fmt.Sprintf("user-%05d", r.IntN(20000))}, Space: fmt.Sprintf("space-%02d", r.IntN(50)),
			Categories: []string{cats[r.IntN(len(cats))]}, Action: "allow", Rules: []string{}}
		if i%5 == 0 {
			d.Kind, d.ID, d.Action, d.Queue, d.CaseID = search.KindCase, fmt.Sprintf("c-%07d", i), "", QueueGeneral, fmt.Sprintf("c-%07d", i)
			d.Rules = []string{"rule." + d.Categories[0]}
			d.Text = strings.Join([]string{benchPhrases[r.IntN(len(benchPhrases))], benchPhrases[r.IntN(len(benchPhrases))], fmt.Sprint(i)}, "\n")
		}
		docs = append(docs, d)
	}
	return docs
}

// BenchmarkSearchIndexPut indexes documents in the store's own index on
// SQLite, 500 to a transaction, as a sync or a rebuild writes them.
func BenchmarkSearchIndexPut(b *testing.B) {
	s, err := OpenSQLite(context.Background(), filepath.Join(b.TempDir(), FileName))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	docs := benchDocs(200_000)
	idx := s.SearchIndex()
	i := 0
	for b.Loop() {
		if i+500 > len(docs) {
			i = 0
		}
		if err := idx.Put(context.Background(), docs[i:i+500]); err != nil {
			b.Fatal(err)
		}
		i += 500
	}
	b.ReportMetric(float64(b.N*500)/b.Elapsed().Seconds(), "docs/s")
}

// BenchmarkSearch100k searches 100,000 documents in the store's own
// index, SQLite and PostgreSQL, a first page of 50.
func BenchmarkSearch100k(b *testing.B) { benchBackends(b, benchSearch) }

// benchBackends runs a benchmark on a fresh SQLite store and a fresh
// PostgreSQL database.
func benchBackends(b *testing.B, run func(*testing.B, *Store)) {
	b.Run("sqlite", func(b *testing.B) {
		s, err := OpenSQLite(context.Background(), filepath.Join(b.TempDir(), FileName))
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		run(b, s)
	})
	b.Run("postgres", func(b *testing.B) {
		s, err := OpenPostgres(context.Background(), pgtest.URL(b))
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		run(b, s)
	})
}

func benchSearch(b *testing.B, s *Store) {
	ctx := context.Background()
	idx := s.SearchIndex()
	docs := benchDocs(100_000)
	start := time.Now()
	for i := 0; i < len(docs); i += 1000 {
		if err := idx.Put(ctx, docs[i:min(i+1000, len(docs))]); err != nil {
			b.Fatal(err)
		}
	}
	if s.postgres {
		if _, err := s.db.ExecContext(ctx, `ANALYZE`); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("indexed 100,000 documents in %v", time.Since(start).Round(time.Millisecond))
	week := time.Date(2026, 11, 8, 0, 0, 0, 0, time.UTC)
	var afterFirst *search.Cursor
	if p, err := idx.Search(ctx, search.Query{}); err == nil {
		afterFirst = p.Next
	}
	for _, bc := range []struct {
		name string
		q    search.Query
	}{
		{"newest", search.Query{}},
		{"second_page", search.Query{After: afterFirst}},
		{"one_user", search.Query{User: "user-01234"}},
		{"one_user_decisions", search.Query{User: "user-01234", Kinds: []search.Kind{search.KindDecision}}},
		{"space_and_category", search.Query{Space: "space-07", Category: "scam"}},
		{"one_week", search.Query{From: week, To: week.Add(7 * 24 * time.Hour)}},
		{"text_korean_common", search.Query{Text: "사기"}},
		{"text_korean_rare", search.Query{Text: "도서관"}},
		{"text_english_prefix", search.Query{Text: "idi"}},
		{"text_and_user", search.Query{Text: "입금", User: "user-01234"}},
		{"text_no_match", search.Query{Text: "없는말"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			hits := 0
			for b.Loop() {
				p, err := idx.Search(ctx, bc.q)
				if err != nil {
					b.Fatal(err)
				}
				hits = len(p.Hits)
			}
			b.ReportMetric(float64(hits), "hits")
		})
	}
}

// BenchmarkSearchRebuild rebuilds the store's own index from 20,000
// stored decisions, a fifth of them holds whose cases keep a snapshot:
// what haechi search reindex does, documents read, masked and indexed.
func BenchmarkSearchRebuild(b *testing.B) {
	s, err := OpenSQLite(context.Background(), filepath.Join(b.TempDir(), FileName))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20_000; i += 500 {
		var ds []*engine.Decision
		for j := i; j < i+500; j++ {
			d := decision(fmt.Sprintf("d-%06d", j), fmt.Sprintf("e-%06d", j), engine.ActionAllow)
			d.SenderID = fmt.Sprintf("user-%05d", r.IntN(5000))
			if j%5 == 0 {
				d.Action, d.Queue, d.Severity = engine.ActionHold, QueueGeneral, "medium"
				d.Content = &engine.Content{Kind: engine.KindChat, Text: benchPhrases[r.IntN(len(benchPhrases))] + " 010-1234-5678"}
			}
			ds = append(ds, d)
		}
		if _, err := s.SaveDecisions(ctx, ds); err != nil {
			b.Fatal(err)
		}
	}
	n, err := s.CountRefs(ctx)
	if err != nil {
		b.Fatal(err)
	}
	m := search.NewMasker(pii.New())
	for b.Loop() {
		if err := search.Rebuild(ctx, s, s.SearchIndex(), m, SearchConsumer, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n), "records")
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}
