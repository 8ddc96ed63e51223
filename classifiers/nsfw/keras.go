package nsfw

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// tfjsModel is the object a TensorFlow.js Layers model.json holds (here
// inside model.min.js): the Keras topology and the weights manifest.
type tfjsModel struct {
	ModelTopology   json.RawMessage `json:"modelTopology"`
	WeightsManifest []weightGroup   `json:"weightsManifest"`
	Format          string          `json:"format"`
}

type weightGroup struct {
	Paths   []string     `json:"paths"`
	Weights []weightSpec `json:"weights"`
}

type weightSpec struct {
	Name         string        `json:"name"`
	Shape        []int         `json:"shape"`
	Dtype        string        `json:"dtype"`
	Quantization *quantization `json:"quantization"`
}

type quantization struct {
	Dtype string   `json:"dtype"`
	Min   *float64 `json:"min"`
	Scale *float64 `json:"scale"`
}

// kerasModelConfig is model_config: {class_name, config}.
type kerasModelConfig struct {
	ClassName string          `json:"class_name"`
	Config    json.RawMessage `json:"config"`
}

type functionalConfig struct {
	Name         string       `json:"name"`
	Layers       []kerasLayer `json:"layers"`
	InputLayers  [][]any      `json:"input_layers"`
	OutputLayers [][]any      `json:"output_layers"`
}

type kerasLayer struct {
	Name         string          `json:"name"`
	ClassName    string          `json:"class_name"`
	Config       layerConfig     `json:"config"`
	InboundNodes json.RawMessage `json:"inbound_nodes"`
}

// layerConfig is the union of the Keras layer settings the converter reads.
// Fields that Keras writes either as a number or as a list (kernel_size,
// strides, ...) are kept raw and read with pair.
type layerConfig struct {
	Name            string          `json:"name"`
	BatchInputShape []*int          `json:"batch_input_shape"`
	Filters         int             `json:"filters"`
	KernelSize      json.RawMessage `json:"kernel_size"`
	Strides         json.RawMessage `json:"strides"`
	Padding         json.RawMessage `json:"padding"`
	DataFormat      string          `json:"data_format"`
	DilationRate    json.RawMessage `json:"dilation_rate"`
	Activation      string          `json:"activation"`
	UseBias         *bool           `json:"use_bias"`
	DepthMultiplier int             `json:"depth_multiplier"`
	Axis            json.RawMessage `json:"axis"`
	Epsilon         *float64        `json:"epsilon"`
	Center          *bool           `json:"center"`
	Scale           *bool           `json:"scale"`
	MaxValue        *float64        `json:"max_value"`
	NegativeSlope   float64         `json:"negative_slope"`
	Threshold       float64         `json:"threshold"`
	PoolSize        json.RawMessage `json:"pool_size"`
	Units           int             `json:"units"`
	TargetShape     []int           `json:"target_shape"`
	KeepDims        bool            `json:"keepdims"`
}

// layer is one Keras layer with its inputs resolved to layer names and its
// weights dequantised.
type layer struct {
	name    string
	class   string
	cfg     layerConfig
	inputs  []string
	weights map[string]*tensor // by the part after "<layer>/": kernel, bias, gamma, ...
}

// tensor is a float32 array with a shape, row-major.
type tensor struct {
	shape []int
	data  []float32
}

// kerasModel is a parsed Functional (or Sequential) Keras model.
type kerasModel struct {
	layers []*layer // in an order where every layer follows its inputs
	input  string   // the InputLayer's name
	output string   // the output layer's name
	// inputShape is [height, width, channels] of the (single) input.
	inputShape []int
}

