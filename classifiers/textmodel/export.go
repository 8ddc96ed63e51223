package textmodel

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/haechi-tns/haechi/classifiers/onnxpb"
)

// Names of the exported graph's inputs and output, as ONNX Runtime sees them.
const (
	InputIDs     = "ids"     // int64 [batch, length]: hashed feature ids, 0 for padding
	InputWeights = "weights" // float32 [batch, length]: feature weights, 0 for padding
	OutputProbs  = "probs"   // float32 [batch, len(Heads)]: one probability per head
)

const (
	// onnxOpset is the default-domain opset of the exported graph. 17 is the
	// newest that Debian's ONNX 1.12 (where onnx.proto comes from) knows;
	// Unsqueeze and ReduceSum take their axes as inputs from opset 13 on.
	onnxOpset = 17
	// onnxIRVersion goes with opset 17 (ONNX 1.12).
	onnxIRVersion = 8
	// headsKey is the metadata property that carries the head names (a JSON
	// array), so that Import can rebuild an MLP from the file alone.
	headsKey = "haechi.textmodel.heads"
	// maxInitializerBytes keeps the file under protobuf's 2 GiB message limit.
	maxInitializerBytes = 1 << 30
)

// Names of the initializers, nodes and intermediate values. Import relies on
// them: a file whose graph differs from graphNodes is not this architecture.
const (
	initEmbedding     = "embedding"
	initW1            = "w1"
	initB1            = "b1"
	initW2            = "w2"
	initB2            = "b2"
	initUnsqueezeAxes = "unsqueeze_axes"
	initReduceAxes    = "reduce_axes"
)

// Export writes m to w as an ONNX model (IR version 8, opset 17) that
// computes m.Forward for a batch: inputs ids int64 [batch, length] and
// weights float32 [batch, length] (rows padded with id 0, weight 0), output
// probs float32 [batch, len(m.Heads)]. meta becomes the model's
// metadata_props (ONNX Runtime exposes them as custom metadata); the key
// "haechi.textmodel.heads" is reserved. The encoding is deterministic: the
// same model and meta give the same bytes, hence the same checksum.
func Export(m *MLP, w io.Writer, meta map[string]string) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("textmodel: export: %w", err)
	}
	if _, ok := meta[headsKey]; ok {
		return fmt.Errorf("textmodel: export: metadata key %q is reserved", headsKey)
	}
	if 4*len(m.Embedding) > maxInitializerBytes {
		return fmt.Errorf("textmodel: export: embedding of %d×%d floats is too large for one ONNX file", m.Buckets, m.Dim)
	}
	heads, err := json.Marshal(m.Heads)
	if err != nil {
		return fmt.Errorf("textmodel: export: %w", err)
	}
	props := []*onnxpb.StringStringEntryProto{{Key: proto.String(headsKey), Value: proto.String(string(heads))}}
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		props = append(props, &onnxpb.StringStringEntryProto{Key: proto.String(k), Value: proto.String(meta[k])})
	}
	k := int64(len(m.Heads))
	graph := &onnxpb.GraphProto{
		Name:      proto.String("haechi_textmodel"),
		DocString: proto.String("bag = ReduceSum(Gather(embedding, ids) * weights); probs = Sigmoid(Gemm(Relu(Gemm(bag, w1, b1)), w2, b2))"),
		Node:      graphNodes(),
		Initializer: []*onnxpb.TensorProto{
			onnxpb.FloatTensor(initEmbedding, m.Embedding, int64(m.Buckets), int64(m.Dim)),
			onnxpb.FloatTensor(initW1, m.W1, int64(m.Dim), int64(m.Hidden)),
			onnxpb.FloatTensor(initB1, m.B1, int64(m.Hidden)),
			onnxpb.FloatTensor(initW2, m.W2, int64(m.Hidden), k),
			onnxpb.FloatTensor(initB2, m.B2, k),
			onnxpb.Int64Tensor(initUnsqueezeAxes, 2),
			onnxpb.Int64Tensor(initReduceAxes, 1),
		},
		Input: []*onnxpb.ValueInfoProto{
			onnxpb.ValueInfo(InputIDs, onnxpb.TensorProto_INT64, onnxpb.SymDim("batch"), onnxpb.SymDim("length")),
			onnxpb.ValueInfo(InputWeights, onnxpb.TensorProto_FLOAT, onnxpb.SymDim("batch"), onnxpb.SymDim("length")),
		},
		Output: []*onnxpb.ValueInfoProto{
			onnxpb.ValueInfo(OutputProbs, onnxpb.TensorProto_FLOAT, onnxpb.SymDim("batch"), onnxpb.FixedDim(k)),
		},
	}
	model := &onnxpb.ModelProto{
		IrVersion:       proto.Int64(onnxIRVersion),
		OpsetImport:     []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(onnxOpset)}},
		ProducerName:    proto.String("haechi"),
		ProducerVersion: proto.String("textmodel"),
		Graph:           graph,
		MetadataProps:   props,
	}
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(model)
	if err != nil {
		return fmt.Errorf("textmodel: export: %w", err)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("textmodel: export: %w", err)
	}
	return nil
}

