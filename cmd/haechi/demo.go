package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/pipelines"
	"github.com/haechi-tns/haechi/pipelines/demo"
)

func demoCommand() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "produce realistic demo traffic (chat, voice, images) to the input topics",
		Description: `Writes a mix of Korean and English chat across the city hall's spaces
(mostly benign; some abusive, obfuscated, PII-bearing, scam and self-harm
messages; now and then a grooming conversation, a spam wave from new
accounts, a pile-on or a flood), voice-transcript segments and image
uploads, as the world platform would. Decisions appear on the decisions topic and in haechi
serve's log.`,
		Flags: append(kafkaFlags(),
			&cli.Float64Flag{Name: "rate", Value: 20, Usage: "events a second"},
			&cli.IntFlag{Name: "count", Usage: "stop after this many events (0: until interrupted)"},
			&cli.Uint64Flag{Name: "seed", Usage: "random seed (0: from the clock)"},
		),
		Action: func(c *cli.Context) error {
			log, err := logger(c)
			if err != nil {
				return err
			}
			brokers := c.StringSlice("kafka-brokers")
			if len(brokers) == 0 {
				brokers = []string{"127.0.0.1:9092"} // the embedded broker of haechi serve
			}
			if c.Float64("rate") <= 0 {
				return fmt.Errorf("--rate must be positive, got %v", c.Float64("rate"))
			}
			seed := c.Uint64("seed")
			if seed == 0 {
				seed = uint64(time.Now().UnixNano())
			}
			return runDemo(c.Context, brokers, topicsFrom(c), c.Float64("rate"), c.Int("count"), seed, log)
		},
	}
}

// runDemo produces demo events at rate a second until ctx ends or count
// events (when positive) were written.
func runDemo(ctx context.Context, brokers []string, topics pipelines.Topics, rate float64, count int, seed uint64, log *slog.Logger) error {
	p := pipelines.NewProducer(brokers, topics)
	defer p.Close()
	gen := demo.New(seed, time.Now)
	const tick = 100 * time.Millisecond
	t := time.NewTicker(tick)
	defer t.Stop()
	var owed float64
	sent, kinds := 0, map[engine.Kind]int{}
	lastLog := time.Now()
	log.Info("demo traffic started", "rate", rate, "brokers", brokers)
	for count <= 0 || sent < count {
		select {
		case <-ctx.Done():
			log.Info("demo traffic stopped", "sent", sent)
			return nil
		case <-t.C:
		}
		owed += rate * tick.Seconds()
		n := int(owed)
		if count > 0 {
			n = min(n, count-sent)
		}
		if n == 0 {
			continue
		}
		owed -= float64(n)
		evs := make([]*engine.Event, n)
		for i := range evs {
			evs[i] = gen.Next()
			kinds[evs[i].Kind]++
		}
		if err := p.Produce(ctx, evs...); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		sent += n
		if time.Since(lastLog) > 10*time.Second {
			log.Info("demo traffic", "sent", sent, "chat", kinds[engine.KindChat], "voice", kinds[engine.KindVoice], "images", kinds[engine.KindImage])
			lastLog = time.Now()
		}
	}
	log.Info("demo traffic done", "sent", sent)
	return nil
}
