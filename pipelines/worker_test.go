package pipelines_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/blob"
	"github.com/haechi-tns/haechi/engine/moderation"
	"github.com/haechi-tns/haechi/engine/store"
	"github.com/haechi-tns/haechi/internal/backoff"
	"github.com/haechi-tns/haechi/pipelines"
	"github.com/haechi-tns/haechi/pipelines/broker"
)

// fakeDecider blocks texts containing "bad" and allows the rest. It fails
// events whose text contains "fail-always" every time, and those with
// "fail-twice" on their first two attempts.
type fakeDecider struct {
	mu       sync.Mutex
	attempts map[string]int
	decided  atomic.Int64
}

func newFakeDecider() *fakeDecider { return &fakeDecider{attempts: map[string]int{}} }

func (f *fakeDecider) DecideBatch(_ context.Context, evs []*engine.Event) ([]*engine.Decision, []error) {
	out := make([]*engine.Decision, len(evs))
	errs := make([]error, len(evs))
	for i, ev := range evs {
		text := ev.Text()
		f.mu.Lock()
		f.attempts[ev.ID]++
		n := f.attempts[ev.ID]
		f.mu.Unlock()
		switch {
		case strings.Contains(text, "fail-always"), strings.Contains(text, "fail-twice") && n <= 2:
			errs[i] = errors.New("classifier unavailable")
			continue
		case ev.Kind == engine.KindImage && len(ev.Image.Data) > 0 && ev.Image.Data[0] != 0x89:
			errs[i] = &engine.ValidationError{Fields: []engine.FieldError{{Field: "image.data", Problem: "not a PNG"}}}
			continue
		}
		action := engine.ActionAllow
		switch {
		case strings.Contains(text, "bad"):
			action = engine.ActionBlock
		case ev.Kind == engine.KindImage && len(ev.Image.Data) == 0:
			action = engine.ActionHold // as the policy holds images nobody could see
		}
		out[i] = &engine.Decision{
			ID: uuid.NewString(), EventID: ev.ID, EventKind: ev.Kind, World: ev.World, Space: ev.Space,
			SenderID: ev.Sender.ID, Action: action, Severity: "none", PolicyRevision: "test",
			RuleIDs: []string{}, Reasons: []engine.Reason{}, DecidedAt: time.Now().UTC(),
		}
		f.decided.Add(1)
	}
	return out, errs
}

func (f *fakeDecider) attemptsOf(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.attempts[id]
}

type env struct {
	brokers []string
	store   *store.Store
	topics  pipelines.Topics
}

