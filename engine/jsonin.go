package engine

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// This file is the one place where JSON from outside Haechi is read: API
// bodies, Kafka messages, command-line input, policy data and model
// manifests. encoding/json matches object keys case-insensitively and lets
// the last duplicate win, so {"text":"<abuse>","Text":"hi"} would be judged
// on "hi" while a case-sensitive client delivers the abuse. The JSON v2
// prototype (github.com/go-json-experiment/json) matches names exactly,
// refuses duplicate names, invalid UTF-8 and lone surrogate escapes, and
// reports where in the document a problem lies; every outside reader goes
// through DecodeJSON or DecodeJSONValue below.

// DecodeJSON parses one JSON object into v strictly: names must match v's
// fields exactly (case included), no name may repeat, unknown names are
// refused, the text must be valid UTF-8 without lone surrogate escapes, and
// nothing may follow the value. A problem comes back as a
// *ValidationError whose field is the full path ("chat.recipient.id").
func DecodeJSON(data []byte, v any) error {
	if !utf8.Valid(data) {
		return &ValidationError{Of: "JSON", Fields: []FieldError{{Problem: fmt.Sprintf("not valid UTF-8 (first bad byte at offset %d)", firstInvalidUTF8(data))}}}
	}
	if err := json.Unmarshal(data, v, json.RejectUnknownMembers(true)); err != nil {
		return &ValidationError{Of: "JSON", Fields: []FieldError{jsonFieldError(err)}}
	}
	return nil
}

// PeekJSON reads only the fields v names from a JSON document, ignoring
// any others, as strictly as DecodeJSON otherwise: it lets a reader look
// at a message's version before deciding how to read the rest.
func PeekJSON(data []byte, v any) error {
	if !utf8.Valid(data) {
		return &ValidationError{Of: "JSON", Fields: []FieldError{{Problem: fmt.Sprintf("not valid UTF-8 (first bad byte at offset %d)", firstInvalidUTF8(data))}}}
	}
	if err := json.Unmarshal(data, v); err != nil {
		return &ValidationError{Of: "JSON", Fields: []FieldError{jsonFieldError(err)}}
	}
	return nil
}

// DecodeJSONValue parses a JSON document whose shape is not fixed (policy
// data, policy inputs) into generic values, numbers as encoding/json's
// Number so that no precision is lost, after checking it as strictly as
// DecodeJSON does: UTF-8, escapes, duplicate names, one value only.
func DecodeJSONValue(data []byte) (any, error) {
	if !utf8.Valid(data) {
		return nil, &ValidationError{Of: "JSON", Fields: []FieldError{{Problem: fmt.Sprintf("not valid UTF-8 (first bad byte at offset %d)", firstInvalidUTF8(data))}}}
	}
	var raw jsontext.Value
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, &ValidationError{Of: "JSON", Fields: []FieldError{jsonFieldError(err)}}
	}
	dec := stdjson.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		// Unreachable after the check above; kept so a parser
		// disagreement fails loudly.
		return nil, &ValidationError{Of: "JSON", Fields: []FieldError{{Problem: "malformed JSON: " + err.Error()}}}
	}
	return v, nil
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

// jsonFieldError turns the decoder's errors into a problem named by the
// full path of the field it concerns.
func jsonFieldError(err error) FieldError {
	var semErr *json.SemanticError
	var synErr *jsontext.SyntacticError
	switch {
	case errors.As(err, &semErr):
		field := fieldPath(semErr.JSONPointer)
		switch {
		case errors.Is(semErr.Err, json.ErrUnknownName):
			return FieldError{Field: field, Problem: "unknown field"}
		case semErr.GoType == nil:
			return FieldError{Field: field, Problem: "malformed JSON: " + strings.TrimPrefix(err.Error(), "json: ")}
		case semErr.Err != nil && semErr.JSONKind == '"':
			// The value has the right JSON type but not the right form: a
			// time that is not RFC 3339, base64 that does not decode.
			return FieldError{Field: field, Problem: fmt.Sprintf("must be %s", jsonTypeName(semErr.GoType))}
		case semErr.JSONKind == '0' && semErr.Err != nil:
			return FieldError{Field: field, Problem: fmt.Sprintf("must be %s (%v)", jsonTypeName(semErr.GoType), semErr.Err)}
		}
		got := "a value"
		if semErr.JSONKind != 0 {
			got = "JSON " + kindName(semErr.JSONKind)
		}
		return FieldError{Field: field, Problem: fmt.Sprintf("must be %s, not %s", jsonTypeName(semErr.GoType), got)}
	case errors.As(err, &synErr):
		problem := strings.TrimPrefix(synErr.Err.Error(), "jsontext: ")
		switch {
		case errors.Is(synErr.Err, jsontext.ErrDuplicateName):
			return FieldError{Field: fieldPath(synErr.JSONPointer), Problem: "appears more than once"}
		case errors.Is(synErr.Err, io.ErrUnexpectedEOF):
			return FieldError{Problem: "malformed JSON: input ends before the value does"}
		case strings.Contains(problem, "after top-level value"):
			return FieldError{Problem: "unexpected data after the JSON value"}
		}
		return FieldError{Field: fieldPath(synErr.JSONPointer), Problem: fmt.Sprintf("malformed JSON at byte %d: %s", synErr.ByteOffset, problem)}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return FieldError{Problem: "malformed JSON: input ends before the value does"}
	}
	return FieldError{Problem: "malformed JSON: " + strings.TrimPrefix(err.Error(), "json: ")}
}

// fieldPath writes a JSON pointer ("/chat/recipient/id", "/context/3")
// as the dotted path the API's errors use ("chat.recipient.id",
// "context[3]"). A name that is not plainly printable (a Kelvin sign for a
// K, a zero-width space) is quoted, so the path shows what was sent.
func fieldPath(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if isIndex(tok) {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		if plainName(tok) {
			b.WriteString(tok)
		} else {
			b.WriteString(strconv.QuoteToASCII(tok))
		}
	}
	return b.String()
}

func isIndex(tok string) bool {
	if tok == "" || len(tok) > 9 {
		return false
	}
	for _, r := range tok {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func plainName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

func kindName(k jsontext.Kind) string {
	switch k {
	case '"':
		return "string"
	case '0':
		return "number"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return k.String()
}

func jsonTypeName(t reflect.Type) string {
	if t == reflect.TypeFor[jsontext.Value]() {
		return "JSON"
	}
	if t.String() == "time.Time" {
		return "an RFC 3339 time such as 2026-11-22T09:00:00+09:00"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return "an object"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "base64 (standard alphabet, padded)"
		}
		return "an array"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	}
	return t.Kind().String()
}
