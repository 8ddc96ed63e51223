package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
	"github.com/haechi-tns/haechi/engine/telemetry"
	"github.com/haechi-tns/haechi/pipelines"
	"github.com/haechi-tns/haechi/pipelines/broker"
	"github.com/haechi-tns/haechi/pipelines/demo"
)

func benchPipelineCommand() *cli.Command {
	return &cli.Command{
		Name:  "pipeline",
		Usage: "chat events per second through the Kafka pipeline, against a bare consumer",
		Description: `Starts the embedded broker (persisting under a temporary folder), writes
--events chat events to haechi.chat, then measures in one run:
  1. a bare kafka-go consumer-group reader draining the topic (fetch, and
     commit every 1,000), and
  2. the engine deciding the same events alone (Decide, in the worker's
     batches split across the cores as the worker splits them; nothing
     stored or published), after a first pass that warms up and lets the
     policy prove the shapes it sees, and
  3. a Haechi worker deciding every event, storing the decisions in SQLite,
     publishing decisions and actions and committing,
and prints the rates, the worker's ratio to the bare consumer and to
Decide alone, and the process's CPU time per event for Decide alone and
while the worker ran (the embedded broker's included; steadier than the
rate on a machine other work shares).`,
		Flags: engineFlags(
			&cli.IntFlag{Name: "events", Value: 100000, Usage: "chat events to write"},
			&cli.IntFlag{Name: "batch-size", Value: 500, Usage: "worker batch size"},
			&cli.StringFlag{Name: "set", Value: "demo", Usage: "demo (the demo generator's chat) or benign, abusive, all (fixtures)"},
			&cli.StringFlag{Name: "cpuprofile", Usage: "write a CPU profile of the worker run to this file"},
		),
		Action: benchPipeline,
	}
}

func benchPipeline(c *cli.Context) error {
	log, err := logger(c)
	if err != nil {
		return err
	}
	ctx := c.Context
	n := c.Int("events")
	if n <= 0 {
		return fmt.Errorf("--events must be positive, got %d", n)
	}
	evs, err := benchChatEvents(c.String("set"), n)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "haechi-bench-pipeline-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	st, err := store.OpenSQLite(ctx, filepath.Join(tmp, store.FileName))
	if err != nil {
		return err
	}
	defer st.Close()
	// As in haechi serve and worker, the policy sees each sender's history.
	cfg := configFrom(c)
	cfg.Users = st.UserContexts(userContextTTL, 100_000)
	k, err := newCore(ctx, cfg, log)
	if err != nil {
		return err
	}
	b, err := broker.Start(broker.Config{DataDir: filepath.Join(tmp, "kafka"), Addr: "127.0.0.1:0"})
	if err != nil {
		return err
	}
	defer b.Close()
	brokers := []string{b.Addr()}
	if err := pipelines.EnsureTopics(ctx, brokers, pipelines.DefaultTopics, 1); err != nil {
		return err
	}
	p := pipelines.NewProducer(brokers, pipelines.DefaultTopics)
	start := time.Now()
	for i := 0; i < n; i += 5000 {
		if err := p.Produce(ctx, evs[i:min(i+5000, n)]...); err != nil {
			p.Close()
			return err
		}
	}
	p.Close()
	produceRate := float64(n) / time.Since(start).Seconds()

	// 1. The bare consumer.
	bare, err := drainBare(ctx, brokers, n)
	if err != nil {
		return err
	}

	// 2. Decide alone on the same events, as the worker decides them: in
	// batches of --batch-size, each split across the cores. A first pass
	// warms up and lets the policy prove the shapes it sees, so that
	// neither this nor the worker pays a revision's one-off proofs.
	if _, _, err := decideAlone(ctx, k.pipeline, evs, c.Int("batch-size")); err != nil {
		return err
	}
	k.policy.WaitProofs()
	alone, aloneCPU, err := decideAlone(ctx, k.pipeline, evs, c.Int("batch-size"))
	if err != nil {
		return err
	}

	// 3. The worker.
	if err := k.startModeration(c, st, log, telemetry.New()); err != nil {
		return err
	}
	// The run ends when the worker has decided and published n events,
	// read from its counter: polling the store's count of decisions, a
	// scan of the growing table every 10 ms, cost 4 % of the CPU measured.
	reg := prometheus.NewRegistry()
	w, err := pipelines.NewWorker(pipelines.WorkerConfig{
		Brokers: brokers, Group: "bench-worker", Moderator: k.moderation, Log: log, BatchSize: c.Int("batch-size"),
		Metrics: pipelines.NewMetrics(reg),
	})
	if err != nil {
		return err
	}
	stopProfile, err := startCPUProfile(c.String("cpuprofile"))
	if err != nil {
		return err
	}
	defer stopProfile()
	wctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	start, cpu := time.Now(), cpuTime()
	go func() {
		defer close(done)
		w.Run(wctx)
	}()
	for {
		decided, err := counterTotal(reg, "haechi_pipeline_events_decided_total")
		if err != nil {
			stop()
			return err
		}
		if decided >= float64(n) {
			// Every event published; the store has them all unless some
			// were delivered twice, which the counter counts again.
			got, err := st.CountDecisions(ctx)
			if err != nil {
				stop()
				return err
			}
			if got >= n {
				break
			}
		}
		if ctx.Err() != nil {
			stop()
			return ctx.Err()
		}
		time.Sleep(10 * time.Millisecond)
	}
	elapsed, cpuUsed := time.Since(start), time.Duration(cpuTime()-cpu)
	stop()
	<-done
	worker := float64(n) / elapsed.Seconds()

	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "events\tproduce/s\tbare consumer/s\tdecide alone/s\thaechi worker/s\tworker/bare\tworker/decide\tdecide CPU/event\tworker CPU/event\t\n")
	fmt.Fprintf(tw, "%d\t%.0f\t%.0f\t%.0f\t%.0f\t%.2f\t%.2f\t%s\t%s\t\n", n, produceRate, bare, alone, worker, worker/bare, worker/alone,
		aloneCPU.Round(100*time.Nanosecond), (cpuUsed / time.Duration(n)).Round(100*time.Nanosecond))
	return tw.Flush()
}

