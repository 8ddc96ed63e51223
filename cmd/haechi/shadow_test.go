package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/shadow"
	"github.com/haechi-tns/haechi/engine/store"
	"github.com/haechi-tns/haechi/engine/store/pgtest"
	"github.com/haechi-tns/haechi/pipelines"
	"github.com/segmentio/kafka-go"
)

// candidateBundle copies the repository's bundle to a new folder and lets
// edit change its data.json; it returns the folder.
func candidateBundle(t testing.TB, edit func(config map[string]any)) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../../policies")); err != nil {
		t.Fatal(err)
	}
	if edit == nil {
		return dir
	}
	p := filepath.Join(dir, "data.json")
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var data map[string]any
	if err := json.Unmarshal(raw, &data); err != nil {
		t.Fatal(err)
	}
	edit(data["haechi"].(map[string]any)["config"].(map[string]any))
	raw, _ = json.Marshal(data)
	if err := os.WriteFile(p, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// allowContactsAtLegalDesks is a candidate: citizens may give their phone
// number and e-mail address at the legal desks, which the live bundle
// redacts.
func allowContactsAtLegalDesks(config map[string]any) {
	allowed := config["pii"].(map[string]any)["allowed"].(map[string]any)
	allowed["citizen"] = map[string]any{"legal": []any{"phone", "email"}}
}

// moderatePII posts the fixture with PII (a citizen's phone and e-mail at
// a legal desk) under a new id and returns the decision.
func moderatePII(t *testing.T, addr, id string) *engine.Decision {
	t.Helper()
	raw, err := os.ReadFile("../../fixtures/events/chat_en_pii.json")
	if err != nil {
		t.Fatal(err)
	}
	raw = bytes.Replace(raw, []byte(`"evt-chat-0003"`), []byte(`"`+id+`"`), 1)
	// Each call comes from its own citizen: one citizen sending the same
	// message again and again is a flood, which the behavioural rules
	// stop whatever the policy revision.
	raw = bytes.Replace(raw, []byte(`"citizen-4096"`), []byte(`"citizen-`+id+`"`), 1)
	resp, err := http.Post("http://"+addr+"/v1/moderate", "application/json", bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d engine.Decision
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil || resp.StatusCode != 200 {
		t.Fatalf("moderate %s: %d %v", id, resp.StatusCode, err)
	}
	return &d
}

// TestShadowPromoteRollbackAcrossInstances runs two instances on one
// database, puts a candidate in the shadow from the command line, checks
// that it is counted and never enforced on either, promotes it, rolls it
// back, and checks that every step reached both instances and the audit
// log.
func TestShadowPromoteRollbackAcrossInstances(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			dataDir := t.TempDir()
			dbArgs := []string{"--data-dir", dataDir}
			dsn := filepath.Join(dataDir, store.FileName)
			if backend == "postgres" {
				dsn = pgtest.URL(t)
				dbArgs = append(dbArgs, "--database-url", dsn)
			}
			serveArgs := append([]string{"--pipeline=false", "--policy-poll", "50ms"}, dbArgs...)
			addrs := []string{startServing(t, "serve", serveArgs...), startServing(t, "serve", serveArgs...)}
			st, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			live := moderatePII(t, addrs[0], "evt-before").PolicyRevision

			if backend == "sqlite" {
				checkRefusedCandidates(t, dbArgs)
			}

			cand := candidateBundle(t, allowContactsAtLegalDesks)
			out, _, err := run(t, "", append([]string{"policy", "shadow", "start"}, append(dbArgs, cand)...)...)
			if err != nil {
				t.Fatalf("shadow start: %v", err)
			}
			candRev := strings.Fields(out)[1]
			waitInstances(t, st, 2, func(in store.PolicyInstance) bool { return in.CandidateRevision == candRev && in.LiveRevision == live })

			// Live decides and is enforced; the shadow only counts.
			for i, addr := range addrs {
				d := moderatePII(t, addr, "evt-shadow-"+string(rune('a'+i)))
				if d.Action != engine.ActionRedact || d.PolicyRevision != live {
					t.Errorf("instance %d in the shadow decided %s by %s, want redact by the live %s", i, d.Action, d.PolicyRevision, live)
				}
			}
			var status shadowStatus
			for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				out, _, err := run(t, "", append([]string{"policy", "shadow", "status", "--json"}, dbArgs...)...)
				if err != nil {
					t.Fatal(err)
				}
				status = shadowStatus{}
				if err := json.Unmarshal([]byte(out), &status); err != nil {
					t.Fatal(err)
				}
				if status.Diff != nil && status.Diff.Compared >= 2 || time.Now().After(deadline) {
					break
				}
			}
			if d := status.Diff; d == nil || d.Compared != 2 || d.Differing != 2 || len(d.Transitions) != 1 ||
				d.Transitions[0] != (shadowTransition{engine.ActionRedact, engine.ActionAllow, 2}) || len(d.Examples) != 2 {
				t.Errorf("shadow diff %+v, want 2 compared, both redact → allow", status.Diff)
			} else if ex := d.Examples[0]; ex.SpaceType != engine.SpaceLegal || ex.Live.Revision != live || ex.Candidate.Revision != candRev || ex.DecisionID == "" {
				t.Errorf("example %+v", ex)
			}
			resp, err := http.Get("http://" + addrs[0] + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			metrics, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, want := range []string{
				`haechi_shadow_differences_total{candidate_action="allow",live_action="redact",space_type="legal"} 1`,
				`haechi_shadow_category_differences_total{category="pii",change="removed"} 1`,
				`haechi_shadow_candidate_info{revision="` + candRev + `"} 1`,
			} {
				if !bytes.Contains(metrics, []byte(want)) {
					t.Errorf("metrics lack %s", want)
				}
			}

			if _, _, err := run(t, "", append([]string{"policy", "promote"}, dbArgs...)...); err != nil {
				t.Fatal(err)
			}
			waitInstances(t, st, 2, func(in store.PolicyInstance) bool { return in.LiveRevision == candRev && in.CandidateRevision == "" })
			for i, addr := range addrs {
				if d := moderatePII(t, addr, "evt-promoted-"+string(rune('a'+i))); d.Action != engine.ActionAllow || d.PolicyRevision != candRev {
					t.Errorf("instance %d after promotion decided %s by %s", i, d.Action, d.PolicyRevision)
				}
			}
			if _, _, err := run(t, "", append([]string{"policy", "rollback"}, dbArgs...)...); err != nil {
				t.Fatal(err)
			}
			waitInstances(t, st, 2, func(in store.PolicyInstance) bool { return in.LiveRevision == live })
			for i, addr := range addrs {
				if d := moderatePII(t, addr, "evt-rolled-back-"+string(rune('a'+i))); d.Action != engine.ActionRedact || d.PolicyRevision != live {
					t.Errorf("instance %d after rollback decided %s by %s", i, d.Action, d.PolicyRevision)
				}
			}
			for _, action := range []string{"policy.uploaded", "policy.shadow_started", "policy.promoted", "policy.rolled_back"} {
				page, err := st.SearchAudit(ctx, store.AuditQuery{Action: action})
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Entries) != 1 || !strings.HasPrefix(page.Entries[0].Actor, "cli") {
					t.Errorf("audit entries of %s: %+v", action, page.Entries)
				}
			}
			if _, err := st.VerifyAudit(ctx); err != nil {
				t.Error(err)
			}
		})
	}
}

