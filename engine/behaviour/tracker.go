package behaviour

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/haechi-tns/haechi/engine"
)

// Persister keeps the snapshots of a Tracker's partitions; the case store
// implements it. Load returns nil and no error when it has none for key.
type Persister interface {
	LoadBehaviour(ctx context.Context, key string) ([]byte, error)
	SaveBehaviour(ctx context.Context, key string, data []byte) error
}

// TrackerConfig sets a Tracker's windows and bounds. Zero fields take the
// defaults documented on them.
type TrackerConfig struct {
	// Senders shapes each partition's per-sender state.
	Senders Config
	// Waves shapes the wave index.
	Waves WaveConfig
	// DomainWindow is how long a sender counts for a link domain; default
	// 10 min.
	DomainWindow time.Duration
	// PileOnWindow is how long an abusive message counts against its
	// target; default 10 min.
	PileOnWindow time.Duration
	// GroomingWindow is how long a conversation's cues are remembered;
	// default 14 days.
	GroomingWindow time.Duration
	// MaxConversations caps the conversations each partition remembers;
	// default 1<<16. At the cap the one quiet longest is dropped.
	MaxConversations int
	// MaxKeys caps the link domains and the targets remembered; default
	// 1<<18 each.
	MaxKeys int
	// Abuse are the categories that make a message count in a pile-on
	// when its decision names one; default insult, harassment, profanity,
	// hate and threat.
	Abuse []engine.Category
	// Persister, when set, keeps each partition's state across restarts
	// and rebalances.
	Persister Persister
}

func (c TrackerConfig) withDefaults() TrackerConfig {
	c.Senders = c.Senders.withDefaults()
	c.Waves = c.Waves.withDefaults()
	if c.DomainWindow == 0 {
		c.DomainWindow = 10 * time.Minute
	}
	if c.PileOnWindow == 0 {
		c.PileOnWindow = 10 * time.Minute
	}
	if c.GroomingWindow == 0 {
		c.GroomingWindow = 14 * 24 * time.Hour
	}
	if c.MaxConversations == 0 {
		c.MaxConversations = 1 << 16
	}
	if c.MaxKeys == 0 {
		c.MaxKeys = 1 << 18
	}
	if c.Abuse == nil {
		c.Abuse = []engine.Category{engine.Insult, engine.Harassment, engine.Profanity, engine.Hate, engine.Threat}
	}
	return c
}

// Validate reports whether c, with defaults filled in, is usable.
func (c TrackerConfig) Validate() error {
	if err := c.Senders.Validate(); err != nil {
		return err
	}
	if err := c.Waves.Validate(); err != nil {
		return err
	}
	c = c.withDefaults()
	for _, d := range []time.Duration{c.DomainWindow, c.PileOnWindow, c.GroomingWindow} {
		if d < time.Second {
			return fmt.Errorf("behaviour: window %v is shorter than a second", d)
		}
	}
	if c.MaxConversations < 1 || c.MaxKeys < 1 {
		return errors.New("behaviour: bounds must be positive")
	}
	return nil
}

// partition is the per-sender state of one input partition: input topics
// are keyed by sender, so every event of a sender reaches the same one,
// and the worker that owns the partition owns this.
type partition struct {
	mu            sync.Mutex
	senders       *Senders
	conversations map[uint64]*conversation
	dirty         bool
}

// Tracker keeps every behavioural signal's state and implements
// engine.BehaviourTracker. Per-sender state (rates, repetition, grooming
// conversations) is kept per input partition and persisted through the
// Persister; state across senders (waves, link domains, pile-ons) is kept
// for the whole process. It is safe for concurrent use.
type Tracker struct {
	cfg TrackerConfig

	mu    sync.Mutex
	parts map[engine.Origin]*partition

	// crossMu guards the state across senders.
	crossMu sync.Mutex
	waves   *Waves
	domains *distinct
	targets *distinct
	// sharing is set by NewExchanger: marks for the other instances are
	// queued in pending (see exchange.go).
	sharing bool
	pending []Mark
	dropped uint64
}

var _ engine.BehaviourTracker = (*Tracker)(nil)

// NewTracker checks cfg and returns an empty tracker.
func NewTracker(cfg TrackerConfig) (*Tracker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if numCues > len(conversation{}.cueAt) {
		return nil, fmt.Errorf("behaviour: %d grooming cues, room for %d", numCues, len(conversation{}.cueAt))
	}
	cfg = cfg.withDefaults()
	waves, err := NewWaves(cfg.Waves)
	if err != nil {
		return nil, err
	}
	return &Tracker{
		cfg:     cfg,
		parts:   make(map[engine.Origin]*partition),
		waves:   waves,
		domains: newDistinct(int64(cfg.DomainWindow), cfg.MaxKeys),
		targets: newDistinct(int64(cfg.PileOnWindow), cfg.MaxKeys),
	}, nil
}

