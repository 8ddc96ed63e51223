package api

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/haechi-tns/haechi/engine"
)

// maxRequestBytes bounds the body of a report or an appeal: room for a
// report's 20 context messages.
const maxRequestBytes = 64 << 10

// readBody reads a JSON request body of at most limit bytes. A
// Content-Type other than application/json is 415 (none at all is taken
// as JSON), a longer body 413.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return nil, &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
				Message: "send the body with Content-Type: application/json, not " + ct}
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: "request body is over the limit of " + itoa(int(limit)) + " bytes"}
		}
		return nil, &Error{Status: http.StatusBadRequest, Code: "unreadable_body", Message: "could not read the request body", cause: err}
	}
	return body, nil
}

// decodeRequest reads and parses a JSON object into v, refusing invalid
// UTF-8 (encoding/json would replace it silently), unknown fields and
// trailing data, with a 400 naming the field where it can.
func decodeRequest(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := readBody(w, r, maxRequestBytes)
	if err != nil {
		return err
	}
	var verr *engine.ValidationError
	if err := engine.DecodeJSON(body, v); errors.As(err, &verr) {
		return invalid(verr.Fields...)
	} else if err != nil {
		return err
	}
	return nil
}

// invalid is a 400 naming each bad field.
func invalid(fields ...engine.FieldError) *Error {
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f.Error()
	}
	return &Error{Status: http.StatusBadRequest, Code: "invalid_request", Message: "invalid request: " + strings.Join(parts, "; "), Fields: fields}
}

// fieldErrors collects the problems of one request.
type fieldErrors []engine.FieldError

func (fe *fieldErrors) add(field, format string, args ...any) {
	*fe = append(*fe, engine.FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
}

func (fe fieldErrors) err() error {
	if len(fe) == 0 {
		return nil
	}
	return invalid(fe...)
}

// id checks an identifier as events' ids are checked (engine.IDProblem).
func (fe *fieldErrors) id(field, id string, required bool) {
	switch {
	case id == "":
		if required {
			fe.add(field, "required")
		}
	default:
		if problem := engine.IDProblem(id); problem != "" {
			fe.add(field, "%s", problem)
		}
	}
}

// text checks free text of at most maxChars characters. NUL is refused:
// no database stores it in text.
func (fe *fieldErrors) text(field, text string, maxChars int) {
	switch n := utf8.RuneCountInString(text); {
	case n > maxChars:
		fe.add(field, "is %d characters, over the limit of %d", n, maxChars)
	case strings.ContainsRune(text, 0):
		fe.add(field, "must not contain NUL characters")
	}
}

// pathID returns the {id} of a request's path, or false when it cannot be
// an id at all (not UTF-8, invisible characters, too long): nothing has
// such an id, so the caller answers 404 without asking the store.
func pathID(r *http.Request) (string, bool) {
	id := r.PathValue("id")
	return id, id != "" && engine.IDProblem(id) == ""
}

// notFound is a 404 for the thing of the given kind ("report") with id.
// The id is named only when it could be one: a 5,000-character or
// invisible id sent by a client is not echoed back into logs and pages.
func notFound(kind, id string, cause error) *Error {
	msg := "no " + kind + " with that id"
	if id != "" && engine.IDProblem(id) == "" {
		msg = "no " + kind + " with id " + strconv.Quote(id)
	}
	return &Error{Status: http.StatusNotFound, Code: "not_found", Message: msg, cause: cause}
}

// time parses an optional RFC 3339 time that must not lie in the future
// (beyond a few minutes of clock skew).
func (fe *fieldErrors) time(field, value string, now time.Time) time.Time {
	if value == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, value)
	switch {
	case err != nil:
		fe.add(field, "must be an RFC 3339 time such as 2026-11-22T09:00:00+09:00")
	case t.After(now.Add(5 * time.Minute)):
		fe.add(field, "lies in the future")
	}
	return t
}
