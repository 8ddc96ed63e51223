package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/classifiers/lexicon"
	"github.com/haechi-tns/haechi/classifiers/onnxrt"
	"github.com/haechi-tns/haechi/classifiers/textcnn"
	"github.com/haechi-tns/haechi/classifiers/textmodel"
	"github.com/haechi-tns/haechi/classifiers/textsignals"
)

func trainCommand() *cli.Command {
	return &cli.Command{
		Name:  "train",
		Usage: "train Haechi's models",
		Subcommands: []*cli.Command{{
			Name:  "text",
			Usage: "train the text model from the public datasets and Haechi's seed examples",
			Description: `Maps each dataset's labels onto the model's heads, holds out 15 % of
every source (chosen by a hash of the example id, the same on every run) as
a test split it never trains or tunes on, picks thresholds per head and
language on a further 10 % validation split, and writes model.onnx,
manifest.json and report.json. Training is deterministic.`,
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "data", Value: "../shared/datasets/text", Usage: "folder with the public datasets"},
				&cli.StringSliceFlag{Name: "seeds", Value: cli.NewStringSlice("fixtures/seed/seed.jsonl"), Usage: "Haechi's labelled seed files"},
				&cli.StringFlag{Name: "out", Usage: "where to write the model (default: classifiers/models/text-cnn, or classifiers/models/text for bag-mlp)"},
				&cli.StringFlag{Name: "heldout", Usage: "also write the test split as labelled JSON lines here (keep it outside the repository)"},
				&cli.StringFlag{Name: "heldout-split", Value: "test", Usage: "the split --heldout writes: test, or valid (to tune policy levels without touching the test split)"},
				&cli.StringFlag{Name: "policy-data", Value: "policies/models/data.json", Usage: "policy data file that receives the model's thresholds as defaults"},
				&cli.IntFlag{Name: "epochs", Value: textmodel.DefaultTrain.Epochs, Usage: "training epochs of the bag-mlp model"},
				&cli.StringFlag{Name: "arch", Value: textcnn.Architecture, Usage: "model to train: " + textcnn.Architecture + " (the default model, trained with PyTorch) or bag-mlp (the first model, trained in Go)"},
				&cli.StringFlag{Name: "pretrain", Value: "../shared/datasets/unlabelled/nsmc_reviews.txt.gz", Usage: "unlabelled text, one per line, gzip-compressed, for " + textcnn.Architecture + " pretraining"},
				&cli.StringFlag{Name: "work", Usage: "folder for the encoded corpus handed to the trainer (default: a temporary folder, removed afterwards)"},
				&cli.Float64Flag{Name: "blend-weight", Value: 0.5, Usage: "the " + textcnn.Architecture + " model's share when its probabilities are averaged with the bag-mlp model's (--text-model) in the cascade's strong stage; 1 serves it alone"},
				textModelFlag,
				&cli.BoolFlag{Name: "skip-trainer", Usage: "tune and measure the " + textcnn.Architecture + " model already in --out again, with the trainer's outputs left in --work by an earlier run"},
				&cli.StringSliceFlag{Name: "trainer-arg", Usage: "extra argument for scripts/train_text_cnn.py, e.g. --trainer-arg=--pretrain-steps=0 (repeatable; values cannot hold commas, so --dilations takes 1:2:4)"},
				onnxLibFlag,
			},
			Action: trainText,
		}},
	}
}

func trainText(c *cli.Context) error {
	switch c.String("arch") {
	case textcnn.Architecture:
		return trainTextCNN(c)
	case "bag-mlp":
	default:
		return fmt.Errorf("train text: --arch %q: want %s or bag-mlp", c.String("arch"), textcnn.Architecture)
	}
	examples, err := loadTrainingExamples(c)
	if err != nil {
		return err
	}
	out := cmp.Or(c.String("out"), "classifiers/models/text")
	cfg := textmodel.DefaultBuild
	cfg.Train.Epochs = c.Int("epochs")
	start := time.Now()
	w := c.App.ErrWriter
	fmt.Fprintf(w, "training on %d examples\n", len(examples))
	rep, err := textmodel.Build(c.Context, examples, cfg, out, func(p textmodel.Progress) {
		best := ""
		if p.Best {
			best = " *"
		}
		fmt.Fprintf(w, "epoch %.2f  train loss %.4f  valid loss %.4f%s  (%s)\n", p.Epoch, p.TrainLoss, p.ValidLoss, best, time.Since(start).Round(time.Second))
	})
	if err != nil {
		return err
	}
	man, err := textmodel.LoadManifest(filepath.Join(out, "manifest.json"))
	if err != nil {
		return err
	}
	return finishTraining(c, out, rep, rep.Test, examples, textsignals.ModelName, policyModel{man.Name, man.Version, man.SHA256, man.Thresholds})
}

// loadTrainingExamples reads the public datasets and the seed files.
func loadTrainingExamples(c *cli.Context) ([]textmodel.Example, error) {
	examples, err := textmodel.LoadShared(c.String("data"))
	if err != nil {
		return nil, err
	}
	for _, path := range c.StringSlice("seeds") {
		seeds, err := textmodel.LoadLabelled(path, "seed")
		if err != nil {
			return nil, err
		}
		examples = append(examples, seeds...)
	}
	return examples, nil
}