// parseKeras reads the topology and the weights of a tfjs Layers model.
// shards are the weight files' bytes in the manifest's path order.
func parseKeras(m *tfjsModel, shards [][]byte) (*kerasModel, error) {
	if m.Format != "" && m.Format != "layers-model" {
		return nil, fmt.Errorf("format %q: only tfjs layers models are supported", m.Format)
	}
	if len(m.ModelTopology) == 0 {
		return nil, errors.New("no modelTopology")
	}
	// Keras's model.to_json() nests the model under model_config; tfjs's own
	// writer puts {class_name, config} at the top.
	var wrapped struct {
		ModelConfig *kerasModelConfig `json:"model_config"`
	}
	if err := json.Unmarshal(m.ModelTopology, &wrapped); err != nil {
		return nil, fmt.Errorf("modelTopology: %w", err)
	}
	mc := wrapped.ModelConfig
	if mc == nil {
		mc = new(kerasModelConfig)
		if err := json.Unmarshal(m.ModelTopology, mc); err != nil {
			return nil, fmt.Errorf("modelTopology: %w", err)
		}
	}
	var km *kerasModel
	var err error
	switch mc.ClassName {
	case "Model", "Functional":
		km, err = parseFunctional(mc.Config)
	case "Sequential":
		km, err = parseSequential(mc.Config)
	default:
		return nil, fmt.Errorf("model class %q: want Model, Functional or Sequential", mc.ClassName)
	}
	if err != nil {
		return nil, err
	}
	weights, err := decodeWeights(m.WeightsManifest, shards)
	if err != nil {
		return nil, err
	}
	used := map[string]bool{}
	for _, l := range km.layers {
		prefix := l.name + "/"
		for name, t := range weights {
			if part, ok := strings.CutPrefix(name, prefix); ok {
				if l.weights == nil {
					l.weights = map[string]*tensor{}
				}
				l.weights[part] = t
				used[name] = true
			}
		}
	}
	for name := range weights {
		if !used[name] {
			return nil, fmt.Errorf("weight %q belongs to no layer of the topology", name)
		}
	}
	return km, nil
}

func parseFunctional(raw json.RawMessage) (*kerasModel, error) {
	var fc functionalConfig
	if err := json.Unmarshal(raw, &fc); err != nil {
		return nil, fmt.Errorf("model config: %w", err)
	}
	if len(fc.InputLayers) != 1 || len(fc.OutputLayers) != 1 {
		return nil, fmt.Errorf("model has %d inputs and %d outputs, want one of each", len(fc.InputLayers), len(fc.OutputLayers))
	}
	inName, err := layerRef(fc.InputLayers[0])
	if err != nil {
		return nil, fmt.Errorf("input_layers: %w", err)
	}
	outName, err := layerRef(fc.OutputLayers[0])
	if err != nil {
		return nil, fmt.Errorf("output_layers: %w", err)
	}
	km := &kerasModel{input: inName, output: outName}
	defined := map[string]bool{}
	for i := range fc.Layers {
		kl := &fc.Layers[i]
		if kl.Name == "" || defined[kl.Name] {
			return nil, fmt.Errorf("layer %d: name %q is empty or repeated", i, kl.Name)
		}
		inputs, err := inboundLayers(kl.InboundNodes)
		if err != nil {
			return nil, fmt.Errorf("layer %s: inbound_nodes: %w", kl.Name, err)
		}
		for _, in := range inputs {
			if !defined[in] {
				return nil, fmt.Errorf("layer %s: input %q is not defined before it", kl.Name, in)
			}
		}
		if (kl.ClassName == "InputLayer") != (len(inputs) == 0) {
			return nil, fmt.Errorf("layer %s (%s) has %d inputs", kl.Name, kl.ClassName, len(inputs))
		}
		defined[kl.Name] = true
		km.layers = append(km.layers, &layer{name: kl.Name, class: kl.ClassName, cfg: kl.Config, inputs: inputs})
	}
	if !defined[inName] || !defined[outName] {
		return nil, fmt.Errorf("input %q or output %q is not a layer", inName, outName)
	}
	return km, km.setInputShape()
}

func parseSequential(raw json.RawMessage) (*kerasModel, error) {
	var layers []kerasLayer
	if err := json.Unmarshal(raw, &layers); err != nil {
		var obj struct {
			Layers []kerasLayer `json:"layers"`
		}
		if err := json.Unmarshal(raw, &obj); err != nil {
			return nil, fmt.Errorf("sequential config: %w", err)
		}
		layers = obj.Layers
	}
	if len(layers) == 0 {
		return nil, errors.New("sequential model without layers")
	}
	km := &kerasModel{}
	prev := ""
	for i, kl := range layers {
		if i == 0 && kl.ClassName != "InputLayer" {
			// The first layer carries batch_input_shape itself; give it an
			// explicit input layer so both model kinds look alike.
			in := &layer{name: "input", class: "InputLayer", cfg: layerConfig{BatchInputShape: kl.Config.BatchInputShape}}
			km.layers = append(km.layers, in)
			prev = in.name
		}
		l := &layer{name: kl.Name, class: kl.ClassName, cfg: kl.Config}
		if prev != "" {
			l.inputs = []string{prev}
		}
		km.layers = append(km.layers, l)
		prev = l.name
	}
	km.input, km.output = km.layers[0].name, prev
	return km, km.setInputShape()
}

