package store

import (
	"context"
	"sync"
	"time"

	"github.com/haechi-tns/haechi/engine"
)

// UserContexts caches Store.UserContext for ttl, so that a chatty user
// costs three queries every few seconds rather than per message. A strike
// or restriction takes effect on that user's messages within ttl. At most
// max users are kept; a full cache starts over.
// Decisions this store saves that restrict content count in their
// senders' cached histories at once, so the sender's next message meets
// the new history.
func (s *Store) UserContexts(ttl time.Duration, max int) engine.UserContextSource {
	c := &userCache{s: s, ttl: ttl, max: max, m: map[string]cachedUser{}}
	s.cachesMu.Lock()
	s.caches = append(s.caches, c)
	s.cachesMu.Unlock()
	return c
}

// flagged counts one more recent flag for each of ids (a user may appear
// more than once) in the histories every cache holds: the store has just
// committed those decisions. Users a cache does not hold are read afresh
// when next asked for.
func (s *Store) flagged(ids []string) {
	if len(ids) == 0 {
		return
	}
	s.cachesMu.Lock()
	caches := s.caches
	s.cachesMu.Unlock()
	for _, c := range caches {
		c.mu.Lock()
		for _, id := range ids {
			if e, ok := c.m[id]; ok {
				e.uc.RecentFlags = min(e.uc.RecentFlags+1, engine.MaxRecentFlags)
				c.m[id] = e
			}
		}
		c.mu.Unlock()
	}
}

type cachedUser struct {
	uc engine.UserContext
	at time.Time
}

type userCache struct {
	s   *Store
	ttl time.Duration
	max int
	mu  sync.Mutex
	m   map[string]cachedUser
}

func (c *userCache) UserContext(ctx context.Context, p engine.Party) (engine.UserContext, error) {
	now := time.Now()
	c.mu.Lock()
	e, ok := c.m[p.ID]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < c.ttl {
		return e.uc, nil
	}
	uc, err := c.s.userContextAt(ctx, p.ID, now)
	if err != nil {
		return uc, err
	}
	c.mu.Lock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[p.ID] = cachedUser{uc, now}
	c.mu.Unlock()
	return uc, nil
}
