package policy

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/policies"
)

func loadRepoPolicies(t testing.TB) *Bundle {
	t.Helper()
	b, err := LoadFS(policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// repoEngine is an engine serving the default bundle.
func repoEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := New(context.Background(), loadRepoPolicies(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func chatInput(space engine.SpaceType, scores engine.Scores) *engine.PolicyInput {
	return &engine.PolicyInput{
		Event: engine.PolicyEvent{
			ID: "e1", Kind: engine.KindChat, World: "w",
			Space:  engine.Space{ID: "s1", Type: space},
			Sender: engine.Party{ID: "u1", Role: engine.RoleCitizen},
		},
		Signals: &engine.Signals{Scores: scores, Analysed: []string{"text"}},
	}
}

// TestRegoPolicies runs every Rego test of the default bundle as a subtest.
func TestRegoPolicies(t *testing.T) {
	results, err := loadRepoPolicies(t).Test(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(results) < 50 {
		t.Fatalf("only %d Rego tests found", len(results))
	}
	for _, r := range results {
		t.Run(r.Package+"."+r.Name, func(t *testing.T) {
			if !r.Pass {
				t.Errorf("%s: %v", r.Location, r.Err)
			}
		})
	}
}

// TestEveryPrincipleAggregated guards against a principle package whose
// violations main.rego forgets to collect.
func TestEveryPrincipleAggregated(t *testing.T) {
	b := loadRepoPolicies(t)
	main, err := fs.ReadFile(policies.FS, "main.rego")
	if err != nil {
		t.Fatal(err)
	}
	pkg := regexp.MustCompile(`^data\.haechi\.principles\.(\w+)$`)
	found := 0
	for path, m := range b.Modules {
		sub := pkg.FindStringSubmatch(m.Package.Path.String())
		if sub == nil {
			continue
		}
		found++
		if !strings.Contains(string(main), "principles."+sub[1]+".violation") {
			t.Errorf("%s: package %s is not collected in main.rego", path, sub[1])
		}
	}
	if found < 6 {
		t.Errorf("found %d principle packages, want at least 6", found)
	}
}

func TestEvaluate(t *testing.T) {
	ctx := context.Background()
	e := repoEngine(t)
	tests := []struct {
		name   string
		in     *engine.PolicyInput
		action engine.Action
		rules  []string
	}{
		{"benign", chatInput(engine.SpacePlaza, engine.Scores{engine.Toxic: 0.1}), engine.ActionAllow, nil},
		{"profanity", chatInput(engine.SpacePlaza, engine.Scores{engine.Profanity: 0.9}), engine.ActionRedact, []string{"respect.profanity.redact"}},
		{"hate", chatInput(engine.SpacePlaza, engine.Scores{engine.Hate: 0.8}), engine.ActionBlock, []string{"respect.hate.block", "respect.hate.hold"}},
		{"self harm", chatInput(engine.SpaceLibrary, engine.Scores{engine.SelfHarm: 0.9}), engine.ActionEscalate, []string{"safety.self_harm.escalate"}},
		{"scam in business", chatInput(engine.SpaceBusiness, engine.Scores{engine.Scam: 0.65}), engine.ActionBlock, []string{"prosperity.scam.block", "prosperity.scam.hold"}},
		{"city link", withLinks(chatInput(engine.SpaceYouth, nil), 0.9, cityLink), engine.ActionAllow, nil},
		{"shortener", withLinks(chatInput(engine.SpacePlaza, nil), 0.3, engine.Link{Host: "bit.ly", Domain: "bit.ly"}), engine.ActionHold, []string{"prosperity.link.shortener"}},
		{"obfuscated link and scam", withLinks(chatInput(engine.SpacePlaza, engine.Scores{engine.Scam: 0.5}), 0.3, engine.Link{Host: "x.example", Domain: "x.example", Obfuscated: true}),
			engine.ActionBlock, []string{"prosperity.link.scam", "prosperity.link.obfuscated"}},
		{"city look-alike", withLinks(chatInput(engine.SpacePlaza, nil), 0.3, fakeCityLink), engine.ActionBlock, []string{"identity.link.city_lookalike"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := e.Evaluate(ctx, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if res.Action != tt.action || strings.Join(res.RuleIDs, ",") != strings.Join(tt.rules, ",") {
				t.Errorf("got %s %v, want %s %v", res.Action, res.RuleIDs, tt.action, tt.rules)
			}
			if res.Revision != e.Revision() || len(res.Reasons) != len(res.RuleIDs) {
				t.Errorf("revision %q reasons %d", res.Revision, len(res.Reasons))
			}
			for _, r := range res.Reasons {
				if r.KO == "" || r.EN == "" {
					t.Errorf("rule %s lacks a reason in both languages", r.RuleID)
				}
			}
		})
	}
}

// cityLink is a link to the city's own site; fakeCityLink one to a
// look-alike (seоul.go.kr with a Cyrillic о), as classifiers/links reports
// them.
var (
	cityLink     = engine.Link{Host: "news.seoul.go.kr", Domain: "seoul.go.kr"}
	fakeCityLink = engine.Link{Host: "xn--seul-65d.go.kr", Domain: "xn--seul-65d.go.kr", Skeleton: "seoul.go.kr", IDN: true, MixedScript: true}
)

// withLinks adds links covering share of the text to in.
func withLinks(in *engine.PolicyInput, share float64, links ...engine.Link) *engine.PolicyInput {
	in.Signals.Links, in.Signals.LinkShare = links, share
	return in
}

// editedEngine is an engine on the default bundle with old replaced by
// new in file, which must still contain old.
func editedEngine(t *testing.T, file, old, new string) *Engine {
	t.Helper()
	src, err := fs.ReadFile(policies.FS, file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), old) {
		t.Fatalf("%s no longer contains %q", file, old)
	}
	b, err := LoadFS(bundleWith(t, map[string]string{file: strings.Replace(string(src), old, new, 1)}))
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(context.Background(), b, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// bundleWith returns the default bundle's files with some replaced.
func bundleWith(t *testing.T, replace map[string]string) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(policies.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(policies.FS, p)
		m[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for p, src := range replace {
		m[p] = &fstest.MapFile{Data: []byte(src)}
	}
	return m
}

func TestLoadRefusesBadRevisions(t *testing.T) {
	ctx := context.Background()
	e := repoEngine(t)
	good := e.Revision()
	tests := []struct {
		name    string
		files   map[string]string
		wantErr string
	}{
		{"does not compile", map[string]string{"broken.rego": "package haechi.principles.broken\nviolation contains x if { x := data.haechi.lib.nonexistent_fn(1) }\n"}, "compile"},
		{"fails its tests", map[string]string{"failing_test.rego": "package haechi.failing_test\ntest_always_fails if { false }\n"}, "tests failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := LoadFS(bundleWith(t, tt.files))
			if err != nil {
				t.Fatal(err)
			}
			if b.Revision == good {
				t.Fatal("a changed bundle kept the same revision")
			}
			err = e.Load(ctx, b)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Load error = %v, want %q", err, tt.wantErr)
			}
			if e.Revision() != good {
				t.Errorf("revision changed to %s after a refused load", e.Revision())
			}
			if _, err := e.Evaluate(ctx, chatInput(engine.SpacePlaza, engine.Scores{})); err != nil {
				t.Errorf("previous revision stopped serving: %v", err)
			}
		})
	}
	t.Run("does not parse", func(t *testing.T) {
		_, err := LoadFS(bundleWith(t, map[string]string{"main.rego": "package haechi.main\ndecision := {"}))
		if err == nil || !strings.Contains(err.Error(), "main.rego") {
			t.Errorf("LoadFS error = %v, want a parse error naming main.rego", err)
		}
	})
	t.Run("bad data", func(t *testing.T) {
		_, err := LoadFS(bundleWith(t, map[string]string{"data.json": "{"}))
		if err == nil || !strings.Contains(err.Error(), "data.json") {
			t.Errorf("LoadFS error = %v, want an error naming data.json", err)
		}
	})
}

func TestRevisionIsContentHash(t *testing.T) {
	a, b := loadRepoPolicies(t), loadRepoPolicies(t)
	if a.Revision != b.Revision || len(a.Revision) != 16 {
		t.Errorf("revisions %q and %q", a.Revision, b.Revision)
	}
}

// TestSwapUnderLoad evaluates from many goroutines while revisions swap:
// every evaluation must succeed and name one of the two revisions.
func TestSwapUnderLoad(t *testing.T) {
	ctx := context.Background()
	a := loadRepoPolicies(t)
	b, err := LoadFS(bundleWith(t, map[string]string{"extra.rego": "package haechi.extra\nx := 1\n"}))
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(ctx, a, nil)
	if err != nil {
		t.Fatal(err)
	}
	pa, err := prepare(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := prepare(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, err := e.Evaluate(ctx, chatInput(engine.SpacePlaza, engine.Scores{engine.Profanity: 0.9}))
				if err != nil || (res.Revision != a.Revision && res.Revision != b.Revision) || res.Action != engine.ActionRedact {
					t.Errorf("evaluate during swap: %v %+v", err, res)
					return
				}
			}
		})
	}
	for i := range 200 {
		if i%2 == 0 {
			e.cur.Store(pb)
		} else {
			e.cur.Store(pa)
		}
	}
	close(stop)
	wg.Wait()
}

func TestWatchReloads(t *testing.T) {
	if testing.Short() {
		t.Skip("watches the file system")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	if err := os.CopyFS(dir, policies.FS); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "embed.go"))
	b, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(ctx, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	swapped := make(chan string, 4)
	e.OnSwap = func(b *Bundle) { swapped <- b.Revision }
	go e.Watch(ctx, dir)
	time.Sleep(200 * time.Millisecond) // let the watcher start

	in := chatInput(engine.SpacePlaza, engine.Scores{engine.Profanity: 0.6})
	if res, _ := e.Evaluate(ctx, in); res.Action != engine.ActionRedact {
		t.Fatalf("before: %s", res.Action)
	}
	// Add a rule: the new revision must serve it.
	rule := `package haechi.principles.content

violation contains {"rule_id": "content.watch_test", "action": "hold", "principle": "fairness",
	"value": "sustainable_prosperity", "severity": "low", "reason": {"ko": "시험", "en": "test"}} if {
	"watch-test" in input.user.labels
}
`
	if err := os.WriteFile(filepath.Join(dir, "watch_test_rule.rego"), []byte(rule), 0o644); err != nil {
		t.Fatal(err)
	}
	select {
	case <-swapped:
	case <-time.After(10 * time.Second):
		t.Fatal("no reload after a rule was added")
	}
	in.User.Labels = []string{"watch-test"}
	if res, _ := e.Evaluate(ctx, in); res.Action != engine.ActionHold || res.RuleIDs[0] != "content.watch_test" {
		t.Errorf("after reload: %s %v, want the new rule to hold", res.Action, res.RuleIDs)
	}
	rev := e.Revision()
	// A broken module is refused; the last good revision keeps serving.
	if err := os.WriteFile(filepath.Join(dir, "broken.rego"), []byte("package haechi.broken\nx := {"), 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * debounce)
	select {
	case r := <-swapped:
		t.Fatalf("broken bundle was swapped in as %s", r)
	case <-time.After(time.Second):
	}
	if e.Revision() != rev {
		t.Errorf("revision changed to %s", e.Revision())
	}
}

func BenchmarkEvaluate(b *testing.B) {
	ctx := context.Background()
	e := repoEngine(b)
	for _, bc := range []struct {
		name string
		in   *engine.PolicyInput
	}{
		{"benign", chatInput(engine.SpacePlaza, engine.Scores{engine.Toxic: 0})},
		{"profanity", chatInput(engine.SpacePlaza, engine.Scores{engine.Profanity: 0.95, engine.Toxic: 0.95})},
		{"city_link", withLinks(chatInput(engine.SpacePlaza, engine.Scores{engine.Toxic: 0}), 0.8, cityLink)},
		{"lookalike_link", withLinks(chatInput(engine.SpacePlaza, engine.Scores{engine.Toxic: 0}), 0.8, fakeCityLink)},
		{"benign_behaviour", withBehaviour(chatInput(engine.SpacePlaza, engine.Scores{engine.Toxic: 0}), quietBehaviour)},
		{"typical_behaviour", typicalBehaviourInput()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				if _, err := e.Evaluate(ctx, bc.in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the CPU time the process has used, in nanoseconds: per
// operation, steadier than ns/op when other work shares the machine.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// quietBehaviour is the behaviour of an ordinary message: an established
// account's first message in a while.
var quietBehaviour = engine.BehaviourSignals{Rate10s: 1, Rate60s: 2, Rate10m: 4, WaveSenders: 1, AccountAgeHours: 5000}

func withBehaviour(in *engine.PolicyInput, b engine.BehaviourSignals) *engine.PolicyInput {
	in.Signals.Behaviour = &b
	return in
}

func TestAllowDecisionHasEmptyLists(t *testing.T) {
	ctx := context.Background()
	e := repoEngine(t)
	res, err := e.Evaluate(ctx, chatInput(engine.SpacePlaza, engine.Scores{}))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(res)
	for _, field := range []string{`"categories":[]`, `"rule_ids":[]`, `"reasons":[]`, `"fired":[]`} {
		if !strings.Contains(string(b), field) {
			t.Errorf("allow decision %s lacks %s", b, field)
		}
	}
}

// TestCheckRefusesABundle: a bundle the Check hook refuses (because
// another component cannot use its data) does not serve; the previous
// revision goes on, and OnSwap is not called.
func TestCheckRefusesABundle(t *testing.T) {
	ctx := context.Background()
	b := loadRepoPolicies(t)
	e, err := New(ctx, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	swaps := 0
	e.OnSwap = func(*Bundle) { swaps++ }
	e.Check = func(b *Bundle) error { return errors.New("review settings unusable") }
	changed, err := LoadFS(policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	changed.Revision = "changed-" + changed.Revision
	if err := e.Load(ctx, changed); err == nil || !strings.Contains(err.Error(), "review settings unusable") {
		t.Fatalf("Load with a refusing Check: %v", err)
	}
	if e.Revision() != b.Revision || swaps != 0 {
		t.Errorf("serving %s after %d swaps, want %s and none", e.Revision(), swaps, b.Revision)
	}
	e.Check = nil
	if err := e.Load(ctx, changed); err != nil || e.Revision() != changed.Revision || swaps != 1 {
		t.Errorf("Load without the Check: %v, serving %s after %d swaps", err, e.Revision(), swaps)
	}
}

// typicalBehaviourInput is typicalInput with quiet behaviour, as serve
// sends a benign message to the policy.
func typicalBehaviourInput() *engine.PolicyInput {
	in, _ := typicalInput()
	return withBehaviour(in, quietBehaviour)
}

// BenchmarkLoad is the cost of serving a bundle: compiling it, the
// load-time checks and proofs (prepare) and its Rego tests.
func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	bundle := loadRepoPolicies(b)
	b.Run("prepare", func(b *testing.B) {
		for b.Loop() {
			if _, err := prepare(ctx, bundle); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("digest", func(b *testing.B) {
		for b.Loop() {
			if _, err := digest(bundle); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("tests", func(b *testing.B) {
		for b.Loop() {
			if err := bundle.TestsPass(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
