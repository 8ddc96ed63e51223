package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/engine/store"
)

// retentionFlags set how long personal data is kept beside
// --snapshot-retention (kafkaFlags); housekeeping applies them every hour
// (engine/retention).
var retentionFlags = []cli.Flag{
	&cli.DurationFlag{Name: "report-text-retention", Value: store.DefaultRetention().ReportText,
		Usage: "how long a report's free text (details, location) is kept after its case closes"},
	&cli.DurationFlag{Name: "appeal-text-retention", Value: store.DefaultRetention().AppealText,
		Usage: "how long an appeal's reason and reviewers' proposal note are kept after it is decided"},
	&cli.DurationFlag{Name: "decision-evidence-retention", Value: store.DefaultDecisionEvidenceRetention,
		Usage: "how long a decision keeps its evidence (scores, PII and term spans, masked text) before it is cut to what a statement of reasons needs; at least the appeal window (4392h)"},
}

// retentionFrom reads the retention flags.
func retentionFrom(c *cli.Context) (store.Retention, error) {
	r := store.Retention{
		Snapshots: c.Duration("snapshot-retention"), ReportText: c.Duration("report-text-retention"),
		AppealText: c.Duration("appeal-text-retention"), DecisionEvidence: c.Duration("decision-evidence-retention"),
	}
	if err := r.Validate(); err != nil {
		return r, fmt.Errorf("retention flags: %w", err)
	}
	return r, nil
}
