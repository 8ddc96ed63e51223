package pipelines_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/haechi-tns/haechi/classifiers/pii"
	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/search"
	"github.com/haechi-tns/haechi/internal/backoff"
	"github.com/haechi-tns/haechi/pipelines"
)

// memIndex is an index that keeps what it is given.
type memIndex struct {
	mu   sync.Mutex
	docs map[string]search.Doc
	fail int // Puts still to refuse
}

func (m *memIndex) Put(_ context.Context, docs []search.Doc) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail > 0 {
		m.fail--
		return fmt.Errorf("refused")
	}
	for _, d := range docs {
		m.docs[d.Key()] = d
	}
	return nil
}
func (m *memIndex) Delete(context.Context, []search.Ref) error { return nil }
func (m *memIndex) DeleteCase(context.Context, string) error   { return nil }
func (m *memIndex) Search(context.Context, search.Query) (*search.Page, error) {
	return &search.Page{}, nil
}

func (m *memIndex) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.docs)
}

// TestDecisionIndexerIndexesPublishedDecisions: decisions on the topic
// reach the index, masked, through refusals, with the indexer's own
// group; a malformed message is skipped.
func TestDecisionIndexerIndexesPublishedDecisions(t *testing.T) {
	e := newEnv(t)
	var msgs []kafka.Message
	for i := range 5 {
		d := &engine.Decision{ID: fmt.Sprintf("d-%d", i), EventID: fmt.Sprintf("e-%d", i), SenderID: "u-1", Action: engine.ActionRedact,
			Space: engine.Space{ID: "plaza-1"}, DecidedAt: time.Unix(1764000000, 0), RedactedText: "call me at 010-1234-5678"}
		b, _ := json.Marshal(pipelines.DecisionMessage{SchemaVersion: pipelines.SchemaVersion, Decision: d})
		msgs = append(msgs, kafka.Message{Key: []byte(d.EventID), Value: b})
	}
	msgs = append(msgs, kafka.Message{Value: []byte("not json")})
	w := &kafka.Writer{Addr: kafka.TCP(e.brokers...), Topic: e.topics.Decisions, RequiredAcks: kafka.RequireAll}
	if err := w.WriteMessages(context.Background(), msgs...); err != nil {
		t.Fatal(err)
	}
	w.Close()

	idx := &memIndex{docs: map[string]search.Doc{}, fail: 2}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- (&pipelines.DecisionIndexer{Brokers: e.brokers, Topic: e.topics.Decisions, Group: "search-test", Index: idx,
			Masker: search.NewMasker(pii.New()), Retry: backoff.Policy{Initial: 10 * time.Millisecond}}).Run(ctx)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for idx.len() < 5 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if idx.len() != 5 {
		t.Fatalf("%d decisions indexed", idx.len())
	}
	d := idx.docs["decision:d-3"]
	if d.Text != "call me at ⟦phone⟧" || !slices.Equal(d.Users, []string{"u-1"}) || d.Action != "redact" || d.Space != "plaza-1" {
		t.Errorf("document %+v", d)
	}
}
