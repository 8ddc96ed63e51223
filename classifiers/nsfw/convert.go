package nsfw

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/haechi-tns/haechi/classifiers/onnxpb"
)

// Names of the converted graph's input and output, as ONNX Runtime sees them.
const (
	// InputName is float32 [batch, 3, size, size]: RGB planes (NCHW), values
	// in [0, 1] (the pixel value divided by 255), already resized. The graph
	// takes NCHW rather than the Keras NHWC so that no Transpose runs per call:
	// Preprocess writes the planes directly.
	InputName = "image"
	// OutputName is float32 [batch, len(Labels)]: softmax probabilities in
	// Labels order.
	OutputName = "probs"
)

const (
	onnxOpset     = 17 // as classifiers/textmodel: the newest Debian's ONNX 1.12 knows
	onnxIRVersion = 8  // goes with opset 17
)

// Convert translates an nsfwjs model, given as the bytes of its browserify
// bundles (dist/models/<name>/model.min.js and the weight shards
// group1-shard*.min.js in the manifest's order), into an ONNX model with
// input InputName and output OutputName, and returns a Spec describing it
// with its self-check filled in. It evaluates nothing from the bundles: the
// object and string literals are parsed.
//
// Keras layers become ONNX operators as follows: Conv2D and DepthwiseConv2D
// → Conv (depthwise: group = channels), with a following
// BatchNormalization folded into the weights when the conv has no
// activation and feeds only that normalisation (otherwise
// BatchNormalization); "same" padding → explicit pads, the odd one at the
// bottom/right as TensorFlow does; ZeroPadding2D → Pad; ReLU → Relu or
// Clip(0, max_value); Add → Add/Sum; Average/MaxPooling2D → AveragePool/
// MaxPool; GlobalAveragePooling2D → GlobalAveragePool; Flatten/Reshape →
// (Transpose to channels-last) Flatten/Reshape; Dense → Gemm; Dropout →
// nothing; activations → Relu, Clip, Sigmoid, Tanh or Softmax.
//
// The Spec's File and SHA256 are empty (WriteModel fills them), and of its
// Source only Package and SHA256 are set: the caller knows the rest.
func Convert(modelJS []byte, shardsJS ...[]byte) (*onnxpb.ModelProto, *Spec, error) {
	km, err := parseBundles(modelJS, shardsJS)
	if err != nil {
		return nil, nil, fmt.Errorf("nsfw: convert: %w", err)
	}
	model, outShape, err := buildONNX(km)
	if err != nil {
		return nil, nil, fmt.Errorf("nsfw: convert: %w", err)
	}
	// The output must be probabilities over exactly the nsfwjs classes.
	if len(outShape) != 1 || outShape[0] != len(Labels) {
		return nil, nil, fmt.Errorf("nsfw: convert: model output has shape %v, want [%d] (one probability per class %q)", outShape, len(Labels), Labels)
	}
	spec := &Spec{
		Name:       "nsfwjs",
		Converter:  ConverterVersion,
		Input:      DefaultInput(km.inputShape[0]),
		Output:     OutputName,
		Labels:     slices.Clone(Labels),
		Categories: DefaultCategories(),
		Source:     Source{Package: "nsfwjs", SHA256: SourceHash(modelJS, shardsJS...)},
	}
	if km.inputShape[0] != km.inputShape[1] || km.inputShape[2] != 3 {
		return nil, nil, fmt.Errorf("nsfw: convert: input shape %v: want a square RGB image", km.inputShape)
	}
	if spec.SelfCheck, err = newSelfCheck(km, spec.Input); err != nil {
		return nil, nil, fmt.Errorf("nsfw: convert: %w", err)
	}
	return model, spec, nil
}

func parseBundles(modelJS []byte, shardsJS [][]byte) (*kerasModel, error) {
	var tm tfjsModel
	if err := decodeExport(modelJS, &tm); err != nil {
		return nil, fmt.Errorf("model bundle: %w", err)
	}
	shards := make([][]byte, len(shardsJS))
	for i, s := range shardsJS {
		var err error
		if shards[i], err = decodeShard(s); err != nil {
			return nil, fmt.Errorf("weights bundle %d: %w", i+1, err)
		}
	}
	return parseKeras(&tm, shards)
}

