// Package api serves Haechi over HTTP to the world platform: the
// synchronous pre-send check POST /v1/moderate, citizens' reports and
// appeals (POST and GET /v1/reports, /v1/appeals), statements of reasons
// for decisions (GET /v1/decisions/{id}/statement), the redacted copies of
// images that redact decisions name (GET /v1/redacted-images/{id}), its own OpenAPI
// document (GET /v1/openapi.json), health and readiness probes, and
// Prometheus metrics. routes.go lists every route in one table that both
// the server and the test of the OpenAPI document read.
//
// # Authentication
//
// With Config.Keys set, every /v1/ route but /v1/openapi.json needs an API
// key (see store.CreateAPIKey) sent as "Authorization: Bearer hk_…" or
// "X-API-Key: hk_…", holding the route's scope: moderate, report:write,
// report:read, appeal:write, appeal:read or statement:read. A missing or
// invalid key is answered 401 with WWW-Authenticate, a key without the
// scope 403. With Config.Keys nil (the embedded single-machine default,
// where the API listens for the local world platform only) nothing is
// authenticated: whoever reaches the port may use every route.
//
// # Trust model
//
// Citizens never call this API themselves. The world platform
// authenticates them and calls it with its own key, vouching for the
// reporter_id and appellant_id it sends: one key may file reports and
// appeals for anyone, and Haechi cannot tell a citizen it names from one
// it invents. So limits apply per key as well as per person: a leaked
// key, or a platform gone wrong, may file only so many reports and
// appeals a minute and a day (Config.KeyLimits: 600 and 20,000 reports,
// 300 and 10,000 appeals by default), and is answered 429 with
// Retry-After beyond them while other keys keep working. Without keys the
// one anonymous caller is limited as one key. Revoking a key
// (store.RevokeAPIKey) stops it at once.
//
// # Reports and privacy
//
// Responses never name the reporter or the appellant and never expose
// internal case ids or moderators; the log gets report and appeal ids,
// never report details, appeal reasons or user ids. Each reporter may file
// Config.ReportLimits reports a minute and a day (10 and 100 by default):
// the minute is counted in memory per process, the day in the store, so
// with several API instances the minute limit applies per instance. The
// per-key limits are counted in memory, both periods, per instance.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/moderation"
	"github.com/haechi-tns/haechi/engine/store"
	"github.com/haechi-tns/haechi/engine/telemetry"
)

// Moderator decides one event and stores the decision; the moderation
// service (*moderation.Service), which the Kafka worker uses too,
// implements it.
type Moderator interface {
	Moderate(ctx context.Context, ev *engine.Event) (moderation.Result, error)
}

// ReviewStore is the storage the reports, appeals and statements routes
// use; *store.Store implements it.
type ReviewStore interface {
	FileReport(ctx context.Context, r *store.Report, now time.Time) (*store.Report, error)
	ReportStatus(ctx context.Context, id string) (*store.ReportStatus, error)
	CountRecentReports(ctx context.Context, reporterID string, since time.Time) (int, error)
	FileAppeal(ctx context.Context, decisionID, appellantID, reason string, now time.Time) (*store.Appeal, error)
	AppealByID(ctx context.Context, id string) (*store.Appeal, error)
	Decision(ctx context.Context, id string) (*engine.Decision, error)
	ClosedCaseForEvent(ctx context.Context, eventID string) (*store.Case, error)
	CaseGround(ctx context.Context, caseID string) (string, error)
	// RedactedImage returns a redacted copy of an image by its id.
	RedactedImage(ctx context.Context, id string) (contentType string, data []byte, err error)
}

// KeyAuthenticator checks API keys; *store.Store implements it. It returns
// an error wrapping store.ErrInvalidAPIKey for a key that is not valid.
type KeyAuthenticator interface {
	AuthenticateAPIKey(ctx context.Context, secret string) (store.APIKey, error)
}

var (
	_ ReviewStore      = (*store.Store)(nil)
	_ KeyAuthenticator = (*store.Store)(nil)
)

// RateLimits bounds how many reports one reporter may file. Zero fields
// take the defaults; a negative field means no limit.
type RateLimits struct {
	PerMinute int // default 10
	PerDay    int // default 100, over the last 24 hours
}

// Default report limits.
const (
	DefaultReportsPerMinute = 10
	DefaultReportsPerDay    = 100
)

