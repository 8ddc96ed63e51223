package textcnn

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/haechi-tns/haechi/classifiers/onnxrt"
	"github.com/haechi-tns/haechi/classifiers/textnorm"
)

// Architecture names this package's models in their manifests.
const Architecture = "letter-cnn"

// Input and output names of the exported graph.
const (
	InputUnits  = "units" // int64 [batch, length, UnitWidth]
	OutputProbs = "probs" // float32 [batch, heads]
)

// Manifest describes one exported model. It is stored as manifest.json next
// to the model file.
type Manifest struct {
	Name         string `json:"name"`
	Version      string `json:"version"`
	Architecture string `json:"architecture"`
	// Encoding is the version of Encode the model was trained on.
	Encoding int      `json:"encoding"`
	File     string   `json:"file"`
	SHA256   string   `json:"sha256"`
	Inputs   []string `json:"inputs"`
	Outputs  []string `json:"outputs"`
	Heads    []string `json:"heads"`
	// Thresholds maps head → language → decision threshold.
	Thresholds map[string]map[string]float64 `json:"thresholds,omitempty"`
	// Letters is the vocabulary, in id order from FirstLetterID.
	Letters string `json:"letters"`
	// MaxUnits bounds how much of a long message the model reads.
	MaxUnits int `json:"max_units"`
	// Blend, when set, says the thresholds hold for this model's
	// probabilities blended with another model's; see Blend.
	Blend     *Blend    `json:"blend,omitempty"`
	SelfCheck SelfCheck `json:"self_check"`
}

// SelfCheck is a few texts with the probabilities the trainer's own forward
// pass gave for them. Open fails unless the whole serving path (normalise,
// encode, ONNX Runtime) reproduces them within Tolerance.
type SelfCheck struct {
	Texts     []string    `json:"texts"`
	Expected  [][]float32 `json:"expected"`
	Tolerance float64     `json:"tolerance"`
}

// LoadManifest reads and validates a manifest without opening the model.
func LoadManifest(path string) (*Manifest, error) {
	var m Manifest
	if err := onnxrt.ReadManifest(path, &m); err != nil {
		return nil, fmt.Errorf("textcnn: %w", err)
	}
	return &m, nil
}

// WriteFile validates m and writes it to path.
func (m *Manifest) WriteFile(path string) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("textcnn: manifest: %w", err)
	}
	return writeJSON(path, m)
}

// Validate checks the manifest on its own.
func (m *Manifest) Validate() error {
	switch {
	case m.Name == "" || m.Version == "":
		return errors.New("name and version are required")
	case m.Architecture != Architecture:
		return fmt.Errorf("architecture %q: want %q", m.Architecture, Architecture)
	case m.Encoding != Encoding:
		return fmt.Errorf("encoding %d: this build encodes text as %d; retrain the model", m.Encoding, Encoding)
	case m.File == "" || filepath.IsAbs(m.File):
		return fmt.Errorf("file %q: want a path relative to the manifest", m.File)
	case !onnxrt.IsSHA256Hex(m.SHA256):
		return fmt.Errorf("sha256 %q: want 64 lowercase hex digits", m.SHA256)
	case !slices.Equal(m.Inputs, []string{InputUnits}):
		return fmt.Errorf("inputs %q: want [%q]", m.Inputs, InputUnits)
	case !slices.Equal(m.Outputs, []string{OutputProbs}):
		return fmt.Errorf("outputs %q: want [%q]", m.Outputs, OutputProbs)
	case len(m.Heads) == 0:
		return errors.New("no heads")
	case m.MaxUnits < 1 || m.MaxUnits > 1<<14:
		return fmt.Errorf("max_units %d: want 1..16384", m.MaxUnits)
	case len(m.SelfCheck.Texts) == 0 || len(m.SelfCheck.Texts) != len(m.SelfCheck.Expected):
		return errors.New("self_check: want as many expected rows as texts, at least one")
	case !(m.SelfCheck.Tolerance > 0 && m.SelfCheck.Tolerance < 0.01):
		return fmt.Errorf("self_check tolerance %v: want (0, 0.01)", m.SelfCheck.Tolerance)
	}
	for i, h := range m.Heads {
		if h == "" || slices.Index(m.Heads, h) != i {
			return fmt.Errorf("heads %q: want distinct names", m.Heads)
		}
	}
	for i, row := range m.SelfCheck.Expected {
		if len(row) != len(m.Heads) {
			return fmt.Errorf("self_check row %d has %d values for %d heads", i, len(row), len(m.Heads))
		}
	}
	for h, byLang := range m.Thresholds {
		if !slices.Contains(m.Heads, h) {
			return fmt.Errorf("threshold for unknown head %q", h)
		}
		for l, v := range byLang {
			if !(v >= 0 && v <= 1) {
				return fmt.Errorf("threshold %s/%s = %v: want [0, 1]", h, l, v)
			}
		}
	}
	if m.Blend != nil {
		if err := m.Blend.Validate(); err != nil {
			return err
		}
		if !onnxrt.IsSHA256Hex(m.Blend.SHA256) {
			return fmt.Errorf("blend: sha256 %q: want 64 lowercase hex digits", m.Blend.SHA256)
		}
	}
	if _, err := NewVocab([]rune(m.Letters)); err != nil {
		return err
	}
	return nil
}