func newEnv(t *testing.T) *env {
	t.Helper()
	b, err := broker.Start(broker.Config{DataDir: filepath.Join(t.TempDir(), "kafka"), Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{brokers: []string{b.Addr()}, store: st, topics: pipelines.DefaultTopics}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := pipelines.EnsureTopics(ctx, e.brokers, e.topics, 1); err != nil {
		t.Fatal(err)
	}
	return e
}

// testWorker is a worker over a moderation service with the env's store,
// and an outbox relay beside it, as haechi serve and worker run them.
type testWorker struct {
	w     *pipelines.Worker
	relay *pipelines.Relay
}

// options of e.worker: either the worker's or the service's config.
type (
	workerOpt  func(*pipelines.WorkerConfig)
	serviceOpt func(*moderation.Config)
)

func (e *env) worker(t *testing.T, d moderation.Decider, group string, opts ...any) (*testWorker, *pipelines.Metrics) {
	t.Helper()
	m := pipelines.NewMetrics(nil)
	wake := make(chan struct{}, 1)
	scfg := moderation.Config{
		Decider: d, Store: e.store, Log: testLog(),
		DecideRetry: backoff.Policy{Initial: 20 * time.Millisecond, Attempts: 4},
		StoreRetry:  backoff.Policy{Initial: 20 * time.Millisecond, Max: time.Second},
		OnQueued: func() {
			select {
			case wake <- struct{}{}:
			default:
			}
		},
	}
	cfg := pipelines.WorkerConfig{
		Brokers: e.brokers, Group: group, Metrics: m,
		Log:            testLog(),
		Retry:          backoff.Policy{Initial: 20 * time.Millisecond, Max: time.Second},
		SessionTimeout: 6 * time.Second, RebalanceTimeout: 6 * time.Second, HeartbeatInterval: 500 * time.Millisecond,
	}
	for _, o := range opts {
		switch o := o.(type) {
		case workerOpt:
			o(&cfg)
		case serviceOpt:
			o(&scfg)
		default:
			t.Fatalf("option %T", o)
		}
	}
	svc, err := moderation.New(scfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Moderator = svc
	w, err := pipelines.NewWorker(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &testWorker{w: w, relay: pipelines.NewRelay(e.brokers, pipelines.RelayTopics{Actions: e.topics.Actions, Decisions: e.topics.Decisions}, e.store, 50*time.Millisecond, wake, testLog())}, m
}

// run starts the worker and its relay and returns a stop function that
// cancels them and waits.
func run(tw *testWorker) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { tw.w.Run(ctx) })
	wg.Go(func() { tw.relay.Run(ctx) })
	return func() {
		cancel()
		wg.Wait()
	}
}

func chatEvent(id, text string) *engine.Event {
	return &engine.Event{
		ID: id, Kind: engine.KindChat, World: "seoul-cityhall",
		Space:  engine.Space{ID: "plaza-1", Type: "plaza"},
		Sender: engine.Party{ID: "citizen-" + id[len(id)-1:], Role: "citizen", AgeBand: "adult"},
		Lang:   "ko", SentAt: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC),
		Chat: &engine.ChatMessage{Text: text},
	}
}

func voiceEvent(id, text string) *engine.Event {
	ev := chatEvent(id, "")
	ev.Kind, ev.Chat = engine.KindVoice, nil
	ev.Voice = &engine.VoiceSegment{SessionID: "s1", Speaker: ev.Sender.ID, StartMS: 0, EndMS: 1500, Transcript: text, Confidence: 0.9}
	return ev
}

func produce(t *testing.T, e *env, evs ...*engine.Event) {
	t.Helper()
	p := pipelines.NewProducer(e.brokers, e.topics)
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.Produce(ctx, evs...); err != nil {
		t.Fatal(err)
	}
}

func produceRaw(t *testing.T, e *env, msgs ...kafka.Message) {
	t.Helper()
	p := pipelines.NewProducer(e.brokers, e.topics)
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.ProduceRaw(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
}

// readTopic reads topic from the start, in a group of its own, until want
// messages arrived (and a little longer, to catch extras) or within passed.
func readTopic(t *testing.T, e *env, topic string, want int, within time.Duration) []kafka.Message {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: e.brokers, GroupID: "read-" + uuid.NewString(), GroupTopics: []string{topic},
		// kafka-go's read deadline for a fetch is MaxWait itself; under
		// -race the embedded broker takes longer than 50 ms to answer a
		// fetch with a 1.5 MB dead letter, and a reader with that MaxWait
		// timed out on it at every try, never reading its partition. The
		// broker answers as soon as there is data, so a longer wait costs
		// nothing.
		StartOffset: kafka.FirstOffset, MinBytes: 1, MaxBytes: 32 << 20, MaxWait: time.Second,
	})
	defer r.Close()
	var out []kafka.Message
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		wait := time.Until(deadline)
		if len(out) >= want {
			wait = 500 * time.Millisecond
		}
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		m, err := r.FetchMessage(ctx)
		cancel()
		if err != nil {
			break
		}
		out = append(out, m)
	}
	return out
}

func decisionsByEvent(t *testing.T, msgs []kafka.Message) map[string][]*engine.Decision {
	t.Helper()
	out := map[string][]*engine.Decision{}
	for _, m := range msgs {
		var dm pipelines.DecisionMessage
		if err := json.Unmarshal(m.Value, &dm); err != nil {
			t.Fatalf("decision message: %v", err)
		}
		if dm.SchemaVersion != pipelines.SchemaVersion || dm.Decision == nil {
			t.Fatalf("decision message %s", m.Value)
		}
		if string(m.Key) != dm.Decision.SenderID {
			t.Errorf("decision %s keyed %q, want the sender %q", dm.Decision.ID, m.Key, dm.Decision.SenderID)
		}
		out[dm.Decision.EventID] = append(out[dm.Decision.EventID], dm.Decision)
	}
	return out
}