func (km *kerasModel) setInputShape() error {
	in := km.layer(km.input)
	s := in.cfg.BatchInputShape
	if in.class != "InputLayer" || len(s) != 4 || s[1] == nil || s[2] == nil || s[3] == nil {
		return fmt.Errorf("input layer %s: want batch_input_shape [null, height, width, channels] with known sizes", km.input)
	}
	km.inputShape = []int{*s[1], *s[2], *s[3]}
	return nil
}

func (km *kerasModel) layer(name string) *layer {
	for _, l := range km.layers {
		if l.name == name {
			return l
		}
	}
	return nil
}

// layerRef reads ["name", node_index, tensor_index(, kwargs)], insisting on
// the first call of a single-output layer.
func layerRef(ref []any) (string, error) {
	if len(ref) < 3 {
		return "", fmt.Errorf("reference %v: want [name, node, tensor]", ref)
	}
	name, ok := ref[0].(string)
	node, ok2 := ref[1].(float64)
	idx, ok3 := ref[2].(float64)
	if !ok || !ok2 || !ok3 {
		return "", fmt.Errorf("reference %v: want [name, node, tensor]", ref)
	}
	if node != 0 || idx != 0 {
		return "", fmt.Errorf("reference to %s node %v tensor %v: shared layers and multi-output layers are not supported", name, node, idx)
	}
	return name, nil
}

// inboundLayers reads Keras 2 inbound_nodes: [[[name, node, tensor, {}], ...]].
func inboundLayers(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var nodes [][][]any
	if err := json.Unmarshal(raw, &nodes); err != nil {
		return nil, fmt.Errorf("want the Keras 2 form [[[name, node, tensor, kwargs]]]: %w", err)
	}
	switch len(nodes) {
	case 0:
		return nil, nil
	case 1:
	default:
		return nil, fmt.Errorf("layer is called %d times: shared layers are not supported", len(nodes))
	}
	var names []string
	for _, ref := range nodes[0] {
		name, err := layerRef(ref)
		if err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	return names, nil
}

// decodeWeights dequantises the weights exactly as TensorFlow.js does
// (tfjs-core io_utils decodeWeight): a uint8 or uint16 value q becomes the
// float32 nearest to q*scale + min, computed in float64.
func decodeWeights(groups []weightGroup, shards [][]byte) (map[string]*tensor, error) {
	var paths []string
	var specs []weightSpec
	for _, g := range groups {
		paths = append(paths, g.Paths...)
		specs = append(specs, g.Weights...)
	}
	if len(paths) != len(shards) {
		return nil, fmt.Errorf("weights manifest names %d shard files %q, %d given", len(paths), paths, len(shards))
	}
	data := bytes.Join(shards, nil)
	out := make(map[string]*tensor, len(specs))
	off := 0
	for _, s := range specs {
		if _, dup := out[s.Name]; dup {
			return nil, fmt.Errorf("weight %q listed twice", s.Name)
		}
		n := 1
		for _, d := range s.Shape {
			if d <= 0 || n > math.MaxInt32/d {
				return nil, fmt.Errorf("weight %q: bad shape %v", s.Name, s.Shape)
			}
			n *= d
		}
		if s.Dtype != "float32" {
			return nil, fmt.Errorf("weight %q: dtype %q, want float32", s.Name, s.Dtype)
		}
		t := &tensor{shape: slices.Clone(s.Shape), data: make([]float32, n)}
		q := s.Quantization
		var size int
		switch {
		case q == nil:
			size = 4
		case q.Dtype == "uint8":
			size = 1
		case q.Dtype == "uint16":
			size = 2
		default:
			return nil, fmt.Errorf("weight %q: quantization dtype %q, want uint8 or uint16", s.Name, q.Dtype)
		}
		if q != nil && (q.Min == nil || q.Scale == nil) {
			return nil, fmt.Errorf("weight %q: quantization without min and scale", s.Name)
		}
		if len(data)-off < n*size {
			return nil, fmt.Errorf("weight %q needs %d bytes at offset %d, the shards hold %d", s.Name, n*size, off, len(data))
		}
		b := data[off : off+n*size]
		off += n * size
		for i := range t.data {
			switch size {
			case 4:
				t.data[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			case 2:
				t.data[i] = float32(float64(binary.LittleEndian.Uint16(b[2*i:]))**q.Scale + *q.Min)
			case 1:
				t.data[i] = float32(float64(b[i])**q.Scale + *q.Min)
			}
		}
		out[s.Name] = t
	}
	if off != len(data) {
		return nil, fmt.Errorf("weights manifest accounts for %d bytes, the shards hold %d", off, len(data))
	}
	return out, nil
}

// decodeShard extracts the base64 weights from a group1-shard*.min.js bundle.
func decodeShard(src []byte) ([]byte, error) {
	v, err := extractExport(src, "string")
	if err != nil {
		return nil, err
	}
	s, ok := v.(string)
	if !ok {
		return nil, errors.New("exported value is not a string")
	}
	data, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("weights are not base64: %w", err)
	}
	return data, nil
}

// pair reads a Keras setting written as n or [a, b]; def applies when absent.
func pair(raw json.RawMessage, def int) ([2]int, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return [2]int{def, def}, nil
	}
	var n int
	if err := json.Unmarshal(raw, &n); err == nil {
		return [2]int{n, n}, nil
	}
	var l []int
	if err := json.Unmarshal(raw, &l); err != nil || len(l) != 2 {
		return [2]int{}, fmt.Errorf("%s: want n or [a, b]", raw)
	}
	return [2]int{l[0], l[1]}, nil
}

