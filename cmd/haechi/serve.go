package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/classifiers/hashbank"
	"github.com/haechi-tns/haechi/engine/api"
	"github.com/haechi-tns/haechi/engine/telemetry"
	reviewerui "github.com/haechi-tns/haechi/reviewer-ui"
)

// shutdownGrace bounds how long serve waits for requests in flight when it
// is told to stop.
const shutdownGrace = 10 * time.Second

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "run Haechi: the Kafka pipeline, the moderation API, health probes and metrics",
		Description: `Runs a pipeline worker on the input topics (see haechi worker) and serves
POST /v1/moderate (the synchronous pre-send check), /healthz, /readyz and
/metrics. Without --kafka-brokers it starts the embedded Kafka-protocol
broker on 127.0.0.1:9092 with its data under --data-dir; with it, nothing
embedded starts. --demo-rate N also produces N demo events a second (see
haechi demo). With --policies, the folder is watched and a changed
bundle that compiles and passes its tests replaces the serving one while
traffic flows; a bundle that fails is refused and the old one keeps serving.
Hash banks under --data-dir are reloaded when they change.`,
		Flags: engineFlags(append(append(kafkaFlags(), groupTimingFlags...),
			&cli.StringFlag{Name: "addr", Value: "127.0.0.1:8080", Usage: "listen address", EnvVars: []string{"HAECHI_ADDR"}},
			&cli.BoolFlag{Name: "watch", Value: true, Usage: "reload --policies when its files change"},
			&cli.BoolFlag{Name: "pipeline", Value: true, Usage: "run a pipeline worker (and the embedded broker without --kafka-brokers)"},
			&cli.Float64Flag{Name: "demo-rate", Usage: "produce this many demo events a second to the input topics"},
			brokerAddrFlag, batchSizeFlag, logDecisionsFlag, databaseFlag, policyPollFlag, behaviourSaveFlag,
			auditKeyFlag,
			&cli.BoolFlag{Name: "require-keys", Usage: "require an API key (haechi apikeys create) on every /v1 route", EnvVars: []string{"HAECHI_REQUIRE_KEYS"}},
			&cli.StringFlag{Name: "public-url", Usage: "the API's address as the world platform reaches it, for the appeal links in statements of reasons", EnvVars: []string{"HAECHI_PUBLIC_URL"}},
			&cli.BoolFlag{Name: "ui-behind-tls", Usage: "reviewers reach /ui/ over HTTPS through a proxy: mark its cookies Secure", EnvVars: []string{"HAECHI_UI_BEHIND_TLS"}},
			elasticsearchFlag, elasticsearchIndexFlag,
		)...),
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

			ln, err := net.Listen("tcp", c.String("addr"))
			if err != nil {
				return fmt.Errorf("--addr: %w", err)
			}
			acfg := api.Config{Moderator: k.moderation, Metrics: metrics, Log: log, Store: st}
			if c.Bool("require-keys") {
				acfg.Keys = st
			}
			if u := strings.TrimSuffix(c.String("public-url"), "/"); u != "" {
				acfg.AppealURL = u + "/v1/appeals"
			}
			if err := acfg.Validate(); err != nil {
				return err
			}
			searching, err := openSearch(c, st, log)
			if err != nil {
				return err
			}
			// The reviewer UI shares the listener under /ui/.
			ui, err := reviewerui.New(reviewerui.Config{Store: st, Accounts: st, Log: log, SecureCookies: c.Bool("ui-behind-tls"), AppealURL: acfg.AppealURL,
				AuditPublicKey: signing.Public, AuditJournal: signing.Journal, Search: searching.index})
			if err != nil {
				return err
			}
			handler := http.NewServeMux()
			handler.Handle("/ui/", ui)
			handler.Handle("/", api.New(acfg))
			srv := &http.Server{
				Handler:           handler,
				ReadHeaderTimeout: 5 * time.Second,
				ReadTimeout:       30 * time.Second,
				WriteTimeout:      30 * time.Second,
				IdleTimeout:       2 * time.Minute,
			}

			ctx, cancel := context.WithCancel(c.Context)
			defer cancel()
			var wg sync.WaitGroup
			if dir := c.String("policies"); dir != "" && c.Bool("watch") {
				wg.Go(func() {
					if err := k.policy.Watch(ctx, dir); err != nil {
						log.Error("policy watch stopped", "err", err)
					}
				})
			}
			// Banks imported while Haechi runs (haechi hashes import) are
			// picked up without a restart.
			banks := filepath.Join(c.String("data-dir"), "banks")
			wg.Go(func() {
				err := hashbank.Watch(ctx, banks, func(s *hashbank.Set) {
					k.images.SetBanks(s)
					log.Info("hash banks reloaded", "banks", len(s.Banks()))
				}, func(err error) { log.Error("hash banks not reloaded; previous banks keep serving", "err", err) })
				if err != nil {
					log.Error("hash bank watch stopped", "err", err)
				}
			})
			var stream *streaming
			if c.Bool("pipeline") {
				if stream, err = startStreaming(ctx, c, k, st, metrics.Registry, log, true); err != nil {
					return err
				}
				if rate := c.Float64("demo-rate"); rate > 0 {
					wg.Go(func() {
						if err := runDemo(ctx, stream.brokers, topicsFrom(c), rate, 0, uint64(time.Now().UnixNano()), log); err != nil {
							log.Error("demo traffic stopped", "err", err)
						}
					})
				}
			}
			var brokers []string
			if stream != nil {
				brokers = stream.brokers
			}
			indexed := searching.run(ctx, brokers, c.String("topic-decisions"), log)
			serveErr := make(chan error, 1)
			wg.Go(func() { serveErr <- srv.Serve(ln) })
			log.Info("haechi serving", "addr", ln.Addr().String(), "policy_revision", k.policy.Revision(),
				"try", fmt.Sprintf("curl -s http://%s/v1/moderate -H 'Content-Type: application/json' -d @fixtures/events/chat_ko_profanity.json", ln.Addr()))
			log.Info("reviewer UI serving", "url", fmt.Sprintf("http://%s/ui/", ln.Addr()),
				"sign_in", "haechi users add --role admin NAME (with this command's --data-dir or --database-url) creates an account and prints its one-time password, to be changed at first sign-in")

			select {
			case <-c.Context.Done():
				log.Info("shutting down")
			case err = <-serveErr:
			}
			shutCtx, done := context.WithTimeout(context.Background(), shutdownGrace)
			defer done()
			if shutErr := srv.Shutdown(shutCtx); shutErr != nil {
				log.Error("shutdown", "err", shutErr)
			}
			cancel()
			wg.Wait()
			indexed()
			if stream != nil {
				stream.wait()
			}
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
}

// apiCommand is serve without the pipeline and with API keys required: the
// stateless API instances of a scaled-out deployment, in front of one
// PostgreSQL database (--database-url).
func apiCommand() *cli.Command {
	cmd := serveCommand()
	cmd.Name = "api"
	cmd.Usage = "serve the in-world HTTP API only (reports, appeals, statements, moderate), with API keys required"
	cmd.Description = `Serves POST /v1/moderate, POST/GET /v1/reports, POST/GET /v1/appeals,
GET /v1/decisions/{id}/statement and /v1/openapi.json, with /healthz,
/readyz and /metrics. Every /v1 route needs an API key with the route's
scope (haechi apikeys create). Run several behind a load balancer with
--database-url postgres://…; the pipeline runs in haechi worker.`
	for i, f := range cmd.Flags {
		switch f.Names()[0] {
		case "pipeline":
			cmd.Flags[i] = &cli.BoolFlag{Name: "pipeline", Value: false, Usage: "also run a pipeline worker"}
		case "require-keys":
			cmd.Flags[i] = &cli.BoolFlag{Name: "require-keys", Value: true, Usage: "require an API key on every /v1 route", EnvVars: []string{"HAECHI_REQUIRE_KEYS"}}
		}
	}
	return cmd
}