// waitStored waits until the store holds n decisions.
func waitStored(t *testing.T, e *env, n int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got, err := e.store.CountDecisions(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got >= n {
			if got > n {
				t.Fatalf("%d decisions stored, want %d", got, n)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d decisions stored after %s", got, n, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestEndToEnd(t *testing.T) {
	e := newEnv(t)
	var evs []*engine.Event
	for i := range 200 {
		text := fmt.Sprintf("안녕하세요 %d", i)
		if i%10 == 0 {
			text = "this is bad"
		}
		if i%4 == 0 {
			evs = append(evs, voiceEvent(fmt.Sprintf("v-%03d", i), text))
		} else {
			evs = append(evs, chatEvent(fmt.Sprintf("c-%03d", i), text))
		}
	}
	produce(t, e, evs...)
	d := newFakeDecider()
	w, m := e.worker(t, d, "e2e")
	stop := run(w)
	waitStored(t, e, len(evs), 60*time.Second)
	// The relay publishes the actions after the decisions are stored:
	// read them while it runs (on a busy machine it can lag the store).
	actions := readTopic(t, e, e.topics.Actions, 20, 30*time.Second)
	stop()

	got := decisionsByEvent(t, readTopic(t, e, e.topics.Decisions, len(evs), 10*time.Second))
	stored, err := e.store.DecisionsForEvents(context.Background(), ids(evs))
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		ds := got[ev.ID]
		if len(ds) != 1 {
			t.Errorf("event %s: %d decisions published, want 1", ev.ID, len(ds))
			continue
		}
		want := engine.ActionAllow
		if strings.Contains(ev.Text(), "bad") {
			want = engine.ActionBlock
		}
		if ds[0].Action != want || ds[0].EventKind != ev.Kind {
			t.Errorf("event %s: published %s %s, want %s %s", ev.ID, ds[0].EventKind, ds[0].Action, ev.Kind, want)
		}
		if stored[ev.ID] == nil || stored[ev.ID].ID != ds[0].ID {
			t.Errorf("event %s: published decision is not the stored one", ev.ID)
		}
	}
	if len(actions) != 20 {
		t.Errorf("%d actions published, want 20 (one per blocked event)", len(actions))
	}
	for _, a := range actions {
		var am engine.ActionMessage
		if err := json.Unmarshal(a.Value, &am); err != nil || am.Action != string(engine.ActionBlock) || am.Source != engine.SourceAutomated ||
			got[am.EventID] == nil || got[am.EventID][0].ID != am.DecisionID || string(a.Key) != am.UserID {
			t.Errorf("action %s does not match a published block decision (%v)", a.Value, err)
		}
	}
	if n := counterValue(t, m, "haechi_pipeline_events_consumed_total"); n != float64(len(evs)) {
		t.Errorf("consumed metric %v, want %d", n, len(evs))
	}
}

func ids(evs []*engine.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.ID
	}
	return out
}

func TestPoisonMessagesGoToTheDeadLetterTopic(t *testing.T) {
	e := newEnv(t)
	good1 := chatEvent("good-1", "hello")
	valid, _ := pipelines.EncodeEvent(chatEvent("v-2", "hi"))
	future := strings.Replace(string(valid), `"schema_version":1`, `"schema_version":2`, 1)
	invalid, _ := json.Marshal(map[string]any{"schema_version": 1, "event": map[string]any{"id": "x", "kind": "chat"}})
	voiceOnChat, _ := pipelines.EncodeEvent(voiceEvent("voice-on-chat", "hi"))
	// The worker below takes at most 1 MiB, so that an oversized message is
	// still one the topic accepts.
	oversized := `{"schema_version":1,"event":{"id":"big","pad":"` + strings.Repeat("a", 3<<19) + `"}}`
	img := chatEvent("img-1", "")
	img.Kind, img.Chat = engine.KindImage, nil
	img.Image = &engine.ImageUpload{ContentType: "image/png", Data: []byte("GIF89a not a png")}

	produce(t, e, good1)
	chat := e.topics.Chat
	produceRaw(t, e,
		kafka.Message{Topic: chat, Key: []byte("u"), Value: []byte(`{not json`)},
		kafka.Message{Topic: chat, Key: []byte("u"), Value: []byte(future)},
		kafka.Message{Topic: chat, Key: []byte("u"), Value: invalid},
		kafka.Message{Topic: chat, Key: []byte("u"), Value: voiceOnChat},
		kafka.Message{Topic: chat, Key: []byte("u"), Value: []byte(oversized)},
	)
	produce(t, e, img, chatEvent("always-1", "fail-always"), chatEvent("twice-1", "fail-twice"), chatEvent("good-2", "after the poison"))

	d := newFakeDecider()
	w, _ := e.worker(t, d, "poison", workerOpt(func(c *pipelines.WorkerConfig) { c.MaxMessageBytes = 1 << 20 }))
	stop := run(w)
	waitStored(t, e, 3, 60*time.Second) // good-1, twice-1, good-2
	dlq := readTopic(t, e, e.topics.DeadLetter, 7, 20*time.Second)
	stop()

	classes := map[string]int{}
	for _, msg := range dlq {
		h := map[string]string{}
		for _, x := range msg.Headers {
			h[x.Key] = string(x.Value)
		}
		classes[h[pipelines.HeaderClass]]++
		if h[pipelines.HeaderOriginalTopic] != e.topics.Chat && h[pipelines.HeaderOriginalTopic] != e.topics.Images {
			t.Errorf("dead letter without its original topic: %v", h)
		}
		if h[pipelines.HeaderReason] == "" || h[pipelines.HeaderOriginalOffset] == "" || h[pipelines.HeaderOriginalPartition] == "" {
			t.Errorf("dead letter missing reason or position: %v", h)
		}
	}
	want := map[string]int{
		pipelines.ClassMalformed: 1, pipelines.ClassSchema: 1, pipelines.ClassInvalid: 2, // the bad event and the bad image
		pipelines.ClassWrongTopic: 1, pipelines.ClassOversized: 1, pipelines.ClassUndecidable: 1,
	}
	for c, n := range want {
		if classes[c] != n {
			t.Errorf("%d dead letters of class %s, want %d (all: %v)", classes[c], c, n, classes)
		}
	}
	if a := d.attemptsOf("always-1"); a != 4 {
		t.Errorf("a failing event was tried %d times, want 4 (1 + 3 retries)", a)
	}
	if a := d.attemptsOf("twice-1"); a != 3 {
		t.Errorf("an event failing twice was tried %d times, want 3", a)
	}
	got := decisionsByEvent(t, readTopic(t, e, e.topics.Decisions, 3, 10*time.Second))
	for _, id := range []string{"good-1", "twice-1", "good-2"} {
		if len(got[id]) != 1 {
			t.Errorf("%s: %d decisions, want 1: poison must not stop the stream", id, len(got[id]))
		}
	}
}

func TestRedeliveredEventsKeepTheirDecision(t *testing.T) {
	e := newEnv(t)
	var evs []*engine.Event
	for i := range 50 {
		evs = append(evs, chatEvent(fmt.Sprintf("r-%02d", i), "hello"))
	}
	produce(t, e, evs...)
	d := newFakeDecider()
	w, _ := e.worker(t, d, "first")
	stop := run(w)
	waitStored(t, e, 50, 60*time.Second)
	stop()
	// A second group reads the same events again: a replay, as after a lost
	// commit. Nothing new is stored and the same decision ids go out.
	w2, m2 := e.worker(t, d, "replay")
	stop = run(w2)
	deadline := time.Now().Add(60 * time.Second)
	for counterValue(t, m2, "haechi_pipeline_redelivered_total") < 50 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	if n, _ := e.store.CountDecisions(context.Background()); n != 50 {
		t.Fatalf("%d decisions stored after a replay, want 50", n)
	}
	if n := d.decided.Load(); n != 50 {
		t.Errorf("the decider ran %d times, want 50: stored decisions are not decided again", n)
	}
	got := decisionsByEvent(t, readTopic(t, e, e.topics.Decisions, 100, 10*time.Second))
	for _, ev := range evs {
		ds := got[ev.ID]
		if len(ds) != 2 || ds[0].ID != ds[1].ID {
			t.Errorf("%s: republished decisions %v, want the same id twice", ev.ID, ds)
		}
	}
}

func TestTwoWorkersShareAndTakeOver(t *testing.T) {
	e := newEnv(t)
	mk := func(prefix string, n int) []*engine.Event {
		var evs []*engine.Event
		for i := range n {
			ev := chatEvent(fmt.Sprintf("%s-%04d", prefix, i), "hello")
			ev.Sender.ID = fmt.Sprintf("user-%d", i%97) // spread over partitions
			evs = append(evs, ev)
		}
		return evs
	}
	d1, d2 := newFakeDecider(), newFakeDecider()
	w1, _ := e.worker(t, d1, "shared")
	w2, _ := e.worker(t, d2, "shared")
	stop1, stop2 := run(w1), run(w2)
	defer stop2()
	waitForMembers(t, e.brokers[0], "shared", 2)
	produce(t, e, mk("a", 2000)...)
	waitStored(t, e, 2000, 90*time.Second)
	if d1.decided.Load() == 0 || d2.decided.Load() == 0 {
		t.Errorf("one worker did everything: %d and %d", d1.decided.Load(), d2.decided.Load())
	}
	stop1()
	b := mk("b", 1000)
	produce(t, e, b...)
	waitStored(t, e, 3000, 90*time.Second)
	// The survivor took over every partition: it decided each new event,
	// and the stopped worker none.
	for _, ev := range b {
		if d2.attemptsOf(ev.ID) == 0 || d1.attemptsOf(ev.ID) != 0 {
			t.Fatalf("%s: decided %d times by the survivor and %d by the stopped worker", ev.ID, d2.attemptsOf(ev.ID), d1.attemptsOf(ev.ID))
		}
	}
	// Events fetched by one worker while the group rebalanced may be
	// decided by both (at-least-once); the store keeps one decision each.
	t.Logf("decider calls for 3000 events: %d and %d", d1.decided.Load(), d2.decided.Load())
}

// counterValue sums every series of the named metric.
func counterValue(t *testing.T, m *pipelines.Metrics, name string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	for _, c := range m.Collectors() {
		reg.MustRegister(c)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, s := range f.GetMetric() {
			sum += s.GetCounter().GetValue()
		}
	}
	return sum
}

func TestImagesByReferenceAreFetched(t *testing.T) {
	e := newEnv(t)
	png := []byte("\x89PNG\r\n\x1a\n fake but PNG-looking")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/uploads/1.png" {
			http.NotFound(w, r)
			return
		}
		w.Write(png)
	}))
	defer srv.Close()
	image := func(id, uri string) *engine.Event {
		ev := chatEvent(id, "")
		ev.Kind, ev.Chat = engine.KindImage, nil
		ev.Image = &engine.ImageUpload{ContentType: "image/png", URI: uri}
		return ev
	}
	produce(t, e, image("ref-ok", srv.URL+"/uploads/1.png"), image("ref-missing", srv.URL+"/uploads/2.png"),
		image("ref-elsewhere", "https://elsewhere.example.invalid/x.png"))
	d := newFakeDecider()
	w, _ := e.worker(t, d, "blobs", serviceOpt(func(c *moderation.Config) {
		c.Blobs = &blob.HTTP{Prefixes: []string{srv.URL + "/uploads/"}}
	}))
	stop := run(w)
	waitStored(t, e, 3, 60*time.Second)
	stop()
	got, err := e.store.DecisionsForEvents(context.Background(), []string{"ref-ok", "ref-missing", "ref-elsewhere"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]engine.Action{"ref-ok": engine.ActionAllow, "ref-missing": engine.ActionHold, "ref-elsewhere": engine.ActionHold}
	for id, a := range want {
		if got[id] == nil || got[id].Action != a {
			t.Errorf("%s: decided %v, want %s", id, got[id], a)
		}
	}
}