// trainTextCNN encodes the data, runs the PyTorch trainer and tunes and
// measures what it exports.
func trainTextCNN(c *cli.Context) error {
	examples, err := loadTrainingExamples(c)
	if err != nil {
		return err
	}
	lib := c.String("onnxruntime-lib")
	if lib == "" {
		lib = onnxrt.DefaultLibPath()
	}
	if err := onnxrt.Init(lib); err != nil {
		return err
	}
	work := c.String("work")
	if work == "" && c.Bool("skip-trainer") {
		return errors.New("train text: --skip-trainer needs the --work folder of an earlier run")
	}
	if work == "" {
		if work, err = os.MkdirTemp("", "haechi-train-"); err != nil {
			return err
		}
		defer os.RemoveAll(work)
	}
	out := cmp.Or(c.String("out"), "classifiers/models/text-cnn")
	cfg := textcnn.DefaultBuild
	cfg.TrainerArgs = c.StringSlice("trainer-arg")
	cfg.SkipTrainer = c.Bool("skip-trainer")
	if w := c.Float64("blend-weight"); w < 1 {
		fast, err := openTextModel(Config{TextModel: c.String("text-model"), ONNXLib: c.String("onnxruntime-lib")})
		if err != nil {
			return err
		}
		defer fast.Close()
		feat, err := fast.Manifest().FeatureConfig()
		if err != nil {
			return err
		}
		lex, err := lexicon.Default()
		if err != nil {
			return err
		}
		man := fast.Manifest()
		cfg.BlendWeight = w
		cfg.Companion = &textcnn.Companion{Name: man.Name, SHA256: man.SHA256, Heads: man.Heads,
			Score: func(es []textmodel.Example) ([]textmodel.Scored, error) {
				s, _, err := scoreExamples(c.Context, es, fast, feat, lex)
				return s, err
			}}
	}
	w := c.App.ErrWriter
	fmt.Fprintf(w, "encoding %d labelled examples and %s\n", len(examples), c.String("pretrain"))
	rep, err := textcnn.Build(c.Context, examples, c.String("pretrain"), cfg, out, work, w)
	if err != nil {
		return err
	}
	man, err := textcnn.LoadManifest(filepath.Join(out, "manifest.json"))
	if err != nil {
		return err
	}
	return finishTraining(c, out, rep, rep.Test, examples, textsignals.StrongModelName, policyModel{man.Name, man.Version, man.SHA256, man.Thresholds})
}

// policyModel is what the policy data keeps of a model.
type policyModel struct {
	name, version, sha256 string
	thresholds            map[string]map[string]float64
}

// finishTraining writes a trained model's report, copies its thresholds
// into the policy data under the policy's name for it, writes the
// held-out split when asked, and prints the test metrics.
func finishTraining(c *cli.Context, out string, rep any, test []textmodel.Metrics, examples []textmodel.Example, name string, m policyModel) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "report.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	if path := c.String("policy-data"); path != "" {
		if err := writePolicyData(path, name, m.name, m.version, m.sha256, m.thresholds); err != nil {
			return err
		}
	}
	if path := c.String("heldout"); path != "" {
		if err := writeHeldout(path, c.String("heldout-split"), examples); err != nil {
			return err
		}
	}
	textmodel.SortMetrics(test)
	printMetrics(c.App.Writer, "test split (never trained or tuned on)", test)
	return nil
}

// writePolicyData writes a model's identity and thresholds where the
// policies read them (data.models.<name>), keeping the other models'
// entries, so a retrained model's thresholds become the policy's defaults.
func writePolicyData(path, name, modelName, version, sha256 string, thresholds map[string]map[string]float64) error {
	doc := map[string]any{}
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &doc); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	doc[name] = map[string]any{"name": modelName, "version": version, "sha256": sha256, "thresholds": thresholds}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// writeHeldout writes the test split in the format eval text reads.
func writeHeldout(path, split string, examples []textmodel.Example) error {
	want := textmodel.SplitTest
	switch split {
	case "test":
	case "valid":
		want = textmodel.SplitValid
	default:
		return fmt.Errorf("--heldout-split %q: want test or valid", split)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	enc.SetEscapeHTML(false)
	for _, e := range examples {
		if e.Split != want {
			continue
		}
		labels := map[string]int8{}
		for k, h := range textmodel.Heads {
			if e.Labels[k] != textmodel.Unknown {
				labels[h] = e.Labels[k]
			}
		}
		row := map[string]any{"id": e.ID, "lang": e.Lang, "source": e.Source, "text": e.Text, "labels": labels}
		if err := enc.Encode(row); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

func printMetrics(w io.Writer, title string, ms []textmodel.Metrics) {
	fmt.Fprintf(w, "%s\n", title)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "head\tlang\tn\tpositives\tROC-AUC\tthreshold\tprecision\trecall\tF1\t")
	for _, m := range ms {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t\n", m.Head, m.Lang, m.N, m.Positives, m.AUC, m.Threshold, m.Precision, m.Recall, m.F1)
	}
	tw.Flush()
}
