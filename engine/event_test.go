package engine

import (
	"reflect"
	"testing"
	"time"
)

// TestFingerprintCoversEveryField: changing any field of an event but
// received_at changes its fingerprint. The field count guards against a
// field added to Event and forgotten by Fingerprint.
func TestFingerprintCoversEveryField(t *testing.T) {
	for typ, n := range map[reflect.Type]int{
		reflect.TypeFor[Event]():        13, // Context and Origin are left out on purpose
		reflect.TypeFor[Party]():        4,
		reflect.TypeFor[Space]():        2,
		reflect.TypeFor[ChatMessage]():  4,
		reflect.TypeFor[VoiceSegment](): 6,
		reflect.TypeFor[ImageUpload]():  5,
	} {
		if typ.NumField() != n {
			t.Errorf("%s has %d fields, Fingerprint knows %d: add the new ones to it and to this test", typ, typ.NumField(), n)
		}
	}
	base := func() *Event {
		return &Event{
			ID: "e1", Kind: KindChat, World: "w", Space: Space{ID: "s", Type: SpacePlaza},
			Sender: Party{ID: "u", Role: RoleCitizen, AgeBand: AgeAdult}, Lang: "ko",
			SentAt: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC),
			Chat:   &ChatMessage{Text: "안녕", ConversationID: "c", Recipient: &Party{ID: "r", AgeBand: AgeTeen}},
			Voice:  &VoiceSegment{SessionID: "v", Speaker: "a", StartMS: 1, EndMS: 2, Transcript: "t", Confidence: 0.5},
			Image:  &ImageUpload{ContentType: "image/png", Data: []byte{1}, URI: "https://b/x", SHA256: "ab", Caption: "c"},
		}
	}
	edits := map[string]func(*Event){
		"id": func(e *Event) { e.ID = "e2" }, "kind": func(e *Event) { e.Kind = KindVoice },
		"world": func(e *Event) { e.World = "w2" }, "space.id": func(e *Event) { e.Space.ID = "s2" },
		"space.type": func(e *Event) { e.Space.Type = SpaceYouth }, "sender.id": func(e *Event) { e.Sender.ID = "u2" },
		"sender.role": func(e *Event) { e.Sender.Role = RoleStaff }, "sender.age_band": func(e *Event) { e.Sender.AgeBand = AgeTeen },
		"lang": func(e *Event) { e.Lang = "en" }, "sent_at": func(e *Event) { e.SentAt = e.SentAt.Add(time.Nanosecond) },
		"chat": func(e *Event) { e.Chat = nil }, "chat.text": func(e *Event) { e.Chat.Text = "안녕!" },
		"chat.conversation_id": func(e *Event) { e.Chat.ConversationID = "c2" },
		"chat.recipient":       func(e *Event) { e.Chat.Recipient = nil },
		"chat.recipient.id":    func(e *Event) { e.Chat.Recipient.ID = "r2" },
		"chat.recipient.age":   func(e *Event) { e.Chat.Recipient.AgeBand = AgeChild },
		"voice":                func(e *Event) { e.Voice = nil }, "voice.session_id": func(e *Event) { e.Voice.SessionID = "v2" },
		"voice.speaker": func(e *Event) { e.Voice.Speaker = "b" }, "voice.start_ms": func(e *Event) { e.Voice.StartMS = 0 },
		"voice.end_ms": func(e *Event) { e.Voice.EndMS = 3 }, "voice.transcript": func(e *Event) { e.Voice.Transcript = "u" },
		"voice.asr_confidence": func(e *Event) { e.Voice.Confidence = 0.6 },
		"image":                func(e *Event) { e.Image = nil }, "image.content_type": func(e *Event) { e.Image.ContentType = "image/jpeg" },
		"image.data": func(e *Event) { e.Image.Data = []byte{2} }, "image.uri": func(e *Event) { e.Image.URI = "https://b/y" },
		"image.sha256": func(e *Event) { e.Image.SHA256 = "cd" }, "image.caption": func(e *Event) { e.Image.Caption = "d" },
		"sender.joined_at":      func(e *Event) { e.Sender.JoinedAt = e.SentAt.Add(-time.Hour) },
		"chat.recipient.joined": func(e *Event) { e.Chat.Recipient.JoinedAt = e.SentAt.Add(-time.Hour) },
		"chat.mentions":         func(e *Event) { e.Chat.Mentions = []string{"m1"} },
		// Moving a character from one field to the next must not collide.
		"boundary": func(e *Event) { e.World, e.Space.ID = "ws", "" },
	}
	want := base().Fingerprint()
	if got := base().Fingerprint(); got != want {
		t.Fatalf("fingerprint not deterministic: %s, %s", got, want)
	}
	for name, edit := range edits {
		ev := base()
		edit(ev)
		if ev.Fingerprint() == want {
			t.Errorf("changing %s leaves the fingerprint unchanged", name)
		}
	}
	// An event without the fields added later keeps the fingerprint its
	// stored decision carries (this digest was computed before they were).
	if want != pinnedFingerprint {
		t.Errorf("the fingerprint of an event without joined_at or mentions changed: %s, was %s", want, pinnedFingerprint)
	}
	ev := base()
	ev.ReceivedAt = time.Now()
	ev.Context = []ContextMessage{{SenderID: "u9", Text: "earlier"}}
	ev.SentAt = ev.SentAt.In(time.FixedZone("KST", 9*3600))
	if ev.Fingerprint() != want {
		t.Error("received_at, context or the sent_at time zone changed the fingerprint")
	}
}

// pinnedFingerprint is the fingerprint of TestFingerprintCoversEveryField's
// base event as computed before joined_at and mentions were added.
const pinnedFingerprint = "9a6b502b7187fd325b352574dd43c12d3ca50e16993fe46cd27ca7bdaa308279"
