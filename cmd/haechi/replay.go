package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/behaviour"
	"github.com/haechi-tns/haechi/engine/policy"
	"github.com/haechi-tns/haechi/engine/shadow"
	"github.com/haechi-tns/haechi/engine/store"
	"github.com/haechi-tns/haechi/pipelines"
)

func policyReplayCommand() *cli.Command {
	d := pipelines.DefaultTopics
	return &cli.Command{
		Name:  "replay",
		Usage: "re-decide past events with a candidate bundle and print how its decisions differ from the live bundle's",
		Description: `Reads past events from a JSON-lines file (--events, one event a line as
the API takes it; lines that do not parse or validate are counted and
reported, not fatal) or from the input topics between --from and --to
(--kafka-brokers; each partition is read from the offset of --from to the
offset of --to, without a consumer group and committing nothing). Each
event is classified once and decided by --candidate, with --thresholds (a
JSON object shaped like the bundle's data whose leaves replace the
candidate's) laid over the candidate's data. Images sent by reference are
not fetched. Prints counts by action, category, rule and space type before
and after, the changes of action and examples of differing decisions (ids
only).

The "before" side is, with --before stored (the default), the decision
the engine made and stored for the event, read from the database
(--database-url, or SQLite under --data-dir) with one query a batch: what
really happened, at the cost of one policy evaluation an event, as in a
decision. Events without a stored decision (or whose stored decision is
for other content under the same id) are decided by the live bundle
instead and counted as "before from live". With --before live, every
event is decided by the live bundle (--policies, or the built-in one) as
well as the candidate: two evaluations an event, but both sides decided
alike.

Senders' histories are not replayed: the candidate, and the live bundle,
decide as for a sender without strikes. A stored decision was made with
the sender's history at the time (strikes make thresholds stricter) and
perhaps by another bundle revision or other models; decisions do not
record the history, so with --before stored some differences may come
from it rather than from the candidate. The report counts the stored
decisions made by another policy revision or other model versions than
the live ones.`,
		Flags: engineFlags(
			&cli.StringFlag{Name: "candidate", Required: true, Usage: "the candidate bundle folder"},
			&cli.StringFlag{Name: "thresholds", Usage: "JSON file whose leaves replace the candidate's data (thresholds)"},
			&cli.StringFlag{Name: "events", Usage: "JSON-lines file of events (instead of Kafka)"},
			&cli.TimestampFlag{Name: "from", Layout: time.RFC3339, Usage: "replay events from this time (RFC 3339); with --events, by sent_at"},
			&cli.TimestampFlag{Name: "to", Layout: time.RFC3339, Usage: "replay events before this time (RFC 3339)"},
			&cli.StringSliceFlag{Name: "kafka-brokers", Usage: "Kafka bootstrap brokers, host:port", EnvVars: []string{"HAECHI_KAFKA_BROKERS"}},
			&cli.StringFlag{Name: "topic-chat", Value: d.Chat, Usage: "input topic of chat messages"},
			&cli.StringFlag{Name: "topic-voice", Value: d.Voice, Usage: "input topic of voice transcripts"},
			&cli.StringFlag{Name: "topic-images", Value: d.Images, Usage: "input topic of image uploads"},
			&cli.IntFlag{Name: "examples", Value: 20, Usage: "differing decisions to print"},
			&cli.IntFlag{Name: "parallel", Usage: "goroutines deciding (default GOMAXPROCS)"},
			&cli.BoolFlag{Name: "json", Usage: "print the diff as JSON"},
			&cli.StringFlag{Name: "cpuprofile", Usage: "write a CPU profile of the replay to this file"},
			&cli.StringFlag{Name: "before", Value: beforeStored, Usage: "the before side: stored (the stored decisions, the live bundle's where there is none) or live (the live bundle's for every event)"},
			databaseFlag,
		),
		Action: policyReplay,
	}
}

