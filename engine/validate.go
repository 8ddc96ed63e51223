package engine

import (
	"errors"
	"fmt"
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
	// Of names what was invalid in the message ("event", the default for
	// an empty Of; "JSON" for DecodeJSON's problems with other input).
	Of string `json:"-"`
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Error()
	}
	of := e.Of
	if of == "" {
		of = "event"
	}
	return "invalid " + of + ": " + strings.Join(parts, "; ")
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
		err.(*ValidationError).Of = "event"
		return nil, err
	}
	if err := ev.Validate(); err != nil {
		return nil, err
	}
	return &ev, nil
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
		checkMentions(&v, "chat.mentions", c.Mentions)
	}
	if s := e.Voice; s != nil {
		checkID(&v, "voice.session_id", s.SessionID, true)
		checkText(&v, "voice.transcript", s.Transcript, true)
		checkID(&v, "voice.speaker", s.Speaker, false)
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
	checkContext(&v, "context", e.Context)
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
	if id == "" {
		if required {
			v.add(field, "required")
		}
		return
	}
	if problem := IDProblem(id); problem != "" {
		v.add(field, "%s", problem)
	}
}

// IDProblem says what is wrong with a non-empty identifier (an event,
// user, space or report id, a speaker label), or "" when nothing is: at
// most MaxIDBytes of valid UTF-8 made only of visible characters. Spaces,
// newlines, control characters, bidirectional overrides, zero-width and
// other invisible format characters are refused: an id that renders like
// another, or reorders the text around it in a log or a reviewer's
// screen, must not exist.
func IDProblem(id string) string {
	switch {
	case len(id) > MaxIDBytes:
		return fmt.Sprintf("longer than %d bytes", MaxIDBytes)
	}
	// Most ids are printable ASCII, which needs no table lookups.
	ascii := true
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c >= 0x7f {
			ascii = false
			break
		}
	}
	if ascii {
		return ""
	}
	if !utf8.ValidString(id) {
		return "not valid UTF-8"
	}
	for _, r := range id {
		switch {
		case unicode.IsSpace(r):
			return "must not contain spaces or line breaks"
		case unicode.IsControl(r):
			return "must not contain control characters"
		case unicode.Is(unicode.Cf, r):
			return fmt.Sprintf("must not contain invisible formatting characters (U+%04X)", r)
		case !unicode.IsGraphic(r):
			return fmt.Sprintf("must not contain unassigned or private-use characters (U+%04X)", r)
		}
	}
	return ""
}

// CheckContext reports what is wrong with the context messages of an
// event or a report, under the field name given ("context").
func CheckContext(field string, msgs []ContextMessage) []FieldError {
	var v ValidationError
	checkContext(&v, field, msgs)
	return v.Fields
}

func checkContext(v *ValidationError, field string, msgs []ContextMessage) {
	if len(msgs) > MaxContextMessages {
		v.add(field, "has %d messages, over the limit of %d", len(msgs), MaxContextMessages)
		return
	}
	for i, m := range msgs {
		if (m.ID == "" || IDProblem(m.ID) == "") && m.SenderID != "" && IDProblem(m.SenderID) == "" && textProblem(m.Text, true) == "" {
			continue // the field's name is formatted only for an error
		}
		at := fmt.Sprintf("%s[%d]", field, i)
		if m.ID != "" {
			checkID(v, at+".id", m.ID, false)
		}
		checkID(v, at+".sender_id", m.SenderID, true)
		checkText(v, at+".text", m.Text, true)
	}
}

func checkMentions(v *ValidationError, field string, ids []string) {
	if len(ids) > MaxMentions {
		v.add(field, "has %d ids, over the limit of %d", len(ids), MaxMentions)
		return
	}
	for i, id := range ids {
		at := fmt.Sprintf("%s[%d]", field, i)
		checkID(v, at, id, true)
		if slices.Contains(ids[:i], id) {
			v.add(at, "repeats %s[%d]", field, slices.Index(ids[:i], id))
		}
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
	if !p.JoinedAt.IsZero() && p.JoinedAt.Year() < 2000 {
		v.add(field+".joined_at", "must be a time after 2000")
	}
}

func checkText(v *ValidationError, field, text string, required bool) {
	if p := textProblem(text, required); p != "" {
		v.add(field, "%s", p)
	}
}

// textProblem says what is wrong with a message text, or "".
func textProblem(text string, required bool) string {
	switch {
	case text == "" && required:
		return "required"
	case len(text) > MaxTextBytes:
		return fmt.Sprintf("is %d bytes, over the limit of %d", len(text), MaxTextBytes)
	case !utf8.ValidString(text):
		return "not valid UTF-8"
	}
	return ""
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
