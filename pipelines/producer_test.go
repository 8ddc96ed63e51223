package pipelines_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/pipelines"
	"github.com/haechi-tns/haechi/pipelines/broker"
)

// TestCheckSessionTimeout: a session timeout the brokers would refuse at
// every join is refused before the worker starts, naming the broker
// setting; one within their range passes. The embedded broker accepts
// from a second, so a crashed worker's partitions can move in 3 s.
func TestCheckSessionTimeout(t *testing.T) {
	b, err := broker.Start(broker.Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, tc := range []struct {
		session time.Duration
		refused string
	}{
		{3 * time.Second, ""},
		{10 * time.Second, ""},
		{broker.MinSessionTimeout, ""},
		{500 * time.Millisecond, "group.min.session.timeout.ms"},
		{10 * time.Minute, "group.max.session.timeout.ms"},
	} {
		checked, err := pipelines.CheckSessionTimeout(ctx, []string{b.Addr()}, tc.session)
		if !checked {
			t.Errorf("%v: the embedded broker's limits were not read", tc.session)
		}
		if tc.refused == "" && err != nil {
			t.Errorf("%v refused: %v", tc.session, err)
		}
		if tc.refused != "" && (err == nil || !strings.Contains(err.Error(), tc.refused)) {
			t.Errorf("%v: error %v, want one naming %s", tc.session, err, tc.refused)
		}
	}
}