func policyReplay(c *cli.Context) error {
	log, err := logger(c)
	if err != nil {
		return err
	}
	from, to := c.Timestamp("from"), c.Timestamp("to")
	if from != nil && to != nil && !from.Before(*to) {
		return errors.New("--from must be before --to")
	}
	useKafka := c.String("events") == ""
	if useKafka && (from == nil || to == nil || len(c.StringSlice("kafka-brokers")) == 0) {
		return errors.New("give --events FILE, or --kafka-brokers with --from and --to")
	}
	before := c.String("before")
	if before != beforeStored && before != beforeLive {
		return fmt.Errorf("--before: want %s or %s, got %q", beforeStored, beforeLive, before)
	}
	var stored storedDecisions
	if before == beforeStored {
		st, err := openReplayStore(c)
		if err != nil {
			return err
		}
		defer st.Close()
		stored = st
	}
	k, cand, err := replayEngines(c, log)
	if err != nil {
		return err
	}
	r := newReplayer(k, cand, c.Int("examples"), c.Int("parallel"))
	r.stored = stored
	prog := newProgress(c.App.ErrWriter, "replay")
	var src replaySource
	if useKafka {
		src = &kafkaSource{brokers: c.StringSlice("kafka-brokers"), topics: pipelines.Topics{Chat: c.String("topic-chat"), Voice: c.String("topic-voice"), Images: c.String("topic-images")}, from: *from, to: *to}
	} else {
		src = &fileSource{path: c.String("events"), from: from, to: to}
	}
	stop, err := startCPUProfile(c.String("cpuprofile"))
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := r.run(c.Context, src, prog)
	prog.finish()
	stop()
	if err != nil {
		return err
	}
	took := time.Since(start)
	rep := replayReport{
		Live: k.policy.Revision(), Candidate: cand.Revision, Events: res.decided, Bad: res.bad, BadExamples: res.badExamples, Skipped: res.skipped,
		Seconds: took.Seconds(), PerSecond: float64(res.decided) / took.Seconds(), Before: res.before, Diff: newDiffReport(res.tally),
	}
	if c.Bool("json") {
		return writeJSON(c.App.Writer, rep)
	}
	w := c.App.Writer
	fmt.Fprintf(w, "replayed %d events in %.1f s (%.0f/s): live %s, candidate %s\n", rep.Events, rep.Seconds, rep.PerSecond, rep.Live, rep.Candidate)
	if rep.Bad > 0 {
		fmt.Fprintf(w, "%d events could not be read or decided, for example:\n", rep.Bad)
		for _, b := range rep.BadExamples {
			fmt.Fprintf(w, "  %s\n", b)
		}
	}
	if rep.Skipped > 0 {
		fmt.Fprintf(w, "%d events outside --from/--to or without sent_at skipped\n", rep.Skipped)
	}
	printBefore(w, rep.Before, rep.Live)
	fmt.Fprintln(w)
	printDiff(w, rep.Diff)
	return nil
}

type replayReport struct {
	Live        string      `json:"live_revision"`
	Candidate   string      `json:"candidate_revision"`
	Events      int64       `json:"events"`
	Bad         int64       `json:"bad"`
	BadExamples []string    `json:"bad_examples,omitempty"`
	Skipped     int64       `json:"skipped"`
	Seconds     float64     `json:"seconds"`
	PerSecond   float64     `json:"per_second"`
	Before      beforeCount `json:"before"`
	Diff        *diffReport `json:"diff"`
}

// The sources of replay's before side (--before).
const (
	beforeStored = "stored"
	beforeLive   = "live"
)

// beforeCount says where the before side of the compared decisions came
// from, and how far the stored ones may be from what the live bundle
// would decide today.
type beforeCount struct {
	// Source is --before.
	Source string `json:"source"`
	// Stored and Live count the compared events whose before side is
	// their stored decision, and the live bundle's decision.
	Stored int64 `json:"stored"`
	Live   int64 `json:"live"`
	// OtherContent counts events whose id has a stored decision for
	// other content (another fingerprint): decided by the live bundle,
	// counted in Live too.
	OtherContent int64 `json:"stored_for_other_content,omitempty"`
	// OtherRevision and OtherModels count the stored decisions made by
	// another policy revision, and with other model versions, than the
	// live ones.
	OtherRevision int64 `json:"stored_other_revision"`
	OtherModels   int64 `json:"stored_other_models"`
}

func (b *beforeCount) add(o beforeCount) {
	b.Stored += o.Stored
	b.Live += o.Live
	b.OtherContent += o.OtherContent
	b.OtherRevision += o.OtherRevision
	b.OtherModels += o.OtherModels
}

