package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSessionLifecycle(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		u := mustUser(t, s, "mod-kim", RoleModerator)
		se, err := s.CreateSession(ctx, u.ID, t0)
		if err != nil {
			t.Fatal(err)
		}
		if len(se.Token) != 43 || len(se.CSRF) != 43 || se.Token == se.CSRF || se.UserID != u.ID ||
			!se.CreatedAt.Equal(t0) || !se.ExpiresAt.Equal(t0.Add(SessionIdleTimeout)) {
			t.Errorf("session %+v", se)
		}
		other, err := s.CreateSession(ctx, u.ID, t0)
		if err != nil || other.Token == se.Token {
			t.Fatalf("second session %+v, %v", other, err)
		}

		t.Run("token stored hashed", func(t *testing.T) {
			rows, err := s.db.QueryContext(ctx, `SELECT token_sha, csrf, user_id FROM sessions`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				var sha, csrf, user string
				if err := rows.Scan(&sha, &csrf, &user); err != nil {
					t.Fatal(err)
				}
				n++
				for _, tok := range []string{se.Token, other.Token} {
					if strings.Contains(sha+csrf+user, tok) {
						t.Errorf("the table holds the token %s", tok)
					}
				}
				if sha != tokenSHA(se.Token) && sha != tokenSHA(other.Token) {
					t.Errorf("stored %s: not the SHA-256 of a token", sha)
				}
			}
			if n != 2 {
				t.Errorf("%d sessions stored, want 2", n)
			}
			// The stored hash is no token.
			if _, _, err := s.SessionByToken(ctx, tokenSHA(se.Token), t0); !errors.Is(err, ErrNotFound) {
				t.Errorf("signing in with the stored hash: %v", err)
			}
		})

		t.Run("found, LastSeen moved at most once a minute", func(t *testing.T) {
			got, user, err := s.SessionByToken(ctx, se.Token, t0.Add(59*time.Second))
			if err != nil || user.ID != u.ID || got.CSRF != se.CSRF || got.Token != "" || !got.LastSeen.Equal(t0) {
				t.Fatalf("SessionByToken = %+v, %+v, %v", got, user, err)
			}
			got, _, err = s.SessionByToken(ctx, se.Token, t0.Add(time.Minute))
			if err != nil || !got.LastSeen.Equal(t0.Add(time.Minute)) || !got.ExpiresAt.Equal(t0.Add(time.Minute+SessionIdleTimeout)) {
				t.Fatalf("a minute on: %+v, %v", got, err)
			}
			var stored int64
			if err := s.db.QueryRowContext(ctx, s.q(`SELECT last_seen FROM sessions WHERE token_sha = ?`), tokenSHA(se.Token)).Scan(&stored); err != nil || stored != ms(t0.Add(time.Minute)) {
				t.Errorf("stored last_seen %d, %v", stored, err)
			}
			// An older request arriving late does not move it back.
			if got, _, err = s.SessionByToken(ctx, se.Token, t0.Add(30*time.Second)); err != nil || !got.LastSeen.Equal(t0.Add(time.Minute)) {
				t.Errorf("late request: %+v, %v", got, err)
			}
		})

		for _, tc := range []struct {
			name, token string
		}{
			{"unknown", strings.Repeat("A", 43)},
			{"empty", ""},
			{"overlong", strings.Repeat("A", 10000)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if _, _, err := s.SessionByToken(ctx, tc.token, t0); !errors.Is(err, ErrNotFound) {
					t.Errorf("%v, want ErrNotFound", err)
				}
			})
		}

		t.Run("ended", func(t *testing.T) {
			if err := s.EndSession(ctx, other.Token); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.SessionByToken(ctx, other.Token, t0); !errors.Is(err, ErrNotFound) {
				t.Errorf("ended session: %v", err)
			}
			if err := s.EndSession(ctx, other.Token); err != nil {
				t.Errorf("ending it again: %v", err)
			}
			if _, _, err := s.SessionByToken(ctx, se.Token, t0.Add(time.Minute)); err != nil {
				t.Errorf("the other session: %v", err)
			}
			if err := s.EndUserSessions(ctx, u.ID); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.SessionByToken(ctx, se.Token, t0.Add(time.Minute)); !errors.Is(err, ErrNotFound) {
				t.Errorf("after ending all: %v", err)
			}
		})
	})
}