// Import reads a model written by Export and returns its weights and its
// metadata (without the reserved heads key). It checks that the graph is
// exactly the one Export writes, so a file of any other architecture is
// rejected with an error saying where it differs.
func Import(r io.Reader) (*MLP, map[string]string, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, fmt.Errorf("textmodel: import: %w", err)
	}
	m, meta, err := decodeONNX(data, true)
	if err != nil {
		return nil, nil, fmt.Errorf("textmodel: import: %w", err)
	}
	return m, meta, nil
}

// decodeONNX is Import on bytes already read, so that ORTModel can check
// the very bytes it verified and hands to ONNX Runtime. With weights
// false every check is made but the weights are not copied out (ORTModel
// reads the shapes alone): the MLP's weight slices are nil.
func decodeONNX(data []byte, weights bool) (*MLP, map[string]string, error) {
	var model onnxpb.ModelProto
	if err := proto.Unmarshal(data, &model); err != nil {
		return nil, nil, fmt.Errorf("not an ONNX model: %w", err)
	}
	g := model.GetGraph()
	if g == nil || len(g.GetNode()) == 0 {
		return nil, nil, errors.New("not an ONNX model: no graph")
	}
	opset := int64(-1)
	for _, o := range model.GetOpsetImport() {
		if d := o.GetDomain(); d == "" || d == "ai.onnx" {
			opset = o.GetVersion()
		}
	}
	if opset < 13 {
		return nil, nil, fmt.Errorf("default-domain opset %d: need 13 or newer (axes as inputs)", opset)
	}
	if err := checkNodes(g.GetNode()); err != nil {
		return nil, nil, err
	}
	if err := checkIO(g); err != nil {
		return nil, nil, err
	}

	inits := make(map[string]*onnxpb.TensorProto, len(g.GetInitializer()))
	for _, t := range g.GetInitializer() {
		inits[t.GetName()] = t
	}
	emb, embDims, err := floatInit(inits, initEmbedding, 2, weights)
	if err != nil {
		return nil, nil, err
	}
	w1, w1Dims, err := floatInit(inits, initW1, 2, weights)
	if err != nil {
		return nil, nil, err
	}
	b1, b1Dims, err := floatInit(inits, initB1, 1, weights)
	if err != nil {
		return nil, nil, err
	}
	w2, w2Dims, err := floatInit(inits, initW2, 2, weights)
	if err != nil {
		return nil, nil, err
	}
	b2, b2Dims, err := floatInit(inits, initB2, 1, weights)
	if err != nil {
		return nil, nil, err
	}
	if err := checkAxes(inits, initUnsqueezeAxes, 2); err != nil {
		return nil, nil, err
	}
	if err := checkAxes(inits, initReduceAxes, 1); err != nil {
		return nil, nil, err
	}
	buckets, dim, hidden, k := embDims[0], embDims[1], w1Dims[1], w2Dims[1]
	if w1Dims[0] != dim || b1Dims[0] != hidden || w2Dims[0] != hidden || b2Dims[0] != k {
		return nil, nil, fmt.Errorf("inconsistent shapes: embedding %v, w1 %v, b1 %v, w2 %v, b2 %v", embDims, w1Dims, b1Dims, w2Dims, b2Dims)
	}

	meta := make(map[string]string, len(model.GetMetadataProps()))
	var heads []string
	for _, p := range model.GetMetadataProps() {
		if p.GetKey() == headsKey {
			if err := json.Unmarshal([]byte(p.GetValue()), &heads); err != nil {
				return nil, nil, fmt.Errorf("metadata %s: %w", headsKey, err)
			}
			continue
		}
		meta[p.GetKey()] = p.GetValue()
	}
	if heads == nil {
		return nil, nil, fmt.Errorf("no %s metadata: not written by textmodel.Export", headsKey)
	}
	if int64(len(heads)) != k {
		return nil, nil, fmt.Errorf("metadata names %d heads, w2 has %d columns", len(heads), k)
	}
	m := &MLP{
		Buckets: int(buckets), Dim: int(dim), Hidden: int(hidden), Heads: heads,
		Embedding: emb, W1: w1, B1: b1, W2: w2, B2: b2,
	}
	if !weights {
		return m, meta, nil
	}
	if err := m.Validate(); err != nil {
		return nil, nil, err
	}
	return m, meta, nil
}