// printBefore prints where the before side came from and the skew of
// the stored decisions.
func printBefore(w io.Writer, b beforeCount, live string) {
	if b.Source == beforeLive {
		fmt.Fprintf(w, "before: the live bundle %s for every event\n", live)
		return
	}
	fmt.Fprintf(w, "before from stored decisions: %d; before from live: %d (no stored decision", b.Stored, b.Live)
	if b.OtherContent > 0 {
		fmt.Fprintf(w, ", or %d stored for other content under the same id", b.OtherContent)
	}
	fmt.Fprintln(w, ")")
	if b.Stored > 0 {
		fmt.Fprintf(w, "stored decisions made by another policy revision than %s: %d; with other model versions: %d\n", live, b.OtherRevision, b.OtherModels)
		fmt.Fprintln(w, "stored decisions weighed the sender's strikes at the time; replay decides as for a sender without history")
	}
}

// storedDecisions reads the decisions the engine stored; *store.Store
// implements it.
type storedDecisions interface {
	DecisionsForEvents(ctx context.Context, eventIDs []string) (map[string]*engine.Decision, error)
}

// openReplayStore opens the database of --before stored. Unlike the
// commands that write, it does not create a SQLite file that is not
// there: a replay against an empty new database would silently take
// every before from the live bundle.
func openReplayStore(c *cli.Context) (*store.Store, error) {
	if c.String("database-url") == "" {
		path := filepath.Join(c.String("data-dir"), store.FileName)
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("--before stored: no database at %s (give --data-dir or --database-url, or --before live): %w", path, err)
		}
	}
	st, err := openStore(c)
	if err != nil {
		return nil, fmt.Errorf("--before stored: %w", err)
	}
	return st, nil
}

// candidate is a candidate bundle's engine with its revision.
type candidate struct {
	Revision string
	Policy   *policy.Engine
	Pipeline *engine.Pipeline
}

// replayEngines builds the live engine (without sender histories) and the
// candidate's, which passes the same gates as a shadow candidate. The
// candidate's files and thresholds are read first, so that a mistake in
// them is reported before the models load.
func replayEngines(c *cli.Context, log *slog.Logger) (*core, *candidate, error) {
	b, err := candidateBundleFrom(c.String("candidate"), c.String("thresholds"))
	if err != nil {
		return nil, nil, err
	}
	k, err := newCore(c.Context, configFrom(c), log)
	if err != nil {
		return nil, nil, err
	}
	cand, err := k.candidateOf(c.Context, b)
	if err != nil {
		return nil, nil, err
	}
	return k, cand, nil
}

// candidateBundleFrom reads a candidate bundle folder and lays a
// thresholds file (if any) over its data.
func candidateBundleFrom(dir, thresholds string) (*policy.Bundle, error) {
	b, err := policy.LoadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("candidate refused: %w", err)
	}
	if thresholds != "" {
		raw, err := readLimited(thresholds, 1<<20)
		if err != nil {
			return nil, fmt.Errorf("--thresholds: %w", err)
		}
		if b, err = b.WithOverlay(raw); err != nil {
			return nil, fmt.Errorf("--thresholds %s: %w", thresholds, err)
		}
	}
	return b, nil
}

// loadCandidate reads a candidate bundle folder, lays a thresholds file
// over its data, and builds its pipeline over k's classifiers.
func loadCandidate(ctx context.Context, k *core, dir, thresholds string) (*candidate, error) {
	b, err := candidateBundleFrom(dir, thresholds)
	if err != nil {
		return nil, err
	}
	return k.candidateOf(ctx, b)
}

// candidateOf builds b's engine, through the gates of a shadow candidate.
func (k *core) candidateOf(ctx context.Context, b *policy.Bundle) (*candidate, error) {
	e, err := k.candidateEngine(ctx, b)
	if err != nil {
		return nil, fmt.Errorf("candidate refused: %w", err)
	}
	return &candidate{Revision: b.Revision, Policy: e, Pipeline: engine.NewPipeline(e)}, nil
}

// readLimited reads a file of at most limit bytes.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(raw)) > limit {
		return nil, fmt.Errorf("%s is over %d bytes", path, limit)
	}
	return raw, nil
}

// replayer decides events with the live engine and a candidate, the
// classifiers running once per event, and tallies the differences.
type replayer struct {
	k        *core
	cand     *candidate
	examples int
	parallel int
	// stored, when set, gives the before side (--before stored);
	// otherwise the live bundle decides every event.
	stored storedDecisions
	// behaviour follows the replayed events' behavioural signals.
	behaviour *behaviour.Tracker
}