// key names a partition's snapshot in the Persister; "" for API events,
// whose state is not persisted.
func key(o engine.Origin) string {
	if o.Topic == "" {
		return ""
	}
	return o.Topic + "/" + strconv.Itoa(o.Partition)
}

// partition returns o's state, restoring it from the Persister the first
// time the process sees o (or sees it again after Forget).
func (t *Tracker) partition(ctx context.Context, o engine.Origin) (*partition, error) {
	t.mu.Lock()
	p := t.parts[o]
	t.mu.Unlock()
	if p != nil {
		return p, nil
	}
	p = &partition{conversations: make(map[uint64]*conversation)}
	var err error
	if p.senders, err = NewSenders(t.cfg.Senders); err != nil {
		return nil, err
	}
	if k := key(o); k != "" && t.cfg.Persister != nil {
		b, err := t.cfg.Persister.LoadBehaviour(ctx, k)
		if err != nil {
			return nil, fmt.Errorf("behaviour: load %s: %w", k, err)
		}
		// A snapshot this build cannot read (another layout, a changed
		// window) leaves p empty, as restore promises: the partition
		// starts afresh, since wrong counts would be worse than none.
		if b != nil {
			_ = p.restore(b)
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if q := t.parts[o]; q != nil {
		return q, nil // another goroutine restored it meanwhile
	}
	t.parts[o] = p
	return p, nil
}

// Observe records ev and returns its signals. sig holds the event's text
// signals (fingerprint, cues, links).
func (t *Tracker) Observe(ctx context.Context, ev *engine.Event, sig *engine.Signals) (*engine.BehaviourSignals, error) {
	p, err := t.partition(ctx, ev.Origin)
	if err != nil {
		return nil, err
	}
	at := ev.SentAt
	out := &engine.BehaviourSignals{AccountAgeHours: engine.AccountAgeHours(ev.Sender.JoinedAt, at)}

	p.mu.Lock()
	ss := p.senders.Observe(ev.Sender.ID, ev.Space.ID, at, sig.Fingerprint)
	if ck, ok := conversationKey(ev); ok {
		c := p.conversations[ck]
		if c == nil {
			if len(p.conversations) >= t.cfg.MaxConversations {
				p.dropQuietest()
			}
			c = &conversation{}
			p.conversations[ck] = c
		}
		h := c.observe(sig.Cues, at.Unix(), int64(t.cfg.GroomingWindow/time.Second))
		out.Grooming = &h
	}
	p.dirty = true
	p.mu.Unlock()
	out.Rate10s, out.Rate60s, out.Rate10m = ss.Rates[0], ss.Rates[1], ss.Rates[2]
	out.Repeats, out.NearRepeats = ss.Repeats, ss.NearRepeats

	sender := Key(ev.Sender.ID, "")
	now := at.UnixNano()
	targets := eventTargets(ev)
	if !sig.Fingerprint.HasSim && len(sig.Links) == 0 && len(targets) == 0 {
		return out, nil
	}
	t.crossMu.Lock()
	defer t.crossMu.Unlock()
	out.WaveSenders = t.waves.Observe(sender, at, sig.Fingerprint)
	// Only the waves the rules act on are shared: with a link, or from an
	// account younger than a week.
	if sig.Fingerprint.HasSim && (len(sig.Links) > 0 || out.AccountAgeHours >= 0 && out.AccountAgeHours < 7*24) {
		t.share(Mark{Kind: MarkWave, Sender: sender, Sim: sig.Fingerprint.Sim, At: now})
	}
	for _, l := range sig.Links {
		if _, done := out.DomainSenders[l.Domain]; done || l.Domain == "" {
			continue
		}
		k := Key("domain", l.Domain)
		t.domains.add(k, sender, now)
		t.share(Mark{Kind: MarkDomain, Key: k, Sender: sender, At: now})
		if out.DomainSenders == nil {
			out.DomainSenders = make(map[string]int, len(sig.Links))
		}
		out.DomainSenders[l.Domain] = t.domains.count(k, 0, now)
	}
	for _, target := range targets {
		out.PileOnSenders = max(out.PileOnSenders, t.targets.count(Key("target", target), sender, now))
	}
	return out, nil
}

// Record counts a decided event against its targets when the decision
// names an abuse category.
func (t *Tracker) Record(ev *engine.Event, d *engine.Decision) {
	targets := eventTargets(ev)
	if len(targets) == 0 || !slices.ContainsFunc(d.Categories, func(c engine.Category) bool { return slices.Contains(t.cfg.Abuse, c) }) {
		return
	}
	sender, now := Key(ev.Sender.ID, ""), ev.SentAt.UnixNano()
	t.crossMu.Lock()
	defer t.crossMu.Unlock()
	for _, target := range targets {
		if target != ev.Sender.ID {
			k := Key("target", target)
			t.targets.add(k, sender, now)
			t.share(Mark{Kind: MarkTarget, Key: k, Sender: sender, At: now})
		}
	}
}

// eventTargets are the users an event is aimed at: a direct message's
// recipient and the users a chat message mentions.
func eventTargets(ev *engine.Event) []string {
	c := ev.Chat
	if c == nil || (c.Recipient == nil && len(c.Mentions) == 0) {
		return nil
	}
	if c.Recipient == nil {
		return c.Mentions
	}
	if len(c.Mentions) == 0 {
		return []string{c.Recipient.ID}
	}
	return append([]string{c.Recipient.ID}, c.Mentions...)
}

// conversationKey is the key of the conversation whose grooming cues ev
// adds to: a direct message from someone not known to be a minor to a
// minor, or a message from such a sender in a youth space.
func conversationKey(ev *engine.Event) (uint64, bool) {
	if ev.Sender.AgeBand.Minor() {
		return 0, false
	}
	if ev.Chat != nil && ev.Chat.Recipient != nil {
		if !ev.Chat.Recipient.AgeBand.Minor() {
			return 0, false
		}
		return Key(ev.Sender.ID, "dm\x00"+ev.Chat.Recipient.ID), true
	}
	if ev.Space.Type == engine.SpaceYouth && ev.Image == nil {
		return Key(ev.Sender.ID, "space\x00"+ev.Space.ID), true
	}
	return 0, false
}

// dropQuietest forgets the conversation whose latest message is oldest.
// It is linear in the conversations, and runs only at the cap.
func (p *partition) dropQuietest() {
	var oldest uint64
	at := int64(-1)
	for k, c := range p.conversations {
		if at < 0 || c.last < at {
			oldest, at = k, c.last
		}
	}
	delete(p.conversations, oldest)
}

// Save persists the partitions changed since they were last saved. The
// stream worker calls it after committing offsets, before leaving a
// consumer group generation and when it stops.
func (t *Tracker) Save(ctx context.Context) error {
	if t.cfg.Persister == nil {
		return nil
	}
	t.mu.Lock()
	origins := make([]engine.Origin, 0, len(t.parts))
	for o := range t.parts {
		if key(o) != "" {
			origins = append(origins, o)
		}
	}
	t.mu.Unlock()
	var errs []error
	for _, o := range origins {
		t.mu.Lock()
		p := t.parts[o]
		t.mu.Unlock()
		if p == nil {
			continue
		}
		p.mu.Lock()
		if !p.dirty {
			p.mu.Unlock()
			continue
		}
		b := p.appendSnapshot(nil)
		p.dirty = false
		p.mu.Unlock()
		if err := t.cfg.Persister.SaveBehaviour(ctx, key(o), b); err != nil {
			p.mu.Lock()
			p.dirty = true
			p.mu.Unlock()
			errs = append(errs, fmt.Errorf("behaviour: save %s: %w", key(o), err))
		}
	}
	return errors.Join(errs...)
}

// Forget drops the state of every persisted partition, so that the next
// event of each is read from the Persister: after a rebalance another
// worker may have moved the partition on. Call Save first.
func (t *Tracker) Forget() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for o := range t.parts {
		if key(o) != "" {
			delete(t.parts, o)
		}
	}
}

// Partitions returns the number of partitions held in memory.
func (t *Tracker) Partitions() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.parts)
}