// value is a Keras tensor as the ONNX graph holds it: shape is the Keras
// shape without the batch dimension; rank-3 values ([h, w, c]) are stored
// NCHW in the graph.
type value struct {
	name  string
	shape []int
}

type onnxBuilder struct {
	km        *kerasModel
	nodes     []*onnxpb.NodeProto
	inits     []*onnxpb.TensorProto
	vals      map[string]value
	consumers map[string][]*layer
	skip      map[string]bool // layers already emitted as part of another
}

// buildONNX translates km and returns the model and its output's Keras shape
// (without the batch dimension).
func buildONNX(km *kerasModel) (*onnxpb.ModelProto, []int, error) {
	b := &onnxBuilder{km: km, vals: map[string]value{}, consumers: map[string][]*layer{}, skip: map[string]bool{}}
	for _, l := range km.layers {
		for _, in := range l.inputs {
			b.consumers[in] = append(b.consumers[in], l)
		}
	}
	for _, l := range km.layers {
		if b.skip[l.name] {
			continue
		}
		if err := b.emit(l); err != nil {
			return nil, nil, fmt.Errorf("layer %s (%s): %w", l.name, l.class, err)
		}
	}
	out := b.vals[km.output]
	b.nodes = append(b.nodes, onnxpb.Node("output", "Identity", []string{out.name}, OutputName))
	h, w, c := km.inputShape[0], km.inputShape[1], km.inputShape[2]
	graph := &onnxpb.GraphProto{
		Name:        proto.String("nsfwjs"),
		DocString:   proto.String("nsfwjs Keras model converted by haechi classifiers/nsfw; input NCHW RGB in [0,1]"),
		Node:        b.nodes,
		Initializer: b.inits,
		Input: []*onnxpb.ValueInfoProto{onnxpb.ValueInfo(InputName, onnxpb.TensorProto_FLOAT, onnxpb.SymDim("batch"),
			onnxpb.FixedDim(int64(c)), onnxpb.FixedDim(int64(h)), onnxpb.FixedDim(int64(w)))},
		Output: []*onnxpb.ValueInfoProto{onnxpb.ValueInfo(OutputName, onnxpb.TensorProto_FLOAT, onnxpb.SymDim("batch"), onnxpb.FixedDim(int64(out.shape[0])))},
	}
	return &onnxpb.ModelProto{
		IrVersion:       proto.Int64(onnxIRVersion),
		OpsetImport:     []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(onnxOpset)}},
		ProducerName:    proto.String("haechi"),
		ProducerVersion: proto.String("nsfw/" + ConverterVersion),
		Graph:           graph,
	}, out.shape, nil
}

