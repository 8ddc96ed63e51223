package textmodel

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/haechi-tns/haechi/classifiers/onnxpb"
)

// randomMLP is a model with seeded random weights, scaled so that the
// sigmoids are not saturated and a wrong graph would show.
func randomMLP(seed uint64, buckets, dim, hidden int, heads []string) *MLP {
	rng := rand.New(rand.NewPCG(seed, 0x686165636869))
	m := NewMLP(buckets, dim, hidden, heads)
	fill := func(w []float32, scale float64) {
		for i := range w {
			w[i] = float32(rng.NormFloat64() * scale)
		}
	}
	fill(m.Embedding, 0.5)
	fill(m.W1, 0.7)
	fill(m.B1, 0.1)
	fill(m.W2, 0.7)
	fill(m.B2, 0.1)
	return m
}

func exportBytes(t testing.TB, m *MLP, meta map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Export(m, &buf, meta); err != nil {
		t.Fatalf("Export: %v", err)
	}
	return buf.Bytes()
}

func TestExportImportRoundTrip(t *testing.T) {
	m := randomMLP(1, 1000, 8, 6, []string{"toxic", "insult", "threat"})
	meta := map[string]string{"name": "textmodel-test", "version": "2024.1", "features": `{"buckets":1000}`}
	data := exportBytes(t, m, meta)

	got, gotMeta, err := Import(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if got.Buckets != m.Buckets || got.Dim != m.Dim || got.Hidden != m.Hidden ||
		strings.Join(got.Heads, ",") != strings.Join(m.Heads, ",") {
		t.Fatalf("shape: got %d/%d/%d %v, want %d/%d/%d %v", got.Buckets, got.Dim, got.Hidden, got.Heads, m.Buckets, m.Dim, m.Hidden, m.Heads)
	}
	for _, c := range []struct {
		name      string
		got, want []float32
	}{
		{"embedding", got.Embedding, m.Embedding},
		{"w1", got.W1, m.W1}, {"b1", got.B1, m.B1},
		{"w2", got.W2, m.W2}, {"b2", got.B2, m.B2},
	} {
		for i := range c.want {
			if c.got[i] != c.want[i] {
				t.Fatalf("%s[%d] = %v, want %v", c.name, i, c.got[i], c.want[i])
			}
		}
	}
	if len(gotMeta) != len(meta) {
		t.Errorf("metadata: got %v, want %v", gotMeta, meta)
	}
	for k, v := range meta {
		if gotMeta[k] != v {
			t.Errorf("metadata %q = %q, want %q", k, gotMeta[k], v)
		}
	}
	if again := exportBytes(t, m, meta); !bytes.Equal(again, data) {
		t.Error("Export is not deterministic: two exports of the same model differ")
	}
}

func TestExportGraph(t *testing.T) {
	data := exportBytes(t, randomMLP(2, 50, 4, 3, []string{"a", "b"}), nil)
	var model onnxpb.ModelProto
	if err := proto.Unmarshal(data, &model); err != nil {
		t.Fatal(err)
	}
	if model.GetIrVersion() != 8 || model.GetProducerName() != "haechi" {
		t.Errorf("ir_version %d producer %q, want 8 and haechi", model.GetIrVersion(), model.GetProducerName())
	}
	if ops := model.GetOpsetImport(); len(ops) != 1 || ops[0].GetDomain() != "" || ops[0].GetVersion() != 17 {
		t.Errorf("opset_import %v, want default domain 17", ops)
	}
	if got, want := opTypes(model.GetGraph().GetNode()), "Gather, Unsqueeze, Mul, ReduceSum, Gemm, Relu, Gemm, Sigmoid"; got != want {
		t.Errorf("ops %s, want %s", got, want)
	}
	for _, init := range model.GetGraph().GetInitializer() {
		if len(init.GetRawData()) == 0 {
			t.Errorf("initializer %s has no raw_data", init.GetName())
		}
	}
}

func TestExportErrors(t *testing.T) {
	good := randomMLP(3, 10, 2, 2, []string{"a"})
	bad := randomMLP(3, 10, 2, 2, []string{"a"})
	bad.W1 = bad.W1[:1]
	for _, c := range []struct {
		name string
		m    *MLP
		meta map[string]string
		want string
	}{
		{"invalid model", bad, nil, "W1/B1 sizes"},
		{"reserved metadata key", good, map[string]string{headsKey: "[]"}, "reserved"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := Export(c.m, &bytes.Buffer{}, c.meta)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Export error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestImportRejectsOtherFiles(t *testing.T) {
	m := randomMLP(4, 20, 3, 2, []string{"a", "b"})
	mutate := func(f func(*onnxpb.ModelProto)) []byte {
		var model onnxpb.ModelProto
		if err := proto.Unmarshal(exportBytes(t, m, nil), &model); err != nil {
			t.Fatal(err)
		}
		f(&model)
		data, err := proto.Marshal(&model)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "no graph"},
		{"not protobuf", []byte("this is not an onnx file"), "not an ONNX model"},
		{"other op", mutate(func(p *onnxpb.ModelProto) { p.Graph.Node[5].OpType = proto.String("Tanh") }), `graph node 5 is Tanh "hidden_relu"`},
		{"extra node", mutate(func(p *onnxpb.ModelProto) {
			p.Graph.Node = append(p.Graph.Node, p.Graph.Node[7])
		}), "graph has 9 nodes"},
		{"old opset", mutate(func(p *onnxpb.ModelProto) { p.OpsetImport[0].Version = proto.Int64(11) }), "opset 11"},
		{"missing initializer", mutate(func(p *onnxpb.ModelProto) { p.Graph.Initializer = p.Graph.Initializer[1:] }), `initializer "embedding" missing`},
		{"truncated weights", mutate(func(p *onnxpb.ModelProto) {
			p.Graph.Initializer[1].RawData = p.Graph.Initializer[1].RawData[4:]
		}), `initializer "w1": 20 raw bytes`},
		{"wrong input", mutate(func(p *onnxpb.ModelProto) { p.Graph.Input[0].Name = proto.String("tokens") }), `graph input 0 is "tokens"`},
		{"no heads metadata", mutate(func(p *onnxpb.ModelProto) { p.MetadataProps = nil }), "no haechi.textmodel.heads metadata"},
		{"heads disagree with w2", mutate(func(p *onnxpb.ModelProto) {
			p.MetadataProps[0].Value = proto.String(`["a"]`)
		}), "names 1 heads, w2 has 2 columns"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := Import(bytes.NewReader(c.data))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Import error %v, want one containing %q", err, c.want)
			}
		})
	}
}
