// Package policies holds Haechi's default code-of-ethics policy bundle:
// Rego v1 modules organised by principle, their tests, and data.json with
// the thresholds per category and space type. The bundle is compiled into
// the haechi binary so that it runs with no files beside it; operators who
// tune policies point --policies at a copy of this folder instead.
package policies

import "embed"

// FS is the default bundle.
//
//go:embed *.rego data.json models/data.json
var FS embed.FS
