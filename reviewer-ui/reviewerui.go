package reviewerui

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/haechi-tns/haechi/engine/search"
	"github.com/haechi-tns/haechi/engine/store"
)

// basePath is where the UI is mounted; every route and cookie is under it.
const basePath = "/ui/"

// Config wires a Server.
type Config struct {
	// Store holds the cases; required.
	Store Store
	// Accounts signs reviewers in; required.
	Accounts Accounts
	Log      *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Lease is how long a claimed case stays with its reviewer without
	// a heartbeat from its open page (every 30 s while the tab is
	// visible); default 10 minutes, at least 2.
	Lease time.Duration
	// SecureCookies marks cookies Secure even on plain HTTP requests:
	// set it when a proxy in front terminates TLS. Requests that came
	// over TLS get Secure cookies regardless.
	SecureCookies bool
	// AppealURL is where a user POSTs an appeal, shown in statements of
	// reasons; default /v1/appeals.
	AppealURL string
	// PageSize is how many cases a queue page lists; default 50.
	PageSize int
	// AuditPublicKey, when set, is the public key of the audit log's
	// signing key: the audit view checks the chain against the
	// checkpoints it signed, in the database and in the journal at
	// AuditJournal (if set). Without it the view checks only that the
	// chain links.
	AuditPublicKey ed25519.PublicKey
	AuditJournal   string
	// SignInsPerMinute is how many attempts to prove a password (sign-in
	// or password change) one address may make a minute; default 20.
	SignInsPerMinute int
	// ReblurAfter is how long the original of an image shows after a
	// click before the case page blurs it again; default 10 s.
	ReblurAfter time.Duration
	// YouthSafetyCases and YouthSafetyTime cap a reviewer's day (in KST)
	// in the youth_safety queue, for their own wellbeing: once they have
	// claimed that many of its cases, or held its cases that long, claiming
	// there is refused until the next day (wellbeing.go); defaults 40 cases
	// and 2 h.
	YouthSafetyCases int
	YouthSafetyTime  time.Duration
	// BreakAfter is how long a reviewer works in one session before the
	// page suggests a break, which they may snooze; default 60 minutes.
	BreakAfter time.Duration
	// Search is the search index of the search page (search.go); nil
	// leaves the page out.
	Search search.Index
}

// DefaultLease is the lease of a claimed case without heartbeats.
const DefaultLease = 10 * time.Minute

// heartbeat is how often an open case page extends its lease; the lease
// must outlast a few missed beats.
const heartbeat = 30 * time.Second

// Validate checks the configuration; New calls it after filling in
// defaults.
func (c *Config) Validate() error {
	switch {
	case c.Store == nil:
		return errors.New("reviewerui: a store is required")
	case c.Accounts == nil:
		return errors.New("reviewerui: accounts are required")
	case c.Lease != 0 && c.Lease < 4*heartbeat:
		return fmt.Errorf("reviewerui: a lease of %v is shorter than four heartbeats (%v)", c.Lease, 4*heartbeat)
	case c.PageSize < 0 || c.PageSize > 500:
		return fmt.Errorf("reviewerui: page size %d out of 1..500", c.PageSize)
	case c.YouthSafetyCases < 0 || c.YouthSafetyTime < 0 || c.BreakAfter < 0:
		return errors.New("reviewerui: wellbeing limits may not be negative")
	}
	return nil
}

// Server is the reviewer UI, an http.Handler for the paths under /ui/.
type Server struct {
	cfg     Config
	handler http.Handler
	pages   pages
	audit   auditVerifier // audit.go
	msgs    catalogues
	static  *staticFiles
	limiter *store.SignInLimiter
	content *contentTools // content.go, image.go
}

