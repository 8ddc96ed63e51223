package textmodel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/haechi-tns/haechi/classifiers/onnxrt"
)

// initORT loads the real ONNX Runtime. A machine without it fails the test:
// scripts/setup.sh installs it.
func initORT(t testing.TB) {
	t.Helper()
	if err := onnxrt.Init(onnxrt.DefaultLibPath()); err != nil {
		t.Fatal(err)
	}
}

// randomBags makes n feature bags of lo to hi entries each.
func randomBags(rng *rand.Rand, n, lo, hi, buckets int) ([][]int32, [][]float32) {
	ids := make([][]int32, n)
	weights := make([][]float32, n)
	for i := range n {
		l := lo + rng.IntN(hi-lo+1)
		ids[i] = make([]int32, l)
		weights[i] = make([]float32, l)
		for j := range l {
			ids[i][j] = int32(rng.IntN(buckets))
			weights[i][j] = float32(rng.Float64() * 0.5)
		}
	}
	return ids, weights
}

// writeModel exports m with a manifest (checksum and self-check filled in)
// into dir and returns the manifest's path.
func writeModel(t testing.TB, dir string, m *MLP) string {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if err := Export(m, f, map[string]string{"name": "test"}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	sum, err := onnxrt.FileSHA256(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	ids, weights := randomBags(rand.New(rand.NewPCG(9, 9)), 3, 0, 12, m.Buckets)
	sc, err := NewSelfCheck(m, ids, weights, 1e-5)
	if err != nil {
		t.Fatal(err)
	}
	man := &Manifest{
		Name: "test", Version: "1", File: "model.onnx", SHA256: sum,
		Inputs: []string{InputIDs, InputWeights}, Outputs: []string{OutputProbs},
		Heads:      m.Heads,
		Thresholds: map[string]map[string]float64{m.Heads[0]: {"ko": 0.7, "en": 0.6}},
		Features:   json.RawMessage(`{"buckets":1000}`),
		SelfCheck:  sc,
	}
	path := filepath.Join(dir, "model.json")
	if err := man.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// editManifest rewrites the manifest at path through f.
func editManifest(t *testing.T, path string, f func(*Manifest)) {
	t.Helper()
	man, err := LoadManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	f(man)
	data, err := json.Marshal(man)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func checkClose(t *testing.T, got, want [][]float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			t.Fatalf("row %d: %d columns, want %d", i, len(got[i]), len(want[i]))
		}
		for j := range want[i] {
			if d := math.Abs(float64(got[i][j] - want[i][j])); !(d <= tol) {
				t.Errorf("row %d head %d: got %v, want %v (difference %.3g)", i, j, got[i][j], want[i][j], d)
			}
		}
	}
}

func forwardAll(m *MLP, ids [][]int32, weights [][]float32) [][]float32 {
	out := make([][]float32, len(ids))
	for i := range ids {
		out[i] = m.Forward(ids[i], weights[i])
	}
	return out
}

func TestORTPredictMatchesForward(t *testing.T) {
	initORT(t)
	m := randomMLP(11, 1000, 8, 6, []string{"toxic", "insult", "threat"})
	model, err := Open(writeModel(t, t.TempDir(), m))
	if err != nil {
		t.Fatal(err)
	}
	defer model.Close()
	if got := model.Manifest().Heads; strings.Join(got, ",") != "toxic,insult,threat" {
		t.Errorf("heads %v", got)
	}

	rng := rand.New(rand.NewPCG(12, 12))
	bags := func(n, lo, hi int) ([][]int32, [][]float32) { return randomBags(rng, n, lo, hi, m.Buckets) }
	type batch struct {
		name    string
		ids     [][]int32
		weights [][]float32
	}
	cases := []batch{
		{name: "one message", ids: [][]int32{{1, 2, 999}}, weights: [][]float32{{0.5, 1, 0.25}}},
		{name: "one empty message", ids: [][]int32{{}}, weights: [][]float32{{}}},
		{name: "all rows empty", ids: [][]int32{{}, {}, {}}, weights: [][]float32{{}, {}, {}}},
		{name: "repeated and zero ids", ids: [][]int32{{0, 0, 5, 5, 5}, {0}}, weights: [][]float32{{1, 2, 0.1, 0.1, 0.1}, {3}}},
	}
	for _, shape := range [][3]int{{1, 40, 40}, {2, 0, 3}, {5, 1, 30}, {32, 20, 60}, {7, 0, 100}} {
		ids, weights := bags(shape[0], shape[1], shape[2])
		cases = append(cases, batch{fmt.Sprintf("%d rows of %d to %d", shape[0], shape[1], shape[2]), ids, weights})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := model.Predict(c.ids, c.weights)
			if err != nil {
				t.Fatal(err)
			}
			checkClose(t, got, forwardAll(m, c.ids, c.weights), 1e-5)
		})
	}
	t.Run("empty batch", func(t *testing.T) {
		got, err := model.Predict(nil, nil)
		if err != nil || len(got) != 0 {
			t.Errorf("Predict(nil, nil) = %v, %v; want no rows", got, err)
		}
	})
	t.Run("inputs are not modified", func(t *testing.T) {
		ids, weights := [][]int32{{3, 4}}, [][]float32{{1, 2}}
		if _, err := model.Predict(ids, weights); err != nil {
			t.Fatal(err)
		}
		if ids[0][0] != 3 || ids[0][1] != 4 || weights[0][0] != 1 || weights[0][1] != 2 {
			t.Errorf("inputs changed: %v %v", ids, weights)
		}
	})
}

