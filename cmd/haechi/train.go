package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/classifiers/textmodel"
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
				&cli.StringFlag{Name: "out", Value: "classifiers/models/text", Usage: "where to write the model"},
				&cli.StringFlag{Name: "heldout", Usage: "also write the test split as labelled JSON lines here (keep it outside the repository)"},
				&cli.StringFlag{Name: "policy-data", Value: "policies/models/data.json", Usage: "policy data file that receives the model's thresholds as defaults"},
				&cli.IntFlag{Name: "epochs", Value: textmodel.DefaultTrain.Epochs},
			},
			Action: trainText,
		}},
	}
}

func trainText(c *cli.Context) error {
	examples, err := textmodel.LoadShared(c.String("data"))
	if err != nil {
		return err
	}
	for _, path := range c.StringSlice("seeds") {
		seeds, err := textmodel.LoadLabelled(path, "seed")
		if err != nil {
			return err
		}
		examples = append(examples, seeds...)
	}
	cfg := textmodel.DefaultBuild
	cfg.Train.Epochs = c.Int("epochs")
	start := time.Now()
	w := c.App.ErrWriter
	fmt.Fprintf(w, "training on %d examples\n", len(examples))
	rep, err := textmodel.Build(c.Context, examples, cfg, c.String("out"), func(p textmodel.Progress) {
		best := ""
		if p.Best {
			best = " *"
		}
		fmt.Fprintf(w, "epoch %.2f  train loss %.4f  valid loss %.4f%s  (%s)\n", p.Epoch, p.TrainLoss, p.ValidLoss, best, time.Since(start).Round(time.Second))
	})
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(c.String("out"), "report.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	if path := c.String("policy-data"); path != "" {
		if err := writePolicyData(path, filepath.Join(c.String("out"), "manifest.json")); err != nil {
			return err
		}
	}
	if path := c.String("heldout"); path != "" {
		if err := writeHeldout(path, examples); err != nil {
			return err
		}
	}
	textmodel.SortMetrics(rep.Test)
	printMetrics(c.App.Writer, "test split (never trained or tuned on)", rep.Test)
	return nil
}

// writePolicyData writes the model's identity and thresholds where the
// policies read them (data.models.text), so a retrained model's thresholds
// become the policy's defaults.
func writePolicyData(path, manifestPath string) error {
	man, err := textmodel.LoadManifest(manifestPath)
	if err != nil {
		return err
	}
	doc := map[string]any{"text": map[string]any{
		"name": man.Name, "version": man.Version, "sha256": man.SHA256, "thresholds": man.Thresholds,
	}}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// writeHeldout writes the test split in the format eval text reads.
func writeHeldout(path string, examples []textmodel.Example) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	enc.SetEscapeHTML(false)
	for _, e := range examples {
		if e.Split != textmodel.SplitTest {
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
