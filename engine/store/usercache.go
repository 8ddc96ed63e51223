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
func (s *Store) UserContexts(ttl time.Duration, max int) engine.UserContextSource {
	return &userCache{s: s, ttl: ttl, max: max, m: map[string]cachedUser{}}
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
