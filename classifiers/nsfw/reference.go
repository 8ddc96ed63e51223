package nsfw

import (
	"fmt"
	"math"
	"slices"
)

// forward evaluates the Keras model directly, channels-last, one image
// ([h, w, c] in, Keras shape out), with none of the converter's rewrites
// (no NCHW, no BatchNormalization folding, padding computed per window).
// It is slow and exists to check the ONNX graph: Convert records its
// outputs as the self-check, and the tests compare the two.
func (km *kerasModel) forward(x *tensor) (*tensor, error) {
	vals := map[string]*tensor{}
	for _, l := range km.layers {
		if l.class == "InputLayer" {
			if !slices.Equal(x.shape, km.inputShape) {
				return nil, fmt.Errorf("reference: input shape %v, want %v", x.shape, km.inputShape)
			}
			vals[l.name] = x
			continue
		}
		ins := make([]*tensor, len(l.inputs))
		for i, n := range l.inputs {
			ins[i] = vals[n]
		}
		out, err := refLayer(l, ins)
		if err != nil {
			return nil, fmt.Errorf("reference: layer %s (%s): %w", l.name, l.class, err)
		}
		vals[l.name] = out
	}
	return vals[km.output], nil
}

func refLayer(l *layer, ins []*tensor) (*tensor, error) {
	in := ins[0]
	switch l.class {
	case "Dropout", "SpatialDropout2D", "GaussianNoise", "GaussianDropout":
		return in, nil
	case "ZeroPadding2D":
		p, err := zeroPadding(l.cfg.Padding)
		if err != nil {
			return nil, err
		}
		h, w, c := in.shape[0], in.shape[1], in.shape[2]
		oh, ow := h+p[0]+p[1], w+p[2]+p[3]
		out := &tensor{shape: []int{oh, ow, c}, data: make([]float32, oh*ow*c)}
		for y := range h {
			copy(out.data[((y+p[0])*ow+p[2])*c:], in.data[y*w*c:(y+1)*w*c])
		}
		return out, nil
	case "Conv2D", "DepthwiseConv2D":
		return refConv(l, in)
	case "BatchNormalization":
		c := in.shape[len(in.shape)-1]
		scale, shift, err := bnAffine(l, c)
		if err != nil {
			return nil, err
		}
		out := &tensor{shape: slices.Clone(in.shape), data: make([]float32, len(in.data))}
		for i, v := range in.data {
			out.data[i] = float32(float64(v)*scale[i%c] + shift[i%c])
		}
		return out, nil
	case "ReLU":
		act := "relu"
		if l.cfg.MaxValue != nil {
			act = fmt.Sprintf("clip:%v", *l.cfg.MaxValue)
		}
		return refActivation(act, in)
	case "Activation":
		return refActivation(l.cfg.Activation, in)
	case "Softmax":
		return refActivation("softmax", in)
	case "Add":
		out := &tensor{shape: slices.Clone(in.shape), data: slices.Clone(in.data)}
		for _, t := range ins[1:] {
			for i, v := range t.data {
				out.data[i] += v
			}
		}
		return out, nil
	case "Concatenate":
		c := 0
		for _, t := range ins {
			c += t.shape[len(t.shape)-1]
		}
		rows := len(in.data) / in.shape[len(in.shape)-1]
		shape := slices.Clone(in.shape)
		shape[len(shape)-1] = c
		out := &tensor{shape: shape, data: make([]float32, 0, rows*c)}
		for r := range rows {
			for _, t := range ins {
				tc := t.shape[len(t.shape)-1]
				out.data = append(out.data, t.data[r*tc:(r+1)*tc]...)
			}
		}
		return out, nil
	case "AveragePooling2D", "MaxPooling2D":
		return refPool(l, in)
	case "GlobalAveragePooling2D", "GlobalMaxPooling2D":
		h, w, c := in.shape[0], in.shape[1], in.shape[2]
		out := &tensor{shape: []int{c}, data: make([]float32, c)}
		for ch := range c {
			acc, best := 0.0, math.Inf(-1)
			for p := range h * w {
				v := float64(in.data[p*c+ch])
				acc += v
				best = max(best, v)
			}
			if l.class == "GlobalAveragePooling2D" {
				out.data[ch] = float32(acc / float64(h*w))
			} else {
				out.data[ch] = float32(best)
			}
		}
		if l.cfg.KeepDims {
			out.shape = []int{1, 1, c}
		}
		return out, nil
	case "Flatten":
		return &tensor{shape: []int{len(in.data)}, data: in.data}, nil
	case "Reshape":
		target := slices.Clone(l.cfg.TargetShape)
		if i := slices.Index(target, -1); i >= 0 {
			target[i] = 1
			target[i] = len(in.data) / prod(target)
		}
		return &tensor{shape: target, data: in.data}, nil
	case "Dense":
		k, err := l.weight("kernel", 2)
		if err != nil {
			return nil, err
		}
		n, units := k.shape[0], k.shape[1]
		acc := make([]float64, units)
		if bt, ok := l.weights["bias"]; ok && (l.cfg.UseBias == nil || *l.cfg.UseBias) {
			for j := range units {
				acc[j] = float64(bt.data[j])
			}
		}
		for i := range n {
			v := float64(in.data[i])
			for j := range units {
				acc[j] += v * float64(k.data[i*units+j])
			}
		}
		out := &tensor{shape: []int{units}, data: make([]float32, units)}
		for j, v := range acc {
			out.data[j] = float32(v)
		}
		return refActivation(l.cfg.Activation, out)
	}
	return nil, fmt.Errorf("layer class %q is not supported", l.class)
}

