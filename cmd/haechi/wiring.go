package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/classifiers/lexicon"
	"github.com/haechi-tns/haechi/classifiers/onnxrt"
	"github.com/haechi-tns/haechi/classifiers/pii"
	"github.com/haechi-tns/haechi/classifiers/textmodel"
	"github.com/haechi-tns/haechi/classifiers/textsignals"
	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/policy"
	"github.com/haechi-tns/haechi/policies"
)

// Config is what the engine is built from; flags fill it in.
type Config struct {
	// PolicyDir is a policy bundle folder; empty means the bundle compiled
	// into the binary.
	PolicyDir string
}

// Validate checks the configuration before anything starts.
func (c Config) Validate() error {
	if c.PolicyDir != "" {
		st, err := os.Stat(c.PolicyDir)
		if err != nil {
			return fmt.Errorf("--policies: %w", err)
		}
		if !st.IsDir() {
			return fmt.Errorf("--policies: %s is not a folder", c.PolicyDir)
		}
	}
	return nil
}

var textModelFlag = &cli.StringFlag{
	Name:    "text-model",
	Value:   "classifiers/models/text/manifest.json",
	Usage:   "manifest of the ONNX text model",
	EnvVars: []string{"HAECHI_TEXT_MODEL"},
}

var onnxLibFlag = &cli.StringFlag{
	Name:    "onnxruntime-lib",
	Usage:   "path of libonnxruntime.so.1 (default: $HAECHI_ONNXRUNTIME_LIB or .deps/onnxruntime/ as scripts/setup.sh leaves it)",
	EnvVars: []string{onnxrt.LibEnv},
}

// openTextModel starts ONNX Runtime and opens the text model named by the
// flags; either failing stops the command at start-up with the reason.
func openTextModel(c *cli.Context) (*textmodel.ORTModel, error) {
	lib := c.String("onnxruntime-lib")
	if lib == "" {
		lib = onnxrt.DefaultLibPath()
	}
	if err := onnxrt.Init(lib); err != nil {
		return nil, err
	}
	return textmodel.Open(c.String("text-model"))
}

var policiesFlag = &cli.StringFlag{
	Name:    "policies",
	Usage:   "policy bundle folder (default: the bundle built into haechi)",
	EnvVars: []string{"HAECHI_POLICIES"},
}

func configFrom(c *cli.Context) Config {
	return Config{PolicyDir: c.String("policies")}
}

// core is the decision engine and its parts.
type core struct {
	pipeline *engine.Pipeline
	policy   *policy.Engine
}

// loadBundle reads the configured policy bundle.
func loadBundle(cfg Config) (*policy.Bundle, error) {
	if cfg.PolicyDir == "" {
		return policy.LoadFS(policies.FS)
	}
	return policy.LoadDir(cfg.PolicyDir)
}

// newCore builds the engine: policy (compiled and tested), lexicon and PII
// detector, and the pipeline over them.
func newCore(ctx context.Context, cfg Config, log *slog.Logger) (*core, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	b, err := loadBundle(cfg)
	if err != nil {
		return nil, err
	}
	pe, err := policy.New(ctx, b, log)
	if err != nil {
		return nil, err
	}
	lex, err := lexicon.Default()
	if err != nil {
		return nil, err
	}
	text := textsignals.New(lex, pii.New())
	return &core{
		pipeline: engine.NewPipeline(pe, engine.WithTextClassifiers(text)),
		policy:   pe,
	}, nil
}

