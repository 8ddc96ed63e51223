package behaviour

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
)

// memMarks is a MarkStore in memory, numbering marks as the store does.
type memMarks struct {
	mu    sync.Mutex
	marks []storedMark
	seq   int64
}

type storedMark struct {
	instance string
	at       time.Time
	m        Mark
}

func (s *memMarks) AppendMarks(_ context.Context, instance string, marks []Mark) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range marks {
		s.seq++
		m.Seq = s.seq
		s.marks = append(s.marks, storedMark{instance, time.Now(), m})
	}
	return nil
}

func (s *memMarks) Marks(_ context.Context, instance string, since time.Time, limit int) ([]Mark, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Mark
	for _, sm := range s.marks {
		if sm.instance != instance && !sm.at.Before(since) && len(out) < limit {
			out = append(out, sm.m)
		}
	}
	return out, nil
}

func (s *memMarks) PurgeMarks(_ context.Context, before time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.marks[:0]
	for _, sm := range s.marks {
		if !sm.at.Before(before) {
			kept = append(kept, sm)
		}
	}
	s.marks = kept
	return nil
}

// TestExchangeCountsAcrossWorkers: two workers each see half of a spam
// wave and of a pile-on; after they exchange marks, each counts the
// senders the other saw.
func TestExchangeCountsAcrossWorkers(t *testing.T) {
	ctx := context.Background()
	store := &memMarks{}
	a, b := newTracker(t, nil), newTracker(t, nil)
	xa := NewExchanger(a, store, "worker-a", time.Second)
	xb := NewExchanger(b, store, "worker-b", time.Second)
	link := []engine.Link{{Host: "promo-example.com", Domain: "promo-example.com"}}
	spam := func(tr *Tracker, sender string, i int) *engine.BehaviourSignals {
		sig := textSignals("오늘만특가코인무료지급지금바로promoexamplecom")
		sig.Links = link
		return observe(t, tr, chat(sender, plaza, time.Duration(i)*time.Second), sig)
	}
	spam(a, "bot-1", 0)
	spam(b, "bot-2", 1)
	spam(a, "bot-3", 2)
	spam(b, "bot-4", 3)
	abusive := &engine.Decision{Action: engine.ActionHold, Categories: []engine.Category{engine.Harassment}}
	for i, tr := range []*Tracker{a, b, a} {
		ev := chat([]string{"x1", "x2", "x3"}[i], plaza, time.Duration(4+i)*time.Second)
		ev.Chat.Mentions = []string{"victim"}
		observe(t, tr, ev, textSignals("너같은애는나가라"))
		tr.Record(ev, abusive)
	}
	for _, x := range []*Exchanger{xa, xb, xa, xb} {
		if err := x.Exchange(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got := spam(b, "bot-5", 10)
	if got.WaveSenders != 5 || got.DomainSenders["promo-example.com"] != 5 {
		t.Errorf("worker b after the exchange: wave %d, domain %d; want 5 each", got.WaveSenders, got.DomainSenders["promo-example.com"])
	}
	ev := chat("x4", plaza, 11*time.Second)
	ev.Chat.Mentions = []string{"victim"}
	if b := observe(t, b, ev, textSignals("한심하다진짜")); b.PileOnSenders != 3 {
		t.Errorf("worker b sees %d attackers of the victim, want 3", b.PileOnSenders)
	}
	// Reading again merges nothing twice.
	if err := xb.Exchange(ctx); err != nil {
		t.Fatal(err)
	}
	if got := spam(b, "bot-5", 12); got.WaveSenders != 5 {
		t.Errorf("after a second read: wave %d, want 5", got.WaveSenders)
	}
	// Marks of a message with no link from an old account are not shared.
	before := len(store.marks)
	observe(t, a, chat("u", plaza, 13*time.Second), textSignals("안녕하세요오늘날씨가좋네요"))
	if err := xa.Exchange(ctx); err != nil {
		t.Fatal(err)
	}
	if len(store.marks) != before {
		t.Errorf("an ordinary message was shared (%d marks, was %d)", len(store.marks), before)
	}
}
