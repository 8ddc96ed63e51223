package api

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// window is a sliding-window limit: at most limit events per key in any
// period. It keeps the times of each key's last events, at most limit of
// them, and forgets keys quiet for a period (swept once a period, by the
// caller's goroutine: the window starts none of its own).
type window struct {
	limit  int // negative: no limit
	period time.Duration

	mu     sync.Mutex
	events map[string][]time.Time // oldest first
	swept  time.Time
}

func newWindow(limit int, period time.Duration) *window {
	return &window{limit: limit, period: period, events: map[string][]time.Time{}}
}

// take records an event for key at now if the limit allows it; otherwise
// it returns how long until it would.
func (w *window) take(key string, now time.Time) (retry time.Duration, ok bool) {
	if w.limit < 0 {
		return 0, true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if now.Sub(w.swept) > w.period {
		for k, ts := range w.events {
			if len(ts) == 0 || now.Sub(ts[len(ts)-1]) >= w.period {
				delete(w.events, k)
			}
		}
		w.swept = now
	}
	ts := w.events[key]
	for len(ts) > 0 && now.Sub(ts[0]) >= w.period {
		ts = ts[1:]
	}
	if len(ts) >= w.limit {
		w.events[key] = ts
		return ts[0].Add(w.period).Sub(now), false
	}
	w.events[key] = append(ts, now)
	return 0, true
}

// undo gives back an event take recorded for key at at, when the request
// it admitted was refused by another limit after all.
func (w *window) undo(key string, at time.Time) {
	if w.limit < 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	ts := w.events[key]
	for i := len(ts) - 1; i >= 0; i-- {
		if ts[i].Equal(at) {
			w.events[key] = append(ts[:i], ts[i+1:]...)
			return
		}
	}
}

// blocklist remembers reporters over the daily limit until they are under
// it again, so that their further reports cost no query.
type blocklist struct {
	mu    sync.Mutex
	until map[string]time.Time
}

func (b *blocklist) blocked(key string, now time.Time) (time.Duration, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	until, ok := b.until[key]
	if ok && now.Before(until) {
		return until.Sub(now), true
	}
	delete(b.until, key)
	return 0, false
}

func (b *blocklist) block(key string, until, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k, u := range b.until {
		if !now.Before(u) {
			delete(b.until, k)
		}
	}
	b.until[key] = until
}

// day is the window of the daily limits.
const day = 24 * time.Hour

// KeyLimits bound what one API key may file, whichever reporters and
// appellants it names: the world platform vouches for the people it
// files for, so a leaked or misbehaving key is limited as a whole, beside
// the limits per reporter. Without keys (Config.Keys nil) every caller is
// one anonymous key. Both periods are counted in memory, per process:
// with several API instances each allows the limits. Zero fields take
// the defaults; a negative field means no limit.
type KeyLimits struct {
	ReportsPerMinute int // default 600
	ReportsPerDay    int // default 20,000, over the last 24 hours
	AppealsPerMinute int // default 300
	AppealsPerDay    int // default 10,000, over the last 24 hours
}

// Default per-key limits: ten reports and five appeals a second over a
// minute, and a day's worth well above what a city's citizens file
// through their platform, yet far below the thousands of cases a minute
// one leaked key could otherwise open.
const (
	DefaultKeyReportsPerMinute = 600
	DefaultKeyReportsPerDay    = 20_000
	DefaultKeyAppealsPerMinute = 300
	DefaultKeyAppealsPerDay    = 10_000
)

func (l *KeyLimits) setDefaults() {
	for _, f := range []struct {
		v   *int
		def int
	}{
		{&l.ReportsPerMinute, DefaultKeyReportsPerMinute},
		{&l.ReportsPerDay, DefaultKeyReportsPerDay},
		{&l.AppealsPerMinute, DefaultKeyAppealsPerMinute},
		{&l.AppealsPerDay, DefaultKeyAppealsPerDay},
	} {
		if *f.v == 0 {
			*f.v = f.def
		}
	}
}

// keyLimit is one route's limits per API key: a minute and a day, both
// sliding windows in memory. A window keeps a time per request it
// admitted, so a key at the default daily report limit costs about half a
// megabyte; only authenticated keys (or the one anonymous caller) have
// windows.
type keyLimit struct {
	perMinute, perDay int
	minute, day       *window
}

func newKeyLimit(perMinute, perDay int) *keyLimit {
	return &keyLimit{perMinute: perMinute, perDay: perDay, minute: newWindow(perMinute, time.Minute), day: newWindow(perDay, day)}
}

// take admits one request of key at now, or says which limit it is over
// and how long until it would be admitted.
func (l *keyLimit) take(key string, now time.Time) (*limited, bool) {
	if retry, ok := l.minute.take(key, now); !ok {
		return &limited{retry: retry, byKey: true, period: "minute", limit: l.perMinute}, false
	}
	if retry, ok := l.day.take(key, now); !ok {
		l.minute.undo(key, now)
		return &limited{retry: retry, byKey: true, period: "day", limit: l.perDay}, false
	}
	return nil, true
}

// undo gives back what take admitted.
func (l *keyLimit) undo(key string, at time.Time) {
	l.minute.undo(key, at)
	l.day.undo(key, at)
}

// limited says which limit refused a request.
type limited struct {
	retry  time.Duration
	byKey  bool   // the API key's limit, not the reporter's
	period string // "minute" or "day"
	limit  int
}

// reportAllowed applies the report limits: the reporter's minute, in
// memory, then the API key's minute and day, in memory, then the
// reporter's day, in the store. It returns the limit a report is over,
// or nil. A report refused by a reporter's limit does not count toward
// the key's, so that one citizen over their limit cannot spend their
// platform's. Reports filed concurrently with the day's last one may
// overshoot the reporter's daily limit by the few in flight.
func (s *Server) reportAllowed(ctx context.Context, key, reporterID string, now time.Time) (*limited, error) {
	perDay := s.cfg.ReportLimits.PerDay
	if retry, blocked := s.dayBlocked.blocked(reporterID, now); blocked {
		return &limited{retry: retry, period: "day", limit: perDay}, nil
	}
	if retry, ok := s.perMinute.take(reporterID, now); !ok {
		return &limited{retry: retry, period: "minute", limit: s.cfg.ReportLimits.PerMinute}, nil
	}
	if over, ok := s.keyReports.take(key, now); !ok {
		s.perMinute.undo(reporterID, now)
		return over, nil
	}
	if perDay < 0 {
		return nil, nil
	}
	n, err := s.cfg.Store.CountRecentReports(ctx, reporterID, now.Add(-day))
	if err == nil && n < perDay {
		return nil, nil
	}
	s.keyReports.undo(key, now)
	if err != nil {
		return nil, err
	}
	// Over the limit: find when enough of the day's reports have aged out
	// of the window, to the minute, by bisecting on the window's start.
	lo, hi := 0, int(day/time.Minute) // minutes after now-24h: count(lo) >= perDay
	for lo+1 < hi {
		mid := (lo + hi) / 2
		n, err := s.cfg.Store.CountRecentReports(ctx, reporterID, now.Add(-day+time.Duration(mid)*time.Minute))
		if err != nil {
			return nil, err
		}
		if n >= perDay {
			lo = mid
		} else {
			hi = mid
		}
	}
	retry := time.Duration(hi) * time.Minute
	s.dayBlocked.block(reporterID, now.Add(retry), now)
	return &limited{retry: retry, period: "day", limit: perDay}, nil
}

// tooMany answers 429 for a request over lim, with Retry-After. The
// message names neither the reporter nor the key.
func (s *Server) tooMany(w http.ResponseWriter, r *http.Request, lim *limited, what string) {
	secs := strconv.Itoa(max(int(math.Ceil(lim.retry.Seconds())), 1))
	who := "this reporter has"
	switch {
	case lim.byKey && callerKey(r) == "":
		who = "callers without an API key have"
	case lim.byKey:
		who = "this API key has"
	}
	w.Header().Set("Retry-After", secs)
	s.writeError(w, r, &Error{Status: http.StatusTooManyRequests, Code: "rate_limited",
		Message: who + " filed " + strconv.Itoa(lim.limit) + " " + what + " in the last " + lim.period + ", the most allowed; try again in " + secs + " seconds"})
}
