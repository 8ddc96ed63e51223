package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// API key scopes: each route of the in-world API needs one.
const (
	ScopeModerate       = "moderate"
	ScopeReportWrite    = "report:write"
	ScopeReportRead     = "report:read"
	ScopeAppealWrite    = "appeal:write"
	ScopeAppealRead     = "appeal:read"
	ScopeStatementRead  = "statement:read"
	apiKeyPrefix        = "hk_"
	apiKeyIDBytes       = 8  // 16 hex digits
	apiKeySecretBytes   = 32 // 43 base64url characters
	maxAPIKeyNameLength = 200
)

// Scopes lists every API key scope.
var Scopes = []string{ScopeModerate, ScopeReportWrite, ScopeReportRead, ScopeAppealWrite, ScopeAppealRead, ScopeStatementRead}

// APIKey is an API key as stored: never its secret, which only its
// creator sees once.
type APIKey struct {
	ID        string    `json:"key_id"`
	Name      string    `json:"name"`
	Scopes    []string  `json:"scopes"`
	CreatedAt time.Time `json:"created_at"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// HasScope reports whether the key grants scope.
func (k APIKey) HasScope(scope string) bool { return slices.Contains(k.Scopes, scope) }

// Revoked reports whether the key was revoked.
func (k APIKey) Revoked() bool { return !k.RevokedAt.IsZero() }

// ErrInvalidAPIKey is returned by AuthenticateAPIKey for a secret that is
// malformed, unknown, wrong or revoked. Callers answer 401 and should not
// say which.
var ErrInvalidAPIKey = errors.New("store: invalid API key")

// CreateAPIKey makes a key named name with the given scopes (see Scopes)
// and returns its secret, hk_<key id>_<32 random bytes in base64url>. Only
// the secret's SHA-256 is stored: the secret cannot be shown again. The
// creation is audited in the same transaction.
func (s *Store) CreateAPIKey(ctx context.Context, name string, scopes []string, now time.Time) (string, APIKey, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", APIKey{}, errors.New("store: create API key: a key needs a name")
	case len(name) > maxAPIKeyNameLength || !utf8.ValidString(name):
		return "", APIKey{}, fmt.Errorf("store: create API key: the name must be valid UTF-8 of at most %d bytes", maxAPIKeyNameLength)
	case len(scopes) == 0:
		return "", APIKey{}, fmt.Errorf("store: create API key: a key needs at least one scope of %s", strings.Join(Scopes, ", "))
	}
	for _, sc := range scopes {
		if !slices.Contains(Scopes, sc) {
			return "", APIKey{}, fmt.Errorf("store: create API key: unknown scope %q: must be one of %s", sc, strings.Join(Scopes, ", "))
		}
	}
	scopes = slices.Clone(scopes)
	slices.Sort(scopes)
	scopes = slices.Compact(scopes)

	idBytes := make([]byte, apiKeyIDBytes)
	secretBytes := make([]byte, apiKeySecretBytes)
	// crypto/rand.Read never fails (it crashes the program instead).
	rand.Read(idBytes)
	rand.Read(secretBytes)
	key := APIKey{ID: hex.EncodeToString(idBytes), Name: name, Scopes: scopes, CreatedAt: fromMS(ms(now))}
	secret := apiKeyPrefix + key.ID + "_" + base64.RawURLEncoding.EncodeToString(secretBytes)
	sum := sha256.Sum256([]byte(secret))
	scopesJSON, err := json.Marshal(scopes)
	if err != nil {
		return "", APIKey{}, fmt.Errorf("store: create API key: %w", err)
	}
	err = s.retryTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO api_keys (key_id, name, secret_sha, scopes, created_at) VALUES (?,?,?,?,?)`),
			key.ID, key.Name, hex.EncodeToString(sum[:]), string(scopesJSON), ms(now)); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, now, "operator", "api_key.created", "api_key:"+key.ID, map[string]any{"name": key.Name, "scopes": scopes})
	})
	if err != nil {
		return "", APIKey{}, fmt.Errorf("store: create API key: %w", err)
	}
	return secret, key, nil
}

