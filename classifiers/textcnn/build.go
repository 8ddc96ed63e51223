package textcnn

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"

	"time"

	"github.com/haechi-tns/haechi/classifiers/onnxrt"
	"github.com/haechi-tns/haechi/classifiers/textmodel"
	"github.com/haechi-tns/haechi/classifiers/textnorm"
)

// BuildConfig says how to encode the data, train, tune and export a model.
type BuildConfig struct {
	Name    string
	Version string
	// TrainUnits is how much of each text training reads; MaxUnits how
	// much the served model reads.
	TrainUnits int
	MaxUnits   int
	// Letters seen fewer than VocabMinCount times in the pretraining text
	// get their script's id; at most VocabMax letters are kept.
	VocabMinCount int
	VocabMax      int
	Seed          int64
	// Python runs Script, the PyTorch trainer, with TrainerArgs added.
	Python      string
	Script      string
	TrainerArgs []string
	// Thresholds: see textmodel.BuildConfig.
	TargetPrecision float64
	MinPositives    int
	// HeadPrecision gives some heads a precision target of their own.
	HeadPrecision map[string]float64
	// Companion, when set, is the model the new one is blended with by
	// BlendWeight: thresholds and the reported figures are for the blend,
	// which the manifest records (Manifest.Blend).
	Companion   *Companion `json:"-"`
	BlendWeight float64
	// SkipTrainer reuses the model.onnx in the output folder and the
	// trainer's self-check and report in the work folder from an earlier
	// run, to tune and measure again without training.
	SkipTrainer bool
}

// DefaultBuild is how the committed model is built.
var DefaultBuild = BuildConfig{
	Name: "haechi-text-cnn", Version: "3",
	TrainUnits: 160, MaxUnits: 1024,
	VocabMinCount: 3, VocabMax: 6000, Seed: 20261206,
	Python: "/usr/bin/python3", Script: "scripts/train_text_cnn.py",
	TargetPrecision: 0.7, MinPositives: 20,
	// The spam head learnt from text messages only, where "call" and
	// "claim" are spam words; a citizen asking the legal desk to call back
	// is not spam. Its operating point is chosen for fewer false alarms.
	HeadPrecision: map[string]float64{"spam": 0.9},
}

// Companion is a model a new model is blended with: its identity, its
// heads and a way to score examples.
type Companion struct {
	Name, SHA256 string
	Heads        []string
	Score        func(es []textmodel.Example) ([]textmodel.Scored, error)
}

// Report is what a build measured on the test split, which training and
// tuning never saw.
type Report struct {
	Config     BuildConfig                   `json:"config"`
	Counts     map[string]map[string]int     `json:"counts"` // source → split → examples
	Pretrain   int                           `json:"pretrain_texts"`
	Vocab      int                           `json:"vocab"`
	Thresholds map[string]map[string]float64 `json:"thresholds"`
	Test       []textmodel.Metrics           `json:"test"`
	// Alone holds the test metrics of the new model by itself, at
	// thresholds chosen for it alone, when it is blended.
	Alone     []textmodel.Metrics            `json:"test_alone,omitempty"`
	TestBySrc map[string][]textmodel.Metrics `json:"test_by_source"`
	Trainer   json.RawMessage                `json:"trainer"`
	Seconds   map[string]float64             `json:"seconds"`
}

// selfCheckTexts are stored in the manifest with the trainer's outputs.
var selfCheckTexts = []string{"광장에서 만나요", "아 시1발 진짜", "you are a worthless idiot", "죽고 싶다", "ㅋㅋㅋㅋㅋㅋ", "!!!", "무료 쿠폰 받으세요 bit.ly/abc"}

