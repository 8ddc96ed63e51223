package policy

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/haechi-tns/haechi/internal/fswatch"
)

// debounce is how long the watcher waits after the last change before it
// reloads, so that an editor saving several files triggers one reload.
const debounce = 300 * time.Millisecond

// Watch reloads the bundle in dir whenever a file in it changes, until ctx
// is done. A revision that fails to load, compile or pass its tests is
// refused with an error log line and the serving revision stays. Watch
// blocks; run it in a goroutine owned by the caller.
func (e *Engine) Watch(ctx context.Context, dir string) error {
	e.log.Info("watching policies", "dir", dir)
	err := fswatch.Watch(ctx, fswatch.Config{Dir: dir, Recursive: true, Relevant: relevant, Quiet: debounce},
		func() { e.reload(ctx, dir) },
		func(err error) { e.log.Error("policy watcher error", "err", err) })
	if err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	return nil
}

// reload loads dir and tries to serve it, logging the outcome.
func (e *Engine) reload(ctx context.Context, dir string) {
	b, err := LoadDir(dir)
	if err == nil {
		err = e.Load(ctx, b)
	}
	if err != nil {
		e.log.Error("policy revision refused; previous revision keeps serving",
			"dir", dir, "serving", e.Revision(), "err", err)
	}
}

func relevant(name string) bool {
	base := filepath.Base(name)
	return !strings.HasPrefix(base, ".") && (strings.HasSuffix(base, ".rego") || base == "data.json")
}
