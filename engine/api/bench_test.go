package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine/store"
)

// BenchmarkPostReport files reports in parallel over HTTP into SQLite,
// with API keys checked, and reports requests/s and the 99th-percentile
// latency.
func BenchmarkPostReport(b *testing.B) {
	e := newEnv(b, func(c *Config, st *store.Store) {
		c.Keys = st
		c.Now = time.Now
		c.ReportLimits = RateLimits{PerMinute: -1, PerDay: -1}
		c.KeyLimits = KeyLimits{ReportsPerMinute: -1, ReportsPerDay: -1}
	})
	key, _, err := e.store.CreateAPIKey(b.Context(), "bench", []string{store.ScopeReportWrite}, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	client := e.srv.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 256
	var (
		mu        sync.Mutex
		latencies []time.Duration
		seq       atomic.Int64
	)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			n := seq.Add(1)
			body, _ := json.Marshal(report(fmt.Sprintf("reporter-%d", n%1000), fmt.Sprintf("e-%d", n%5000)))
			req, _ := http.NewRequest("POST", e.srv.URL+"/v1/reports", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+key)
			t := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			resp.Body.Close()
			mine = append(mine, time.Since(t))
			if resp.StatusCode != 201 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
		mu.Lock()
		latencies = append(latencies, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if len(latencies) == 0 {
		return
	}
	slices.Sort(latencies)
	b.ReportMetric(float64(len(latencies))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
}
