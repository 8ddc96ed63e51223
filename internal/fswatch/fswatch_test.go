package fswatch

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestBurstsCauseOneCallAndIrrelevantFilesNone(t *testing.T) {
	dir := t.TempDir()
	var calls atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Watch(ctx, Config{Dir: dir, Recursive: true, Quiet: 100 * time.Millisecond,
			Relevant: func(name string) bool { return strings.HasSuffix(name, ".rego") }},
			func() { calls.Add(1) }, func(err error) { t.Errorf("watch: %v", err) })
	}()
	time.Sleep(100 * time.Millisecond) // let the watcher start
	write := func(name string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("ignored.txt")
	time.Sleep(300 * time.Millisecond)
	if n := calls.Load(); n != 0 {
		t.Fatalf("an irrelevant file caused %d calls", n)
	}
	for range 5 {
		write("a.rego")
		write("b.rego")
		time.Sleep(10 * time.Millisecond)
	}
	waitFor(t, &calls, 1)
	time.Sleep(300 * time.Millisecond)
	if n := calls.Load(); n != 1 {
		t.Errorf("a burst of ten writes caused %d calls, want 1", n)
	}
	// A folder created later is watched too.
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	write("sub/c.rego")
	waitFor(t, &calls, 2)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Watch returned %v", err)
	}
}

func waitFor(t *testing.T, calls *atomic.Int32, n int32) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for calls.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d calls after 10 s, want %d", calls.Load(), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestMissingFolderIsAnError(t *testing.T) {
	err := Watch(context.Background(), Config{Dir: filepath.Join(t.TempDir(), "nope"), Relevant: func(string) bool { return true }, Quiet: time.Millisecond},
		func() {}, func(error) {})
	if err == nil {
		t.Error("watching a missing folder succeeded")
	}
}