func refConv(l *layer, in *tensor) (*tensor, error) {
	depthwise := l.class == "DepthwiseConv2D"
	kname := "kernel"
	if depthwise {
		kname = "depthwise_kernel"
	}
	k, err := l.weight(kname, 4)
	if err != nil {
		return nil, err
	}
	kh, kw, cin, kout := k.shape[0], k.shape[1], k.shape[2], k.shape[3]
	cout := kout
	if depthwise {
		cout = cin * kout
	}
	strides, err := pair(l.cfg.Strides, 1)
	if err != nil {
		return nil, err
	}
	dil, err := pair(l.cfg.DilationRate, 1)
	if err != nil {
		return nil, err
	}
	mode, err := paddingMode(l.cfg.Padding)
	if err != nil {
		return nil, err
	}
	h, w := in.shape[0], in.shape[1]
	oh, ow, pads, err := convGeometry(mode, h, w, [2]int{kh, kw}, strides, dil)
	if err != nil {
		return nil, err
	}
	acc := make([]float64, oh*ow*cout)
	if bt, ok := l.weights["bias"]; ok && (l.cfg.UseBias == nil || *l.cfg.UseBias) {
		for p := range oh * ow {
			for co := range cout {
				acc[p*cout+co] = float64(bt.data[co])
			}
		}
	}
	for oy := range oh {
		for ox := range ow {
			dst := acc[(oy*ow+ox)*cout : (oy*ow+ox+1)*cout]
			for ky := range kh {
				y := oy*strides[0] + ky*dil[0] - pads[0]
				if y < 0 || y >= h {
					continue
				}
				for kx := range kw {
					x := ox*strides[1] + kx*dil[1] - pads[1]
					if x < 0 || x >= w {
						continue
					}
					src := in.data[(y*w+x)*cin : (y*w+x+1)*cin]
					kern := k.data[(ky*kw+kx)*cin*kout:]
					for ci, v := range src {
						v := float64(v)
						row := kern[ci*kout : (ci+1)*kout]
						if depthwise {
							for m, kv := range row {
								dst[ci*kout+m] += v * float64(kv)
							}
						} else {
							for co, kv := range row {
								dst[co] += v * float64(kv)
							}
						}
					}
				}
			}
		}
	}
	out := &tensor{shape: []int{oh, ow, cout}, data: make([]float32, len(acc))}
	for i, v := range acc {
		out.data[i] = float32(v)
	}
	return refActivation(l.cfg.Activation, out)
}

func refPool(l *layer, in *tensor) (*tensor, error) {
	k, err := pair(l.cfg.PoolSize, 2)
	if err != nil {
		return nil, err
	}
	s, err := pair(l.cfg.Strides, 0)
	if err != nil {
		return nil, err
	}
	if s[0] == 0 {
		s = k
	}
	mode, err := paddingMode(l.cfg.Padding)
	if err != nil {
		return nil, err
	}
	h, w, c := in.shape[0], in.shape[1], in.shape[2]
	oh, ow, pads, err := convGeometry(mode, h, w, k, s, [2]int{1, 1})
	if err != nil {
		return nil, err
	}
	out := &tensor{shape: []int{oh, ow, c}, data: make([]float32, oh*ow*c)}
	for oy := range oh {
		for ox := range ow {
			for ch := range c {
				acc, best, n := 0.0, math.Inf(-1), 0
				for ky := range k[0] {
					for kx := range k[1] {
						y, x := oy*s[0]+ky-pads[0], ox*s[1]+kx-pads[1]
						if y < 0 || y >= h || x < 0 || x >= w {
							continue // TensorFlow leaves padding out of both
						}
						v := float64(in.data[(y*w+x)*c+ch])
						acc += v
						best = max(best, v)
						n++
					}
				}
				if l.class == "AveragePooling2D" {
					out.data[(oy*ow+ox)*c+ch] = float32(acc / float64(n))
				} else {
					out.data[(oy*ow+ox)*c+ch] = float32(best)
				}
			}
		}
	}
	return out, nil
}

// refActivation applies a Keras activation along the last (channel) axis.
func refActivation(act string, in *tensor) (*tensor, error) {
	out := &tensor{shape: slices.Clone(in.shape), data: make([]float32, len(in.data))}
	var hi float64
	switch act {
	case "", "linear":
		copy(out.data, in.data)
	case "relu":
		for i, v := range in.data {
			out.data[i] = max(v, 0)
		}
	case "sigmoid":
		for i, v := range in.data {
			out.data[i] = float32(1 / (1 + math.Exp(-float64(v))))
		}
	case "tanh":
		for i, v := range in.data {
			out.data[i] = float32(math.Tanh(float64(v)))
		}
	case "softmax":
		c := in.shape[len(in.shape)-1]
		for r := 0; r < len(in.data); r += c {
			row := in.data[r : r+c]
			m := float64(slices.Max(row))
			sum := 0.0
			for _, v := range row {
				sum += math.Exp(float64(v) - m)
			}
			for j, v := range row {
				out.data[r+j] = float32(math.Exp(float64(v)-m) / sum)
			}
		}
	case "relu6":
		hi = 6
		fallthrough
	default:
		if hi == 0 {
			if _, err := fmt.Sscanf(act, "clip:%g", &hi); err != nil {
				return nil, fmt.Errorf("activation %q is not supported", act)
			}
		}
		for i, v := range in.data {
			out.data[i] = float32(math.Min(math.Max(float64(v), 0), hi))
		}
	}
	return out, nil
}
