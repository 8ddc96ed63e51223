package nsfw

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg"
	_ "image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// parityTolerance is the acceptance bar: each of the five probabilities
// within 0.01 of nsfwjs on TensorFlow.js's CPU backend.
const parityTolerance = 0.01

// parityResult is one image in tools/nsfwparity/parity.mjs's output.
type parityResult struct {
	File   string    `json:"file"`
	Width  int       `json:"width"`
	Height int       `json:"height"`
	Probs  []float32 `json:"probs"`
}

// runParity runs the Node harness on files and returns its results by file.
func runParity(t *testing.T, root, modelDir string, raw bool, files []string) map[string]parityResult {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed (apt-get install nodejs npm): TestParityWithNsfwjs runs nsfwjs in Node")
	}
	args := []string{filepath.Join(root, "tools", "nsfwparity", "parity.mjs"), modelDir}
	if raw {
		args = append(args, "--raw")
	}
	cmd := exec.Command(node, append(args, files...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("node parity.mjs: %v\n%s", err, stderr.String())
	}
	t.Logf("nsfwjs in node: %d images in %v", len(files), time.Since(start).Round(time.Millisecond))
	var out struct {
		Backend string         `json:"backend"`
		TFJS    string         `json:"tfjs"`
		NSFWJS  string         `json:"nsfwjs"`
		Labels  []string       `json:"labels"`
		Results []parityResult `json:"results"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("parity.mjs output: %v\n%s", err, stdout.String())
	}
	if out.Backend != "cpu" || out.NSFWJS != PinnedVersion || fmt.Sprint(out.Labels) != fmt.Sprint(Labels) {
		t.Fatalf("parity.mjs ran backend %q, nsfwjs %q, labels %q", out.Backend, out.NSFWJS, out.Labels)
	}
	byFile := map[string]parityResult{}
	for _, r := range out.Results {
		if len(r.Probs) != NumClasses {
			t.Fatalf("%s: %d probabilities", r.File, len(r.Probs))
		}
		byFile[r.File] = r
	}
	return byFile
}

// ensureNodeModules installs the harness's locked dependencies if needed.
func ensureNodeModules(t *testing.T, root string) {
	t.Helper()
	dir := filepath.Join(root, "tools", "nsfwparity")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "nsfwjs", "package.json")); err == nil {
		return
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Fatal("npm is not installed (apt-get install npm): needed for npm ci --prefix tools/nsfwparity")
	}
	// tools/nsfwparity/.npmrc sets ignore-scripts: only tarballs are fetched.
	cmd := exec.Command(npm, "ci", "--prefix", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci --prefix tools/nsfwparity: %v\n%s", err, out)
	}
}

// writeRaw writes img in parity.mjs's raw format: "RGB8", width, height
// (uint32 little-endian), RGB bytes.
func writeRaw(t *testing.T, path string, img *RGB) {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("RGB8")
	binary.Write(&b, binary.LittleEndian, [2]uint32{uint32(img.Width), uint32(img.Height)})
	b.Write(img.Pix)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func decodeFile(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

func maxDiff(a Probs, b []float32) (float64, int) {
	worst, at := 0.0, 0
	for c := range a {
		if d := math.Abs(float64(a[c]) - float64(b[c])); d > worst || math.IsNaN(d) {
			worst, at = d, c
		}
	}
	return worst, at
}

// TestParityWithNsfwjs is the acceptance test of the conversion: for real
// photos and synthetic pictures, the converted model behind Go's
// preprocessing gives nsfwjs's probabilities (nsfwjs 4.4.0 on tfjs 4.22.0's
// CPU backend, run by tools/nsfwparity) within 0.01. Both sides start from
// the same decoded pixels (raw RGB files), since jpeg-js and image/jpeg
// differ by a few levels; PNGs, decoded identically by pngjs and image/png,
// are also compared from the files themselves.
func TestParityWithNsfwjs(t *testing.T) {
	initORT(t)
	root := repoRoot(t)
	ensureNodeModules(t, root)
	pkgDir, manifest := nsfwjsModel(t)
	m, err := Open(manifest)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	// Meta's PDQ reference photos, committed once in package pdq's testdata.
	pdqDir := filepath.Join(root, "classifiers", "pdq", "testdata", "pdq")
	images := map[string]image.Image{}
	photos, _ := filepath.Glob(filepath.Join(pdqDir, "*.jpg"))
	photos = append(photos, filepath.Join(pdqDir, "c.png"))
	for _, p := range photos {
		images[filepath.Base(p)] = decodeFile(t, p)
	}
	if len(images) < 2 {
		t.Fatalf("found %d test photos under %s", len(images), pdqDir)
	}
	for _, s := range []struct {
		kind string
		w, h int
	}{
		{"gradient", 640, 480}, {"gradient", 224, 224}, {"blobs", 300, 400}, {"blobs", 1024, 768},
		{"cartoon", 500, 500}, {"cartoon", 60, 45}, {"noise", 97, 131},
	} {
		images[fmt.Sprintf("synthetic-%s-%dx%d", s.kind, s.w, s.h)] = testImage(s.kind, s.w, s.h)
	}

	dir := t.TempDir()
	names := make([]string, 0, len(images))
	for name := range images {
		names = append(names, name)
	}
	sort.Strings(names)
	var rawFiles []string
	rgbs := make([]*RGB, len(names))
	for i, name := range names {
		rgbs[i] = ToRGB(images[name])
		p := filepath.Join(dir, name+".rgb")
		writeRaw(t, p, rgbs[i])
		rawFiles = append(rawFiles, p)
	}
	modelDir := filepath.Join(pkgDir, "dist", "models", DefaultModel)
	want := runParity(t, root, modelDir, true, rawFiles)
	got, err := m.ClassifyRGB(rgbs)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range names {
		r, ok := want[rawFiles[i]]
		if !ok {
			t.Fatalf("%s: no nsfwjs result", name)
		}
		d, c := maxDiff(got[i], r.Probs)
		t.Logf("%-36s max |Δ| %.2e (%s)  go %.4f  nsfwjs %.4f", name, d, Labels[c], got[i], r.Probs)
		if !(d <= parityTolerance) {
			t.Errorf("%s: %s differs by %.4f > %.2f: go %v, nsfwjs %v", name, Labels[c], d, parityTolerance, got[i], r.Probs)
		}
	}

	// From the files themselves: PNG must agree as closely; JPEG decoders
	// differ, so its difference is only reported (up to ~0.03 seen).
	files := []string{filepath.Join(pdqDir, "c.png"), filepath.Join(pdqDir, "wee.jpg")}
	fromFiles := runParity(t, root, modelDir, false, files)
	for _, p := range files {
		probs, err := m.Classify(images[filepath.Base(p)])
		if err != nil {
			t.Fatal(err)
		}
		d, c := maxDiff(probs, fromFiles[p].Probs)
		t.Logf("%-36s decoded separately: max |Δ| %.2e (%s)", filepath.Base(p), d, Labels[c])
		if filepath.Ext(p) == ".png" && !(d <= parityTolerance) {
			t.Errorf("%s decoded by pngjs and image/png: %s differs by %.4f", p, Labels[c], d)
		}
	}
}

// BenchmarkSession224 is ONNX Runtime alone on one preprocessed 224×224
// image (one intra-op thread).
func BenchmarkSession224(b *testing.B) {
	initORT(b)
	_, manifest := nsfwjsModel(b)
	m, err := Open(manifest)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	input := make([]float32, 3*224*224)
	if err := PreprocessRGB(ToRGB(testImage("blobs", 224, 224)), 224, input); err != nil {
		b.Fatal(err)
	}
	probs := make([]float32, NumClasses)
	for b.Loop() {
		if err := m.run(input, probs, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClassify1024x768 is Classify on a decoded 1024×768 JPEG-like
// (Y'CbCr) image: colour conversion, resize, ONNX Runtime.
func BenchmarkClassify1024x768(b *testing.B) {
	initORT(b)
	_, manifest := nsfwjsModel(b)
	m, err := Open(manifest)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	src := testImage("blobs", 1024, 768)
	ycc := image.NewYCbCr(src.Bounds(), image.YCbCrSubsampleRatio420)
	for y := range 768 {
		for x := range 1024 {
			r, g, bl, _ := src.At(x, y).RGBA()
			yy, cb, cr := colorToYCbCr(uint8(r>>8), uint8(g>>8), uint8(bl>>8))
			ycc.Y[ycc.YOffset(x, y)] = yy
			ycc.Cb[ycc.COffset(x, y)], ycc.Cr[ycc.COffset(x, y)] = cb, cr
		}
	}
	for b.Loop() {
		if _, err := m.Classify(ycc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPreprocess1024x768 is the Go side alone: Y'CbCr to RGB and the
// tfjs bilinear resize.
func BenchmarkPreprocess1024x768(b *testing.B) {
	img := image.NewYCbCr(image.Rect(0, 0, 1024, 768), image.YCbCrSubsampleRatio420)
	dst := make([]float32, 3*224*224)
	for b.Loop() {
		if err := PreprocessRGB(ToRGB(img), 224, dst); err != nil {
			b.Fatal(err)
		}
	}
}

func colorToYCbCr(r, g, b uint8) (uint8, uint8, uint8) {
	return color.RGBToYCbCr(r, g, b)
}
