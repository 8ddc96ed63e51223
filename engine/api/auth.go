package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/haechi-tns/haechi/engine/store"
)

// authorize wraps next so that, when keys are checked, it runs only for a
// request carrying a valid API key with scope, and with the key's id in
// its context (callerKey). Public routes (empty scope) and servers without
// Keys pass every request through, with no key id.
func (s *Server) authorize(scope string, next http.Handler) http.Handler {
	if s.cfg.Keys == nil || scope == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret, problem := credentials(r)
		if problem != "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="haechi"`)
			s.writeError(w, r, &Error{Status: http.StatusUnauthorized, Code: "unauthenticated", Message: problem})
			return
		}
		key, err := s.cfg.Keys.AuthenticateAPIKey(r.Context(), secret)
		switch {
		case errors.Is(err, store.ErrInvalidAPIKey):
			w.Header().Set("WWW-Authenticate", `Bearer realm="haechi", error="invalid_token"`)
			s.writeError(w, r, &Error{Status: http.StatusUnauthorized, Code: "invalid_api_key",
				Message: "the API key is not valid: it is malformed, unknown or revoked"})
			return
		case err != nil:
			s.writeError(w, r, err)
			return
		}
		if !key.HasScope(scope) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="haechi", error="insufficient_scope", scope="`+scope+`"`)
			s.writeError(w, r, &Error{Status: http.StatusForbidden, Code: "insufficient_scope",
				Message: "this API key lacks the scope " + scope + " that " + r.Method + " " + r.Pattern[strings.IndexByte(r.Pattern, ' ')+1:] + " needs"})
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyIDContext{}, key.ID)))
	})
}

// keyIDContext is the context key of the authenticated API key's id.
type keyIDContext struct{}

// callerKey returns the id of the API key that authenticated r, or ""
// when keys are not checked: then every caller is one anonymous key,
// which the per-key limits treat as any other.
func callerKey(r *http.Request) string {
	id, _ := r.Context().Value(keyIDContext{}).(string)
	return id
}

// credentials takes the API key from "Authorization: Bearer <key>" or,
// without an Authorization header, "X-API-Key: <key>". problem says what
// is missing, for the client.
func credentials(r *http.Request) (secret, problem string) {
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, token, ok := strings.Cut(auth, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			return "", "send the API key as Authorization: Bearer hk_…"
		}
		return strings.TrimSpace(token), ""
	}
	if key := strings.TrimSpace(r.Header.Get("X-API-Key")); key != "" {
		return key, ""
	}
	return "", "an API key is required: send Authorization: Bearer hk_… or X-API-Key: hk_…"
}
