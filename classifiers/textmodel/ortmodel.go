package textmodel

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/haechi-tns/haechi/classifiers/onnxrt"
)

// Manifest describes one exported model: which file holds it, its checksum,
// its heads and per-language thresholds, the featurizer settings it was
// trained with, and a self-check that ORTModel runs when it opens the file.
// It is stored as JSON next to the model file.
type Manifest struct {
	Name    string   `json:"name"`
	Version string   `json:"version"`
	File    string   `json:"file"`   // the ONNX file, relative to the manifest's directory
	SHA256  string   `json:"sha256"` // of File, lowercase hex
	Inputs  []string `json:"inputs"` // always [ids, weights]
	Outputs []string `json:"outputs"`
	Heads   []string `json:"heads"` // in output column order
	// Thresholds maps head → language → decision threshold.
	Thresholds map[string]map[string]float64 `json:"thresholds,omitempty"`
	// Features holds the featurizer settings; opaque here.
	Features  json.RawMessage `json:"features,omitempty"`
	SelfCheck SelfCheck       `json:"self_check"`
}

// SelfCheck is a few inputs with the probabilities the Go reference
// (MLP.Forward) gives for them. ORTModel.Open fails unless ONNX Runtime
// reproduces them within Tolerance.
type SelfCheck struct {
	IDs       [][]int64   `json:"ids"`
	Weights   [][]float32 `json:"weights"`
	Expected  [][]float32 `json:"expected"`
	Tolerance float64     `json:"tolerance"`
}

// NewSelfCheck computes a self-check for m from example feature bags.
func NewSelfCheck(m *MLP, ids [][]int32, weights [][]float32, tolerance float64) (SelfCheck, error) {
	if err := m.Validate(); err != nil {
		return SelfCheck{}, err
	}
	if len(ids) == 0 || len(ids) != len(weights) {
		return SelfCheck{}, fmt.Errorf("textmodel: self-check: %d id rows and %d weight rows", len(ids), len(weights))
	}
	sc := SelfCheck{Tolerance: tolerance}
	for i := range ids {
		if err := checkRow(ids[i], weights[i], m.Buckets); err != nil {
			return SelfCheck{}, fmt.Errorf("textmodel: self-check: row %d: %w", i, err)
		}
		row := make([]int64, len(ids[i]))
		for j, id := range ids[i] {
			row[j] = int64(id)
		}
		sc.IDs = append(sc.IDs, row)
		sc.Weights = append(sc.Weights, slices.Clone(weights[i]))
		sc.Expected = append(sc.Expected, m.Forward(ids[i], weights[i]))
	}
	return sc, nil
}

// LoadManifest reads and validates a manifest. It does not open the model.
func LoadManifest(path string) (*Manifest, error) {
	var m Manifest
	if err := onnxrt.ReadManifest(path, &m); err != nil {
		return nil, fmt.Errorf("textmodel: %w", err)
	}
	return &m, nil
}

// WriteFile validates m and writes it as indented JSON to path.
func (m *Manifest) WriteFile(path string) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("textmodel: manifest: %w", err)
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("textmodel: manifest: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("textmodel: manifest: %w", err)
	}
	return nil
}

