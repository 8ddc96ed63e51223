package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/engine/behaviour"
	"github.com/haechi-tns/haechi/engine/blob"
	"github.com/haechi-tns/haechi/engine/moderation"
	"github.com/haechi-tns/haechi/engine/policy"
	"github.com/haechi-tns/haechi/engine/retention"
	"github.com/haechi-tns/haechi/engine/shadow"
	"github.com/haechi-tns/haechi/engine/store"
	"github.com/haechi-tns/haechi/engine/telemetry"
	"github.com/haechi-tns/haechi/pipelines"
	"github.com/haechi-tns/haechi/pipelines/broker"
)

// kafkaFlags are the flags of every command that talks to Kafka.
func kafkaFlags() []cli.Flag {
	d := pipelines.DefaultTopics
	return append([]cli.Flag{
		&cli.StringSliceFlag{Name: "kafka-brokers", Usage: "Kafka bootstrap brokers, host:port (serve: none starts the embedded broker)", EnvVars: []string{"HAECHI_KAFKA_BROKERS"}},
		&cli.StringFlag{Name: "kafka-group", Value: "haechi", Usage: "consumer group of the workers", EnvVars: []string{"HAECHI_KAFKA_GROUP"}},
		&cli.StringFlag{Name: "topic-chat", Value: d.Chat, Usage: "input topic of chat messages"},
		&cli.StringFlag{Name: "topic-voice", Value: d.Voice, Usage: "input topic of voice transcripts"},
		&cli.StringFlag{Name: "topic-images", Value: d.Images, Usage: "input topic of image uploads"},
		&cli.StringFlag{Name: "topic-decisions", Value: d.Decisions, Usage: "output topic of decisions"},
		&cli.StringFlag{Name: "topic-actions", Value: d.Actions, Usage: "output topic of actions for the world platform"},
		&cli.StringFlag{Name: "topic-dlq", Value: d.DeadLetter, Usage: "dead-letter topic"},
		&cli.BoolFlag{Name: "create-topics", Value: true, Usage: "create missing topics at start-up"},
		&cli.StringSliceFlag{Name: "blob-url-prefix", Usage: "URL prefix images sent by reference may be fetched from (repeatable); none: such images are held", EnvVars: []string{"HAECHI_BLOB_URL_PREFIX"}},
		&cli.DurationFlag{Name: "snapshot-retention", Value: store.DefaultSnapshotRetention, Usage: "how long the content snapshots of a closed case are kept"},
		&cli.DurationFlag{Name: "blob-budget", Value: moderation.DefaultBlobBudget, Usage: "most time spent fetching one batch's images by reference, retries included; an image not fetched in time is held"},
	}, retentionFlags...)
}

func topicsFrom(c *cli.Context) pipelines.Topics {
	return pipelines.Topics{
		Chat: c.String("topic-chat"), Voice: c.String("topic-voice"), Images: c.String("topic-images"),
		Decisions: c.String("topic-decisions"), Actions: c.String("topic-actions"), DeadLetter: c.String("topic-dlq"),
	}
}

var databaseFlag = &cli.StringFlag{
	Name:    "database-url",
	Usage:   "postgres://… for PostgreSQL, shared by several instances (default: SQLite at <data-dir>/haechi.db)",
	EnvVars: []string{"HAECHI_DATABASE_URL"},
}

// openStore opens the configured database: PostgreSQL when --database-url
// is set, else SQLite under the data directory.
func openStore(c *cli.Context) (*store.Store, error) {
	if u := c.String("database-url"); u != "" {
		return store.OpenPostgres(c.Context, u)
	}
	return store.OpenSQLite(c.Context, filepath.Join(c.String("data-dir"), store.FileName))
}

