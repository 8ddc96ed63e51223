package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/policies"
)

// ReviewConfig is how the review queue routes reports and orders cases.
// It is policy data, not code: a policy bundle holds it at
// data.haechi.config.review (see policies/data.json), so operators tune
// it, and review and version it, with the thresholds. ReviewConfigFromData
// reads and checks it once per bundle revision; the command wiring hands it
// to the store with (*Store).SetReview when a revision starts serving.
// Until then the store uses the built-in bundle's (policies.FS).
//
// A ReviewConfig is not modified after it is checked: SetReview keeps its
// own copy.
type ReviewConfig struct {
	Priority PriorityWeights `json:"priority"`
	Reports  ReportRouting   `json:"reports"`
}

// PriorityWeights make a case's priority: the base of its severity, plus
// the largest bonus among its categories, plus PerReporter for each
// distinct counted reporter up to MaxReporters, plus YouthSpace in a
// youth space, plus Minor when a minor is involved, plus Overdue once
// when it passes its SLA. Each weight is between 0 and maxWeight.
type PriorityWeights struct {
	// Severity is the base of each severity a decision may carry (none,
	// low, medium, high, critical); reports carry none.
	Severity     map[string]int          `json:"severity"`
	Categories   map[engine.Category]int `json:"categories"`
	PerReporter  int                     `json:"per_reporter"`
	MaxReporters int                     `json:"max_reporters"`
	YouthSpace   int                     `json:"youth_space"`
	Minor        int                     `json:"minor"`
	Overdue      int                     `json:"overdue"`
}

// ReportRouting sends a report's case to a queue: by its category when
// Categories names it, else by its space type when Spaces names that,
// else to Default. A report of an InvolvesMinor category marks its case
// as involving a minor.
type ReportRouting struct {
	Categories    map[engine.Category]string  `json:"categories"`
	Spaces        map[engine.SpaceType]string `json:"spaces"`
	Default       string                      `json:"default"`
	InvolvesMinor []engine.Category           `json:"involves_minor"`
}

// Severities are the severities a decision may carry, lowest first, as
// data.haechi.lib.severity_rank ranks them in the policy.
var Severities = []string{"none", "low", "medium", "high", "critical"}

// reportQueues are the queues a report may be routed to: not the appeals
// queue, which holds appeals only.
var reportQueues = []string{QueueGeneral, QueueYouthSafety, QueueSenior}

// Bounds on weights, so that no sum of them overflows the cases table's
// 32-bit priority column.
const (
	maxWeight    = 100_000
	maxReporters = 1_000
)

