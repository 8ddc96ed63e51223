package engine_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/classifiers/lexicon"
	"github.com/haechi-tns/haechi/classifiers/onnxrt"
	"github.com/haechi-tns/haechi/classifiers/pii"
	"github.com/haechi-tns/haechi/classifiers/textmodel"
	"github.com/haechi-tns/haechi/classifiers/textsignals"
	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/policy"
	"github.com/haechi-tns/haechi/fixtures"
	"github.com/haechi-tns/haechi/internal/racetest"
	"github.com/haechi-tns/haechi/policies"
)

// newPipeline wires the real engine: default policies, lexicon, PII and
// the committed text model on ONNX Runtime.
func newPipeline(t testing.TB) *engine.Pipeline { return newPipelineWith(t, true) }

// newPipelineWith wires the engine with or without the text model.
func newPipelineWith(t testing.TB, withModel bool) *engine.Pipeline {
	t.Helper()
	ctx := context.Background()
	b, err := policy.LoadFS(policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	pe, err := policy.New(ctx, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	lex, err := lexicon.Default()
	if err != nil {
		t.Fatal(err)
	}
	var opts []textsignals.Option
	if withModel {
		if err := onnxrt.Init(onnxrt.DefaultLibPath()); err != nil {
			t.Fatal(err)
		}
		model, err := textmodel.Open("../classifiers/models/text/manifest.json")
		if err != nil {
			t.Fatal(err)
		}
		opts = append(opts, textsignals.WithModel(model))
	}
	text, err := textsignals.New(lex, pii.New(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return engine.NewPipeline(pe, engine.WithTextClassifiers(text))
}

type fixture struct {
	ID         string            `json:"id"`
	Lang       string            `json:"lang"`
	Text       string            `json:"text"`
	Categories []engine.Category `json:"categories"`
}

func readFixtures(t testing.TB, name string) []fixture {
	t.Helper()
	data, err := fixtures.FS.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var out []fixture
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var f fixture
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, f)
	}
	return out
}

func chatEvent(id, text, lang string, space engine.SpaceType) *engine.Event {
	return &engine.Event{
		ID: id, Kind: engine.KindChat, World: "test", Space: engine.Space{ID: "s", Type: space},
		Sender: engine.Party{ID: "u", Role: engine.RoleCitizen}, Lang: lang,
		SentAt: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC), Chat: &engine.ChatMessage{Text: text},
	}
}

// TestBenignFixturesAllowed: ordinary messages, including ones that mention
// regions, religions, nationalities or genders, or that contain abusive
// substrings across words, must be delivered untouched. The rule-based
// signals (lexicon, PII) must never flag them; with the learned model at
// most 1 % may be flagged (the model card's false-positive figure), and
// those are listed.
func TestBenignFixturesAllowed(t *testing.T) {
	racetest.Heavy(t)
	for _, withModel := range []bool{false, true} {
		t.Run(fmt.Sprintf("model=%v", withModel), func(t *testing.T) {
			p := newPipelineWith(t, withModel)
			fixtures := readFixtures(t, "text/benign.jsonl")
			flagged := 0
			for _, f := range fixtures {
				d, err := p.Decide(context.Background(), chatEvent(f.ID, f.Text, f.Lang, engine.SpacePlaza))
				if err != nil {
					t.Fatalf("%s: %v", f.ID, err)
				}
				if d.Action == engine.ActionAllow {
					continue
				}
				flagged++
				if withModel {
					t.Logf("false positive %s %q: %s by %v", f.ID, f.Text, d.Action, d.RuleIDs)
				} else {
					t.Errorf("%s %q: %s by %v, want allow", f.ID, f.Text, d.Action, d.RuleIDs)
				}
			}
			if rate := float64(flagged) / float64(len(fixtures)); rate > 0.01 {
				t.Errorf("%d of %d benign messages flagged (%.1f %%), want at most 1 %%", flagged, len(fixtures), 100*rate)
			}
		})
	}
}

// TestAbusiveFixturesCaught: obfuscated and plain abuse in both languages
// is caught in the category a person would name. Spam phrases alone are
// deliberately too weak to act on; they must still score.
func TestAbusiveFixturesCaught(t *testing.T) {
	p := newPipeline(t)
	for _, f := range readFixtures(t, "text/abusive.jsonl") {
		d, err := p.Decide(context.Background(), chatEvent(f.ID, f.Text, f.Lang, engine.SpacePlaza))
		if err != nil {
			t.Fatalf("%s: %v", f.ID, err)
		}
		if slices.Equal(f.Categories, []engine.Category{engine.Spam}) {
			if d.Scores[engine.Spam] == 0 {
				t.Errorf("%s %q: no spam score", f.ID, f.Text)
			}
			continue
		}
		if d.Action == engine.ActionAllow {
			t.Errorf("%s %q: allowed, want it caught as %v (scores %v)", f.ID, f.Text, f.Categories, d.Scores)
			continue
		}
		if !slices.ContainsFunc(f.Categories, func(c engine.Category) bool { return d.Scores[c] > 0 }) {
			t.Errorf("%s %q: caught as %v, want one of %v", f.ID, f.Text, d.Categories, f.Categories)
		}
	}
}

func TestFixtureEvents(t *testing.T) {
	p := newPipeline(t)
	tests := []struct {
		file     string
		action   engine.Action
		rule     string
		redacted string
	}{
		{"events/chat_ko_benign.json", engine.ActionAllow, "", ""},
		{"events/chat_ko_profanity.json", engine.ActionRedact, "respect.profanity.redact", "아 *** 대기줄 왜 이렇게 길어"},
		{"events/chat_en_pii.json", engine.ActionRedact, "pii.redact", "Please call me back on ************* or mail *********************"},
		{"events/chat_youth_contact.json", engine.ActionHold, "minors.contact_exchange", ""},
		{"events/voice_ko_threat.json", engine.ActionEscalate, "safety.threat.escalate", ""},
		{"events/image_upload.json", engine.ActionHold, "content.image.unanalysed", ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := fixtures.FS.ReadFile(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			ev, err := engine.DecodeEvent(data)
			if err != nil {
				t.Fatal(err)
			}
			d, err := p.Decide(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			if d.Action != tt.action || (tt.rule != "" && d.RuleIDs[0] != tt.rule) || d.RedactedText != tt.redacted {
				t.Errorf("got %s %v %q, want %s %s %q", d.Action, d.RuleIDs, d.RedactedText, tt.action, tt.rule, tt.redacted)
			}
		})
	}
}

// typical is a short benign chat message, the bulk of real traffic.
const typical = "오늘 광장 행사 몇 시에 시작해요? 친구랑 같이 가려고요"

func BenchmarkDecide(b *testing.B) {
	p := newPipeline(b)
	ctx := context.Background()
	for _, bc := range []struct{ name, text string }{
		{"typical", typical},
		{"english", "Does anyone know when the library opens tomorrow?"},
		{"profanity", "아 시1발 대기줄 왜 이렇게 길어"},
		{"pii", "제 번호는 010-2345-6789 이고 메일은 kim@example.com 입니다"},
		{"city_link", "자세한 건 https://news.seoul.go.kr/welfare/123 참고하세요"},
		{"spam_link", "🔥 초특가 90% 할인 지금 바로 bit점ly/3xYz9Qa"},
	} {
		ev := chatEvent("bench", bc.text, "", engine.SpacePlaza)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Decide(ctx, ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("typical-parallel", func(b *testing.B) {
		ev := chatEvent("bench", typical, "", engine.SpacePlaza)
		b.ReportAllocs()
		b.SetParallelism(4) // 4 × GOMAXPROCS goroutines: 8 on this machine
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := p.Decide(ctx, ev); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
