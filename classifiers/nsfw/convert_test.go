package nsfw

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/haechi-tns/haechi/internal/racetest"
)

// Tiny Keras models in nsfwjs's bundle format, with random uint8-quantised
// weights, exercise each layer kind; the ONNX graph run by ONNX Runtime must
// agree with the Go reference evaluation of the Keras layers.

type testLayer struct {
	name, class string
	cfg         map[string]any
	inputs      []string
	weights     []testWeight
}

type testWeight struct {
	name  string
	shape []int
	lo    float64 // values are uniform in [lo, lo+span]
	span  float64
}

// bundle writes the layers as a browserify model bundle and a weights
// bundle, like nsfwjs's model.min.js and group1-shard1of1.min.js.
func bundle(t testing.TB, layers []testLayer, size int, seed uint64) (modelJS, weightsJS []byte) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	var kl []map[string]any
	var specs []map[string]any
	var data []byte
	for _, l := range layers {
		cfg := map[string]any{"name": l.name}
		for k, v := range l.cfg {
			cfg[k] = v
		}
		var inbound []any
		if len(l.inputs) > 0 {
			var node []any
			for _, in := range l.inputs {
				node = append(node, []any{in, 0, 0, map[string]any{}})
			}
			inbound = []any{node}
		} else {
			inbound = []any{}
		}
		kl = append(kl, map[string]any{"name": l.name, "class_name": l.class, "config": cfg, "inbound_nodes": inbound})
		for _, w := range l.weights {
			n := 1
			for _, d := range w.shape {
				n *= d
			}
			scale := w.span / 255
			specs = append(specs, map[string]any{"name": l.name + "/" + w.name, "shape": w.shape, "dtype": "float32",
				"quantization": map[string]any{"dtype": "uint8", "min": w.lo, "scale": scale}})
			for range n {
				data = append(data, byte(rng.IntN(256)))
			}
		}
	}
	model := map[string]any{
		"modelTopology": map[string]any{"keras_version": "2.2.4", "backend": "tensorflow", "model_config": map[string]any{
			"class_name": "Model",
			"config": map[string]any{"name": "m", "layers": kl,
				"input_layers":  []any{[]any{layers[0].name, 0, 0}},
				"output_layers": []any{[]any{layers[len(layers)-1].name, 0, 0}}},
		}},
		"weightsManifest": []any{map[string]any{"paths": []string{"group1-shard1of1"}, "weights": specs}},
	}
	js, err := json.Marshal(model)
	if err != nil {
		t.Fatal(err)
	}
	// Minify like the real bundle: !0/!1 for booleans.
	obj := strings.NewReplacer("true", "!0", "false", "!1").Replace(string(js))
	const head = `!function(e){if("object"==typeof exports&&"undefined"!=typeof module)module.exports=e();else{("undefined"!=typeof window?window:this).model=e()}}(function(){return function e(a,n,i){return a}({1:[function(e,a,n){a.exports=`
	const tail = `},{}]},{},[1])(1)});`
	return []byte(head + obj + tail), []byte(head + `"` + base64.StdEncoding.EncodeToString(data) + `"` + tail)
}

func conv(name, in string, filters, k, stride int, padding, act string, bias bool, cin int) testLayer {
	l := testLayer{name: name, class: "Conv2D", inputs: []string{in}, cfg: map[string]any{
		"filters": filters, "kernel_size": []int{k, k}, "strides": []int{stride, stride}, "padding": padding,
		"data_format": "channels_last", "dilation_rate": []int{1, 1}, "activation": act, "use_bias": bias}}
	l.weights = []testWeight{{"kernel", []int{k, k, cin, filters}, -0.5, 1}}
	if bias {
		l.weights = append(l.weights, testWeight{"bias", []int{filters}, -0.2, 0.4})
	}
	return l
}

func depthwise(name, in string, k, stride, mult int, padding string, c int) testLayer {
	return testLayer{name: name, class: "DepthwiseConv2D", inputs: []string{in}, cfg: map[string]any{
		"kernel_size": []int{k, k}, "strides": []int{stride, stride}, "padding": padding, "depth_multiplier": mult,
		"data_format": "channels_last", "dilation_rate": []int{1, 1}, "activation": "linear", "use_bias": false},
		weights: []testWeight{{"depthwise_kernel", []int{k, k, c, mult}, -0.6, 1.2}}}
}

func bn(name, in string, c int) testLayer {
	return testLayer{name: name, class: "BatchNormalization", inputs: []string{in}, cfg: map[string]any{
		"axis": -1, "epsilon": 0.001, "center": true, "scale": true},
		weights: []testWeight{{"gamma", []int{c}, 0.5, 1}, {"beta", []int{c}, -0.3, 0.6},
			{"moving_mean", []int{c}, -0.2, 0.4}, {"moving_variance", []int{c}, 0.1, 1}}}
}

