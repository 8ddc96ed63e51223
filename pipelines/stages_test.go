package pipelines

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/moderation"
	"github.com/haechi-tns/haechi/internal/backoff"
)

// The worker's stages tested alone, with a real moderation service over
// an in-memory store and fake Kafka ends.

// memStore keeps decisions in a map; saveErr, when set, fails saves.
type memStore struct {
	mu      sync.Mutex
	byEvent map[string]*engine.Decision
	saveErr error
}

func (m *memStore) DecisionsForEvents(_ context.Context, ids []string) (map[string]*engine.Decision, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]*engine.Decision{}
	for _, id := range ids {
		if d, ok := m.byEvent[id]; ok {
			out[id] = d
		}
	}
	return out, nil
}

func (m *memStore) SaveEncodedDecisions(_ context.Context, ds []*engine.Decision, _ [][]byte) ([]*engine.Decision, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.saveErr != nil {
		return nil, m.saveErr
	}
	out := make([]*engine.Decision, len(ds))
	for i, d := range ds {
		if prev, ok := m.byEvent[d.EventID]; ok {
			out[i] = prev
			continue
		}
		m.byEvent[d.EventID] = d
		out[i] = d
	}
	return out, nil
}

// textDecider blocks "bad", fails "fail" every time, allows the rest.
type textDecider struct{}

func (textDecider) DecideBatch(_ context.Context, evs []*engine.Event) ([]*engine.Decision, []error) {
	out := make([]*engine.Decision, len(evs))
	errs := make([]error, len(evs))
	for i, ev := range evs {
		if strings.Contains(ev.Text(), "fail") {
			errs[i] = errors.New("classifier down")
			continue
		}
		a := engine.ActionAllow
		if strings.Contains(ev.Text(), "bad") {
			a = engine.ActionBlock
		}
		out[i] = &engine.Decision{ID: "d-" + ev.ID, EventID: ev.ID, EventKind: ev.Kind, SenderID: ev.Sender.ID, Action: a, PolicyRevision: "t"}
	}
	return out, errs
}

