package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
)

// run runs the CLI in-process and returns stdout, stderr and the error.
func run(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	app := newApp(strings.NewReader(stdin), &out, &errOut)
	err := app.RunContext(context.Background(), append([]string{"haechi", "--log-level", "warn"}, args...))
	return out.String(), errOut.String(), err
}

func TestClassifyContract(t *testing.T) {
	in := strings.Join([]string{
		`{"id":"a","text":"아 시1발 대기줄 왜 이렇게 길어","lang":"ko"}`,
		`{"id":"b","text":"광장에서 만나요"}`,
		`{"id":"c","text":"call me at 010-2345-6789"}`,
		``,
		`{"id":"d","text":"죽고 싶다"}`,
	}, "\n")
	out, _, err := run(t, in, "classify")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 {
		t.Fatalf("got %d lines, want 4:\n%s", len(lines), out)
	}
	type row struct {
		ID      string             `json:"id"`
		Scores  map[string]float64 `json:"scores"`
		Flagged bool               `json:"flagged"`
		Action  string             `json:"action"`
		PII     []engine.PIISpan   `json:"pii"`
	}
	var rows []row
	for _, l := range lines {
		var r row
		dec := json.NewDecoder(strings.NewReader(l))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		if r.PII == nil || r.Scores == nil {
			t.Errorf("line %q lacks pii or scores", l)
		}
		for _, c := range append(engine.TextCategories, engine.Toxic) {
			if _, ok := r.Scores[string(c)]; !ok {
				t.Errorf("line %s lacks score %s", r.ID, c)
			}
		}
		rows = append(rows, r)
	}
	want := []struct {
		id      string
		flagged bool
		action  string
	}{{"a", true, "redact"}, {"b", false, "allow"}, {"c", false, "redact"}, {"d", true, "escalate"}}
	for i, w := range want {
		if rows[i].ID != w.id || rows[i].Flagged != w.flagged || rows[i].Action != w.action {
			t.Errorf("row %d = %+v, want %+v", i, rows[i], w)
		}
	}
	if rows[0].Scores["toxic"] < rows[0].Scores["profanity"] {
		t.Errorf("toxic %v below profanity %v", rows[0].Scores["toxic"], rows[0].Scores["profanity"])
	}
	if p := rows[2].PII; len(p) != 1 || p[0].Type != "phone" || p[0].Start != 11 || p[0].End != 24 {
		t.Errorf("pii = %+v, want one phone at [11,24)", p)
	}
}

func TestClassifyBadLines(t *testing.T) {
	in := "{\"id\":\"ok\",\"text\":\"안녕\"}\nnot json\n{\"id\":\"x\"}\n{\"id\":\"y\",\"text\":\"a\xffb\"}\n{\"id\":\"z\",\"text\":\"" +
		strings.Repeat("a", engine.MaxTextBytes+1) + "\"}\n{\"id\":\"last\",\"text\":\"hi\"}\n"
	out, errOut, err := run(t, in, "classify")
	if err == nil || !strings.Contains(err.Error(), "4 input lines") {
		t.Errorf("error = %v, want a count of failed lines", err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 6 {
		t.Fatalf("want one output line per input line, got %d:\n%s", len(lines), out)
	}
	for i, want := range []string{`"id":"ok"`, `"error":"malformed JSON`, `"error":"text: required"`, `"error":"line is not valid UTF-8"`, `over the limit`, `"id":"last"`} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d = %s, want %s", i+1, lines[i], want)
		}
	}
	if !strings.Contains(errOut, "line 2") {
		t.Errorf("stderr %q does not name the bad line", errOut)
	}
}

func TestModerateCommand(t *testing.T) {
	out, _, err := run(t, "", "moderate", "../../fixtures/events/chat_ko_profanity.json")
	if err != nil {
		t.Fatal(err)
	}
	var d engine.Decision
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	if d.Action != engine.ActionRedact || d.RedactedText != "아 *** 대기줄 왜 이렇게 길어" || d.PolicyRevision == "" {
		t.Errorf("decision %+v", d)
	}
	for _, tc := range []struct{ name, stdin, want string }{
		{"malformed", `{"id":`, "malformed JSON"},
		{"missing field", `{"id":"e","kind":"chat"}`, "world: required"},
		{"unknown kind", `{"id":"e","kind":"smell"}`, "unknown kind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := run(t, tc.stdin, "moderate")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want %q", err, tc.want)
			}
		})
	}
	out, _, err = run(t, "", "moderate", "--text", "ㅅㅂ 꺼져", "--space", "youth")
	if err != nil || !strings.Contains(out, `"action": "hold"`) || !strings.Contains(out, `"safety.harassment.hold"`) {
		t.Errorf("moderate --text in the youth space: %v\n%s", err, out)
	}
}

