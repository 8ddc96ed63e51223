package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"sync"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/classifiers/lexicon"
	"github.com/haechi-tns/haechi/classifiers/pii"
	"github.com/haechi-tns/haechi/classifiers/textcnn"
	"github.com/haechi-tns/haechi/classifiers/textmodel"
	"github.com/haechi-tns/haechi/classifiers/textnorm"
	"github.com/haechi-tns/haechi/classifiers/textsignals"
	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/policy"
)

func evalCommand() *cli.Command {
	return &cli.Command{
		Name:  "eval",
		Usage: "measure Haechi's classifiers on labelled data",
		Subcommands: []*cli.Command{{
			Name:  "text",
			Usage: "precision, recall, F1 and ROC-AUC per head and language: lexicon, each text model, and what the policy sees",
			Description: `Reads JSON lines {"id","text","lang","source","labels":{head: 0|1, ...}}
(haechi train text --heldout writes them); heads a line does not name are not
counted for it. Four systems are measured side by side:

  lexicon   a head is flagged when a lexicon entry of its category (for
            toxic: of any abuse category) weighs 0.5 or more, the lowest
            action threshold of the default policy;
  fast      the first model (bag of n-grams), at its manifest's thresholds;
  strong    the cascade's strong stage on every message: the second model
            (letter CNN), blended with the fast one when its manifest says
            so, at its manifest's thresholds;
  served    what the policy's evidence holds: the higher of the lexicon and
            the model the cascade used, on the policy's scale, flagged at 0.5.

--by-source repeats the table for each source.`,
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "data", Required: true, Usage: "labelled JSON lines"},
				&cli.BoolFlag{Name: "by-source", Usage: "also report each source on its own"},
				&cli.StringFlag{Name: "json", Usage: "also write every metric as JSON here"},
				&cli.StringFlag{Name: "calibration-svg", Usage: "also draw the toxic head's reliability curves, per model and language, as SVG here"},
				textModelFlag,
				strongTextModelFlag,
				cascadeBandFlag,
				onnxLibFlag,
			},
			Action: evalText,
		}},
	}
}

// evalSystems are the systems eval text compares, in column order.
var evalSystems = []string{"lexicon", "fast", "strong", "served"}

