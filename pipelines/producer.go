package pipelines

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/haechi-tns/haechi/engine"
)

// Producer writes events to the input topics, as the world platform does;
// haechi demo and the tests use it.
type Producer struct {
	w      *kafka.Writer
	topics Topics
}

// NewProducer makes a producer for brokers. Writes wait for every replica.
func NewProducer(brokers []string, topics Topics) *Producer {
	if topics == (Topics{}) {
		topics = DefaultTopics
	}
	return &Producer{w: newWriter(brokers, MaxMessageBytes, 30*time.Second), topics: topics}
}

// Produce writes each event to its kind's topic, keyed by sender.
func (p *Producer) Produce(ctx context.Context, evs ...*engine.Event) error {
	msgs := make([]kafka.Message, len(evs))
	for i, ev := range evs {
		value, err := EncodeEvent(ev)
		if err != nil {
			return fmt.Errorf("pipelines: encode event %s: %w", ev.ID, err)
		}
		msgs[i] = kafka.Message{Topic: p.topics.TopicFor(ev.Kind), Key: []byte(KeyFor(ev)), Value: value}
	}
	return p.ProduceRaw(ctx, msgs...)
}

// ProduceRaw writes messages as they are (the tests write malformed ones).
func (p *Producer) ProduceRaw(ctx context.Context, msgs ...kafka.Message) error {
	if err := p.w.WriteMessages(ctx, msgs...); err != nil {
		return fmt.Errorf("pipelines: produce: %w", err)
	}
	return nil
}

// Close flushes and closes the producer.
func (p *Producer) Close() error { return p.w.Close() }

// MaxMessageBytes is the largest message Haechi reads or writes: the
// largest valid event (an inline 10 MiB image) and its envelope.
const MaxMessageBytes = engine.MaxEventBytes + 4<<10

// Partitions are the partition counts EnsureTopics creates topics with:
// enough input and decision partitions for a dozen workers to share.
var Partitions = map[string]int{"chat": 12, "voice": 6, "images": 6, "decisions": 12, "actions": 6, "dlq": 3}

// EnsureTopics creates the topics that do not exist yet (replication
// factor replicas) and leaves existing ones alone.
func EnsureTopics(ctx context.Context, brokers []string, topics Topics, replicas int) error {
	if len(brokers) == 0 {
		return errors.New("pipelines: no brokers")
	}
	parts := map[string]int{
		topics.Chat: Partitions["chat"], topics.Voice: Partitions["voice"], topics.Images: Partitions["images"],
		topics.Decisions: Partitions["decisions"], topics.Actions: Partitions["actions"], topics.DeadLetter: Partitions["dlq"],
	}
	req := &kafka.CreateTopicsRequest{}
	for _, t := range topics.All() {
		limit := MaxMessageBytes
		if t == topics.DeadLetter {
			limit = deadLetterMaxBytes
		}
		req.Topics = append(req.Topics, kafka.TopicConfig{
			Topic: t, NumPartitions: parts[t], ReplicationFactor: max(replicas, 1),
			// Image events carry their bytes inline; dead letters copy them.
			ConfigEntries: []kafka.ConfigEntry{{ConfigName: "max.message.bytes", ConfigValue: strconv.Itoa(limit)}},
		})
	}
	c := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 30 * time.Second}
	res, err := c.CreateTopics(ctx, req)
	if err != nil {
		return fmt.Errorf("pipelines: create topics: %w", err)
	}
	for topic, err := range res.Errors {
		if err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
			return fmt.Errorf("pipelines: create topic %s: %w", topic, err)
		}
	}
	return nil
}

// CheckSessionTimeout asks the brokers for the consumer-group session
// timeouts they accept (group.min.session.timeout.ms and
// group.max.session.timeout.ms) and refuses session when it is outside
// them: the broker would refuse every join, and the worker would retry
// forever without consuming. A broker that does not answer the question
// (no permission to describe its configuration) is not held against it:
// the error is nil and answered false.
func CheckSessionTimeout(ctx context.Context, brokers []string, session time.Duration) (checked bool, err error) {
	if len(brokers) == 0 {
		return false, errors.New("pipelines: no brokers")
	}
	c := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second}
	meta, err := c.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{}})
	if err != nil {
		return false, fmt.Errorf("pipelines: broker metadata: %w", err)
	}
	if meta.Controller.Host == "" && len(meta.Brokers) == 0 {
		return false, errors.New("pipelines: the brokers named no broker")
	}
	id := meta.Controller.ID
	if meta.Controller.Host == "" {
		id = meta.Brokers[0].ID
	}
	const minKey, maxKey = "group.min.session.timeout.ms", "group.max.session.timeout.ms"
	res, err := c.DescribeConfigs(ctx, &kafka.DescribeConfigsRequest{Resources: []kafka.DescribeConfigRequestResource{{
		ResourceType: kafka.ResourceTypeBroker, ResourceName: strconv.Itoa(id), ConfigNames: []string{minKey, maxKey},
	}}})
	if err != nil || len(res.Resources) != 1 || res.Resources[0].Error != nil {
		return false, nil
	}
	limits := map[string]time.Duration{}
	for _, e := range res.Resources[0].ConfigEntries {
		if ms, err := strconv.Atoi(e.ConfigValue); err == nil && ms > 0 {
			limits[e.ConfigName] = time.Duration(ms) * time.Millisecond
		}
	}
	lo, hasLo := limits[minKey]
	hi, hasHi := limits[maxKey]
	switch {
	case hasLo && session < lo:
		return true, fmt.Errorf("pipelines: the brokers accept session timeouts from %v (%s); %v would be refused at every join: raise the session timeout or lower %s on the brokers", lo, minKey, session, minKey)
	case hasHi && session > hi:
		return true, fmt.Errorf("pipelines: the brokers accept session timeouts up to %v (%s); %v would be refused at every join", hi, maxKey, session)
	}
	return hasLo || hasHi, nil
}
