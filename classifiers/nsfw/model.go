package nsfw

import (
	"fmt"
	"image"
	"math"
	"path/filepath"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
	"google.golang.org/protobuf/proto"

	"github.com/haechi-tns/haechi/classifiers/onnxpb"
	"github.com/haechi-tns/haechi/classifiers/onnxrt"
	"github.com/haechi-tns/haechi/engine"
)

// Model serves a converted nsfwjs model with ONNX Runtime. One session is
// shared by all goroutines: Classify and ClassifyBatch are safe for
// concurrent use; each call runs on the calling goroutine with the
// session's threads (one by default), so throughput comes from calling from
// several goroutines.
type Model struct {
	spec *Spec
	size int

	session *onnxrt.Session
}

// ErrClosed is returned after Close.
var ErrClosed = onnxrt.ErrClosed

// Open loads the model a manifest describes, with one thread per call. See
// OpenConfig.
func Open(manifestPath string) (*Model, error) {
	return OpenConfig(manifestPath, onnxrt.SessionConfig{})
}

// OpenConfig loads the model a manifest describes: it checks the file's
// SHA-256 against the manifest and the graph's input and output against
// the Spec, creates the ONNX Runtime session and runs the self-check, so
// that a bad model stops start-up rather than a request. onnxrt.Init must
// have succeeded. The caller closes the model.
func OpenConfig(manifestPath string, cfg onnxrt.SessionConfig) (*Model, error) {
	spec, err := LoadSpec(manifestPath)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Model, error) {
		return nil, fmt.Errorf("nsfw: open %s: %w", manifestPath, err)
	}
	modelPath := filepath.Join(filepath.Dir(manifestPath), spec.File)
	data, err := onnxrt.ReadVerified(modelPath, spec.SHA256)
	if err != nil {
		return fail(err)
	}
	if err := checkGraph(data, spec); err != nil {
		return fail(fmt.Errorf("%s: %w", modelPath, err))
	}
	session, err := onnxrt.NewSession(data, []string{InputName}, []string{OutputName}, cfg)
	if err != nil {
		return fail(err)
	}
	m := &Model{spec: spec, size: spec.Input.Size, session: session}
	if err := m.selfCheck(); err != nil {
		m.Close()
		return fail(err)
	}
	return m, nil
}

// checkGraph checks that the ONNX file has the input and output the Spec
// promises, before ONNX Runtime sees it.
func checkGraph(data []byte, spec *Spec) error {
	var model onnxpb.ModelProto
	if err := proto.Unmarshal(data, &model); err != nil {
		return fmt.Errorf("not an ONNX model: %w", err)
	}
	g := model.GetGraph()
	dims := func(vi []*onnxpb.ValueInfoProto) (string, []int64) {
		if len(vi) != 1 {
			return "", nil
		}
		var ds []int64
		for _, d := range vi[0].GetType().GetTensorType().GetShape().GetDim() {
			ds = append(ds, d.GetDimValue()) // 0 for the symbolic batch
		}
		return vi[0].GetName(), ds
	}
	n := int64(spec.Input.Size)
	if name, ds := dims(g.GetInput()); name != InputName || len(ds) != 4 || ds[1] != 3 || ds[2] != n || ds[3] != n {
		return fmt.Errorf("graph input %q %v: want %q [batch, 3, %d, %d]", name, ds, InputName, n, n)
	}
	if name, ds := dims(g.GetOutput()); name != OutputName || len(ds) != 2 || ds[1] != int64(len(spec.Labels)) {
		return fmt.Errorf("graph output %q %v: want %q [batch, %d]", name, ds, OutputName, len(spec.Labels))
	}
	return nil
}

func (m *Model) selfCheck() error {
	sc := m.spec.SelfCheck
	imgs := make([]image.Image, len(sc.Images))
	for i, name := range sc.Images {
		img, err := SelfCheckImage(name)
		if err != nil {
			return fmt.Errorf("self-check: %w", err)
		}
		imgs[i] = img
	}
	got, err := m.ClassifyBatch(imgs)
	if err != nil {
		return fmt.Errorf("self-check: %w", err)
	}
	worst, wi, wc := 0.0, 0, 0
	for i := range got {
		for c := range got[i] {
			d := math.Abs(float64(got[i][c]) - float64(sc.Expected[i][c]))
			if d > worst || math.IsNaN(d) {
				worst, wi, wc = d, i, c
			}
		}
	}
	if !(worst <= sc.Tolerance) {
		return fmt.Errorf("self-check failed: max difference %.3g (image %s, class %s: got %v, want %v) exceeds tolerance %.3g",
			worst, sc.Images[wi], Labels[wc], got[wi][wc], sc.Expected[wi][wc], sc.Tolerance)
	}
	return nil
}

