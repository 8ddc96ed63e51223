// Package nsfw classifies images as drawings, hentai, neutral photos, porn
// or sexy photos with nsfwjs's MobileNetV2 (MIT licence, npm package
// nsfwjs): Convert translates the Keras model that nsfwjs ships into ONNX,
// and Model runs it with ONNX Runtime behind the same preprocessing as
// nsfwjs, so that its probabilities match nsfwjs on TensorFlow.js's CPU
// backend (TestParityWithNsfwjs holds it to 0.01).
//
// The converted model is data, not code: scripts/nsfw-model.sh (or
// cmd/import-nsfwjs) writes model.onnx and its Spec, model.json, under
// .deps/models/nsfw; Open verifies the checksum and runs a self-check.
package nsfw

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/haechi-tns/haechi/classifiers/onnxpb"
	"github.com/haechi-tns/haechi/classifiers/onnxrt"
	"github.com/haechi-tns/haechi/engine"
)

// ConverterVersion changes whenever Convert's output for the same input
// would change, so that an existing conversion is redone.
const ConverterVersion = "1"

// Labels are nsfwjs's classes in output order (dist/esm/nsfw_classes.js).
var Labels = []string{"Drawing", "Hentai", "Neutral", "Porn", "Sexy"}

// Indices of the classes in Probs.
const (
	Drawing = iota
	Hentai
	Neutral
	Porn
	Sexy
	NumClasses
)

// Probs are one image's class probabilities, indexed by Drawing … Sexy;
// they sum to 1.
type Probs [NumClasses]float32

// DefaultCategories maps Haechi's moderation categories to the nsfwjs
// classes whose probabilities add up to them.
func DefaultCategories() map[string][]string {
	return map[string][]string{
		"nudity":     {"Porn", "Hentai"},
		"suggestive": {"Sexy"},
	}
}

// Input says what the model's input is and how images become it.
type Input struct {
	Name    string `json:"name"`    // InputName
	Layout  string `json:"layout"`  // "NCHW"
	Size    int    `json:"size"`    // images are resized to Size×Size
	Channel string `json:"channel"` // "RGB"
	// Divisor: the input is the 8-bit pixel value divided by it.
	Divisor float64 `json:"divisor"`
	// Resize names the resampling; Preprocess implements ResizeTFJS only.
	Resize string `json:"resize"`
}

// ResizeTFJS is tf.image.resizeBilinear with alignCorners=true and
// halfPixelCenters=false, applied after the division, as nsfwjs does.
const ResizeTFJS = "tfjs_resize_bilinear_align_corners"

// DefaultInput is the preprocessing nsfwjs applies, for a size×size model.
func DefaultInput(size int) Input {
	return Input{Name: InputName, Layout: "NCHW", Size: size, Channel: "RGB", Divisor: 255, Resize: ResizeTFJS}
}

// Source identifies what a model was converted from.
type Source struct {
	Package   string `json:"package"`             // "nsfwjs"
	Version   string `json:"version"`             // "4.4.0"
	Integrity string `json:"integrity,omitempty"` // npm's sha512 integrity of the tarball
	Model     string `json:"model"`               // "mobilenet_v2"
	// SHA256 is SourceHash of the bundle files converted.
	SHA256 string `json:"sha256"`
}

