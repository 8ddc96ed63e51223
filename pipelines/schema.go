package pipelines

import (
	"encoding/json"
	"fmt"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/haechi-tns/haechi/engine"
)

// SchemaVersion is the version of every message Haechi reads and writes.
// A message with another version goes to the dead-letter topic.
const SchemaVersion = 1

// Topics names the topics a worker reads and writes. The defaults are
// DefaultTopics; every name can be changed from the command line.
type Topics struct {
	Chat, Voice, Images string // input
	Decisions, Actions  string // output
	DeadLetter          string // malformed or undecidable input
}

// DefaultTopics are the topic names of the README.
var DefaultTopics = Topics{
	Chat:       "haechi.chat",
	Voice:      "haechi.voice",
	Images:     "haechi.images",
	Decisions:  "haechi.decisions",
	Actions:    "haechi.actions",
	DeadLetter: "haechi.dlq",
}

// Inputs lists the input topics.
func (t Topics) Inputs() []string { return []string{t.Chat, t.Voice, t.Images} }

// All lists every topic.
func (t Topics) All() []string {
	return []string{t.Chat, t.Voice, t.Images, t.Decisions, t.Actions, t.DeadLetter}
}

// KindOf is the event kind an input topic carries.
func (t Topics) KindOf(topic string) (engine.Kind, bool) {
	switch topic {
	case t.Chat:
		return engine.KindChat, true
	case t.Voice:
		return engine.KindVoice, true
	case t.Images:
		return engine.KindImage, true
	}
	return "", false
}

// TopicFor is the input topic for an event kind.
func (t Topics) TopicFor(k engine.Kind) string {
	switch k {
	case engine.KindVoice:
		return t.Voice
	case engine.KindImage:
		return t.Images
	}
	return t.Chat
}

// EventMessage is the value of a message on an input topic.
type EventMessage struct {
	SchemaVersion int           `json:"schema_version"`
	Event         *engine.Event `json:"event"`
}

// DecisionMessage is the value of a message on the decisions topic.
type DecisionMessage struct {
	SchemaVersion int              `json:"schema_version"`
	Decision      *engine.Decision `json:"decision"`
}

// Reasons a message goes to the dead-letter topic, in its
// haechi-dlq-class header.
const (
	ClassMalformed   = "malformed"   // not a JSON object of the schema
	ClassSchema      = "schema"      // unknown schema version
	ClassOversized   = "oversized"   // over the size limit
	ClassInvalid     = "invalid"     // a field is missing or wrong
	ClassWrongTopic  = "wrong-topic" // the event's kind is not the topic's
	ClassUndecidable = "undecidable" // classifiers or policy kept failing
	ClassConflict    = "conflict"    // the event id was decided for other content
)

// BadMessage is why an input message cannot be decided; it sends the
// message to the dead-letter topic.
type BadMessage struct {
	Class  string
	Reason string
}

func (e *BadMessage) Error() string { return e.Class + ": " + e.Reason }

// DecodeEventMessage parses and validates an input message from topic
// (kinds must match the topic). maxBytes bounds the value's size.
func DecodeEventMessage(topic string, value []byte, topics Topics, maxBytes int) (*engine.Event, error) {
	if len(value) > maxBytes {
		return nil, &BadMessage{ClassOversized, fmt.Sprintf("message is %d bytes, over the limit of %d", len(value), maxBytes)}
	}
	// A message that reads strictly as this version's is read once. One
	// that does not is read again for its version alone, so that a future
	// version is reported as such rather than as unknown fields.
	var msg struct {
		SchemaVersion *int          `json:"schema_version"`
		Event         *engine.Event `json:"event"`
	}
	strictErr := engine.DecodeJSON(value, &msg)
	version, eventMissing := msg.SchemaVersion, msg.Event == nil
	if strictErr != nil {
		var head struct {
			SchemaVersion *int           `json:"schema_version"`
			Event         jsontext.Value `json:"event"`
		}
		if err := engine.PeekJSON(value, &head); err != nil {
			return nil, &BadMessage{ClassMalformed, err.Error()}
		}
		version, eventMissing = head.SchemaVersion, len(head.Event) == 0 || head.Event.Kind() == 'n'
	}
	switch {
	case version == nil:
		return nil, &BadMessage{ClassSchema, "schema_version is missing"}
	case *version != SchemaVersion:
		return nil, &BadMessage{ClassSchema, fmt.Sprintf("schema_version %d is not supported (this worker reads %d)", *version, SchemaVersion)}
	case eventMissing:
		return nil, &BadMessage{ClassInvalid, "event is missing"}
	case strictErr != nil:
		return nil, &BadMessage{ClassMalformed, strictErr.Error()}
	}
	ev := msg.Event
	if err := ev.Validate(); err != nil {
		return nil, &BadMessage{ClassInvalid, err.Error()}
	}
	if want, ok := topics.KindOf(topic); ok && ev.Kind != want {
		return nil, &BadMessage{ClassWrongTopic, fmt.Sprintf("a %s event on %s, which carries %s events", ev.Kind, topic, want)}
	}
	return ev, nil
}

// EncodeEvent is the input message for ev, as producers write it.
func EncodeEvent(ev *engine.Event) ([]byte, error) {
	return json.Marshal(EventMessage{SchemaVersion: SchemaVersion, Event: ev})
}

// KeyFor is the message key for ev: its sender, so that one user's
// messages stay in order on one partition.
func KeyFor(ev *engine.Event) string { return ev.Sender.ID }