// ListAPIKeys returns every key, revoked ones included, oldest first.
func (s *Store) ListAPIKeys(ctx context.Context) ([]APIKey, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key_id, name, scopes, created_at, revoked_at FROM api_keys ORDER BY created_at, key_id`)
	if err != nil {
		return nil, fmt.Errorf("store: list API keys: %w", err)
	}
	defer rows.Close()
	var out []APIKey
	for rows.Next() {
		k, _, err := scanAPIKey(rows, false)
		if err != nil {
			return nil, fmt.Errorf("store: list API keys: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list API keys: %w", err)
	}
	return out, nil
}

// RevokeAPIKey revokes a key from now on; requests with it fail from the
// next one. Revoking a revoked key changes nothing and succeeds; an unknown
// key is ErrNotFound. The revocation is audited.
func (s *Store) RevokeAPIKey(ctx context.Context, keyID string, now time.Time) error {
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		var revoked int64
		err := tx.QueryRowContext(ctx, s.q(`SELECT revoked_at FROM api_keys WHERE key_id = ?`), keyID).Scan(&revoked)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: API key %s", ErrNotFound, keyID)
		}
		if err != nil || revoked != 0 {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE api_keys SET revoked_at = ? WHERE key_id = ?`), ms(now), keyID); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, now, "operator", "api_key.revoked", "api_key:"+keyID, nil)
	})
	if err != nil {
		return fmt.Errorf("store: revoke API key: %w", err)
	}
	return nil
}

// AuthenticateAPIKey returns the key whose secret this is. A malformed,
// unknown, wrong or revoked secret is ErrInvalidAPIKey; any other error is
// the database's. Hashes are compared in constant time.
func (s *Store) AuthenticateAPIKey(ctx context.Context, secret string) (APIKey, error) {
	id, ok := apiKeyID(secret)
	if !ok {
		return APIKey{}, fmt.Errorf("%w: malformed", ErrInvalidAPIKey)
	}
	row := s.db.QueryRowContext(ctx, s.q(`SELECT key_id, name, scopes, created_at, revoked_at, secret_sha FROM api_keys WHERE key_id = ?`), id)
	k, storedHex, err := scanAPIKey(row, true)
	if errors.Is(err, sql.ErrNoRows) {
		return APIKey{}, fmt.Errorf("%w: unknown key %s", ErrInvalidAPIKey, id)
	}
	if err != nil {
		return APIKey{}, fmt.Errorf("store: authenticate API key: %w", err)
	}
	stored, err := hex.DecodeString(storedHex)
	if err != nil {
		return APIKey{}, fmt.Errorf("store: authenticate API key %s: stored hash: %w", id, err)
	}
	sum := sha256.Sum256([]byte(secret))
	if subtle.ConstantTimeCompare(sum[:], stored) != 1 {
		return APIKey{}, fmt.Errorf("%w: wrong secret for key %s", ErrInvalidAPIKey, id)
	}
	if k.Revoked() {
		return APIKey{}, fmt.Errorf("%w: key %s was revoked", ErrInvalidAPIKey, id)
	}
	return k, nil
}

// apiKeyID takes the key id out of a secret of the form
// hk_<16 hex digits>_<43 base64url characters>.
func apiKeyID(secret string) (string, bool) {
	rest, ok := strings.CutPrefix(secret, apiKeyPrefix)
	if !ok {
		return "", false
	}
	id, random, ok := strings.Cut(rest, "_")
	if !ok || len(id) != 2*apiKeyIDBytes || len(random) != base64.RawURLEncoding.EncodedLen(apiKeySecretBytes) {
		return "", false
	}
	if _, err := hex.DecodeString(id); err != nil || strings.ToLower(id) != id {
		return "", false
	}
	return id, true
}

type scanner interface{ Scan(dest ...any) error }

// scanAPIKey reads key_id, name, scopes, created_at, revoked_at and, with
// withSecret, secret_sha.
func scanAPIKey(row scanner, withSecret bool) (APIKey, string, error) {
	var k APIKey
	var scopes, sha string
	var created, revoked int64
	dest := []any{&k.ID, &k.Name, &scopes, &created, &revoked}
	if withSecret {
		dest = append(dest, &sha)
	}
	if err := row.Scan(dest...); err != nil {
		return APIKey{}, "", err
	}
	if err := json.Unmarshal([]byte(scopes), &k.Scopes); err != nil {
		return APIKey{}, "", fmt.Errorf("key %s: scopes: %w", k.ID, err)
	}
	k.CreatedAt, k.RevokedAt = fromMS(created), fromMS(revoked)
	return k, sha, nil
}