// partitionVersion is the first byte of a partition snapshot.
const partitionVersion = 1

// Partition snapshot layout, little-endian:
//
//	version        u8
//	senders        u32 length, then Senders.AppendSnapshot
//	conversations  u32 count, then count × conversationSize bytes
//	crc            u32 CRC-32 (IEEE) of everything before it
func (p *partition) appendSnapshot(dst []byte) []byte {
	start := len(dst)
	dst = append(dst, partitionVersion)
	lenAt := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst = p.senders.AppendSnapshot(dst)
	binary.LittleEndian.PutUint32(dst[lenAt:], uint32(len(dst)-lenAt-4))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(p.conversations)))
	for k, c := range p.conversations {
		dst = appendConversation(dst, k, c)
	}
	return seal(dst, start)
}

// restore reads a snapshot from appendSnapshot; on error p is unchanged.
func (p *partition) restore(b []byte) error {
	body, err := unseal(b, partitionVersion, 1+4+4)
	if err != nil {
		return err
	}
	q := body[1:]
	n := int(binary.LittleEndian.Uint32(q))
	q = q[4:]
	if n > len(q)-4 {
		return fmt.Errorf("%w: senders length %d", ErrSnapshot, n)
	}
	senders, err := NewSenders(p.senders.cfg)
	if err != nil {
		return err
	}
	if err := senders.Restore(q[:n]); err != nil {
		return err
	}
	q = q[n:]
	count := int(binary.LittleEndian.Uint32(q))
	q = q[4:]
	if len(q) != count*conversationSize {
		return fmt.Errorf("%w: %d bytes of conversations for a count of %d", ErrSnapshot, len(q), count)
	}
	convs := make(map[uint64]*conversation, count)
	for i := range count {
		k, c, err := readConversation(q[i*conversationSize:])
		if err != nil {
			return err
		}
		convs[k] = &c
	}
	p.senders, p.conversations = senders, convs
	return nil
}