func (b *onnxBuilder) emit(l *layer) error {
	if df := l.cfg.DataFormat; df != "" && df != "channels_last" {
		return fmt.Errorf("data_format %q: only channels_last is supported", df)
	}
	if l.class == "InputLayer" {
		b.vals[l.name] = value{name: InputName, shape: slices.Clone(b.km.inputShape)}
		return nil
	}
	ins := make([]value, len(l.inputs))
	for i, name := range l.inputs {
		ins[i] = b.vals[name]
	}
	if l.class != "Add" && l.class != "Concatenate" && len(ins) != 1 {
		return fmt.Errorf("%d inputs, want 1", len(ins))
	}
	in := ins[0]
	switch l.class {
	case "Dropout", "SpatialDropout2D", "GaussianNoise", "GaussianDropout":
		b.vals[l.name] = in // inference: identity
		return nil
	case "ZeroPadding2D":
		if len(in.shape) != 3 {
			return fmt.Errorf("input shape %v: want [h, w, c]", in.shape)
		}
		p, err := zeroPadding(l.cfg.Padding)
		if err != nil {
			return err
		}
		pads := b.int64Init(l.name+"/pads", 0, 0, int64(p[0]), int64(p[2]), 0, 0, int64(p[1]), int64(p[3]))
		b.add(l.name, "Pad", []string{in.name, pads}, l.name)
		b.vals[l.name] = value{l.name, []int{in.shape[0] + p[0] + p[1], in.shape[1] + p[2] + p[3], in.shape[2]}}
		return nil
	case "Conv2D", "DepthwiseConv2D":
		return b.conv(l, in)
	case "BatchNormalization":
		return b.batchNorm(l, in)
	case "ReLU":
		if l.cfg.NegativeSlope != 0 || l.cfg.Threshold != 0 {
			return fmt.Errorf("negative_slope %v, threshold %v: only 0 is supported", l.cfg.NegativeSlope, l.cfg.Threshold)
		}
		act := "relu"
		if l.cfg.MaxValue != nil {
			act = fmt.Sprintf("clip:%v", *l.cfg.MaxValue)
		}
		return b.activation(l.name, act, in, l.name)
	case "Activation":
		return b.activation(l.name, l.cfg.Activation, in, l.name)
	case "Softmax":
		if !channelAxis(l.cfg.Axis, len(in.shape)+1) {
			return fmt.Errorf("axis %s: only the last axis is supported", l.cfg.Axis)
		}
		return b.activation(l.name, "softmax", in, l.name)
	case "Add":
		if len(ins) < 2 {
			return fmt.Errorf("%d inputs, want 2 or more", len(ins))
		}
		names := make([]string, len(ins))
		for i, v := range ins {
			if !slices.Equal(v.shape, in.shape) {
				return fmt.Errorf("inputs of shapes %v and %v", in.shape, v.shape)
			}
			names[i] = v.name
		}
		op := "Sum"
		if len(ins) == 2 {
			op = "Add"
		}
		b.add(l.name, op, names, l.name)
		b.vals[l.name] = value{l.name, slices.Clone(in.shape)}
		return nil
	case "Concatenate":
		names := make([]string, len(ins))
		shape := slices.Clone(in.shape)
		shape[len(shape)-1] = 0
		for i, v := range ins {
			if len(v.shape) != len(in.shape) || !slices.Equal(v.shape[:len(v.shape)-1], in.shape[:len(in.shape)-1]) {
				return fmt.Errorf("inputs of shapes %v and %v", in.shape, v.shape)
			}
			names[i] = v.name
			shape[len(shape)-1] += v.shape[len(v.shape)-1]
		}
		if !channelAxis(l.cfg.Axis, len(in.shape)+1) {
			return fmt.Errorf("axis %s: only the last axis is supported", l.cfg.Axis)
		}
		b.add(l.name, "Concat", names, l.name, intAttr("axis", 1))
		b.vals[l.name] = value{l.name, shape}
		return nil
	case "AveragePooling2D", "MaxPooling2D":
		return b.pool(l, in)
	case "GlobalAveragePooling2D", "GlobalMaxPooling2D":
		if len(in.shape) != 3 {
			return fmt.Errorf("input shape %v: want [h, w, c]", in.shape)
		}
		op := map[string]string{"GlobalAveragePooling2D": "GlobalAveragePool", "GlobalMaxPooling2D": "GlobalMaxPool"}[l.class]
		if l.cfg.KeepDims {
			b.add(l.name, op, []string{in.name}, l.name)
			b.vals[l.name] = value{l.name, []int{1, 1, in.shape[2]}}
			return nil
		}
		b.add(l.name, op, []string{in.name}, l.name+"/pooled")
		b.add(l.name+"/flatten", "Flatten", []string{l.name + "/pooled"}, l.name, intAttr("axis", 1))
		b.vals[l.name] = value{l.name, []int{in.shape[2]}}
		return nil
	case "Flatten":
		src := b.channelsLast(l.name, in)
		b.add(l.name, "Flatten", []string{src}, l.name, intAttr("axis", 1))
		b.vals[l.name] = value{l.name, []int{prod(in.shape)}}
		return nil
	case "Reshape":
		return b.reshape(l, in)
	case "Dense":
		return b.dense(l, in)
	}
	return fmt.Errorf("layer class %q is not supported", l.class)
}

