package textsignals

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/haechi-tns/haechi/classifiers/pii"
	"github.com/haechi-tns/haechi/classifiers/textcnn"
	"github.com/haechi-tns/haechi/classifiers/textnorm"
	"github.com/haechi-tns/haechi/engine"
)

// fakeStrong is a strong model that records what it reads and scores every
// text 0.9 on hate.
type fakeStrong struct {
	mu    sync.Mutex
	read  []string
	blend *textcnn.Blend
}

func (f *fakeStrong) Manifest() *textcnn.Manifest {
	return &textcnn.Manifest{Name: "fake", Version: "1", Heads: []string{"toxic", "hate", "spam"}, Blend: f.blend}
}

func (f *fakeStrong) Predict(texts []*textnorm.Text) ([][]float32, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([][]float32, len(texts))
	for i, t := range texts {
		f.read = append(f.read, string(t.Compact()))
		out[i] = []float32{0.2, 0.9, 0.6}
	}
	return out, nil
}

func TestCascade(t *testing.T) {
	base := newClassifier(t)
	strong := &fakeStrong{}
	c, err := New(base.lex, pii.New(), WithModel(base.model), WithStrongModel(strong, Cascade{Band: 0.5, Spaces: []engine.SpaceType{engine.SpaceYouth}}))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		in     engine.TextInput
		routed bool
	}{
		{"clean plaza message", engine.TextInput{Text: "시청 민원실은 몇 층인가요?", Space: engine.SpacePlaza}, false},
		{"clean greeting", engine.TextInput{Text: "좋은 아침입니다", Space: engine.SpaceLibrary}, false},
		{"clean message in a youth space", engine.TextInput{Text: "시청 민원실은 몇 층인가요?", Space: engine.SpaceYouth}, true},
		{"lexicon term", engine.TextInput{Text: "아 시1발 진짜", Space: engine.SpacePlaza}, true},
		{"model suspicion", engine.TextInput{Text: "요즘 다 끝내고 싶어 그냥 사라지고 싶다", Space: engine.SpacePlaza}, true},
		// Only the strong model has a spam head: what spam carries routes.
		{"link", engine.TextInput{Text: "행사 안내는 example.org/fest 에 있어요", Space: engine.SpacePlaza}, true},
		{"phone number", engine.TextInput{Text: "제 번호는 010-2345-6789 입니다", Space: engine.SpacePlaza}, true},
		{"short code", engine.TextInput{Text: "Text WIN to 87121 now", Space: engine.SpacePlaza}, true},
		{"short number", engine.TextInput{Text: "회의는 3층 301호에서 해요", Space: engine.SpacePlaza}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			strong.read = nil
			res, err := c.ClassifyText(context.Background(), tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(strong.read) == 1; got != tt.routed {
				t.Fatalf("routed = %v, want %v", got, tt.routed)
			}
			if tt.routed {
				// The strong model's scores replace the fast model's.
				if _, fast := res.Models[ModelName]; fast || res.Models[StrongModelName][engine.Hate] < 0.89 {
					t.Errorf("models %v, want the strong model's alone", res.Models)
				}
			} else if _, ok := res.Models[ModelName]; !ok || len(res.Models) != 1 {
				t.Errorf("models %v, want the fast model's alone", res.Models)
			}
			// The batch path routes the same way.
			strong.read = nil
			batch, err := c.ClassifyTexts(context.Background(), []engine.TextInput{tt.in, {Text: "좋은 아침입니다", Space: engine.SpacePlaza}})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(strong.read) == 1; got != tt.routed {
				t.Errorf("batch: strong model read %q, want routed = %v", strong.read, tt.routed)
			}
			if _, ok := batch[0].Models[StrongModelName]; ok != tt.routed {
				t.Errorf("batch: models %v", batch[0].Models)
			}
		})
	}
	if st := c.Stats(); st.Scored == 0 || st.Routed == 0 || st.Routed >= st.Scored {
		t.Errorf("stats %+v", st)
	}

	// With the spam head withheld, what spam carries does not route.
	withheld, err := New(base.lex, pii.New(), WithModel(base.model), WithStrongModel(strong, Cascade{Band: 0.5, Withheld: []engine.Category{engine.Spam}}))
	if err != nil {
		t.Fatal(err)
	}
	strong.read = nil
	if _, err := withheld.ClassifyText(context.Background(), engine.TextInput{Text: "제 번호는 010-2345-6789 입니다"}); err != nil {
		t.Fatal(err)
	}
	if len(strong.read) != 0 {
		t.Errorf("spam withheld: strong model read %q", strong.read)
	}

	// Band 0 sends everything to the strong model.
	all, err := New(base.lex, pii.New(), WithModel(base.model), WithStrongModel(strong, Cascade{}))
	if err != nil {
		t.Fatal(err)
	}
	strong.read = nil
	if _, err := all.ClassifyText(context.Background(), engine.TextInput{Text: "좋은 아침입니다"}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(strong.read, []string{"좋은아침입니다"}) {
		t.Errorf("band 0: strong model read %q", strong.read)
	}
	if _, err := New(base.lex, pii.New(), WithStrongModel(strong, Cascade{Band: 2})); err == nil {
		t.Error("a band over 1 was accepted")
	}
}

