package behaviour

import (
	"context"
	"fmt"
	"maps"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/internal/racetest"
)

// memPersister keeps snapshots in memory, as the store would.
type memPersister struct {
	mu    sync.Mutex
	saved map[string][]byte
	loads int
}

func (m *memPersister) LoadBehaviour(_ context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.loads++
	return m.saved[key], nil
}

func (m *memPersister) SaveBehaviour(_ context.Context, key string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.saved == nil {
		m.saved = map[string][]byte{}
	}
	m.saved[key] = append([]byte(nil), data...)
	return nil
}

// chat is a chat event from sender in space at t0+offset, read from
// partition 0 of the chat topic.
func chat(sender string, space engine.Space, offset time.Duration) *engine.Event {
	return &engine.Event{
		ID: "e", Kind: engine.KindChat, World: "w", Space: space,
		Sender: engine.Party{ID: sender, Role: engine.RoleCitizen, AgeBand: engine.AgeAdult},
		SentAt: t0.Add(offset), Chat: &engine.ChatMessage{Text: "x"},
		Origin: engine.Origin{Topic: "haechi.chat", Partition: 0},
	}
}

var plaza = engine.Space{ID: "plaza-1", Type: engine.SpacePlaza}

func textSignals(letters string) *engine.Signals {
	return &engine.Signals{Fingerprint: NewFingerprint([]rune(letters))}
}