func (b *onnxBuilder) conv(l *layer, in value) error {
	if len(in.shape) != 3 {
		return fmt.Errorf("input shape %v: want [h, w, c]", in.shape)
	}
	depthwise := l.class == "DepthwiseConv2D"
	kname := "kernel"
	if depthwise {
		kname = "depthwise_kernel"
	}
	k, err := l.weight(kname, 4)
	if err != nil {
		return err
	}
	kh, kw, cin, cout := k.shape[0], k.shape[1], k.shape[2], k.shape[3]
	if cin != in.shape[2] {
		return fmt.Errorf("kernel %v for %d input channels", k.shape, in.shape[2])
	}
	group := 1
	if depthwise {
		dm := max(l.cfg.DepthMultiplier, 1)
		if cout != dm {
			return fmt.Errorf("depthwise kernel %v with depth_multiplier %d", k.shape, dm)
		}
		group, cout = cin, cin*dm
	} else if l.cfg.Filters != 0 && l.cfg.Filters != cout {
		return fmt.Errorf("kernel %v for %d filters", k.shape, l.cfg.Filters)
	}
	ksize, err := pair(l.cfg.KernelSize, 0)
	if err != nil {
		return err
	}
	if ksize != [2]int{kh, kw} {
		return fmt.Errorf("kernel %v for kernel_size %v", k.shape, ksize)
	}
	strides, err := pair(l.cfg.Strides, 1)
	if err != nil {
		return err
	}
	dil, err := pair(l.cfg.DilationRate, 1)
	if err != nil {
		return err
	}
	mode, err := paddingMode(l.cfg.Padding)
	if err != nil {
		return err
	}
	oh, ow, pads, err := convGeometry(mode, in.shape[0], in.shape[1], ksize, strides, dil)
	if err != nil {
		return err
	}

	// ONNX weights are [out, in/group, kh, kw]. Keras's are [kh, kw, in, out],
	// or [kh, kw, in, multiplier] for depthwise, where output channel
	// c*multiplier+m reads input channel c.
	w := make([]float32, cout*(cin/group)*kh*kw)
	for y := range kh {
		for x := range kw {
			for ci := range cin {
				for co := range k.shape[3] {
					v := k.data[((y*kw+x)*cin+ci)*k.shape[3]+co]
					if depthwise {
						w[((ci*k.shape[3]+co)*kh+y)*kw+x] = v
					} else {
						w[((co*cin+ci)*kh+y)*kw+x] = v
					}
				}
			}
		}
	}
	var bias []float32
	if l.cfg.UseBias == nil || *l.cfg.UseBias {
		bt, err := l.weight("bias", 1)
		if err != nil {
			return err
		}
		if bt.shape[0] != cout {
			return fmt.Errorf("bias %v for %d channels", bt.shape, cout)
		}
		bias = slices.Clone(bt.data)
	}

	outName := l.name
	act := l.cfg.Activation
	if bn := b.foldableBN(l); bn != nil {
		scale, shift, err := bnAffine(bn, cout)
		if err != nil {
			return fmt.Errorf("folding %s: %w", bn.name, err)
		}
		per := len(w) / cout
		for co := range cout {
			for i := range per {
				w[co*per+i] = float32(float64(w[co*per+i]) * scale[co])
			}
		}
		if bias == nil {
			bias = make([]float32, cout)
		}
		for co := range cout {
			bias[co] = float32(float64(bias[co])*scale[co] + shift[co])
		}
		b.skip[bn.name] = true
		outName = bn.name
		act = "linear"
	}

	inputs := []string{in.name, b.floatInit(l.name+"/W", w, cout, cin/group, kh, kw)}
	if bias != nil {
		inputs = append(inputs, b.floatInit(l.name+"/B", bias, cout))
	}
	linear := outName
	if act != "" && act != "linear" {
		linear = outName + "/linear"
	}
	b.add(l.name, "Conv", inputs, linear,
		intsAttr("kernel_shape", kh, kw), intsAttr("strides", strides[0], strides[1]),
		intsAttr("dilations", dil[0], dil[1]), intsAttr("pads", pads[0], pads[1], pads[2], pads[3]),
		intAttr("group", group))
	out := value{linear, []int{oh, ow, cout}}
	if outName != l.name {
		b.vals[l.name] = out
	}
	if linear == outName {
		b.vals[outName] = out
		return nil
	}
	return b.activation(l.name, act, out, outName)
}