// Validate checks the manifest on its own, without reading the model file.
func (m *Manifest) Validate() error {
	switch {
	case m.Name == "" || m.Version == "":
		return errors.New("name and version are required")
	case m.File == "" || filepath.IsAbs(m.File):
		return fmt.Errorf("file %q: want a path relative to the manifest", m.File)
	case !onnxrt.IsSHA256Hex(m.SHA256):
		return fmt.Errorf("sha256 %q: want 64 lowercase hex digits", m.SHA256)
	case !slices.Equal(m.Inputs, []string{InputIDs, InputWeights}):
		return fmt.Errorf("inputs %q: want [%q %q]", m.Inputs, InputIDs, InputWeights)
	case !slices.Equal(m.Outputs, []string{OutputProbs}):
		return fmt.Errorf("outputs %q: want [%q]", m.Outputs, OutputProbs)
	case len(m.Heads) == 0:
		return errors.New("no heads")
	}
	for i, h := range m.Heads {
		if h == "" || slices.Index(m.Heads, h) != i {
			return fmt.Errorf("heads %q: names must be non-empty and distinct", m.Heads)
		}
	}
	for head, byLang := range m.Thresholds {
		if !slices.Contains(m.Heads, head) {
			return fmt.Errorf("thresholds for unknown head %q", head)
		}
		for lang, t := range byLang {
			if !(t >= 0 && t <= 1) {
				return fmt.Errorf("threshold %s/%s = %v: want a value in [0, 1]", head, lang, t)
			}
		}
	}
	sc := m.SelfCheck
	if len(sc.IDs) == 0 || len(sc.Weights) != len(sc.IDs) || len(sc.Expected) != len(sc.IDs) {
		return fmt.Errorf("self_check: want one or more rows of ids, weights and expected, have %d, %d and %d",
			len(sc.IDs), len(sc.Weights), len(sc.Expected))
	}
	if !(sc.Tolerance > 0 && sc.Tolerance < 1) {
		return fmt.Errorf("self_check: tolerance %v: want a value in (0, 1)", sc.Tolerance)
	}
	for i := range sc.IDs {
		if len(sc.Weights[i]) != len(sc.IDs[i]) || len(sc.Expected[i]) != len(m.Heads) {
			return fmt.Errorf("self_check: row %d: %d ids, %d weights, %d expected for %d heads",
				i, len(sc.IDs[i]), len(sc.Weights[i]), len(sc.Expected[i]), len(m.Heads))
		}
	}
	return nil
}

// ORTModel serves an exported model with ONNX Runtime. One ONNX Runtime
// session is shared by all goroutines: Predict is safe for concurrent use,
// and each call runs on the calling goroutine with the session's threads
// (one by default), so throughput comes from calling it from several
// goroutines.
type ORTModel struct {
	manifest *Manifest
	buckets  int // ids must be in [0, buckets)
	heads    int

	session *onnxrt.Session

	bufs sync.Pool // *predictBuf
}

// predictBuf is the padded input and the output of one Predict call, reused
// across calls. ONNX Runtime reads and writes these Go slices directly.
type predictBuf struct {
	ids     []int64
	weights []float32
	probs   []float32
}

// ErrClosed is returned by Predict after Close.
var ErrClosed = onnxrt.ErrClosed

// Open loads the model a manifest describes, with one thread per call.
// See OpenConfig.
func Open(manifestPath string) (*ORTModel, error) {
	return OpenConfig(manifestPath, onnxrt.SessionConfig{})
}

// OpenConfig loads the model a manifest describes: it checks the file's
// SHA-256 against the manifest, checks that the file is a textmodel export
// with the manifest's heads, creates the ONNX Runtime session and runs the
// manifest's self-check. Any failure is returned here, so that a bad model
// stops start-up rather than a request. onnxrt.Init must have succeeded.
// The caller closes the model.
func OpenConfig(manifestPath string, cfg onnxrt.SessionConfig) (*ORTModel, error) {
	man, err := LoadManifest(manifestPath)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*ORTModel, error) {
		return nil, fmt.Errorf("textmodel: open %s: %w", manifestPath, err)
	}
	modelPath := filepath.Join(filepath.Dir(manifestPath), man.File)
	data, err := onnxrt.ReadVerified(modelPath, man.SHA256)
	if err != nil {
		return fail(err)
	}
	// The graph and shapes are checked, the weights not copied out; the
	// session below is made from the same verified bytes.
	mlp, _, err := decodeONNX(data, false)
	if err != nil {
		return fail(fmt.Errorf("%s: %w", modelPath, err))
	}
	if !slices.Equal(mlp.Heads, man.Heads) {
		return fail(fmt.Errorf("%s has heads %q, the manifest says %q", modelPath, mlp.Heads, man.Heads))
	}
	session, err := onnxrt.NewSession(data, man.Inputs, man.Outputs, cfg)
	if err != nil {
		return fail(err)
	}
	m := &ORTModel{manifest: man, buckets: mlp.Buckets, heads: len(mlp.Heads), session: session}
	m.bufs.New = func() any { return new(predictBuf) }
	if err := m.selfCheck(); err != nil {
		m.Close()
		return fail(err)
	}
	return m, nil
}

