package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/behaviour"
	"github.com/haechi-tns/haechi/fixtures"
)

func benchCommand() *cli.Command {
	return &cli.Command{
		Name:  "bench",
		Usage: "measure Haechi's speed on this machine",
		Subcommands: []*cli.Command{{
			Name:  "decide",
			Usage: "decisions per second and latency of Decide on fixture chat messages",
			Description: `Runs the whole decision (normalise, lexicon, PII, policy) on the chat
messages in fixtures/text, for a fixed time at each goroutine count, and
prints throughput, latency percentiles, the process's CPU time per
decision (user and system, garbage collection included: steadier than
throughput on a machine other work shares), the share of messages the
cascade sent to the strong text model and the share the policy engine's
fast path decided without evaluating the policy (messages that reach no
rule, proven when the bundle loads) and its proven shapes decided. The
messages are decided twice over before the runs, and the shapes the
policy saw are proven: the runs measure the steady state. Use --cpus 1 to
hold the process to one core.`,
			Flags: engineFlags(
				&cli.DurationFlag{Name: "duration", Value: 5 * time.Second, Usage: "time per run"},
				&cli.StringFlag{Name: "goroutines", Value: "1,8", Usage: "comma-separated goroutine counts"},
				&cli.IntFlag{Name: "cpus", Usage: "GOMAXPROCS for the runs (0: leave as is)"},
				&cli.StringFlag{Name: "set", Value: "benign", Usage: "benign, abusive or all fixture messages, or demo: 5,000 chat events of the demo generator (seed 1)"},
				&cli.BoolFlag{Name: "behaviour", Value: true, Usage: "observe every event with a behaviour tracker as serve does (senders drawn from 100,000 ids)"},
				&cli.Float64Flag{Name: "event-rate", Value: 2, Usage: "with --behaviour, events a second of event time: at 2 each fixture text comes back after the 2-minute wave window, as an ordinary message; at 20000 every message is part of a wave of copies, the tracker's and the policy's costliest case"},
				&cli.PathFlag{Name: "cpuprofile", Usage: "write a CPU profile of the timed runs to this file (read it with go tool pprof)"},
			),
			Action: benchDecide,
		}, benchPipelineCommand(), benchAPICommand(), benchUICommand()},
	}
}