// foldableBN returns the BatchNormalization that only consumes conv l's
// output, when folding it into l's weights computes the same function: l
// has no activation, nothing else reads l, l is not the model output.
func (b *onnxBuilder) foldableBN(l *layer) *layer {
	cs := b.consumers[l.name]
	if len(cs) != 1 || cs[0].class != "BatchNormalization" || l.name == b.km.output {
		return nil
	}
	if a := l.cfg.Activation; a != "" && a != "linear" {
		return nil
	}
	if !channelAxis(cs[0].cfg.Axis, 4) {
		return nil
	}
	return cs[0]
}

// bnAffine turns a BatchNormalization's weights into a per-channel y = x*scale
// + shift, in float64: scale = gamma/sqrt(variance+epsilon), shift = beta -
// mean*scale.
func bnAffine(l *layer, channels int) (scale, shift []float64, err error) {
	get := func(name string, def float64, present bool) ([]float64, error) {
		out := make([]float64, channels)
		if !present {
			for i := range out {
				out[i] = def
			}
			return out, nil
		}
		t, err := l.weight(name, 1)
		if err != nil {
			return nil, err
		}
		if t.shape[0] != channels {
			return nil, fmt.Errorf("%s %v for %d channels", name, t.shape, channels)
		}
		for i, v := range t.data {
			out[i] = float64(v)
		}
		return out, nil
	}
	gamma, err := get("gamma", 1, l.cfg.Scale == nil || *l.cfg.Scale)
	if err != nil {
		return nil, nil, err
	}
	beta, err := get("beta", 0, l.cfg.Center == nil || *l.cfg.Center)
	if err != nil {
		return nil, nil, err
	}
	mean, err := get("moving_mean", 0, true)
	if err != nil {
		return nil, nil, err
	}
	variance, err := get("moving_variance", 0, true)
	if err != nil {
		return nil, nil, err
	}
	eps := 1e-3
	if l.cfg.Epsilon != nil {
		eps = *l.cfg.Epsilon
	}
	scale, shift = make([]float64, channels), make([]float64, channels)
	for c := range channels {
		if variance[c]+eps <= 0 {
			return nil, nil, fmt.Errorf("channel %d: variance %v + epsilon %v is not positive", c, variance[c], eps)
		}
		scale[c] = gamma[c] / math.Sqrt(variance[c]+eps)
		shift[c] = beta[c] - mean[c]*scale[c]
	}
	return scale, shift, nil
}

func (b *onnxBuilder) batchNorm(l *layer, in value) error {
	if !channelAxis(l.cfg.Axis, len(in.shape)+1) {
		return fmt.Errorf("axis %s: only the channel (last) axis is supported", l.cfg.Axis)
	}
	c := in.shape[len(in.shape)-1]
	scale, shift, err := bnAffine(l, c)
	if err != nil {
		return err
	}
	// As scale and shift, BatchNormalization with mean 0, variance 1 and
	// epsilon 0 is exactly an affine map, and works on [N, C] and NCHW alike.
	s, sh, zeros, ones := make([]float32, c), make([]float32, c), make([]float32, c), make([]float32, c)
	for i := range c {
		s[i], sh[i], ones[i] = float32(scale[i]), float32(shift[i]), 1
	}
	b.add(l.name, "BatchNormalization", []string{in.name,
		b.floatInit(l.name+"/scale", s, c), b.floatInit(l.name+"/shift", sh, c),
		b.floatInit(l.name+"/mean", zeros, c), b.floatInit(l.name+"/var", ones, c)},
		l.name, onnxpb.FloatAttr("epsilon", 0))
	b.vals[l.name] = value{l.name, slices.Clone(in.shape)}
	return nil
}