// SourceHash identifies the input of a conversion: the SHA-256 over the
// SHA-256s of the model bundle and each weight bundle, lowercase hex.
func SourceHash(modelJS []byte, shardsJS ...[]byte) string {
	h := sha256.New()
	for _, b := range append([][]byte{modelJS}, shardsJS...) {
		s := sha256.Sum256(b)
		h.Write(s[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Spec is the manifest stored as JSON next to a converted model.
type Spec struct {
	Name      string `json:"name"`
	Converter string `json:"converter"` // ConverterVersion that wrote it
	File      string `json:"file"`      // the ONNX file, relative to the manifest
	SHA256    string `json:"sha256"`    // of File, lowercase hex
	Source    Source `json:"source"`
	Input     Input  `json:"input"`
	Output    string `json:"output"` // OutputName
	// Labels are the output columns in order.
	Labels []string `json:"labels"`
	// Categories maps a moderation category to the labels summed for it.
	Categories map[string][]string `json:"categories"`
	SelfCheck  SelfCheck           `json:"self_check"`
}

// SelfCheck is the probabilities the Go reference evaluation of the Keras
// model gives for the synthetic images SelfCheckImages draws. Open fails
// unless ONNX Runtime, behind Preprocess, reproduces them within Tolerance.
type SelfCheck struct {
	Images    []string    `json:"images"` // names understood by SelfCheckImage
	Expected  [][]float32 `json:"expected"`
	Tolerance float64     `json:"tolerance"`
}

// SelfCheckImage draws one of the deterministic self-check images.
func SelfCheckImage(name string) (image.Image, error) {
	switch name {
	case "gradient-300x200":
		img := image.NewNRGBA(image.Rect(0, 0, 300, 200))
		for y := range 200 {
			for x := range 300 {
				img.SetNRGBA(x, y, color.NRGBA{uint8(x * 255 / 299), uint8(y * 255 / 199), uint8((x + y) % 256), 255})
			}
		}
		return img, nil
	case "rings-224":
		img := image.NewNRGBA(image.Rect(0, 0, 224, 224))
		for y := range 224 {
			for x := range 224 {
				d := math.Hypot(float64(x-112), float64(y-90))
				v := uint8(127.5 + 127.5*math.Sin(d/6))
				img.SetNRGBA(x, y, color.NRGBA{v, 255 - v, uint8(x), 255})
			}
		}
		return img, nil
	}
	return nil, fmt.Errorf("unknown self-check image %q", name)
}

var selfCheckImages = []string{"gradient-300x200", "rings-224"}

func newSelfCheck(km *kerasModel, in Input) (SelfCheck, error) {
	sc := SelfCheck{Images: slices.Clone(selfCheckImages), Tolerance: 1e-4}
	size := in.Size
	x := make([]float32, 3*size*size)
	for _, name := range sc.Images {
		img, err := SelfCheckImage(name)
		if err != nil {
			return SelfCheck{}, err
		}
		if err := PreprocessRGB(ToRGB(img), size, x); err != nil {
			return SelfCheck{}, err
		}
		out, err := km.forward(nchwToHWC(x, size))
		if err != nil {
			return SelfCheck{}, fmt.Errorf("self-check %s: %w", name, err)
		}
		sc.Expected = append(sc.Expected, out.data)
	}
	return sc, nil
}

func nchwToHWC(x []float32, size int) *tensor {
	plane := size * size
	t := &tensor{shape: []int{size, size, 3}, data: make([]float32, 3*plane)}
	for p := range plane {
		for c := range 3 {
			t.data[3*p+c] = x[c*plane+p]
		}
	}
	return t
}

// Validate checks the Spec on its own, without reading the model file.
func (s *Spec) Validate() error {
	switch {
	case s.Name == "" || s.Converter == "":
		return errors.New("name and converter are required")
	case s.File == "" || filepath.IsAbs(s.File) || filepath.Clean(s.File) != s.File || s.File == ".." || len(s.File) > 2 && s.File[:3] == "../":
		return fmt.Errorf("file %q: want a path inside the manifest's directory", s.File)
	case !onnxrt.IsSHA256Hex(s.SHA256):
		return fmt.Errorf("sha256 %q: want 64 lowercase hex digits", s.SHA256)
	case s.Input != DefaultInput(s.Input.Size) || s.Input.Size < 2:
		return fmt.Errorf("input %+v: this package implements only %+v", s.Input, DefaultInput(224))
	case s.Output != OutputName:
		return fmt.Errorf("output %q: want %q", s.Output, OutputName)
	case !slices.Equal(s.Labels, Labels):
		return fmt.Errorf("labels %q: want %q", s.Labels, Labels)
	}
	for cat, labels := range s.Categories {
		for _, l := range labels {
			if !slices.Contains(s.Labels, l) {
				return fmt.Errorf("category %s: unknown label %q", cat, l)
			}
		}
	}
	sc := s.SelfCheck
	if len(sc.Images) == 0 || len(sc.Expected) != len(sc.Images) || !(sc.Tolerance > 0 && sc.Tolerance < 1) {
		return fmt.Errorf("self_check: want images, as many expected rows and a tolerance in (0, 1); have %d, %d, %v",
			len(sc.Images), len(sc.Expected), sc.Tolerance)
	}
	for i, row := range sc.Expected {
		if len(row) != len(s.Labels) {
			return fmt.Errorf("self_check: row %d has %d values for %d labels", i, len(row), len(s.Labels))
		}
	}
	return nil
}

// LoadSpec reads and validates a manifest. It does not open the model.
func LoadSpec(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("nsfw: manifest: %w", err)
	}
	var s Spec
	if err := engine.DecodeJSON(data, &s); err != nil {
		return nil, fmt.Errorf("nsfw: manifest %s: %w", path, err)
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("nsfw: manifest %s: %w", path, err)
	}
	return &s, nil
}

// Manifest and model file names that WriteModel uses in its directory.
const (
	ManifestFile = "model.json"
	ModelFile    = "model.onnx"
)

// WriteModel writes model to dir/model.onnx and spec, with File and SHA256
// filled in, to dir/model.json, and returns the manifest's path. Each file
// is written to a temporary name and renamed, the manifest last, so a
// reader never sees a manifest for a half-written model. The encoding is
// deterministic: the same input gives the same bytes.
func WriteModel(dir string, model *onnxpb.ModelProto, spec *Spec) (string, error) {
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(model)
	if err != nil {
		return "", fmt.Errorf("nsfw: write model: %w", err)
	}
	sum := sha256.Sum256(data)
	s := *spec
	s.File, s.SHA256 = ModelFile, hex.EncodeToString(sum[:])
	s.Categories = maps.Clone(spec.Categories)
	if err := s.Validate(); err != nil {
		return "", fmt.Errorf("nsfw: write model: %w", err)
	}
	js, err := json.MarshalIndent(&s, "", "  ")
	if err != nil {
		return "", fmt.Errorf("nsfw: write model: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("nsfw: write model: %w", err)
	}
	manifest := filepath.Join(dir, ManifestFile)
	if err := writeAtomic(filepath.Join(dir, ModelFile), data); err != nil {
		return "", fmt.Errorf("nsfw: write model: %w", err)
	}
	if err := writeAtomic(manifest, append(js, '\n')); err != nil {
		return "", fmt.Errorf("nsfw: write model: %w", err)
	}
	return manifest, nil
}

func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