func TestPolicyCommands(t *testing.T) {
	out, _, err := run(t, "", "policy", "test", "--policies", "../../policies")
	if err != nil || !regexp.MustCompile(`[1-9]\d* passed, 0 failed`).MatchString(out) {
		t.Fatalf("policy test: %v\n%s", err, out)
	}
	input := `{"event":{"id":"e1","kind":"chat","world":"w","space":{"id":"s","type":"youth"},"sender":{"id":"u","role":"citizen"}},
	 "signals":{"scores":{"self_harm":0.9},"analysed":["text"]},"user":{"strikes":0}}`
	out, _, err = run(t, input, "policy", "eval")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"action:", "escalate", "safety.self_harm.escalate", "youth_safety", "ko:", "en:"} {
		if !strings.Contains(out, want) {
			t.Errorf("policy eval output lacks %q:\n%s", want, out)
		}
	}
	out, _, err = run(t, "", "policy", "eval", "--json", "../../fixtures/events/voice_ko_threat.json")
	if err != nil || !strings.Contains(out, `"action": "escalate"`) {
		t.Errorf("policy eval of an event: %v\n%s", err, out)
	}
	if _, _, err := run(t, `{"signals": 5}`, "policy", "eval"); err == nil {
		t.Error("policy eval accepted a malformed input")
	}
	rev, _, err := run(t, "", "policy", "revision")
	if err != nil || len(strings.TrimSpace(rev)) != 16 {
		t.Errorf("policy revision: %v %q", err, rev)
	}
}

// TestPolicyTestFails checks that a failing Rego test fails the command.
func TestPolicyTestFails(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../../policies")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "zz_test.rego"), []byte("package zz_test\ntest_fails if { 1 == 2 }\n"), 0o644)
	out, _, err := run(t, "", "policy", "test", "--policies", dir)
	if err == nil || !strings.Contains(out, "FAIL data.zz_test.test_fails") {
		t.Errorf("want a failure naming the test, got %v\n%s", err, out)
	}
}

func TestServe(t *testing.T) {
	dataDir := t.TempDir()
	// Single-machine mode: the embedded broker (on a free port), a worker
	// and demo traffic.
	addr := startServing(t, "serve", "--data-dir", dataDir, "--broker-addr", "127.0.0.1:0", "--demo-rate", "200")
	ctx := context.Background()
	event, _ := os.ReadFile("../../fixtures/events/chat_en_pii.json")
	resp, err := http.Post("http://"+addr+"/v1/moderate", "application/json", bytes.NewReader(event))
	if err != nil {
		t.Fatal(err)
	}
	var d engine.Decision
	json.NewDecoder(resp.Body).Decode(&d)
	resp.Body.Close()
	if resp.StatusCode != 200 || d.Action != engine.ActionRedact {
		t.Errorf("moderate: %d %+v", resp.StatusCode, d)
	}
	resp, err = http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `haechi_decisions_total{action="redact",kind="chat"} 1`) {
		t.Errorf("metrics lack the decision:\n%.400s", body)
	}
	// The demo traffic flows through the embedded broker into stored
	// decisions and the pipeline's metrics.
	st, err := store.OpenSQLite(ctx, filepath.Join(dataDir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		n, err := st.CountDecisions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n >= 50 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d demo events decided through the pipeline after a minute", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	resp, err = http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `haechi_pipeline_events_decided_total{action="allow",topic="haechi.chat"}`) {
		t.Errorf("metrics lack the pipeline's decisions")
	}
	// Most demo chat reaches no rule and takes the policy's fast path.
	fast := regexp.MustCompile(`(?m)^haechi_policy_fast_path_total (\d+)`).FindStringSubmatch(string(body))
	all := regexp.MustCompile(`(?m)^haechi_policy_evaluations_total (\d+)`).FindStringSubmatch(string(body))
	if fast == nil || all == nil || fast[1] == "0" || fast[1] == all[1] {
		t.Errorf("policy fast path metrics: %q of %q", fast, all)
	}
	if !regexp.MustCompile(`(?m)^haechi_policy_shape_total \d+`).MatchString(string(body)) {
		t.Errorf("metrics lack the decisions made by proven shapes")
	}
	if !regexp.MustCompile(`(?m)^haechi_policy_input_shape_total \d+`).MatchString(string(body)) {
		t.Errorf("metrics lack the decisions made by proven input shapes")
	}
}

// pdqImages holds Meta's PDQ reference photos, committed once in package
// pdq's testdata.
const pdqImages = "../../classifiers/pdq/testdata/pdq/"