func relu6(name, in string) testLayer {
	return testLayer{name: name, class: "ReLU", inputs: []string{in}, cfg: map[string]any{"max_value": 6, "negative_slope": 0, "threshold": 0}}
}

func dense(name, in string, nin, units int, act string) testLayer {
	return testLayer{name: name, class: "Dense", inputs: []string{in}, cfg: map[string]any{"units": units, "activation": act, "use_bias": true},
		weights: []testWeight{{"kernel", []int{nin, units}, -0.3, 0.6}, {"bias", []int{units}, -0.1, 0.2}}}
}

func input(size int) testLayer {
	return testLayer{name: "input_1", class: "InputLayer", cfg: map[string]any{"batch_input_shape": []any{nil, size, size, 3}, "dtype": "float32"}}
}

// testModels are small graphs covering each supported layer kind: odd sizes
// make "same" padding with stride 2 asymmetric.
func testModels() map[string]struct {
	size   int
	layers []testLayer
} {
	return map[string]struct {
		size   int
		layers []testLayer
	}{
		"mobilenet_block": {17, []testLayer{
			input(17),
			{name: "pad", class: "ZeroPadding2D", inputs: []string{"input_1"}, cfg: map[string]any{"padding": []any{[]int{0, 1}, []int{0, 1}}}},
			conv("conv1", "pad", 8, 3, 2, "valid", "linear", false, 3),
			bn("conv1_bn", "conv1", 8),
			relu6("conv1_relu", "conv1_bn"),
			depthwise("dw", "conv1_relu", 3, 1, 1, "same", 8),
			bn("dw_bn", "dw", 8),
			relu6("dw_relu", "dw_bn"),
			conv("project", "dw_relu", 8, 1, 1, "same", "linear", false, 8),
			bn("project_bn", "project", 8),
			{name: "add", class: "Add", inputs: []string{"conv1_relu", "project_bn"}},
			{name: "pool", class: "AveragePooling2D", inputs: []string{"add"}, cfg: map[string]any{"pool_size": []int{3, 3}, "strides": []int{3, 3}, "padding": "valid"}},
			{name: "flat", class: "Flatten", inputs: []string{"pool"}},
			dense("d1", "flat", 2*2*8, 16, "relu"), // 17 → pad 18 → conv 8 → pool 2
			{name: "drop", class: "Dropout", inputs: []string{"d1"}, cfg: map[string]any{"rate": 0.5}},
			dense("d2", "drop", 16, 5, "softmax"),
		}},
		"same_stride2_unfolded_bn": {15, []testLayer{
			input(15),
			conv("c1", "input_1", 6, 3, 2, "same", "relu", true, 3),
			bn("c1_bn", "c1", 6), // after an activation: cannot fold
			depthwise("dw", "c1_bn", 3, 2, 2, "same", 6),
			{name: "dw_relu", class: "ReLU", inputs: []string{"dw"}, cfg: map[string]any{"max_value": nil}},
			{name: "mp", class: "MaxPooling2D", inputs: []string{"dw_relu"}, cfg: map[string]any{"pool_size": []int{2, 2}, "strides": []int{2, 2}, "padding": "same"}},
			{name: "ap", class: "AveragePooling2D", inputs: []string{"mp"}, cfg: map[string]any{"pool_size": []int{3, 3}, "strides": []int{1, 1}, "padding": "same"}},
			{name: "gap", class: "GlobalAveragePooling2D", inputs: []string{"ap"}, cfg: map[string]any{}},
			bn("gap_bn", "gap", 12),
			dense("out", "gap_bn", 12, 5, "linear"),
			{name: "softmax", class: "Softmax", inputs: []string{"out"}, cfg: map[string]any{"axis": -1}},
		}},
	}
}

