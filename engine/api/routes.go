package api

import (
	_ "embed"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/haechi-tns/haechi/engine/store"
)

// route is one method and path the server answers.
type route struct {
	method, path string
	// scope is the API key scope the route needs when keys are checked;
	// empty for public routes.
	scope   string
	enabled bool // whether its dependencies are configured
	handler http.Handler
}

func (rt route) pattern() string { return rt.method + " " + rt.path }

// routes is the single list of the server's routes: New registers the
// enabled ones, and the tests check it against openapi.json both ways.
func (s *Server) routes() []route {
	hasStore := s.cfg.Store != nil
	var metrics http.Handler = http.NotFoundHandler()
	if s.cfg.Metrics != nil {
		metrics = promhttp.HandlerFor(s.cfg.Metrics.Registry, promhttp.HandlerOpts{})
	}
	return []route{
		{"POST", "/v1/moderate", store.ScopeModerate, s.cfg.Moderator != nil, http.HandlerFunc(s.moderate)},
		{"POST", "/v1/reports", store.ScopeReportWrite, hasStore, http.HandlerFunc(s.postReport)},
		{"GET", "/v1/reports/{id}", store.ScopeReportRead, hasStore, http.HandlerFunc(s.getReport)},
		{"POST", "/v1/appeals", store.ScopeAppealWrite, hasStore, http.HandlerFunc(s.postAppeal)},
		{"GET", "/v1/appeals/{id}", store.ScopeAppealRead, hasStore, http.HandlerFunc(s.getAppeal)},
		{"GET", "/v1/decisions/{id}/statement", store.ScopeStatementRead, hasStore, http.HandlerFunc(s.getStatement)},
		{"GET", "/v1/redacted-images/{id}", store.ScopeModerate, hasStore, http.HandlerFunc(s.getRedactedImage)},
		{"GET", "/v1/openapi.json", "", true, http.HandlerFunc(s.openAPI)},
		{"GET", "/healthz", "", true, http.HandlerFunc(s.healthz)},
		{"GET", "/readyz", "", true, http.HandlerFunc(s.readyz)},
		{"GET", "/metrics", "", s.cfg.Metrics != nil, metrics},
	}
}

// openAPIDocument describes every route; it is written by hand and kept
// honest by TestOpenAPIMatchesRoutes.
//
//go:embed openapi.json
var openAPIDocument []byte

func (s *Server) openAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	// The status line is sent; a failed write means the client went away.
	_, _ = w.Write(openAPIDocument)
}