func TestSessionExpiry(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		u := mustUser(t, s, "mod-kim", RoleModerator)
		t.Run("idle", func(t *testing.T) {
			se, err := s.CreateSession(ctx, u.ID, t0)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.SessionByToken(ctx, se.Token, t0.Add(SessionIdleTimeout-time.Millisecond)); err != nil {
				t.Fatalf("just before the idle timeout: %v", err)
			}
			// That use moved LastSeen: idle is counted from it.
			last := t0.Add(SessionIdleTimeout - time.Millisecond).Truncate(time.Millisecond)
			if _, _, err := s.SessionByToken(ctx, se.Token, last.Add(SessionIdleTimeout-time.Millisecond)); err != nil {
				t.Fatalf("within the idle timeout of the last use: %v", err)
			}
			idle := last.Add(SessionIdleTimeout - time.Millisecond).Add(SessionIdleTimeout)
			if _, _, err := s.SessionByToken(ctx, se.Token, idle); !errors.Is(err, ErrNotFound) {
				t.Fatalf("idle for %v: %v, want ErrNotFound", SessionIdleTimeout, err)
			}
			// And it stays gone.
			if _, _, err := s.SessionByToken(ctx, se.Token, last); !errors.Is(err, ErrNotFound) {
				t.Errorf("after expiring: %v", err)
			}
		})
		t.Run("absolute", func(t *testing.T) {
			se, err := s.CreateSession(ctx, u.ID, t0)
			if err != nil {
				t.Fatal(err)
			}
			at := t0
			for at.Before(t0.Add(SessionLifetime - 20*time.Minute)) {
				at = at.Add(20 * time.Minute)
				got, _, err := s.SessionByToken(ctx, se.Token, at)
				if err != nil {
					t.Fatalf("in use at %v: %v", at.Sub(t0), err)
				}
				if want := t0.Add(SessionLifetime); at.Add(SessionIdleTimeout).After(want) && !got.ExpiresAt.Equal(want) {
					t.Errorf("at %v expires %v, want %v", at.Sub(t0), got.ExpiresAt, want)
				}
			}
			if _, _, err := s.SessionByToken(ctx, se.Token, t0.Add(SessionLifetime)); !errors.Is(err, ErrNotFound) {
				t.Errorf("after %v in use: %v, want ErrNotFound", SessionLifetime, err)
			}
		})
		t.Run("pruned", func(t *testing.T) {
			// Another user's: creating a session removes the user's own
			// expired ones.
			if _, err := s.CreateSession(ctx, mustUser(t, s, "mod-lee", RoleModerator).ID, t0); err != nil {
				t.Fatal(err)
			}
			live, err := s.CreateSession(ctx, u.ID, t0.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			n, err := s.PruneSessions(ctx, t0.Add(time.Hour))
			if err != nil || n != 1 {
				t.Errorf("pruned %d, %v; want 1", n, err)
			}
			if _, _, err := s.SessionByToken(ctx, live.Token, t0.Add(time.Hour)); err != nil {
				t.Errorf("live session: %v", err)
			}
		})
	})
}

// TestPeekSessionDoesNotTouch: PeekSession checks a session like
// SessionByToken but never moves its last activity, so a session only
// peeked at goes idle.
func TestPeekSessionDoesNotTouch(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		u, err := s.CreateUser(ctx, "peek", "Peek", []string{RoleModerator}, "a long enough password", "test", t0)
		if err != nil {
			t.Fatal(err)
		}
		se, err := s.CreateSession(ctx, u.ID, t0)
		if err != nil {
			t.Fatal(err)
		}
		for at := t0; at.Before(t0.Add(SessionIdleTimeout)); at = at.Add(5 * time.Minute) {
			if _, _, err := s.PeekSession(ctx, se.Token, at); err != nil {
				t.Fatalf("peek at %v: %v", at.Sub(t0), err)
			}
		}
		if _, _, err := s.PeekSession(ctx, se.Token, t0.Add(SessionIdleTimeout+time.Minute)); !errors.Is(err, ErrNotFound) {
			t.Errorf("a session only peeked at stayed alive past the idle timeout: %v", err)
		}
	})
}
