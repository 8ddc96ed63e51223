package api

import (
	"context"
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

// day is the window of the daily report limit.
const day = 24 * time.Hour

// reportAllowed applies both report limits to reporterID: the minute in
// memory, the day in the store. When the reporter is over either it
// returns how long to wait. Reports filed concurrently with the day's
// last one may overshoot the daily limit by the few in flight.
func (s *Server) reportAllowed(ctx context.Context, reporterID string, now time.Time) (time.Duration, string, error) {
	perDay := s.cfg.ReportLimits.PerDay
	if retry, blocked := s.dayBlocked.blocked(reporterID, now); blocked {
		return retry, "day", nil
	}
	if retry, ok := s.perMinute.take(reporterID, now); !ok {
		return retry, "minute", nil
	}
	if perDay < 0 {
		return 0, "", nil
	}
	n, err := s.cfg.Store.CountRecentReports(ctx, reporterID, now.Add(-day))
	if err != nil || n < perDay {
		return 0, "", err
	}
	// Over the limit: find when enough of the day's reports have aged out
	// of the window, to the minute, by bisecting on the window's start.
	lo, hi := 0, int(day/time.Minute) // minutes after now-24h: count(lo) >= perDay
	for lo+1 < hi {
		mid := (lo + hi) / 2
		n, err := s.cfg.Store.CountRecentReports(ctx, reporterID, now.Add(-day+time.Duration(mid)*time.Minute))
		if err != nil {
			return 0, "", err
		}
		if n >= perDay {
			lo = mid
		} else {
			hi = mid
		}
	}
	retry := time.Duration(hi) * time.Minute
	s.dayBlocked.block(reporterID, now.Add(retry), now)
	return retry, "day", nil
}
