// Package policy runs Haechi's code-of-ethics policies, a Rego v1 bundle,
// with Open Policy Agent. A bundle is compiled and prepared once per
// revision; the revision is a content hash of its files; a new revision is
// tested before it replaces the one serving, and swapped in atomically.
package policy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"

	"github.com/haechi-tns/haechi/engine"
)

// Bundle is one revision of the policy files: Rego modules, their tests and
// the data documents.
type Bundle struct {
	// Revision is a content hash of every file, so the same files always
	// give the same revision and any change gives a new one.
	Revision string
	Modules  map[string]*ast.Module // non-test modules by path
	Tests    map[string]*ast.Module // *_test.rego modules by path
	Data     map[string]any
}

// LoadDir reads a bundle from a directory.
func LoadDir(dir string) (*Bundle, error) {
	b, err := LoadFS(os.DirFS(dir))
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, dir)
	}
	return b, nil
}

// LoadFS reads every .rego file and every data.json in fsys. A data.json in
// folder a/b is mounted at data.a.b, as in OPA bundles.
func LoadFS(fsys fs.FS) (*Bundle, error) {
	b := &Bundle{Modules: map[string]*ast.Module{}, Tests: map[string]*ast.Module{}, Data: map[string]any{}}
	files, err := bundleFileNames(fsys)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	for _, p := range files {
		src, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("policy: read bundle: %w", err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00", p, len(src))
		h.Write(src)
		if path.Base(p) == "data.json" {
			if err := b.mountData(p, src); err != nil {
				return nil, err
			}
			continue
		}
		m, err := ast.ParseModuleWithOpts(p, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			return nil, fmt.Errorf("policy: parse %s: %w", p, err)
		}
		if strings.HasSuffix(p, "_test.rego") {
			b.Tests[p] = m
		} else {
			b.Modules[p] = m
		}
	}
	if len(b.Modules) == 0 {
		return nil, errors.New("policy: bundle has no .rego modules")
	}
	b.Revision = hex.EncodeToString(h.Sum(nil))[:16]
	return b, nil
}

// bundleFileNames lists the files of fsys that make a bundle, in order:
// every .rego file and every data.json outside folders named with a dot.
func bundleFileNames(fsys fs.FS) ([]string, error) {
	var files []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != "." && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(p, ".rego") || d.Name() == "data.json" {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("policy: read bundle: %w", err)
	}
	slices.Sort(files)
	return files, nil
}

func (b *Bundle) mountData(p string, src []byte) error {
	v, err := engine.DecodeJSONValue(src)
	if err != nil {
		return fmt.Errorf("policy: %s: %w", p, err)
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("policy: %s: must hold a JSON object", p)
	}
	node := b.Data
	if dir := path.Dir(p); dir != "." {
		for _, key := range strings.Split(dir, "/") {
			next, ok := node[key].(map[string]any)
			if !ok {
				next = map[string]any{}
				node[key] = next
			}
			node = next
		}
	}
	return mergeInto(node, doc, p)
}

func mergeInto(dst, src map[string]any, p string) error {
	for k, v := range src {
		existing, ok := dst[k]
		if !ok {
			dst[k] = v
			continue
		}
		a, aok := existing.(map[string]any)
		bv, bok := v.(map[string]any)
		if !aok || !bok {
			return fmt.Errorf("policy: %s: key %q is defined twice", p, k)
		}
		if err := mergeInto(a, bv, p); err != nil {
			return err
		}
	}
	return nil
}

// TestResult is the outcome of one Rego test.
type TestResult struct {
	Package  string
	Name     string
	Location string
	Pass     bool
	Err      error
}

// Test runs the bundle's Rego tests (rules named test_* in *_test.rego
// files) against its modules and data, and returns one result per test in
// a stable order.
func (b *Bundle) Test(ctx context.Context) ([]TestResult, error) {
	modules := make(map[string]*ast.Module, len(b.Modules)+len(b.Tests))
	for p, m := range b.Modules {
		modules[p] = m.Copy()
	}
	for p, m := range b.Tests {
		modules[p] = m.Copy()
	}
	runner := tester.NewRunner().
		SetStore(inmem.NewFromObject(b.Data)).
		SetModules(modules).
		SetDefaultRegoVersion(ast.RegoV1).
		RaiseBuiltinErrors(true)
	ch, err := runner.RunTests(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("policy: run tests: %w", err)
	}
	var out []TestResult
	for r := range ch {
		tr := TestResult{Package: r.Package, Name: r.Name, Pass: r.Pass(), Err: r.Error}
		if r.Location != nil {
			tr.Location = fmt.Sprintf("%s:%d", r.Location.File, r.Location.Row)
		}
		if !tr.Pass && tr.Err == nil {
			tr.Err = errors.New("test failed")
		}
		out = append(out, tr)
	}
	slices.SortFunc(out, func(a, b TestResult) int {
		return strings.Compare(a.Package+"."+a.Name, b.Package+"."+b.Name)
	})
	return out, nil
}

// TestsPass runs the tests and returns an error naming the failures, or nil.
func (b *Bundle) TestsPass(ctx context.Context) error {
	results, err := b.Test(ctx)
	if err != nil {
		return err
	}
	var failed []string
	for _, r := range results {
		if !r.Pass {
			failed = append(failed, fmt.Sprintf("%s.%s (%s): %v", r.Package, r.Name, r.Location, r.Err))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("policy: %d of %d tests failed: %s", len(failed), len(results), strings.Join(failed, "; "))
	}
	return nil
}
