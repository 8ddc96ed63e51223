package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/policy"
	"github.com/haechi-tns/haechi/engine/shadow"
	"github.com/haechi-tns/haechi/engine/store"
)

// policyControlCommands are the policy subcommands that change what every
// instance runs, through the store's policy control.
func policyControlCommands() []*cli.Command {
	storeFlags := []cli.Flag{databaseFlag, dataDirFlag}
	return []*cli.Command{
		{
			Name:  "shadow",
			Usage: "run a candidate bundle beside the live one on live traffic, enforcing nothing",
			Subcommands: []*cli.Command{
				{
					Name:      "start",
					Usage:     "check a bundle folder, keep it in the store and put it in the shadow on every instance",
					ArgsUsage: "DIR",
					Description: `The bundle must compile, pass its Rego tests, agree with the engine on
lib.computed_reached, hold thresholds for the loaded text models and review
settings the store accepts, as a bundle must to serve. A refused bundle is
reported with the reason and nothing changes. Every instance (haechi serve,
worker, api on this database) picks the candidate up within --policy-poll.`,
					Flags:  engineFlags(databaseFlag),
					Action: policyShadowStart,
				},
				{
					Name:   "stop",
					Usage:  "end the shadow on every instance",
					Flags:  storeFlags,
					Action: policyControlAction("stop"),
				},
				{
					Name:  "status",
					Usage: "print the live and candidate revisions, each instance's, and the candidate's differences",
					Flags: append(slices.Clone(storeFlags),
						&cli.IntFlag{Name: "examples", Value: 10, Usage: "differing decisions to print"},
						&cli.BoolFlag{Name: "json", Usage: "print JSON"}),
					Action: policyShadowStatus,
				},
			},
		},
		{
			Name:        "promote",
			Usage:       "make the shadow's candidate the live revision on every instance (audited)",
			Description: `The live revision before it is kept: haechi policy rollback returns to it.`,
			Flags:       storeFlags,
			Action:      policyControlAction("promote"),
		},
		{
			Name:  "rollback",
			Usage: "make the previous live revision live again on every instance (audited)",
			Description: `Before the first promotion there is nothing to roll back; rolling back the
first promotion returns every instance to the bundle it was started with
(--policies, or the built-in one). A second rollback undoes the first.`,
			Flags:  storeFlags,
			Action: policyControlAction("rollback"),
		},
	}
}

func policyShadowStart(c *cli.Context) error {
	if c.NArg() != 1 {
		return errors.New("want one bundle folder")
	}
	dir := c.Args().First()
	log, err := logger(c)
	if err != nil {
		return err
	}
	files, err := policy.ReadFiles(os.DirFS(dir))
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	b, err := policy.LoadFiles(files)
	if err != nil {
		return fmt.Errorf("candidate refused: %s: %w", dir, err)
	}
	k, err := newCore(c.Context, configFrom(c), log)
	if err != nil {
		return err
	}
	if _, err := k.candidateEngine(c.Context, b); err != nil {
		return fmt.Errorf("candidate refused: %w", err)
	}
	st, err := openStore(c)
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now()
	if err := st.SavePolicyRevision(c.Context, store.PolicyRevision{Revision: b.Revision, Files: files, Tests: len(b.Tests), UploadedBy: cliActor(), UploadedAt: now}); err != nil {
		return err
	}
	ctl, err := st.StartShadow(c.Context, b.Revision, cliActor(), now)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "revision %s is in the shadow beside live revision %s (generation %d); haechi policy shadow status shows its differences\n",
		b.Revision, orOwn(ctl.LiveRevision), ctl.Generation)
	return nil
}

// orOwn names a live revision, or what serves when there is none.
func orOwn(rev string) string {
	if rev == "" {
		return "(each instance's own bundle)"
	}
	return rev
}