// TestSlowImageDoesNotStallTheStream: an image whose blob server answers
// only after 15 s costs at most the blob budget (the default is used):
// the image is held, and chat events produced after it are decided
// within 2 s instead of waiting for the server.
func TestSlowImageDoesNotStallTheStream(t *testing.T) {
	e := newEnv(t)
	var requests atomic.Int64
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		select {
		case <-time.After(15 * time.Second):
		case <-release:
		case <-r.Context().Done():
		}
		w.Write([]byte("\x89PNG too late"))
	}))
	defer srv.Close()
	defer close(release)
	w, _ := e.worker(t, newFakeDecider(), "slow-blob", serviceOpt(func(c *moderation.Config) {
		c.Blobs = &blob.HTTP{Prefixes: []string{srv.URL + "/"}}
	}))
	stop := run(w)
	defer stop()
	produce(t, e, chatEvent("warm-1", "hello"))
	waitStored(t, e, 1, 60*time.Second)

	img := chatEvent("slow-img", "")
	img.Kind, img.Chat = engine.KindImage, nil
	img.Image = &engine.ImageUpload{ContentType: "image/png", URI: srv.URL + "/slow.png"}
	produce(t, e, img)
	var later []*engine.Event
	for i := range 5 {
		later = append(later, chatEvent(fmt.Sprintf("after-%d", i), "hello"))
	}
	produce(t, e, later...)
	start := time.Now()
	waitStored(t, e, 7, 10*time.Second)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("events after a slow image were decided %v later, want within 2 s", took)
	}
	got, err := e.store.DecisionsForEvents(context.Background(), []string{"slow-img"})
	if err != nil || got["slow-img"] == nil || got["slow-img"].Action != engine.ActionHold {
		t.Errorf("the slow image: %v %v, want held", got["slow-img"], err)
	}
	if requests.Load() == 0 {
		t.Error("the image was never requested")
	}
}

