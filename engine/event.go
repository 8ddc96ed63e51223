package engine

import (
	"time"
)

// Kind says what an Event carries.
type Kind string

// Event kinds.
const (
	KindChat  Kind = "chat"
	KindVoice Kind = "voice"
	KindImage Kind = "image"
)

// SpaceType is the kind of place in the world where content was posted.
// Policy data sets thresholds per space type.
type SpaceType string

// Space types of the city-hall world.
const (
	SpacePlaza       SpaceType = "plaza"
	SpaceMayorOffice SpaceType = "mayor_office"
	SpaceYouth       SpaceType = "youth"
	SpaceBusiness    SpaceType = "business"
	SpaceLegal       SpaceType = "legal"
	SpaceHR          SpaceType = "hr"
	SpaceTourism     SpaceType = "tourism"
	SpaceLibrary     SpaceType = "library"
	SpaceEvent       SpaceType = "event"
)

// SpaceTypes lists every valid space type.
var SpaceTypes = []SpaceType{
	SpacePlaza, SpaceMayorOffice, SpaceYouth, SpaceBusiness, SpaceLegal,
	SpaceHR, SpaceTourism, SpaceLibrary, SpaceEvent,
}

// Role is who a sender is on the platform.
type Role string

// Sender roles.
const (
	RoleCitizen  Role = "citizen"
	RoleStaff    Role = "staff"
	RoleOfficial Role = "official"
	RoleBusiness Role = "business"
)

// AgeBand is a sender's verified age group, where the world platform knows it.
type AgeBand string

// Age bands. The empty value means unknown.
const (
	AgeUnknown AgeBand = ""
	AgeChild   AgeBand = "child" // under 14
	AgeTeen    AgeBand = "teen"  // 14 to 18
	AgeAdult   AgeBand = "adult"
)

// Minor reports whether the age band is under 19 (Korean age of majority).
func (a AgeBand) Minor() bool { return a == AgeChild || a == AgeTeen }

// Space identifies where in the world an event happened.
type Space struct {
	ID   string    `json:"id"`
	Type SpaceType `json:"type"`
}

// Party is a person taking part in an exchange: a sender or a recipient.
type Party struct {
	ID      string  `json:"id"`
	Role    Role    `json:"role,omitempty"`
	AgeBand AgeBand `json:"age_band,omitempty"`
}

// Event is one piece of user content to moderate: a chat message, a
// voice-transcript segment or an image upload. Exactly one of Chat, Voice and
// Image is set, matching Kind. Events arrive from Kafka or the synchronous
// API; Validate must pass before an Event reaches Decide.
type Event struct {
	ID     string `json:"id"`
	Kind   Kind   `json:"kind"`
	World  string `json:"world"`
	Space  Space  `json:"space"`
	Sender Party  `json:"sender"`
	// Lang is the BCP 47 language the platform believes the content is in
	// ("ko", "en"); empty when unknown.
	Lang string `json:"lang,omitempty"`
	// SentAt is when the user sent the content, by the world platform's clock.
	SentAt time.Time `json:"sent_at"`
	// ReceivedAt is when Haechi received it; set by the receiver when zero.
	ReceivedAt time.Time `json:"received_at,omitzero"`

	Chat  *ChatMessage  `json:"chat,omitempty"`
	Voice *VoiceSegment `json:"voice,omitempty"`
	Image *ImageUpload  `json:"image,omitempty"`
}

// ChatMessage is a text message typed in the world.
type ChatMessage struct {
	Text string `json:"text"`
	// ConversationID groups messages of one room or direct conversation.
	ConversationID string `json:"conversation_id,omitempty"`
	// Recipient is set for direct messages; its age band lets policy protect
	// minors from adults contacting them privately.
	Recipient *Party `json:"recipient,omitempty"`
}

// VoiceSegment is one speaker turn of a voice conversation, transcribed by
// the world platform's speech recogniser.
type VoiceSegment struct {
	SessionID string `json:"session_id"`
	// Speaker is the speaker label the recogniser gave this turn; the sender
	// is the account the platform attributes it to.
	Speaker string `json:"speaker,omitempty"`
	// StartMS and EndMS are offsets from the start of the voice session.
	StartMS    int64   `json:"start_ms"`
	EndMS      int64   `json:"end_ms"`
	Transcript string  `json:"transcript"`
	Confidence float64 `json:"asr_confidence"`
}

// ImageUpload is an image a user posted. Either Data holds the bytes or URI
// names a blob the world platform stores.
type ImageUpload struct {
	ContentType string `json:"content_type,omitempty"`
	Data        []byte `json:"data,omitempty"`
	URI         string `json:"uri,omitempty"`
	SHA256      string `json:"sha256,omitempty"`
	Caption     string `json:"caption,omitempty"`
}

// Text returns the text of the event that text classifiers read: the chat
// message, the voice transcript or the image caption.
func (e *Event) Text() string {
	switch {
	case e.Chat != nil:
		return e.Chat.Text
	case e.Voice != nil:
		return e.Voice.Transcript
	case e.Image != nil:
		return e.Image.Caption
	}
	return ""
}