// policyControlAction runs stop, promote or rollback on the store.
func policyControlAction(what string) cli.ActionFunc {
	return func(c *cli.Context) error {
		st, err := openStore(c)
		if err != nil {
			return err
		}
		defer st.Close()
		now := time.Now()
		var ctl *store.PolicyControl
		switch what {
		case "stop":
			ctl, err = st.StopShadow(c.Context, cliActor(), now)
		case "promote":
			ctl, err = st.PromoteCandidate(c.Context, cliActor(), now)
		case "rollback":
			ctl, err = st.RollbackPolicy(c.Context, cliActor(), now)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(c.App.Writer, "%s: live revision %s, previous %s, candidate %s (generation %d); every instance applies it within its --policy-poll\n",
			what, orOwn(ctl.LiveRevision), orNone(ctl.PreviousRevision), orNone(ctl.CandidateRevision), ctl.Generation)
		return nil
	}
}

func orNone(rev string) string {
	if rev == "" {
		return "none"
	}
	return rev
}

// shadowStatus is what haechi policy shadow status prints.
type shadowStatus struct {
	Control   *store.PolicyControl   `json:"control"`
	Instances []store.PolicyInstance `json:"instances"`
	Diff      *diffReport            `json:"diff,omitempty"`
}

func policyShadowStatus(c *cli.Context) error {
	st, err := openStore(c)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := c.Context
	ctl, err := st.PolicyControl(ctx)
	if err != nil {
		return err
	}
	instances, err := st.PolicyInstances(ctx, time.Now().Add(-time.Minute))
	if err != nil {
		return err
	}
	out := shadowStatus{Control: ctl, Instances: instances}
	if ctl.CandidateRevision != "" {
		counts, err := st.ShadowCounts(ctx, ctl.CandidateRevision)
		if err != nil {
			return err
		}
		samples, err := st.ShadowSamples(ctx, ctl.CandidateRevision, c.Int("examples"))
		if err != nil {
			return err
		}
		t := shadow.NewTally(0)
		t.Merge(counts)
		t.Examples = samples
		out.Diff = newDiffReport(t)
	}
	if c.Bool("json") {
		return writeJSON(c.App.Writer, out)
	}
	w := c.App.Writer
	fmt.Fprintf(w, "live revision:      %s\nprevious revision:  %s\ncandidate (shadow): %s\ngeneration %d, changed by %s at %s\n",
		orOwn(ctl.LiveRevision), orNone(ctl.PreviousRevision), orNone(ctl.CandidateRevision), ctl.Generation, orNone(ctl.UpdatedBy), ctl.UpdatedAt.Format(time.RFC3339))
	fmt.Fprintf(w, "\ninstances seen in the last minute: %d\n", len(instances))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, in := range instances {
		state := "in line"
		switch {
		case in.Problem != "":
			state = "PROBLEM: " + in.Problem
		case in.Generation != ctl.Generation:
			state = fmt.Sprintf("applying (at generation %d)", in.Generation)
		}
		fmt.Fprintf(tw, "  %s\tlive %s\tcandidate %s\t%s\n", in.ID, in.LiveRevision, orNone(in.CandidateRevision), state)
	}
	tw.Flush()
	if out.Diff != nil {
		fmt.Fprintln(w)
		printDiff(w, out.Diff)
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// diffReport is a Tally as the CLI prints it (table or JSON).
type diffReport struct {
	Compared    int64                   `json:"compared"`
	Differing   int64                   `json:"differing"`
	Failures    map[string]int64        `json:"failures,omitempty"`
	Transitions []shadow.Transition     `json:"action_changes"`
	Dims        map[string][]shadow.Row `json:"by"`
	// DifferingBySpace counts differing decisions per space type (in
	// the candidate column).
	DifferingBySpace []shadow.Row          `json:"differing_by_space"`
	Examples         []engine.ShadowSample `json:"examples"`
}

func newDiffReport(t *shadow.Tally) *diffReport {
	r := &diffReport{Compared: t.Compared, Differing: t.Differing, Failures: t.Failures(), Transitions: t.Transitions(),
		Dims: map[string][]shadow.Row{}, DifferingBySpace: t.DifferingBySpace(), Examples: t.Examples}
	for _, d := range shadow.Dims {
		r.Dims[d] = t.Rows(d)
	}
	if r.Examples == nil {
		r.Examples = []engine.ShadowSample{}
	}
	return r
}

// printDiff prints a diff: totals, changes of action, and per dimension
// the counts before (live) and after (candidate).
func printDiff(w io.Writer, r *diffReport) {
	pct := 0.0
	if r.Compared > 0 {
		pct = 100 * float64(r.Differing) / float64(r.Compared)
	}
	fmt.Fprintf(w, "compared %d decisions: %d differ (%.2f %%)\n", r.Compared, r.Differing, pct)
	if len(r.Failures) > 0 {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(r.Failures)) {
			parts = append(parts, fmt.Sprintf("%s %d", k, r.Failures[k]))
		}
		fmt.Fprintf(w, "not compared: %s\n", strings.Join(parts, ", "))
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	if len(r.Transitions) > 0 {
		fmt.Fprintln(w, "\naction changes (live → candidate):")
		for _, tr := range r.Transitions {
			fmt.Fprintf(tw, "  %s → %s\t%d\t\n", tr.Live, tr.Candidate, tr.N)
		}
		tw.Flush()
	}
	titles := map[string]string{shadow.DimAction: "action", shadow.DimCategory: "category", shadow.DimRule: "rule", shadow.DimSpace: "space type (restricted)"}
	for _, d := range shadow.Dims {
		rows := r.Dims[d]
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(w, "\nby %s:\n", titles[d])
		fmt.Fprintf(tw, "  %s\tlive\tcandidate\tchange\t\n", strings.ToUpper(d))
		for _, row := range rows {
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%+d\t\n", row.Key, row.Live, row.Candidate, row.Change())
		}
		tw.Flush()
	}
	if len(r.DifferingBySpace) > 0 {
		fmt.Fprintln(w, "\ndiffering decisions by space type:")
		for _, row := range r.DifferingBySpace {
			fmt.Fprintf(tw, "  %s\t%d\t\n", row.Key, row.Candidate)
		}
		tw.Flush()
	}
	if len(r.Examples) > 0 {
		fmt.Fprintln(w, "\nexamples:")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  EVENT\tSPACE\tLIVE\tCANDIDATE\tRULES (live → candidate)")
		for _, s := range r.Examples {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s → %s\n", s.EventID, s.SpaceType, s.Live.Action, s.Candidate.Action,
				orDash(strings.Join(s.Live.RuleIDs, ",")), orDash(strings.Join(s.Candidate.RuleIDs, ",")))
		}
		tw.Flush()
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