func (b *onnxBuilder) pool(l *layer, in value) error {
	if len(in.shape) != 3 {
		return fmt.Errorf("input shape %v: want [h, w, c]", in.shape)
	}
	k, err := pair(l.cfg.PoolSize, 2)
	if err != nil {
		return err
	}
	s, err := pair(l.cfg.Strides, 0)
	if err != nil {
		return err
	}
	if s[0] == 0 {
		s = k // Keras: strides default to pool_size
	}
	mode, err := paddingMode(l.cfg.Padding)
	if err != nil {
		return err
	}
	oh, ow, pads, err := convGeometry(mode, in.shape[0], in.shape[1], k, s, [2]int{1, 1})
	if err != nil {
		return err
	}
	attrs := []*onnxpb.AttributeProto{intsAttr("kernel_shape", k[0], k[1]), intsAttr("strides", s[0], s[1]),
		intsAttr("pads", pads[0], pads[1], pads[2], pads[3])}
	op := "MaxPool"
	if l.class == "AveragePooling2D" {
		// TensorFlow averages over the window's cells inside the image only.
		op = "AveragePool"
		attrs = append(attrs, intAttr("count_include_pad", 0))
	}
	b.add(l.name, op, []string{in.name}, l.name, attrs...)
	b.vals[l.name] = value{l.name, []int{oh, ow, in.shape[2]}}
	return nil
}

func (b *onnxBuilder) reshape(l *layer, in value) error {
	target := slices.Clone(l.cfg.TargetShape)
	n, unknown := 1, -1
	for i, d := range target {
		switch {
		case d == -1 && unknown < 0:
			unknown = i
		case d > 0:
			n *= d
		default:
			return fmt.Errorf("target_shape %v", l.cfg.TargetShape)
		}
	}
	total := prod(in.shape)
	if unknown >= 0 && n > 0 && total%n == 0 {
		target[unknown] = total / n
		n = total
	}
	if n != total || len(target) == 0 || len(target) > 3 {
		return fmt.Errorf("target_shape %v for input %v", l.cfg.TargetShape, in.shape)
	}
	src := b.channelsLast(l.name, in)
	dims := []int64{0}
	for _, d := range target {
		dims = append(dims, int64(d))
	}
	out := l.name
	if len(target) == 3 {
		out = l.name + "/reshaped"
	}
	b.add(l.name, "Reshape", []string{src, b.int64Init(l.name+"/shape", dims...)}, out)
	if len(target) == 3 {
		b.add(l.name+"/to_nchw", "Transpose", []string{out}, l.name, intsAttr("perm", 0, 3, 1, 2))
	}
	b.vals[l.name] = value{l.name, target}
	return nil
}

// channelsLast returns a name for v in Keras's NHWC order, adding a
// Transpose when v is an NCHW image with more than one pixel.
func (b *onnxBuilder) channelsLast(prefix string, v value) string {
	if len(v.shape) != 3 || v.shape[0]*v.shape[1] == 1 {
		return v.name
	}
	name := prefix + "/nhwc"
	b.add(name, "Transpose", []string{v.name}, name, intsAttr("perm", 0, 2, 3, 1))
	return name
}