func newReplayer(k *core, cand *candidate, examples, parallel int) *replayer {
	if parallel <= 0 {
		parallel = runtime.GOMAXPROCS(0)
	}
	// A tracker cannot fail to build with its defaults.
	tr, _ := behaviour.NewTracker(behaviour.TrackerConfig{})
	return &replayer{k: k, cand: cand, examples: examples, parallel: parallel, behaviour: tr}
}

// replayBatch is how many events are classified together.
const replayBatch = 64

type replayResult struct {
	tally                 *shadow.Tally
	decided, bad, skipped int64
	badExamples           []string
	before                beforeCount
}

// replaySource yields events in batches to fn, reporting progress; a
// source counts what it cannot read with bad (with a reason).
type replaySource interface {
	run(ctx context.Context, prog *progress, fn func([]*engine.Event) error, bad func(reason string), skip func()) error
}

func (r *replayer) run(ctx context.Context, src replaySource, prog *progress) (*replayResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []*engine.Event, r.parallel)
	res := &replayResult{tally: shadow.NewTally(r.examples), before: beforeCount{Source: beforeLive}}
	if r.stored != nil {
		res.before.Source = beforeStored
	}
	var mu sync.Mutex
	var decided, skipped atomic.Int64
	bad := func(reason string) {
		mu.Lock()
		defer mu.Unlock()
		res.bad++
		if len(res.badExamples) < 10 {
			res.badExamples = append(res.badExamples, reason)
		}
	}
	var wg sync.WaitGroup
	var firstErr error
	var errOnce sync.Once
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	for range r.parallel {
		wg.Go(func() {
			t := shadow.NewTally(r.examples)
			var bc beforeCount
			for evs := range batches {
				n, err := r.decide(ctx, evs, t, &bc, bad)
				if err != nil {
					fail(err)
					return
				}
				decided.Add(int64(n))
				prog.add(int64(len(evs)), 0)
			}
			mu.Lock()
			defer mu.Unlock()
			res.before.add(bc)
			res.tally.Merge(t.Counts())
			for _, ex := range t.Examples {
				if len(res.tally.Examples) < r.examples {
					res.tally.Examples = append(res.tally.Examples, ex)
				}
			}
		})
	}
	err := src.run(ctx, prog, func(evs []*engine.Event) error {
		select {
		case batches <- evs:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}, bad, func() { skipped.Add(1) })
	close(batches)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err != nil {
		return nil, err
	}
	res.decided, res.skipped = decided.Load(), skipped.Load()
	return res, nil
}

// decide classifies evs once and decides each with the candidate; the
// before side is the event's stored decision when r.stored is set and
// has one, else the live bundle's. An event either side cannot decide is
// counted bad; it returns how many were compared, counting their before
// sides in bc.
func (r *replayer) decide(ctx context.Context, evs []*engine.Event, t *shadow.Tally, bc *beforeCount, bad func(string)) (int, error) {
	var before func(*engine.Event) *engine.Decision
	if r.stored != nil {
		ids := make([]string, len(evs))
		for i, ev := range evs {
			ids[i] = ev.ID
		}
		got, err := r.stored.DecisionsForEvents(ctx, ids)
		if err != nil {
			return 0, fmt.Errorf("replay: stored decisions: %w", err)
		}
		before = func(ev *engine.Event) *engine.Decision {
			d := got[ev.ID]
			if d != nil && d.Fingerprint != "" && d.Fingerprint != ev.Fingerprint() {
				bc.OtherContent++
				return nil
			}
			return d
		}
	}
	liveRev, models := r.k.policy.Revision(), r.k.pipeline.ModelVersions()
	n := 0
	err := decideBoth(ctx, r.k, r.cand, r.behaviour, evs, before, func(ev *engine.Event, live, cand *engine.Decision, stored bool) {
		if stored {
			bc.Stored++
			if live.PolicyRevision != liveRev {
				bc.OtherRevision++
			}
			if !maps.Equal(live.ModelVersions, models) {
				bc.OtherModels++
			}
		} else {
			bc.Live++
		}
		t.Add(engine.ShadowSample{At: ev.SentAt, EventID: ev.ID, EventKind: ev.Kind, SpaceType: ev.Space.Type, Live: shadow.Verdict(live), Candidate: shadow.Verdict(cand)})
		n++
	}, bad)
	return n, err
}