// New checks cfg, parses the templates and message catalogues, and
// returns the UI. Everything it reads is embedded in the binary, so an
// error here is a broken build, found at start-up rather than on a page.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Lease == 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.AppealURL == "" {
		cfg.AppealURL = "/v1/appeals"
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = 50
	}
	if cfg.SignInsPerMinute <= 0 {
		cfg.SignInsPerMinute = 20
	}
	if cfg.YouthSafetyCases == 0 {
		cfg.YouthSafetyCases = DefaultYouthSafetyCases
	}
	if cfg.YouthSafetyTime == 0 {
		cfg.YouthSafetyTime = DefaultYouthSafetyTime
	}
	if cfg.BreakAfter == 0 {
		cfg.BreakAfter = DefaultBreakAfter
	}
	msgs, err := loadCatalogues()
	if err != nil {
		return nil, err
	}
	pg, err := parsePages()
	if err != nil {
		return nil, err
	}
	st, err := loadStatic()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, pages: pg, msgs: msgs, static: st, limiter: store.NewSignInLimiter(cfg.SignInsPerMinute, 10000)}
	s.content = newContentTools(cfg)
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.pattern, rt.handler)
	}
	// Cross-origin POSTs (by Sec-Fetch-Site or Origin) are refused before
	// any handler runs, sign-in included; the CSRF token is checked
	// besides, for browsers that send neither header.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.deny(w, r, s.requestContext(w, r), "cross_origin", r.URL.Path)
	}))
	s.handler = cop.Handler(mux)
	return s, nil
}

// route is one method and path the UI answers.
type route struct {
	pattern string
	handler http.Handler
}

// routes lists every page and action, one file each.
func (s *Server) routes() []route {
	return []route{
		{"GET /ui/static/{name}", http.HandlerFunc(s.serveStatic)},
		{"GET /ui/login", s.public(s.loginPage)},
		{"POST /ui/login", s.public(s.signIn)},
		{"POST /ui/logout", s.action(s.signOut)},
		{"GET /ui/password", s.signedIn(s.passwordPage)},
		{"POST /ui/password", s.action(s.changePassword)},
		{"GET /ui/totp", s.signedIn(s.totpPage)},
		{"POST /ui/totp", s.action(s.confirmTOTP)},
		{"GET /ui/{$}", s.signedIn(s.overview)},
		{"GET /ui/dashboard", s.signedIn(s.dashboard)},
		{"GET /ui/transparency", s.signedIn(s.transparencyPage)},
		{"GET /ui/transparency/export", s.signedIn(s.transparencyExport)},
		{"GET /ui/audit", s.signedIn(s.auditPage)},
		{"GET /ui/audit/status", s.signedIn(s.auditStatusPart)},
		{"GET /ui/search", s.signedIn(s.searchPage)},
		{"GET /ui/policy", s.signedIn(s.policyPage)},
		{"POST /ui/policy/{change}", s.action(s.changePolicy)},
		{"POST /ui/queues/{queue}/claim", s.action(s.claim)},
		{"GET /ui/queues/{queue}", s.signedIn(s.queuePage)},
		{"GET /ui/queues/{queue}/rows", s.signedIn(s.queueRows)},
		{"GET /ui/queues/{queue}/bulk", s.signedIn(s.bulkPage)},
		{"POST /ui/queues/{queue}/bulk", s.action(s.bulkDecide)},
		{"GET /ui/cases/{id}", s.signedIn(s.casePage)},
		{"POST /ui/cases/{id}/decide", s.action(s.decide)},
		{"POST /ui/cases/{id}/undo", s.action(s.undo)},
		{"POST /ui/cases/{id}/release", s.action(s.release)},
		{"POST /ui/cases/{id}/reassign", s.action(s.reassign)},
		{"POST /ui/cases/{id}/help", s.action(s.askForHelp)},
		{"POST /ui/cases/{id}/lease", s.action(s.extendLease)},
		{"POST /ui/cases/{id}/reveal", s.action(s.reveal)},
		{"GET /ui/cases/{id}/image/blurred", s.signedIn(s.blurredImage)},
		{"GET /ui/cases/{id}/image/original", s.signedIn(s.originalImage)},
		{"/ui/", s.public(s.notFound)},
	}
}

// contentSecurityPolicy allows scripts, styles and images from the UI
// itself only: no inline script or style, no framing, forms posting
// only here.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

// ServeHTTP answers a request under /ui/ with the security headers every
// response carries.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	s.handler.ServeHTTP(w, r)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	s.fail(w, r, rc, http.StatusNotFound, "error.not_found")
}
