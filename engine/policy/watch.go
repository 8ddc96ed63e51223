package policy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// debounce is how long the watcher waits after the last change before it
// reloads, so that an editor saving several files triggers one reload.
const debounce = 300 * time.Millisecond

// Watch reloads the bundle in dir whenever a file in it changes, until ctx
// is done. A revision that fails to load, compile or pass its tests is
// refused with an error log line and the serving revision stays. Watch
// blocks; run it in a goroutine owned by the caller.
func (e *Engine) Watch(ctx context.Context, dir string) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("policy: watch: %w", err)
	}
	defer w.Close()
	if err := addTree(w, dir); err != nil {
		return fmt.Errorf("policy: watch %s: %w", dir, err)
	}
	e.log.Info("watching policies", "dir", dir)

	var timer *time.Timer
	fire := make(chan struct{}, 1)
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return errors.New("policy: watcher closed")
			}
			if ev.Has(fsnotify.Create) {
				// New folders are watched too; errors here only mean the
				// path is not a folder or is already gone.
				_ = addTree(w, ev.Name)
			}
			if !relevant(ev.Name) {
				continue
			}
			if timer == nil {
				timer = time.AfterFunc(debounce, func() {
					select {
					case fire <- struct{}{}:
					default:
					}
				})
			} else {
				timer.Reset(debounce)
			}
		case err, ok := <-w.Errors:
			if !ok {
				return errors.New("policy: watcher closed")
			}
			e.log.Error("policy watcher error", "err", err)
		case <-fire:
			e.reload(ctx, dir)
		}
	}
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

func addTree(w *fsnotify.Watcher, root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if p != root && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		return w.Add(p)
	})
}