// Model serves an exported model with ONNX Runtime. Predict is safe for
// concurrent use; each call runs on the calling goroutine with the
// session's threads.
type Model struct {
	manifest *Manifest
	vocab    *Vocab
	heads    int
	// session runs batches of texts of mixed lengths: the exported graph
	// with its convolutions in two-dimensional form (paddedGraph).
	session *onnxrt.Session
	// unpadded runs batches whose texts are all of one length: the same
	// weights without the padding mask (leanGraph).
	unpadded *onnxrt.Session
	bufs     sync.Pool // *predictBuf
}

type predictBuf struct {
	rows  [][]int64
	order []int
	units []int64
	probs []float32
	text  textnorm.Text
}

// ErrClosed is returned by Predict after Close.
var ErrClosed = onnxrt.ErrClosed

// Open loads the model a manifest describes: it checks the file's SHA-256,
// creates the session and runs the self-check, so a bad model stops
// start-up rather than a request. onnxrt.Init must have succeeded.
func Open(manifestPath string, cfg onnxrt.SessionConfig) (*Model, error) {
	man, err := LoadManifest(manifestPath)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Model, error) {
		return nil, fmt.Errorf("textcnn: open %s: %w", manifestPath, err)
	}
	data, err := onnxrt.ReadVerified(filepath.Join(filepath.Dir(manifestPath), man.File), man.SHA256)
	if err != nil {
		return fail(err)
	}
	vocab, err := NewVocab([]rune(man.Letters))
	if err != nil {
		return fail(err)
	}
	lean, err := leanGraph(data)
	if err != nil {
		return fail(err)
	}
	padded, err := paddedGraph(data)
	if err != nil {
		return fail(err)
	}
	session, err := onnxrt.NewSession(padded, man.Inputs, man.Outputs, cfg)
	if err != nil {
		return fail(err)
	}
	unpadded, err := onnxrt.NewSession(lean, man.Inputs, man.Outputs, cfg)
	if err != nil {
		session.Close()
		return fail(err)
	}
	m := &Model{manifest: man, vocab: vocab, heads: len(man.Heads), session: session, unpadded: unpadded}
	m.bufs.New = func() any { return new(predictBuf) }
	if err := m.selfCheck(); err != nil {
		m.Close()
		return fail(err)
	}
	return m, nil
}

// selfCheck runs the self-check texts as one batch, padded, through the
// padded graph, and one at a time through the unpadded one.
func (m *Model) selfCheck() error {
	sc := m.manifest.SelfCheck
	got, err := m.PredictStrings(sc.Texts)
	if err != nil {
		return fmt.Errorf("self-check: %w", err)
	}
	if err := onnxrt.CompareOutputs(got, sc.Expected, m.manifest.Heads, sc.Tolerance); err != nil {
		return err
	}
	alone := make([][]float32, len(sc.Texts))
	for i, t := range sc.Texts {
		p, err := m.PredictStrings([]string{t})
		if err != nil {
			return fmt.Errorf("self-check: %w", err)
		}
		alone[i] = p[0]
	}
	if err := onnxrt.CompareOutputs(alone, sc.Expected, m.manifest.Heads, sc.Tolerance); err != nil {
		return fmt.Errorf("unpadded graph: %w", err)
	}
	return nil
}

// Manifest returns the manifest the model was opened with; callers must
// not modify it.
func (m *Model) Manifest() *Manifest { return m.manifest }

