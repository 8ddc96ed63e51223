// Package onnxrt loads ONNX Runtime into the process and makes session
// options for it. ONNX Runtime is a shared library (libonnxruntime.so.1)
// opened with dlopen through github.com/yalue/onnxruntime_go, so this
// package needs cgo.
//
// The library and its environment are process-wide by nature: onnxruntime_go
// keeps them in package state, so Init is the one place that sets them up,
// called once from the program's wiring before any model is opened. Models
// (see classifiers/textmodel ORTModel) then create their sessions with
// SessionConfig.NewOptions.
package onnxrt

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync"

	"github.com/haechi-tns/haechi/engine"
	ort "github.com/yalue/onnxruntime_go"
)

// Version is the ONNX Runtime release that scripts/setup.sh fetches and that
// this package is tested with.
const Version = "1.30.0"

// LibEnv is the environment variable that DefaultLibPath consults first.
const LibEnv = "HAECHI_ONNXRUNTIME_LIB"

// RepoLibPath is where scripts/setup.sh puts the library, relative to the
// repository root.
const RepoLibPath = ".deps/onnxruntime/libonnxruntime.so.1"

// howToGet is appended to the error for a missing library.
const howToGet = "run scripts/setup.sh, which fetches onnxruntime-node@" + Version +
	" with npm pack and extracts bin/napi-v6/linux/x64/libonnxruntime.so.1 to .deps/onnxruntime/," +
	" or pass --onnxruntime-lib / " + LibEnv

// ErrNotInitialized is returned by SessionConfig.NewOptions before Init.
var ErrNotInitialized = errors.New("onnxrt: ONNX Runtime is not initialised: call onnxrt.Init first")

// state is the process-wide ONNX Runtime environment (see the package doc).
var state struct {
	mu   sync.Mutex
	path string // absolute path of the loaded library; "" until Init succeeds
}

// Init loads the ONNX Runtime library at libPath and creates the process's
// ONNX Runtime environment. Call it once at start-up, before opening models.
// It is safe to call from several goroutines: a call with the path already
// loaded returns nil, a call with another path is an error (a process holds
// one ONNX Runtime). After a failed call, Init may be tried again.
//
// If the file does not exist the error says how to get it.
func Init(libPath string) error {
	if libPath == "" {
		return errors.New("onnxrt: init: no library path given; " + howToGet)
	}
	abs, err := filepath.Abs(libPath)
	if err != nil {
		return fmt.Errorf("onnxrt: init: %w", err)
	}
	state.mu.Lock()
	defer state.mu.Unlock()
	if state.path == abs {
		return nil
	}
	if fi, err := os.Stat(abs); err != nil || fi.IsDir() {
		return fmt.Errorf("onnxrt: init: ONNX Runtime library %s not found: %s", abs, howToGet)
	}
	if state.path != "" {
		return fmt.Errorf("onnxrt: init: ONNX Runtime is already loaded from %s, cannot also load %s", state.path, abs)
	}
	ort.SetSharedLibraryPath(abs)
	// Warnings from ONNX Runtime go to stderr unstructured; only errors are
	// worth that.
	if err := ort.InitializeEnvironment(ort.WithLogLevelError()); err != nil {
		return fmt.Errorf("onnxrt: init %s: %w", abs, err)
	}
	state.path = abs
	return nil
}

// Initialized reports whether Init has succeeded in this process.
func Initialized() bool {
	state.mu.Lock()
	defer state.mu.Unlock()
	return state.path != ""
}

// LoadedVersion is the version string of the loaded library ("" before Init).
func LoadedVersion() string {
	if !Initialized() {
		return ""
	}
	return ort.GetVersion()
}

// DefaultLibPath says where the library is when no path was configured: the
// value of HAECHI_ONNXRUNTIME_LIB if set; else .deps/onnxruntime/
// libonnxruntime.so.1 in the working directory or a parent of it, up to the
// directory holding go.mod; else the same under the executable's directory
// or its parents. When nothing is found it returns the path relative to the
// working directory's module root (or the working directory), so that Init's
// error names where the file was expected.
func DefaultLibPath() string {
	if p := os.Getenv(LibEnv); p != "" {
		return p
	}
	var fallback string
	if wd, err := os.Getwd(); err == nil {
		p, root := findUp(wd)
		if p != "" {
			return p
		}
		fallback = filepath.Join(root, RepoLibPath)
	}
	if exe, err := os.Executable(); err == nil {
		if exe, err = filepath.EvalSymlinks(exe); err == nil {
			if p, _ := findUp(filepath.Dir(exe)); p != "" {
				return p
			}
		}
	}
	if fallback == "" {
		fallback = RepoLibPath
	}
	return fallback
}

// findUp looks for RepoLibPath in dir and its parents, stopping at the first
// directory that holds go.mod. It returns the library path if found, and the
// directory where the search stopped (the module root, or dir when there is
// none).
func findUp(dir string) (lib, root string) {
	for d := dir; ; {
		p := filepath.Join(d, RepoLibPath)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, d
		}
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return "", d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", dir
		}
		d = parent
	}
}

