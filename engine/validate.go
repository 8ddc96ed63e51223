package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Size limits for event content. Text beyond MaxTextBytes is refused rather
// than truncated: moderating half a message would let the other half through.
const (
	MaxTextBytes  = 16 << 10
	MaxIDBytes    = 128
	MaxImageBytes = 10 << 20
	MaxURIBytes   = 2048
	// MaxEventBytes bounds an encoded event: the image limit as base64 plus
	// room for the envelope.
	MaxEventBytes = MaxImageBytes*4/3 + 64<<10
)

// FieldError says what is wrong with one field of an input. Field is the JSON
// path of the field ("chat.text"); Problem is a short English sentence meant
// for the developer who sent it.
type FieldError struct {
	Field   string `json:"field"`
	Problem string `json:"problem"`
}

func (e FieldError) Error() string {
	if e.Field == "" {
		return e.Problem
	}
	return e.Field + ": " + e.Problem
}

// ValidationError lists every problem found in an input. Callers show it to
// whoever sent the input: it never contains the content itself.
type ValidationError struct {
	Fields []FieldError `json:"fields"`
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Error()
	}
	return "invalid event: " + strings.Join(parts, "; ")
}

func (e *ValidationError) add(field, format string, args ...any) {
	e.Fields = append(e.Fields, FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
}

func (e *ValidationError) errOrNil() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

// IsValidationError reports whether err (or anything it wraps) is a
// ValidationError, that is a problem with the input rather than with Haechi.
func IsValidationError(err error) bool {
	var v *ValidationError
	return errors.As(err, &v)
}

// DecodeEvent parses one JSON event and validates it. It refuses invalid
// UTF-8 (encoding/json would silently replace it), unknown fields, trailing
// data and anything Validate refuses, always with a *ValidationError.
func DecodeEvent(data []byte) (*Event, error) {
	if len(data) > MaxEventBytes {
		return nil, &ValidationError{Fields: []FieldError{{Problem: fmt.Sprintf("event is %d bytes, over the limit of %d", len(data), MaxEventBytes)}}}
	}
	var ev Event
	if err := DecodeJSON(data, &ev); err != nil {
		return nil, err
	}
	if err := ev.Validate(); err != nil {
		return nil, err
	}
	return &ev, nil
}

// DecodeJSON parses one JSON object into v strictly: the data must be
// valid UTF-8 (encoding/json would silently replace bad bytes), name no
// field v lacks and have nothing after the object. A problem comes back as
// a *ValidationError naming the field where it can. Events, API requests
// and Kafka messages are all read with it.
func DecodeJSON(data []byte, v any) error {
	if !utf8.Valid(data) {
		return &ValidationError{Fields: []FieldError{{Problem: fmt.Sprintf("not valid UTF-8 (first bad byte at offset %d)", firstInvalidUTF8(data))}}}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &ValidationError{Fields: []FieldError{jsonFieldError(err)}}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &ValidationError{Fields: []FieldError{{Problem: "unexpected data after the JSON object"}}}
	}
	return nil
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

// jsonFieldError turns encoding/json's errors into a field-named problem.
func jsonFieldError(err error) FieldError {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		return FieldError{Field: typeErr.Field, Problem: fmt.Sprintf("must be %s, not JSON %s", jsonTypeName(typeErr.Type), typeErr.Value)}
	case errors.As(err, &syntaxErr):
		return FieldError{Problem: fmt.Sprintf("malformed JSON at byte %d: %s", syntaxErr.Offset, strings.TrimPrefix(syntaxErr.Error(), "json: "))}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return FieldError{Problem: "malformed JSON: input ends before the object does"}
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if field, ok := strings.CutPrefix(msg, "unknown field "); ok {
		return FieldError{Field: strings.Trim(field, `"`), Problem: "unknown field"}
	}
	return FieldError{Problem: "malformed JSON: " + msg}
}

func jsonTypeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return "an object"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a base64 string"
		}
		return "an array"
	case reflect.Int, reflect.Int64, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	}
	return t.Kind().String()
}