func TestHashesAndClassifyImages(t *testing.T) {
	out, _, err := run(t, "", "hashes", "pdq", pdqImages+"bridge-1-original.jpg", pdqImages+"c.png")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !regexp.MustCompile(`^[0-9a-f]{64},100,.*bridge-1-original.jpg$`).MatchString(lines[0]) {
		t.Fatalf("hashes pdq output:\n%s", out)
	}
	if _, _, err := run(t, "", "hashes", "pdq", "main.go"); err == nil {
		t.Error("hashing a non-image succeeded")
	}

	dataDir := t.TempDir()
	csv := filepath.Join(t.TempDir(), "bank.csv")
	os.WriteFile(csv, []byte("hash,label\n"+strings.Split(lines[0], ",")[0]+",bridge\n"), 0o644)
	out, _, err = run(t, "", "hashes", "import", "--data-dir", dataDir, "--bank", "known_bad", csv)
	if err != nil || !strings.Contains(out, "1 added") {
		t.Fatalf("import: %v %s", err, out)
	}
	in := fmt.Sprintf("{\"id\":\"rot\",\"path\":%q}\n{\"id\":\"other\",\"path\":%q}\n{\"id\":\"missing\",\"path\":\"/nope.jpg\"}\n",
		pdqImages+"bridge-4-rotate-270.jpg", pdqImages+"c.png")
	out, _, err = run(t, in, "classify", "--images", "--data-dir", dataDir)
	if err == nil {
		t.Error("a missing file did not make classify --images fail")
	}
	rows := strings.Split(strings.TrimSpace(out), "\n")
	if len(rows) != 3 {
		t.Fatalf("want 3 lines:\n%s", out)
	}
	var rot, other struct {
		ID     string             `json:"id"`
		Scores map[string]float64 `json:"scores"`
		PDQ    struct {
			Hash    string
			Quality int
		}
		Matches []engine.HashMatch `json:"matches"`
		Action  engine.Action      `json:"action"`
	}
	json.Unmarshal([]byte(rows[0]), &rot)
	json.Unmarshal([]byte(rows[1]), &other)
	if rot.Action != engine.ActionBlock || len(rot.Matches) != 1 || rot.Matches[0].Bank != "known_bad" || rot.PDQ.Quality != 100 {
		t.Errorf("rotated bank image: %s", rows[0])
	}
	// An image no bank knows is judged by the NSFW model: this one is a
	// harmless drawing.
	if other.Action != engine.ActionAllow || len(other.Matches) != 0 || len(other.PDQ.Hash) != 64 {
		t.Errorf("unknown image: %s", rows[1])
	}
	if _, ok := other.Scores["nudity"]; !ok || other.Scores["nudity"] > 0.2 {
		t.Errorf("nudity score of a harmless image: %v", other.Scores)
	}
	if !strings.Contains(rows[2], `"error"`) {
		t.Errorf("missing file: %s", rows[2])
	}
}

// TestRegisteredImageModel registers an operator's model (a tiny ONNX
// graph in testdata that calls red images "red", mapped to nudity) and
// checks that classify --images uses it beside the NSFW model.
func TestRegisteredImageModel(t *testing.T) {
	dataDir := t.TempDir()
	out, _, err := run(t, "", "models", "register-image", "--data-dir", dataDir, "testdata/redmodel/model.json")
	if err != nil || !strings.Contains(out, "registered image model redness 1") {
		t.Fatalf("register-image: %v %s", err, out)
	}
	red := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := 0; i < len(red.Pix); i += 4 {
		red.Pix[i], red.Pix[i+3] = 255, 255
	}
	path := filepath.Join(t.TempDir(), "red.png")
	f, _ := os.Create(path)
	png.Encode(f, red)
	f.Close()
	out, _, err = run(t, fmt.Sprintf("{\"id\":\"r\",\"path\":%q}\n", path), "classify", "--images", "--data-dir", dataDir)
	if err != nil {
		t.Fatal(err)
	}
	var row struct {
		Scores map[string]float64 `json:"scores"`
		Action engine.Action      `json:"action"`
	}
	json.Unmarshal([]byte(out), &row)
	if row.Scores["nudity"] < 0.99 || row.Action != engine.ActionBlock {
		t.Errorf("red image with the redness model: %s", out)
	}
	bad := filepath.Join(t.TempDir(), "model.json")
	os.WriteFile(bad, []byte(`{"name":"x"}`), 0o644)
	if _, _, err := run(t, "", "models", "register-image", "--data-dir", dataDir, bad); err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Errorf("an invalid manifest was registered: %v", err)
	}
}
