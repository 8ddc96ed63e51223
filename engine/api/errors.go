package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/haechi-tns/haechi/engine"
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
		apiErr = &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "the event could not be decided; try again", cause: err}
	}
	if apiErr.Status >= 500 {
		s.cfg.Log.Error("request failed", "method", r.Method, "path", r.URL.Path, "status", apiErr.Status, "err", apiErr.cause)
	}
	writeJSON(w, apiErr.Status, map[string]*Error{"error": apiErr})
}

func itoa(n int) string { return strconv.Itoa(n) }
