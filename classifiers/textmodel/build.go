package textmodel

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/haechi-tns/haechi/classifiers/onnxrt"
	"github.com/haechi-tns/haechi/classifiers/textnorm"
)

// BuildConfig says how to train, tune and export a model.
type BuildConfig struct {
	Train TrainConfig
	// TargetPrecision is the validation precision thresholds are chosen
	// for, per head and language.
	TargetPrecision float64
	// MinPositives is the fewest validation positives a head needs in a
	// language for a threshold of its own; below it the pooled threshold
	// is used.
	MinPositives int
	Name         string
	Version      string
}

// DefaultBuild is how the committed model was built.
var DefaultBuild = BuildConfig{Train: DefaultTrain, TargetPrecision: 0.7, MinPositives: 20, Name: "haechi-text", Version: "1"}

// Report is what a build measured on the test split, which training and
// tuning never saw.
type Report struct {
	Config     BuildConfig                   `json:"config"`
	Counts     map[string]map[string]int     `json:"counts"` // source → split → examples
	Thresholds map[string]map[string]float64 `json:"thresholds"`
	Test       []Metrics                     `json:"test"`
	TestBySrc  map[string][]Metrics          `json:"test_by_source"`
	Progress   []Progress                    `json:"progress"`
}

// Build trains a model, chooses thresholds on the validation split,
// measures the test split, and writes model.onnx and manifest.json into
// dir.
func Build(ctx context.Context, examples []Example, cfg BuildConfig, dir string, progress func(Progress)) (*Report, error) {
	rep := &Report{Config: cfg, Counts: map[string]map[string]int{}, TestBySrc: map[string][]Metrics{}}
	for _, e := range examples {
		if rep.Counts[e.Source] == nil {
			rep.Counts[e.Source] = map[string]int{}
		}
		rep.Counts[e.Source][e.Split.String()]++
	}
	m, err := Train(ctx, examples, cfg.Train, func(p Progress) {
		rep.Progress = append(rep.Progress, p)
		if progress != nil {
			progress(p)
		}
	})
	if err != nil {
		return nil, err
	}
	_, valid, test := Splits(examples)
	feat := cfg.Train.Features
	vs := ScoreGo(m, feat, valid)
	rep.Thresholds = ChooseThresholds(vs, cfg.TargetPrecision, cfg.MinPositives)
	thr := func(h, l string) float64 { return Threshold(rep.Thresholds, h, l) }
	ts := ScoreGo(m, feat, test)
	rep.Test = Evaluate(ts, thr)
	bySrc := map[string][]Scored{}
	for i, e := range test {
		bySrc[e.Source] = append(bySrc[e.Source], ts[i])
	}
	for src, sc := range bySrc {
		rep.TestBySrc[src] = Evaluate(sc, thr)
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("textmodel: %w", err)
	}
	modelPath := filepath.Join(dir, "model.onnx")
	f, err := os.Create(modelPath)
	if err != nil {
		return nil, fmt.Errorf("textmodel: %w", err)
	}
	meta := map[string]string{"name": cfg.Name, "version": cfg.Version, "heads": fmt.Sprint(Heads)}
	if err := Export(m, f, meta); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("textmodel: %w", err)
	}
	sum, err := onnxrt.FileSHA256(modelPath)
	if err != nil {
		return nil, err
	}
	featJSON, err := json.Marshal(feat)
	if err != nil {
		return nil, err
	}
	sc, err := selfCheckFor(m, feat)
	if err != nil {
		return nil, err
	}
	man := &Manifest{
		Name: cfg.Name, Version: cfg.Version, File: "model.onnx", SHA256: sum,
		Inputs: []string{"ids", "weights"}, Outputs: []string{"probs"}, Heads: Heads,
		Thresholds: rep.Thresholds, Features: featJSON, SelfCheck: sc,
	}
	if err := man.WriteFile(filepath.Join(dir, "manifest.json")); err != nil {
		return nil, err
	}
	return rep, nil
}

// selfCheckTexts are featurised into the manifest's self-check.
var selfCheckTexts = []string{"광장에서 만나요", "아 시1발 진짜", "you are a worthless idiot", "죽고 싶다"}

