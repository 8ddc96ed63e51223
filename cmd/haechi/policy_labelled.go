package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/behaviour"
)

// labelledEvent is one line of a labelled file (haechi policy eval
// --labelled): an event as the API takes it, and what a person decided it
// deserves:
//
//	{"event": {…}, "expected": {"action": "block", "categories": ["insult"]}}
//
// Both keys are required and no other is allowed; expected.action is a
// content action, expected.categories lists the categories the decision
// should name (empty for allow), each once.
type labelledEvent struct {
	Event    *engine.Event `json:"event"`
	Expected *struct {
		Action     engine.Action      `json:"action"`
		Categories *[]engine.Category `json:"categories"`
	} `json:"expected"`
}

// maxLabelled bounds a labelled file's lines.
const maxLabelled = 1_000_000

// readLabelled reads a labelled file strictly: any line that does not
// parse, validate or name a known action and categories stops the
// evaluation with its line number, since a score over a silently shorter
// set would mislead. Blank lines are skipped.
func readLabelled(r io.Reader) ([]*engine.Event, []labelExpected, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), engine.MaxEventBytes+4<<10)
	var evs []*engine.Event
	var want []labelExpected
	seen := map[string]int{}
	line := 0
	for sc.Scan() {
		line++
		raw := sc.Bytes()
		if len(strings.TrimSpace(string(raw))) == 0 {
			continue
		}
		if len(evs) == maxLabelled {
			return nil, nil, fmt.Errorf("line %d: more than %d labelled events", line, maxLabelled)
		}
		var le labelledEvent
		if err := engine.DecodeJSON(raw, &le); err != nil {
			return nil, nil, fmt.Errorf("line %d: %w", line, err)
		}
		if err := checkLabelled(&le); err != nil {
			return nil, nil, fmt.Errorf("line %d: %w", line, err)
		}
		if first, dup := seen[le.Event.ID]; dup {
			return nil, nil, fmt.Errorf("line %d: event id %s is already on line %d", line, le.Event.ID, first)
		}
		seen[le.Event.ID] = line
		evs = append(evs, le.Event)
		want = append(want, labelExpected{le.Expected.Action, *le.Expected.Categories})
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	if len(evs) == 0 {
		return nil, nil, errors.New("no labelled events")
	}
	return evs, want, nil
}

func checkLabelled(le *labelledEvent) error {
	switch {
	case le.Event == nil:
		return errors.New("event is missing")
	case le.Expected == nil:
		return errors.New("expected is missing")
	case !slices.Contains(engine.Actions, le.Expected.Action):
		return fmt.Errorf("expected.action: %q is not one of %v", le.Expected.Action, engine.Actions)
	case le.Expected.Categories == nil:
		return errors.New("expected.categories is missing (use [] for none)")
	}
	if err := le.Event.Validate(); err != nil {
		return err
	}
	cats := *le.Expected.Categories
	for i, c := range cats {
		if !c.Valid() {
			return fmt.Errorf("expected.categories: %q is not a category", c)
		}
		if slices.Contains(cats[:i], c) {
			return fmt.Errorf("expected.categories: %q appears twice", c)
		}
	}
	return nil
}

type labelExpected struct {
	action     engine.Action
	categories []engine.Category
}

// labelScore is how one bundle did on the labelled events.
type labelScore struct {
	Revision string `json:"revision"`
	// Actions[expected][decided] counts events.
	Actions    map[engine.Action]map[engine.Action]int `json:"actions"`
	Correct    int                                     `json:"actions_correct"`
	Categories map[engine.Category]*categoryScore      `json:"categories"`
}

