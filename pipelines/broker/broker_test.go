package broker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

const testPartitions = 6

// start runs a broker on a free loopback port for the length of the test.
func start(t testing.TB, cfg Config) *Broker {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	b, err := Start(cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// createTopics creates topics with testPartitions partitions each, the way
// Haechi's start-up does.
func createTopics(t testing.TB, addr string, topics ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := &kafka.CreateTopicsRequest{}
	for _, topic := range topics {
		req.Topics = append(req.Topics, kafka.TopicConfig{
			Topic: topic, NumPartitions: testPartitions, ReplicationFactor: 1,
		})
	}
	client := &kafka.Client{Addr: kafka.TCP(addr), Timeout: 10 * time.Second}
	resp, err := client.CreateTopics(ctx, req)
	if err != nil {
		t.Fatalf("CreateTopics: %v", err)
	}
	for topic, err := range resp.Errors {
		if err != nil {
			t.Fatalf("CreateTopics %s: %v", topic, err)
		}
	}
}

// partitionCount returns how many partitions the broker reports for topic,
// or 0 when the topic does not exist.
func partitionCount(t testing.TB, addr, topic string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client := &kafka.Client{Addr: kafka.TCP(addr), Timeout: 10 * time.Second}
	resp, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		t.Fatalf("Metadata: %v", err)
	}
	for _, tm := range resp.Topics {
		if tm.Name == topic && tm.Error == nil {
			return len(tm.Partitions)
		}
	}
	return 0
}

func newWriter(addr string) *kafka.Writer {
	return &kafka.Writer{
		Addr:         kafka.TCP(addr),
		Balancer:     &kafka.Hash{},
		RequiredAcks: kafka.RequireAll,
		BatchSize:    1000,
		BatchTimeout: 5 * time.Millisecond,
	}
}

// produce writes messages from..from+n-1 to each topic, message i keyed
// "k<i>" with value "<topic>/<i>", and returns the values written.
func produce(t testing.TB, addr string, from, n int, topics ...string) []string {
	t.Helper()
	w := newWriter(addr)
	defer w.Close()
	var msgs []kafka.Message
	var values []string
	for _, topic := range topics {
		for i := from; i < from+n; i++ {
			v := fmt.Sprintf("%s/%d", topic, i)
			msgs = append(msgs, kafka.Message{Topic: topic, Key: fmt.Appendf(nil, "k%d", i), Value: []byte(v)})
			values = append(values, v)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatalf("WriteMessages: %v", err)
	}
	return values
}

// groupReader is the reader configuration Haechi's workers use, with group
// timeouts shortened so rebalances in tests take about a second.
func groupReader(addr, group string, topics ...string) *kafka.Reader {
	return kafka.NewReader(kafka.ReaderConfig{
		Brokers:           []string{addr},
		GroupID:           group,
		GroupTopics:       topics,
		StartOffset:       kafka.FirstOffset,
		MinBytes:          1,
		MaxBytes:          10 << 20,
		MaxWait:           250 * time.Millisecond,
		CommitInterval:    0, // synchronous commits
		SessionTimeout:    6 * time.Second,
		RebalanceTimeout:  6 * time.Second,
		HeartbeatInterval: time.Second,
		JoinGroupBackoff:  100 * time.Millisecond,
		ReadBackoffMin:    10 * time.Millisecond,
		ReadBackoffMax:    100 * time.Millisecond,
	})
}

// consume fetches and commits n messages one at a time and returns them.
func consume(t testing.TB, r *kafka.Reader, n int) []kafka.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got []kafka.Message
	for len(got) < n {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			t.Fatalf("FetchMessage after %d of %d messages: %v", len(got), n, err)
		}
		if err := r.CommitMessages(ctx, m); err != nil {
			t.Fatalf("CommitMessages: %v", err)
		}
		got = append(got, m)
	}
	return got
}

// expectNoMore fails the test if r delivers another message within wait.
func expectNoMore(t testing.TB, r *kafka.Reader, wait time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	m, err := r.FetchMessage(ctx)
	if err == nil {
		t.Fatalf("unexpected extra message %s/%d@%d: %q", m.Topic, m.Partition, m.Offset, m.Value)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("FetchMessage: %v", err)
	}
}

