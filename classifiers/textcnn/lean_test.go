package textcnn

import (
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	ort "github.com/yalue/onnxruntime_go"
	"google.golang.org/protobuf/proto"

	"github.com/haechi-tns/haechi/classifiers/onnxpb"
	"github.com/haechi-tns/haechi/classifiers/onnxrt"
	"github.com/haechi-tns/haechi/classifiers/textnorm"
)

// runSession runs one session on one encoded text.
func runSession(t *testing.T, s *onnxrt.Session, row []int64, heads int) []float32 {
	t.Helper()
	in, err := ort.NewTensor(ort.Shape{1, int64(len(row) / UnitWidth), UnitWidth}, row)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Destroy()
	out, err := ort.NewEmptyTensor[float32](ort.Shape{1, int64(heads)})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Destroy()
	if err := s.Run([]ort.Value{in}, []ort.Value{out}); err != nil {
		t.Fatal(err)
	}
	return append([]float32(nil), out.GetData()...)
}

// TestLeanGraphAgrees: the unpadded graph gives what the exported graph
// gives on the same unpadded input, for texts from one letter to the
// longest the model reads, Hangul, jamo, Latin, digits and symbols.
func TestLeanGraphAgrees(t *testing.T) {
	m := openCommitted(t)
	rng := rand.New(rand.NewPCG(15, 3))
	pieces := []string{"광장", "에서", "만나요", "씨발", "ㅅㅂ", "ㅋㅋ", "idiot", "you", "are", "010-1234", "!!", "쿠폰", "bit.ly/x", "죽고", "싶다", "シ", "漢字", " "}
	texts := []string{"가", "a", "ㅗ", "시청 민원실은 몇 층인가요", "you are a worthless idiot"}
	for n := 1; n <= 1200; n = n*3/2 + 1 {
		var b strings.Builder
		for b.Len() < n*2 {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		texts = append(texts, b.String())
	}
	worst := 0.0
	for _, s := range texts {
		row := m.vocab.Encode(textnorm.Normalize(s), m.manifest.MaxUnits, nil)
		if len(row) == 0 {
			continue
		}
		want := runSession(t, m.session, row, m.heads)
		got := runSession(t, m.unpadded, row, m.heads)
		for k := range want {
			d := math.Abs(float64(got[k] - want[k]))
			worst = max(worst, d)
			if d > 1e-5 {
				t.Errorf("%d units, head %s: exported %.7f, unpadded %.7f", len(row)/UnitWidth, m.manifest.Heads[k], want[k], got[k])
			}
		}
	}
	t.Logf("%d texts, largest difference %.2g", len(texts), worst)
}

// TestLeanGraphRefusesOtherModels: a graph without the trainer's weights
// is refused with a reason, not served half-built.
func TestLeanGraphRefusesOtherModels(t *testing.T) {
	data, err := os.ReadFile("../models/text-cnn/model.onnx")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := leanGraph(data); err != nil {
		t.Fatalf("the committed model: %v", err)
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(data, &mp); err != nil {
		t.Fatal(err)
	}
	for _, drop := range []string{"net.medial.weight", "net.convs.2.bias", "net.out.weight"} {
		c := proto.Clone(&mp).(*onnxpb.ModelProto)
		for i, init := range c.Graph.Initializer {
			if init.GetName() == drop {
				c.Graph.Initializer = append(c.Graph.Initializer[:i], c.Graph.Initializer[i+1:]...)
				break
			}
		}
		b, err := proto.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := leanGraph(b); err == nil || !strings.Contains(err.Error(), drop) {
			t.Errorf("without %s: %v, want an error naming it", drop, err)
		}
	}
	if _, err := leanGraph([]byte("not a model")); err == nil {
		t.Error("garbage accepted")
	}
}
