package policy

import (
	"os"
	"strings"
	"testing"

	"github.com/haechi-tns/haechi/policies"
)

func TestFilesKeepTheRevision(t *testing.T) {
	b, err := LoadFS(policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	files, err := ReadFiles(policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadFiles(files)
	if err != nil || again.Revision != b.Revision {
		t.Fatalf("LoadFiles: %v, revision %s, want %s", err, again.Revision, b.Revision)
	}
	for name, files := range map[string]map[string]string{
		"not a bundle file": {"main.rego": files["main.rego"], "notes.txt": "x"},
		"escaping path":     {"../main.rego": files["main.rego"]},
	} {
		if _, err := LoadFiles(files); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	dir := t.TempDir()
	os.WriteFile(dir+"/main.rego", []byte("package x\n# \xff\n"), 0o644)
	if _, err := ReadFiles(os.DirFS(dir)); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("invalid UTF-8: %v", err)
	}
}

func TestOverlay(t *testing.T) {
	b, err := LoadFS(policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	youth := func(b *Bundle) any {
		return b.Data["haechi"].(map[string]any)["config"].(map[string]any)["thresholds"].(map[string]any)["spaces"].(map[string]any)["youth"].(map[string]any)["insult"].(map[string]any)["redact"]
	}
	before := youth(b)
	o, err := b.WithOverlay([]byte(`{"haechi":{"config":{"thresholds":{"spaces":{"youth":{"insult":{"redact":0.3}}}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := youth(o); got == before || o.Revision == b.Revision || youth(b) != before {
		t.Errorf("overlay: %v (was %v, original now %v), revisions %s %s", got, before, youth(b), o.Revision, b.Revision)
	}
	for name, overlay := range map[string]string{
		"unknown key":     `{"haechi":{"config":{"thresholds":{"spaces":{"youth":{"insult":{"redcat":0.3}}}}}}}`,
		"type changed":    `{"haechi":{"config":{"thresholds":{"spaces":{"youth":{"insult":{"redact":"0.3"}}}}}}}`,
		"object replaced": `{"haechi":{"config":{"thresholds":5}}}`,
		"duplicate key":   `{"haechi":{"config":{}},"haechi":{}}`,
		"empty":           `{}`,
		"not an object":   `[1]`,
	} {
		if _, err := b.WithOverlay([]byte(overlay)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