func benchDecide(c *cli.Context) error {
	log, err := logger(c)
	if err != nil {
		return err
	}
	if n := c.Int("cpus"); n > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(n))
	}
	var counts []int
	for s := range strings.SplitSeq(c.String("goroutines"), ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("--goroutines: %q is not a positive number", s)
		}
		counts = append(counts, n)
	}
	events, err := benchDecideEvents(c.String("set"))
	if err != nil {
		return err
	}
	cfg := configFrom(c)
	if c.Bool("behaviour") {
		if cfg.Behaviour, err = behaviour.NewTracker(behaviour.TrackerConfig{}); err != nil {
			return err
		}
	}
	k, err := newCore(c.Context, cfg, log)
	if err != nil {
		return err
	}
	// event is the n-th event of a run: with a tracker, fixture n sent by
	// one of benchSenders senders at --event-rate events a second of event
	// time, so that the tracker sees a world, not one sender repeating
	// the fixtures.
	senders := make([]string, benchSenders)
	for i := range senders {
		senders[i] = fmt.Sprintf("bench-user-%06d", i)
	}
	rate := c.Float64("event-rate")
	if !(rate > 0) {
		return fmt.Errorf("--event-rate: want a positive number, got %v", rate)
	}
	step := time.Duration(float64(time.Second) / rate)
	var seq atomic.Int64
	base := time.Now().UTC()
	event := func(n int) *engine.Event {
		if cfg.Behaviour == nil {
			return events[n%len(events)]
		}
		ev := *events[n%len(events)]
		i := seq.Add(1)
		ev.Sender.ID = senders[(i*7919)%benchSenders]
		ev.SentAt = base.Add(time.Duration(i) * step)
		return &ev
	}
	// Warm up caches and the allocator, and let the policy prove the
	// shapes it sees (an input shape is proven on its second sighting):
	// the runs measure the steady state, not a revision's first seconds.
	for range 2 {
		for n := range events {
			if _, err := k.pipeline.Decide(c.Context, event(n)); err != nil {
				return err
			}
		}
	}
	k.policy.WaitProofs()
	if path := c.Path("cpuprofile"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	w := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "set\tmessages\tGOMAXPROCS\tgoroutines\tdecisions/s\tp50\tp99\tCPU/decision\tstrong model\tpolicy skipped\tby shape\tby input shape\t\n")
	for _, g := range counts {
		before, policyBefore := k.text.Stats(), k.policy.Stats()
		var done atomic.Int64
		lat := make([][]time.Duration, g)
		deadline := time.Now().Add(c.Duration("duration"))
		start, cpu := time.Now(), cpuTime()
		var wg sync.WaitGroup
		var firstErr atomic.Value
		for i := range g {
			wg.Go(func() {
				for n := i; time.Now().Before(deadline); n += g {
					ev := event(n)
					t := time.Now()
					if _, err := k.pipeline.Decide(c.Context, ev); err != nil {
						firstErr.CompareAndSwap(nil, err)
						return
					}
					lat[i] = append(lat[i], time.Since(t))
					done.Add(1)
				}
			})
		}
		wg.Wait()
		if err, _ := firstErr.Load().(error); err != nil {
			return err
		}
		elapsed, cpuUsed := time.Since(start), time.Duration(cpuTime()-cpu)
		all := slices.Concat(lat...)
		slices.Sort(all)
		after, policyAfter := k.text.Stats(), k.policy.Stats()
		skipped, shaped, inputShaped := "-", "-", "-"
		if n := policyAfter.Decided - policyBefore.Decided; n > 0 {
			byShape, byInput := policyAfter.Shaped-policyBefore.Shaped, policyAfter.InputShaped-policyBefore.InputShaped
			skipped = fmt.Sprintf("%.1f %%", 100*float64(policyAfter.Fast-policyBefore.Fast+byShape+byInput)/float64(n))
			shaped = fmt.Sprintf("%.1f %%", 100*float64(byShape)/float64(n))
			inputShaped = fmt.Sprintf("%.1f %%", 100*float64(byInput)/float64(n))
		}
		routed := "-"
		if n := after.Scored - before.Scored; n > 0 {
			routed = fmt.Sprintf("%.1f %%", 100*float64(after.Routed-before.Routed)/float64(n))
		}
		perDecision := "-"
		if n := done.Load(); n > 0 {
			perDecision = (cpuUsed / time.Duration(n)).Round(100 * time.Nanosecond).String()
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", c.String("set"), len(events), runtime.GOMAXPROCS(0), g,
			float64(done.Load())/elapsed.Seconds(), pct(all, 0.50), pct(all, 0.99), perDecision, routed, skipped, shaped, inputShaped)
	}
	return w.Flush()
}

// cpuTime is the CPU time the process has used, in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// benchSenders is how many senders bench decide draws from.
const benchSenders = 100_000

func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))].Round(time.Microsecond)
}

// fixtureEvents turns the fixture texts into chat events in a plaza.
func fixtureEvents(set string) ([]*engine.Event, error) {
	var names []string
	switch set {
	case "benign", "abusive":
		names = []string{"text/" + set + ".jsonl"}
	case "all":
		names = []string{"text/benign.jsonl", "text/abusive.jsonl"}
	default:
		return nil, fmt.Errorf("--set: want benign, abusive or all, got %q", set)
	}
	var events []*engine.Event
	for _, name := range names {
		data, err := fixtures.FS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			var in classifyInput
			// Fixture lines also carry their labels, which the bench
			// does not read.
			if err := engine.PeekJSON(sc.Bytes(), &in); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			events = append(events, chatEvent(in.ID, in.Text, in.Lang, engine.SpacePlaza, engine.RoleCitizen))
		}
	}
	if len(events) == 0 {
		return nil, fmt.Errorf("no fixture messages in set %q", set)
	}
	return events, nil
}

// startCPUProfile writes a CPU profile to path until stop is called; an
// empty path profiles nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// benchDecideEvents are the events bench decide runs: the fixtures of a
// set, or the demo generator's chat.
func benchDecideEvents(set string) ([]*engine.Event, error) {
	if set == "demo" {
		return benchChatEvents(set, 5000)
	}
	return fixtureEvents(set)
}
