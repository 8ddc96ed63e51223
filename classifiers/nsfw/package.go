package nsfw

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"

	"github.com/haechi-tns/haechi/engine"
)

// Package is what Convert needs from an extracted nsfwjs npm package.
type Package struct {
	Version  string   // package.json version
	Model    string   // directory under dist/models, e.g. "mobilenet_v2"
	ModelJS  []byte   // dist/models/<Model>/model.min.js
	ShardsJS [][]byte // the weight bundles, in the weights manifest's order
}

// The nsfwjs release Haechi converts, and npm's integrity string for its
// tarball (npm view nsfwjs@4.4.0 dist.integrity). scripts/nsfw-model.sh
// pins the same pair.
const (
	PinnedVersion   = "4.4.0"
	PinnedIntegrity = "sha512-krC1fgeTLXtZwgdpKJ0jm7hqv0gTSRQQRL+FhOaxaJ9Wj92t42BO3csO2odwgTAgZgf2RvkwPtp0R8Aa7dc+MA=="
)

// DefaultModel is the model nsfwjs loads when none is named (MobileNetV2).
const DefaultModel = "mobilenet_v2"

var (
	modelName = regexp.MustCompile(`^[a-z0-9_]+$`)
	shardName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`) // no path separators
)

// ReadPackage reads model from an extracted nsfwjs package (the directory
// holding package.json; fsys is typically os.DirFS of it). It checks that
// the package is nsfwjs and that its class list is Labels, and finds the
// weight bundles from the model's weights manifest (<path>.min.js, as
// nsfwjs loads them).
func ReadPackage(fsys fs.FS, model string) (*Package, error) {
	if !modelName.MatchString(model) {
		return nil, fmt.Errorf("nsfw: package: bad model name %q", model)
	}
	raw, err := fs.ReadFile(fsys, "package.json")
	if err != nil {
		return nil, fmt.Errorf("nsfw: package: %w", err)
	}
	// package.json has many fields; only these two are read.
	var pj struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	if err := engine.PeekJSON(raw, &pj); err != nil {
		return nil, fmt.Errorf("nsfw: package: package.json: %w", err)
	}
	if pj.Name != "nsfwjs" || pj.Version == "" {
		return nil, fmt.Errorf("nsfw: package: package.json names %q version %q, want nsfwjs", pj.Name, pj.Version)
	}
	classes, err := fs.ReadFile(fsys, "dist/esm/nsfw_classes.js")
	if err != nil {
		return nil, fmt.Errorf("nsfw: package: %w", err)
	}
	if got := parseClasses(classes); !slices.Equal(got, Labels) {
		return nil, fmt.Errorf("nsfw: package: dist/esm/nsfw_classes.js lists %q, want %q", got, Labels)
	}
	dir := path.Join("dist/models", model)
	p := &Package{Version: pj.Version, Model: model}
	if p.ModelJS, err = fs.ReadFile(fsys, path.Join(dir, "model.min.js")); err != nil {
		return nil, fmt.Errorf("nsfw: package: %w", err)
	}
	var tm tfjsModel
	if err := decodeExport(p.ModelJS, &tm); err != nil {
		return nil, fmt.Errorf("nsfw: package: %s/model.min.js: %w", dir, err)
	}
	for _, g := range tm.WeightsManifest {
		for _, wp := range g.Paths {
			if !shardName.MatchString(wp) {
				return nil, fmt.Errorf("nsfw: package: weights path %q", wp)
			}
			b, err := fs.ReadFile(fsys, path.Join(dir, wp+".min.js"))
			if err != nil {
				return nil, fmt.Errorf("nsfw: package: %w", err)
			}
			p.ShardsJS = append(p.ShardsJS, b)
		}
	}
	return p, nil
}

var classEntry = regexp.MustCompile(`(\d+)\s*:\s*['"]([A-Za-z]+)['"]`)

// parseClasses reads NSFW_CLASSES = {0: 'Drawing', ...} into a list.
func parseClasses(src []byte) []string {
	var out []string
	for i, m := range classEntry.FindAllSubmatch(src, -1) {
		if string(m[1]) != fmt.Sprint(i) {
			return nil
		}
		out = append(out, string(m[2]))
	}
	return out
}