// openStoreAndCore opens the database and builds the engine over it, the
// policy seeing each sender's history from the store, and the moderation
// service that stores decisions for the API and the worker alike.
func openStoreAndCore(c *cli.Context, log *slog.Logger, metrics *telemetry.Metrics) (*store.Store, *core, error) {
	st, err := openStore(c)
	if err != nil {
		return nil, nil, err
	}
	cfg := configFrom(c)
	cfg.Users = st.UserContexts(userContextTTL, 100_000)
	tracker, err := behaviour.NewTracker(behaviour.TrackerConfig{Persister: st})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	cfg.Behaviour = tracker
	sh := shadow.New(shadow.Config{Log: log.With("component", "shadow")})
	cfg.Shadow = sh
	waits := &waitSpaces{}
	cfg.DeferText = waits.defers
	k, err := newCore(c.Context, cfg, log)
	if err == nil {
		k.waits = waits
		k.behaviour = tracker
		k.stopExchange = shareBehaviour(tracker, st, log)
		err = k.followPolicy(st, metrics, log)
	}
	if err == nil {
		err = sh.Register(metrics.Registry)
	}
	if err == nil {
		err = registerPolicyStats(metrics.Registry, k.policy)
	}
	if err == nil {
		k.shadow = sh
		k.control, err = startPolicyControl(c.Context, st, k, sh, cfg.PolicyDir, c.Duration("policy-poll"), log)
	}
	if err == nil {
		err = k.startModeration(c, st, log, metrics)
	}
	if err != nil {
		k.close()
		sh.Close(context.Background())
		st.Close()
		return nil, nil, err
	}
	return st, k, nil
}

// followPolicy gives the store the serving bundle's review settings
// (report routing, case priorities) and the metrics its revision, now and
// whenever a reloaded bundle starts serving. A reloaded bundle whose
// review settings the store refuses is refused as a whole.
func (k *core) followPolicy(st *store.Store, metrics *telemetry.Metrics, log *slog.Logger) error {
	b := k.policy.Bundle()
	rc, err := store.ReviewConfigFromData(b.Data)
	if err != nil {
		return fmt.Errorf("policy bundle %s: %w", b.Revision, err)
	}
	if err := st.SetReview(rc); err != nil {
		return fmt.Errorf("policy bundle %s: %w", b.Revision, err)
	}
	metrics.SetRevision(b.Revision)
	if err := k.waits.load(b.Data); err != nil {
		log.Warn("policy bundle "+b.Revision+": "+err.Error(), "revision", b.Revision)
	}
	k.policy.Check = k.checkBundle
	k.policy.OnSwap = func(b *policy.Bundle) {
		metrics.SetRevision(b.Revision)
		if err := k.waits.load(b.Data); err != nil {
			log.Warn("policy bundle "+b.Revision+": "+err.Error(), "revision", b.Revision)
		}
		rc, err := store.ReviewConfigFromData(b.Data)
		if err == nil {
			err = st.SetReview(rc)
		}
		if err != nil {
			log.Error("review settings of the new policy revision not applied; the previous ones stay", "revision", b.Revision, "err", err)
		}
	}
	return nil
}

// checkBundle is what every bundle must pass before it serves or runs in
// the shadow, beyond compiling, passing its tests and agreeing with
// lib.computed_reached (policy.Engine.Load): thresholds for the loaded
// text models and review settings the store accepts.
func (k *core) checkBundle(b *policy.Bundle) error {
	if err := k.checkModels(b); err != nil {
		return err
	}
	_, err := store.ReviewConfigFromData(b.Data)
	return err
}

// behaviourExchange is how often an instance shares the marks behind its
// cross-sender counts (waves, link domains, pile-ons) with the others.
const behaviourExchange = time.Second

// shareBehaviour has t exchange its cross-sender marks through st every
// second until the returned stop is called, so that several workers count
// senders over each other's partitions too.
func shareBehaviour(t *behaviour.Tracker, st *store.Store, log *slog.Logger) (stop func()) {
	x := behaviour.NewExchanger(t, st, instanceID(), behaviourExchange)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	log = log.With("component", "behaviour")
	go func() {
		defer close(done)
		x.Run(ctx, func(err error) { log.Warn("sharing behavioural marks", "err", err) })
	}()
	return func() {
		cancel()
		<-done
	}
}

