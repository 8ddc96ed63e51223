package store

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var secretFormat = regexp.MustCompile(`^hk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$`)

func TestAPIKeysCreateAuthenticateRevoke(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		secret, key, err := s.CreateAPIKey(ctx, "world platform", []string{ScopeReportWrite, ScopeModerate, ScopeModerate}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if !secretFormat.MatchString(secret) || !strings.HasPrefix(secret, "hk_"+key.ID+"_") {
			t.Errorf("secret %q does not have the form hk_<key id>_<base64url>", secret)
		}
		if !slices.Equal(key.Scopes, []string{ScopeModerate, ScopeReportWrite}) || key.Name != "world platform" || !key.CreatedAt.Equal(t0) {
			t.Errorf("key = %+v", key)
		}
		var stored string
		if err := s.db.QueryRowContext(ctx, s.q(`SELECT secret_sha FROM api_keys WHERE key_id = ?`), key.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(stored, secret[len("hk_"+key.ID+"_"):]) || len(stored) != 64 {
			t.Errorf("stored %q: want the SHA-256 of the secret only", stored)
		}

		got, err := s.AuthenticateAPIKey(ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != key.ID || !got.HasScope(ScopeReportWrite) || got.HasScope(ScopeReportRead) {
			t.Errorf("authenticated as %+v", got)
		}

		other, _, err := s.CreateAPIKey(ctx, "reader", []string{ScopeReportRead}, t0.Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		wrong := secret[:len(secret)-4] + strings.Repeat("A", 4)
		if wrong == secret {
			wrong = secret[:len(secret)-4] + "BBBB"
		}
		for name, bad := range map[string]string{
			"empty":             "",
			"no prefix":         strings.TrimPrefix(secret, "hk_"),
			"wrong secret":      wrong,
			"another key's id":  "hk_" + strings.Split(other, "_")[1] + "_" + secret[len("hk_"+key.ID+"_"):],
			"unknown id":        "hk_0000000000000000_" + secret[len("hk_"+key.ID+"_"):],
			"upper-case id":     "hk_" + strings.ToUpper(key.ID[:15]) + "F" + secret[len("hk_"+key.ID):],
			"truncated":         secret[:len(secret)-1],
			"trailing newline":  secret + "\n",
			"bearer not parsed": "Bearer " + secret,
		} {
			t.Run(name, func(t *testing.T) {
				if _, err := s.AuthenticateAPIKey(ctx, bad); !errors.Is(err, ErrInvalidAPIKey) {
					t.Errorf("AuthenticateAPIKey = %v, want ErrInvalidAPIKey", err)
				}
			})
		}

		if err := s.RevokeAPIKey(ctx, key.ID, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AuthenticateAPIKey(ctx, secret); !errors.Is(err, ErrInvalidAPIKey) {
			t.Errorf("a revoked key authenticated: %v", err)
		}
		if err := s.RevokeAPIKey(ctx, key.ID, t0.Add(2*time.Minute)); err != nil {
			t.Errorf("revoking twice: %v", err)
		}
		if err := s.RevokeAPIKey(ctx, "0000000000000000", t0); !errors.Is(err, ErrNotFound) {
			t.Errorf("revoking an unknown key: %v, want ErrNotFound", err)
		}
		if _, err := s.AuthenticateAPIKey(ctx, other); err != nil {
			t.Errorf("revoking one key affected another: %v", err)
		}

		keys, err := s.ListAPIKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != 2 || keys[0].ID != key.ID || !keys[0].RevokedAt.Equal(t0.Add(time.Minute)) || keys[1].Revoked() {
			t.Errorf("ListAPIKeys = %+v", keys)
		}
		for _, k := range keys {
			if b, _ := json.Marshal(k); strings.Contains(string(b), "sha") {
				t.Errorf("listed key exposes its hash: %s", b)
			}
		}

		// Creation and revocation are audited (once: the second revoke
		// changed nothing), and the audit never holds a secret.
		log, err := s.AuditLog(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range log {
			actions = append(actions, e.Action+" "+e.Subject)
			if strings.Contains(e.Details, "hk_") {
				t.Errorf("audit entry %d holds a secret: %s", e.Seq, e.Details)
			}
		}
		want := []string{"api_key.created api_key:" + key.ID, "api_key.created api_key:" + keys[1].ID, "api_key.revoked api_key:" + key.ID}
		if !slices.Equal(actions, want) {
			t.Errorf("audit = %q, want %q", actions, want)
		}
		if _, err := s.VerifyAudit(ctx); err != nil {
			t.Error(err)
		}
	})
}

func TestCreateAPIKeyRefusesBadInput(t *testing.T) {
	s, _ := openTemp(t)
	for _, tt := range []struct {
		name   string
		key    string
		scopes []string
	}{
		{"no name", "  ", []string{ScopeModerate}},
		{"long name", strings.Repeat("x", 201), []string{ScopeModerate}},
		{"no scopes", "k", nil},
		{"unknown scope", "k", []string{ScopeModerate, "admin"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := s.CreateAPIKey(context.Background(), tt.key, tt.scopes, t0); err == nil {
				t.Error("created")
			}
		})
	}
	if keys, _ := s.ListAPIKeys(context.Background()); len(keys) != 0 {
		t.Errorf("%d keys stored", len(keys))
	}
}

func TestAPIKeysConcurrentCreateAndAuthenticate(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				secret, key, err := s.CreateAPIKey(ctx, "k", Scopes, t0.Add(time.Duration(i)*time.Millisecond))
				if err != nil {
					t.Error(err)
					return
				}
				for range 5 {
					if got, err := s.AuthenticateAPIKey(ctx, secret); err != nil || got.ID != key.ID {
						t.Errorf("authenticate %s: %+v %v", key.ID, got, err)
					}
				}
			})
		}
		wg.Wait()
		if _, err := s.VerifyAudit(ctx); err != nil {
			t.Error(err)
		}
	})
}