// TestCascadeBlend: a strong model tuned blended with the fast model is
// served blended, head by head, and refused beside another fast model.
func TestCascadeBlend(t *testing.T) {
	base := newClassifier(t)
	fastMan := base.model.Manifest()
	strong := &fakeStrong{blend: &textcnn.Blend{Name: fastMan.Name, SHA256: fastMan.SHA256, Weight: 0.25}}
	c, err := New(base.lex, pii.New(), WithModel(base.model), WithStrongModel(strong, Cascade{}))
	if err != nil {
		t.Fatal(err)
	}
	text := "좋은 아침입니다"
	alone, err := base.ClassifyText(context.Background(), engine.TextInput{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.ClassifyText(context.Background(), engine.TextInput{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	fast, got := alone.Models[ModelName], res.Models[StrongModelName]
	for cat, want := range map[engine.Category]float64{
		engine.Toxic: 0.25*0.2 + 0.75*fast[engine.Toxic],
		engine.Hate:  0.25*0.9 + 0.75*fast[engine.Hate],
		engine.Spam:  0.6, // the fast model has no spam head
	} {
		if d := got[cat] - want; d > 1e-6 || d < -1e-6 {
			t.Errorf("%s = %.6f, want %.6f", cat, got[cat], want)
		}
	}
	strong.blend = &textcnn.Blend{Name: fastMan.Name, SHA256: strings.Repeat("a", 64), Weight: 0.5}
	if _, err := New(base.lex, pii.New(), WithModel(base.model), WithStrongModel(strong, Cascade{})); err == nil {
		t.Error("a strong model tuned with another fast model was accepted")
	}
	if _, err := New(base.lex, pii.New(), WithStrongModel(strong, Cascade{})); err == nil {
		t.Error("a blended strong model without its fast model was accepted")
	}
}

// TestCascadeWithheldAndKept: a withheld head never reaches the policy, and
// a kept head reports the fast model's probability beside the strong
// stage's, so the policy can take the higher.
func TestCascadeWithheldAndKept(t *testing.T) {
	base := newClassifier(t)
	strong := &fakeStrong{}
	c, err := New(base.lex, pii.New(), WithModel(base.model), WithStrongModel(strong, Cascade{
		Withheld: []engine.Category{engine.Spam},
		KeepFast: []engine.Category{engine.SelfHarm},
	}))
	if err != nil {
		t.Fatal(err)
	}
	text := "요즘 다 끝내고 싶어 그냥 사라지고 싶다"
	alone, err := base.ClassifyText(context.Background(), engine.TextInput{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	for _, batch := range []bool{false, true} {
		var res engine.TextResult
		if batch {
			rs, err := c.ClassifyTexts(context.Background(), []engine.TextInput{{Text: text}})
			if err != nil {
				t.Fatal(err)
			}
			res = rs[0]
		} else if res, err = c.ClassifyText(context.Background(), engine.TextInput{Text: text}); err != nil {
			t.Fatal(err)
		}
		if _, ok := res.Models[StrongModelName][engine.Spam]; ok {
			t.Errorf("batch %v: the withheld spam head was served: %v", batch, res.Models)
		}
		kept := res.Models[ModelName]
		if len(kept) != 1 || kept[engine.SelfHarm] != alone.Models[ModelName][engine.SelfHarm] {
			t.Errorf("batch %v: fast scores served %v, want self_harm alone = %v", batch, kept, alone.Models[ModelName][engine.SelfHarm])
		}
	}
}