func TestConvertMatchesReference(t *testing.T) {
	initORT(t)
	for name, tm := range testModels() {
		t.Run(name, func(t *testing.T) {
			modelJS, weightsJS := bundle(t, tm.layers, tm.size, 7)
			model, spec, err := Convert(modelJS, weightsJS)
			if err != nil {
				t.Fatal(err)
			}
			manifest, err := WriteModel(t.TempDir(), model, spec)
			if err != nil {
				t.Fatal(err)
			}
			m, err := Open(manifest) // runs the self-check: ORT vs reference
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()

			km, err := parseBundles(modelJS, [][]byte{weightsJS})
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(3, 4))
			var imgs []*RGB
			for _, wh := range [][2]int{{tm.size, tm.size}, {40, 23}, {5, 9}} {
				img := &RGB{Width: wh[0], Height: wh[1], Pix: make([]uint8, 3*wh[0]*wh[1])}
				for i := range img.Pix {
					img.Pix[i] = uint8(rng.IntN(256))
				}
				imgs = append(imgs, img)
			}
			got, err := m.ClassifyRGB(imgs)
			if err != nil {
				t.Fatal(err)
			}
			x := make([]float32, 3*tm.size*tm.size)
			for i, img := range imgs {
				if err := PreprocessRGB(img, tm.size, x); err != nil {
					t.Fatal(err)
				}
				want, err := km.forward(nchwToHWC(x, tm.size))
				if err != nil {
					t.Fatal(err)
				}
				for c := range NumClasses {
					if d := math.Abs(float64(got[i][c] - want.data[c])); d > 1e-5 {
						t.Errorf("image %d class %s: onnx %v, reference %v", i, Labels[c], got[i][c], want.data[c])
					}
				}
			}
		})
	}
}

func TestConvertErrors(t *testing.T) {
	good := testModels()["mobilenet_block"]
	modelJS, weightsJS := bundle(t, good.layers, good.size, 1)
	weird := append([]testLayer{}, good.layers...)
	weird[5] = testLayer{name: "dw", class: "LocallyConnected2D", inputs: []string{"conv1_relu"}}
	weirdJS, weirdW := bundle(t, weird, good.size, 1)
	fourOut := append([]testLayer{}, good.layers[:len(good.layers)-1]...)
	fourOut = append(fourOut, dense("d2", "drop", 16, 4, "softmax"))
	fourJS, fourW := bundle(t, fourOut, good.size, 1)

	tests := []struct {
		name     string
		model    []byte
		shards   [][]byte
		contains string
	}{
		{"not a bundle", []byte(`{"modelTopology":{}}`), [][]byte{weightsJS}, "no `.exports={...` assignment"},
		{"weights as model", weightsJS, [][]byte{weightsJS}, "no `.exports={...` assignment"},
		{"model as weights", modelJS, [][]byte{modelJS}, "no `.exports=\"...` assignment"},
		{"truncated model", modelJS[:len(modelJS)/2], [][]byte{weightsJS}, "javascript literal"},
		{"no shard", modelJS, nil, "names 1 shard files"},
		{"short weights", modelJS, [][]byte{truncateShard(t, weightsJS, 10)}, "the shards hold"},
		{"weights not base64", modelJS, [][]byte{[]byte(`a.exports="@@@@"}`)}, "not base64"},
		{"unsupported layer", weirdJS, [][]byte{weirdW}, `layer class "LocallyConnected2D" is not supported`},
		{"four classes", fourJS, [][]byte{fourW}, "want [5]"},
		{"code instead of literal", []byte(`x.exports={a:alert(1)}`), [][]byte{weightsJS}, "unsupported token"},
		{"trailing code", []byte(`x.exports={a:1};evil()}`), [][]byte{weightsJS}, "after the exported literal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Convert(tt.model, tt.shards...)
			if err == nil {
				t.Fatal("Convert succeeded")
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("error %q does not contain %q", err, tt.contains)
			}
		})
	}
}

func TestJSLiteral(t *testing.T) {
	tests := []struct {
		src  string
		want string // JSON
	}{
		{`{a:!0,b:!1,c:null,d:void 0}`, `{"a":true,"b":false,"c":null,"d":null}`},
		{`{x:.5,y:-0,z:-.25,e:1e-3,f:2E+2,g:-3.5e-7}`, `{"e":0.001,"f":200,"g":-3.5e-7,"x":0.5,"y":-0,"z":-0.25}`},
		{`{"quoted":'single',$k:"a\"b\\c\u00e9\x41",0:[1,[2,{}],[]]}`, `{"$k":"a\"b\\céA","0":[1,[2,{}],[]],"quoted":"single"}`},
		{` { a : [ 1 , 2 ] } `, `{"a":[1,2]}`},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			v, err := extractExport([]byte("m.exports="+strings.TrimSpace(tt.src)+"}"), "object")
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(v)
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
	for _, bad := range []string{`{a:}`, `{a:1,a:2}`, `{a:1`, `{a:"x`, `{a:Infinity}`, `{a:0x10}`, `{a:[1,]]}`, `{a:b}`} {
		if _, err := extractExport([]byte("m.exports="+bad+"}"), "object"); err == nil {
			t.Errorf("%s: parsed", bad)
		}
	}
}

// TestNsfwjsConversion converts the real pinned nsfwjs model and opens it
// (checksum, graph, self-check against the Go reference).
func TestNsfwjsConversion(t *testing.T) {
	racetest.Heavy(t)
	initORT(t)
	_, manifest := nsfwjsModel(t)
	spec, err := LoadSpec(manifest)
	if err != nil {
		t.Fatal(err)
	}
	if spec.Input.Size != 224 || spec.Source.Version != PinnedVersion {
		t.Errorf("spec input %+v source %+v", spec.Input, spec.Source)
	}
	m, err := Open(manifest)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	// A tampered model file is refused.
	dir := t.TempDir()
	data, _ := os.ReadFile(filepath.Join(filepath.Dir(manifest), ModelFile))
	data[len(data)-1] ^= 1
	os.WriteFile(filepath.Join(dir, ModelFile), data, 0o644)
	js, _ := os.ReadFile(manifest)
	os.WriteFile(filepath.Join(dir, ManifestFile), js, 0o644)
	if _, err := Open(filepath.Join(dir, ManifestFile)); err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Errorf("tampered model: %v", err)
	}
}