// startModeration builds k's moderation service over st, fetching
// images by reference from --blob-url-prefix.
func (k *core) startModeration(c *cli.Context, st *store.Store, log *slog.Logger, metrics *telemetry.Metrics) error {
	var blobs blob.Fetcher
	if prefixes := c.StringSlice("blob-url-prefix"); len(prefixes) > 0 {
		h := &blob.HTTP{Prefixes: prefixes}
		if err := h.Validate(); err != nil {
			return fmt.Errorf("--blob-url-prefix: %w", err)
		}
		blobs = h
	}
	k.wake = make(chan struct{}, 1)
	wake := func() {
		select {
		case k.wake <- struct{}{}:
		default:
		}
	}
	if k.ocr != nil {
		cfg := configFrom(c)
		workers := cfg.OCR.FollowUpWorkers
		if workers == 0 {
			workers = k.ocrEngines
		}
		fu, err := moderation.NewFollowUps(moderation.FollowUpConfig{
			Decider: k.pipeline, Store: st, Queue: cfg.OCR.FollowUpQueue, Workers: workers,
			OnQueued: wake, OnResult: metrics.ObserveFollowUp, OnQueueFull: metrics.FollowUpQueueFull,
			Log: log.With("component", "followup"),
		})
		if err != nil {
			return err
		}
		k.followUps = fu
	}
	svc, err := moderation.New(moderation.Config{
		Decider: k.pipeline, Store: st, Blobs: blobs, BlobBudget: c.Duration("blob-budget"),
		Log: log.With("component", "moderation"), OnRetry: metrics.ObserveRetry,
		OnQueued: wake, FollowUps: k.followUps,
	})
	if err != nil {
		return err
	}
	k.moderation = svc
	if k.followUps != nil {
		// Readings a previous run left are taken at once.
		k.followUps.Start()
	}
	return nil
}

// userContextTTL is how long a sender's history is cached for the policy.
const userContextTTL = 5 * time.Second

var brokerAddrFlag = &cli.StringFlag{Name: "broker-addr", Value: broker.DefaultAddr, Usage: "loopback address of the embedded broker", EnvVars: []string{"HAECHI_BROKER_ADDR"}}

// startEmbeddedBroker starts the embedded broker with its data under the
// data directory and says how external producers reach it.
func startEmbeddedBroker(c *cli.Context, log *slog.Logger) (*broker.Broker, error) {
	dir := filepath.Join(c.String("data-dir"), "kafka")
	b, err := broker.Start(broker.Config{DataDir: dir, Addr: c.String("broker-addr"), Logger: log})
	if err != nil {
		return nil, fmt.Errorf("embedded broker: %w", err)
	}
	log.Info("embedded Kafka-protocol broker listening; point producers at it with bootstrap.servers="+b.Addr(),
		"addr", b.Addr(), "data", dir, "topics", pipelines.DefaultTopics.Inputs())
	return b, nil
}

func brokerCommand() *cli.Command {
	return &cli.Command{
		Name:  "broker",
		Usage: "run the embedded Kafka-protocol broker alone (single-machine mode)",
		Description: `Runs the broker haechi serve embeds, on loopback, with topics and committed
offsets kept under --data-dir/kafka. Workers and producers reach it with
--kafka-brokers 127.0.0.1:9092. For production, use a real Kafka cluster.`,
		Flags: []cli.Flag{dataDirFlag, brokerAddrFlag, &cli.BoolFlag{Name: "create-topics", Value: true, Usage: "create Haechi's topics at start-up"}},
		Action: func(c *cli.Context) error {
			log, err := logger(c)
			if err != nil {
				return err
			}
			b, err := startEmbeddedBroker(c, log)
			if err != nil {
				return err
			}
			defer b.Close()
			if c.Bool("create-topics") {
				ctx, cancel := context.WithTimeout(c.Context, 30*time.Second)
				err := pipelines.EnsureTopics(ctx, []string{b.Addr()}, pipelines.DefaultTopics, 1)
				cancel()
				if err != nil {
					return err
				}
			}
			<-c.Context.Done()
			log.Info("broker stopping")
			return nil
		},
	}
}

