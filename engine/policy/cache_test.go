package policy

import (
	"context"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/haechi-tns/haechi/engine"
)

// TestLoadAgainUsesThePassedRevision: the same files read again (another
// *Bundle, same content) serve without being prepared again, and the
// engine serves the bundle it was given.
func TestLoadAgainUsesThePassedRevision(t *testing.T) {
	ctx := context.Background()
	if _, err := New(ctx, loadRepoPolicies(t), nil); err != nil {
		t.Fatal(err)
	}
	before := prepares.Load()
	again := loadRepoPolicies(t)
	e, err := New(ctx, again, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := prepares.Load() - before; n != 0 {
		t.Errorf("the same content was prepared %d more times", n)
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

// TestRevisionCacheIsBounded: loading more distinct revisions than the
// cache holds keeps it at its size, dropping the least recently used.
func TestRevisionCacheIsBounded(t *testing.T) {
	ctx := context.Background()
	base := loadRepoPolicies(t)
	first, err := digest(base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(ctx, base, nil); err != nil {
		t.Fatal(err)
	}
	for i := range revisionCacheSize {
		b := loadRepoPolicies(t)
		b.Revision = strings.Repeat("x", i+1) + b.Revision
		if _, err := New(ctx, b, nil); err != nil {
			t.Fatal(err)
		}
	}
	revisions.Lock()
	n := len(revisions.entries)
	revisions.Unlock()
	if n != revisionCacheSize {
		t.Errorf("cache holds %d revisions, want %d", n, revisionCacheSize)
	}
	if cachedPrepared(first) != nil {
		t.Error("the least recently used revision is still cached")
	}
}