// TestClassifyConcurrent shares one Model between goroutines (run with -race).
func TestClassifyConcurrent(t *testing.T) {
	initORT(t)
	_, manifest := nsfwjsModel(t)
	m, err := Open(manifest)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	imgs := []image.Image{testImage("gradient", 320, 240), testImage("blobs", 200, 260), testImage("cartoon", 224, 224)}
	want, err := m.ClassifyBatch(imgs)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 4 {
		wg.Go(func() {
			for i := range 2 {
				k := (g + i) % len(imgs)
				p, err := m.Classify(imgs[k])
				if err != nil {
					errs <- err
					return
				}
				for c := range p {
					if math.Abs(float64(p[c]-want[k][c])) > 1e-5 {
						errs <- fmt.Errorf("image %d alone %v, in a batch %v", k, p, want[k])
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	cats := m.Categories(want[0])
	if got := cats["nudity"]; got != want[0][Porn]+want[0][Hentai] {
		t.Errorf("nudity %v", got)
	}
	m.Close()
	if _, err := m.Classify(imgs[0]); err == nil {
		t.Error("Classify after Close succeeded")
	}
}

// testImage draws synthetic, non-explicit test pictures.
func testImage(kind string, w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(uint64(w), uint64(h)))
	switch kind {
	case "gradient":
		for y := range h {
			for x := range w {
				img.SetNRGBA(x, y, color.NRGBA{uint8(255 * x / max(w-1, 1)), uint8(255 * y / max(h-1, 1)), 128, 255})
			}
		}
	case "blobs": // soft skin-tone ellipses on a pale background
		type blob struct{ cx, cy, rx, ry float64 }
		var blobs []blob
		for range 5 {
			blobs = append(blobs, blob{rng.Float64() * float64(w), rng.Float64() * float64(h), 20 + rng.Float64()*60, 20 + rng.Float64()*80})
		}
		for y := range h {
			for x := range w {
				a := 0.0
				for _, b := range blobs {
					dx, dy := (float64(x)-b.cx)/b.rx, (float64(y)-b.cy)/b.ry
					a = math.Max(a, math.Exp(-(dx*dx + dy*dy)))
				}
				mix := func(bg, fg float64) uint8 { return uint8(bg*(1-a) + fg*a) }
				img.SetNRGBA(x, y, color.NRGBA{mix(235, 224), mix(235, 172), mix(240, 140), 255})
			}
		}
	case "cartoon": // flat colours with black outlines
		for y := range h {
			for x := range w {
				c := color.NRGBA{135, 206, 235, 255}
				if y > h*2/3 {
					c = color.NRGBA{90, 200, 90, 255}
				}
				dx, dy := float64(x-w/2), float64(y-h/2)
				if r := math.Hypot(dx, dy); r < float64(h)/4 {
					c = color.NRGBA{255, 220, 0, 255}
				} else if r < float64(h)/4+3 {
					c = color.NRGBA{0, 0, 0, 255}
				}
				img.SetNRGBA(x, y, c)
			}
		}
	case "noise":
		for i := range img.Pix {
			img.Pix[i] = uint8(rng.IntN(256))
		}
	}
	return img
}

// truncateShard drops the last n weight bytes from a weights bundle.
func truncateShard(t *testing.T, js []byte, n int) []byte {
	t.Helper()
	v, err := extractExport(js, "string")
	if err != nil {
		t.Fatal(err)
	}
	data, err := base64.StdEncoding.DecodeString(v.(string))
	if err != nil {
		t.Fatal(err)
	}
	short := base64.StdEncoding.EncodeToString(data[:len(data)-n])
	return []byte(strings.Replace(string(js), v.(string), short, 1))
}