// graphNodes is the computation Export writes and Import insists on.
func graphNodes() []*onnxpb.NodeProto {
	return []*onnxpb.NodeProto{
		onnxpb.Node("embed_gather", "Gather", []string{initEmbedding, InputIDs}, "embedded", onnxpb.IntAttr("axis", 0)),
		onnxpb.Node("weights_unsqueeze", "Unsqueeze", []string{InputWeights, initUnsqueezeAxes}, "weights_expanded"),
		onnxpb.Node("weight_mul", "Mul", []string{"embedded", "weights_expanded"}, "weighted"),
		onnxpb.Node("bag_sum", "ReduceSum", []string{"weighted", initReduceAxes}, "bag", onnxpb.IntAttr("keepdims", 0)),
		onnxpb.Node("hidden_gemm", "Gemm", []string{"bag", initW1, initB1}, "hidden_linear"),
		onnxpb.Node("hidden_relu", "Relu", []string{"hidden_linear"}, "hidden"),
		onnxpb.Node("logits_gemm", "Gemm", []string{"hidden", initW2, initB2}, "logits"),
		onnxpb.Node("probs_sigmoid", "Sigmoid", []string{"logits"}, OutputProbs),
	}
}

func checkNodes(got []*onnxpb.NodeProto) error {
	want := graphNodes()
	if len(got) != len(want) {
		return fmt.Errorf("graph has %d nodes (%s), want %d (%s): not a textmodel export", len(got), opTypes(got), len(want), opTypes(want))
	}
	for i := range want {
		if !proto.Equal(got[i], want[i]) {
			return fmt.Errorf("graph node %d is %s, want %s: not a textmodel export", i, describeNode(got[i]), describeNode(want[i]))
		}
	}
	return nil
}