func evalText(c *cli.Context) error {
	examples, err := textmodel.LoadLabelled(c.String("data"), "eval")
	if err != nil {
		return err
	}
	cfg := configFrom(c)
	fast, err := openTextModel(cfg)
	if err != nil {
		return err
	}
	defer fast.Close()
	if cfg.StrongTextModel == "none" {
		return errors.New("eval text compares both models: --strong-text-model none leaves nothing to compare")
	}
	strong, err := openStrongTextModel(cfg)
	if err != nil {
		return err
	}
	defer strong.Close()
	lex, err := lexicon.Default()
	if err != nil {
		return err
	}
	cls, err := textsignals.New(lex, pii.New(), textsignals.WithModel(fast), textsignals.WithStrongModel(strong, cfg.cascade()))
	if err != nil {
		return err
	}
	scored, err := scoreSystems(c.Context, examples, fast, strong, cls, lex)
	if err != nil {
		return err
	}
	thresholds := []func(h, l string) float64{
		func(string, string) float64 { return 0.5 },
		func(h, l string) float64 { return textmodel.Threshold(fast.Manifest().Thresholds, h, l) },
		func(h, l string) float64 { return textmodel.Threshold(strong.Manifest().Thresholds, h, l) },
		func(string, string) float64 { return 0.5 },
	}
	type group struct {
		Name    string                         `json:"name"`
		N       int                            `json:"n"`
		Systems map[string][]textmodel.Metrics `json:"systems"`
	}
	evalGroup := func(name string, keep func(e *textmodel.Example) bool) group {
		g := group{Name: name, Systems: map[string][]textmodel.Metrics{}}
		for k, sys := range evalSystems {
			var sc []textmodel.Scored
			for i := range examples {
				if keep(&examples[i]) {
					sc = append(sc, scored[k][i])
				}
			}
			g.N = len(sc)
			ms := textmodel.Evaluate(sc, thresholds[k])
			textmodel.SortMetrics(ms)
			g.Systems[sys] = ms
		}
		return g
	}
	groups := []group{evalGroup("all", func(*textmodel.Example) bool { return true })}
	if c.Bool("by-source") {
		var sources []string
		for _, e := range examples {
			if !slices.Contains(sources, e.Source) {
				sources = append(sources, e.Source)
			}
		}
		slices.Sort(sources)
		for _, src := range sources {
			groups = append(groups, evalGroup(src, func(e *textmodel.Example) bool { return e.Source == src }))
		}
	}
	st := cls.Stats()
	fmt.Fprintf(c.App.Writer, "fast: %s %s   strong: %s %s   cascade: %.1f %% of %d messages routed to the strong model (band %.2f, no space type given)\n\n",
		fast.Manifest().Name, fast.Manifest().Version, strong.Manifest().Name, strong.Manifest().Version,
		100*float64(st.Routed)/float64(max(st.Scored, 1)), st.Scored, cfg.cascade().Band)
	for _, g := range groups {
		printComparison(c.App.Writer, fmt.Sprintf("%s (%d examples)", g.Name, g.N), g.Systems)
		fmt.Fprintln(c.App.Writer)
	}
	if path := c.String("calibration-svg"); path != "" {
		var curves []textmodel.Curve
		for k, sys := range []string{"fast", "strong"} {
			for _, lang := range []string{"ko", "en"} {
				curves = append(curves, textmodel.Curve{Name: sys + " " + lang, Bins: textmodel.Reliability(scored[k+1], "toxic", lang, 10)})
			}
		}
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		err = textmodel.WriteReliabilitySVG(f, fmt.Sprintf("toxic head: reliability on %d examples", len(examples)), curves)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	if path := c.String("json"); path != "" {
		b, err := json.MarshalIndent(map[string]any{"routed": st.Routed, "scored": st.Scored, "groups": groups}, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// printComparison prints one row per head and language with each system's
// F1, and the served system's precision, recall and ROC-AUC.
func printComparison(w io.Writer, title string, systems map[string][]textmodel.Metrics) {
	fmt.Fprintln(w, title)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "head\tlang\tn\tpos\t")
	for _, sys := range evalSystems {
		fmt.Fprintf(tw, "F1 %s\t", sys)
	}
	fmt.Fprintln(tw, "P served\tR served\tAUC fast\tAUC strong\t")
	find := func(sys, head, lang string) (textmodel.Metrics, bool) {
		for _, m := range systems[sys] {
			if m.Head == head && m.Lang == lang {
				return m, true
			}
		}
		return textmodel.Metrics{}, false
	}
	for _, row := range systems["served"] {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t", row.Head, row.Lang, row.N, row.Positives)
		for _, sys := range evalSystems {
			if m, ok := find(sys, row.Head, row.Lang); ok {
				fmt.Fprintf(tw, "%.3f\t", m.F1)
			} else {
				fmt.Fprint(tw, "-\t")
			}
		}
		fm, _ := find("fast", row.Head, row.Lang)
		sm, _ := find("strong", row.Head, row.Lang)
		fmt.Fprintf(tw, "%.3f\t%.3f\t%.3f\t%.3f\t\n", row.Precision, row.Recall, fm.AUC, sm.AUC)
	}
	tw.Flush()
}

// scoreSystems scores every example with each of evalSystems, in order.
func scoreSystems(ctx context.Context, examples []textmodel.Example, fast *textmodel.ORTModel, strong *textcnn.Model, cls *textsignals.Classifier, lex *lexicon.Lexicon) ([4][]textmodel.Scored, error) {
	var out [4][]textmodel.Scored
	feat, err := fast.Manifest().FeatureConfig()
	if err != nil {
		return out, err
	}
	fastScores, lexScores, err := scoreExamples(ctx, examples, fast, feat, lex)
	if err != nil {
		return out, err
	}
	strongScores, err := textcnn.Score(strong, examples, runtime.GOMAXPROCS(0))
	if err != nil {
		return out, err
	}
	// The strong stage judges by the strong model blended with the fast
	// one when it was tuned so; its thresholds are for that blend.
	if b := strong.Manifest().Blend; b != nil {
		fastHeads := fast.Manifest().Heads
		for i := range strongScores {
			strongScores[i].Probs = b.BlendProbs(nil, strongScores[i].Probs, strong.Manifest().Heads, fastScores[i].Probs, fastHeads)
		}
	}
	served := make([]textmodel.Scored, len(examples))
	const batch = 64
	for s := 0; s < len(examples); s += batch {
		e := min(s+batch, len(examples))
		ins := make([]engine.TextInput, 0, e-s)
		for _, x := range examples[s:e] {
			ins = append(ins, engine.TextInput{Text: x.Text, Lang: x.Lang})
		}
		res, err := cls.ClassifyTexts(ctx, ins)
		if err != nil {
			return out, err
		}
		for i, r := range res {
			x := &examples[s+i]
			served[s+i] = textmodel.Scored{Lang: x.Lang, Labels: x.Labels, Probs: servedProbs(r, x.Lang, lexScores[s+i].Probs, fast, strong)}
		}
	}
	out[0], out[1], out[2], out[3] = lexScores, fastScores, strongScores, served
	return out, nil
}

// servedProbs is what the policy's evidence holds for each head: the higher
// of the lexicon's score and the probability of the model the cascade used,
// mapped onto the policy's scale with that model's threshold.
func servedProbs(r engine.TextResult, lang string, lex []float32, fast *textmodel.ORTModel, strong *textcnn.Model) []float32 {
	out := slices.Clone(lex)
	for name, scores := range r.Models {
		th := fast.Manifest().Thresholds
		if name == textsignals.StrongModelName {
			th = strong.Manifest().Thresholds
		}
		for k, h := range textmodel.Heads {
			if p, ok := scores[engine.Category(h)]; ok {
				out[k] = max(out[k], float32(policy.ScaleProbability(p, textmodel.Threshold(th, h, lang))))
			}
		}
	}
	return out
}

// lexiconHeads maps model heads to the lexicon categories whose weight is
// the baseline's score for it.
var lexiconHeads = map[string][]engine.Category{
	"toxic":      engine.AbuseCategories,
	"spam":       {engine.Spam},
	"insult":     {engine.Insult},
	"profanity":  {engine.Profanity},
	"hate":       {engine.Hate},
	"harassment": {engine.Harassment},
	"sexual":     {engine.Sexual, engine.SexualMinors},
	"threat":     {engine.Threat},
	"self_harm":  {engine.SelfHarm},
}

// scoreExamples scores every example with the model (in batches of 32)
// and with the lexicon, in parallel.
func scoreExamples(ctx context.Context, examples []textmodel.Example, model *textmodel.ORTModel, feat textmodel.FeatureConfig, lex *lexicon.Lexicon) ([]textmodel.Scored, []textmodel.Scored, error) {
	const batch = 32
	modelOut := make([]textmodel.Scored, len(examples))
	lexOut := make([]textmodel.Scored, len(examples))
	workers := runtime.GOMAXPROCS(0)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			var t textnorm.Text
			var bag textmodel.Bag
			for start := w * batch; start < len(examples); start += workers * batch {
				if ctx.Err() != nil {
					errs[w] = ctx.Err()
					return
				}
				end := min(start+batch, len(examples))
				ids := make([][]int32, 0, end-start)
				weights := make([][]float32, 0, end-start)
				for i := start; i < end; i++ {
					e := &examples[i]
					t.Reset(e.Text)
					feat.Featurize(&t, &bag)
					ids = append(ids, append([]int32(nil), bag.IDs...))
					weights = append(weights, append([]float32(nil), bag.Weights...))
					lexOut[i] = textmodel.Scored{Lang: e.Lang, Labels: e.Labels, Probs: lexiconProbs(lex, &t)}
				}
				probs, err := model.Predict(ids, weights)
				if err != nil {
					errs[w] = err
					return
				}
				for i := start; i < end; i++ {
					modelOut[i] = textmodel.Scored{Lang: examples[i].Lang, Labels: examples[i].Labels, Probs: probs[i-start]}
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, nil, err
		}
	}
	return modelOut, lexOut, nil
}

func lexiconProbs(lex *lexicon.Lexicon, t *textnorm.Text) []float32 {
	scores := engine.Scores{}
	for _, m := range lex.Match(t, nil) {
		scores.Raise(m.Category, m.Weight)
	}
	out := make([]float32, len(textmodel.Heads))
	for k, h := range textmodel.Heads {
		for _, c := range lexiconHeads[h] {
			out[k] = max(out[k], float32(scores[c]))
		}
	}
	return out
}
