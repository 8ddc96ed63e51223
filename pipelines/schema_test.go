package pipelines

import (
	"strings"
	"testing"
)

const chatMessage = `{"schema_version":1,"event":{"id":"e1","kind":"chat","world":"w","space":{"id":"s1","type":"plaza"},
 "sender":{"id":"u1","role":"citizen"},"sent_at":"2026-11-22T09:00:00Z","chat":{"text":"안녕하세요"}}}`

// TestDecodeEventMessageIsStrict: a message a case-insensitive reader and
// a case-sensitive one would read differently never reaches the engine.
func TestDecodeEventMessageIsStrict(t *testing.T) {
	tests := []struct {
		name, value, class, reason string
	}{
		{"key differing in case", strings.Replace(chatMessage, `"text":"안녕하세요"`, `"text":"씨발 개새끼 병신아 꺼져","Text":"안녕하세요"`, 1), ClassMalformed, "event.chat.Text: unknown field"},
		{"duplicate key", strings.Replace(chatMessage, `"text":"안녕하세요"`, `"text":"씨발","text":"안녕하세요"`, 1), ClassMalformed, "event.chat.text: appears more than once"},
		{"Kelvin sign", strings.Replace(chatMessage, `"kind"`, `"\u212aind"`, 1), ClassMalformed, "unknown field"},
		{"duplicate version", strings.Replace(chatMessage, `"schema_version":1`, `"schema_version":1,"schema_version":2`, 1), ClassMalformed, "schema_version: appears more than once"},
		{"case-folded version", strings.Replace(chatMessage, `"schema_version":1`, `"Schema_Version":1`, 1), ClassSchema, "missing"},
		{"lone surrogate", strings.Replace(chatMessage, `안녕하세요`, `\udc00`, 1), ClassMalformed, "surrogate"},
		{"future version", strings.Replace(chatMessage, `"schema_version":1`, `"schema_version":2`, 1), ClassSchema, "not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeEventMessage(DefaultTopics.Chat, []byte(tt.value), DefaultTopics, MaxMessageBytes)
			bm, ok := err.(*BadMessage)
			if !ok || bm.Class != tt.class || !strings.Contains(bm.Reason, tt.reason) {
				t.Fatalf("error %v, want class %s with %q", err, tt.class, tt.reason)
			}
		})
	}
	if _, err := DecodeEventMessage(DefaultTopics.Chat, []byte(chatMessage), DefaultTopics, MaxMessageBytes); err != nil {
		t.Fatalf("valid message: %v", err)
	}
}

// BenchmarkDecodeEventMessage reads a typical chat input message.
func BenchmarkDecodeEventMessage(b *testing.B) {
	value := []byte(`{"schema_version":1,"event":{"id":"evt-7f3a9c","kind":"chat","world":"seoul-cityhall","space":{"id":"plaza-1","type":"plaza"},"sender":{"id":"citizen-42","role":"citizen","age_band":"adult"},"lang":"ko","sent_at":"2026-11-22T09:00:00Z","chat":{"text":"안녕하세요, 민원 접수는 어디서 하나요? 내일 오전에 방문하려고 합니다."}}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeEventMessage("haechi.chat", value, DefaultTopics, MaxMessageBytes); err != nil {
			b.Fatal(err)
		}
	}
}
