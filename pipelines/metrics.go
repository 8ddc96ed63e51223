package pipelines

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the workers' Prometheus series. Register them once per
// process; every worker in the process shares them.
type Metrics struct {
	consumed   *prometheus.CounterVec   // topic
	decided    *prometheus.CounterVec   // topic, action
	redeliver  *prometheus.CounterVec   // topic
	deadLetter *prometheus.CounterVec   // topic, class
	lag        *prometheus.GaugeVec     // topic, partition
	latency    *prometheus.HistogramVec // topic
	batch      prometheus.Histogram
	publishErr prometheus.Counter
	commitErr  prometheus.Counter
}

// NewMetrics makes the series and registers them with reg (nil: not
// registered, for tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		consumed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "haechi_pipeline_events_consumed_total", Help: "Input messages fetched, by topic.",
		}, []string{"topic"}),
		decided: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "haechi_pipeline_events_decided_total", Help: "Events decided and published, by topic and action (redeliveries included).",
		}, []string{"topic", "action"}),
		redeliver: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "haechi_pipeline_redelivered_total", Help: "Events that already had a stored decision, which was republished unchanged.",
		}, []string{"topic"}),
		deadLetter: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "haechi_pipeline_dead_letters_total", Help: "Messages sent to the dead-letter topic, by original topic and class.",
		}, []string{"topic", "class"}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "haechi_pipeline_consumer_lag", Help: "Messages behind the partition's high-water mark at the last fetch.",
		}, []string{"topic", "partition"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "haechi_pipeline_decision_latency_seconds",
			Help:    "From the input message's timestamp to its decision being published.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"topic"}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "haechi_pipeline_batch_seconds",
			Help:    "Time to decide, store, publish and commit one fetched batch.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		publishErr: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "haechi_pipeline_publish_errors_total", Help: "Failed publishes of decisions, actions or dead letters (retried).",
		}),
		commitErr: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "haechi_pipeline_commit_errors_total", Help: "Failed offset commits (the batch is redelivered).",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.Collectors()...)
	}
	return m
}

// Collectors lists the series, to register them elsewhere.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.consumed, m.decided, m.redeliver, m.deadLetter, m.lag, m.latency, m.batch, m.publishErr, m.commitErr}
}

func (m *Metrics) observeFetch(topic string, partition int, offset, highWater int64) {
	m.consumed.WithLabelValues(topic).Inc()
	if highWater > 0 {
		m.lag.WithLabelValues(topic, strconv.Itoa(partition)).Set(float64(max(highWater-offset-1, 0)))
	}
}

func (m *Metrics) observeDecided(topic, action string, produced time.Time, now time.Time) {
	m.decided.WithLabelValues(topic, action).Inc()
	if !produced.IsZero() {
		m.latency.WithLabelValues(topic).Observe(now.Sub(produced).Seconds())
	}
}
