package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/engine"
)

func policyCommand() *cli.Command {
	return &cli.Command{
		Name:  "policy",
		Usage: "test, evaluate and inspect code-of-ethics policy bundles",
		Subcommands: append([]*cli.Command{
			{
				Name:  "test",
				Usage: "run the bundle's Rego tests",
				Flags: []cli.Flag{policiesFlag, &cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "list every test"}},
				Action: func(c *cli.Context) error {
					b, err := loadBundle(configFrom(c))
					if err != nil {
						return err
					}
					results, err := b.Test(c.Context)
					if err != nil {
						return err
					}
					passed, failed := 0, 0
					for _, r := range results {
						switch {
						case r.Pass:
							passed++
							if c.Bool("verbose") {
								fmt.Fprintf(c.App.Writer, "PASS %s.%s\n", r.Package, r.Name)
							}
						default:
							failed++
							fmt.Fprintf(c.App.Writer, "FAIL %s.%s (%s): %v\n", r.Package, r.Name, r.Location, r.Err)
						}
					}
					fmt.Fprintf(c.App.Writer, "revision %s: %d passed, %d failed\n", b.Revision, passed, failed)
					if failed > 0 || passed == 0 {
						return fmt.Errorf("policy tests: %d failed, %d passed", failed, passed)
					}
					return nil
				},
			},
			{
				Name:      "eval",
				Usage:     "evaluate one input file and print the decision with the rules that fired",
				ArgsUsage: "input.json",
				Description: `The input is either a policy input document ({"event", "signals", "user"}),
as the engine gives the policy, or an event as the world platform sends it,
which is classified first.

With --labelled FILE it scores the live bundle (and --candidate, with
--thresholds laid over its data) on labelled events instead: a JSON-lines
file of {"event": {…}, "expected": {"action": A, "categories": [C…]}}, and
prints precision and recall per category and the confusion of actions.`,
				Flags: engineFlags(&cli.BoolFlag{Name: "json", Usage: "print only the decision as JSON"},
					&cli.StringFlag{Name: "labelled", Usage: "JSON-lines file of labelled events to score the bundles on"},
					&cli.StringFlag{Name: "candidate", Usage: "with --labelled: a candidate bundle folder scored beside the live one"},
					&cli.StringFlag{Name: "thresholds", Usage: "with --candidate: JSON file whose leaves replace the candidate's data"}),
				Action: func(c *cli.Context) error {
					if c.String("labelled") != "" {
						return policyEvalLabelled(c)
					}
					if c.String("candidate") != "" || c.String("thresholds") != "" {
						return errors.New("--candidate and --thresholds go with --labelled")
					}
					return policyEval(c)
				},
			},
			{
				Name:  "revision",
				Usage: "print the bundle's revision (a content hash)",
				Flags: []cli.Flag{policiesFlag},
				Action: func(c *cli.Context) error {
					b, err := loadBundle(configFrom(c))
					if err != nil {
						return err
					}
					fmt.Fprintln(c.App.Writer, b.Revision)
					return nil
				},
			},
		}, append(policyControlCommands(), policyReplayCommand())...),
	}
}

func policyEval(c *cli.Context) error {
	log, err := logger(c)
	if err != nil {
		return err
	}
	data, err := readInput(c)
	if err != nil {
		return err
	}
	var probe struct {
		Signals jsontext.Value `json:"signals"`
	}
	if err := engine.PeekJSON(data, &probe); err != nil {
		return fmt.Errorf("input: %w", err)
	}
	k, err := newCore(c.Context, configFrom(c), log)
	if err != nil {
		return err
	}
	var res *engine.PolicyResult
	if probe.Signals != nil {
		var in engine.PolicyInput
		if err := engine.DecodeJSON(data, &in); err != nil {
			return fmt.Errorf("policy input: %w", err)
		}
		if in.Signals.Scores == nil {
			in.Signals.Scores = engine.Scores{}
		}
		res, err = k.policy.Evaluate(c.Context, &in)
	} else {
		var ev *engine.Event
		if ev, err = engine.DecodeEvent(data); err != nil {
			return err
		}
		var d *engine.Decision
		if d, err = k.pipeline.Decide(c.Context, ev); err == nil {
			res = decisionAsResult(d)
		}
	}
	if err != nil {
		return err
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	printResult(c, res)
	return nil
}

func decisionAsResult(d *engine.Decision) *engine.PolicyResult {
	return &engine.PolicyResult{
		Action: d.Action, Categories: d.Categories, RuleIDs: d.RuleIDs,
		Principle: d.Principle, Value: d.Value, Severity: d.Severity,
		Reasons: d.Reasons, Queue: d.Queue, Fired: d.Fired, Revision: d.PolicyRevision,
	}
}

func printResult(c *cli.Context, r *engine.PolicyResult) {
	w := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "action:\t%s\n", r.Action)
	fmt.Fprintf(w, "severity:\t%s\n", r.Severity)
	if r.Principle != "" {
		fmt.Fprintf(w, "principle:\t%s (%s)\n", r.Principle, r.Value)
	}
	if r.Queue != "" {
		fmt.Fprintf(w, "queue:\t%s\n", r.Queue)
	}
	fmt.Fprintf(w, "revision:\t%s\n", r.Revision)
	w.Flush()
	if len(r.Fired) == 0 {
		fmt.Fprintln(c.App.Writer, "\nno rule fired")
		return
	}
	fmt.Fprintln(c.App.Writer, "\nrules fired:")
	w = tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "  RULE\tACTION\tCATEGORY\tSEVERITY\tQUEUE")
	for _, f := range r.Fired {
		action := string(f.Action)
		if f.DowngradedFrom != "" {
			action += " (from " + string(f.DowngradedFrom) + ")"
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\t%s\t%s\n", f.RuleID, action, f.Category, f.Severity, f.Queue)
	}
	w.Flush()
	fmt.Fprintln(c.App.Writer, "\nreasons:")
	for _, rs := range r.Reasons {
		fmt.Fprintf(c.App.Writer, "  %s\n    ko: %s\n    en: %s\n", rs.RuleID, rs.KO, rs.EN)
	}
}