// Vocab returns the model's vocabulary.
func (m *Model) Vocab() *Vocab { return m.vocab }

// PredictStrings normalises and scores texts; see Predict.
func (m *Model) PredictStrings(texts []string) ([][]float32, error) {
	ts := make([]*textnorm.Text, len(texts))
	for i, s := range texts {
		ts[i] = textnorm.Normalize(s)
	}
	return m.Predict(ts)
}

// Predict returns the head probabilities for normalised texts, one row per
// text with one column per head in Manifest().Heads order. A text with no
// letters gets zeros without running the model: there is nothing to judge.
func (m *Model) Predict(texts []*textnorm.Text) ([][]float32, error) {
	b := m.bufs.Get().(*predictBuf)
	defer m.bufs.Put(b)
	b.rows = b.rows[:0]
	width := 0
	for _, t := range texts {
		row := m.vocab.Encode(t, m.manifest.MaxUnits, nil)
		b.rows = append(b.rows, row)
		width = max(width, len(row)/UnitWidth)
	}
	return m.run(b, width)
}

// PredictUnits scores texts already encoded with Vocab().Encode.
func (m *Model) PredictUnits(rows [][]int64) ([][]float32, error) {
	b := m.bufs.Get().(*predictBuf)
	defer m.bufs.Put(b)
	width := 0
	for i, r := range rows {
		if len(r)%UnitWidth != 0 || len(r)/UnitWidth > m.manifest.MaxUnits {
			return nil, fmt.Errorf("textcnn: predict: row %d has %d ids", i, len(r))
		}
		width = max(width, len(r)/UnitWidth)
	}
	b.rows = append(b.rows[:0], rows...)
	return m.run(b, width)
}

// chunk is how many texts of similar length run together: a batch is
// padded to its longest text, so one long message would otherwise make
// every short one in its batch as costly as itself.
const chunk = 16

func (m *Model) run(b *predictBuf, width int) ([][]float32, error) {
	n := len(b.rows)
	out := make([][]float32, n)
	flat := make([]float32, n*m.heads)
	for i := range out {
		out[i] = flat[i*m.heads : (i+1)*m.heads : (i+1)*m.heads]
	}
	if width == 0 {
		return out, nil
	}
	// Only texts with letters go to the model, shortest first, in chunks.
	b.order = b.order[:0]
	for i, r := range b.rows {
		if len(r) > 0 {
			b.order = append(b.order, i)
		}
	}
	slices.SortStableFunc(b.order, func(x, y int) int { return len(b.rows[x]) - len(b.rows[y]) })
	for s := 0; s < len(b.order); s += chunk {
		idx := b.order[s:min(s+chunk, len(b.order))]
		if err := m.runChunk(b, idx, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// runChunk runs the texts b.rows[idx...], sorted by length, as one batch
// padded to the last (longest), writing their probabilities into out.
func (m *Model) runChunk(b *predictBuf, idx []int, out [][]float32) error {
	live := len(idx)
	width := len(b.rows[idx[live-1]]) / UnitWidth
	b.units = grow(b.units, live*width*UnitWidth)
	for j, i := range idx {
		dst := b.units[j*width*UnitWidth : (j+1)*width*UnitWidth]
		copy(dst, b.rows[i])
		clear(dst[len(b.rows[i]):])
	}
	b.probs = grow(b.probs, live*m.heads)
	in, err := ort.NewTensor(ort.Shape{int64(live), int64(width), UnitWidth}, b.units[:live*width*UnitWidth])
	if err != nil {
		return fmt.Errorf("textcnn: predict: %w", err)
	}
	defer in.Destroy()
	probs, err := ort.NewTensor(ort.Shape{int64(live), int64(m.heads)}, b.probs[:live*m.heads])
	if err != nil {
		return fmt.Errorf("textcnn: predict: %w", err)
	}
	defer probs.Destroy()
	session := m.session
	if len(b.rows[idx[0]]) == len(b.rows[idx[live-1]]) {
		session = m.unpadded
	}
	if err := session.Run([]ort.Value{in}, []ort.Value{probs}); err != nil {
		return fmt.Errorf("textcnn: predict: %w", err)
	}
	for j, i := range idx {
		copy(out[i], b.probs[j*m.heads:(j+1)*m.heads])
	}
	return nil
}

// Close releases the sessions.
func (m *Model) Close() error { return errors.Join(m.session.Close(), m.unpadded.Close()) }

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