// SessionConfig sets how a session uses threads. Haechi runs many session
// calls at once from goroutines, so one thread per call is the default:
// more would only contend for the same cores.
type SessionConfig struct {
	IntraOpThreads int // threads one Run may use for one operator; 0 means 1
	InterOpThreads int // threads for running operators in parallel; 0 means 1
}

// Validate reports a negative thread count.
func (c SessionConfig) Validate() error {
	if c.IntraOpThreads < 0 || c.InterOpThreads < 0 {
		return fmt.Errorf("onnxrt: bad thread counts intra_op=%d inter_op=%d", c.IntraOpThreads, c.InterOpThreads)
	}
	return nil
}

// NewOptions makes ONNX Runtime session options for c: sequential
// execution, full graph optimisation, the configured thread counts. The
// caller destroys them once the session is created.
func (c SessionConfig) NewOptions() (*ort.SessionOptions, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if !Initialized() {
		return nil, ErrNotInitialized
	}
	intra, inter := max(c.IntraOpThreads, 1), max(c.InterOpThreads, 1)
	o, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("onnxrt: session options: %w", err)
	}
	steps := []func() error{
		func() error { return o.SetIntraOpNumThreads(intra) },
		func() error { return o.SetInterOpNumThreads(inter) },
		func() error { return o.SetExecutionMode(ort.ExecutionModeSequential) },
		func() error { return o.SetGraphOptimizationLevel(ort.GraphOptimizationLevelEnableAll) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			o.Destroy()
			return nil, fmt.Errorf("onnxrt: session options: %w", err)
		}
	}
	return o, nil
}

// ReadVerified reads a model file and checks it against the SHA-256 its
// manifest records, so that a session is only ever made from the bytes
// that were checked.
func ReadVerified(path, wantSHA256 string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != wantSHA256 {
		return nil, fmt.Errorf("checksum mismatch: %s has sha256 %s, the manifest says %s", path, got, wantSHA256)
	}
	return data, nil
}

// FileSHA256 returns the lowercase hex SHA-256 of a file, as manifests
// record it.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// IsSHA256Hex reports whether s is a lowercase hex SHA-256.
func IsSHA256Hex(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// ErrClosed is returned by Session.Run after Close.
var ErrClosed = errors.New("onnxrt: model is closed")

// Session is one ONNX Runtime session that all goroutines share, and that
// closes once: Close waits for runs in progress, later runs get ErrClosed.
type Session struct {
	mu sync.RWMutex // write-held only by Close
	s  *ort.DynamicAdvancedSession
}

// NewSession creates a session from model bytes (already verified with
// ReadVerified) with the given input and output names. Init must have
// succeeded.
func NewSession(data []byte, inputs, outputs []string, cfg SessionConfig) (*Session, error) {
	opts, err := cfg.NewOptions()
	if err != nil {
		return nil, err
	}
	defer opts.Destroy()
	s, err := ort.NewDynamicAdvancedSessionWithONNXData(data, inputs, outputs, opts)
	if err != nil {
		return nil, fmt.Errorf("onnx runtime session: %w", err)
	}
	return &Session{s: s}, nil
}

// Run runs the session; a nil output is allocated by ONNX Runtime.
func (s *Session) Run(inputs, outputs []ort.Value) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.s == nil {
		return ErrClosed
	}
	return s.s.Run(inputs, outputs)
}

// Close releases the session. Closing twice is harmless.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.s == nil {
		return nil
	}
	err := s.s.Destroy()
	s.s = nil
	return err
}

// CompareOutputs checks a model's outputs against the outputs its maker
// recorded (a self-check): every value within tolerance, NaN never. The
// error names the worst row and head.
func CompareOutputs(got, want [][]float32, heads []string, tolerance float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("self-check failed: %d rows, want %d", len(got), len(want))
	}
	worst, wr, wc := 0.0, 0, 0
	for r := range got {
		if len(got[r]) != len(want[r]) || len(got[r]) > len(heads) {
			return fmt.Errorf("self-check failed: row %d has %d values, want %d", r, len(got[r]), len(want[r]))
		}
		for c := range got[r] {
			d := math.Abs(float64(got[r][c]) - float64(want[r][c]))
			if d > worst || math.IsNaN(d) {
				worst, wr, wc = d, r, c
			}
		}
	}
	if !(worst <= tolerance) {
		return fmt.Errorf("self-check failed: max difference %.3g (row %d, head %s: got %v, want %v) exceeds tolerance %.3g",
			worst, wr, heads[wc], got[wr][wc], want[wr][wc], tolerance)
	}
	return nil
}

// Manifest is a model manifest that can check itself.
type Manifest interface{ Validate() error }

// ReadManifest reads the JSON manifest at path into m, strictly (exact
// keys, no duplicates, nothing unknown), and validates it. Errors name the
// file.
func ReadManifest(path string, m Manifest) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	if err := engine.DecodeJSON(data, m); err != nil {
		return fmt.Errorf("manifest %s: %w", path, err)
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("manifest %s: %w", path, err)
	}
	return nil
}
