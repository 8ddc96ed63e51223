// Package racetest tells tests whether the race detector is on, and lets a
// test that is pure computation leave the race run to a plain one.
//
// The race detector makes Go code five to twenty times slower. Most of the
// suite needs it (servers, workers, pools, the stream), but some tests
// check long single-threaded computations against references: image
// hashes over hundreds of transformed pictures, a model conversion, a
// million-sender memory figure, a whole generated day of demo traffic.
// Under the race detector they found no race and cost about a third of the
// suite's time. Such a test calls Heavy first: under -race it is skipped,
// and scripts/test.sh runs every test that calls Heavy again without -race,
// so nothing goes untested.
package racetest

import "testing"

// Heavy skips t when the race detector is on. Call it on the first line of
// a top-level test function: scripts/test.sh finds the tests to run without
// -race by that line, and fails if a call is anywhere else.
func Heavy(t testing.TB) {
	t.Helper()
	if Enabled {
		t.Skip("pure computation: scripts/test.sh runs it without -race (internal/racetest)")
	}
}
