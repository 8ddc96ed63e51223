package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Sessions of the reviewer UI. The UI gives the token to the browser in
// a cookie and the CSRF token in its pages; the store keeps only the
// token's SHA-256, so that a copy of the database signs nobody in. A
// session ends when it has not been used for SessionIdleTimeout, at the
// latest SessionLifetime after it began, when it is ended, or when its
// user is disabled or has their password reset or changed.
const (
	SessionIdleTimeout = 30 * time.Minute
	SessionLifetime    = 12 * time.Hour
	// sessionTouchEvery is how stale LastSeen may get: it is written at
	// most this often, not on every request. A session may so stay idle
	// up to SessionIdleTimeout plus this.
	sessionTouchEvery = time.Minute
	sessionTokenBytes = 32
	// maxSessionToken bounds what is hashed: tokens are 43 characters.
	maxSessionToken = 128
)

// Session is a signed-in browser.
type Session struct {
	// Token is the secret the browser holds; only CreateSession returns
	// it.
	Token string
	// CSRF must come with every state-changing request of the session.
	CSRF      string
	UserID    string
	CreatedAt time.Time
	LastSeen  time.Time
	// ExpiresAt is when the session ends unless used before: the earlier
	// of LastSeen plus SessionIdleTimeout and CreatedAt plus
	// SessionLifetime.
	ExpiresAt time.Time
}

func tokenSHA(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func randomToken() string {
	b := make([]byte, sessionTokenBytes)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (se *Session) expiry(absolute time.Time) {
	se.ExpiresAt = se.LastSeen.Add(SessionIdleTimeout)
	if absolute.Before(se.ExpiresAt) {
		se.ExpiresAt = absolute
	}
}

// CreateSession starts a session for an enabled user, after Authenticate.
// The UI starts a new one at every sign-in and ends the old one, so that a
// token planted before sign-in is worth nothing after it. Sessions of the
// user that have expired are removed.
func (s *Store) CreateSession(ctx context.Context, userID string, now time.Time) (*Session, error) {
	now = fromMS(ms(now))
	se := &Session{Token: randomToken(), CSRF: randomToken(), UserID: userID, CreatedAt: now, LastSeen: now}
	absolute := now.Add(SessionLifetime)
	se.expiry(absolute)
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		u, err := s.userWhere(ctx, tx, "user_id", userID)
		if err != nil {
			return err
		}
		if u.Disabled {
			return fmt.Errorf("%w: user %s is disabled", ErrNotFound, userID)
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE user_id = ? AND (expires_at <= ? OR last_seen <= ?)`),
			userID, ms(now), ms(now.Add(-SessionIdleTimeout))); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO sessions (token_sha, csrf, user_id, created_at, last_seen, expires_at) VALUES (?,?,?,?,?,?)`),
			tokenSHA(se.Token), se.CSRF, userID, ms(now), ms(now), ms(absolute))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: create session: %w", err)
	}
	return se, nil
}

// SessionByToken returns the session whose token this is and its user, as
// the user is now (roles changed since sign-in apply at once). It is
// ErrNotFound when the token is unknown or ended, the session expired
// (idle or absolute) or the user is disabled. It moves LastSeen to now
// when it is a minute or more old. The returned Session has no Token.
func (s *Store) SessionByToken(ctx context.Context, token string, now time.Time) (*Session, *User, error) {
	return s.session(ctx, token, now, true)
}

// PeekSession is SessionByToken for requests the reviewer did not make
// (a page refreshing itself, a lease heartbeat): it checks the session
// without counting the request as activity, so an unattended tab signs
// out after the idle timeout like any other.
func (s *Store) PeekSession(ctx context.Context, token string, now time.Time) (*Session, *User, error) {
	return s.session(ctx, token, now, false)
}

func (s *Store) session(ctx context.Context, token string, now time.Time, touch bool) (*Session, *User, error) {
	if token == "" || len(token) > maxSessionToken {
		return nil, nil, fmt.Errorf("%w: session", ErrNotFound)
	}
	sha := tokenSHA(token)
	var se Session
	var created, lastSeen, absolute int64
	u, err := scanUser(s.db.QueryRowContext(ctx, s.q(`SELECT `+userColumns+`, se.csrf, se.created_at, se.last_seen, se.expires_at
		FROM sessions se JOIN users u ON u.user_id = se.user_id WHERE se.token_sha = ?`), sha),
		&se.CSRF, &created, &lastSeen, &absolute)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("%w: session", ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("store: session: %w", err)
	}
	se.UserID, se.CreatedAt, se.LastSeen = u.ID, fromMS(created), fromMS(lastSeen)
	se.expiry(fromMS(absolute))
	if !now.Before(se.ExpiresAt) || u.Disabled {
		// Gone for good: remove it now rather than wait for a sweep.
		if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE token_sha = ?`), sha); err != nil {
			return nil, nil, fmt.Errorf("store: session: %w", err)
		}
		return nil, nil, fmt.Errorf("%w: session expired", ErrNotFound)
	}
	if touch && now.Sub(se.LastSeen) >= sessionTouchEvery {
		// Conditional, so that concurrent requests never move it back.
		if _, err := s.db.ExecContext(ctx, s.q(`UPDATE sessions SET last_seen = ? WHERE token_sha = ? AND last_seen < ?`), ms(now), sha, ms(now)); err != nil {
			return nil, nil, fmt.Errorf("store: session: %w", err)
		}
		se.LastSeen = fromMS(ms(now))
		se.expiry(fromMS(absolute))
	}
	return &se, u, nil
}

// EndSession ends the session whose token this is (signing out); an
// unknown token is no error.
func (s *Store) EndSession(ctx context.Context, token string) error {
	if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE token_sha = ?`), tokenSHA(token)); err != nil {
		return fmt.Errorf("store: end session: %w", err)
	}
	return nil
}

// EndUserSessions ends every session of a user (signing out everywhere).
func (s *Store) EndUserSessions(ctx context.Context, userID string) error {
	if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE user_id = ?`), userID); err != nil {
		return fmt.Errorf("store: end user sessions: %w", err)
	}
	return nil
}

func (s *Store) endUserSessions(ctx context.Context, tx *sql.Tx, userID string) error {
	_, err := tx.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE user_id = ?`), userID)
	return err
}

// PruneSessions removes every expired session and returns how many; a
// periodic sweep keeps the table small, though expired sessions are
// refused whether or not they were pruned.
func (s *Store) PruneSessions(ctx context.Context, now time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM sessions WHERE expires_at <= ? OR last_seen <= ?`), ms(now), ms(now.Add(-SessionIdleTimeout)))
	if err != nil {
		return 0, fmt.Errorf("store: prune sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