func selfCheckFor(m *MLP, feat FeatureConfig) (SelfCheck, error) {
	var ids [][]int32
	var weights [][]float32
	var t textnorm.Text
	var bag Bag
	for _, s := range selfCheckTexts {
		t.Reset(s)
		feat.Featurize(&t, &bag)
		ids = append(ids, append([]int32(nil), bag.IDs...))
		weights = append(weights, append([]float32(nil), bag.Weights...))
	}
	return NewSelfCheck(m, ids, weights, 1e-4)
}

// ScoreGo scores examples with the Go forward pass.
func ScoreGo(m *MLP, feat FeatureConfig, es []Example) []Scored {
	ps := feat.FeaturizeAll(es)
	out := make([]Scored, len(es))
	for i, p := range ps {
		out[i] = Scored{Source: es[i].Source, Lang: es[i].Lang, Labels: es[i].Labels, Probs: m.Forward(p.ids, p.weights)}
	}
	return out
}

// ChooseThresholdsAcrossSources is ChooseThresholds with each threshold
// chosen to hold on average across sources (ChooseThresholdAcrossSources).
// headTarget gives some heads a precision target of their own.
func ChooseThresholdsAcrossSources(scored []Scored, target float64, minPositives int, headTarget map[string]float64) map[string]map[string]float64 {
	out := map[string]map[string]float64{}
	for _, h := range Heads {
		target := target
		if t, ok := headTarget[h]; ok {
			target = t
		}
		pooled := ChooseThresholdAcrossSources(scored, h, "all", target, minPositives, 0.5)
		out[h] = map[string]float64{"all": round3(pooled)}
		for _, l := range []string{"ko", "en"} {
			out[h][l] = round3(ChooseThresholdAcrossSources(scored, h, l, target, minPositives, pooled))
		}
	}
	return out
}

// ChooseThresholds picks a threshold per head and language on validation
// scores, and a pooled one ("all") that languages with too few positives
// fall back to.
func ChooseThresholds(scored []Scored, target float64, minPositives int) map[string]map[string]float64 {
	out := map[string]map[string]float64{}
	for _, h := range Heads {
		s, y := Column(scored, h, "all")
		pooled := ChooseThreshold(s, y, target, minPositives, 0.5)
		out[h] = map[string]float64{"all": round3(pooled)}
		for _, l := range []string{"ko", "en"} {
			s, y := Column(scored, h, l)
			out[h][l] = round3(ChooseThreshold(s, y, target, minPositives, pooled))
		}
	}
	return out
}

// Threshold looks up a head's threshold for a language, falling back to
// the pooled one and then to 0.5.
func Threshold(t map[string]map[string]float64, head, lang string) float64 {
	if v, ok := t[head][lang]; ok {
		return v
	}
	if v, ok := t[head]["all"]; ok {
		return v
	}
	return 0.5
}

// round3 rounds down to three decimals, so a rounded threshold never
// admits fewer examples than the one chosen.
func round3(x float64) float64 { return float64(int(x*1000)) / 1000 }

// SortMetrics orders metrics by head order, then language.
func SortMetrics(ms []Metrics) {
	sort.SliceStable(ms, func(i, j int) bool {
		if ms[i].Head != ms[j].Head {
			return headIndex(ms[i].Head) < headIndex(ms[j].Head)
		}
		return ms[i].Lang < ms[j].Lang
	})
}

// FeatureConfig decodes the featurizer settings the model was trained
// with, refusing a recipe version this build does not implement.
func (m *Manifest) FeatureConfig() (FeatureConfig, error) {
	var f FeatureConfig
	if err := json.Unmarshal(m.Features, &f); err != nil {
		return f, fmt.Errorf("textmodel: manifest features: %w", err)
	}
	if f.Version != FeatureVersion {
		return f, fmt.Errorf("textmodel: model uses feature recipe %d, this build implements %d", f.Version, FeatureVersion)
	}
	if f.Buckets <= 0 || f.MaxLetters <= 0 {
		return f, fmt.Errorf("textmodel: manifest features %+v are incomplete", f)
	}
	return f, nil
}
