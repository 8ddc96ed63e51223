package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/pipelines"
	"github.com/haechi-tns/haechi/pipelines/broker"
)

// BenchmarkTakeoverAfterKill measures how long the chat a crashed worker
// was reading goes undecided: two haechi worker processes share the
// consumer group, events arrive at 400 a second stamped with the time they
// were produced, one worker is killed with SIGKILL, and the takeover is
// the longest a message produced after the kill waited for its decision
// (decided_at − sent_at, read back from the decisions topic). The survivor
// takes the dead worker's partitions only when the group coordinator gives
// up on it, after the session timeout, so the figure follows
// --kafka-session-timeout. Run it with -benchtime 1x; each run takes
// about half a minute.
func BenchmarkTakeoverAfterKill(b *testing.B) {
	bin, err := buildHaechi()
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct{ session, heartbeat time.Duration }{
		{10 * time.Second, time.Second}, // the defaults
		{3 * time.Second, 500 * time.Millisecond},
	} {
		b.Run("session="+tc.session.String(), func(b *testing.B) {
			for b.Loop() {
				takeover, normal := measureTakeover(b, bin, tc.session, tc.heartbeat)
				b.ReportMetric(takeover.Seconds(), "takeover-s")
				b.ReportMetric(float64(normal.Milliseconds()), "p50-latency-ms")
			}
		})
	}
}

// measureTakeover runs one kill and returns the longest wait of a message
// produced after it and the median wait of those produced before.
func measureTakeover(b *testing.B, bin string, session, heartbeat time.Duration) (takeover, normal time.Duration) {
	dir := b.TempDir()
	br, err := broker.Start(broker.Config{DataDir: filepath.Join(dir, "kafka"), Addr: "127.0.0.1:0"})
	if err != nil {
		b.Fatal(err)
	}
	defer br.Close()
	brokers := []string{br.Addr()}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := pipelines.EnsureTopics(ctx, brokers, pipelines.DefaultTopics, 1); err != nil {
		b.Fatal(err)
	}
	timings := []string{"--kafka-session-timeout", session.String(), "--kafka-heartbeat", heartbeat.String(),
		"--kafka-rebalance-timeout", session.String()}
	logs, err := os.Create(filepath.Join(dir, "workers.log"))
	if err != nil {
		b.Fatal(err)
	}
	defer logs.Close()
	// Each worker has its own store: the measure is the decisions topic.
	victim := startWorker(b, bin, br.Addr(), filepath.Join(dir, "a"), logs, timings...)
	survivor := startWorker(b, bin, br.Addr(), filepath.Join(dir, "b"), logs, timings...)
	defer func() {
		survivor.Process.Signal(syscall.SIGTERM)
		survivor.Wait()
	}()

	p := pipelines.NewProducer(brokers, pipelines.DefaultTopics)
	defer p.Close()
	var sentAt []time.Time // by event number
	produce := func(until time.Time) {
		for time.Now().Before(until) {
			evs := make([]*engine.Event, 20)
			for i := range evs {
				n := len(sentAt)
				evs[i] = demoChat(n)
				evs[i].ID = fmt.Sprintf("takeover-%06d", n)
				evs[i].SentAt = time.Now().UTC()
				sentAt = append(sentAt, evs[i].SentAt)
			}
			if err := p.Produce(ctx, evs...); err != nil {
				b.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// Both workers join and settle (a join can wait for a rebalance
	// timeout), then the victim dies mid-stream.
	produce(time.Now().Add(session + 8*time.Second))
	beforeKill := len(sentAt)
	killedAt := time.Now()
	if err := victim.Process.Signal(syscall.SIGKILL); err != nil {
		b.Fatal(err)
	}
	victim.Wait()
	produce(killedAt.Add(session + 10*time.Second))
	total := len(sentAt)
	// Wait until every event has a decision on the topic.
	decided := map[string]time.Time{}
	for deadline := time.Now().Add(time.Minute); ; {
		clear(decided)
		readDecisionMessages(b, brokers, func(d *engine.Decision) {
			if t, ok := decided[d.EventID]; !ok || d.DecidedAt.Before(t) {
				decided[d.EventID] = d.DecidedAt
			}
		})
		if len(decided) >= total {
			break
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(logs.Name())
			b.Fatalf("%d of %d events decided a minute after the stream stopped; worker logs:\n%s", len(decided), total, out)
		}
		time.Sleep(time.Second)
	}
	var before []time.Duration
	for i := range total {
		wait := decided[fmt.Sprintf("takeover-%06d", i)].Sub(sentAt[i])
		if i < beforeKill {
			before = append(before, wait)
		} else if wait > takeover {
			takeover = wait
		}
	}
	slices.Sort(before)
	return takeover, before[len(before)/2]
}
