// Package telemetry holds Haechi's Prometheus metrics: what was decided, how
// fast, and which policy revision is serving. Components record into one
// Metrics value; /metrics exposes its registry.
package telemetry

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/haechi-tns/haechi/engine"
)

// Metrics records decisions. It is safe for concurrent use.
type Metrics struct {
	Registry   *prometheus.Registry
	decisions  *prometheus.CounterVec
	categories *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	errors     *prometheus.CounterVec
	revision   *prometheus.GaugeVec
	retries    *prometheus.CounterVec
	// follow-up decisions of images decided before their text was read
	followUps       *prometheus.CounterVec
	followUpFull    prometheus.Counter
	followUpLatency prometheus.Histogram
}

// New creates the metrics and registers them, with Go runtime and process
// collectors, in a new registry.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "haechi_decisions_total",
			Help: "Decisions made, by event kind and action.",
		}, []string{"kind", "action"}),
		categories: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "haechi_decision_categories_total",
			Help: "Categories named in decisions, by action.",
		}, []string{"category", "action"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "haechi_decision_duration_seconds",
			Help:    "Time to decide one event: classifiers, user context and policy.",
			Buckets: []float64{50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3},
		}, []string{"kind"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "haechi_decide_errors_total",
			Help: "Events that could not be decided, by reason (invalid input or internal failure).",
		}, []string{"reason"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "haechi_moderation_retries_total",
			Help: "Events (or images) the moderation service tried again, by stage: lookup, blob, decide, save.",
		}, []string{"stage"}),
		revision: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "haechi_policy_revision_info",
			Help: "The policy revision serving: 1 for the current revision.",
		}, []string{"revision"}),
	}
	m.followUps = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "haechi_followup_readings_total",
		Help: "Readings of images' text left for after the first decision, by result: published (a follow-up decision superseded the first), unchanged (the first stands), retried, failed (given up; the first stands), lease_lost (another instance had taken it).",
	}, []string{"result"})
	m.followUpFull = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "haechi_followup_queue_full_total",
		Help: "Readings that found the follow-up queue full: they wait in the store and are taken when it has room.",
	})
	m.followUpLatency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "haechi_followup_latency_seconds",
		Help:    "From an image's first decision to the end of its follow-up (published or not).",
		Buckets: []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800},
	})
	m.Registry.MustRegister(m.decisions, m.categories, m.latency, m.errors, m.revision, m.retries,
		m.followUps, m.followUpFull, m.followUpLatency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveDecision records one decision and how long it took.
func (m *Metrics) ObserveDecision(d *engine.Decision, took time.Duration) {
	m.decisions.WithLabelValues(string(d.EventKind), string(d.Action)).Inc()
	for _, c := range d.Categories {
		m.categories.WithLabelValues(string(c), string(d.Action)).Inc()
	}
	m.latency.WithLabelValues(string(d.EventKind)).Observe(took.Seconds())
}

// ObserveError records an event that could not be decided.
func (m *Metrics) ObserveError(invalid bool) {
	reason := "internal"
	if invalid {
		reason = "invalid"
	}
	m.errors.WithLabelValues(reason).Inc()
}

// SetRevision marks revision as the one serving.
func (m *Metrics) SetRevision(revision string) {
	m.revision.Reset()
	m.revision.WithLabelValues(revision).Set(1)
}

// ObserveRetry records n events of a moderation stage tried again.
func (m *Metrics) ObserveRetry(stage string, n int) {
	m.retries.WithLabelValues(stage).Add(float64(n))
}

// ObserveFollowUp records the end of one follow-up reading (see
// haechi_followup_readings_total) and, for published and unchanged, the
// time since the first decision.
func (m *Metrics) ObserveFollowUp(result string, sinceFirst time.Duration) {
	m.followUps.WithLabelValues(result).Inc()
	if result == "published" || result == "unchanged" {
		m.followUpLatency.Observe(sinceFirst.Seconds())
	}
}

// FollowUpQueueFull records n readings that found the queue full.
func (m *Metrics) FollowUpQueueFull(n int) { m.followUpFull.Add(float64(n)) }