func stageService(t *testing.T, st *memStore) *moderation.Service {
	t.Helper()
	svc, err := moderation.New(moderation.Config{
		Decider: textDecider{}, Store: st,
		DecideRetry: backoff.Policy{Initial: time.Millisecond, Attempts: 2},
		StoreRetry:  backoff.Policy{Initial: time.Millisecond, Max: 5 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func inputMessage(t *testing.T, topic, id, text string, offset int64) kafka.Message {
	t.Helper()
	ev := &engine.Event{ID: id, Kind: engine.KindChat, World: "w", Space: engine.Space{ID: "s", Type: engine.SpacePlaza},
		Sender: engine.Party{ID: "u-" + id, Role: engine.RoleCitizen}, SentAt: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC),
		Chat: &engine.ChatMessage{Text: text}}
	v, err := EncodeEvent(ev)
	if err != nil {
		t.Fatal(err)
	}
	return kafka.Message{Topic: topic, Partition: 0, Offset: offset, Key: []byte(ev.Sender.ID), Value: v}
}

func TestDecideStage(t *testing.T) {
	st := &memStore{byEvent: map[string]*engine.Decision{}}
	d := &decideStage{topics: DefaultTopics, maxBytes: MaxMessageBytes, mod: stageService(t, st), metrics: NewMetrics(nil), now: time.Now}
	msgs := []kafka.Message{
		inputMessage(t, DefaultTopics.Chat, "ok", "hello", 0),
		{Topic: DefaultTopics.Chat, Offset: 1, Value: []byte(`{"schema_version":1,"event":`)},
		inputMessage(t, DefaultTopics.Voice, "wrong-topic", "hello", 2),
		inputMessage(t, DefaultTopics.Chat, "bad", "this is bad", 3),
		inputMessage(t, DefaultTopics.Chat, "fail", "fail", 4),
		inputMessage(t, DefaultTopics.Chat, "ok", "other content", 5), // a conflict in the batch
	}
	p, err := d.run(context.Background(), msgs)
	if err != nil {
		t.Fatal(err)
	}
	wantBad := []string{"", ClassMalformed, ClassWrongTopic, "", ClassUndecidable, ClassConflict}
	for i, w := range wantBad {
		got := ""
		if p.bad[i] != nil {
			got = p.bad[i].Class
		}
		if got != w {
			t.Errorf("message %d: dead-letter class %q, want %q", i, got, w)
		}
	}
	if r := p.batch.Results(); r[0].Decision == nil || r[3].Decision.Action != engine.ActionBlock {
		t.Errorf("results %+v", r)
	}
	if len(st.byEvent) != 0 {
		t.Error("the decide stage stored decisions; only the output stage may")
	}
}

// fakeKafka records what is published and committed, in order, and fails
// the first publishFails publishes.
type fakeKafka struct {
	mu           sync.Mutex
	log          []string
	published    []kafka.Message
	committed    []kafka.Message
	publishFails int
}

func (f *fakeKafka) WriteMessages(_ context.Context, msgs ...kafka.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.publishFails != 0 {
		f.publishFails--
		f.log = append(f.log, "publish failed")
		return errors.New("broker unavailable")
	}
	f.log = append(f.log, "publish")
	f.published = append(f.published, msgs...)
	return nil
}

func (f *fakeKafka) CommitMessages(_ context.Context, msgs ...kafka.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, "commit")
	f.committed = append(f.committed, msgs...)
	return nil
}

func TestOutputStage(t *testing.T) {
	prepare := func(t *testing.T, st *memStore) *prepared {
		d := &decideStage{topics: DefaultTopics, maxBytes: MaxMessageBytes, mod: stageService(t, st), metrics: NewMetrics(nil), now: time.Now}
		p, err := d.run(context.Background(), []kafka.Message{
			inputMessage(t, DefaultTopics.Chat, "a", "hello", 10),
			{Topic: DefaultTopics.Chat, Partition: 2, Offset: 11, Key: []byte("k"), Value: []byte(`not json`)},
			inputMessage(t, DefaultTopics.Chat, "b", "this is bad", 12),
		})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	output := func(st *memStore, k *fakeKafka) *outputStage {
		return &outputStage{topics: DefaultTopics, mod: stageService(t, st), pub: k,
			retry: backoff.Policy{Initial: time.Millisecond, Max: 5 * time.Millisecond}, metrics: NewMetrics(nil),
			log: slog.New(slog.DiscardHandler), now: time.Now}
	}

	t.Run("stores, publishes, then commits", func(t *testing.T) {
		st := &memStore{byEvent: map[string]*engine.Decision{}}
		k := &fakeKafka{publishFails: 2}
		if err := output(st, k).finish(context.Background(), k, prepare(t, st)); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(k.log, ","); got != "publish failed,publish failed,publish,commit" {
			t.Errorf("order %s", got)
		}
		if len(st.byEvent) != 2 || len(k.committed) != 3 || len(k.published) != 3 {
			t.Fatalf("stored %d, published %d, committed %d", len(st.byEvent), len(k.published), len(k.committed))
		}
		var dm DecisionMessage
		if k.published[0].Topic != DefaultTopics.Decisions || json.Unmarshal(k.published[0].Value, &dm) != nil || dm.Decision.EventID != "a" {
			t.Errorf("first output %s %s", k.published[0].Topic, k.published[0].Value)
		}
		dl := k.published[1]
		headers := map[string]string{}
		for _, h := range dl.Headers {
			headers[h.Key] = string(h.Value)
		}
		if dl.Topic != DefaultTopics.DeadLetter || string(dl.Value) != "not json" || string(dl.Key) != "k" ||
			headers[HeaderClass] != ClassMalformed || headers[HeaderOriginalOffset] != "11" || headers[HeaderOriginalPartition] != "2" {
			t.Errorf("dead letter %s %q headers %v", dl.Topic, dl.Value, headers)
		}
	})

	t.Run("a store that stays down commits nothing", func(t *testing.T) {
		st := &memStore{byEvent: map[string]*engine.Decision{}}
		p := prepare(t, st)
		st.saveErr = errors.New("database down")
		k := &fakeKafka{}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if err := output(st, k).finish(ctx, k, p); err == nil {
			t.Fatal("finish succeeded with the store down")
		}
		if len(k.log) != 0 {
			t.Errorf("published or committed with nothing stored: %v", k.log)
		}
	})

	t.Run("a broker that stays down commits nothing", func(t *testing.T) {
		st := &memStore{byEvent: map[string]*engine.Decision{}}
		k := &fakeKafka{publishFails: -1}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if err := output(st, k).finish(ctx, k, prepare(t, st)); err == nil {
			t.Fatal("finish succeeded with the broker down")
		}
		if len(k.committed) != 0 {
			t.Error("committed offsets of unpublished decisions")
		}
	})
}

// TestDecisionMessageReusesTheStoredBytes: a decision published with the
// encoding the store kept is byte for byte the message json.Marshal makes.
func TestDecisionMessageReusesTheStoredBytes(t *testing.T) {
	at := time.Date(2026, 12, 6, 14, 0, 0, 123456789, time.UTC)
	for _, d := range []*engine.Decision{
		{ID: "d1", EventID: "e1", EventKind: engine.KindChat, Action: engine.ActionAllow, DecidedAt: at},
		{
			ID: "d2", EventID: "e2", EventKind: engine.KindChat, Lang: "ko", World: "w", Space: engine.Space{ID: "s<1>", Type: engine.SpaceYouth},
			SenderID: "u&1", Action: engine.ActionRedact, Categories: []engine.Category{engine.Profanity}, RuleIDs: []string{"respect.profanity.redact"},
			Principle: "respect", Severity: "low", Reasons: []engine.Reason{{RuleID: "r", KO: "욕설 <b>\u2028", EN: "profanity & \"quotes\""}},
			RedactedText: "아 *** <script>", Scores: engine.Scores{engine.Profanity: 0.95, engine.Toxic: 0.1234567890123},
			Evidence: engine.Scores{engine.Profanity: 0.95}, PII: []engine.PIISpan{{Type: engine.PIIPhone, Start: 1, End: 5, Score: 0.9}},
			Behaviour: &engine.BehaviourSignals{Rate10s: 3, DomainSenders: map[string]int{"x.com": 2}},
			Fired:     []engine.FiredRule{{RuleID: "r", Action: engine.ActionRedact}}, PolicyRevision: "rev",
			ModelVersions: map[string]string{"text": "1", "lexicon": "2"}, DecidedAt: at, Fingerprint: "fp",
		},
	} {
		body, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(DecisionMessage{SchemaVersion: SchemaVersion, Decision: d})
		if err != nil {
			t.Fatal(err)
		}
		got, err := decisionMessage(moderation.Result{Decision: d, Encoded: body})
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: got %s, %v\nwant %s", d.ID, got, err, want)
		}
	}
}
