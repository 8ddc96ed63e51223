// Package imagemodel runs image classifiers that operators register: any
// ONNX model that takes a square RGB image and gives one score per label,
// described by a manifest (input size and normalisation, labels, and which
// labels make up which moderation category). Haechi's own NSFW model has
// its own package (nsfw) because it must reproduce nsfwjs exactly.
package imagemodel

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/haechi-tns/haechi/classifiers/onnxrt"
	"github.com/haechi-tns/haechi/engine"
)

// Manifest describes a registered model. It is stored as JSON next to the
// model file.
type Manifest struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	File    string `json:"file"`   // the ONNX file, relative to the manifest
	SHA256  string `json:"sha256"` // of File, lowercase hex
	Input   Input  `json:"input"`
	Output  Output `json:"output"`
	// Labels are the output columns in order.
	Labels []string `json:"labels"`
	// Categories maps a moderation category (nudity, suggestive, …) to
	// the labels whose scores add up to it, capped at 1.
	Categories map[string][]string `json:"categories"`
}

// Input says how an image becomes the model's input: resized (bilinear,
// half-pixel centres) to Size×Size, each channel computed as
// (pixel/Scale − Mean[c]) / Std[c], laid out NCHW as [1, 3, Size, Size].
type Input struct {
	Name  string     `json:"name"`
	Size  int        `json:"size"`
	Scale float64    `json:"scale"`
	Mean  [3]float64 `json:"mean"`
	Std   [3]float64 `json:"std"`
}

// Output names the output tensor, [N, len(Labels)], and the activation
// that turns it into scores in [0,1]: "none" (already probabilities),
// "softmax" or "sigmoid".
type Output struct {
	Name       string `json:"name"`
	Activation string `json:"activation"`
}

// LoadManifest reads and validates a manifest.
func LoadManifest(path string) (*Manifest, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("imagemodel: %w", err)
	}
	var m Manifest
	if err := engine.DecodeJSON(b, &m); err != nil {
		return nil, fmt.Errorf("imagemodel: %s: %w", path, err)
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("imagemodel: %s: %w", path, err)
	}
	return &m, nil
}

// Validate checks a manifest's fields; every message names the field.
func (m *Manifest) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if m.Name == "" || filepath.Base(m.Name) != m.Name {
		bad("name", "required, a plain name")
	}
	if m.File == "" || filepath.IsAbs(m.File) {
		bad("file", "required, relative to the manifest")
	}
	if !onnxrt.IsSHA256Hex(m.SHA256) {
		bad("sha256", "want 64 lowercase hex digits")
	}
	if m.Input.Name == "" {
		bad("input.name", "required")
	}
	if m.Input.Size < 8 || m.Input.Size > 2048 {
		bad("input.size", "want 8 to 2048, got %d", m.Input.Size)
	}
	if !(m.Input.Scale > 0) {
		bad("input.scale", "must be positive (255 for [0,1] inputs)")
	}
	for c, s := range m.Input.Std {
		if !(s > 0) {
			bad("input.std", "channel %d must be positive", c)
		}
	}
	if m.Output.Name == "" {
		bad("output.name", "required")
	}
	switch m.Output.Activation {
	case "none", "softmax", "sigmoid":
	default:
		bad("output.activation", "want none, softmax or sigmoid, got %q", m.Output.Activation)
	}
	if len(m.Labels) == 0 {
		bad("labels", "required")
	}
	if len(m.Categories) == 0 {
		bad("categories", "required: which labels make up which category")
	}
	for cat, labels := range m.Categories {
		if !engine.Category(cat).Valid() {
			bad("categories."+cat, "not a category of the taxonomy")
		}
		for _, l := range labels {
			if !slices.Contains(m.Labels, l) {
				bad("categories."+cat, "label %q is not in labels", l)
			}
		}
	}
	return errors.Join(errs...)
}

// Model is an opened, checked model. Safe for concurrent use.
type Model struct {
	man     *Manifest
	session *onnxrt.Session
}

// Open loads the model a manifest describes: it checks the file's SHA-256,
// creates the ONNX Runtime session and scores a grey image to check that
// the output has one column per label. onnxrt.Init must have succeeded.
func Open(manifestPath string) (*Model, error) {
	man, err := LoadManifest(manifestPath)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Model, error) {
		return nil, fmt.Errorf("imagemodel: open %s: %w", manifestPath, err)
	}
	data, err := onnxrt.ReadVerified(filepath.Join(filepath.Dir(manifestPath), man.File), man.SHA256)
	if err != nil {
		return fail(err)
	}
	session, err := onnxrt.NewSession(data, []string{man.Input.Name}, []string{man.Output.Name}, onnxrt.SessionConfig{})
	if err != nil {
		return fail(err)
	}
	m := &Model{man: man, session: session}
	grey := image.NewGray(image.Rect(0, 0, 16, 16))
	for i := range grey.Pix {
		grey.Pix[i] = 128
	}
	if _, err := m.Scores(grey); err != nil {
		m.Close()
		return fail(fmt.Errorf("check run: %w", err))
	}
	return m, nil
}