// decideAlone decides evs with p in batches of size, each batch split
// across GOMAXPROCS goroutines as the worker splits it, storing and
// publishing nothing, and returns events a second and CPU time per event.
func decideAlone(ctx context.Context, p *engine.Pipeline, evs []*engine.Event, size int) (float64, time.Duration, error) {
	if size <= 0 {
		return 0, 0, fmt.Errorf("--batch-size must be positive, got %d", size)
	}
	par := runtime.GOMAXPROCS(0)
	start, cpu := time.Now(), cpuTime()
	for i := 0; i < len(evs); i += size {
		batch := evs[i:min(i+size, len(evs))]
		chunk := (len(batch) + par - 1) / par
		errs := make(chan error, par)
		var wg sync.WaitGroup
		for j := 0; j < len(batch); j += chunk {
			part := batch[j:min(j+chunk, len(batch))]
			wg.Go(func() {
				_, es := p.DecideBatch(ctx, part)
				for _, err := range es {
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			return 0, 0, fmt.Errorf("decide alone: %w", err)
		}
	}
	n := len(evs)
	return float64(n) / time.Since(start).Seconds(), time.Duration(cpuTime()-cpu) / time.Duration(n), nil
}

// drainBare reads n messages of haechi.chat in a group of its own with
// kafka-go alone, committing every 1,000, and returns messages a second.
func drainBare(ctx context.Context, brokers []string, n int) (float64, error) {
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: brokers, GroupID: "bench-bare", GroupTopics: []string{pipelines.DefaultTopics.Chat},
		StartOffset: kafka.FirstOffset, MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 100 * time.Millisecond, QueueCapacity: 500,
	})
	defer r.Close()
	start := time.Now()
	var pending []kafka.Message
	for i := 0; i < n; i++ {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			return 0, fmt.Errorf("bare consumer: %w", err)
		}
		pending = append(pending, m)
		if len(pending) == 1000 || i == n-1 {
			if err := r.CommitMessages(ctx, pending...); err != nil {
				return 0, fmt.Errorf("bare consumer: %w", err)
			}
			pending = pending[:0]
		}
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// benchChatEvents returns n chat events with distinct ids.
func benchChatEvents(set string, n int) ([]*engine.Event, error) {
	var pool []*engine.Event
	if set == "demo" {
		gen := demo.New(1, func() time.Time { return time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC) })
		for len(pool) < 5000 {
			if ev := gen.Next(); ev.Kind == engine.KindChat {
				pool = append(pool, ev)
			}
		}
	} else {
		var err error
		if pool, err = fixtureEvents(set); err != nil {
			return nil, err
		}
	}
	out := make([]*engine.Event, n)
	for i := range out {
		ev := *pool[i%len(pool)]
		ev.ID = fmt.Sprintf("bench-%08d", i)
		out[i] = &ev
	}
	return out, nil
}

// counterTotal is the sum of a counter's series in reg.
func counterTotal(reg *prometheus.Registry, name string) (float64, error) {
	families, err := reg.Gather()
	if err != nil {
		return 0, err
	}
	total := 0.0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			total += m.GetCounter().GetValue()
		}
	}
	return total, nil
}
