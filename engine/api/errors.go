package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
)

// Error is an error meant for the API's client. Message and Fields are sent
// to the client; cause goes only to the log.
type Error struct {
	Status  int                 `json:"-"`
	Code    string              `json:"code"`
	Message string              `json:"message"`
	Fields  []engine.FieldError `json:"fields,omitempty"`
	cause   error
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.cause }

// writeError answers with err as a JSON error body. Validation errors name
// their fields with 400; anything not meant for the client becomes a 500
// whose detail is logged, never sent.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var apiErr *Error
	var valErr *engine.ValidationError
	switch {
	case errors.As(err, &apiErr):
	case errors.As(err, &valErr):
		apiErr = &Error{Status: http.StatusBadRequest, Code: "invalid_event", Message: valErr.Error(), Fields: valErr.Fields}
	default:
		apiErr = &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "the request could not be completed; try again", cause: err}
	}
	if apiErr.Status >= 500 {
		s.cfg.Log.Error("request failed", "method", r.Method, "path", r.URL.Path, "status", apiErr.Status, "err", apiErr.cause)
	}
	writeJSON(w, apiErr.Status, map[string]*Error{"error": apiErr})
}

// storeError maps the store's errors for the client: ErrNotFound to 404
// saying no thing of that kind has the id, ErrForbidden to 403 and ErrConflict to 409 with the
// store's explanation. Any other error stays internal (500).
func storeError(err error, kind, id string) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return notFound(kind, id, err)
	case errors.Is(err, store.ErrForbidden):
		return &Error{Status: http.StatusForbidden, Code: "forbidden", Message: explanation(err, store.ErrForbidden), cause: err}
	case errors.Is(err, store.ErrConflict):
		return &Error{Status: http.StatusConflict, Code: "conflict", Message: explanation(err, store.ErrConflict), cause: err}
	}
	return err
}

// explanation is what the store said after its sentinel error: the store
// wraps them as fmt.Errorf("%w: <sentence for the user>", ErrForbidden),
// under prefixes of its own ("store: file appeal: ").
func explanation(err, sentinel error) string {
	msg := err.Error()
	prefix := sentinel.Error() + ": "
	if i := strings.LastIndex(msg, prefix); i >= 0 && i+len(prefix) < len(msg) {
		return msg[i+len(prefix):]
	}
	return strings.TrimPrefix(sentinel.Error(), "store: ")
}

func itoa(n int) string { return strconv.Itoa(n) }
