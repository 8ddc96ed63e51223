package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/classifiers/hashbank"
	"github.com/haechi-tns/haechi/classifiers/imagedecode"
	"github.com/haechi-tns/haechi/classifiers/imagesignals"
	"github.com/haechi-tns/haechi/classifiers/lexicon"
	"github.com/haechi-tns/haechi/classifiers/ocr"
	"github.com/haechi-tns/haechi/classifiers/onnxrt"
	"github.com/haechi-tns/haechi/classifiers/pii"
	"github.com/haechi-tns/haechi/classifiers/textcnn"
	"github.com/haechi-tns/haechi/classifiers/textmodel"
	"github.com/haechi-tns/haechi/classifiers/textsignals"
	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/behaviour"
	"github.com/haechi-tns/haechi/engine/moderation"
	"github.com/haechi-tns/haechi/engine/policy"
	"github.com/haechi-tns/haechi/engine/shadow"
	"github.com/haechi-tns/haechi/internal/imageredact"
	"github.com/haechi-tns/haechi/policies"
)

// Config is what the engine is built from; flags fill it in.
type Config struct {
	// PolicyDir is a policy bundle folder; empty means the bundle compiled
	// into the binary.
	PolicyDir string
	// TextModel is the fast text model's manifest.
	TextModel string
	// StrongTextModel is the strong text model's manifest; "none" runs
	// the fast model alone.
	StrongTextModel string
	// Cascade says which messages the strong model reads; nil means
	// textsignals.DefaultCascade.
	Cascade *textsignals.Cascade
	// ONNXLib is the ONNX Runtime library; empty means the default place.
	ONNXLib string
	// DataDir is where Haechi keeps state; hash banks are under banks/.
	DataDir string
	// ImageModel is the NSFW model's manifest.
	ImageModel string
	// Users gives the policy each sender's history; nil means none.
	Users engine.UserContextSource
	// Shadow, if set, sees every decision (shadow policies).
	Shadow engine.DecisionObserver
	// Behaviour, if set, keeps the state behind behavioural signals.
	Behaviour engine.BehaviourTracker
	// OCR configures the reading of text in images; the zero value reads
	// it with one engine per core.
	OCR OCRConfig
	// DeferText, if set (and OCR is on), says in which space types an
	// image is decided before its text is read and followed up after
	// (engine.WithTextDeferral); set only where a moderation service with
	// follow-ups runs.
	DeferText func(engine.SpaceType) bool
}

// OCRConfig configures the reading of text in images.
type OCRConfig struct {
	// Off leaves images' text unread: images in the space types that
	// wait for it (data.json, images.text.wait_spaces) are then all held.
	Off bool
	// Engines is the number of Tesseract engines, how many images are read
	// at once; 0 means GOMAXPROCS.
	Engines int
	// Timeout bounds one image's reading, the wait for an engine included;
	// 0 means imagesignals.DefaultTextTimeout.
	Timeout time.Duration
	// FollowUpQueue and FollowUpWorkers bound the readings left for
	// after the first decision: how many wait in memory (0: 64) and how
	// many run at once (0: Engines).
	FollowUpQueue, FollowUpWorkers int
}

// cascade is the configured cascade, or the default.
func (c Config) cascade() textsignals.Cascade {
	if c.Cascade == nil {
		return textsignals.DefaultCascade
	}
	return *c.Cascade
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
	if c.OCR.Engines < 0 || c.OCR.Engines > 64 {
		return fmt.Errorf("--ocr-engines: %d: 1 to 64, or 0 for one per core", c.OCR.Engines)
	}
	if c.OCR.FollowUpQueue < 0 || c.OCR.FollowUpQueue > 100_000 {
		return fmt.Errorf("--ocr-followup-queue: %d: 1 to 100000, or 0 for 64", c.OCR.FollowUpQueue)
	}
	if c.OCR.FollowUpWorkers < 0 || c.OCR.FollowUpWorkers > 64 {
		return fmt.Errorf("--ocr-followup-workers: %d: 1 to 64, or 0 for one per OCR engine", c.OCR.FollowUpWorkers)
	}
	if c.OCR.Timeout < 0 {
		return fmt.Errorf("--ocr-timeout: %s: must not be negative", c.OCR.Timeout)
	}
	return nil
}

// repoTextModel and repoStrongTextModel are where the committed text
// models live in the repository.
const (
	repoTextModel       = "classifiers/models/text/manifest.json"
	repoStrongTextModel = "classifiers/models/text-cnn/manifest.json"
)