func (b *onnxBuilder) dense(l *layer, in value) error {
	if len(in.shape) != 1 {
		return fmt.Errorf("input shape %v: want a vector (add a Flatten)", in.shape)
	}
	k, err := l.weight("kernel", 2)
	if err != nil {
		return err
	}
	if k.shape[0] != in.shape[0] || l.cfg.Units != 0 && k.shape[1] != l.cfg.Units {
		return fmt.Errorf("kernel %v for input %v and %d units", k.shape, in.shape, l.cfg.Units)
	}
	units := k.shape[1]
	inputs := []string{in.name, b.floatInit(l.name+"/W", k.data, k.shape[0], units)}
	if l.cfg.UseBias == nil || *l.cfg.UseBias {
		bt, err := l.weight("bias", 1)
		if err != nil {
			return err
		}
		if bt.shape[0] != units {
			return fmt.Errorf("bias %v for %d units", bt.shape, units)
		}
		inputs = append(inputs, b.floatInit(l.name+"/B", bt.data, units))
	}
	act := l.cfg.Activation
	linear := l.name
	if act != "" && act != "linear" {
		linear = l.name + "/linear"
	}
	b.add(l.name, "Gemm", inputs, linear)
	out := value{linear, []int{units}}
	if linear == l.name {
		b.vals[l.name] = out
		return nil
	}
	return b.activation(l.name, act, out, l.name)
}

// activation applies a Keras activation to in, naming the result out.
// "clip:<max>" is ReLU with max_value.
func (b *onnxBuilder) activation(prefix, act string, in value, out string) error {
	name := prefix + "/" + act
	switch act {
	case "relu":
		b.add(name, "Relu", []string{in.name}, out)
	case "relu6":
		act = "clip:6"
		fallthrough
	default:
		var hi float64
		if _, err := fmt.Sscanf(act, "clip:%g", &hi); err != nil {
			return fmt.Errorf("activation %q is not supported", act)
		}
		name = prefix + "/relu"
		b.add(name, "Clip", []string{in.name, b.scalarInit(name+"/min", 0), b.scalarInit(name+"/max", float32(hi))}, out)
	case "sigmoid":
		b.add(name, "Sigmoid", []string{in.name}, out)
	case "tanh":
		b.add(name, "Tanh", []string{in.name}, out)
	case "softmax":
		axis := -1
		if len(in.shape) == 3 {
			axis = 1 // channels of NCHW
		}
		b.add(name, "Softmax", []string{in.name}, out, intAttr("axis", axis))
	}
	b.vals[prefix] = value{out, slices.Clone(in.shape)}
	return nil
}

func (l *layer) weight(name string, rank int) (*tensor, error) {
	t, ok := l.weights[name]
	if !ok {
		return nil, fmt.Errorf("weight %s/%s is missing from the weights manifest", l.name, name)
	}
	if len(t.shape) != rank {
		return nil, fmt.Errorf("weight %s/%s has shape %v, want rank %d", l.name, name, t.shape, rank)
	}
	return t, nil
}

func prod(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

func (b *onnxBuilder) add(name, op string, inputs []string, output string, attrs ...*onnxpb.AttributeProto) {
	b.nodes = append(b.nodes, onnxpb.Node(name, op, inputs, output, attrs...))
}

func (b *onnxBuilder) floatInit(name string, vals []float32, dims ...int) string {
	raw := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	d := make([]int64, len(dims))
	for i, x := range dims {
		d[i] = int64(x)
	}
	b.inits = append(b.inits, &onnxpb.TensorProto{
		Name: proto.String(name), Dims: d,
		DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), RawData: raw,
	})
	return name
}

func (b *onnxBuilder) scalarInit(name string, v float32) string {
	b.floatInit(name, []float32{v})
	b.inits[len(b.inits)-1].Dims = nil // a scalar, as Clip wants
	return name
}

func (b *onnxBuilder) int64Init(name string, vals ...int64) string {
	raw := make([]byte, 8*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
	}
	b.inits = append(b.inits, &onnxpb.TensorProto{
		Name: proto.String(name), Dims: []int64{int64(len(vals))},
		DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), RawData: raw,
	})
	return name
}

func intAttr(name string, v int) *onnxpb.AttributeProto { return onnxpb.IntAttr(name, int64(v)) }

func intsAttr(name string, vs ...int) *onnxpb.AttributeProto {
	ints := make([]int64, len(vs))
	for i, v := range vs {
		ints[i] = int64(v)
	}
	return onnxpb.IntsAttr(name, ints...)
}