func (m *ORTModel) selfCheck() error {
	sc := m.manifest.SelfCheck
	ids := make([][]int32, len(sc.IDs))
	for i, row := range sc.IDs {
		ids[i] = make([]int32, len(row))
		for j, id := range row {
			if id < 0 || id >= int64(m.buckets) {
				return fmt.Errorf("self-check: row %d: id %d outside [0, %d)", i, id, m.buckets)
			}
			ids[i][j] = int32(id)
		}
	}
	got, err := m.Predict(ids, sc.Weights)
	if err != nil {
		return fmt.Errorf("self-check: %w", err)
	}
	return onnxrt.CompareOutputs(got, sc.Expected, m.manifest.Heads, sc.Tolerance)
}

// Manifest returns the manifest the model was opened with. Callers must not
// modify it.
func (m *ORTModel) Manifest() *Manifest { return m.manifest }

// Predict returns the head probabilities for a batch of feature bags: row i
// of the result is for ids[i] and weights[i], with one column per head in
// Manifest().Heads order. ids and weights have the same shape (rows may
// differ in length, and may be empty); ids are in [0, buckets). The batch is
// padded to its longest row with id 0 and weight 0, which adds nothing to a
// bag. Safe for concurrent use.
func (m *ORTModel) Predict(ids [][]int32, weights [][]float32) ([][]float32, error) {
	n := len(ids)
	if n != len(weights) {
		return nil, fmt.Errorf("textmodel: predict: %d id rows but %d weight rows", n, len(weights))
	}
	if n == 0 {
		return [][]float32{}, nil
	}
	width := 1 // an all-empty batch still needs a column: one padding entry
	for i := range ids {
		if err := checkRow(ids[i], weights[i], m.buckets); err != nil {
			return nil, fmt.Errorf("textmodel: predict: row %d: %w", i, err)
		}
		width = max(width, len(ids[i]))
	}

	b := m.bufs.Get().(*predictBuf)
	defer m.bufs.Put(b)
	b.ids = grow(b.ids, n*width)
	b.weights = grow(b.weights, n*width)
	b.probs = grow(b.probs, n*m.heads)
	for i := range ids {
		idRow := b.ids[i*width : (i+1)*width]
		wRow := b.weights[i*width : (i+1)*width]
		for j, id := range ids[i] {
			idRow[j] = int64(id)
		}
		clear(idRow[len(ids[i]):])
		copy(wRow, weights[i])
		clear(wRow[len(weights[i]):])
	}

	if err := m.run(b, int64(n), int64(width)); err != nil {
		return nil, fmt.Errorf("textmodel: predict: %w", err)
	}
	flat := slices.Clone(b.probs)
	out := make([][]float32, n)
	for i := range out {
		out[i] = flat[i*m.heads : (i+1)*m.heads : (i+1)*m.heads]
	}
	return out, nil
}

// run executes the session on the first n×width entries of b's inputs,
// writing n×heads probabilities into b.probs.
func (m *ORTModel) run(b *predictBuf, n, width int64) error {
	inShape := ort.Shape{n, width}
	idsT, err := ort.NewTensor(inShape, b.ids)
	if err != nil {
		return err
	}
	defer idsT.Destroy()
	weightsT, err := ort.NewTensor(inShape, b.weights)
	if err != nil {
		return err
	}
	defer weightsT.Destroy()
	probsT, err := ort.NewTensor(ort.Shape{n, int64(m.heads)}, b.probs)
	if err != nil {
		return err
	}
	defer probsT.Destroy()
	return m.session.Run([]ort.Value{idsT, weightsT}, []ort.Value{probsT})
}

// Close releases the ONNX Runtime session. It waits for Predict calls in
// progress; later calls get ErrClosed. Closing twice is harmless.
func (m *ORTModel) Close() error {
	if err := m.session.Close(); err != nil {
		return fmt.Errorf("textmodel: close: %w", err)
	}
	return nil
}

func checkRow(ids []int32, weights []float32, buckets int) error {
	if len(ids) != len(weights) {
		return fmt.Errorf("%d ids but %d weights", len(ids), len(weights))
	}
	for _, id := range ids {
		if id < 0 || int(id) >= buckets {
			return fmt.Errorf("id %d outside [0, %d)", id, buckets)
		}
	}
	return nil
}

// grow returns s resliced to length n, reallocating only when it is short.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, n+n/4)
	}
	return s[:n]
}
