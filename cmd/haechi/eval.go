package main

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/classifiers/lexicon"
	"github.com/haechi-tns/haechi/classifiers/textmodel"
	"github.com/haechi-tns/haechi/classifiers/textnorm"
	"github.com/haechi-tns/haechi/engine"
)

func evalCommand() *cli.Command {
	return &cli.Command{
		Name:  "eval",
		Usage: "measure Haechi's classifiers on labelled data",
		Subcommands: []*cli.Command{{
			Name:  "text",
			Usage: "ROC-AUC, precision, recall and F1 per head and language, model beside the lexicon",
			Description: `Reads JSON lines {"id","text","lang","labels":{head: 0|1, ...}}; heads a
line does not name are not counted for it. The model's thresholds come from
its manifest; the lexicon baseline flags a head when a lexicon entry of that
category (for toxic: of any abuse category) weighs 0.5 or more, the lowest
action threshold of the default policy.`,
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "data", Required: true, Usage: "labelled JSON lines"},
				textModelFlag,
				onnxLibFlag,
			},
			Action: evalText,
		}},
	}
}

func evalText(c *cli.Context) error {
	examples, err := textmodel.LoadLabelled(c.String("data"), "eval")
	if err != nil {
		return err
	}
	model, err := openTextModel(configFrom(c))
	if err != nil {
		return err
	}
	defer model.Close()
	man := model.Manifest()
	feat, err := man.FeatureConfig()
	if err != nil {
		return err
	}
	lex, err := lexicon.Default()
	if err != nil {
		return err
	}
	modelScores, lexScores, err := scoreExamples(c.Context, examples, model, feat, lex)
	if err != nil {
		return err
	}
	ms := textmodel.Evaluate(modelScores, func(h, l string) float64 { return textmodel.Threshold(man.Thresholds, h, l) })
	textmodel.SortMetrics(ms)
	printMetrics(c.App.Writer, fmt.Sprintf("model %s %s on %d examples", man.Name, man.Version, len(examples)), ms)
	fmt.Fprintln(c.App.Writer)
	ls := textmodel.Evaluate(lexScores, func(string, string) float64 { return 0.5 })
	textmodel.SortMetrics(ls)
	printMetrics(c.App.Writer, "lexicon baseline", ls)
	return nil
}

// lexiconHeads maps model heads to the lexicon categories whose weight is
// the baseline's score for it.
var lexiconHeads = map[string][]engine.Category{
	"toxic":      engine.AbuseCategories,
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