// ReviewConfigFromData reads and checks the review settings of a policy
// bundle's data (policy.Bundle.Data): data.haechi.config.review. A
// setting that is missing, unknown, of the wrong type, negative, too
// large, or that names an unknown category, space type or queue is an
// error naming it, so that a bad data.json is refused before it serves.
func ReviewConfigFromData(data map[string]any) (*ReviewConfig, error) {
	v, err := dig(data, "haechi", "config", "review")
	if err != nil {
		return nil, fmt.Errorf("store: review config: %w", err)
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("store: review config: data.haechi.config.review must be an object")
	}
	if err := requireKeys(doc, "data.haechi.config.review", map[string][]string{
		"priority": {"severity", "categories", "per_reporter", "max_reporters", "youth_space", "minor", "overdue"},
		"reports":  {"categories", "spaces", "default", "involves_minor"},
	}); err != nil {
		return nil, fmt.Errorf("store: review config: %w", err)
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("store: review config: %w", err)
	}
	var c ReviewConfig
	if err := engine.DecodeJSON(raw, &c); err != nil {
		// Its message is written for events; say the fields' problems.
		var ve *engine.ValidationError
		if errors.As(err, &ve) {
			problems := make([]string, len(ve.Fields))
			for i, f := range ve.Fields {
				problems[i] = f.Error()
			}
			return nil, fmt.Errorf("store: review config: data.haechi.config.review: %s", strings.Join(problems, "; "))
		}
		return nil, fmt.Errorf("store: review config: data.haechi.config.review: %w", err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// dig walks data down the given keys.
func dig(data map[string]any, keys ...string) (any, error) {
	var v any = data
	for i, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("data.%s must be an object", strings.Join(keys[:i], "."))
		}
		if v, ok = m[k]; !ok {
			return nil, fmt.Errorf("data.%s is missing: the policy bundle must say how to route and order review cases (copy it from the built-in policies/data.json)", strings.Join(keys[:i+1], "."))
		}
	}
	return v, nil
}

// requireKeys checks that doc has every object of want and every key of
// each: JSON decoding cannot tell a missing weight from a zero one.
func requireKeys(doc map[string]any, path string, want map[string][]string) error {
	for _, obj := range slices.Sorted(maps.Keys(want)) {
		m, ok := doc[obj].(map[string]any)
		if !ok {
			return fmt.Errorf("%s.%s must be an object", path, obj)
		}
		for _, k := range want[obj] {
			if _, ok := m[k]; !ok {
				return fmt.Errorf("%s.%s.%s is missing", path, obj, k)
			}
		}
	}
	return nil
}

// Validate checks c as ReviewConfigFromData does; SetReview calls it.
func (c *ReviewConfig) Validate() error {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	weight := func(name string, v, most int) {
		if v < 0 || v > most {
			bad("priority.%s is %d, want 0 to %d", name, v, most)
		}
	}
	p := &c.Priority
	for _, sev := range Severities {
		if _, ok := p.Severity[sev]; !ok {
			bad("priority.severity.%s is missing", sev)
		}
	}
	for _, sev := range slices.Sorted(maps.Keys(p.Severity)) {
		if !slices.Contains(Severities, sev) {
			bad("priority.severity: unknown severity %q, want one of %s", sev, strings.Join(Severities, ", "))
			continue
		}
		weight("severity."+sev, p.Severity[sev], maxWeight)
	}
	for _, cat := range slices.Sorted(maps.Keys(p.Categories)) {
		if !cat.Known() {
			bad("priority.categories: unknown category %q", cat)
			continue
		}
		weight("categories."+string(cat), p.Categories[cat], maxWeight)
	}
	weight("per_reporter", p.PerReporter, maxWeight)
	weight("max_reporters", p.MaxReporters, maxReporters)
	weight("youth_space", p.YouthSpace, maxWeight)
	weight("minor", p.Minor, maxWeight)
	weight("overdue", p.Overdue, maxWeight)

	r := &c.Reports
	queue := func(name, q string) {
		if !slices.Contains(reportQueues, q) {
			bad("reports.%s: unknown queue %q, want one of %s", name, q, strings.Join(reportQueues, ", "))
		}
	}
	for _, cat := range slices.Sorted(maps.Keys(r.Categories)) {
		if !slices.Contains(engine.ReportCategories, cat) {
			bad("reports.categories: %q is not a category a citizen may report", cat)
			continue
		}
		queue("categories."+string(cat), r.Categories[cat])
	}
	for _, sp := range slices.Sorted(maps.Keys(r.Spaces)) {
		if !slices.Contains(engine.SpaceTypes, sp) {
			bad("reports.spaces: unknown space type %q", sp)
			continue
		}
		queue("spaces."+string(sp), r.Spaces[sp])
	}
	queue("default", r.Default)
	for i, cat := range r.InvolvesMinor {
		switch {
		case !slices.Contains(engine.ReportCategories, cat):
			bad("reports.involves_minor: %q is not a category a citizen may report", cat)
		case slices.Contains(r.InvolvesMinor[:i], cat):
			bad("reports.involves_minor: %q is listed twice", cat)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("store: review config: data.haechi.config.review: %s", strings.Join(problems, "; "))
	}
	return nil
}

// clone returns a deep copy of c.
func (c *ReviewConfig) clone() *ReviewConfig {
	out := *c
	out.Priority.Severity = maps.Clone(c.Priority.Severity)
	out.Priority.Categories = maps.Clone(c.Priority.Categories)
	out.Reports.Categories = maps.Clone(c.Reports.Categories)
	out.Reports.Spaces = maps.Clone(c.Reports.Spaces)
	out.Reports.InvolvesMinor = slices.Clone(c.Reports.InvolvesMinor)
	return &out
}

// CasePriority is the priority of a case with these fields, overdue
// bonus apart (see PriorityWeights). A severity the weights do not name
// weighs as none.
func (c *ReviewConfig) CasePriority(severity string, categories []engine.Category, reporters int, spaceType string, involvesMinor bool) int {
	w := &c.Priority
	p, ok := w.Severity[severity]
	if !ok {
		p = w.Severity["none"]
	}
	bonus := 0
	for _, cat := range categories {
		bonus = max(bonus, w.Categories[cat])
	}
	p += bonus + w.PerReporter*min(max(reporters, 0), w.MaxReporters)
	if spaceType == string(engine.SpaceYouth) {
		p += w.YouthSpace
	}
	if involvesMinor {
		p += w.Minor
	}
	return p
}

// ReportQueue is the queue a report of category in a space of spaceType
// goes to (see ReportRouting).
func (c *ReviewConfig) ReportQueue(category engine.Category, spaceType string) string {
	if q, ok := c.Reports.Categories[category]; ok {
		return q
	}
	if q, ok := c.Reports.Spaces[engine.SpaceType(spaceType)]; ok {
		return q
	}
	return c.Reports.Default
}

// ReportInvolvesMinor reports whether a report of category marks its
// case as involving a minor.
func (c *ReviewConfig) ReportInvolvesMinor(category engine.Category) bool {
	return slices.Contains(c.Reports.InvolvesMinor, category)
}

// SetReview makes c the review configuration for cases opened, reported
// on or found overdue from now on; open cases keep their priority until
// one of those recomputes it. The command wiring calls it with
// ReviewConfigFromData(bundle.Data) at start-up and whenever a policy
// revision starts serving (policy.Engine.OnSwap). It refuses a
// configuration that does not pass Validate, keeping the one in use.
// Safe for concurrent use.
func (s *Store) SetReview(c *ReviewConfig) error {
	if c == nil {
		return errors.New("store: review config: nil")
	}
	if err := c.Validate(); err != nil {
		return err
	}
	s.review.Store(c.clone())
	return nil
}

// Review returns the review configuration in use: the last one SetReview
// accepted, or else the built-in bundle's. The caller must not modify it.
func (s *Store) Review() (*ReviewConfig, error) {
	if c := s.review.Load(); c != nil {
		return c, nil
	}
	return builtinReview()
}

// builtinReview reads the review settings of the policy bundle compiled
// into the binary, once. Its tests keep it valid.
var builtinReview = sync.OnceValues(func() (*ReviewConfig, error) {
	src, err := fs.ReadFile(policies.FS, "data.json")
	if err != nil {
		return nil, fmt.Errorf("store: built-in review config: %w", err)
	}
	v, err := engine.DecodeJSONValue(src)
	if err != nil {
		return nil, fmt.Errorf("store: built-in review config: policies/data.json: %w", err)
	}
	data, _ := v.(map[string]any)
	c, err := ReviewConfigFromData(data)
	if err != nil {
		return nil, fmt.Errorf("built-in policies/data.json: %w", err)
	}
	return c, nil
})

// reviewSetting holds the Store's review configuration; nil until
// SetReview.
type reviewSetting struct{ atomic.Pointer[ReviewConfig] }