// decideBoth classifies evs once (in one batch where it can) and decides
// each event with k's live policy and, when cand is not nil, the
// candidate's, as for a sender without history; it calls fn with both
// decisions (cand's nil without a candidate). With a tracker, each event
// is observed first, so both sides see its behavioural signals as they
// unfold in the replayed events (a fresh tracker: the counts begin with
// the first replayed event), and the tracker learns the candidate's
// decision (the live one without a candidate). When before is not nil and
// returns a decision for an event, that decision stands for the live one
// and the live policy is not evaluated (fn is told so with stored). An
// event that cannot be decided is reported to bad.
func decideBoth(ctx context.Context, k *core, cand *candidate, tr engine.BehaviourTracker, evs []*engine.Event, before func(*engine.Event) *engine.Decision, fn func(ev *engine.Event, live, cand *engine.Decision, stored bool), bad func(string)) error {
	sigs, err := k.pipeline.SignalsBatch(ctx, evs)
	if err != nil {
		// One event (an image that does not decode) fails the batch:
		// classify them one at a time to find it.
		sigs = make([]*engine.Signals, len(evs))
		for i, ev := range evs {
			if sigs[i], err = k.pipeline.Signals(ctx, ev); err != nil {
				bad(fmt.Sprintf("event %s: %v", ev.ID, err))
			}
		}
	}
	for i, ev := range evs {
		if sigs[i] == nil {
			continue
		}
		if tr != nil {
			if sigs[i].Behaviour, err = tr.Observe(ctx, ev, sigs[i]); err != nil {
				bad(fmt.Sprintf("event %s: behaviour: %v", ev.ID, err))
				continue
			}
		}
		var live *engine.Decision
		if before != nil {
			live = before(ev)
		}
		stored := live != nil
		if !stored {
			if live, err = k.pipeline.DecideWith(ctx, ev, sigs[i], engine.UserContext{}); err != nil {
				bad(fmt.Sprintf("event %s: live: %v", ev.ID, err))
				continue
			}
		}
		var cd *engine.Decision
		if cand != nil {
			if cd, err = cand.Pipeline.DecideWith(ctx, ev, sigs[i], engine.UserContext{}); err != nil {
				bad(fmt.Sprintf("event %s: candidate: %v", ev.ID, err))
				continue
			}
		}
		if tr != nil {
			tr.Record(ev, cmp.Or(cd, live))
		}
		fn(ev, live, cd, stored)
	}
	return ctx.Err()
}

// fileSource reads a JSON-lines file of events.
type fileSource struct {
	path     string
	from, to *time.Time
}