var strongTextModelFlag = &cli.StringFlag{
	Name:    "strong-text-model",
	Usage:   "manifest of the strong text model the cascade routes uncertain messages to, or none (default: " + repoStrongTextModel + " in the checkout haechi runs from)",
	EnvVars: []string{"HAECHI_STRONG_TEXT_MODEL"},
}

var cascadeBandFlag = &cli.Float64Flag{
	Name:  "cascade-band",
	Value: textsignals.DefaultCascade.Band,
	Usage: "the strong text model reads a message when the fast model scores some head at this fraction of its threshold or more; 0 sends every message to it",
}

var textModelFlag = &cli.StringFlag{
	Name:    "text-model",
	Usage:   "manifest of the ONNX text model (default: " + repoTextModel + " in the checkout haechi runs from)",
	EnvVars: []string{"HAECHI_TEXT_MODEL"},
}

// engineFlags are the flags of every command that builds the engine.
func engineFlags(extra ...cli.Flag) []cli.Flag {
	return append([]cli.Flag{policiesFlag, textModelFlag, strongTextModelFlag, cascadeBandFlag, imageModelFlag, onnxLibFlag, dataDirFlag,
		ocrFlag, ocrEnginesFlag, ocrTimeoutFlag, ocrFollowUpQueueFlag, ocrFollowUpWorkersFlag}, extra...)
}

var (
	ocrFlag = &cli.BoolFlag{
		Name:    "ocr",
		Value:   true,
		Usage:   "read the text in images (Tesseract, Korean and English) and judge it as chat is judged; --ocr=false holds every image in the space types that wait for it",
		EnvVars: []string{"HAECHI_OCR"},
	}
	ocrEnginesFlag = &cli.IntFlag{
		Name:  "ocr-engines",
		Usage: "Tesseract engines, how many images are read at once, about 27 MiB each (default: one per core, GOMAXPROCS)",
	}
	ocrFollowUpQueueFlag = &cli.IntFlag{
		Name:  "ocr-followup-queue",
		Usage: "images decided before their text was read (space types not in images.text.wait_spaces) whose reading waits in memory; beyond it they wait in the store and are read when there is room (default 64)",
	}
	ocrFollowUpWorkersFlag = &cli.IntFlag{
		Name:  "ocr-followup-workers",
		Usage: "readings for follow-up decisions at once (default: one per OCR engine); they share the engines with the images that wait for their text",
	}
	ocrTimeoutFlag = &cli.DurationFlag{
		Name:  "ocr-timeout",
		Value: imagesignals.DefaultTextTimeout,
		Usage: "longest one image's text may take, the wait for an engine included; an image not read in time is held where images wait for their text and decided without it elsewhere",
	}
)