type categoryScore struct {
	Expected  int     `json:"expected"`
	TP        int     `json:"true_positives"`
	FP        int     `json:"false_positives"`
	FN        int     `json:"false_negatives"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
}

func newLabelScore(rev string) *labelScore {
	return &labelScore{Revision: rev, Actions: map[engine.Action]map[engine.Action]int{}, Categories: map[engine.Category]*categoryScore{}}
}

func (s *labelScore) add(want labelExpected, d *engine.Decision) {
	if s.Actions[want.action] == nil {
		s.Actions[want.action] = map[engine.Action]int{}
	}
	s.Actions[want.action][d.Action]++
	if want.action == d.Action {
		s.Correct++
	}
	cat := func(c engine.Category) *categoryScore {
		if s.Categories[c] == nil {
			s.Categories[c] = &categoryScore{}
		}
		return s.Categories[c]
	}
	for _, c := range want.categories {
		cs := cat(c)
		cs.Expected++
		if slices.Contains(d.Categories, c) {
			cs.TP++
		} else {
			cs.FN++
		}
	}
	for _, c := range d.Categories {
		if !slices.Contains(want.categories, c) {
			cat(c).FP++
		}
	}
}

func (s *labelScore) finish() {
	for _, cs := range s.Categories {
		if cs.TP+cs.FP > 0 {
			cs.Precision = float64(cs.TP) / float64(cs.TP+cs.FP)
		}
		if cs.TP+cs.FN > 0 {
			cs.Recall = float64(cs.TP) / float64(cs.TP+cs.FN)
		}
	}
}

// labelledReport is what haechi policy eval --labelled prints.
type labelledReport struct {
	Events    int         `json:"events"`
	Live      *labelScore `json:"live"`
	Candidate *labelScore `json:"candidate,omitempty"`
}

// policyEvalLabelled scores the live bundle, and the candidate if given,
// on a labelled file.
func policyEvalLabelled(c *cli.Context) error {
	if c.NArg() > 0 {
		return errors.New("--labelled takes no input file argument")
	}
	log, err := logger(c)
	if err != nil {
		return err
	}
	f, err := os.Open(c.String("labelled"))
	if err != nil {
		return fmt.Errorf("--labelled: %w", err)
	}
	evs, want, err := readLabelled(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("--labelled %s: %w", c.String("labelled"), err)
	}
	if c.String("candidate") == "" && c.String("thresholds") != "" {
		return errors.New("--thresholds needs --candidate")
	}
	k, err := newCore(c.Context, configFrom(c), log)
	if err != nil {
		return err
	}
	var cand *candidate
	if dir := c.String("candidate"); dir != "" {
		if cand, err = loadCandidate(c.Context, k, dir, c.String("thresholds")); err != nil {
			return err
		}
	}
	rep := labelledReport{Events: len(evs), Live: newLabelScore(k.policy.Revision())}
	if cand != nil {
		rep.Candidate = newLabelScore(cand.Revision)
	}
	index := make(map[*engine.Event]int, len(evs))
	for i, ev := range evs {
		index[ev] = i
	}
	var bad []string
	tr, err := behaviour.NewTracker(behaviour.TrackerConfig{})
	if err != nil {
		return err
	}
	for start := 0; start < len(evs); start += replayBatch {
		batch := evs[start:min(start+replayBatch, len(evs))]
		err := decideBoth(c.Context, k, cand, tr, batch, nil, func(ev *engine.Event, live, cd *engine.Decision, _ bool) {
			rep.Live.add(want[index[ev]], live)
			if cd != nil {
				rep.Candidate.add(want[index[ev]], cd)
			}
		}, func(reason string) { bad = append(bad, reason) })
		if err != nil {
			return err
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%d labelled events could not be decided: %s", len(bad), strings.Join(bad, "; "))
	}
	rep.Live.finish()
	if rep.Candidate != nil {
		rep.Candidate.finish()
	}
	if c.Bool("json") {
		return writeJSON(c.App.Writer, rep)
	}
	printLabelled(c.App.Writer, rep)
	return nil
}

func printLabelled(w io.Writer, rep labelledReport) {
	scores := []*labelScore{rep.Live}
	names := []string{"live " + rep.Live.Revision}
	if rep.Candidate != nil {
		scores = append(scores, rep.Candidate)
		names = append(names, "candidate "+rep.Candidate.Revision)
	}
	fmt.Fprintf(w, "%d labelled events\n", rep.Events)
	for i, s := range scores {
		fmt.Fprintf(w, "%s: %d of %d actions as labelled (%.1f %%)\n", names[i], s.Correct, rep.Events, 100*float64(s.Correct)/float64(rep.Events))
	}
	var cats []engine.Category
	for _, s := range scores {
		for c := range s.Categories {
			if !slices.Contains(cats, c) {
				cats = append(cats, c)
			}
		}
	}
	slices.Sort(cats)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "\nCATEGORY\tLABELLED\t")
	for _, n := range []string{"live", "candidate"}[:len(scores)] {
		fmt.Fprintf(tw, "%s P\t%s R\t", n, n)
	}
	fmt.Fprintln(tw)
	for _, c := range cats {
		labelled := 0
		if cs := scores[0].Categories[c]; cs != nil {
			labelled = cs.Expected
		}
		fmt.Fprintf(tw, "%s\t%d\t", c, labelled)
		for _, s := range scores {
			cs := s.Categories[c]
			if cs == nil {
				cs = &categoryScore{}
			}
			fmt.Fprintf(tw, "%s\t%s\t", ratio(cs.Precision, cs.TP+cs.FP), ratio(cs.Recall, cs.TP+cs.FN))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nactions (rows: labelled; columns: decided)")
	fmt.Fprint(tw, "LABELLED\t")
	for _, n := range []string{"live", "candidate"}[:len(scores)] {
		for _, a := range engine.Actions {
			fmt.Fprintf(tw, "%s %s\t", n, a)
		}
	}
	fmt.Fprintln(tw)
	for _, want := range engine.Actions {
		if scores[0].Actions[want] == nil {
			continue
		}
		fmt.Fprintf(tw, "%s\t", want)
		for _, s := range scores {
			for _, a := range engine.Actions {
				fmt.Fprintf(tw, "%d\t", s.Actions[want][a])
			}
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

// ratio prints a precision or recall, or "-" when nothing was counted.
func ratio(v float64, of int) string {
	if of == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}