// TestRelayPublishesThenMarksSent: queued actions reach the topic in
// order, once, and are marked sent only after the brokers took them.
func TestRelayPublishesThenMarksSent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var ds []*engine.Decision
	for i, a := range []engine.Action{engine.ActionBlock, engine.ActionAllow, engine.ActionRedact} {
		d := &engine.Decision{ID: fmt.Sprintf("d-%d", i), EventID: fmt.Sprintf("e-%d", i), EventKind: engine.KindChat, SenderID: fmt.Sprintf("user-%d", i),
			Action: a, PolicyRevision: "test", DecidedAt: time.Now().UTC()}
		ds = append(ds, d)
	}
	if _, err := e.store.SaveDecisions(ctx, ds); err != nil {
		t.Fatal(err)
	}
	wake := make(chan struct{}, 1)
	wake <- struct{}{}
	relay := pipelines.NewRelay(e.brokers, pipelines.RelayTopics{Actions: e.topics.Actions, Decisions: e.topics.Decisions}, e.store, time.Hour, wake, testLog())
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		relay.Run(rctx)
	}()
	msgs := readTopic(t, e, e.topics.Actions, 2, 20*time.Second)
	cancel()
	<-done
	var got []string
	for _, m := range msgs {
		var a engine.ActionMessage
		if err := json.Unmarshal(m.Value, &a); err != nil {
			t.Fatal(err)
		}
		got = append(got, string(m.Key)+":"+a.ActionID)
	}
	// Actions are keyed by user, so each user's stay in order on one
	// partition; across users the topic has no order.
	slices.Sort(got)
	if want := []string{"user-0:d-0:block", "user-2:d-2:redact"}; !slices.Equal(got, want) {
		t.Errorf("published %v, want %v", got, want)
	}
	if left, err := e.store.Outbox(ctx, 10); err != nil || len(left) != 0 {
		t.Errorf("outbox after relaying: %v %v", left, err)
	}
}

