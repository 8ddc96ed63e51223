package nsfw

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"os/exec"
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

// repoRoot is the directory holding go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			t.Fatalf("no go.mod above %s", dir)
		}
	}
}

// sharedDir is one temporary directory for the whole test binary, so that
// the nsfwjs package is extracted and converted once; TestMain removes it.
var shared struct {
	once     sync.Once
	dir      string // temporary root
	pkgDir   string // extracted nsfwjs package
	manifest string // converted model's manifest
	err      error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

// nsfwjsModel returns the extracted pinned nsfwjs package and the manifest
// of its converted default model. The tarball is fetched once with npm pack
// into .deps/npm/ and checked against PinnedIntegrity.
func nsfwjsModel(t testing.TB) (pkgDir, manifest string) {
	t.Helper()
	root := repoRoot(t)
	shared.once.Do(func() {
		shared.err = func() error {
			tgz, err := nsfwjsTarball(root)
			if err != nil {
				return err
			}
			if shared.dir, err = os.MkdirTemp("", "nsfw-test-"); err != nil {
				return err
			}
			shared.pkgDir = filepath.Join(shared.dir, "package")
			if err := extractTarball(tgz, shared.dir); err != nil {
				return err
			}
			pkg, err := ReadPackage(os.DirFS(shared.pkgDir), DefaultModel)
			if err != nil {
				return err
			}
			model, spec, err := Convert(pkg.ModelJS, pkg.ShardsJS...)
			if err != nil {
				return err
			}
			spec.Source.Version, spec.Source.Model, spec.Source.Integrity = pkg.Version, pkg.Model, PinnedIntegrity
			shared.manifest, err = WriteModel(filepath.Join(shared.dir, "model"), model, spec)
			return err
		}()
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.pkgDir, shared.manifest
}

func nsfwjsTarball(root string) (string, error) {
	dir := filepath.Join(root, ".deps", "npm")
	tgz := filepath.Join(dir, "nsfwjs-"+PinnedVersion+".tgz")
	if _, err := os.Stat(tgz); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			return "", errors.New("npm is not installed (apt-get install npm): needed to fetch nsfwjs@" + PinnedVersion)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", err
		}
		cmd := exec.Command(npm, "pack", "--silent", "--pack-destination", dir, "nsfwjs@"+PinnedVersion)
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", errors.New("npm pack nsfwjs@" + PinnedVersion + ": " + err.Error() + ": " + string(out))
		}
	}
	data, err := os.ReadFile(tgz)
	if err != nil {
		return "", err
	}
	sum := sha512.Sum512(data)
	if got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:]); got != PinnedIntegrity {
		return "", errors.New(tgz + " has integrity " + got + ", want " + PinnedIntegrity + ": delete it to fetch again")
	}
	return tgz, nil
}

// extractTarball unpacks the regular files of an npm tarball into dir.
func extractTarball(tgz, dir string) error {
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(h.Name)
		if h.Typeflag != tar.TypeReg || filepath.IsAbs(name) || strings.HasPrefix(name, "..") {
			continue
		}
		dst := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		out, err := os.Create(dst)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, tr); err != nil {
			out.Close()
			return err
		}
		if err := out.Close(); err != nil {
			return err
		}
	}
}