func (s *fileSource) run(ctx context.Context, prog *progress, fn func([]*engine.Event) error, bad func(string), skip func()) error {
	f, err := os.Open(s.path)
	if err != nil {
		return fmt.Errorf("--events: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil {
		prog.setTotal(st.Size(), "bytes")
	}
	batch := make([]*engine.Event, 0, replayBatch)
	err = eachLine(f, engine.MaxEventBytes, func(line int, raw []byte, tooLong bool) error {
		prog.add(0, int64(len(raw)+1))
		switch {
		case tooLong:
			bad(fmt.Sprintf("line %d: over the limit of %d bytes", line, engine.MaxEventBytes))
			return nil
		case len(raw) == 0:
			return nil
		}
		ev, err := engine.DecodeEvent(raw)
		if err != nil {
			bad(fmt.Sprintf("line %d: %v", line, err))
			return nil
		}
		if (s.from != nil || s.to != nil) && (ev.SentAt.IsZero() || s.from != nil && ev.SentAt.Before(*s.from) || s.to != nil && !ev.SentAt.Before(*s.to)) {
			skip()
			return nil
		}
		if batch = append(batch, ev); len(batch) == replayBatch {
			if err := fn(batch); err != nil {
				return err
			}
			batch = make([]*engine.Event, 0, replayBatch)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("--events: %w", err)
	}
	if len(batch) > 0 {
		return fn(batch)
	}
	return ctx.Err()
}

// eachLine calls fn with each line of r (without its newline), numbered
// from 1. A line longer than limit is not kept in memory: fn gets it
// with tooLong set and only its first bytes.
func eachLine(r io.Reader, limit int, fn func(line int, raw []byte, tooLong bool) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var buf []byte
	for line := 1; ; line++ {
		buf = buf[:0]
		tooLong := false
		for {
			chunk, err := br.ReadSlice('\n')
			if !tooLong {
				if len(buf)+len(chunk) > limit+1 {
					tooLong = true
				} else {
					buf = append(buf, chunk...)
				}
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("line %d: %w", line, err)
			}
			if len(buf) > 0 && buf[len(buf)-1] == '\n' {
				buf = buf[:len(buf)-1]
			}
			if errors.Is(err, io.EOF) && len(buf) == 0 && !tooLong {
				return nil
			}
			if ferr := fn(line, buf, tooLong); ferr != nil {
				return ferr
			}
			if errors.Is(err, io.EOF) {
				return nil
			}
			break
		}
	}
}

// kafkaSource reads the input topics' partitions between two times.
type kafkaSource struct {
	brokers  []string
	topics   pipelines.Topics
	from, to time.Time
}

// partitionRange is the offsets of one partition to read: [start, end).
type partitionRange struct {
	topic      string
	partition  int
	start, end int64
}

func (s *kafkaSource) ranges(ctx context.Context) ([]partitionRange, error) {
	conn, err := kafka.DialContext(ctx, "tcp", s.brokers[0])
	if err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	parts, err := conn.ReadPartitions(s.topics.Inputs()...)
	conn.Close()
	if err != nil {
		return nil, fmt.Errorf("kafka: partitions: %w", err)
	}
	var out []partitionRange
	for _, p := range parts {
		lc, err := kafka.DialLeader(ctx, "tcp", s.brokers[0], p.Topic, p.ID)
		if err != nil {
			return nil, fmt.Errorf("kafka: %s/%d: %w", p.Topic, p.ID, err)
		}
		start, err1 := offsetAt(lc, s.from)
		end, err2 := offsetAt(lc, s.to)
		lc.Close()
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("kafka: offsets of %s/%d: %w", p.Topic, p.ID, err)
		}
		if end > start {
			out = append(out, partitionRange{p.Topic, p.ID, start, end})
		}
	}
	return out, nil
}

// offsetAt is the offset of the first message at or after t, or the end
// of the partition when there is none.
func offsetAt(c *kafka.Conn, t time.Time) (int64, error) {
	off, err := c.ReadOffset(t)
	if err != nil {
		return 0, err
	}
	if off < 0 {
		return c.ReadLastOffset()
	}
	return off, nil
}

func (s *kafkaSource) run(ctx context.Context, prog *progress, fn func([]*engine.Event) error, bad func(string), _ func()) error {
	ranges, err := s.ranges(ctx)
	if err != nil {
		return err
	}
	var total int64
	for _, r := range ranges {
		total += r.end - r.start
	}
	prog.setTotal(total, "messages")
	for _, pr := range ranges {
		if err := s.read(ctx, pr, prog, fn, bad); err != nil {
			return err
		}
	}
	return nil
}

// read reads one partition's range, without a consumer group: nothing is
// committed, and the workers' offsets are untouched.
func (s *kafkaSource) read(ctx context.Context, pr partitionRange, prog *progress, fn func([]*engine.Event) error, bad func(string)) error {
	rd := kafka.NewReader(kafka.ReaderConfig{Brokers: s.brokers, Topic: pr.topic, Partition: pr.partition, MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 500 * time.Millisecond})
	defer rd.Close()
	if err := rd.SetOffset(pr.start); err != nil {
		return err
	}
	batch := make([]*engine.Event, 0, replayBatch)
	for off := pr.start; off < pr.end; {
		m, err := rd.ReadMessage(ctx)
		if err != nil {
			return fmt.Errorf("kafka: read %s/%d at %d: %w", pr.topic, pr.partition, off, err)
		}
		off = m.Offset + 1
		if m.Offset >= pr.end {
			break
		}
		prog.add(0, 1)
		ev, err := pipelines.DecodeEventMessage(m.Topic, m.Value, s.topics, pipelines.MaxMessageBytes)
		if err != nil {
			bad(fmt.Sprintf("%s/%d at %d: %v", m.Topic, m.Partition, m.Offset, err))
			continue
		}
		if batch = append(batch, ev); len(batch) == replayBatch {
			if err := fn(batch); err != nil {
				return err
			}
			batch = make([]*engine.Event, 0, replayBatch)
		}
	}
	if len(batch) > 0 {
		return fn(batch)
	}
	return nil
}