// outageDecider fails every event until up, as a classifier or database
// outage does, then decides like fakeDecider.
type outageDecider struct {
	*fakeDecider
	up atomic.Bool
}

func (o *outageDecider) DecideBatch(ctx context.Context, evs []*engine.Event) ([]*engine.Decision, []error) {
	if !o.up.Load() {
		errs := make([]error, len(evs))
		for i := range errs {
			errs[i] = errors.New("policy engine unavailable")
		}
		return make([]*engine.Decision, len(evs)), errs
	}
	return o.fakeDecider.DecideBatch(ctx, evs)
}

func TestOutageDoesNotDeadLetterTheBatch(t *testing.T) {
	e := newEnv(t)
	var evs []*engine.Event
	for i := range 40 {
		evs = append(evs, chatEvent(fmt.Sprintf("o-%02d", i), "hello"))
	}
	produce(t, e, evs...)
	d := &outageDecider{fakeDecider: newFakeDecider()}
	w, _ := e.worker(t, d, "outage")
	stop := run(w)
	time.Sleep(2 * time.Second) // several failed rounds
	if n, _ := e.store.CountDecisions(context.Background()); n != 0 {
		t.Fatalf("%d decisions during the outage", n)
	}
	d.up.Store(true)
	waitStored(t, e, len(evs), 60*time.Second)
	stop()
	if dlq := readTopic(t, e, e.topics.DeadLetter, 1, 2*time.Second); len(dlq) != 0 {
		t.Errorf("%d events dead-lettered by an outage that passed", len(dlq))
	}
}

func testLog() *slog.Logger {
	if os.Getenv("HAECHI_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// waitForMembers polls DescribeGroups until the group is stable with the
// given number of members, each holding some partitions.
func waitForMembers(t *testing.T, addr, group string, members int) {
	t.Helper()
	client := &kafka.Client{Addr: kafka.TCP(addr), Timeout: 5 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := client.DescribeGroups(context.Background(), &kafka.DescribeGroupsRequest{GroupIDs: []string{group}})
		if err == nil && len(resp.Groups) == 1 && resp.Groups[0].GroupState == "Stable" && len(resp.Groups[0].Members) == members {
			assigned := 0
			for _, m := range resp.Groups[0].Members {
				if len(m.MemberAssignments.Topics) > 0 {
					assigned++
				}
			}
			if assigned == members {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("group %s never had %d members with partitions", group, members)
}