// exactlyOnce checks that got holds each of want exactly once.
func exactlyOnce(t testing.TB, got []kafka.Message, want []string) {
	t.Helper()
	seen := make(map[string]int, len(got))
	for _, m := range got {
		seen[string(m.Value)]++
	}
	for v, n := range seen {
		if n > 1 {
			t.Errorf("message %q delivered %d times", v, n)
		}
	}
	for _, v := range want {
		if seen[v] == 0 {
			t.Errorf("message %q never delivered", v)
		}
		delete(seen, v)
	}
	for v := range seen {
		t.Errorf("unexpected message %q", v)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "zero value", cfg: Config{}},
		{name: "free port", cfg: Config{Addr: "127.0.0.1:0"}},
		{name: "localhost", cfg: Config{Addr: "localhost:0"}},
		{name: "other loopback", cfg: Config{Addr: "127.0.0.2:0"}},
		{name: "all interfaces", cfg: Config{Addr: ":9092"}, wantErr: "not a loopback address"},
		{name: "unspecified", cfg: Config{Addr: "0.0.0.0:9092"}, wantErr: "not a loopback address"},
		{name: "lan", cfg: Config{Addr: "192.168.1.10:9092"}, wantErr: "not a loopback address"},
		{name: "hostname", cfg: Config{Addr: "kafka.example.com:9092"}, wantErr: "not a loopback address"},
		{name: "no port", cfg: Config{Addr: "127.0.0.1"}, wantErr: "missing port"},
		{name: "bad port", cfg: Config{Addr: "127.0.0.1:http"}, wantErr: "invalid port"},
		{name: "negative partitions", cfg: Config{Partitions: -1}, wantErr: "partitions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Validate = %v, want error containing %q", err, tt.wantErr)
			}
			if tt.wantErr != "" {
				if b, err := Start(tt.cfg); err == nil {
					b.Close()
					t.Fatal("Start accepted a configuration Validate rejects")
				}
			}
		})
	}
}

