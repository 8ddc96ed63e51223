package reviewerui

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/haechi-tns/haechi/engine/store"
)

// auditPageSize is how many entries the audit view lists a page.
const auditPageSize = 50

// auditRecheck is how long a verification of the audit chain stays
// fresh. Verifying reads the whole log (a million entries take 5 to 6 s),
// so the page never waits for it: it shows the last result with its
// time and, when that is older than this (or there is none), has the
// browser fetch a new one (GET /ui/audit/status), which waits for it.
// Whoever needs it now without script asks with ?verify=now.
const auditRecheck = time.Minute

// auditTimeLayout is how the time filters are written (an
// <input type="datetime-local">), in KST.
const auditTimeLayout = "2006-01-02T15:04"

// maxAuditFilter bounds the text filters, in characters.
const maxAuditFilter = 200

// auditFilter is the audit view's filters as the URL holds them.
type auditFilter struct {
	Actor, Action, Subject string
	From, To               string // auditTimeLayout, KST
	Before                 string // the page's cursor
}

// query encodes the filters, with the page cursor before (none when
// empty).
func (f auditFilter) query(before string) string {
	v := url.Values{}
	for k, val := range map[string]string{"actor": f.Actor, "action": f.Action, "subject": f.Subject, "from": f.From, "to": f.To, "before": before} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// parseAuditFilter reads the audit view's filters; a value it cannot
// read is an error rather than silently ignored.
func parseAuditFilter(q url.Values) (auditFilter, store.AuditQuery, bool) {
	f := auditFilter{Actor: q.Get("actor"), Action: q.Get("action"), Subject: q.Get("subject"), From: q.Get("from"), To: q.Get("to"), Before: q.Get("before")}
	sq := store.AuditQuery{Actor: f.Actor, Action: f.Action, Subject: f.Subject, Limit: auditPageSize}
	for _, s := range []string{f.Actor, f.Action, f.Subject} {
		if utf8.RuneCountInString(s) > maxAuditFilter || !utf8.ValidString(s) {
			return f, sq, false
		}
	}
	if !parseTimeFilters(f.From, f.To, &sq.From, &sq.To) {
		return f, sq, false
	}
	if f.Before != "" {
		c, err := store.ParseAuditCursor(f.Before)
		if err != nil {
			return f, sq, false
		}
		sq.Before = &c
	}
	return f, sq, true
}

// parseTimeFilters reads a page's from and to filters (auditTimeLayout,
// KST) into fromAt and toAt, leaving an empty one zero; false when one
// cannot be read.
func parseTimeFilters(from, to string, fromAt, toAt *time.Time) bool {
	for _, t := range []struct {
		in  string
		out *time.Time
	}{{from, fromAt}, {to, toAt}} {
		if t.in == "" {
			continue
		}
		at, err := time.ParseInLocation(auditTimeLayout, t.in, kst)
		if err != nil {
			return false
		}
		*t.out = at
	}
	return true
}

// auditStatus is what the last verification of the audit chain found.
type auditStatus struct {
	Checked time.Time
	Entries int64
	// Signed is true when the chain was checked against checkpoints
	// signed by the configured public key; Latest is the newest of them
	// and Checkpoints how many entries they sign.
	Signed      bool
	Latest      store.Checkpoint
	Checkpoints int64
	// NoCheckpoint is true when a key is configured but no checkpoint
	// signed by it was found: the chain alone was checked.
	NoCheckpoint bool
	// Break is where the chain breaks; nil when it holds.
	Break *store.AuditBreak
	// BreakURL lists the log from the broken entry (or the next one).
	BreakURL string
	// Failed is true when the log could not be read (the cause is in the
	// server's log).
	Failed bool
}

// auditVerifier verifies the chain for the audit view, one
// verification at a time, and keeps the last result.
type auditVerifier struct {
	run sync.Mutex // held while verifying
	mu  sync.Mutex // guards the fields below
	// last is the newest result of a verification that read the log;
	// latest that of the newest verification, failed or not; runs counts
	// verifications.
	last, latest *auditStatus
	runs         uint64
}

// lastAuditStatus returns the last verification's result, nil when there
// is none, and whether it is still fresh (younger than auditRecheck). It
// never waits for a verification under way.
func (s *Server) lastAuditStatus() (*auditStatus, bool) {
	v := &s.audit
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.last == nil {
		return nil, false
	}
	age := s.cfg.Now().Sub(v.last.Checked)
	return v.last, age >= 0 && age < auditRecheck
}

// verifyAuditNow verifies the chain and keeps the result. A request that
// arrives while another verifies waits for that one and takes its
// result, rather than reading the whole log again.
func (s *Server) verifyAuditNow(ctx context.Context, ops OpsStore) *auditStatus {
	v := &s.audit
	v.mu.Lock()
	seen := v.runs
	v.mu.Unlock()
	v.run.Lock()
	defer v.run.Unlock()
	v.mu.Lock()
	if v.runs != seen {
		st := v.latest
		v.mu.Unlock()
		return st
	}
	v.mu.Unlock()

	st := s.verifyAudit(ctx, ops)
	st.Checked = s.cfg.Now()
	if st.Break != nil {
		st.BreakURL = basePath + "audit"
		if e, err := ops.AuditEntryAt(ctx, st.Break.Seq); err == nil {
			st.BreakURL += auditFilter{}.query(store.AuditCursor{At: e.At, Seq: e.Seq + 1}.String())
		}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.runs++
	v.latest = st
	if !st.Failed {
		v.last = st
	}
	return st
}

// verifyAudit checks the chain against the signed checkpoints when a
// public key is configured, and otherwise (or when no checkpoint of the
// key is found) the chain alone.
func (s *Server) verifyAudit(ctx context.Context, ops OpsStore) *auditStatus {
	st := &auditStatus{}
	var br *store.AuditBreak
	if s.cfg.AuditPublicKey != nil {
		var journal []store.Checkpoint
		if s.cfg.AuditJournal != "" {
			cps, skipped, err := store.ReadJournal(s.cfg.AuditJournal)
			if err != nil {
				s.cfg.Log.Error("reading the audit checkpoint journal failed", "err", err)
				st.Failed = true
				return st
			}
			if skipped > 0 {
				s.cfg.Log.Warn("unreadable lines in the audit checkpoint journal", "lines", skipped)
			}
			journal = cps
		}
		v, err := ops.VerifyAuditSigned(ctx, s.cfg.AuditPublicKey, journal)
		switch {
		case err == nil:
			st.Signed, st.Entries, st.Latest, st.Checkpoints = true, v.Entries, v.Latest, v.Checkpoints
			return st
		case errors.As(err, &br):
			st.Break = br
			return st
		case errors.Is(err, store.ErrNoCheckpoint):
			st.NoCheckpoint = true
		default:
			s.cfg.Log.Error("verifying the audit log failed", "err", err)
			st.Failed = true
			return st
		}
	}
	n, err := ops.VerifyAudit(ctx)
	switch {
	case errors.As(err, &br):
		st.Break = br
	case err != nil:
		s.cfg.Log.Error("verifying the audit log failed", "err", err)
		st.Failed = true
	default:
		st.Entries = n
	}
	return st
}

// auditData is the audit view's data.
type auditData struct {
	Filter auditFilter
	// Status is the last verification's result (nil when there is none);
	// StatusURL, when set, is where the browser fetches a new one.
	Status    *auditStatus
	StatusURL string
	Entries   []store.AuditEntry
	Names     map[string]string // reviewers' names by user id
	// NextURL is the next (older) page, FirstURL the first when this is
	// not it.
	NextURL, FirstURL string
	// VerifyURL is this page, verifying the chain again.
	VerifyURL string
}

// Actor names an entry's actor: a reviewer by name, anything else
// (haechi, anonymous, user:…) as it is.
func (d *auditData) Actor(id string) string {
	if n, ok := d.Names[id]; ok {
		return n
	}
	return id
}

// Broken reports whether the chain breaks at entry seq, as last found.
func (d *auditData) Broken(seq int64) bool {
	return d.Status != nil && d.Status.Break != nil && d.Status.Break.Seq == seq
}

// auditPage lists the audit log's entries, newest first, by the filters
// in the URL, under the chain's verification status; the entry where
// the chain breaks, if it does, is marked.
func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	if !s.operatorsOnly(w, r, rc, "audit") {
		return
	}
	ops, ok := s.opsStore(w, r, rc)
	if !ok {
		return
	}
	f, q, ok := parseAuditFilter(r.URL.Query())
	if !ok {
		s.fail(w, r, rc, http.StatusBadRequest, "error.bad_filter")
		return
	}
	ctx := r.Context()
	// An actor is asked for by sign-in name; the log holds user ids.
	if q.Actor != "" {
		if u, err := s.cfg.Accounts.UserByName(ctx, q.Actor); err == nil {
			q.Actor = u.ID
		} else if !errors.Is(err, store.ErrNotFound) {
			s.internalError(w, r, rc, err)
			return
		}
	}
	page, err := ops.SearchAudit(ctx, q)
	if err != nil {
		s.internalError(w, r, rc, err)
		return
	}
	d := &auditData{Filter: f, Entries: page.Entries, Names: s.reviewerNames(ctx, ops)}
	if r.URL.Query().Get("verify") == "now" {
		d.Status = s.verifyAuditNow(ctx, ops)
	} else if st, fresh := s.lastAuditStatus(); fresh {
		d.Status = st
	} else {
		d.Status, d.StatusURL = st, basePath+"audit/status"
	}
	if page.Next != nil {
		d.NextURL = basePath + "audit" + f.query(page.Next.String())
	}
	if f.Before != "" {
		d.FirstURL = basePath + "audit" + f.query("")
	}
	again := r.URL.Query()
	again.Set("verify", "now")
	d.VerifyURL = basePath + "audit?" + again.Encode()
	s.render(w, r, http.StatusOK, "audit", s.newView(r, rc, "audit.title", d))
}

// auditStatusPart is the audit view's verification status alone, for the
// page to fetch when the one it showed was old: the last result if it is
// still fresh, else a new verification, which this request waits for.
func (s *Server) auditStatusPart(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	if !s.operatorsOnly(w, r, rc, "audit") {
		return
	}
	ops, ok := s.opsStore(w, r, rc)
	if !ok {
		return
	}
	st, fresh := s.lastAuditStatus()
	if !fresh {
		st = s.verifyAuditNow(r.Context(), ops)
	}
	d := &auditData{Status: st, VerifyURL: basePath + "audit?verify=now"}
	s.execute(w, r, http.StatusOK, "audit", "audit_status", s.newView(r, rc, "audit.title", d))
}
