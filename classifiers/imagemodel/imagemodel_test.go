package imagemodel

import (
	"encoding/json"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/haechi-tns/haechi/classifiers/onnxpb"
	"github.com/haechi-tns/haechi/classifiers/onnxrt"
)

// writeRedModel writes a small operator model: the mean of each channel,
// then a linear layer and a softmax, so that "red" scores high for red
// images. It returns the manifest's path.
func writeRedModel(t *testing.T, edit func(*Manifest)) string {
	t.Helper()
	if err := onnxrt.Init(onnxrt.DefaultLibPath()); err != nil {
		t.Fatal(err)
	}
	g := &onnxpb.GraphProto{
		Name: proto.String("red"),
		Node: []*onnxpb.NodeProto{
			onnxpb.Node("pool", "GlobalAveragePool", []string{"pixels"}, "pooled"),
			onnxpb.Node("flat", "Flatten", []string{"pooled"}, "flat", onnxpb.IntAttr("axis", 1)),
			onnxpb.Node("fc", "Gemm", []string{"flat", "w", "b"}, "logits"),
			onnxpb.Node("soft", "Softmax", []string{"logits"}, "scores", onnxpb.IntAttr("axis", 1)),
		},
		Initializer: []*onnxpb.TensorProto{
			onnxpb.FloatTensor("w", []float32{10, -10, 0, 0, 0, 0}, 3, 2),
			onnxpb.FloatTensor("b", []float32{-5, 5}, 2),
		},
		Input:  []*onnxpb.ValueInfoProto{onnxpb.ValueInfo("pixels", onnxpb.TensorProto_FLOAT, onnxpb.SymDim("n"), onnxpb.FixedDim(3), onnxpb.FixedDim(16), onnxpb.FixedDim(16))},
		Output: []*onnxpb.ValueInfoProto{onnxpb.ValueInfo("scores", onnxpb.TensorProto_FLOAT, onnxpb.SymDim("n"), onnxpb.FixedDim(2))},
	}
	mp := &onnxpb.ModelProto{
		IrVersion:   proto.Int64(8),
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(17)}},
		Graph:       g,
	}
	data, err := proto.Marshal(mp)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "red.onnx"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := onnxrt.FileSHA256(filepath.Join(dir, "red.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	man := Manifest{
		Name: "red", Version: "1", File: "red.onnx", SHA256: sum,
		Input:      Input{Name: "pixels", Size: 16, Scale: 255, Std: [3]float64{1, 1, 1}},
		Output:     Output{Name: "scores", Activation: "none"},
		Labels:     []string{"red", "other"},
		Categories: map[string][]string{"nudity": {"red"}},
	}
	if edit != nil {
		edit(&man)
	}
	b, _ := json.Marshal(man)
	path := filepath.Join(dir, "model.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func solid(c color.RGBA, w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

func TestModelScores(t *testing.T) {
	m, err := Open(writeRedModel(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	red, err := m.CategoryScores(solid(color.RGBA{255, 0, 0, 255}, 300, 200))
	if err != nil {
		t.Fatal(err)
	}
	blue, err := m.CategoryScores(solid(color.RGBA{0, 0, 255, 255}, 40, 90))
	if err != nil {
		t.Fatal(err)
	}
	if red["nudity"] < 0.99 || blue["nudity"] > 0.01 {
		t.Errorf("nudity red %.4f, blue %.4f: want about 1 and 0", red["nudity"], blue["nudity"])
	}
	// Mean and std are applied: a mean of 1 on red makes red images look
	// like black ones.
	m2, err := Open(writeRedModel(t, func(m *Manifest) { m.Input.Mean = [3]float64{1, 0, 0} }))
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	if s, _ := m2.CategoryScores(solid(color.RGBA{255, 0, 0, 255}, 20, 20)); s["nudity"] > 0.01 {
		t.Errorf("normalisation ignored: %v", s)
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Manifest)
		want string
	}{
		{"checksum", func(m *Manifest) { m.SHA256 = strings.Repeat("0", 64) }, "checksum mismatch"},
		{"labels count", func(m *Manifest) { m.Labels = []string{"red", "other", "third"} }, "output shape"},
		{"unknown category", func(m *Manifest) { m.Categories = map[string][]string{"gore": {"red"}} }, "categories.gore"},
		{"unknown label", func(m *Manifest) { m.Categories = map[string][]string{"nudity": {"pink"}} }, `label "pink"`},
		{"activation", func(m *Manifest) { m.Output.Activation = "relu" }, "output.activation"},
		{"std", func(m *Manifest) { m.Input.Std = [3]float64{1, 0, 1} }, "input.std"},
		{"input name", func(m *Manifest) { m.Input.Name = "image" }, "Invalid input name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Open(writeRedModel(t, tt.edit))
			if err == nil {
				m.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open error = %v, want %q", err, tt.want)
			}
		})
	}
}