func TestStartAddrClose(t *testing.T) {
	t.Parallel()
	b, err := Start(Config{Addr: "localhost:0"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.Addr(), "127.0.0.1:") || strings.HasSuffix(b.Addr(), ":0") {
		t.Errorf("Addr = %q, want 127.0.0.1 with a chosen port", b.Addr())
	}
	// A second broker on the same port must fail, not silently share it.
	if b2, err := Start(Config{Addr: b.Addr()}); err == nil {
		b2.Close()
		t.Error("second Start on a port in use succeeded")
	}
	if err := b.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestAutoCreate checks that a topic first named by a producer gets
// Config.Partitions partitions.
func TestAutoCreate(t *testing.T) {
	t.Parallel()
	b := start(t, Config{Partitions: 3})
	w := newWriter(b.Addr())
	w.AllowAutoTopicCreation = true
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := w.WriteMessages(ctx, kafka.Message{Topic: "auto", Key: []byte("k"), Value: []byte("v")})
	if err != nil {
		t.Fatalf("WriteMessages: %v", err)
	}
	if n := partitionCount(t, b.Addr(), "auto"); n != 3 {
		t.Errorf("auto-created topic has %d partitions, want 3", n)
	}
}

// TestGroupConsumesTwoTopics is the worker's path: explicit topics, a keyed
// producer with acks=all, and a consumer group over two topics that fetches
// and commits each message.
func TestGroupConsumesTwoTopics(t *testing.T) {
	t.Parallel()
	b := start(t, Config{})
	topics := []string{"haechi.chat", "haechi.voice"}
	createTopics(t, b.Addr(), topics...)
	for _, topic := range topics {
		if n := partitionCount(t, b.Addr(), topic); n != testPartitions {
			t.Fatalf("%s has %d partitions, want %d", topic, n, testPartitions)
		}
	}
	want := produce(t, b.Addr(), 0, 500, topics...)

	r := groupReader(b.Addr(), "workers", topics...)
	defer r.Close()
	got := consume(t, r, len(want))
	exactlyOnce(t, got, want)
	expectNoMore(t, r, time.Second)

	// The Hash balancer must have placed each key on the partition it
	// chooses, so one key's events stay in order on one partition.
	partitions := make([]int, testPartitions)
	for i := range partitions {
		partitions[i] = i
	}
	used := make(map[string]bool)
	for _, m := range got {
		if p := (&kafka.Hash{}).Balance(m, partitions...); p != m.Partition {
			t.Errorf("key %s landed on partition %d, Hash balancer chooses %d", m.Key, m.Partition, p)
		}
		used[fmt.Sprint(m.Topic, m.Partition)] = true
	}
	if len(used) != len(topics)*testPartitions {
		t.Errorf("messages spread over %d partitions, want %d", len(used), len(topics)*testPartitions)
	}
}

// TestPersistence restarts the broker on its data directory and checks that
// topics, messages and committed group offsets survive.
func TestPersistence(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const topic, group, n = "haechi.images", "workers", 200

	b1, err := Start(Config{Addr: "127.0.0.1:0", DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	createTopics(t, b1.Addr(), topic)
	want := produce(t, b1.Addr(), 0, n, topic)
	r1 := groupReader(b1.Addr(), group, topic)
	first := consume(t, r1, n/2)
	if err := r1.Close(); err != nil {
		t.Fatalf("reader Close: %v", err)
	}
	if err := b1.Close(); err != nil {
		t.Fatalf("broker Close: %v", err)
	}

	b2 := start(t, Config{DataDir: dir})
	if n := partitionCount(t, b2.Addr(), topic); n != testPartitions {
		t.Fatalf("after restart %s has %d partitions, want %d", topic, n, testPartitions)
	}

	// The group resumes after its committed offsets: it gets exactly the
	// half it had not committed.
	r2 := groupReader(b2.Addr(), group, topic)
	defer r2.Close()
	rest := consume(t, r2, n-n/2)
	exactlyOnce(t, append(first, rest...), want)
	expectNoMore(t, r2, time.Second)

	// Every message is still in the log for a group that starts from the
	// beginning.
	r3 := groupReader(b2.Addr(), "auditors", topic)
	defer r3.Close()
	exactlyOnce(t, consume(t, r3, n), want)
}

// TestGroupRebalance runs two readers in one group: they share the
// partitions, and when one leaves the other takes over its partitions.
func TestGroupRebalance(t *testing.T) {
	t.Parallel()
	b := start(t, Config{})
	const topic, group = "haechi.chat", "workers"
	createTopics(t, b.Addr(), topic)

	type delivery struct {
		reader int
		msg    kafka.Message
	}
	deliveries := make(chan delivery, 4096)
	readers := []*kafka.Reader{groupReader(b.Addr(), group, topic), groupReader(b.Addr(), group, topic)}
	var wg sync.WaitGroup
	for i, r := range readers {
		wg.Go(func() {
			for {
				m, err := r.FetchMessage(context.Background())
				if err != nil {
					return // io.EOF once the reader is closed
				}
				if err := r.CommitMessages(context.Background(), m); err != nil {
					return // closed between fetch and commit: redelivered to the other
				}
				deliveries <- delivery{i, m}
			}
		})
	}
	defer func() {
		for _, r := range readers {
			r.Close()
		}
		wg.Wait()
	}()

	joined := time.Now()
	assignments := waitForAssignment(t, b.Addr(), group, 2)
	t.Logf("two members assigned after %v: %v", time.Since(joined).Round(time.Millisecond), assignments)

	collect := func(want []string) map[int][]kafka.Message {
		t.Helper()
		byReader := make(map[int][]kafka.Message)
		var all []kafka.Message
		timeout := time.After(30 * time.Second)
		for len(all) < len(want) {
			select {
			case d := <-deliveries:
				byReader[d.reader] = append(byReader[d.reader], d.msg)
				all = append(all, d.msg)
			case <-timeout:
				t.Fatalf("received %d of %d messages", len(all), len(want))
			}
		}
		exactlyOnce(t, all, want)
		return byReader
	}

	byReader := collect(produce(t, b.Addr(), 0, 600, topic))
	for i := range readers {
		if len(byReader[i]) == 0 {
			t.Errorf("reader %d received no messages while both were in the group", i)
		}
	}
	t.Logf("shared: reader 0 got %d, reader 1 got %d", len(byReader[0]), len(byReader[1]))

	left := time.Now()
	if err := readers[1].Close(); err != nil {
		t.Fatalf("reader Close: %v", err)
	}
	waitForAssignment(t, b.Addr(), group, 1)
	t.Logf("rebalanced to one member %v after the other closed", time.Since(left).Round(time.Millisecond))

	// The keys spread over every partition, including those the closed
	// reader owned; the survivor must get all of these messages.
	byReader = collect(produce(t, b.Addr(), 600, 600, topic))
	if len(byReader[1]) != 0 {
		t.Errorf("closed reader delivered %d messages", len(byReader[1]))
	}
	t.Logf("survivor drained the second round %v after the other closed", time.Since(left).Round(time.Millisecond))
}

// waitForAssignment polls DescribeGroups until the group is stable with the
// given number of members and every partition assigned, and returns the
// partitions per member.
func waitForAssignment(t testing.TB, addr, group string, members int) [][]int {
	t.Helper()
	client := &kafka.Client{Addr: kafka.TCP(addr), Timeout: 5 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		resp, err := client.DescribeGroups(context.Background(), &kafka.DescribeGroupsRequest{GroupIDs: []string{group}})
		if err != nil {
			t.Fatalf("DescribeGroups: %v", err)
		}
		if len(resp.Groups) == 1 && resp.Groups[0].Error == nil {
			g := resp.Groups[0]
			var parts [][]int
			total := 0
			for _, m := range g.Members {
				var ps []int
				for _, tp := range m.MemberAssignments.Topics {
					ps = append(ps, tp.Partitions...)
				}
				slices.Sort(ps)
				parts = append(parts, ps)
				total += len(ps)
			}
			last = fmt.Sprintf("state %s, assignments %v", g.GroupState, parts)
			if g.GroupState == "Stable" && len(g.Members) == members && total == testPartitions &&
				!slices.ContainsFunc(parts, func(ps []int) bool { return len(ps) == 0 }) {
				return parts
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("group %s never stable with %d members: %s", group, members, last)
	return nil
}

// TestHeaders checks that headers round-trip: the dead-letter topic carries
// the failure reason and the original position in them.
func TestHeaders(t *testing.T) {
	t.Parallel()
	b := start(t, Config{})
	const topic = "haechi.dlq"
	createTopics(t, b.Addr(), topic)
	sent := kafka.Message{
		Topic: topic,
		Key:   []byte("evt-1"),
		Value: []byte(`{"v":1}`),
		Headers: []kafka.Header{
			{Key: "haechi-error", Value: []byte("schema: unknown version 7")},
			{Key: "haechi-source-topic", Value: []byte("haechi.chat")},
			{Key: "haechi-source-offset", Value: []byte("42")},
			{Key: "binary", Value: []byte{0, 1, 0xff}},
			{Key: "empty", Value: []byte{}},
			{Key: "haechi-error", Value: []byte("repeated keys keep their order")},
		},
	}
	w := newWriter(b.Addr())
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := w.WriteMessages(ctx, sent); err != nil {
		t.Fatalf("WriteMessages: %v", err)
	}

	r := groupReader(b.Addr(), "dlq-readers", topic)
	defer r.Close()
	got := consume(t, r, 1)[0]
	if !bytes.Equal(got.Key, sent.Key) || !bytes.Equal(got.Value, sent.Value) {
		t.Errorf("got key %q value %q, want %q %q", got.Key, got.Value, sent.Key, sent.Value)
	}
	if len(got.Headers) != len(sent.Headers) {
		t.Fatalf("got %d headers, want %d: %v", len(got.Headers), len(sent.Headers), got.Headers)
	}
	for i, h := range sent.Headers {
		if got.Headers[i].Key != h.Key || !bytes.Equal(got.Headers[i].Value, h.Value) {
			t.Errorf("header %d = %s:%q, want %s:%q", i, got.Headers[i].Key, got.Headers[i].Value, h.Key, h.Value)
		}
	}
}

// TestLogger checks that kfake's diagnostics reach slog at sensible levels
// and that message contents never do.
func TestLogger(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug - 4}))
	b := start(t, Config{Logger: log})
	createTopics(t, b.Addr(), "haechi.chat")
	w := newWriter(b.Addr())
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	secret := "do-not-log-this-message-text"
	if err := w.WriteMessages(ctx, kafka.Message{Topic: "haechi.chat", Key: []byte("k"), Value: []byte(secret)}); err != nil {
		t.Fatal(err)
	}
	r := groupReader(b.Addr(), "workers", "haechi.chat")
	consume(t, r, 1)
	r.Close()
	b.Close()

	out := buf.String()
	if !strings.Contains(out, "msg=\"broker started\"") || !strings.Contains(out, "component=broker") {
		t.Errorf("start not logged:\n%s", out)
	}
	if strings.Contains(out, secret) {
		t.Errorf("message contents logged:\n%s", out)
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var _ io.Writer = (*syncBuffer)(nil)

// BenchmarkProduceConsume measures the broker with Haechi's client settings:
// 200,000 JSON messages of about 300 bytes written in slices of 1,000 by a
// synchronous keyed Writer, then drained by a group Reader that commits
// every 1,000 messages.
func BenchmarkProduceConsume(b *testing.B) {
	cases := []struct {
		name string
		cfg  func(b *testing.B) Config
	}{
		{"memory", func(*testing.B) Config { return Config{} }},
		{"datadir", func(b *testing.B) Config { return Config{DataDir: b.TempDir()} }},
		{"datadir_sync", func(b *testing.B) Config { return Config{DataDir: b.TempDir(), SyncWrites: true} }},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			benchProduceConsume(b, bc.cfg(b))
		})
	}
}

func benchProduceConsume(b *testing.B, cfg Config) {
	const total, batch = 200_000, 1000
	br := start(b, cfg)
	msgs := make([]kafka.Message, total)
	for i := range msgs {
		msgs[i] = kafka.Message{
			Key: fmt.Appendf(nil, "player-%d", i%5000),
			Value: fmt.Appendf(nil, `{"v":1,"event_id":"evt-%09d","kind":"chat","world":"w-17",`+
				`"channel":"global","sender":"player-%d","sent_at":"2026-11-22T16:07:08.782Z",`+
				`"text":"%s"}`, i, i%5000, strings.Repeat("gg well played ", 12)),
		}
	}
	b.SetBytes(int64(len(msgs[0].Value)) * total)

	var produceTime, drainTime time.Duration
	round := 0
	for b.Loop() {
		round++
		topic, group := fmt.Sprintf("bench.%d", round), fmt.Sprintf("bench-%d", round)
		createTopics(b, br.Addr(), topic)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)

		w := newWriter(br.Addr())
		w.Topic = topic
		w.BatchTimeout = time.Millisecond
		began := time.Now()
		for i := 0; i < total; i += batch {
			if err := w.WriteMessages(ctx, msgs[i:i+batch]...); err != nil {
				b.Fatalf("WriteMessages: %v", err)
			}
		}
		produceTime += time.Since(began)
		w.Close()

		r := groupReader(br.Addr(), group, topic)
		began = time.Now()
		pending := make([]kafka.Message, 0, batch)
		for n := 0; n < total; n++ {
			m, err := r.FetchMessage(ctx)
			if err != nil {
				b.Fatalf("FetchMessage after %d: %v", n, err)
			}
			pending = append(pending, m)
			if len(pending) == batch {
				if err := r.CommitMessages(ctx, pending...); err != nil {
					b.Fatalf("CommitMessages: %v", err)
				}
				pending = pending[:0]
			}
		}
		drainTime += time.Since(began)
		r.Close()
		cancel()
	}
	b.ReportMetric(float64(total*round)/produceTime.Seconds(), "produce_msgs/s")
	b.ReportMetric(float64(total*round)/drainTime.Seconds(), "drain_msgs/s")
}