// findInCheckout looks for rel in the working directory and its parents,
// then beside the executable and its parents, so that commands run from
// anywhere in a checkout (tests run in their package folder) find the
// committed files. It returns rel itself when nothing is found, so the
// error names the path that was expected.
func findInCheckout(rel string) string {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		if exe, err = filepath.EvalSymlinks(exe); err == nil {
			starts = append(starts, filepath.Dir(exe))
		}
	}
	for _, dir := range starts {
		for {
			p := filepath.Join(dir, rel)
			if _, err := os.Stat(p); err == nil {
				return p
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return rel
}

var onnxLibFlag = &cli.StringFlag{
	Name:    "onnxruntime-lib",
	Usage:   "path of libonnxruntime.so.1 (default: $HAECHI_ONNXRUNTIME_LIB or .deps/onnxruntime/ as scripts/setup.sh leaves it)",
	EnvVars: []string{onnxrt.LibEnv},
}

// openTextModel starts ONNX Runtime and opens the text model named by the
// configuration; either failing stops the command at start-up with the
// reason and how to fix it.
func openTextModel(cfg Config) (*textmodel.ORTModel, error) {
	lib := cfg.ONNXLib
	if lib == "" {
		lib = onnxrt.DefaultLibPath()
	}
	if err := onnxrt.Init(lib); err != nil {
		return nil, err
	}
	path := cfg.TextModel
	if path == "" {
		path = findInCheckout(repoTextModel)
	}
	m, err := textmodel.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w (the model is committed under classifiers/models/text; --text-model names another)", err)
	}
	return m, nil
}

// openStrongTextModel opens the strong text model named by the
// configuration, or returns nil when it is "none". ONNX Runtime must be
// initialised.
func openStrongTextModel(cfg Config) (*textcnn.Model, error) {
	path := cfg.StrongTextModel
	switch path {
	case "none":
		return nil, nil
	case "":
		path = findInCheckout(repoStrongTextModel)
	}
	m, err := textcnn.Open(path, onnxrt.SessionConfig{})
	if err != nil {
		return nil, fmt.Errorf("%w (the model is committed under classifiers/models/text-cnn; --strong-text-model names another, or none)", err)
	}
	return m, nil
}

// checkModelThresholds refuses a policy bundle whose thresholds for a
// loaded model (data.models.<name>) were written for another model file:
// they would mean nothing for this model's probabilities.
func checkModelThresholds(b *policy.Bundle, name, modelName, sha256 string) error {
	models, _ := b.Data["models"].(map[string]any)
	text, _ := models[name].(map[string]any)
	sum, _ := text["sha256"].(string)
	switch {
	case text == nil:
		return fmt.Errorf("policy bundle %s has no data.models.%s for the thresholds of text model %s (haechi train text writes policies/models/data.json)", b.Revision, name, modelName)
	case sum != sha256:
		return fmt.Errorf("policy bundle %s holds thresholds for text model %.12s in data.models.%s, but model %.12s is loaded: copy the thresholds of %s into the bundle's models/data.json (haechi train text --policy-data does it)", b.Revision, sum, name, sha256, modelName)
	}
	return nil
}

var policiesFlag = &cli.StringFlag{
	Name:    "policies",
	Usage:   "policy bundle folder (default: the bundle built into haechi)",
	EnvVars: []string{"HAECHI_POLICIES"},
}

func configFrom(c *cli.Context) Config {
	cascade := textsignals.DefaultCascade
	cascade.Band = c.Float64("cascade-band")
	return Config{PolicyDir: c.String("policies"), TextModel: c.String("text-model"), StrongTextModel: c.String("strong-text-model"), Cascade: &cascade,
		ONNXLib: c.String("onnxruntime-lib"), DataDir: c.String("data-dir"), ImageModel: c.String("image-model"),
		OCR: OCRConfig{Off: !c.Bool("ocr"), Engines: c.Int("ocr-engines"), Timeout: c.Duration("ocr-timeout"),
			FollowUpQueue: c.Int("ocr-followup-queue"), FollowUpWorkers: c.Int("ocr-followup-workers")}}
}

// core is the decision engine and its parts. moderation and wake are set
// by openStoreAndCore, for commands that store decisions.
type core struct {
	pipeline *engine.Pipeline
	policy   *policy.Engine
	text     *textsignals.Classifier
	images   *imagesignals.Classifier
	// moderation is the one path from an event to a stored decision,
	// shared by the API and the worker.
	moderation *moderation.Service
	// wake is signalled when moderation queued platform actions, for the
	// outbox relay in this process.
	wake chan struct{}
	// checkModels refuses a bundle without thresholds for the loaded
	// text models (checkModelThresholds); candidates and reloads pass it.
	checkModels func(*policy.Bundle) error
	// behaviour is the behavioural state, set by openStoreAndCore; the
	// stream worker saves it per partition. Nil with no store.
	behaviour *behaviour.Tracker
	// shadow and control are set by openStoreAndCore: shadow policies,
	// and the store's policy control that this instance follows.
	shadow  *shadow.Shadow
	control *policyControl
	// stopExchange stops sharing behavioural marks with other instances.
	stopExchange func()
	// ocr reads the text in images; nil with --ocr=false.
	ocr *ocr.Pool
	// ocrEngines is how many engines ocr has.
	ocrEngines int
	// waits is the serving bundle's images.text.wait_spaces, set by
	// openStoreAndCore; followUps reads what the first decisions leave
	// (startModeration).
	waits     *waitSpaces
	followUps *moderation.FollowUps
}

// close stops what openStoreAndCore started for k: following the policy
// control (storing the shadow's last counts) and the shadow.
func (k *core) close() {
	if k == nil {
		return
	}
	k.control.close()
	if k.followUps != nil {
		// Before the OCR engines it reads with.
		ctx, cancel := context.WithTimeout(context.Background(), 35*time.Second)
		defer cancel()
		k.followUps.Close(ctx)
	}
	if k.stopExchange != nil {
		k.stopExchange()
	}
	if k.shadow != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		k.shadow.Close(ctx)
	}
	if k.ocr != nil {
		// Readings in flight end within their timeout.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		k.ocr.Close(ctx)
	}
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
	model, err := openTextModel(cfg)
	if err != nil {
		return nil, err
	}
	man := model.Manifest()
	checks := []func(*policy.Bundle) error{func(b *policy.Bundle) error {
		return checkModelThresholds(b, textsignals.ModelName, man.Name, man.SHA256)
	}}
	textOpts := []textsignals.Option{textsignals.WithModel(model)}
	strong, err := openStrongTextModel(cfg)
	if err != nil {
		return nil, err
	}
	if strong != nil {
		sm := strong.Manifest()
		checks = append(checks, func(b *policy.Bundle) error {
			return checkModelThresholds(b, textsignals.StrongModelName, sm.Name, sm.SHA256)
		})
		textOpts = append(textOpts, textsignals.WithStrongModel(strong, cfg.cascade()))
	}
	checkModels := func(b *policy.Bundle) error {
		for _, check := range checks {
			if err := check(b); err != nil {
				return err
			}
		}
		return nil
	}
	if err := checkModels(b); err != nil {
		return nil, err
	}
	text, err := textsignals.New(lex, pii.New(), textOpts...)
	if err != nil {
		return nil, err
	}
	banks, err := hashbank.Load(filepath.Join(cfg.DataDir, "banks"))
	if err != nil {
		return nil, err
	}
	nsfwModel, err := openImageModel(cfg)
	if err != nil {
		return nil, err
	}
	spec := nsfwModel.Spec()
	imageOpts := []imagesignals.Option{imagesignals.WithContentModel("nsfw", nsfwModel, spec.Name+"-"+spec.SHA256[:12])}
	registered, err := openRegisteredImageModels(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	for _, m := range registered {
		man := m.Manifest()
		imageOpts = append(imageOpts, imagesignals.WithContentModel(man.Name, m, man.Name+"-"+man.Version))
	}
	// The OCR engines start last: nothing after them can fail, so they
	// need no closing here.
	var reader *ocr.Pool
	engines := 0
	if !cfg.OCR.Off {
		engines = cfg.OCR.Engines
		if engines == 0 {
			engines = runtime.GOMAXPROCS(0)
		}
		reader, err = ocr.New(ocr.Config{Engines: engines, Timeout: cfg.OCR.Timeout})
		if err != nil {
			return nil, fmt.Errorf("%w (Tesseract and its kor and eng models come from Debian's tesseract-ocr-kor, installed by scripts/setup.sh; --ocr=false runs without reading images' text)", err)
		}
		imageOpts = append(imageOpts, imagesignals.WithTextReader(reader, text, cfg.OCR.Timeout))
	}
	images := imagesignals.New(banks, imagedecode.DefaultLimits, hashbank.DefaultMaxDistance, imageOpts...)
	opts := []engine.PipelineOption{engine.WithTextClassifiers(text), engine.WithImageClassifiers(images),
		engine.WithImageRedactor(imageredact.New(imagedecode.DefaultLimits))}
	if cfg.Users != nil {
		opts = append(opts, engine.WithUserContext(cfg.Users))
	}
	if cfg.Shadow != nil {
		opts = append(opts, engine.WithObserver(cfg.Shadow))
	}
	if cfg.Behaviour != nil {
		opts = append(opts, engine.WithBehaviour(cfg.Behaviour))
	}
	if cfg.DeferText != nil && reader != nil {
		opts = append(opts, engine.WithTextDeferral(cfg.DeferText))
	}
	return &core{
		pipeline:    engine.NewPipeline(pe, opts...),
		policy:      pe,
		text:        text,
		images:      images,
		checkModels: checkModels,
		ocr:         reader,
		ocrEngines:  engines,
	}, nil
}

// waitSpaces is the serving bundle's images.text.wait_spaces: the space
// types where an image waits for its text to be read before its decision.
// Elsewhere it is decided at once and followed up. Until a bundle names
// them, every space type waits.
type waitSpaces struct {
	set atomic.Pointer[map[engine.SpaceType]bool]
}

// load takes the wait spaces from a bundle's data; a bundle without a
// valid list leaves every space type waiting, and says so.
func (w *waitSpaces) load(data map[string]any) error {
	var list []any
	v, ok := data["haechi"].(map[string]any)
	for _, k := range []string{"config", "images", "text"} {
		if !ok {
			break
		}
		v, ok = v[k].(map[string]any)
	}
	if ok {
		list, ok = v["wait_spaces"].([]any)
	}
	if !ok {
		w.set.Store(nil)
		return errors.New("data.haechi.config.images.text.wait_spaces is not a list: every image waits for its text")
	}
	m := make(map[engine.SpaceType]bool, len(list))
	for _, x := range list {
		s, ok := x.(string)
		if !ok {
			w.set.Store(nil)
			return fmt.Errorf("data.haechi.config.images.text.wait_spaces holds %v, not a space type: every image waits for its text", x)
		}
		m[engine.SpaceType(s)] = true
	}
	w.set.Store(&m)
	return nil
}

// defers reports whether an image in space type t is decided before its
// text is read.
func (w *waitSpaces) defers(t engine.SpaceType) bool {
	m := w.set.Load()
	return m != nil && !(*m)[t]
}
