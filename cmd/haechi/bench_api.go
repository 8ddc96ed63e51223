package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/engine/api"
	"github.com/haechi-tns/haechi/engine/store"
	"github.com/haechi-tns/haechi/engine/telemetry"
)

func benchAPICommand() *cli.Command {
	return &cli.Command{
		Name:  "api",
		Usage: "latency of the in-world API at a fixed request rate, over loopback",
		Description: `Starts the API on a loopback port (with a fresh SQLite database, or
--database-url) and sends requests at --rate a second for --duration, each
on its own connection slot, whatever the previous ones are doing (an open
loop, so slow answers do not slow the load down). Prints the achieved rate
and latency percentiles. --target reports files reports from many
reporters; --target moderate sends chat events (--set), each a new event,
through the moderation service with storage, as haechi serve does.`,
		Flags: engineFlags(
			&cli.StringFlag{Name: "target", Value: "reports", Usage: "reports or moderate"},
			&cli.StringFlag{Name: "set", Value: "demo", Usage: "moderate: demo (the demo generator's chat, from its many senders) or benign, abusive, all (fixtures, from 5,000 senders)"},
			&cli.IntFlag{Name: "rate", Value: 500, Usage: "requests a second"},
			&cli.DurationFlag{Name: "duration", Value: 10 * time.Second, Usage: "how long to send, after the warm-up"},
			&cli.DurationFlag{Name: "warmup", Value: 2 * time.Second, Usage: "send at the rate this long first without measuring (caches, prepared statements, the first policy evaluations)"},
			&cli.StringFlag{Name: "cpuprofile", Usage: "write a CPU profile of the load to this file"},
			databaseFlag,
		),
		Action: benchAPI,
	}
}

func benchAPI(c *cli.Context) error {
	log, err := logger(c)
	if err != nil {
		return err
	}
	ctx := c.Context
	rate, dur := c.Int("rate"), c.Duration("duration")
	if rate <= 0 || dur <= 0 {
		return fmt.Errorf("--rate and --duration must be positive")
	}
	var st *store.Store
	if u := c.String("database-url"); u != "" {
		st, err = store.OpenPostgres(ctx, u)
	} else {
		tmp, terr := os.MkdirTemp("", "haechi-bench-api-")
		if terr != nil {
			return terr
		}
		defer os.RemoveAll(tmp)
		st, err = store.OpenSQLite(ctx, filepath.Join(tmp, store.FileName))
	}
	if err != nil {
		return err
	}
	defer st.Close()
	// The default per-reporter limits stay on: checking them is part of
	// every report's cost. 5,000 reporters keep the load under them.
	// The per-key limits are off: the whole load comes from one caller.
	acfg := api.Config{Store: st, Metrics: telemetry.New(), Log: slog.New(slog.DiscardHandler),
		KeyLimits: api.KeyLimits{ReportsPerMinute: -1, ReportsPerDay: -1, AppealsPerMinute: -1, AppealsPerDay: -1}}
	var bodies [][]byte
	path := "/v1/reports"
	switch c.String("target") {
	case "reports":
		for i := range 10000 {
			bodies = append(bodies, fmt.Appendf(nil, `{"reporter_id":"citizen-%d","target":{"kind":"message","id":"evt-%d"},"category":"harassment","details":"keeps sending me messages","space":{"id":"plaza-1","type":"plaza"}}`, i%5000, i%2000))
		}
	case "moderate":
		path = "/v1/moderate"
		// As in haechi serve, the policy sees each sender's history.
		cfg := configFrom(c)
		cfg.Users = st.UserContexts(userContextTTL, 100_000)
		k, err := newCore(ctx, cfg, log)
		if err != nil {
			return err
		}
		// Through the moderation service, as in haechi serve: each
		// decision is stored, with its case and action when it has one.
		if err := k.startModeration(c, st, log, acfg.Metrics); err != nil {
			return err
		}
		acfg.Moderator = k.moderation
		// Every request is a new event: a repeated id would be answered
		// from the store without deciding.
		evs, err := benchChatEvents(c.String("set"), rate*int((dur+c.Duration("warmup")).Seconds()+2))
		if err != nil {
			return err
		}
		for i, ev := range evs {
			if c.String("set") != "demo" {
				// The fixtures have one sender; these come from many.
				ev.Sender.ID = fmt.Sprintf("citizen-%d", i%5000)
			}
			b, err := json.Marshal(ev)
			if err != nil {
				return err
			}
			bodies = append(bodies, b)
		}
	default:
		return fmt.Errorf("--target: want reports or moderate, got %q", c.String("target"))
	}
	if err := acfg.Validate(); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: api.New(acfg), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + path
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1000, MaxConnsPerHost: 0}, Timeout: 10 * time.Second}

	stopProfile, err := startCPUProfile(c.String("cpuprofile"))
	if err != nil {
		return err
	}
	defer stopProfile()
	var mu sync.Mutex
	var lat []time.Duration
	statuses := map[int]int{}
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(rate)
	warmup := c.Duration("warmup")
	begin := time.Now()
	start := begin.Add(warmup)
	for i := 0; time.Since(start) < dur; i++ {
		next := begin.Add(time.Duration(i) * interval)
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
		body := bodies[i%len(bodies)]
		measured := next.After(start) || next.Equal(start)
		wg.Go(func() {
			t := time.Now()
			req, _ := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			took := time.Since(t)
			code := 0
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				code = resp.StatusCode
			}
			if !measured {
				return
			}
			mu.Lock()
			lat = append(lat, took)
			statuses[code]++
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	w := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "target\tdatabase\trequests\tachieved/s\tp50\tp99\tmax\tstatuses\t\n")
	fmt.Fprintf(w, "%s\t%s\t%d\t%.0f\t%s\t%s\t%s\t%v\t\n", c.String("target"), st.Dialect(), len(lat), float64(len(lat))/elapsed.Seconds(),
		pct(lat, 0.5), pct(lat, 0.99), lat[len(lat)-1].Round(time.Microsecond), statuses)
	return w.Flush()
}
