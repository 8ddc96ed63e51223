package engine

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"math"
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
	// JoinedAt is when the account was created, by the world platform's
	// clock; zero when the platform does not say. Behavioural rules treat
	// links from new accounts with more suspicion.
	JoinedAt time.Time `json:"joined_at,omitzero"`
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

	// Origin is where the stream worker read the event. It is not content:
	// never encoded, fingerprinted or stored. Behavioural state is kept per
	// input partition (topics are keyed by sender) and Origin says which.
	Origin Origin `json:"-"`

	// Context is up to MaxContextMessages earlier messages of the same
	// space or conversation, oldest first, which the world platform (it
	// owns chat history) may attach so that a reviewer sees what was said
	// before. Haechi keeps it only in the snapshot of a case the event
	// opens; it is not part of the decision nor of the fingerprint.
	Context []ContextMessage `json:"context,omitempty"`
}

// ContextMessage is one earlier message shown to a reviewer beside the
// content a case is about.
type ContextMessage struct {
	ID       string    `json:"id,omitempty"`
	SenderID string    `json:"sender_id"`
	Text     string    `json:"text"`
	SentAt   time.Time `json:"sent_at,omitzero"`
}

// MaxContextMessages bounds Event.Context and a report's context.
const MaxContextMessages = 20

// Content is what a case's snapshot keeps of an event: the content as it
// was, for the reviewer, and its context. It travels with the decision
// (Decision.Content) to the store, which keeps it only when the decision
// opens a case, and deletes it a while after the case closes.
type Content struct {
	Kind          Kind             `json:"kind"`
	Text          string           `json:"text,omitempty"`
	ASRConfidence float64          `json:"asr_confidence,omitempty"`
	ContentType   string           `json:"content_type,omitempty"`
	Image         []byte           `json:"-"`
	ImageURI      string           `json:"image_uri,omitempty"`
	Context       []ContextMessage `json:"context,omitempty"`
}

// ContentOf is the snapshot content of ev. It shares ev's slices.
func ContentOf(ev *Event) *Content {
	c := &Content{Kind: ev.Kind, Text: ev.Text(), Context: ev.Context}
	if ev.Voice != nil {
		c.ASRConfidence = ev.Voice.Confidence
	}
	if im := ev.Image; im != nil {
		c.ContentType, c.Image, c.ImageURI = im.ContentType, im.Data, im.URI
	}
	return c
}

// ChatMessage is a text message typed in the world.
type ChatMessage struct {
	Text string `json:"text"`
	// ConversationID groups messages of one room or direct conversation.
	ConversationID string `json:"conversation_id,omitempty"`
	// Recipient is set for direct messages; its age band lets policy protect
	// minors from adults contacting them privately.
	Recipient *Party `json:"recipient,omitempty"`
	// Mentions are the ids of the users the message mentions or replies
	// to, at most MaxMentions, none twice. With Recipient they are the
	// message's targets, which pile-on detection counts senders against.
	Mentions []string `json:"mentions,omitempty"`
}

// Origin is an input topic's partition. The zero Origin (Topic "") is an
// event from the API, whose behavioural state stays in the process.
type Origin struct {
	Topic     string
	Partition int
}

// MaxMentions bounds ChatMessage.Mentions.
const MaxMentions = 20

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

// Fingerprint identifies what the event says and where: a SHA-256 over
// every field but ReceivedAt (which the receiver stamps) and Context (the
// platform's view of the conversation, which may differ between two
// sends of one message), as it arrived, before any image was fetched. Two events with one id and different
// fingerprints are different content posing as a repeat: the store keeps
// the fingerprint beside the decision (never in it, nor in any message)
// so that a repeat can be told from an impostor.
func (e *Event) Fingerprint() string {
	f := fingerprinter{h: sha256.New()}
	f.str("haechi-event-v1")
	f.str(e.ID)
	f.str(string(e.Kind))
	f.str(e.World)
	f.str(e.Space.ID)
	f.str(string(e.Space.Type))
	f.party(&e.Sender)
	f.str(e.Lang)
	f.str(e.SentAt.UTC().Format(time.RFC3339Nano))
	if c := e.Chat; f.present(c != nil) {
		f.str(c.Text)
		f.str(c.ConversationID)
		if f.present(c.Recipient != nil) {
			f.party(c.Recipient)
		}
	}
	if v := e.Voice; f.present(v != nil) {
		f.str(v.SessionID)
		f.str(v.Speaker)
		f.num(uint64(v.StartMS))
		f.num(uint64(v.EndMS))
		f.str(v.Transcript)
		f.num(math.Float64bits(v.Confidence))
	}
	if im := e.Image; f.present(im != nil) {
		f.str(im.ContentType)
		f.bytes(im.Data)
		f.str(im.URI)
		f.str(im.SHA256)
		f.str(im.Caption)
	}
	f.extensions(e)
	return hex.EncodeToString(f.h.Sum(nil))
}

// fingerprinter writes each field with its length first, so that no two
// different events write the same bytes.
type fingerprinter struct {
	h   hash.Hash
	buf [8]byte
}

func (f *fingerprinter) num(n uint64) {
	binary.BigEndian.PutUint64(f.buf[:], n)
	f.h.Write(f.buf[:])
}

func (f *fingerprinter) str(s string) {
	f.num(uint64(len(s)))
	f.h.Write([]byte(s))
}

func (f *fingerprinter) bytes(b []byte) {
	f.num(uint64(len(b)))
	f.h.Write(b)
}

func (f *fingerprinter) present(ok bool) bool {
	if ok {
		f.num(1)
	} else {
		f.num(0)
	}
	return ok
}

// extensions writes the fields added after the first version of the
// fingerprint (joined_at, mentions), after everything else and only when
// one is set, so that events without them keep the fingerprints their
// stored decisions carry. The fields before are self-delimiting, so the
// extension cannot make two events write the same bytes.
func (f *fingerprinter) extensions(e *Event) {
	var recipient *Party
	var mentions []string
	if e.Chat != nil {
		recipient, mentions = e.Chat.Recipient, e.Chat.Mentions
	}
	joined := func(p *Party) uint64 {
		if p == nil || p.JoinedAt.IsZero() {
			return 0
		}
		return uint64(p.JoinedAt.UnixNano())
	}
	if joined(&e.Sender) == 0 && joined(recipient) == 0 && len(mentions) == 0 {
		return
	}
	f.str("haechi-event-v2")
	f.num(joined(&e.Sender))
	f.num(joined(recipient))
	f.num(uint64(len(mentions)))
	for _, m := range mentions {
		f.str(m)
	}
}

func (f *fingerprinter) party(p *Party) {
	f.str(p.ID)
	f.str(string(p.Role))
	f.str(string(p.AgeBand))
}
