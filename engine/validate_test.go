package engine

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

const validChat = `{"id":"e1","kind":"chat","world":"w","space":{"id":"s1","type":"plaza"},
 "sender":{"id":"u1","role":"citizen"},"sent_at":"2026-11-22T09:00:00Z","chat":{"text":"안녕하세요"}}`

func TestDecodeEventValid(t *testing.T) {
	ev, err := DecodeEvent([]byte(validChat))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Text() != "안녕하세요" || ev.Space.Type != SpacePlaza || ev.Sender.Role != RoleCitizen {
		t.Errorf("decoded %+v", ev)
	}
}

func TestDecodeEventErrors(t *testing.T) {
	long := strings.Repeat("가", MaxTextBytes/3+1)
	tests := []struct {
		name  string
		in    string
		field string // the field the error must name; "" for whole-input errors
		want  string
	}{
		{"malformed", `{"id":`, "", "malformed JSON"},
		{"not an object", `[1,2]`, "", "must be an object"},
		{"trailing", validChat + `{}`, "", "after the JSON value"},
		{"invalid utf8", "{\"id\":\"e\xff1\"}", "", "not valid UTF-8"},
		{"unknown field", strings.Replace(validChat, `"world"`, `"wrld"`, 1), "wrld", "unknown field"},
		{"unknown kind", strings.Replace(validChat, `"kind":"chat"`, `"kind":"video"`, 1), "kind", "unknown kind"},
		{"missing kind", strings.Replace(validChat, `"kind":"chat",`, ``, 1), "kind", "required"},
		{"missing id", strings.Replace(validChat, `"id":"e1",`, ``, 1), "id", "required"},
		{"missing world", strings.Replace(validChat, `"world":"w",`, ``, 1), "world", "required"},
		{"bad space type", strings.Replace(validChat, `"plaza"`, `"moon"`, 1), "space.type", "must be one of"},
		{"bad role", strings.Replace(validChat, `"citizen"`, `"mayor"`, 1), "sender.role", "unknown role"},
		{"bad age band", strings.Replace(validChat, `"role":"citizen"`, `"role":"citizen","age_band":"old"`, 1), "sender.age_band", "unknown age band"},
		{"missing sent_at", strings.Replace(validChat, `"sent_at":"2026-11-22T09:00:00Z",`, ``, 1), "sent_at", "required"},
		{"bad sent_at", strings.Replace(validChat, `2026-11-22T09:00:00Z`, `yesterday`, 1), "sent_at", "RFC 3339"},
		// encoding/json would fold "Text" onto text and keep the last: the
		// benign one would be judged and the abuse delivered.
		{"key differing in case", strings.Replace(validChat, `"text":"안녕하세요"`, `"text":"씨발 개새끼","Text":"안녕하세요"`, 1), "chat.Text", "unknown field"},
		{"key with a Kelvin sign", strings.Replace(validChat, `"kind"`, `"\u212aind"`, 1), `"\u212aind"`, "unknown field"},
		{"duplicate key", strings.Replace(validChat, `"text":"안녕하세요"`, `"text":"씨발","text":"안녕하세요"`, 1), "chat.text", "more than once"},
		{"duplicate top-level key", strings.Replace(validChat, `"kind":"chat"`, `"kind":"chat","kind":"voice"`, 1), "kind", "more than once"},
		{"lone surrogate", strings.Replace(validChat, `안녕하세요`, `\ud800`, 1), "chat.text", "surrogate"},
		{"unknown nested field", strings.Replace(validChat, `"text":"안녕하세요"`, `"text":"hi","evil":1`, 1), "chat.evil", "unknown field"},
		{"bad base64", strings.Replace(validChat, `"chat":{"text":"안녕하세요"}`, `"image":{"data":"!!not base64"}`, 1), "image.data", "base64"},
		{"nested type", strings.Replace(validChat, `"text":"안녕하세요"`, `"text":"hi","recipient":{"id":7}`, 1), "chat.recipient.id", "must be a string"},
		{"id with bidi override", strings.Replace(validChat, `"id":"e1"`, `"id":"e1\u202e"`, 1), "id", "invisible"},
		{"id with zero-width space", strings.Replace(validChat, `"id":"u1"`, `"id":"u\u200b1"`, 1), "sender.id", "invisible"},
		{"id with newline", strings.Replace(validChat, `"world":"w"`, `"world":"w\nx"`, 1), "world", "line breaks"},
		{"speaker with newline", strings.Replace(validChat, `"chat":{"text":"안녕하세요"}`, `"voice":{"session_id":"v","speaker":"a\nb","transcript":"x","start_ms":0,"end_ms":1,"asr_confidence":0.5}`, 1), "voice.speaker", "line breaks"},
		{"empty text", strings.Replace(validChat, `안녕하세요`, ``, 1), "chat.text", "required"},
		{"text too long", strings.Replace(validChat, `안녕하세요`, long, 1), "chat.text", "over the limit"},
		{"wrong payload", strings.Replace(validChat, `"chat":{"text":"안녕하세요"}`, `"voice":{"session_id":"v","transcript":"x","start_ms":0,"end_ms":1,"asr_confidence":0.5}`, 1), "chat", "required"},
		{"text as number", strings.Replace(validChat, `"안녕하세요"`, `5`, 1), "chat.text", "must be a string"},
		{"id with space", strings.Replace(validChat, `"id":"e1"`, `"id":"e 1"`, 1), "id", "spaces"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeEvent([]byte(tt.in))
			if !IsValidationError(err) {
				t.Fatalf("DecodeEvent error = %v, want a validation error", err)
			}
			fields := err.(*ValidationError).Fields
			if !slices.ContainsFunc(fields, func(f FieldError) bool {
				return f.Field == tt.field && strings.Contains(f.Problem, tt.want)
			}) {
				t.Errorf("DecodeEvent error = %v, want field %q with %q", err, tt.field, tt.want)
			}
		})
	}
}

