package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/classifiers/imagemodel"
	"github.com/haechi-tns/haechi/classifiers/nsfw"
	"github.com/haechi-tns/haechi/classifiers/onnxrt"
)

// repoNSFWModel is where scripts/setup.sh leaves the converted NSFW model.
const repoNSFWModel = ".deps/models/nsfw/" + nsfw.ManifestFile

var imageModelFlag = &cli.StringFlag{
	Name:    "image-model",
	Usage:   "manifest of the ONNX image (NSFW) model (default: " + repoNSFWModel + " in the checkout, as scripts/setup.sh converts it)",
	EnvVars: []string{"HAECHI_IMAGE_MODEL"},
}

func modelsCommand() *cli.Command {
	return &cli.Command{
		Name:  "models",
		Usage: "import and convert models",
		Subcommands: []*cli.Command{{
			Name:      "register-image",
			Usage:     "register an operator's ONNX image classifier from its manifest",
			ArgsUsage: "model.json",
			Description: `The manifest names the ONNX file (beside it), its sha256, the input
(tensor name, square size, scale, per-channel mean and std; NCHW RGB), the
output (tensor name, activation none|softmax|sigmoid), the labels, and which
labels make up which moderation category, for example
{"nudity": ["explicit"], "suggestive": ["racy"]}. The model is opened and
checked, then copied under --data-dir/models/image/<name>/; haechi serve
loads every registered model at start-up beside the NSFW model, and policy
sees the highest score per category.`,
			Flags:  []cli.Flag{dataDirFlag, onnxLibFlag},
			Action: registerImageModel,
		}, {
			Name:  "import-nsfwjs",
			Usage: "convert nsfwjs's MobileNetV2 (an extracted npm package) to ONNX",
			Description: `Reads the Keras layers topology and the uint8-quantised weights that
nsfwjs ships in dist/models/<model>/, builds the same network as an ONNX
graph and writes model.onnx and its manifest model.json to --out. Does
nothing when --out already holds a conversion of the same files by this
converter. scripts/nsfw-model.sh fetches and verifies the package (npm
pack) and runs this.`,
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "package-dir", Required: true, Usage: "extracted nsfwjs package (the folder holding package.json)"},
				&cli.StringFlag{Name: "out", Value: filepath.Dir(repoNSFWModel), Usage: "where to write model.onnx and model.json"},
				&cli.StringFlag{Name: "model", Value: nsfw.DefaultModel, Usage: "model folder under dist/models"},
				&cli.StringFlag{Name: "integrity", Usage: "npm integrity (sha512-…) of the package tarball, recorded in the manifest"},
				&cli.BoolFlag{Name: "force", Usage: "convert even if --out is up to date"},
			},
			Action: importNSFWJS,
		}},
	}
}

func importNSFWJS(c *cli.Context) error {
	pkg, err := nsfw.ReadPackage(os.DirFS(c.String("package-dir")), c.String("model"))
	if err != nil {
		return err
	}
	source := nsfw.SourceHash(pkg.ModelJS, pkg.ShardsJS...)
	manifest := filepath.Join(c.String("out"), nsfw.ManifestFile)
	if !c.Bool("force") && nsfwUpToDate(manifest, source) {
		fmt.Fprintf(c.App.Writer, "%s is up to date (nsfwjs %s %s)\n", manifest, pkg.Version, pkg.Model)
		return nil
	}
	model, spec, err := nsfw.Convert(pkg.ModelJS, pkg.ShardsJS...)
	if err != nil {
		return err
	}
	spec.Name = "nsfwjs-" + pkg.Model
	spec.Source.Version, spec.Source.Model, spec.Source.Integrity = pkg.Version, pkg.Model, c.String("integrity")
	path, err := nsfw.WriteModel(c.String("out"), model, spec)
	if err != nil {
		return err
	}
	written, err := nsfw.LoadSpec(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "wrote %s (model sha256 %s) from nsfwjs %s %s\n", path, written.SHA256, pkg.Version, pkg.Model)
	return nil
}

// nsfwUpToDate reports whether manifest describes an intact conversion of
// the source files by this converter version.
func nsfwUpToDate(manifest, source string) bool {
	spec, err := nsfw.LoadSpec(manifest)
	if err != nil || spec.Source.SHA256 != source || spec.Converter != nsfw.ConverterVersion {
		return false
	}
	sum, err := onnxrt.FileSHA256(filepath.Join(filepath.Dir(manifest), spec.File))
	return err == nil && sum == spec.SHA256
}

// openImageModel opens the NSFW model named by the configuration; ONNX
// Runtime must be initialised.
func openImageModel(cfg Config) (*nsfw.Model, error) {
	path := cfg.ImageModel
	if path == "" {
		path = findInCheckout(repoNSFWModel)
	}
	m, err := nsfw.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: run scripts/setup.sh, which converts nsfwjs's model into %s, or pass --image-model", err, filepath.Dir(repoNSFWModel))
		}
		return nil, err
	}
	return m, nil
}

// registeredModelsDir is where registered image models live.
func registeredModelsDir(dataDir string) string { return filepath.Join(dataDir, "models", "image") }

func registerImageModel(c *cli.Context) error {
	if c.NArg() != 1 {
		return errors.New("name one manifest (model.json)")
	}
	lib := c.String("onnxruntime-lib")
	if lib == "" {
		lib = onnxrt.DefaultLibPath()
	}
	if err := onnxrt.Init(lib); err != nil {
		return err
	}
	src := c.Args().First()
	m, err := imagemodel.Open(src)
	if err != nil {
		return err
	}
	man := m.Manifest()
	m.Close()
	dst := filepath.Join(registeredModelsDir(c.String("data-dir")), man.Name)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, name := range []string{man.File, filepath.Base(src)} {
		from := filepath.Join(filepath.Dir(src), name)
		if name == filepath.Base(src) {
			from = src
		}
		data, err := os.ReadFile(from)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, name)
		if name == filepath.Base(src) {
			target = filepath.Join(dst, "model.json")
		}
		if err := os.WriteFile(target, data, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(c.App.Writer, "registered image model %s %s in %s\n", man.Name, man.Version, dst)
	return nil
}

// openRegisteredImageModels opens every model registered under dataDir.
func openRegisteredImageModels(dataDir string) ([]*imagemodel.Model, error) {
	manifests, err := filepath.Glob(filepath.Join(registeredModelsDir(dataDir), "*", "model.json"))
	if err != nil {
		return nil, err
	}
	var out []*imagemodel.Model
	for _, path := range manifests {
		m, err := imagemodel.Open(path)
		if err != nil {
			for _, o := range out {
				o.Close()
			}
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}
