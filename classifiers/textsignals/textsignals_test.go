package textsignals

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/haechi-tns/haechi/classifiers/lexicon"
	"github.com/haechi-tns/haechi/classifiers/onnxrt"
	"github.com/haechi-tns/haechi/classifiers/pii"
	"github.com/haechi-tns/haechi/classifiers/textmodel"
	"github.com/haechi-tns/haechi/engine"
)

func newClassifier(t testing.TB) *Classifier {
	t.Helper()
	lex, err := lexicon.Default()
	if err != nil {
		t.Fatal(err)
	}
	if err := onnxrt.Init(onnxrt.DefaultLibPath()); err != nil {
		t.Fatal(err)
	}
	model, err := textmodel.Open("../models/text/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { model.Close() })
	c, err := New(lex, pii.New(), WithModel(model))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClassifyText(t *testing.T) {
	c := newClassifier(t)
	tests := []struct {
		name      string
		text      string
		cat       engine.Category
		pii       engine.PIIType
		clean     bool
		modelOnly bool
	}{
		{name: "obfuscated korean", text: "아 시1발 진짜", cat: engine.Profanity},
		{name: "english leet", text: "you are a piece of sh1t", cat: engine.Profanity},
		{name: "phone", text: "연락처는 010-2345-6789", pii: engine.PIIPhone},
		{name: "benign", text: "시청 민원실은 몇 층인가요?", clean: true},
		{name: "self harm for the model", text: "요즘 다 끝내고 싶어 그냥 사라지고 싶다", cat: engine.SelfHarm, modelOnly: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := c.ClassifyText(context.Background(), engine.TextInput{Text: tt.text})
			if err != nil {
				t.Fatal(err)
			}
			lex := res.Sources[SourceLexicon]
			model := res.Models[ModelName]
			if len(model) != len(c.heads) {
				t.Errorf("model scores %v, want one per head", model)
			}
			switch {
			case tt.clean:
				if len(lex) != 0 || len(res.PII) != 0 || model["toxic"] > 0.3 {
					t.Errorf("benign text scored %v model %v pii %v", lex, model, res.PII)
				}
			case tt.modelOnly:
				if model[tt.cat] < 0.5 {
					t.Errorf("model %s = %.3f, want at least 0.5 (all: %v)", tt.cat, model[tt.cat], model)
				}
			case tt.cat != "":
				if lex[tt.cat] < 0.5 || len(res.Terms) == 0 {
					t.Errorf("scores %v terms %v, want %s", lex, res.Terms, tt.cat)
				}
			case tt.pii != "":
				if len(res.PII) != 1 || res.PII[0].Type != tt.pii {
					t.Errorf("pii %v, want %s", res.PII, tt.pii)
				}
			}
		})
	}
}

// TestLinks: links reach the result with their share of the message; an
// e-mail address, plain or spelled out, is PII only, never a link too.
func TestLinks(t *testing.T) {
	c := newClassifier(t)
	tests := []struct {
		name    string
		text    string
		domains []string
		share   float64
		email   bool
	}{
		{name: "link", text: "bit.ly/3xYz 클릭", domains: []string{"bit.ly"}, share: 11.0 / 13},
		{name: "obfuscated and plain", text: "naver 닷 com 또는 https://news.seoul.go.kr", domains: []string{"naver.com", "seoul.go.kr"}, share: 33.0 / 35},
		{name: "e-mail", text: "메일 jisoo.kim@example.com 으로", email: true},
		{name: "spelled-out e-mail", text: "kim 골뱅이 naver 닷 com 으로 보내", email: true},
		{name: "e-mail and link", text: "hong@example.com 또는 example.org/form", domains: []string{"example.org"}, share: 16.0 / 34, email: true},
		{name: "none", text: "평점 3.5점 드려요. 감사합니다."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := c.ClassifyText(context.Background(), engine.TextInput{Text: tt.text})
			if err != nil {
				t.Fatal(err)
			}
			var domains []string
			for _, l := range res.Links {
				domains = append(domains, l.Domain)
			}
			if !slices.Equal(domains, tt.domains) || math.Abs(res.LinkShare-tt.share) > 1e-9 {
				t.Errorf("links %v share %v, want %v share %v", domains, res.LinkShare, tt.domains, tt.share)
			}
			hasEmail := slices.ContainsFunc(res.PII, func(p engine.PIISpan) bool { return p.Type == engine.PIIEmail })
			if hasEmail != tt.email {
				t.Errorf("PII %v, want an e-mail: %v", res.PII, tt.email)
			}
		})
	}
}