// Config wires a Server. Routes whose dependency is nil are left out:
// POST /v1/moderate without a Moderator, reports, appeals and statements
// without a Store, /metrics without Metrics.
type Config struct {
	Moderator Moderator
	// ModerateTimeout bounds one POST /v1/moderate, storing included
	// (default 10 s): with the database down, the client hears so
	// instead of waiting.
	ModerateTimeout time.Duration
	Metrics         *telemetry.Metrics
	Log             *slog.Logger
	// Ready reports whether the process can serve traffic; nil means always.
	Ready func() error
	// Now is the clock for received_at stamps, reports, appeals and rate
	// limits; nil means time.Now.
	Now func() time.Time
	// Store keeps reports and appeals and the decisions statements are
	// written for.
	Store ReviewStore
	// Keys authenticates API keys; nil serves every route unauthenticated
	// (see the package documentation).
	Keys KeyAuthenticator
	// ReportLimits bounds reports per reporter.
	ReportLimits RateLimits
	// KeyLimits bounds reports and appeals per API key, whoever they
	// name (see the package documentation's trust model).
	KeyLimits KeyLimits
	// AppealURL is where statements of reasons tell users to POST an
	// appeal: the absolute URL of this API's /v1/appeals as the world
	// platform reaches it. Empty means the path "/v1/appeals".
	AppealURL string
}

// Validate checks the configuration before New.
func (c *Config) Validate() error {
	if c.Moderator == nil && c.Store == nil {
		return errors.New("api: config: nothing to serve: set a Moderator, a Store or both")
	}
	if c.AppealURL != "" {
		u, err := url.Parse(c.AppealURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("api: config: appeal URL %q is not an absolute http(s) URL", c.AppealURL)
		}
	}
	return nil
}

// Server is the HTTP API. It is safe for concurrent use and starts no
// goroutines.
type Server struct {
	cfg        Config
	mux        *http.ServeMux
	perMinute  *window
	dayBlocked *blocklist
	// keyReports and keyAppeals count what each API key files.
	keyReports, keyAppeals *keyLimit
}

// maxBodyBytes bounds a request body to POST /v1/moderate: the largest
// valid event.
const maxBodyBytes = engine.MaxEventBytes

// New builds the server and registers its routes.
func New(cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.AppealURL == "" {
		cfg.AppealURL = "/v1/appeals"
	}
	if cfg.ModerateTimeout <= 0 {
		cfg.ModerateTimeout = 10 * time.Second
	}
	if cfg.ReportLimits.PerMinute == 0 {
		cfg.ReportLimits.PerMinute = DefaultReportsPerMinute
	}
	if cfg.ReportLimits.PerDay == 0 {
		cfg.ReportLimits.PerDay = DefaultReportsPerDay
	}
	cfg.KeyLimits.setDefaults()
	s := &Server{
		cfg:        cfg,
		mux:        http.NewServeMux(),
		perMinute:  newWindow(cfg.ReportLimits.PerMinute, time.Minute),
		dayBlocked: &blocklist{until: map[string]time.Time{}},
		keyReports: newKeyLimit(cfg.KeyLimits.ReportsPerMinute, cfg.KeyLimits.ReportsPerDay),
		keyAppeals: newKeyLimit(cfg.KeyLimits.AppealsPerMinute, cfg.KeyLimits.AppealsPerDay),
	}
	for _, rt := range s.routes() {
		if rt.enabled {
			s.mux.Handle(rt.pattern(), s.authorize(rt.scope, rt.handler))
		}
	}
	return s
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// moderate decides one event through the moderation service, as the
// stream does, and answers with the stored decision: the same decision
// for a repeat of the event, a 409 for other content under its id.
func (s *Server) moderate(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body, err := readBody(w, r, maxBodyBytes)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ev, err := engine.DecodeEvent(body)
	if err != nil {
		s.observeError(true)
		s.writeError(w, r, err)
		return
	}
	if ev.ReceivedAt.IsZero() {
		ev.ReceivedAt = s.cfg.Now().UTC()
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.ModerateTimeout)
	defer cancel()
	res, err := s.cfg.Moderator.Moderate(ctx, ev)
	switch {
	case errors.Is(err, moderation.ErrConflict):
		s.observeError(true)
		s.writeError(w, r, &Error{Status: http.StatusConflict, Code: "conflict",
			Message: "event " + strconv.Quote(ev.ID) + " was decided before for other content; send new content under a new id", cause: err})
		return
	case err != nil:
		s.observeError(engine.IsValidationError(err))
		s.writeError(w, r, err)
		return
	}
	d := res.Decision
	if s.cfg.Metrics != nil && !res.Repeat {
		s.cfg.Metrics.ObserveDecision(d, time.Since(start))
	}
	s.cfg.Log.Debug("decided", "event_id", ev.ID, "decision_id", d.ID, "action", d.Action, "repeat", res.Repeat)
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) observeError(invalid bool) {
	if s.cfg.Metrics != nil {
		s.cfg.Metrics.ObserveError(invalid)
	}
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(); err != nil {
			s.writeError(w, r, &Error{Status: http.StatusServiceUnavailable, Code: "not_ready", Message: "not ready", cause: err})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	// The status line is sent; a failed write means the client went away.
	_ = enc.Encode(v)
}
