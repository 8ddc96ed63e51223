// Package api serves Haechi over HTTP: the synchronous pre-send check
// POST /v1/moderate that the world platform calls before delivering a chat
// message, health and readiness probes, and Prometheus metrics. Later the
// reports and appeals API joins it here.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/telemetry"
)

// Decider decides one event; *engine.Pipeline implements it.
type Decider interface {
	Decide(ctx context.Context, ev *engine.Event) (*engine.Decision, error)
}

// Config wires a Server.
type Config struct {
	Decider Decider
	Metrics *telemetry.Metrics
	Log     *slog.Logger
	// Ready reports whether the process can serve traffic; nil means always.
	Ready func() error
	// Now is the clock for received_at stamps; nil means time.Now.
	Now func() time.Time
}

// Server is the HTTP API.
type Server struct {
	cfg Config
	mux *http.ServeMux
}

// maxBodyBytes bounds a request body: the largest valid event.
const maxBodyBytes = engine.MaxEventBytes

// New builds the server and its routes.
func New(cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux()}
	s.mux.HandleFunc("POST /v1/moderate", s.moderate)
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	if cfg.Metrics != nil {
		s.mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Metrics.Registry, promhttp.HandlerOpts{}))
	}
	return s
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// moderate decides one event and answers with the decision.
func (s *Server) moderate(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			s.writeError(w, r, &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
				Message: "send the event with Content-Type: application/json, not " + ct})
			return
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.writeError(w, r, &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: "request body is over the limit of " + itoa(maxBodyBytes) + " bytes"})
			return
		}
		s.writeError(w, r, &Error{Status: http.StatusBadRequest, Code: "unreadable_body", Message: "could not read the request body", cause: err})
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
	d, err := s.cfg.Decider.Decide(r.Context(), ev)
	if err != nil {
		s.observeError(engine.IsValidationError(err))
		s.writeError(w, r, err)
		return
	}
	if s.cfg.Metrics != nil {
		s.cfg.Metrics.ObserveDecision(d, time.Since(start))
	}
	s.cfg.Log.Debug("decided", "event_id", ev.ID, "decision_id", d.ID, "action", d.Action)
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
