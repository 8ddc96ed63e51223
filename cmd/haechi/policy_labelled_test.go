package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/haechi-tns/haechi/engine"
)

func TestPolicyEvalLabelled(t *testing.T) {
	cand := candidateBundle(t, allowContactsAtLegalDesks)
	out, errOut, err := run(t, "", "policy", "eval", "--json", "--labelled", "testdata/labelled.jsonl", "--candidate", cand)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	var rep labelledReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	// Four messages are labelled allow: the live bundle redacts the two
	// legal-desk messages with a contact, which the candidate allows.
	if rep.Events != 8 || rep.Live.Correct != 6 || rep.Candidate.Correct != 8 {
		t.Errorf("events %d, correct live %d candidate %d", rep.Events, rep.Live.Correct, rep.Candidate.Correct)
	}
	if n := rep.Live.Actions[engine.ActionAllow][engine.ActionRedact]; n != 2 {
		t.Errorf("live redacted %d messages labelled allow, want 2", n)
	}
	if pii := rep.Live.Categories[engine.PIICategory]; pii == nil || pii.TP != 2 || pii.FP != 2 || pii.Precision != 0.5 || pii.Recall != 1 {
		t.Errorf("live pii %+v", pii)
	}
	if pii := rep.Candidate.Categories[engine.PIICategory]; pii == nil || pii.Precision != 1 || pii.Recall != 1 {
		t.Errorf("candidate pii %+v", pii)
	}
	if h := rep.Live.Categories[engine.Harassment]; h == nil || h.FP != 1 || h.Expected != 0 {
		t.Errorf("harassment named beside the labelled threat: %+v", h)
	}
	out, _, err = run(t, "", "policy", "eval", "--labelled", "testdata/labelled.jsonl")
	if err != nil || !strings.Contains(out, "6 of 8 actions as labelled") || strings.Contains(out, "candidate") {
		t.Errorf("live only: %v\n%s", err, out)
	}

	good, _ := os.ReadFile("testdata/labelled.jsonl")
	first := strings.SplitN(string(good), "\n", 2)[0]
	for name, line := range map[string]string{
		"unknown key":        strings.Replace(first, `"expected":`, `"expect":`, 1),
		"duplicate key":      strings.Replace(first, `"expected":`, `"event":{},"expected":`, 1),
		"unknown action":     strings.Replace(first, `"action": "allow"`, `"action": "ban"`, 1),
		"missing categories": strings.Replace(first, `, "categories": []`, ``, 1),
		"unknown category":   strings.Replace(first, `"categories": []`, `"categories": ["rude"]`, 1),
		"invalid event":      strings.Replace(first, `"kind": "chat"`, `"kind": "chats"`, 1),
	} {
		if line == first {
			t.Fatalf("%s: the fixture's first line changed: %s", name, first)
		}
		p := filepath.Join(t.TempDir(), "l.jsonl")
		os.WriteFile(p, []byte(first+"\n"+line+"\n"), 0o644)
		if _, _, err := run(t, "", "policy", "eval", "--labelled", p); err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, _, err := run(t, "", "policy", "eval", "--candidate", cand, "x.json"); err == nil {
		t.Error("--candidate without --labelled was accepted")
	}
}
