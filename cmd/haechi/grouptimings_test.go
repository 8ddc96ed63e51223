package main

import (
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
)

// TestGroupTimings: the consumer group's timings come from the flags, and
// a heartbeat too slow for the session timeout is refused at start-up
// rather than dropping live workers from the group.
func TestGroupTimings(t *testing.T) {
	parse := func(args ...string) *cli.Context {
		t.Helper()
		fs := flag.NewFlagSet("worker", flag.ContinueOnError)
		for _, f := range groupTimingFlags {
			if err := f.Apply(fs); err != nil {
				t.Fatal(err)
			}
		}
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return cli.NewContext(cli.NewApp(), fs, nil)
	}
	s, h, r, err := groupTimings(parse("--kafka-session-timeout", "3s", "--kafka-heartbeat", "500ms"))
	if err != nil || s != 3*time.Second || h != 500*time.Millisecond || r != 10*time.Second {
		t.Errorf("3 s session: %v %v %v %v", s, h, r, err)
	}
	if _, _, _, err := groupTimings(parse("--kafka-session-timeout", "3s", "--kafka-heartbeat", "2s")); err == nil || !strings.Contains(err.Error(), "more than a third") {
		t.Errorf("a 2 s heartbeat with a 3 s session: %v", err)
	}
	if _, _, _, err := groupTimings(parse("--kafka-session-timeout", "100ms")); err == nil {
		t.Error("a 100 ms session timeout was accepted")
	}
}