// zeroPadding reads ZeroPadding2D's padding: n, [h, w] or [[top, bottom],
// [left, right]]. It returns top, bottom, left, right.
func zeroPadding(raw json.RawMessage) ([4]int, error) {
	if p, err := pair(raw, 1); err == nil {
		return [4]int{p[0], p[0], p[1], p[1]}, nil
	}
	var l [][]int
	if err := json.Unmarshal(raw, &l); err != nil || len(l) != 2 || len(l[0]) != 2 || len(l[1]) != 2 {
		return [4]int{}, fmt.Errorf("padding %s: want n, [h, w] or [[top, bottom], [left, right]]", raw)
	}
	return [4]int{l[0][0], l[0][1], l[1][0], l[1][1]}, nil
}

// paddingMode reads a conv or pooling layer's "same" or "valid".
func paddingMode(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil || s != "same" && s != "valid" {
		return "", fmt.Errorf("padding %s: want \"same\" or \"valid\"", raw)
	}
	return s, nil
}

// channelAxis reads a layer's axis for channels-last data of the given rank
// (batch included) and reports whether it is the last one.
func channelAxis(raw json.RawMessage, rank int) bool {
	var a int
	if len(raw) == 0 || string(raw) == "null" {
		return true
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		var l []int
		if json.Unmarshal(raw, &l) != nil || len(l) != 1 {
			return false
		}
		a = l[0]
	}
	return a == -1 || a == rank-1
}

// samePadding is TensorFlow's "same" padding along one axis: the output has
// ceil(in/stride) positions and any odd padding goes after (bottom/right).
func samePadding(in, k, stride, dilation int) (out, before, after int) {
	eff := (k-1)*dilation + 1
	out = (in + stride - 1) / stride
	total := max((out-1)*stride+eff-in, 0)
	return out, total / 2, total - total/2
}

// convGeometry computes the output size and pads [top, left, bottom, right]
// of a conv or pooling window on an h×w input.
func convGeometry(mode string, h, w int, k, s, d [2]int) (oh, ow int, pads [4]int, err error) {
	if mode == "same" {
		var t, b, l, r int
		oh, t, b = samePadding(h, k[0], s[0], d[0])
		ow, l, r = samePadding(w, k[1], s[1], d[1])
		return oh, ow, [4]int{t, l, b, r}, nil
	}
	eh, ew := (k[0]-1)*d[0]+1, (k[1]-1)*d[1]+1
	if h < eh || w < ew {
		return 0, 0, pads, fmt.Errorf("window %dx%d larger than the %dx%d input", eh, ew, h, w)
	}
	return (h-eh)/s[0] + 1, (w-ew)/s[1] + 1, pads, nil
}
