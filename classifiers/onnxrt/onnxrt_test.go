package onnxrt

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInitMissingLibrary runs first (tests run in file order) and must not
// initialise anything: it checks the how-to text a user sees.
func TestInitMissingLibrary(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "libonnxruntime.so.1")
	for _, c := range []struct {
		name, path string
	}{
		{"missing file", missing},
		{"empty path", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := Init(c.path)
			if err == nil {
				t.Fatal("Init succeeded on a missing library")
			}
			for _, want := range []string{
				"run scripts/setup.sh",
				"onnxruntime-node@1.30.0 with npm pack",
				"bin/napi-v6/linux/x64/libonnxruntime.so.1 to .deps/onnxruntime/",
				"--onnxruntime-lib / HAECHI_ONNXRUNTIME_LIB",
			} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestDefaultLibPath(t *testing.T) {
	t.Run("env", func(t *testing.T) {
		t.Setenv(LibEnv, "/opt/ort/libonnxruntime.so.1")
		if got := DefaultLibPath(); got != "/opt/ort/libonnxruntime.so.1" {
			t.Errorf("DefaultLibPath() = %q, want the %s value", got, LibEnv)
		}
	})
	t.Run("repository", func(t *testing.T) {
		t.Setenv(LibEnv, "")
		got := DefaultLibPath()
		// The test runs in classifiers/onnxrt; the library is at the root.
		want, err := filepath.Abs(filepath.Join("..", "..", RepoLibPath))
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("DefaultLibPath() = %q, want %q", got, want)
		}
		if _, err := os.Stat(got); err != nil {
			t.Errorf("%v: run scripts/setup.sh", err)
		}
	})
}

func TestInit(t *testing.T) {
	path := DefaultLibPath()
	if err := Init(path); err != nil {
		t.Fatalf("Init(%s): %v", path, err)
	}
	if !Initialized() {
		t.Fatal("Initialized() is false after Init")
	}
	if got := LoadedVersion(); got != Version {
		t.Errorf("LoadedVersion() = %q, want %q", got, Version)
	}
	t.Run("same path again", func(t *testing.T) {
		if err := Init(path); err != nil {
			t.Errorf("second Init with the same path: %v", err)
		}
	})
	t.Run("other path", func(t *testing.T) {
		other := filepath.Join(t.TempDir(), "libonnxruntime.so.1")
		if err := os.WriteFile(other, []byte("not a library"), 0o644); err != nil {
			t.Fatal(err)
		}
		err := Init(other)
		if err == nil || !strings.Contains(err.Error(), "already loaded") {
			t.Errorf("Init with another path: error %v, want one saying the runtime is already loaded", err)
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		errs := make(chan error, 8)
		for range cap(errs) {
			go func() { errs <- Init(path) }()
		}
		for range cap(errs) {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	})
}

func TestSessionConfig(t *testing.T) {
	if err := (SessionConfig{IntraOpThreads: -1}).Validate(); err == nil {
		t.Error("negative thread count accepted")
	}
	if err := Init(DefaultLibPath()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []SessionConfig{{}, {IntraOpThreads: 2, InterOpThreads: 1}} {
		o, err := c.NewOptions()
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		if err := o.Destroy(); err != nil {
			t.Error(err)
		}
	}
}

func TestCompareOutputs(t *testing.T) {
	heads := []string{"a", "b"}
	want := [][]float32{{0.1, 0.2}, {0.3, 0.4}}
	if err := CompareOutputs([][]float32{{0.1, 0.2}, {0.3, 0.40001}}, want, heads, 1e-4); err != nil {
		t.Errorf("within tolerance: %v", err)
	}
	for name, got := range map[string][][]float32{
		"off":       {{0.1, 0.2}, {0.3, 0.5}},
		"NaN":       {{0.1, float32(math.NaN())}, {0.3, 0.4}},
		"short row": {{0.1}, {0.3, 0.4}},
		"one row":   {{0.1, 0.2}},
	} {
		if err := CompareOutputs(got, want, heads, 1e-4); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
