package policy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"log/slog"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/internal/racetest"
)

// TestLoadAgainUsesThePassedRevision: the same files read again (another
// *Bundle, same content) serve without being prepared and tested again,
// as the load log says, and the engine serves the bundle it was given.
func TestLoadAgainUsesThePassedRevision(t *testing.T) {
	ctx := context.Background()
	repoEngine(t)
	var log bytes.Buffer
	again := loadRepoPolicies(t)
	e, err := New(ctx, again, slog.New(slog.NewTextHandler(&log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), `checks="passed before"`) {
		t.Errorf("the same content was prepared again; load log:\n%s", log.String())
	}
	if e.Bundle() != again {
		t.Error("the engine serves another *Bundle than the one it was given")
	}
	res, err := e.Evaluate(ctx, chatInput(engine.SpacePlaza, engine.Scores{engine.Profanity: 0.99}))
	if err != nil || res.Action == engine.ActionAllow {
		t.Errorf("the cached revision decided %+v, %v", res, err)
	}
}

// TestChangedBundleIsCheckedAgain: a bundle changed in place after it was
// read and passed (same Revision string, other modules, tests or data) is
// checked as what it is now, never served on the strength of what it was.
func TestChangedBundleIsCheckedAgain(t *testing.T) {
	racetest.Heavy(t)
	ctx := context.Background()
	failing, err := ast.ParseModuleWithOpts("zz_test.rego", "package haechi.zz_test\ntest_always_fails if { false }\n", ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		change func(*Bundle)
		want   string
	}{
		{"a failing test added", func(b *Bundle) { b.Tests["zz_test.rego"] = failing }, "tests failed"},
		{"a module removed", func(b *Bundle) { delete(b.Modules, "lib.rego") }, "compile"},
		{"data changed", func(b *Bundle) {
			cfg := b.Data["haechi"].(map[string]any)["config"].(map[string]any)
			cfg["pii"] = map[string]any{"min_score": "high"}
		}, "tests failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := loadRepoPolicies(t)
			e, err := New(ctx, b, nil)
			if err != nil {
				t.Fatal(err)
			}
			rev := b.Revision
			tc.change(b)
			err = e.Load(ctx, b)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load of the changed bundle: %v, want an error with %q", err, tc.want)
			}
			if b.Revision != rev {
				t.Fatal("the change altered the revision string: the test no longer tests the cache key")
			}
			if _, err := New(ctx, b, nil); err == nil {
				t.Error("a new engine served the changed bundle")
			}
		})
	}
}

// TestRevisionCacheIsBounded: the cache keeps revisionCacheSize
// revisions, dropping the least recently used; a lookup makes a revision
// the most recently used.
func TestRevisionCacheIsBounded(t *testing.T) {
	revisions.Lock()
	saved := revisions.entries
	revisions.entries = nil
	revisions.Unlock()
	t.Cleanup(func() {
		revisions.Lock()
		revisions.entries = saved
		revisions.Unlock()
	})
	key := func(i int) [sha256.Size]byte { return sha256.Sum256([]byte{byte(i)}) }
	kept := make([]*prepared, revisionCacheSize+2)
	for i := range revisionCacheSize {
		kept[i] = &prepared{}
		keepPrepared(key(i), kept[i])
	}
	// 0 is used again: 1 is now the least recently used.
	if cachedPrepared(key(0)) != kept[0] {
		t.Fatal("revision 0 not found")
	}
	for i := revisionCacheSize; i < revisionCacheSize+2; i++ {
		kept[i] = &prepared{}
		keepPrepared(key(i), kept[i])
	}
	revisions.Lock()
	n := len(revisions.entries)
	revisions.Unlock()
	if n != revisionCacheSize {
		t.Errorf("cache holds %d revisions, want %d", n, revisionCacheSize)
	}
	for i, want := range kept {
		gone := i == 1 || i == 2
		if got := cachedPrepared(key(i)); (got == nil) != gone || (!gone && got != want) {
			t.Errorf("revision %d: cached %v, want dropped %v", i, got != nil, gone)
		}
	}
}