// Spec returns the manifest the model was opened with. Callers must not
// modify it.
func (m *Model) Spec() *Spec { return m.spec }

// Classify returns img's class probabilities. See ClassifyBatch.
func (m *Model) Classify(img image.Image) (Probs, error) {
	out, err := m.ClassifyBatch([]image.Image{img})
	if err != nil {
		return Probs{}, err
	}
	return out[0], nil
}

// ClassifyBatch returns the class probabilities of each image, preprocessed
// as nsfwjs does (see PreprocessRGB), in one ONNX Runtime call. Safe for
// concurrent use.
func (m *Model) ClassifyBatch(imgs []image.Image) ([]Probs, error) {
	per := 3 * m.size * m.size
	buf := getInput(len(imgs) * per)
	defer putInput(buf)
	input := *buf
	for i, img := range imgs {
		if img == nil || img.Bounds().Empty() {
			return nil, fmt.Errorf("nsfw: classify: image %d is empty", i)
		}
		if err := preprocess(img, m.size, input[i*per:(i+1)*per]); err != nil {
			return nil, fmt.Errorf("nsfw: classify: image %d: %w", i, err)
		}
	}
	return m.classifyInput(input, len(imgs))
}

// inputs recycles model inputs (600 kB a 224×224 image). ONNX Runtime
// reads an input only during the run that is given it, so a buffer is
// free again when classifyInput returns; every element is written before
// the run.
var inputs sync.Pool

func getInput(n int) *[]float32 {
	if p, ok := inputs.Get().(*[]float32); ok && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	b := make([]float32, n)
	return &b
}

func putInput(p *[]float32) {
	// Batches of a few images at most are kept.
	if cap(*p) <= 8*3*224*224 {
		inputs.Put(p)
	}
}

// ClassifyRGB is ClassifyBatch for images already converted with ToRGB.
func (m *Model) ClassifyRGB(imgs []*RGB) ([]Probs, error) {
	per := 3 * m.size * m.size
	input := make([]float32, len(imgs)*per)
	for i, img := range imgs {
		if err := PreprocessRGB(img, m.size, input[i*per:(i+1)*per]); err != nil {
			return nil, fmt.Errorf("nsfw: classify: image %d: %w", i, err)
		}
	}
	return m.classifyInput(input, len(imgs))
}

// classifyInput runs the model on n preprocessed images.
func (m *Model) classifyInput(input []float32, n int) ([]Probs, error) {
	if n == 0 {
		return []Probs{}, nil
	}
	out := make([]Probs, n)
	flat := make([]float32, n*NumClasses)
	if err := m.run(input, flat, int64(n)); err != nil {
		return nil, fmt.Errorf("nsfw: classify: %w", err)
	}
	for i := range out {
		copy(out[i][:], flat[i*NumClasses:])
	}
	return out, nil
}

func (m *Model) run(input, probs []float32, n int64) error {
	s := int64(m.size)
	in, err := ort.NewTensor(ort.Shape{n, 3, s, s}, input)
	if err != nil {
		return err
	}
	defer in.Destroy()
	out, err := ort.NewTensor(ort.Shape{n, NumClasses}, probs)
	if err != nil {
		return err
	}
	defer out.Destroy()
	return m.session.Run([]ort.Value{in}, []ort.Value{out})
}

// Categories sums p into the Spec's moderation categories (nudity = Porn +
// Hentai, suggestive = Sexy by default).
func (m *Model) Categories(p Probs) map[string]float32 {
	return engine.SumLabels(m.spec.Categories, m.spec.Labels, p[:])
}

// CategoryScores classifies one image and sums its classes into the
// moderation categories (see Categories).
func (m *Model) CategoryScores(img image.Image) (map[string]float32, error) {
	p, err := m.Classify(img)
	if err != nil {
		return nil, err
	}
	return m.Categories(p), nil
}

// Close releases the ONNX Runtime session. It waits for calls in progress;
// later calls get ErrClosed. Closing twice is harmless.
func (m *Model) Close() error {
	if err := m.session.Close(); err != nil {
		return fmt.Errorf("nsfw: close: %w", err)
	}
	return nil
}
