package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"testing/fstest"
	"unicode/utf8"

	"github.com/haechi-tns/haechi/engine"
)

// Limits on a bundle kept as files (ReadFiles, LoadFiles): a bundle is
// stored in the database to be shared by every instance, so it is bounded
// before anything is read into memory or compiled.
const (
	MaxBundleFiles = 200
	MaxBundleBytes = 4 << 20
)

// ReadFiles returns the files of the bundle in fsys (those LoadFS reads),
// by path, refusing more than MaxBundleFiles files, more than
// MaxBundleBytes in all, and files that are not valid UTF-8. The files are
// what a bundle is stored as; LoadFiles turns them back into the same
// revision.
func ReadFiles(fsys fs.FS) (map[string]string, error) {
	names, err := bundleFileNames(fsys)
	if err != nil {
		return nil, err
	}
	if len(names) > MaxBundleFiles {
		return nil, fmt.Errorf("policy: bundle has %d files, over the limit of %d", len(names), MaxBundleFiles)
	}
	out := make(map[string]string, len(names))
	total := 0
	for _, p := range names {
		info, err := fs.Stat(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("policy: read bundle: %w", err)
		}
		if total += int(info.Size()); info.Size() > MaxBundleBytes || total > MaxBundleBytes {
			return nil, fmt.Errorf("policy: bundle is over the limit of %d bytes", MaxBundleBytes)
		}
		src, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("policy: read bundle: %w", err)
		}
		if !utf8.Valid(src) {
			return nil, fmt.Errorf("policy: %s is not valid UTF-8", p)
		}
		out[p] = string(src)
	}
	return out, nil
}

// LoadFiles reads a bundle from its files (as ReadFiles returns them): the
// same files give the same revision as LoadDir on a folder holding them.
func LoadFiles(files map[string]string) (*Bundle, error) {
	if len(files) > MaxBundleFiles {
		return nil, fmt.Errorf("policy: bundle has %d files, over the limit of %d", len(files), MaxBundleFiles)
	}
	fsys := make(fstest.MapFS, len(files))
	total := 0
	for p, src := range files {
		if !fs.ValidPath(p) || p == "." || !(strings.HasSuffix(p, ".rego") || strings.HasSuffix(p, "/data.json") || p == "data.json") {
			return nil, fmt.Errorf("policy: %q is not a bundle file name", p)
		}
		if total += len(src); total > MaxBundleBytes {
			return nil, fmt.Errorf("policy: bundle is over the limit of %d bytes", MaxBundleBytes)
		}
		fsys[p] = &fstest.MapFile{Data: []byte(src), Mode: 0o444}
	}
	return LoadFS(fsys)
}

// WithOverlay returns a copy of b whose data has the leaves of overlay (a
// JSON object shaped like the bundle's data, such as
// {"haechi":{"config":{"thresholds":{"youth":{"insult":{"block":0.8}}}}}})
// in place of its own. Every key of overlay must already be in b's data and
// every leaf must keep its JSON type, so a misspelt threshold is refused
// instead of silently doing nothing. The copy's revision is b's revision
// and the overlay's hash, hashed: a different overlay is a different
// revision. The copy must be loaded (New or Load) to be checked and tested.
func (b *Bundle) WithOverlay(overlay []byte) (*Bundle, error) {
	v, err := engine.DecodeJSONValue(overlay)
	if err != nil {
		return nil, fmt.Errorf("policy: overlay: %w", err)
	}
	doc, ok := v.(map[string]any)
	if !ok || len(doc) == 0 {
		return nil, errors.New("policy: overlay: must be a non-empty JSON object")
	}
	data := deepCopy(b.Data).(map[string]any)
	if err := overlayInto(data, doc, "data"); err != nil {
		return nil, fmt.Errorf("policy: overlay: %w", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00overlay\x00", b.Revision)
	h.Write(overlay)
	return &Bundle{
		Revision: hex.EncodeToString(h.Sum(nil))[:16],
		Modules:  maps.Clone(b.Modules),
		Tests:    maps.Clone(b.Tests),
		Data:     data,
	}, nil
}

func overlayInto(dst, src map[string]any, at string) error {
	for _, k := range slices.Sorted(maps.Keys(src)) {
		path := at + "." + k
		old, ok := dst[k]
		if !ok {
			return fmt.Errorf("%s is not in the bundle's data", path)
		}
		nv := src[k]
		switch o := old.(type) {
		case map[string]any:
			n, ok := nv.(map[string]any)
			if !ok {
				return fmt.Errorf("%s must be an object", path)
			}
			if err := overlayInto(o, n, path); err != nil {
				return err
			}
		default:
			if fmt.Sprintf("%T", old) != fmt.Sprintf("%T", nv) {
				return fmt.Errorf("%s must be a %s, as in the bundle", path, jsonType(old))
			}
			dst[k] = nv
		}
	}
	return nil
}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case nil:
		return "null"
	}
	return "number"
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, x := range t {
			s[i] = deepCopy(x)
		}
		return s
	}
	return v
}