type shadowTransition = struct {
	Live      engine.Action `json:"live"`
	Candidate engine.Action `json:"candidate"`
	N         int64         `json:"n"`
}

// waitInstances waits until at least n instances report and all satisfy
// ok.
func waitInstances(t *testing.T, st *store.Store, n int, ok func(store.PolicyInstance) bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ins, err := st.PolicyInstances(context.Background(), time.Now().Add(-time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		all := len(ins) >= n
		for _, in := range ins {
			all = all && ok(in) && in.Problem == ""
		}
		if all {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("instances did not apply the change: %+v", ins)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// TestPromotedRevisionRefusesOtherBundles runs haechi serve with its
// stream worker on the embedded broker and --policies. A candidate in the
// shadow is counted on the stream and never enforced there. Once it is
// promoted, the instance's --policies folder is not silently served over
// it, nor silently overridden: an edit the watcher sees is refused while
// the promoted revision serves, and an instance started with another
// bundle in --policies refuses to start, saying why.
func TestPromotedRevisionRefusesOtherBundles(t *testing.T) {
	dataDir := t.TempDir()
	own := candidateBundle(t, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	brokerAddr := ln.Addr().String()
	ln.Close()
	addr := startServing(t, "serve", "--data-dir", dataDir, "--broker-addr", brokerAddr, "--policy-poll", "50ms", "--policies", own)
	st, err := store.OpenSQLite(context.Background(), filepath.Join(dataDir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	live := moderatePII(t, addr, "evt-live").PolicyRevision
	cand := candidateBundle(t, allowContactsAtLegalDesks)
	out, _, err := run(t, "", "policy", "shadow", "start", "--data-dir", dataDir, cand)
	if err != nil {
		t.Fatal(err)
	}
	candRev := strings.Fields(out)[1]
	waitInstances(t, st, 1, func(in store.PolicyInstance) bool { return in.CandidateRevision == candRev })

	// The stream worker decides with the live bundle and only counts the
	// candidate's different verdict.
	raw, err := os.ReadFile("../../fixtures/events/chat_en_pii.json")
	if err != nil {
		t.Fatal(err)
	}
	w := &kafka.Writer{Addr: kafka.TCP(brokerAddr), Topic: pipelines.DefaultTopics.Chat, RequiredAcks: kafka.RequireAll}
	value := []byte(`{"schema_version":1,"event":` + strings.Replace(string(raw), `"evt-chat-0003"`, `"evt-stream"`, 1) + `}`)
	if err := w.WriteMessages(context.Background(), kafka.Message{Key: []byte("citizen-4096"), Value: value}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		ds, err := st.DecisionsForEvents(context.Background(), []string{"evt-stream"})
		if err != nil {
			t.Fatal(err)
		}
		counts, err := st.ShadowCounts(context.Background(), candRev)
		if err != nil {
			t.Fatal(err)
		}
		tally := shadow.NewTally(0)
		tally.Merge(counts)
		if d := ds["evt-stream"]; d != nil && tally.Compared > 0 {
			if d.Action != engine.ActionRedact || d.PolicyRevision != live {
				t.Errorf("the stream decided %s by %s beside the shadow, want redact by %s", d.Action, d.PolicyRevision, live)
			}
			if tr := tally.Transitions(); tally.Compared != 1 || len(tr) != 1 || tr[0].Live != engine.ActionRedact || tr[0].Candidate != engine.ActionAllow {
				t.Errorf("shadow of the stream: %d compared, %+v", tally.Compared, tr)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stream's decision %v and its shadow count %d did not arrive", ds, tally.Compared)
		}
	}

	if _, _, err := run(t, "", "policy", "promote", "--data-dir", dataDir); err != nil {
		t.Fatal(err)
	}
	waitInstance := func(ok func(store.PolicyInstance) bool) {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(25 * time.Millisecond) {
			ins, err := st.PolicyInstances(context.Background(), time.Now().Add(-time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if len(ins) == 1 && ok(ins[0]) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("instance: %+v", ins)
			}
		}
	}
	waitInstance(func(in store.PolicyInstance) bool { return in.LiveRevision == candRev })
	// An edit of the instance's own folder is refused by the watcher.
	rego, _ := os.ReadFile(filepath.Join(own, "main.rego"))
	os.WriteFile(filepath.Join(own, "main.rego"), append(rego, []byte("\n# edited\n")...), 0o644)
	time.Sleep(time.Second) // the watcher waits 300 ms for quiet
	if d := moderatePII(t, addr, "evt-after-edit"); d.PolicyRevision != candRev || d.Action != engine.ActionAllow {
		t.Errorf("after an edit of --policies, decided %s by %s, want allow by the promoted %s", d.Action, d.PolicyRevision, candRev)
	}
	// Another instance with that folder refuses to start.
	_, _, err = run(t, "", "serve", "--data-dir", dataDir, "--pipeline=false", "--addr", "127.0.0.1:0", "--policies", own)
	if err == nil || !strings.Contains(err.Error(), "was promoted by") || !strings.Contains(err.Error(), "is live on every instance") {
		t.Errorf("start-up with another bundle: %v", err)
	}
	// Rolled back past the first promotion, the instance serves its own
	// folder again, as it is now.
	if _, _, err := run(t, "", "policy", "rollback", "--data-dir", dataDir); err != nil {
		t.Fatal(err)
	}
	waitInstance(func(in store.PolicyInstance) bool { return in.LiveRevision != candRev && in.Problem == "" })
	if d := moderatePII(t, addr, "evt-rolled-back"); d.Action != engine.ActionRedact {
		t.Errorf("after the rollback, decided %s by %s", d.Action, d.PolicyRevision)
	}
}

// checkRefusedCandidates checks that candidates that do not parse, or
// whose levels disagree with the engine's (lib.computed_reached), are
// refused with the reason and change nothing.
func checkRefusedCandidates(t *testing.T, dbArgs []string) {
	t.Helper()
	bad := candidateBundle(t, nil)
	os.WriteFile(filepath.Join(bad, "zz.rego"), []byte("package zz\nx := \n"), 0o644)
	if _, _, err := run(t, "", append([]string{"policy", "shadow", "start"}, append(dbArgs, bad)...)...); err == nil || !strings.Contains(err.Error(), "candidate refused") {
		t.Errorf("a bundle that does not parse: %v", err)
	}
	disagree := candidateBundle(t, nil)
	lib, _ := os.ReadFile(filepath.Join(disagree, "lib.rego"))
	os.WriteFile(filepath.Join(disagree, "lib.rego"), bytes.Replace(lib, []byte("tolerance := 0.000001"), []byte("tolerance := 0.001"), 1), 0o644)
	if _, _, err := run(t, "", append([]string{"policy", "shadow", "start"}, append(dbArgs, disagree)...)...); err == nil || !strings.Contains(err.Error(), "computed_reached disagree") {
		t.Errorf("a bundle whose levels disagree with the engine's: %v", err)
	}
	out, _, err := run(t, "", append([]string{"policy", "shadow", "status"}, dbArgs...)...)
	if err != nil || !strings.Contains(out, "candidate (shadow): none") {
		t.Errorf("refused candidates changed the control: %v\n%s", err, out)
	}
}