// streaming is a running worker and what it needs.
type streaming struct {
	brokers []string
	broker  *broker.Broker // nil with external brokers
	done    chan struct{}
}

// startStreaming starts the embedded broker when no brokers are
// configured (and embedded is allowed), creates topics, and runs one
// worker and the outbox relay in the background until ctx ends.
func startStreaming(ctx context.Context, c *cli.Context, k *core, st *store.Store, reg prometheus.Registerer, log *slog.Logger, embedded bool) (*streaming, error) {
	s := &streaming{brokers: c.StringSlice("kafka-brokers"), done: make(chan struct{})}
	if len(s.brokers) == 0 {
		if !embedded {
			return nil, errors.New("--kafka-brokers is required (haechi serve runs an embedded broker when it is not set)")
		}
		b, err := startEmbeddedBroker(c, log)
		if err != nil {
			return nil, err
		}
		s.broker, s.brokers = b, []string{b.Addr()}
	}
	topics := topicsFrom(c)
	ret, err := retentionFrom(c)
	if err != nil {
		s.close()
		return nil, err
	}
	if c.Bool("create-topics") {
		tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := pipelines.EnsureTopics(tctx, s.brokers, topics, 1)
		cancel()
		if err != nil {
			s.close()
			return nil, err
		}
	}
	session, heartbeat, rebalance, err := groupTimings(c)
	if err != nil {
		s.close()
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	checked, err := pipelines.CheckSessionTimeout(cctx, s.brokers, session)
	cancel()
	if err != nil {
		s.close()
		return nil, fmt.Errorf("--kafka-session-timeout: %w", err)
	}
	if !checked {
		log.Warn("the brokers did not say which session timeouts they accept; a --kafka-session-timeout outside them makes every join fail", "session_timeout", session)
	}
	w, err := pipelines.NewWorker(pipelines.WorkerConfig{
		SessionTimeout: session, HeartbeatInterval: heartbeat, RebalanceTimeout: rebalance,
		Brokers: s.brokers, Group: c.String("kafka-group"), Topics: topics,
		Moderator: k.moderation, Metrics: pipelines.NewMetrics(reg), Log: log.With("component", "worker"),
		BatchSize: c.Int("batch-size"), LogDecisions: c.Bool("log-decisions") || c.Float64("demo-rate") > 0,
		Behaviour: k.behaviour, BehaviourSave: c.Duration("behaviour-save"),
	})
	if err != nil {
		s.close()
		return nil, err
	}
	relay := pipelines.NewRelay(s.brokers, pipelines.RelayTopics{Actions: topics.Actions, Decisions: topics.Decisions}, st, relayInterval, k.wake, log.With("component", "outbox"))
	relayed := make(chan struct{})
	go func() {
		defer close(relayed)
		// The search index's Forget is wired as the job's Index.
		go housekeeping(ctx, st, &retention.Job{Store: st, Retention: ret, Log: log.With("component", "retention")}, log)
		relay.Run(ctx)
	}()
	go func() {
		defer close(s.done)
		w.Run(ctx)
		<-relayed
	}()
	log.Info("pipeline worker started", "brokers", s.brokers, "group", c.String("kafka-group"), "inputs", topics.Inputs())
	return s, nil
}

// housekeeping runs the store's upkeep (housekeeper.round) every half
// minute until ctx ends.
func housekeeping(ctx context.Context, st *store.Store, job *retention.Job, log *slog.Logger) {
	h := &housekeeper{st: st, retention: job, log: log}
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		h.round(ctx, time.Now())
	}
}

