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
// convolutions (in the two-dimensional form of conv2D), residual sums, max
// pooling and heads without the mask. Its outputs equal the exported
// graph's on unpadded batches within float32 rounding (TestLeanGraphAgrees);
// Open runs both its graphs on the self-check texts and refuses a model
// where either differs from what the trainer recorded.

// exported names the trainer gives the weights (scripts/train_text_cnn.py).
var leanTables = []string{"net.letter.weight", "net.initial.weight", "net.medial.weight", "net.final.weight"}

func leanGraph(data []byte) ([]byte, error) {
	m, inits, err := readExport(data)
	if err != nil {
		return nil, fmt.Errorf("lean graph: %w", err)
	}
	g := m.GetGraph()
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
	add(onnxpb.Node("lean/channels", "Transpose", []string{"lean/embed"}, "lean/channels", onnxpb.IntsAttr("perm", 0, 2, 1)))
	out.Initializer = append(out.Initializer, onnxpb.Int64Tensor("lean.row_axis", 2))
	add(onnxpb.Node("lean/rows2d", "Unsqueeze", []string{"lean/channels", "lean.row_axis"}, "lean/h0"))
	h := "lean/h0"
	// The convolutions in the exported order, with their own attributes
	// (dilation and padding), each a residual step h + relu(conv(h)), as
	// two-dimensional convolutions over one row (conv2D).
	convs, gemms := 0, []*onnxpb.NodeProto{}
	var pool *onnxpb.NodeProto
	for _, n := range g.GetNode() {
		switch n.GetOpType() {
		case "Conv":
			if err := keep(n.GetInput()[2:]...); err != nil {
				return nil, err
			}
			c := fmt.Sprintf("lean/conv%d", convs)
			conv, weight, err := conv2D(n, inits, h, c)
			if err != nil {
				return nil, fmt.Errorf("lean graph: %w", err)
			}
			out.Initializer = append(out.Initializer, weight)
			add(conv)
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
	poolAttrs, err := pool2D(pool)
	if err != nil {
		return nil, fmt.Errorf("lean graph: %w", err)
	}
	add(&onnxpb.NodeProto{Name: proto.String("lean/pool"), OpType: proto.String("ReduceMax"), Input: []string{h}, Output: []string{"lean/pooled"}, Attribute: poolAttrs})
	add(&onnxpb.NodeProto{Name: proto.String("lean/hidden"), OpType: proto.String("Gemm"),
		Input: append([]string{"lean/pooled"}, gemms[0].GetInput()[1:]...), Output: []string{"lean/hidden"}, Attribute: gemms[0].GetAttribute()})
	add(onnxpb.Node("lean/hidden/relu", "Relu", []string{"lean/hidden"}, "lean/hidden/relu"))
	add(&onnxpb.NodeProto{Name: proto.String("lean/out"), OpType: proto.String("Gemm"),
		Input: append([]string{"lean/hidden/relu"}, gemms[1].GetInput()[1:]...), Output: []string{"lean/logits"}, Attribute: gemms[1].GetAttribute()})
	add(onnxpb.Node("lean/probs", "Sigmoid", []string{"lean/logits"}, OutputProbs))
	return withGraph(m, out, "lean graph")
}

// withGraph is the model m with its graph replaced by g, as bytes; what
// names the graph.
func withGraph(m *onnxpb.ModelProto, g *onnxpb.GraphProto, what string) ([]byte, error) {
	b, err := proto.Marshal(&onnxpb.ModelProto{
		IrVersion: m.IrVersion, OpsetImport: m.OpsetImport,
		ProducerName: proto.String("haechi textcnn (" + what + ")"), Graph: g,
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
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

// readExport reads an exported model and its initializers by name.
func readExport(data []byte) (*onnxpb.ModelProto, map[string]*onnxpb.TensorProto, error) {
	var m onnxpb.ModelProto
	if err := proto.Unmarshal(data, &m); err != nil {
		return nil, nil, err
	}
	if m.GetGraph() == nil {
		return nil, nil, errors.New("no graph")
	}
	inits := map[string]*onnxpb.TensorProto{}
	for _, t := range m.GetGraph().GetInitializer() {
		inits[t.GetName()] = t
	}
	return &m, inits, nil
}

// conv2D rewrites one of the export's one-dimensional convolutions as a
// two-dimensional one over a single row: the input [batch, channels, 1,
// length], the weights [out, in, 1, kernel] (the same bytes), every
// attribute given a first dimension of one. The arithmetic is the same;
// ONNX Runtime runs two-dimensional convolutions on its blocked (NCHWc)
// kernels, which for chat-length texts take a third to a half less time
// than its one-dimensional path (BENCHMARKS.md, issue 15). It returns the
// node, reading in and writing out, and the reshaped weight.
func conv2D(n *onnxpb.NodeProto, inits map[string]*onnxpb.TensorProto, in, out string) (*onnxpb.NodeProto, *onnxpb.TensorProto, error) {
	if len(n.GetInput()) != 3 {
		return nil, nil, errors.New("a convolution without weight and bias")
	}
	w := inits[n.GetInput()[1]]
	if w == nil {
		return nil, nil, fmt.Errorf("no initializer %s", n.GetInput()[1])
	}
	d := w.GetDims()
	if len(d) != 3 || w.GetDataType() != int32(onnxpb.TensorProto_FLOAT) || int64(len(w.GetRawData())) != 4*d[0]*d[1]*d[2] {
		return nil, nil, fmt.Errorf("convolution weight %s is not raw float32 [out, in, kernel]", w.GetName())
	}
	weight := &onnxpb.TensorProto{
		Name: proto.String(w.GetName() + "/2d"), Dims: []int64{d[0], d[1], 1, d[2]},
		DataType: w.DataType, RawData: w.GetRawData(),
	}
	var attrs []*onnxpb.AttributeProto
	for _, a := range n.GetAttribute() {
		switch a.GetName() {
		case "dilations", "kernel_shape", "strides":
			if len(a.GetInts()) != 1 {
				return nil, nil, fmt.Errorf("convolution %s: %s %v is not one-dimensional", n.GetName(), a.GetName(), a.GetInts())
			}
			attrs = append(attrs, onnxpb.IntsAttr(a.GetName(), 1, a.GetInts()[0]))
		case "pads":
			if len(a.GetInts()) != 2 {
				return nil, nil, fmt.Errorf("convolution %s: pads %v are not one-dimensional", n.GetName(), a.GetInts())
			}
			attrs = append(attrs, onnxpb.IntsAttr("pads", 0, a.GetInts()[0], 0, a.GetInts()[1]))
		case "group":
			attrs = append(attrs, a)
		default:
			return nil, nil, fmt.Errorf("convolution %s: attribute %s is not handled", n.GetName(), a.GetName())
		}
	}
	node := &onnxpb.NodeProto{Name: proto.String(out), OpType: proto.String("Conv"),
		Input: []string{in, weight.GetName(), n.GetInput()[2]}, Output: []string{out}, Attribute: attrs}
	return node, weight, nil
}

// pool2D gives the attributes of the export's max pooling over the length
// (axis 2 of [batch, channels, length]) for the two-dimensional form, where
// the length is axis 3 after a row axis of one: both are reduced.
func pool2D(pool *onnxpb.NodeProto) ([]*onnxpb.AttributeProto, error) {
	axes, keepdims := []int64(nil), int64(1)
	for _, a := range pool.GetAttribute() {
		switch a.GetName() {
		case "axes":
			axes = a.GetInts()
		case "keepdims":
			keepdims = a.GetI()
		default:
			return nil, fmt.Errorf("max pooling: attribute %s is not handled", a.GetName())
		}
	}
	if !slices.Equal(axes, []int64{2}) || keepdims != 0 || len(pool.GetInput()) != 1 {
		return nil, fmt.Errorf("max pooling over axes %v keepdims %d: want the length axis (2), not kept", axes, keepdims)
	}
	return []*onnxpb.AttributeProto{onnxpb.IntsAttr("axes", 2, 3), onnxpb.IntAttr("keepdims", 0)}, nil
}

// paddedGraph is the exported graph, mask and all, with its convolutions in
// the two-dimensional form of conv2D: the channel-first embedding (the
// export's one Transpose) and the padding mask (its one Unsqueeze) each get
// a row axis, every convolution becomes two-dimensional, the pooling
// reduces both axes; the masking and residual sums in between are
// elementwise and broadcast as before. It serves batches of texts of mixed
// lengths, with the export's outputs (TestPaddedGraphAgrees).
func paddedGraph(data []byte) ([]byte, error) {
	m, inits, err := readExport(data)
	if err != nil {
		return nil, fmt.Errorf("padded graph: %w", err)
	}
	g := m.GetGraph()
	out := &onnxpb.GraphProto{
		Name: proto.String("letter-cnn-padded"), Input: g.GetInput(), Output: g.GetOutput(),
		Initializer: append(slices.Clone(g.GetInitializer()), onnxpb.Int64Tensor("2d.row_axis", 2)),
	}
	rename := map[string]string{}
	raised := map[string]int{} // op type → how many outputs were given a row axis
	for _, n := range g.GetNode() {
		c := proto.Clone(n).(*onnxpb.NodeProto)
		for i, in := range c.Input {
			if r, ok := rename[in]; ok {
				c.Input[i] = r
			}
		}
		switch c.GetOpType() {
		case "Conv":
			conv, weight, err := conv2D(c, inits, c.GetInput()[0], c.GetOutput()[0])
			if err != nil {
				return nil, fmt.Errorf("padded graph: %w", err)
			}
			conv.Name = c.Name
			out.Initializer = append(out.Initializer, weight)
			c = conv
		case "ReduceMax":
			attrs, err := pool2D(c)
			if err != nil {
				return nil, fmt.Errorf("padded graph: %w", err)
			}
			c.Attribute = attrs
		}
		out.Node = append(out.Node, c)
		if op := c.GetOpType(); op == "Transpose" || op == "Unsqueeze" {
			if len(c.GetOutput()) != 1 {
				return nil, fmt.Errorf("padded graph: %s %s has %d outputs", op, c.GetName(), len(c.GetOutput()))
			}
			o := c.GetOutput()[0]
			add := onnxpb.Node(o+"/2d", "Unsqueeze", []string{o, "2d.row_axis"}, o+"/2d")
			out.Node = append(out.Node, add)
			rename[o] = o + "/2d"
			raised[op]++
		}
	}
	if raised["Transpose"] != 1 || raised["Unsqueeze"] != 1 {
		return nil, fmt.Errorf("padded graph: %d transposes and %d unsqueezes; want the embedding's and the mask's, one each", raised["Transpose"], raised["Unsqueeze"])
	}
	return withGraph(m, out, "padded graph")
}
