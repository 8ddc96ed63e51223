// Package fswatch runs a function once a folder has been quiet for a
// moment after changes to the files it cares about: the hot reload of the
// policy bundle and of the hash banks. Waiting for quiet lets an editor
// saving several files, or an import renaming two files into place, cause
// one reload rather than several half-done ones.
package fswatch

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

// Config says what to watch.
type Config struct {
	Dir string
	// Recursive also watches the folders below Dir, including those
	// created later; hidden folders are skipped.
	Recursive bool
	// Relevant reports whether a change to the named file matters.
	Relevant func(name string) bool
	// Quiet is how long no relevant change must happen before changed runs.
	Quiet time.Duration
}

// Watch calls changed after each burst of relevant changes, and onError
// for the watcher's own errors, until ctx is done. It blocks; run it in a
// goroutine owned by the caller.
func Watch(ctx context.Context, cfg Config, changed func(), onError func(error)) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	add := w.Add
	if cfg.Recursive {
		add = func(dir string) error { return addTree(w, dir) }
	}
	if err := add(cfg.Dir); err != nil {
		return fmt.Errorf("watch %s: %w", cfg.Dir, err)
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return errors.New("watcher closed")
			}
			if cfg.Recursive && ev.Has(fsnotify.Create) {
				// Errors here only mean the path is not a folder or is
				// already gone.
				_ = addTree(w, ev.Name)
			}
			if cfg.Relevant(ev.Name) {
				timer.Reset(cfg.Quiet)
			}
		case err, ok := <-w.Errors:
			if !ok {
				return errors.New("watcher closed")
			}
			onError(err)
		case <-timer.C:
			changed()
		}
	}
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