// housekeeper is the store's upkeep that no request does: it samples
// the dashboards' figures and marks cases past their queue's SLA, which
// raises them to the top of their queue, and once an hour runs the
// retention job (personal data past its period: engine/retention) and
// deletes the reviewer UI's expired sessions (refused whether or not they
// are deleted, but kept forever otherwise).
type housekeeper struct {
	st        *store.Store
	retention *retention.Job
	log       *slog.Logger
	// hourly is when the hourly chores last ran.
	hourly time.Time
}

// round does what is due at now; failures are logged, and the next round
// tries again.
func (h *housekeeper) round(ctx context.Context, now time.Time) {
	// Figures for the dashboards; once per 5 minutes however many
	// processes call it.
	if err := h.st.SampleStats(ctx, now); err != nil {
		h.log.Error("dashboard figures not sampled", "err", err)
	}
	if n, err := h.st.MarkOverdue(ctx, now); err != nil {
		h.log.Error("marking overdue cases", "err", err)
	} else if n > 0 {
		h.log.Warn("cases past their SLA", "cases", n)
	}
	if now.Sub(h.hourly) < time.Hour {
		return
	}
	h.hourly = now
	if err := h.retention.Run(ctx, now); err != nil {
		h.log.Error("retention round failed", "err", err)
	}
	if n, err := h.st.PruneSessions(ctx, now); err != nil {
		h.log.Error("deleting expired sessions", "err", err)
	} else if n > 0 {
		h.log.Info("expired reviewer sessions deleted", "sessions", n)
	}
}

// relayInterval is how often the outbox relay looks for actions queued by
// other processes (API instances, moderators); actions queued in this
// process wake it at once.
const relayInterval = 200 * time.Millisecond

// wait waits for the worker to finish (after its context ended) and
// closes the embedded broker.
func (s *streaming) wait() {
	<-s.done
	s.close()
}

func (s *streaming) close() {
	if s.broker != nil {
		s.broker.Close()
	}
}

var batchSizeFlag = &cli.IntFlag{Name: "batch-size", Value: 500, Usage: "most input messages decided together"}

// groupTimingFlags are the consumer group's timings: how soon a worker
// that died is noticed and its partitions handed to the others.
var groupTimingFlags = []cli.Flag{
	&cli.DurationFlag{Name: "kafka-session-timeout", Value: 10 * time.Second, Usage: "a worker silent this long is taken out of the group and its partitions move to the others (a crashed worker's events wait this long)"},
	&cli.DurationFlag{Name: "kafka-heartbeat", Value: time.Second, Usage: "how often a worker tells the group it is alive; at most a third of --kafka-session-timeout"},
	&cli.DurationFlag{Name: "kafka-rebalance-timeout", Value: 10 * time.Second, Usage: "how long the group waits for its members to rejoin after a change"},
}

// groupTimings reads groupTimingFlags, refusing a heartbeat too slow for
// the session timeout (the group would drop live workers).
func groupTimings(c *cli.Context) (session, heartbeat, rebalance time.Duration, err error) {
	session, heartbeat, rebalance = c.Duration("kafka-session-timeout"), c.Duration("kafka-heartbeat"), c.Duration("kafka-rebalance-timeout")
	switch {
	case session < time.Second || heartbeat <= 0 || rebalance < time.Second:
		err = fmt.Errorf("--kafka-session-timeout and --kafka-rebalance-timeout must be at least 1s and --kafka-heartbeat positive")
	case 3*heartbeat > session:
		err = fmt.Errorf("--kafka-heartbeat %v is more than a third of --kafka-session-timeout %v: live workers would be dropped from the group", heartbeat, session)
	}
	return
}

// behaviourSaveFlag is how often the worker saves its partitions'
// behavioural state.
var behaviourSaveFlag = &cli.DurationFlag{Name: "behaviour-save", Value: 30 * time.Second,
	Usage: "how often the worker saves the behavioural state of its partitions (also at every rebalance and at stop); a crash loses the counts since the last save, and each save writes about 200 bytes per active sender"}