// Build encodes examples and the pretraining text (one text per line,
// gzip-compressed) into work, runs the trainer, chooses thresholds on the
// validation split, measures the test split, and writes model.onnx and
// manifest.json into dir. onnxrt.Init must have succeeded. log receives the
// trainer's progress.
func Build(ctx context.Context, examples []textmodel.Example, pretrainPath string, cfg BuildConfig, dir, work string, log io.Writer) (*Report, error) {
	rep := &Report{Config: cfg, Counts: map[string]map[string]int{}, TestBySrc: map[string][]textmodel.Metrics{}, Seconds: map[string]float64{}}
	start := time.Now()
	for _, e := range examples {
		if rep.Counts[e.Source] == nil {
			rep.Counts[e.Source] = map[string]int{}
		}
		rep.Counts[e.Source][e.Split.String()]++
	}
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, fmt.Errorf("textcnn: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("textcnn: %w", err)
	}
	pre, err := readLines(pretrainPath)
	if err != nil {
		return nil, err
	}
	rep.Pretrain = len(pre)
	train, valid, test := textmodel.Splits(examples)

	// The vocabulary comes from the unlabelled text and the training split.
	counts := LetterCounts{}
	var t textnorm.Text
	for _, s := range pre {
		t.Reset(s)
		counts.Add(t.Letters())
	}
	for _, e := range train {
		t.Reset(e.Text)
		counts.Add(t.Letters())
	}
	vocab, err := BuildVocab(counts, cfg.VocabMinCount, cfg.VocabMax)
	if err != nil {
		return nil, err
	}
	rep.Vocab = vocab.Size()

	sources := sourceNames(examples)
	meta := Meta{
		UnitWidth: UnitWidth, PadID: PadID, SepID: SepID, MaskID: MaskID, FirstLetterID: FirstLetterID,
		Letters: vocab.Size(), Initials: NumInitials, Medials: NumMedials, Finals: NumFinals,
		MaxUnits: cfg.TrainUnits, Heads: textmodel.Heads, Sources: sources, Sets: map[string]int{}, Seed: cfg.Seed,
	}
	if !cfg.SkipTrainer {
		if err := writeCorpora(work, vocab, cfg, pre, train, valid, sources, &meta); err != nil {
			return nil, err
		}
		rep.Seconds["encode"] = time.Since(start).Seconds()
		trainStart := time.Now()
		args := append([]string{cfg.Script, "--work", work, "--out", dir}, cfg.TrainerArgs...)
		cmd := exec.CommandContext(ctx, cfg.Python, args...)
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("textcnn: trainer %s: %w", cfg.Script, err)
		}
		rep.Seconds["train"] = time.Since(trainStart).Seconds()
	}
	if rep.Trainer, err = os.ReadFile(filepath.Join(work, "trainer.json")); err != nil {
		return nil, fmt.Errorf("textcnn: %w", err)
	}
	var sc struct {
		Expected [][]float32 `json:"expected"`
	}
	scPath := filepath.Join(work, "selfcheck.json")
	if b, err := os.ReadFile(scPath); err != nil {
		return nil, fmt.Errorf("textcnn: %w", err)
	} else if err := json.Unmarshal(b, &sc); err != nil {
		return nil, fmt.Errorf("textcnn: %s: %w", scPath, err)
	}
	sum, err := onnxrt.FileSHA256(filepath.Join(dir, "model.onnx"))
	if err != nil {
		return nil, err
	}
	man := &Manifest{
		Name: cfg.Name, Version: cfg.Version, Architecture: Architecture, Encoding: Encoding, File: "model.onnx", SHA256: sum,
		Inputs: []string{InputUnits}, Outputs: []string{OutputProbs}, Heads: slices.Clone(textmodel.Heads),
		Letters: string(vocab.Letters), MaxUnits: cfg.MaxUnits,
		SelfCheck: SelfCheck{Texts: selfCheckTexts, Expected: sc.Expected, Tolerance: 1e-4},
	}
	manPath := filepath.Join(dir, "manifest.json")
	if err := man.WriteFile(manPath); err != nil {
		return nil, err
	}
	m, err := Open(manPath, onnxrt.SessionConfig{})
	if err != nil {
		return nil, err
	}
	defer m.Close()

	scoreStart := time.Now()
	vs, err := Score(m, valid, 2)
	if err != nil {
		return nil, err
	}
	ts, err := Score(m, test, 2)
	if err != nil {
		return nil, err
	}
	if c := cfg.Companion; c != nil {
		alone := textmodel.ChooseThresholdsAcrossSources(vs, cfg.TargetPrecision, cfg.MinPositives, cfg.HeadPrecision)
		rep.Alone = textmodel.Evaluate(ts, func(h, l string) float64 { return textmodel.Threshold(alone, h, l) })
		man.Blend = &Blend{Name: c.Name, SHA256: c.SHA256, Weight: cfg.BlendWeight}
		if vs, err = blendScored(man, vs, valid, c); err != nil {
			return nil, err
		}
		if ts, err = blendScored(man, ts, test, c); err != nil {
			return nil, err
		}
	}
	rep.Thresholds = textmodel.ChooseThresholdsAcrossSources(vs, cfg.TargetPrecision, cfg.MinPositives, cfg.HeadPrecision)
	thr := func(h, l string) float64 { return textmodel.Threshold(rep.Thresholds, h, l) }
	rep.Test = textmodel.Evaluate(ts, thr)
	bySrc := map[string][]textmodel.Scored{}
	for i, e := range test {
		bySrc[e.Source] = append(bySrc[e.Source], ts[i])
	}
	for src, s := range bySrc {
		rep.TestBySrc[src] = textmodel.Evaluate(s, thr)
	}
	rep.Seconds["score"] = time.Since(scoreStart).Seconds()
	man.Thresholds = rep.Thresholds
	if err := man.WriteFile(manPath); err != nil {
		return nil, err
	}
	return rep, nil
}