func newTracker(t *testing.T, p Persister) *Tracker {
	t.Helper()
	tr, err := NewTracker(TrackerConfig{Persister: p})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func observe(t *testing.T, tr *Tracker, ev *engine.Event, sig *engine.Signals) *engine.BehaviourSignals {
	t.Helper()
	b, err := tr.Observe(context.Background(), ev, sig)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTrackerRatesAndRepeats(t *testing.T) {
	tr := newTracker(t, nil)
	var b *engine.BehaviourSignals
	for i := range 6 {
		b = observe(t, tr, chat("u1", plaza, time.Duration(i)*time.Second), textSignals("지금바로무료쿠폰받으세요"))
	}
	if b.Rate10s != 6 || b.Rate60s != 6 || b.Repeats != 5 || b.NearRepeats != 5 {
		t.Errorf("after six copies in six seconds: %+v", b)
	}
	if b.AccountAgeHours != -1 {
		t.Errorf("account age %d without joined_at, want -1", b.AccountAgeHours)
	}
	// Another space is another rate.
	b = observe(t, tr, chat("u1", engine.Space{ID: "lib", Type: engine.SpaceLibrary}, 7*time.Second), textSignals("안녕하세요반갑습니다"))
	if b.Rate10s != 1 || b.Repeats != 0 {
		t.Errorf("first message in another space: %+v", b)
	}
}

func TestTrackerWavesAndDomains(t *testing.T) {
	tr := newTracker(t, nil)
	link := []engine.Link{{Host: "promo-example.com", Domain: "promo-example.com"}}
	var b *engine.BehaviourSignals
	for i, s := range []string{"b1", "b2", "b3", "b4", "b5"} {
		ev := chat(s, plaza, time.Duration(i)*10*time.Second)
		ev.Sender.JoinedAt = ev.SentAt.Add(-3 * time.Hour)
		sig := textSignals("초특가할인지금바로확인하세요promoexamplecom")
		sig.Links = link
		b = observe(t, tr, ev, sig)
	}
	if b.WaveSenders != 5 || b.DomainSenders["promo-example.com"] != 5 || b.AccountAgeHours != 3 {
		t.Errorf("fifth bot of a wave: %+v", b)
	}
	// One sender posting the link again is still five senders.
	ev := chat("b5", plaza, time.Minute)
	sig := textSignals("전혀다른문장이지만같은링크입니다")
	sig.Links = link
	if b = observe(t, tr, ev, sig); b.DomainSenders["promo-example.com"] != 5 || b.WaveSenders != 1 {
		t.Errorf("a sender repeating the domain: %+v", b)
	}
	// Past the domain window the senders no longer count.
	ev = chat("c1", plaza, 20*time.Minute)
	if b = observe(t, tr, ev, sig); b.DomainSenders["promo-example.com"] != 1 {
		t.Errorf("after the window: %+v", b)
	}
}

func TestTrackerPileOn(t *testing.T) {
	tr := newTracker(t, nil)
	abusive := &engine.Decision{Action: engine.ActionRedact, Categories: []engine.Category{engine.Insult}}
	kind := &engine.Decision{Action: engine.ActionAllow, Categories: []engine.Category{}}
	at := func(sender string, i int, d *engine.Decision) *engine.BehaviourSignals {
		ev := chat(sender, plaza, time.Duration(i)*time.Second)
		ev.Chat.Mentions = []string{"victim"}
		b := observe(t, tr, ev, textSignals("너진짜바보같다"))
		tr.Record(ev, d)
		return b
	}
	at("a1", 0, abusive)
	at("a2", 1, kind) // a kind message does not count
	at("a3", 2, abusive)
	at("a3", 3, abusive) // nor does the same attacker twice
	if b := at("a4", 4, abusive); b.PileOnSenders != 2 {
		t.Errorf("fourth sender sees %d others, want 2", b.PileOnSenders)
	}
	if b := at("a1", 5, abusive); b.PileOnSenders != 2 {
		t.Errorf("a1 again sees %d others (a3, a4), want 2", b.PileOnSenders)
	}
	// A direct message to the victim counts against the same target.
	ev := chat("a5", plaza, 6*time.Second)
	ev.Chat.Recipient = &engine.Party{ID: "victim"}
	if b := observe(t, tr, ev, textSignals("꺼져")); b.PileOnSenders != 3 {
		t.Errorf("a direct message sees %d, want 3", b.PileOnSenders)
	}
	// The sender mentioning themselves is not a target.
	ev = chat("victim", plaza, 7*time.Second)
	ev.Chat.Mentions = []string{"victim"}
	tr.Record(ev, abusive)
	if b := at("a6", 8, abusive); b.PileOnSenders != 3 {
		t.Errorf("after a self-mention: %d, want 3", b.PileOnSenders)
	}
}

// dm is a direct message from an adult to a teen with cues.
func dm(from, to string, offset time.Duration, cues ...engine.GroomingCue) (*engine.Event, *engine.Signals) {
	ev := chat(from, engine.Space{ID: "dm", Type: engine.SpacePlaza}, offset)
	ev.Chat.Recipient = &engine.Party{ID: to, AgeBand: engine.AgeTeen}
	return ev, &engine.Signals{Cues: cues}
}

func TestTrackerGroomingSequence(t *testing.T) {
	tr := newTracker(t, nil)
	day := 24 * time.Hour
	steps := []struct {
		at   time.Duration
		cues []engine.GroomingCue
		want []engine.GroomingCue
		days int
	}{
		{0, nil, []engine.GroomingCue{}, 0},
		{time.Hour, []engine.GroomingCue{engine.CueAge}, []engine.GroomingCue{engine.CueAge}, 1},
		{day, []engine.GroomingCue{engine.CueFlattery}, []engine.GroomingCue{engine.CueAge, engine.CueFlattery}, 2},
		{3 * day, []engine.GroomingCue{engine.CueSecrecy, engine.CuePlatformMove}, []engine.GroomingCue{engine.CueAge, engine.CuePlatformMove, engine.CueSecrecy, engine.CueFlattery}, 3},
		// Fifteen days on, the age question and the flattery have left
		// the 14-day window; the days count whole days from its start.
		{15*day + 2*time.Hour, []engine.GroomingCue{engine.CueMeeting}, []engine.GroomingCue{engine.CuePlatformMove, engine.CueSecrecy, engine.CueMeeting}, 3},
	}
	for i, s := range steps {
		ev, sig := dm("adult", "teen", s.at, s.cues...)
		g := observe(t, tr, ev, sig).Grooming
		if g == nil || !equalCues(g.Cues, s.want) || g.Days != s.days {
			t.Fatalf("step %d: %+v, want cues %v over %d days", i, g, s.want, s.days)
		}
	}
	// Another recipient is another conversation.
	ev, sig := dm("adult", "teen2", 16*day, engine.CueAge)
	if g := observe(t, tr, ev, sig).Grooming; len(g.Cues) != 1 || g.Messages != 1 {
		t.Errorf("a new conversation: %+v", g)
	}
	// Minors writing to minors, and adults to adults, keep no history.
	ev, sig = dm("teen", "teen2", 16*day, engine.CueAge)
	ev.Sender.AgeBand = engine.AgeTeen
	if g := observe(t, tr, ev, sig).Grooming; g != nil {
		t.Errorf("teen to teen: %+v", g)
	}
	ev, sig = dm("adult", "adult2", 16*day, engine.CueContact)
	ev.Chat.Recipient.AgeBand = engine.AgeAdult
	if g := observe(t, tr, ev, sig).Grooming; g != nil {
		t.Errorf("adult to adult: %+v", g)
	}
	// An adult in a youth space is followed per space.
	ev = chat("adult", engine.Space{ID: "youth-1", Type: engine.SpaceYouth}, 16*day)
	if g := observe(t, tr, ev, &engine.Signals{Cues: []engine.GroomingCue{engine.CuePhoto}}).Grooming; g == nil || len(g.Cues) != 1 {
		t.Errorf("adult in a youth space: %+v", g)
	}
}

func equalCues(a, b []engine.GroomingCue) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestTrackerSurvivesRestartAndRebalance: a worker saves its partitions;
// another process (a restart, or the partition's new owner after a
// rebalance) reads them back on the partition's first event and carries
// on counting.
func TestTrackerSurvivesRestartAndRebalance(t *testing.T) {
	store := &memPersister{}
	first := newTracker(t, store)
	for i := range 4 {
		observe(t, first, chat("flooder", plaza, time.Duration(i)*time.Second), textSignals("도배도배도배도배도배"))
	}
	ev, sig := dm("adult", "teen", 5*time.Second, engine.CueAge, engine.CueSecrecy)
	observe(t, first, ev, sig)
	if err := first.Save(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(store.saved) != 1 {
		t.Fatalf("saved %d partitions, want 1", len(store.saved))
	}
	// Nothing changed: nothing is written again.
	before := maps.Clone(store.saved)
	store.saved = map[string][]byte{}
	if err := first.Save(context.Background()); err != nil || len(store.saved) != 0 {
		t.Fatalf("a clean partition was saved again (%v)", err)
	}
	store.saved = before

	second := newTracker(t, store)
	b := observe(t, second, chat("flooder", plaza, 6*time.Second), textSignals("도배도배도배도배도배"))
	if b.Rate10s != 5 || b.Repeats != 4 {
		t.Errorf("after the hand-over: %+v, want the fifth message and four repeats", b)
	}
	ev, sig = dm("adult", "teen", 7*time.Second, engine.CueGift)
	if g := observe(t, second, ev, sig).Grooming; len(g.Cues) != 3 || g.Messages != 2 {
		t.Errorf("conversation after the hand-over: %+v", g)
	}
	// Another partition starts empty and is loaded once.
	loads := store.loads
	other := chat("flooder", plaza, 8*time.Second)
	other.Origin.Partition = 1
	if b := observe(t, second, other, textSignals("도배도배도배도배도배")); b.Rate10s != 1 {
		t.Errorf("partition 1: %+v", b)
	}
	observe(t, second, other, textSignals("도배도배도배도배도배"))
	if store.loads != loads+1 {
		t.Errorf("%d loads for one partition's two events, want 1", store.loads-loads)
	}
	// After Forget the partitions are read again from the last save.
	if err := second.Save(context.Background()); err != nil {
		t.Fatal(err)
	}
	second.Forget()
	if n := second.Partitions(); n != 0 {
		t.Errorf("%d partitions held after Forget", n)
	}
	b = observe(t, second, chat("flooder", plaza, 9*time.Second), textSignals("도배도배도배도배도배"))
	if b.Rate10s != 6 {
		t.Errorf("after Forget and reload: rate %d, want 6", b.Rate10s)
	}
}

// TestTrackerAPIEventsNotPersisted: events without an origin (the API)
// keep process-local state that is never written.
func TestTrackerAPIEventsNotPersisted(t *testing.T) {
	store := &memPersister{}
	tr := newTracker(t, store)
	ev := chat("u", plaza, 0)
	ev.Origin = engine.Origin{}
	observe(t, tr, ev, textSignals("안녕하세요반갑습니다"))
	if err := tr.Save(context.Background()); err != nil || len(store.saved) != 0 || store.loads != 0 {
		t.Errorf("API state touched the store: %d saved, %d loads, %v", len(store.saved), store.loads, err)
	}
}

// TestTrackerBadSnapshotStartsFresh: a snapshot that fails its checksum
// (or comes from another layout) is not trusted; the partition starts
// empty rather than with wrong counts.
func TestTrackerBadSnapshotStartsFresh(t *testing.T) {
	store := &memPersister{}
	first := newTracker(t, store)
	observe(t, first, chat("u", plaza, 0), textSignals("안녕하세요반갑습니다"))
	if err := first.Save(context.Background()); err != nil {
		t.Fatal(err)
	}
	for k, v := range store.saved {
		v[len(v)/2] ^= 0xff
		store.saved[k] = v
	}
	second := newTracker(t, store)
	if b := observe(t, second, chat("u", plaza, time.Second), textSignals("안녕하세요반갑습니다")); b.Rate10s != 1 || b.Repeats != 0 {
		t.Errorf("after a corrupt snapshot: %+v", b)
	}
}

// TestDistinctBounded: the distinct counter keeps at most maxKeys keys,
// sweeping those out of the window, and a flood of new keys does not
// sweep on every one.
func TestDistinctBounded(t *testing.T) {
	d := newDistinct(int64(time.Minute), 2000)
	for i := range 10_000 {
		d.add(uint64(i)+1, 7, int64(i)*int64(time.Millisecond))
	}
	if len(d.sets) > 2000 {
		t.Fatalf("%d keys, cap 2000", len(d.sets))
	}
	// Every key is older than the window an hour later: all swept.
	d.add(99_999, 7, int64(time.Hour))
	if len(d.sets) != 1 {
		t.Errorf("%d keys after the window passed, want 1", len(d.sets))
	}
}

// BenchmarkTrackerObserve is one chat event's observation in a world of
// 100,000 senders at 20,000 events a second: rates, repeats, the wave
// index, and a conversation for one event in twenty.
func BenchmarkTrackerObserve(b *testing.B) {
	tr, err := NewTracker(TrackerConfig{})
	if err != nil {
		b.Fatal(err)
	}
	const senders = 100_000
	ids := make([]string, senders)
	for i := range ids {
		ids[i] = fmt.Sprintf("user-%06d", i)
	}
	texts := []string{"오늘광장에서공연하나요", "도서관몇시까지열어요", "축제일정어디서봐요", "whereisthefestivalstage", "고마워요다음에또봐요"}
	sigs := make([]*engine.Signals, len(texts))
	for i, t := range texts {
		sigs[i] = textSignals(t)
	}
	ctx := context.Background()
	ev := chat("u", plaza, 0)
	teen := &engine.Party{ID: "teen", AgeBand: engine.AgeTeen}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n++
		e := *ev
		e.Sender.ID = ids[(n*7919)%senders]
		e.SentAt = t0.Add(time.Duration(n) * 50 * time.Microsecond)
		chat := *ev.Chat
		if n%20 == 0 {
			chat.Recipient = teen
		}
		e.Chat = &chat
		if _, err := tr.Observe(ctx, &e, sigs[n%len(sigs)]); err != nil {
			b.Fatal(err)
		}
	}
}

// TestTrackerMemoryMillionSenders observes one million senders spread
// over 12 partitions, one event in twenty a direct message to a minor and
// one in ten with a link, and reports the heap the tracker holds.
func TestTrackerMemoryMillionSenders(t *testing.T) {
	racetest.Heavy(t)
	if testing.Short() {
		t.Skip("observes a million senders")
	}
	const n = 1_000_000
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	tr := newTracker(t, nil)
	ctx := context.Background()
	sig := textSignals("오늘광장에서공연하나요다들와요")
	linked := textSignals("이벤트참여하세요promoexamplecom")
	linked.Links = []engine.Link{{Host: "promo-example.com", Domain: "promo-example.com"}}
	teen := &engine.Party{ID: "teen", AgeBand: engine.AgeTeen}
	ev := chat("u", plaza, 0)
	for i := range n {
		e := *ev
		e.Sender.ID = "user-" + strconv.Itoa(i)
		e.Origin.Partition = i % 12
		e.SentAt = t0.Add(time.Duration(i) * 50 * time.Microsecond)
		c := *ev.Chat
		s := sig
		switch {
		case i%20 == 0:
			c.Recipient = teen
		case i%10 == 1:
			s = linked
		}
		e.Chat = &c
		if _, err := tr.Observe(ctx, &e, s); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	used := after.HeapAlloc - before.HeapAlloc
	t.Logf("%d senders over %d partitions: %.1f MB of heap (%d bytes a sender)", n, tr.Partitions(), float64(used)/(1<<20), used/n)
	if used > 600<<20 {
		t.Errorf("%d bytes for a million senders, want under 600 MB", used)
	}
	runtime.KeepAlive(tr)
}

// BenchmarkPartitionSnapshot is one partition's snapshot with 100,000
// active senders, as the worker writes it every save interval.
func BenchmarkPartitionSnapshot(b *testing.B) {
	tr, err := NewTracker(TrackerConfig{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	sig := textSignals("오늘광장에서공연하나요다들와요")
	ev := chat("u", plaza, 0)
	for i := range 100_000 {
		e := *ev
		e.Sender.ID = "user-" + strconv.Itoa(i)
		e.SentAt = t0.Add(time.Duration(i) * time.Millisecond)
		if _, err := tr.Observe(ctx, &e, sig); err != nil {
			b.Fatal(err)
		}
	}
	p := tr.parts[ev.Origin]
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = p.appendSnapshot(buf[:0])
	}
	b.ReportMetric(float64(len(buf))/1e6, "MB")
}