func checkIO(g *onnxpb.GraphProto) error {
	type port struct {
		name string
		typ  onnxpb.TensorProto_DataType
	}
	check := func(kind string, got []*onnxpb.ValueInfoProto, want []port) error {
		if len(got) != len(want) {
			return fmt.Errorf("graph has %d %ss, want %d", len(got), kind, len(want))
		}
		for i, w := range want {
			tt := got[i].GetType().GetTensorType()
			if got[i].GetName() != w.name || tt == nil || tt.GetElemType() != int32(w.typ) || len(tt.GetShape().GetDim()) != 2 {
				return fmt.Errorf("graph %s %d is %q, want %q: a rank-2 %s tensor", kind, i, got[i].GetName(), w.name, w.typ)
			}
		}
		return nil
	}
	if err := check("input", g.GetInput(), []port{{InputIDs, onnxpb.TensorProto_INT64}, {InputWeights, onnxpb.TensorProto_FLOAT}}); err != nil {
		return err
	}
	return check("output", g.GetOutput(), []port{{OutputProbs, onnxpb.TensorProto_FLOAT}})
}

// floatInit checks the float initializer name and returns its values (nil
// unless values) and dims.
func floatInit(inits map[string]*onnxpb.TensorProto, name string, rank int, values bool) ([]float32, []int64, error) {
	t, ok := inits[name]
	if !ok {
		return nil, nil, fmt.Errorf("initializer %q missing: not a textmodel export", name)
	}
	dims := t.GetDims()
	if t.GetDataType() != int32(onnxpb.TensorProto_FLOAT) || len(dims) != rank {
		return nil, nil, fmt.Errorf("initializer %q: want a rank-%d float tensor, have %s %v", name, rank, onnxpb.TensorProto_DataType(t.GetDataType()), dims)
	}
	n := int64(1)
	for _, d := range dims {
		if d <= 0 || d > math.MaxInt32 {
			return nil, nil, fmt.Errorf("initializer %q: bad dims %v", name, dims)
		}
		n *= d
	}
	if t.GetDataLocation() == onnxpb.TensorProto_EXTERNAL {
		return nil, nil, fmt.Errorf("initializer %q: external data is not supported", name)
	}
	if raw := t.GetRawData(); raw != nil {
		if int64(len(raw)) != 4*n {
			return nil, nil, fmt.Errorf("initializer %q: %d raw bytes for dims %v", name, len(raw), dims)
		}
		if !values {
			return nil, dims, nil
		}
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		return out, dims, nil
	}
	if int64(len(t.GetFloatData())) != n {
		return nil, nil, fmt.Errorf("initializer %q: %d floats for dims %v", name, len(t.GetFloatData()), dims)
	}
	if !values {
		return nil, dims, nil
	}
	return slices.Clone(t.GetFloatData()), dims, nil
}

func checkAxes(inits map[string]*onnxpb.TensorProto, name string, axis int64) error {
	t, ok := inits[name]
	if !ok {
		return fmt.Errorf("initializer %q missing: not a textmodel export", name)
	}
	var vals []int64
	switch raw := t.GetRawData(); {
	case raw != nil && len(raw)%8 == 0:
		for i := 0; i < len(raw); i += 8 {
			vals = append(vals, int64(binary.LittleEndian.Uint64(raw[i:])))
		}
	default:
		vals = t.GetInt64Data()
	}
	if t.GetDataType() != int32(onnxpb.TensorProto_INT64) || !slices.Equal(vals, []int64{axis}) {
		return fmt.Errorf("initializer %q: want int64 [%d], have %s %v", name, axis, onnxpb.TensorProto_DataType(t.GetDataType()), vals)
	}
	return nil
}

func opTypes(nodes []*onnxpb.NodeProto) string {
	ops := make([]string, len(nodes))
	for i, n := range nodes {
		ops[i] = n.GetOpType()
	}
	return strings.Join(ops, ", ")
}

func describeNode(n *onnxpb.NodeProto) string {
	var attrs []string
	for _, a := range n.GetAttribute() {
		attrs = append(attrs, fmt.Sprintf("%s=%d", a.GetName(), a.GetI()))
	}
	return fmt.Sprintf("%s %q(%s)->(%s)[%s]", n.GetOpType(), n.GetName(),
		strings.Join(n.GetInput(), ", "), strings.Join(n.GetOutput(), ", "), strings.Join(attrs, " "))
}