// Validate checks that the event is complete and within limits. It returns
// a *ValidationError naming every bad field, or nil.
func (e *Event) Validate() error {
	var v ValidationError
	checkID(&v, "id", e.ID, true)
	checkID(&v, "world", e.World, true)
	checkID(&v, "space.id", e.Space.ID, true)
	if !slices.Contains(SpaceTypes, e.Space.Type) {
		v.add("space.type", "must be one of %s", joinValues(SpaceTypes))
	}
	checkParty(&v, "sender", &e.Sender, true)
	if e.Lang != "" && !validLang(e.Lang) {
		v.add("lang", "must be a language tag such as \"ko\" or \"en\"")
	}
	if e.SentAt.IsZero() {
		v.add("sent_at", "required (RFC 3339 time)")
	}

	payloads := []struct {
		kind Kind
		set  bool
	}{{KindChat, e.Chat != nil}, {KindVoice, e.Voice != nil}, {KindImage, e.Image != nil}}
	switch e.Kind {
	case KindChat, KindVoice, KindImage:
		for _, p := range payloads {
			switch {
			case p.kind == e.Kind && !p.set:
				v.add(string(p.kind), "required for an event of kind %q", e.Kind)
			case p.kind != e.Kind && p.set:
				v.add(string(p.kind), "not allowed in an event of kind %q", e.Kind)
			}
		}
	case "":
		v.add("kind", "required: one of chat, voice, image")
	default:
		v.add("kind", "unknown kind %q: must be one of chat, voice, image", e.Kind)
	}

	if c := e.Chat; c != nil {
		checkText(&v, "chat.text", c.Text, true)
		if c.ConversationID != "" {
			checkID(&v, "chat.conversation_id", c.ConversationID, false)
		}
		if c.Recipient != nil {
			checkParty(&v, "chat.recipient", c.Recipient, false)
		}
	}
	if s := e.Voice; s != nil {
		checkID(&v, "voice.session_id", s.SessionID, true)
		checkText(&v, "voice.transcript", s.Transcript, true)
		if len(s.Speaker) > MaxIDBytes {
			v.add("voice.speaker", "longer than %d bytes", MaxIDBytes)
		}
		if s.StartMS < 0 {
			v.add("voice.start_ms", "must not be negative")
		}
		if s.EndMS < s.StartMS {
			v.add("voice.end_ms", "must not be before start_ms")
		}
		if !(s.Confidence >= 0 && s.Confidence <= 1) {
			v.add("voice.asr_confidence", "must be between 0 and 1")
		}
	}
	if im := e.Image; im != nil {
		switch {
		case len(im.Data) == 0 && im.URI == "":
			v.add("image", "needs data (base64) or uri")
		case len(im.Data) > 0 && im.URI != "":
			v.add("image", "has both data and uri: send one")
		}
		if len(im.Data) > MaxImageBytes {
			v.add("image.data", "is %d bytes, over the limit of %d", len(im.Data), MaxImageBytes)
		}
		if len(im.URI) > MaxURIBytes {
			v.add("image.uri", "longer than %d bytes", MaxURIBytes)
		}
		checkText(&v, "image.caption", im.Caption, false)
	}
	return v.errOrNil()
}

func checkID(v *ValidationError, field, id string, required bool) {
	switch {
	case id == "":
		if required {
			v.add(field, "required")
		}
	case len(id) > MaxIDBytes:
		v.add(field, "longer than %d bytes", MaxIDBytes)
	case !utf8.ValidString(id):
		v.add(field, "not valid UTF-8")
	case strings.IndexFunc(id, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		v.add(field, "must not contain spaces or control characters")
	}
}

func checkParty(v *ValidationError, field string, p *Party, roleRequired bool) {
	checkID(v, field+".id", p.ID, true)
	switch p.Role {
	case RoleCitizen, RoleStaff, RoleOfficial, RoleBusiness:
	case "":
		if roleRequired {
			v.add(field+".role", "required: one of citizen, staff, official, business")
		}
	default:
		v.add(field+".role", "unknown role %q: must be one of citizen, staff, official, business", p.Role)
	}
	switch p.AgeBand {
	case AgeUnknown, AgeChild, AgeTeen, AgeAdult:
	default:
		v.add(field+".age_band", "unknown age band %q: must be child, teen, adult or absent", p.AgeBand)
	}
}

func checkText(v *ValidationError, field, text string, required bool) {
	switch {
	case text == "" && required:
		v.add(field, "required")
	case len(text) > MaxTextBytes:
		v.add(field, "is %d bytes, over the limit of %d", len(text), MaxTextBytes)
	case !utf8.ValidString(text):
		v.add(field, "not valid UTF-8")
	}
}

func validLang(s string) bool {
	if len(s) > 35 {
		return false
	}
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || (r == '-' && i > 0) || (r >= '0' && r <= '9' && i > 0)) {
			return false
		}
	}
	return true
}

func joinValues[T ~string](vals []T) string {
	s := make([]string, len(vals))
	for i, x := range vals {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}