func TestORTPredictConcurrent(t *testing.T) {
	initORT(t)
	m := randomMLP(13, 1000, 8, 6, []string{"a", "b", "c"})
	model, err := Open(writeModel(t, t.TempDir(), m))
	if err != nil {
		t.Fatal(err)
	}
	defer model.Close()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 14))
			for range 50 {
				ids, weights := randomBags(rng, 1+rng.IntN(8), 0, 50, m.Buckets)
				got, err := model.Predict(ids, weights)
				if err != nil {
					t.Error(err)
					return
				}
				checkClose(t, got, forwardAll(m, ids, weights), 1e-5)
			}
		})
	}
	wg.Wait()
}

func TestORTPredictErrors(t *testing.T) {
	initORT(t)
	model, err := Open(writeModel(t, t.TempDir(), randomMLP(15, 100, 4, 3, []string{"a"})))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		ids     [][]int32
		weights [][]float32
		want    string
	}{
		{"row counts differ", [][]int32{{1}}, nil, "1 id rows but 0 weight rows"},
		{"row lengths differ", [][]int32{{1, 2}}, [][]float32{{1}}, "row 0: 2 ids but 1 weights"},
		{"id too large", [][]int32{{1}, {100}}, [][]float32{{1}, {1}}, "row 1: id 100 outside [0, 100)"},
		{"negative id", [][]int32{{-1}}, [][]float32{{1}}, "id -1 outside"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := model.Predict(c.ids, c.weights)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	if err := model.Close(); err != nil {
		t.Fatal(err)
	}
	if err := model.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := model.Predict([][]int32{{1}}, [][]float32{{1}}); !errors.Is(err, ErrClosed) {
		t.Errorf("Predict after Close: %v, want ErrClosed", err)
	}
}

func TestORTOpenErrors(t *testing.T) {
	initORT(t)
	m := randomMLP(16, 200, 4, 3, []string{"a", "b"})
	for _, c := range []struct {
		name   string
		break_ func(t *testing.T, manifest string)
		want   string
	}{
		{"checksum mismatch", func(t *testing.T, p string) {
			editManifest(t, p, func(m *Manifest) { m.SHA256 = strings.Repeat("ab", 32) })
		}, "checksum mismatch"},
		{"model file changed", func(t *testing.T, p string) {
			f, err := os.OpenFile(filepath.Join(filepath.Dir(p), "model.onnx"), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString("x")
			f.Close()
		}, "checksum mismatch"},
		{"bad self-check", func(t *testing.T, p string) {
			editManifest(t, p, func(m *Manifest) { m.SelfCheck.Expected[1][0] += 0.125 })
		}, "self-check failed: max difference 0.125 (row 1, head a"},
		{"self-check id out of range", func(t *testing.T, p string) {
			editManifest(t, p, func(m *Manifest) { m.SelfCheck.IDs[0] = []int64{200}; m.SelfCheck.Weights[0] = []float32{1} })
		}, "id 200 outside [0, 200)"},
		{"heads differ", func(t *testing.T, p string) {
			editManifest(t, p, func(m *Manifest) { m.Heads = []string{"b", "a"}; m.Thresholds = nil })
		}, `has heads ["a" "b"], the manifest says ["b" "a"]`},
		{"not an onnx file", func(t *testing.T, p string) {
			other := filepath.Join(filepath.Dir(p), "other.onnx")
			if err := os.WriteFile(other, []byte("garbage"), 0o644); err != nil {
				t.Fatal(err)
			}
			sum, _ := onnxrt.FileSHA256(other)
			editManifest(t, p, func(m *Manifest) { m.File, m.SHA256 = "other.onnx", sum })
		}, "not an ONNX model"},
		{"missing model file", func(t *testing.T, p string) {
			editManifest(t, p, func(m *Manifest) { m.File = "gone.onnx" })
		}, "no such file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := writeModel(t, t.TempDir(), m)
			c.break_(t, p)
			model, err := Open(p)
			if err == nil {
				model.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestManifest(t *testing.T) {
	m := randomMLP(17, 50, 4, 3, []string{"a", "b"})
	dir := t.TempDir()
	path := writeModel(t, dir, m)
	man, err := LoadManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	var features bytes.Buffer
	if err := json.Compact(&features, man.Features); err != nil {
		t.Fatal(err)
	}
	if man.File != "model.onnx" || features.String() != `{"buckets":1000}` || man.Thresholds["a"]["ko"] != 0.7 {
		t.Errorf("manifest did not round-trip: %+v", man)
	}
	for _, c := range []struct {
		name, json, want string
	}{
		{"unknown field", `{"name":"x","colour":"red"}`, `colour: unknown field`},
		{"key differing in case", `{"name":"x","Name":"y"}`, `Name: unknown field`},
		{"duplicate key", `{"name":"x","name":"y"}`, `name: appears more than once`},
		{"trailing data", `{} {}`, "after the JSON value"},
		{"no version", `{"name":"x"}`, "name and version are required"},
		{"absolute file", `{"name":"x","version":"1","file":"/m.onnx"}`, "relative to the manifest"},
		{"bad sha256", `{"name":"x","version":"1","file":"m.onnx","sha256":"ABC"}`, "64 lowercase hex digits"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, "bad.json")
			if err := os.WriteFile(p, []byte(c.json), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := LoadManifest(p); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	for _, c := range []struct {
		name string
		edit func(*Manifest)
		want string
	}{
		{"wrong inputs", func(m *Manifest) { m.Inputs = []string{"x"} }, "inputs"},
		{"duplicate heads", func(m *Manifest) { m.Heads = []string{"a", "a"} }, "distinct"},
		{"threshold out of range", func(m *Manifest) { m.Thresholds["a"]["ko"] = 1.5 }, "threshold a/ko = 1.5"},
		{"threshold for unknown head", func(m *Manifest) { m.Thresholds["z"] = nil }, `unknown head "z"`},
		{"no self-check", func(m *Manifest) { m.SelfCheck = SelfCheck{} }, "self_check"},
		{"zero tolerance", func(m *Manifest) { m.SelfCheck.Tolerance = 0 }, "tolerance 0"},
		{"short expected row", func(m *Manifest) { m.SelfCheck.Expected[2] = m.SelfCheck.Expected[2][:1] }, "row 2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			bad, err := LoadManifest(path)
			if err != nil {
				t.Fatal(err)
			}
			c.edit(bad)
			if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Validate error %v, want one containing %q", err, c.want)
			}
		})
	}
}

// BenchmarkPredict measures one goroutine's latency for a batch of 1 and of
// 32 messages of about 40 features each, on a model of production size.
func BenchmarkPredict(b *testing.B) {
	model, batches := benchModel(b)
	for _, n := range []int{1, 32} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			bs := batches[n]
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := model.Predict(bs[i%len(bs)].ids, bs[i%len(bs)].weights); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// BenchmarkPredictParallel is the serving case: GOMAXPROCS goroutines
// sharing one model.
func BenchmarkPredictParallel(b *testing.B) {
	model, batches := benchModel(b)
	for _, n := range []int{1, 32} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			bs := batches[n]
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					if _, err := model.Predict(bs[i%len(bs)].ids, bs[i%len(bs)].weights); err != nil {
						b.Error(err)
						return
					}
					i++
				}
			})
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

type benchBatch struct {
	ids     [][]int32
	weights [][]float32
}

func benchModel(b *testing.B) (*ORTModel, map[int][]benchBatch) {
	b.Helper()
	initORT(b)
	m := randomMLP(21, 131072, 32, 64, []string{"toxic", "insult", "profanity", "hate", "harassment", "sexual", "threat", "self_harm", "spam"})
	model, err := Open(writeModel(b, b.TempDir(), m))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { model.Close() })
	rng := rand.New(rand.NewPCG(22, 22))
	batches := map[int][]benchBatch{}
	for _, n := range []int{1, 32} {
		for range 64 {
			ids, weights := randomBags(rng, n, 30, 50, m.Buckets)
			batches[n] = append(batches[n], benchBatch{ids, weights})
		}
	}
	return model, batches
}
