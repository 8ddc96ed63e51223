package textcnn

import (
	"math"
	"math/rand/v2"
	"os"
	"slices"
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
	return runBatch(t, s, [][]int64{row}, heads)[0]
}

// runBatch runs one session on encoded texts, padded with PadID to the
// longest as Predict pads them.
func runBatch(t *testing.T, s *onnxrt.Session, rows [][]int64, heads int) [][]float32 {
	t.Helper()
	width := 0
	for _, r := range rows {
		width = max(width, len(r))
	}
	units := make([]int64, len(rows)*width)
	for i, r := range rows {
		copy(units[i*width:], r)
	}
	in, err := ort.NewTensor(ort.Shape{int64(len(rows)), int64(width / UnitWidth), UnitWidth}, units)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Destroy()
	out, err := ort.NewEmptyTensor[float32](ort.Shape{int64(len(rows)), int64(heads)})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Destroy()
	if err := s.Run([]ort.Value{in}, []ort.Value{out}); err != nil {
		t.Fatal(err)
	}
	probs := out.GetData()
	res := make([][]float32, len(rows))
	for i := range res {
		res[i] = append([]float32(nil), probs[i*heads:(i+1)*heads]...)
	}
	return res
}

// committedExport is the committed model's bytes, as the trainer
// exported it, and the model read from them.
func committedExport(t *testing.T) ([]byte, *onnxpb.ModelProto) {
	t.Helper()
	data, err := os.ReadFile("../models/text-cnn/model.onnx")
	if err != nil {
		t.Fatal(err)
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(data, &mp); err != nil {
		t.Fatal(err)
	}
	return data, &mp
}

// edited is mp changed by edit, as bytes; mp itself is left as it was.
func edited(t *testing.T, mp *onnxpb.ModelProto, edit func(*onnxpb.ModelProto)) []byte {
	t.Helper()
	c := proto.Clone(mp).(*onnxpb.ModelProto)
	edit(c)
	b, err := proto.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// exportedSession serves the committed model's graph as the trainer
// exported it, which the model's own sessions are held to.
func exportedSession(t *testing.T, m *Model) *onnxrt.Session {
	t.Helper()
	data, _ := committedExport(t)
	s, err := onnxrt.NewSession(data, m.manifest.Inputs, m.manifest.Outputs, onnxrt.SessionConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// agreementTexts are texts from one letter to the longest the model reads:
// Hangul, jamo, Latin, digits and symbols.
func agreementTexts(seed uint64) []string {
	rng := rand.New(rand.NewPCG(seed, 3))
	pieces := []string{"광장", "에서", "만나요", "씨발", "ㅅㅂ", "ㅋㅋ", "idiot", "you", "are", "010-1234", "!!", "쿠폰", "bit.ly/x", "죽고", "싶다", "シ", "漢字", " "}
	texts := []string{"가", "a", "ㅗ", "시청 민원실은 몇 층인가요", "you are a worthless idiot"}
	for n := 1; n <= 1200; n = n*3/2 + 1 {
		var b strings.Builder
		for b.Len() < n*2 {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		texts = append(texts, b.String())
	}
	return texts
}

// TestLeanGraphAgrees: the unpadded graph gives what the exported graph
// gives on the same unpadded input, for texts from one letter to the
// longest the model reads.
func TestLeanGraphAgrees(t *testing.T) {
	m := openCommitted(t)
	exported := exportedSession(t, m)
	texts := agreementTexts(15)
	worst := 0.0
	for _, s := range texts {
		row := m.vocab.Encode(textnorm.Normalize(s), m.manifest.MaxUnits, nil)
		if len(row) == 0 {
			continue
		}
		want := runSession(t, exported, row, m.heads)
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

// TestPaddedGraphAgrees: the padded graph gives what the exported graph
// gives on batches of texts of mixed lengths, padded: the short texts'
// padding is masked the same way in both.
func TestPaddedGraphAgrees(t *testing.T) {
	m := openCommitted(t)
	exported := exportedSession(t, m)
	texts := agreementTexts(16)
	rng := rand.New(rand.NewPCG(16, 4))
	worst := 0.0
	for range 40 {
		rows := make([][]int64, 1+rng.IntN(16))
		for i := range rows {
			for len(rows[i]) == 0 {
				rows[i] = m.vocab.Encode(textnorm.Normalize(texts[rng.IntN(len(texts))]), m.manifest.MaxUnits, nil)
			}
		}
		want := runBatch(t, exported, rows, m.heads)
		got := runBatch(t, m.session, rows, m.heads)
		for i := range want {
			for k := range want[i] {
				d := math.Abs(float64(got[i][k] - want[i][k]))
				worst = max(worst, d)
				if d > 1e-5 {
					t.Errorf("row %d of %d (%d units), head %s: exported %.7f, padded %.7f", i, len(rows), len(rows[i])/UnitWidth, m.manifest.Heads[k], want[i][k], got[i][k])
				}
			}
		}
	}
	t.Logf("40 batches, largest difference %.2g", worst)
}

// TestLeanGraphRefusesOtherModels: a graph without the trainer's weights
// is refused with a reason, not served half-built.
func TestLeanGraphRefusesOtherModels(t *testing.T) {
	data, mp := committedExport(t)
	if _, err := leanGraph(data); err != nil {
		t.Fatalf("the committed model: %v", err)
	}
	for _, drop := range []string{"net.medial.weight", "net.convs.2.bias", "net.out.weight"} {
		b := edited(t, mp, func(c *onnxpb.ModelProto) {
			c.Graph.Initializer = slices.DeleteFunc(c.Graph.Initializer, func(init *onnxpb.TensorProto) bool { return init.GetName() == drop })
		})
		if _, err := leanGraph(b); err == nil || !strings.Contains(err.Error(), drop) {
			t.Errorf("without %s: %v, want an error naming it", drop, err)
		}
	}
	if _, err := leanGraph([]byte("not a model")); err == nil {
		t.Error("garbage accepted")
	}
}

// TestPaddedGraphRefusesOtherShapes: the padded graph is made only from a
// graph with the export's one transpose, one mask and pooling over the
// length; anything else is refused with a reason.
func TestPaddedGraphRefusesOtherShapes(t *testing.T) {
	data, mp := committedExport(t)
	if _, err := paddedGraph(data); err != nil {
		t.Fatalf("the committed model: %v", err)
	}
	edits := map[string]func(n *onnxpb.NodeProto){
		"transposes": func(n *onnxpb.NodeProto) {
			if n.GetOpType() == "Transpose" {
				n.OpType = proto.String("Identity")
			}
		},
		"max pooling over axes [1]": func(n *onnxpb.NodeProto) {
			if n.GetOpType() == "ReduceMax" {
				n.Attribute = []*onnxpb.AttributeProto{onnxpb.IntsAttr("axes", 1), onnxpb.IntAttr("keepdims", 0)}
			}
		},
		"attribute auto_pad": func(n *onnxpb.NodeProto) {
			if n.GetOpType() == "Conv" {
				n.Attribute = append(n.Attribute, &onnxpb.AttributeProto{Name: proto.String("auto_pad"), Type: onnxpb.AttributeProto_STRING.Enum(), S: []byte("SAME_UPPER")})
			}
		},
	}
	for want, edit := range edits {
		b := edited(t, mp, func(c *onnxpb.ModelProto) {
			for _, n := range c.Graph.Node {
				edit(n)
			}
		})
		if _, err := paddedGraph(b); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("edited (%s): %v, want an error naming it", want, err)
		}
	}
	if _, err := paddedGraph([]byte("not a model")); err == nil {
		t.Error("garbage accepted")
	}
}