// Manifest returns the model's manifest.
func (m *Model) Manifest() *Manifest { return m.man }

// Scores returns the label scores of one image, after the activation.
func (m *Model) Scores(img image.Image) ([]float32, error) {
	size := m.man.Input.Size
	input := make([]float32, 3*size*size)
	m.preprocess(img, input)
	in, err := ort.NewTensor(ort.NewShape(1, 3, int64(size), int64(size)), input)
	if err != nil {
		return nil, err
	}
	defer in.Destroy()
	out := []ort.Value{nil}
	if err := m.session.Run([]ort.Value{in}, out); err != nil {
		return nil, fmt.Errorf("imagemodel: run: %w", err)
	}
	defer out[0].Destroy()
	t, ok := out[0].(*ort.Tensor[float32])
	if !ok {
		return nil, fmt.Errorf("imagemodel: output %s is not float32", m.man.Output.Name)
	}
	if shape := t.GetShape(); len(shape) != 2 || shape[0] != 1 || shape[1] != int64(len(m.man.Labels)) {
		return nil, fmt.Errorf("imagemodel: output shape %v, want [1 %d]", shape, len(m.man.Labels))
	}
	scores := append([]float32(nil), t.GetData()...)
	activate(m.man.Output.Activation, scores)
	return scores, nil
}

// CategoryScores returns the moderation categories' scores for one image.
func (m *Model) CategoryScores(img image.Image) (map[string]float32, error) {
	scores, err := m.Scores(img)
	if err != nil {
		return nil, err
	}
	out := engine.SumLabels(m.man.Categories, m.man.Labels, scores)
	for cat, v := range out {
		out[cat] = min(v, 1) // sigmoid outputs can sum past 1
	}
	return out, nil
}

// Close releases the session; later calls fail with onnxrt.ErrClosed.
func (m *Model) Close() error { return m.session.Close() }

func activate(kind string, v []float32) {
	switch kind {
	case "sigmoid":
		for i, x := range v {
			v[i] = float32(1 / (1 + math.Exp(-float64(x))))
		}
	case "softmax":
		hi := v[0]
		for _, x := range v {
			hi = max(hi, x)
		}
		var sum float64
		for i, x := range v {
			e := math.Exp(float64(x - hi))
			v[i] = float32(e)
			sum += e
		}
		for i := range v {
			v[i] = float32(float64(v[i]) / sum)
		}
	}
}

// preprocess resizes img bilinearly (half-pixel centres) to the input size
// and normalises it into dst, NCHW.
func (m *Model) preprocess(img image.Image, dst []float32) {
	in := m.man.Input
	size := in.Size
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	plane := size * size
	px := func(x, y int) (float64, float64, float64) {
		c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
		return float64(c.R), float64(c.G), float64(c.B)
	}
	for oy := range size {
		sy := (float64(oy)+0.5)*float64(h)/float64(size) - 0.5
		y0 := int(math.Floor(sy))
		fy := sy - float64(y0)
		y0c, y1c := clamp(y0, h), clamp(y0+1, h)
		for ox := range size {
			sx := (float64(ox)+0.5)*float64(w)/float64(size) - 0.5
			x0 := int(math.Floor(sx))
			fx := sx - float64(x0)
			x0c, x1c := clamp(x0, w), clamp(x0+1, w)
			r00, g00, b00 := px(x0c, y0c)
			r01, g01, b01 := px(x1c, y0c)
			r10, g10, b10 := px(x0c, y1c)
			r11, g11, b11 := px(x1c, y1c)
			lerp := func(a, b, c, d float64) float64 {
				top := a + (b-a)*fx
				bot := c + (d-c)*fx
				return top + (bot-top)*fy
			}
			vals := [3]float64{lerp(r00, r01, r10, r11), lerp(g00, g01, g10, g11), lerp(b00, b01, b10, b11)}
			for c, v := range vals {
				dst[c*plane+oy*size+ox] = float32((v/in.Scale - in.Mean[c]) / in.Std[c])
			}
		}
	}
}

func clamp(v, n int) int { return max(0, min(v, n-1)) }