var logDecisionsFlag = &cli.BoolFlag{Name: "log-decisions", Usage: "log every restricting decision (ids, rules, categories; never content); on with --demo-rate"}

func workerCommand() *cli.Command {
	return &cli.Command{
		Name:  "worker",
		Usage: "consume chat, voice and image events from Kafka and publish decisions",
		Description: `Joins --kafka-group on the input topics, decides each event, stores the
decision (one per event id, under --data-dir), publishes it to the decisions
topic (and an action for restricting ones), and only then commits offsets.
Malformed events go to the dead-letter topic with the reason in headers.
Several workers in one group share the partitions. SIGTERM finishes the
batch in hand, commits it and leaves the group.`,
		Flags: engineFlags(append(append(kafkaFlags(), groupTimingFlags...), batchSizeFlag, logDecisionsFlag, databaseFlag, policyPollFlag, behaviourSaveFlag,
			auditKeyFlag, elasticsearchFlag, elasticsearchIndexFlag,
			&cli.StringFlag{Name: "metrics-addr", Value: "127.0.0.1:9464", Usage: "listen address of /metrics and /healthz; empty for none"})...),
		Action: func(c *cli.Context) error {
			log, err := logger(c)
			if err != nil {
				return err
			}
			metrics := telemetry.New()
			st, k, err := openStoreAndCore(c, log, metrics)
			if err != nil {
				return err
			}
			defer st.Close()
			defer k.close()
			signing, err := startAuditCheckpoints(c, st, log)
			if err != nil {
				return err
			}
			defer signing.Stop()
			reg := metrics.Registry
			var srv *http.Server
			if addr := c.String("metrics-addr"); addr != "" {
				ln, err := net.Listen("tcp", addr)
				if err != nil {
					return fmt.Errorf("--metrics-addr: %w", err)
				}
				mux := http.NewServeMux()
				mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
				mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
				srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
				go srv.Serve(ln)
				defer srv.Close()
			}
			s, err := startStreaming(c.Context, c, k, st, reg, log, false)
			if err != nil {
				return err
			}
			// With Elasticsearch, workers index the decisions they publish
			// and follow the store's change feed (one process at a time).
			indexed := func() {}
			if c.String("elasticsearch-url") != "" {
				searching, err := openSearch(c, st, log)
				if err != nil {
					return err
				}
				indexed = searching.run(c.Context, s.brokers, c.String("topic-decisions"), log)
			}
			s.wait()
			indexed()
			log.Info("worker stopped")
			return nil
		},
	}
}

// registerPolicyStats exports the policy engine's counts: decisions made,
// and those the fast path and the proven reached and input shapes made
// without evaluating the policy.
func registerPolicyStats(reg prometheus.Registerer, e *policy.Engine) error {
	for _, c := range []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "haechi_policy_evaluations_total",
			Help: "Inputs the policy engine decided, the fast path's included.",
		}, func() float64 { return float64(e.Stats().Decided) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "haechi_policy_fast_path_total",
			Help: "Inputs decided by the fast path for messages that reach no rule, without evaluating the policy (proven per bundle at load).",
		}, func() float64 { return float64(e.Stats().Fast) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "haechi_policy_shape_total",
			Help: "Inputs decided by a proven shape: quiet but for the levels they reach, whose decision was proven from the bundle for that combination of levels, without evaluating the policy.",
		}, func() float64 { return float64(e.Stats().Shaped) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "haechi_policy_input_shape_total",
			Help: "Inputs decided by a proven input shape: every field but counts, scores, ids and lengths the same as a message whose decision was proven from the bundle for all of those, without evaluating the policy.",
		}, func() float64 { return float64(e.Stats().InputShaped) }),
	} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
	}
	return nil
}