// blendScored blends a model's scores with its companion's, as serving
// will.
func blendScored(man *Manifest, own []textmodel.Scored, es []textmodel.Example, c *Companion) ([]textmodel.Scored, error) {
	other, err := c.Score(es)
	if err != nil {
		return nil, err
	}
	if len(other) != len(own) {
		return nil, fmt.Errorf("textcnn: companion scored %d of %d examples", len(other), len(own))
	}
	out := make([]textmodel.Scored, len(own))
	for i := range own {
		out[i] = own[i]
		out[i].Probs = man.Blend.BlendProbs(nil, own[i].Probs, man.Heads, other[i].Probs, c.Heads)
	}
	return out, nil
}

// writeCorpora writes everything the trainer reads into work.
func writeCorpora(work string, vocab *Vocab, cfg BuildConfig, pre []string, train, valid []textmodel.Example, sources []string, meta *Meta) error {
	if err := writeCorpus(work, "pretrain", vocab, cfg.TrainUnits, pre, nil, nil, meta); err != nil {
		return err
	}
	if err := writeCorpus(work, "train", vocab, cfg.TrainUnits, nil, train, sources, meta); err != nil {
		return err
	}
	if err := writeCorpus(work, "valid", vocab, cfg.TrainUnits, nil, valid, sources, meta); err != nil {
		return err
	}
	if err := writeCorpus(work, "selfcheck", vocab, cfg.MaxUnits, selfCheckTexts, nil, nil, meta); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(work, "meta.json"), meta); err != nil {
		return fmt.Errorf("textcnn: %w", err)
	}
	return nil
}

// Score runs the model over examples in batches on the given number of
// goroutines.
func Score(m *Model, es []textmodel.Example, workers int) ([]textmodel.Scored, error) {
	out := make([]textmodel.Scored, len(es))
	const batch = 64
	errs := make(chan error, workers)
	next := make(chan int)
	go func() {
		for s := 0; s < len(es); s += batch {
			next <- s
		}
		close(next)
	}()
	for range workers {
		go func() {
			var failed error
			for s := range next {
				if failed != nil {
					continue
				}
				e := min(s+batch, len(es))
				ts := make([]*textnorm.Text, 0, e-s)
				for _, x := range es[s:e] {
					ts = append(ts, textnorm.Normalize(x.Text))
				}
				probs, err := m.Predict(ts)
				if err != nil {
					failed = err
					continue
				}
				for i := s; i < e; i++ {
					out[i] = textmodel.Scored{Source: es[i].Source, Lang: es[i].Lang, Labels: es[i].Labels, Probs: probs[i-s]}
				}
			}
			errs <- failed
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			return nil, err
		}
	}
	return out, nil
}

func sourceNames(es []textmodel.Example) []string {
	var names []string
	for _, e := range es {
		if !slices.Contains(names, e.Source) {
			names = append(names, e.Source)
		}
	}
	slices.Sort(names)
	if len(names) > 255 {
		names = names[:255]
	}
	return names
}

// writeCorpus encodes texts (unlabelled) or examples (labelled) as the
// corpus file set name, and records its size in meta.
func writeCorpus(work, name string, v *Vocab, maxUnits int, texts []string, es []textmodel.Example, sources []string, meta *Meta) error {
	labelled := es != nil
	w, err := newCorpusWriter(work, name, labelled, len(textmodel.Heads))
	if err != nil {
		return err
	}
	var t textnorm.Text
	var units []int64
	add := func(s string, labels []int8, src byte) error {
		t.Reset(s)
		units = v.Encode(&t, maxUnits, units[:0])
		return w.add(units, labels, src)
	}
	for _, s := range texts {
		if err := add(s, nil, 0); err != nil {
			w.close()
			return err
		}
	}
	for _, e := range es {
		src := slices.Index(sources, e.Source)
		if src < 0 {
			w.close()
			return fmt.Errorf("textcnn: source %q not in the source list", e.Source)
		}
		if err := add(e.Text, e.Labels, byte(src)); err != nil {
			w.close()
			return err
		}
	}
	meta.Sets[name] = int(w.n)
	return w.close()
}

// readLines reads a gzip-compressed text file, one text per line, skipping
// empty lines.
func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("textcnn: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("textcnn: %s: %w", path, err)
	}
	var out []string
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if len(sc.Bytes()) > 0 {
			out = append(out, sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("textcnn: %s: %w", path, err)
	}
	return out, nil
}