func TestValidateVoiceAndImage(t *testing.T) {
	base := func() Event {
		ev, err := DecodeEvent([]byte(validChat))
		if err != nil {
			t.Fatal(err)
		}
		ev.Chat = nil
		return *ev
	}
	tests := []struct {
		name  string
		edit  func(*Event)
		field string
	}{
		{"voice ok", func(e *Event) {
			e.Kind, e.Voice = KindVoice, &VoiceSegment{SessionID: "v", Transcript: "hi", StartMS: 10, EndMS: 20, Confidence: 0.8}
		}, ""},
		{"voice end before start", func(e *Event) {
			e.Kind, e.Voice = KindVoice, &VoiceSegment{SessionID: "v", Transcript: "hi", StartMS: 30, EndMS: 20, Confidence: 0.8}
		}, "voice.end_ms"},
		{"voice confidence", func(e *Event) {
			e.Kind, e.Voice = KindVoice, &VoiceSegment{SessionID: "v", Transcript: "hi", EndMS: 20, Confidence: 1.5}
		}, "voice.asr_confidence"},
		{"image ok", func(e *Event) { e.Kind, e.Image = KindImage, &ImageUpload{URI: "blob://x"} }, ""},
		{"image both", func(e *Event) { e.Kind, e.Image = KindImage, &ImageUpload{URI: "blob://x", Data: []byte{1}} }, "image"},
		{"image neither", func(e *Event) { e.Kind, e.Image = KindImage, &ImageUpload{} }, "image"},
		{"recipient without id", func(e *Event) {
			e.Chat = &ChatMessage{Text: "hi", Recipient: &Party{AgeBand: AgeTeen}}
		}, "chat.recipient.id"},
		{"invalid utf8 text", func(e *Event) { e.Chat = &ChatMessage{Text: "a\xffb"} }, "chat.text"},
		{"mentions ok", func(e *Event) { e.Chat = &ChatMessage{Text: "hi", Mentions: []string{"u1", "u2"}} }, ""},
		// A repeated mention would count one target twice in a pile-on.
		{"mention repeated", func(e *Event) { e.Chat = &ChatMessage{Text: "hi", Mentions: []string{"u1", "u2", "u1"}} }, "chat.mentions[2]"},
		{"mention empty", func(e *Event) { e.Chat = &ChatMessage{Text: "hi", Mentions: []string{""}} }, "chat.mentions[0]"},
		{"mention with a space", func(e *Event) { e.Chat = &ChatMessage{Text: "hi", Mentions: []string{"u 1"}} }, "chat.mentions[0]"},
		{"too many mentions", func(e *Event) {
			ids := make([]string, MaxMentions+1)
			for i := range ids {
				ids[i] = fmt.Sprintf("u%d", i)
			}
			e.Chat = &ChatMessage{Text: "hi", Mentions: ids}
		}, "chat.mentions"},
		{"joined before 2000", func(e *Event) { e.Sender.JoinedAt = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC) }, "sender.joined_at"},
		{"joined ok", func(e *Event) {
			e.Chat, e.Sender.JoinedAt = &ChatMessage{Text: "hi"}, e.SentAt.Add(-time.Hour)
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := base()
			tt.edit(&ev)
			err := ev.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var v *ValidationError
			if err == nil || !slices.ContainsFunc(err.(*ValidationError).Fields, func(f FieldError) bool { return f.Field == tt.field }) {
				t.Errorf("Validate() = %v (%T), want an error naming %s", err, v, tt.field)
			}
		})
	}
}

func FuzzDecodeEvent(f *testing.F) {
	f.Add([]byte(validChat))
	f.Add([]byte(`{"id":"e","kind":"voice","voice":{"transcript":"x"}}`))
	f.Add([]byte(`{"kind":"image","image":{"data":"AAAA"}}`))
	f.Add([]byte("{\"id\":\"\xff\"}"))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := DecodeEvent(data)
		if err != nil {
			if !IsValidationError(err) {
				t.Fatalf("error %v is not a validation error", err)
			}
			return
		}
		if err := ev.Validate(); err != nil {
			t.Fatalf("decoded event fails validation: %v", err)
		}
	})
}

// idProblemByRunes is IDProblem without its shortcut for printable ASCII.
func idProblemByRunes(id string) string {
	switch {
	case len(id) > MaxIDBytes:
		return "long"
	case !utf8.ValidString(id):
		return "not valid UTF-8"
	}
	for _, r := range id {
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || !unicode.IsGraphic(r) {
			return "refused"
		}
	}
	return ""
}

// TestIDProblemASCIIShortcut: the shortcut for printable ASCII accepts
// exactly what the rune checks accept, for every byte alone and inside an
// id, and for ids cut at every length around the limit.
func TestIDProblemASCIIShortcut(t *testing.T) {
	for c := range 256 {
		for _, id := range []string{string([]byte{byte(c)}), "user-" + string([]byte{byte(c)}) + "-1", "가" + string([]byte{byte(c)})} {
			if got, want := IDProblem(id) == "", idProblemByRunes(id) == ""; got != want {
				t.Errorf("%q: accepted %v, want %v", id, got, want)
			}
		}
	}
	for n := MaxIDBytes - 2; n <= MaxIDBytes+2; n++ {
		id := strings.Repeat("a", n)
		if got, want := IDProblem(id) == "", n <= MaxIDBytes; got != want {
			t.Errorf("%d bytes: accepted %v, want %v", n, got, want)
		}
	}
}