// TestRepeatedText: saying something over and over adds no evidence. The
// model once blocked "a " × 50 as insult, harassment and profanity, and
// "ㅋ " × 40 as hate, because its input grew with every repeat; repeated
// abuse must still be caught.
func TestRepeatedText(t *testing.T) {
	c := newClassifier(t)
	thresholds := c.model.Manifest().Thresholds
	tests := []struct {
		name, text string
		abuse      engine.Category // "" for none
	}{
		{name: "letter", text: strings.Repeat("a ", 50)},
		{name: "article", text: strings.Repeat("the ", 50)},
		{name: "laughter", text: strings.Repeat("lol ", 30)},
		{name: "korean laughter", text: strings.Repeat("ㅋ ", 40)},
		{name: "two words", text: strings.Repeat("a b ", 25)},
		{name: "sentence", text: strings.Repeat("the library opens at nine ", 20)},
		{name: "profanity", text: strings.Repeat("fuck ", 20), abuse: engine.Profanity},
		{name: "korean profanity", text: strings.Repeat("씨발 ", 20), abuse: engine.Profanity},
		{name: "insult", text: strings.Repeat("you are an idiot ", 10), abuse: engine.Insult},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := c.ClassifyText(context.Background(), engine.TextInput{Text: tt.text})
			if err != nil {
				t.Fatal(err)
			}
			for head, score := range res.Models[ModelName] {
				thr, ok := thresholds[string(head)][res.Lang]
				if !ok {
					thr = thresholds[string(head)]["all"]
				}
				switch {
				case tt.abuse == "" && head != engine.Toxic && score >= thr:
					// toxic is the overall score; policy acts on categories
					t.Errorf("model %s = %.3f, over its threshold %.3f (%s)", head, score, thr, res.Lang)
				case head == tt.abuse && score < thr:
					t.Errorf("model %s = %.3f, under its threshold %.3f (%s)", head, score, thr, res.Lang)
				}
			}
		})
	}
}

// TestCues: the grooming cues reach the result in GroomingCues order, one
// call or a batch alike, and ordinary messages have none.
func TestCues(t *testing.T) {
	c := newClassifier(t)
	tests := []struct {
		name string
		text string
		want []engine.GroomingCue
	}{
		{name: "none", text: "오늘 광장 행사 몇 시에 시작해요? 친구랑 같이 가려고요"},
		{name: "look-alike", text: "사진 잘 나왔다! 선물 받았어"},
		{name: "several", text: "너 몇 살이야? 사진 보내줘 부모님한테는 비밀로 하자",
			want: []engine.GroomingCue{engine.CueAge, engine.CuePhoto, engine.CueSecrecy}},
		{name: "english", text: "let's meet up, I can pick you up. how old are you?",
			want: []engine.GroomingCue{engine.CueAge, engine.CueMeeting}},
	}
	var batch []engine.TextInput
	for _, tt := range tests {
		batch = append(batch, engine.TextInput{Text: tt.text})
	}
	results, err := c.ClassifyTexts(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := c.ClassifyText(context.Background(), engine.TextInput{Text: tt.text})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Cues, tt.want) || !slices.Equal(results[i].Cues, tt.want) {
				t.Errorf("cues %v, batch %v, want %v", res.Cues, results[i].Cues, tt.want)
			}
		})
	}
	if !strings.Contains(c.Version(), "+cues-") {
		t.Errorf("version %q does not name the cue patterns", c.Version())
	}
}

func BenchmarkClassifyText(b *testing.B) {
	c := newClassifier(b)
	ctx := context.Background()
	for _, bc := range []struct{ name, text string }{
		{"typical", "오늘 광장 행사 몇 시에 시작해요? 친구랑 같이 가려고요"},
		{"profanity", "아 시1발 대기줄 왜 이렇게 길어"},
		{"english", "Does anyone know when the library opens tomorrow?"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.ClassifyText(ctx, engine.TextInput{Text: bc.text}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkClassifyTexts scores batches of 32 chat messages (normalise,
// lexicon, PII, features, one ONNX run) from all cores.
func BenchmarkClassifyTexts(b *testing.B) {
	c := newClassifier(b)
	ctx := context.Background()
	texts := []string{
		"오늘 광장 행사 몇 시에 시작해요? 친구랑 같이 가려고요", "아 시1발 대기줄 왜 이렇게 길어",
		"Does anyone know when the library opens tomorrow?", "제 번호는 010-2345-6789 이에요",
		"민원 접수는 2층 창구로 가시면 됩니다", "you are such an idiot lol",
		"축제 때 불꽃놀이 진짜 예뻤어요 ㅋㅋ", "요즘 너무 힘들다 그냥 다 그만하고 싶어",
	}
	batch := make([]engine.TextInput, 32)
	for i := range batch {
		batch[i] = engine.TextInput{Text: texts[i%len(texts)]}
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.ClassifyTexts(ctx, batch); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkOpenModel(b *testing.B) {
	if err := onnxrt.Init(onnxrt.DefaultLibPath()); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		m, err := textmodel.Open("../models/text/manifest.json")
		if err != nil {
			b.Fatal(err)
		}
		m.Close()
	}
}
