package textcnn

import (
	"errors"
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/haechi-tns/haechi/classifiers/onnxpb"
)

// The trainer exports one graph for every batch: it masks the padding after
// short texts before each convolution and before the max pooling, and looks
// up the four embeddings of a unit one id at a time. A batch whose texts are
// all as long as each other (one text alone, as most calls are) has no
// padding, so the mask is all ones and changes nothing; what it costs is
// fixed per run, about a dozen operators of ONNX Runtime's per-node
// overhead, which for a short chat message is more than the convolutions.
//
// leanGraph builds, from the exported model's own weights, the graph those
// batches run instead: one lookup in the four tables laid end to end (ids
// offset into their table, the four rows summed), then the same
// convolutions, residual sums, max pooling and heads without the mask. Its
// outputs equal the exported graph's on unpadded batches but for the order
// of the embedding sum (TestLeanGraphAgrees); Open runs both on the
// self-check texts and refuses a model where they differ.

// exported names the trainer gives the weights (scripts/train_text_cnn.py).
var leanTables = []string{"net.letter.weight", "net.initial.weight", "net.medial.weight", "net.final.weight"}

func leanGraph(data []byte) ([]byte, error) {
	var m onnxpb.ModelProto
	if err := proto.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("lean graph: %w", err)
	}
	g := m.GetGraph()
	if g == nil {
		return nil, errors.New("lean graph: no graph")
	}
	inits := map[string]*onnxpb.TensorProto{}
	for _, t := range g.GetInitializer() {
		inits[t.GetName()] = t
	}
	// The four embedding tables, laid end to end.
	var table []byte
	var offsets []int64
	rows, dim := int64(0), int64(-1)
	for _, name := range leanTables {
		t := inits[name]
		if t == nil || len(t.GetDims()) != 2 || t.GetDataType() != int32(onnxpb.TensorProto_FLOAT) ||
			int64(len(t.GetRawData())) != 4*t.GetDims()[0]*t.GetDims()[1] {
			return nil, fmt.Errorf("lean graph: embedding table %s missing or not raw float32 [rows, dim]", name)
		}
		if dim >= 0 && t.GetDims()[1] != dim {
			return nil, fmt.Errorf("lean graph: embedding %s has width %d, want %d", name, t.GetDims()[1], dim)
		}
		dim = t.GetDims()[1]
		offsets = append(offsets, rows)
		rows += t.GetDims()[0]
		table = append(table, t.GetRawData()...)
	}
	out := &onnxpb.GraphProto{
		Name:   proto.String("letter-cnn-unpadded"),
		Input:  g.GetInput(),
		Output: g.GetOutput(),
		Initializer: []*onnxpb.TensorProto{
			{Name: proto.String("lean.table"), Dims: []int64{rows, dim}, DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), RawData: table},
			reshaped(onnxpb.Int64Tensor("lean.offsets", offsets...), 1, 1, int64(len(offsets))),
			onnxpb.Int64Tensor("lean.unit_axis", 2),
		},
	}
	if len(out.Input) != 1 || out.Input[0].GetName() != InputUnits || len(out.Output) != 1 || out.Output[0].GetName() != OutputProbs {
		return nil, fmt.Errorf("lean graph: want input %q and output %q", InputUnits, OutputProbs)
	}
	add := func(n *onnxpb.NodeProto) { out.Node = append(out.Node, n) }
	keep := func(names ...string) error {
		for _, name := range names {
			t := inits[name]
			if t == nil {
				return fmt.Errorf("lean graph: no initializer %s", name)
			}
			if !slices.ContainsFunc(out.Initializer, func(u *onnxpb.TensorProto) bool { return u.GetName() == name }) {
				out.Initializer = append(out.Initializer, t)
			}
		}
		return nil
	}
	add(onnxpb.Node("lean/ids", "Add", []string{InputUnits, "lean.offsets"}, "lean/ids"))
	add(onnxpb.Node("lean/rows", "Gather", []string{"lean.table", "lean/ids"}, "lean/rows"))
	add(onnxpb.Node("lean/embed", "ReduceSum", []string{"lean/rows", "lean.unit_axis"}, "lean/embed", onnxpb.IntAttr("keepdims", 0)))
	add(onnxpb.Node("lean/channels", "Transpose", []string{"lean/embed"}, "lean/h0", onnxpb.IntsAttr("perm", 0, 2, 1)))
	h := "lean/h0"
	// The convolutions in the exported order, with their own attributes
	// (dilation and padding), each a residual step h + relu(conv(h)).
	convs, gemms := 0, []*onnxpb.NodeProto{}
	var pool *onnxpb.NodeProto
	for _, n := range g.GetNode() {
		switch n.GetOpType() {
		case "Conv":
			if len(n.GetInput()) != 3 {
				return nil, errors.New("lean graph: a convolution without weight and bias")
			}
			if err := keep(n.GetInput()[1:]...); err != nil {
				return nil, err
			}
			c := fmt.Sprintf("lean/conv%d", convs)
			add(&onnxpb.NodeProto{Name: proto.String(c), OpType: proto.String("Conv"),
				Input: []string{h, n.GetInput()[1], n.GetInput()[2]}, Output: []string{c}, Attribute: n.GetAttribute()})
			add(onnxpb.Node(c+"/relu", "Relu", []string{c}, c+"/relu"))
			next := fmt.Sprintf("lean/h%d", convs+1)
			add(onnxpb.Node(next, "Add", []string{h, c + "/relu"}, next))
			h = next
			convs++
		case "ReduceMax":
			pool = n
		case "Gemm":
			gemms = append(gemms, n)
		}
	}
	if convs == 0 || pool == nil || len(gemms) != 2 {
		return nil, fmt.Errorf("lean graph: %d convolutions, %d max poolings and %d dense layers; want some, one and two", convs, btoi(pool != nil), len(gemms))
	}
	if err := keep(gemms[0].GetInput()[1:]...); err != nil {
		return nil, err
	}
	if err := keep(gemms[1].GetInput()[1:]...); err != nil {
		return nil, err
	}
	add(&onnxpb.NodeProto{Name: proto.String("lean/pool"), OpType: proto.String("ReduceMax"), Input: []string{h}, Output: []string{"lean/pooled"}, Attribute: pool.GetAttribute()})
	add(&onnxpb.NodeProto{Name: proto.String("lean/hidden"), OpType: proto.String("Gemm"),
		Input: append([]string{"lean/pooled"}, gemms[0].GetInput()[1:]...), Output: []string{"lean/hidden"}, Attribute: gemms[0].GetAttribute()})
	add(onnxpb.Node("lean/hidden/relu", "Relu", []string{"lean/hidden"}, "lean/hidden/relu"))
	add(&onnxpb.NodeProto{Name: proto.String("lean/out"), OpType: proto.String("Gemm"),
		Input: append([]string{"lean/hidden/relu"}, gemms[1].GetInput()[1:]...), Output: []string{"lean/logits"}, Attribute: gemms[1].GetAttribute()})
	add(onnxpb.Node("lean/probs", "Sigmoid", []string{"lean/logits"}, OutputProbs))
	lean := &onnxpb.ModelProto{
		IrVersion: m.IrVersion, OpsetImport: m.OpsetImport,
		ProducerName: proto.String("haechi textcnn (lean graph)"), Graph: out,
	}
	b, err := proto.Marshal(lean)
	if err != nil {
		return nil, fmt.Errorf("lean graph: %w", err)
	}
	return b, nil
}

func reshaped(t *onnxpb.TensorProto, dims ...int64) *onnxpb.TensorProto {
	t.Dims = dims
	return t
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
