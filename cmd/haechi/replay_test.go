package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/moderation"
	"github.com/haechi-tns/haechi/engine/store"
	"github.com/haechi-tns/haechi/pipelines"
	"github.com/haechi-tns/haechi/pipelines/broker"
)

// replayJSON runs haechi policy replay --json with args and decodes the
// report.
func replayJSON(t *testing.T, args ...string) replayReport {
	t.Helper()
	out, errOut, err := run(t, "", append([]string{"policy", "replay", "--json"}, args...)...)
	if err != nil {
		t.Fatalf("replay: %v\n%s", err, errOut)
	}
	var rep replayReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("replay output: %v\n%s", err, out)
	}
	return rep
}

func TestReplayFile(t *testing.T) {
	cand := candidateBundle(t, allowContactsAtLegalDesks)
	rep := replayJSON(t, "--before", "live", "--candidate", cand, "--events", "testdata/replay/events.jsonl")
	// Six events decided; two bad lines counted with their line numbers;
	// the blank line ignored. The candidate allows the three legal-desk
	// messages with a contact, which the live bundle redacts.
	if rep.Events != 6 || rep.Bad != 2 || len(rep.BadExamples) != 2 || !strings.HasPrefix(rep.BadExamples[0], "line 6:") || !strings.HasPrefix(rep.BadExamples[1], "line 8:") {
		t.Errorf("events %d, bad %d %q", rep.Events, rep.Bad, rep.BadExamples)
	}
	d := rep.Diff
	if d.Compared != 6 || d.Differing != 3 || len(d.Transitions) != 1 || d.Transitions[0].Live != engine.ActionRedact || d.Transitions[0].Candidate != engine.ActionAllow || d.Transitions[0].N != 3 {
		t.Errorf("diff: %d compared, %d differ, %+v", d.Compared, d.Differing, d.Transitions)
	}
	if len(d.Examples) != 3 || d.Examples[0].SpaceType != engine.SpaceLegal || rep.Candidate == rep.Live {
		t.Errorf("examples %+v", d.Examples)
	}
	// The plaza message with a phone number is redacted by both.
	wantAction := map[string][2]int64{"allow": {2, 5}, "redact": {4, 1}}
	for _, row := range d.Dims["action"] {
		if w := wantAction[row.Key]; row.Live != w[0] || row.Candidate != w[1] {
			t.Errorf("action %s: %d → %d, want %v", row.Key, row.Live, row.Candidate, w)
		}
	}
	// --from/--to select by sent_at; thresholds are laid over the
	// candidate (a new revision); the table names the change.
	th := filepath.Join(t.TempDir(), "th.json")
	os.WriteFile(th, []byte(`{"haechi":{"config":{"thresholds":{"spaces":{"youth":{"insult":{"redact":0.3}}}}}}}`), 0o644)
	out, _, err := run(t, "", "policy", "replay", "--before", "live", "--candidate", cand, "--events", "testdata/replay/events.jsonl", "--thresholds", th, "--from", "2026-11-21T00:00:00Z", "--to", "2026-11-23T00:00:00Z")
	for _, want := range []string{"replayed 3 events", "3 events outside --from/--to", "1 differ", "redact → allow", "replay-2"} {
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("replay between the 21st and the 23rd lacks %q: %v\n%s", want, err, out)
		}
	}
	if strings.Contains(out, "candidate "+rep.Candidate) {
		t.Errorf("the thresholds did not change the candidate's revision %s", rep.Candidate)
	}
	// A misspelt threshold is refused.
	os.WriteFile(th, []byte(`{"haechi":{"config":{"thresholds":{"spaces":{"youth":{"insult":{"redcat":0.3}}}}}}}`), 0o644)
	if _, _, err := run(t, "", "policy", "replay", "--before", "live", "--candidate", cand, "--events", "testdata/replay/events.jsonl", "--thresholds", th); err == nil || !strings.Contains(err.Error(), "redcat is not in the bundle's data") {
		t.Errorf("misspelt threshold: %v", err)
	}
}

// TestReplayStoredBefore stores decisions for some of the events through
// the moderation service with the built-in bundle, then replays them with
// a live bundle that would now decide them otherwise: the before side must
// be what was stored, and the events without a stored decision must be
// decided by the live bundle and counted.
func TestReplayStoredBefore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	evs := readEvents(t, "testdata/replay/events.jsonl")
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	k, err := newCore(ctx, Config{DataDir: dir}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := moderation.New(moderation.Config{Decider: k.pipeline, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	// replay-1 and replay-2 (contacts at a legal desk, redacted by the
	// built-in bundle) and replay-3 (a phone number in a plaza) are
	// stored; replay-4's id is stored for other content; replay-5 and
	// replay-6 (a contact at a legal desk) have no decision.
	other := *evs["replay-4"]
	other.Chat = &engine.ChatMessage{Text: "something else entirely"}
	for _, ev := range []*engine.Event{evs["replay-1"], evs["replay-2"], evs["replay-3"], &other} {
		r, err := svc.Moderate(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		if ev.ID != "replay-4" && r.Decision.Action != engine.ActionRedact {
			t.Fatalf("%s stored as %s, want redact", ev.ID, r.Decision.Action)
		}
	}
	st.Close()

	// The live bundle now allows contacts at legal desks, as the
	// candidate does: deciding both sides live, nothing differs.
	cand := candidateBundle(t, allowContactsAtLegalDesks)
	args := []string{"--data-dir", dir, "--policies", cand, "--candidate", cand, "--events", "testdata/replay/events.jsonl"}
	if rep := replayJSON(t, append([]string{"--before", "live"}, args...)...); rep.Diff.Differing != 0 || rep.Before.Source != "live" || rep.Before.Live != 6 || rep.Before.Stored != 0 {
		t.Errorf("--before live: %d differ, before %+v", rep.Diff.Differing, rep.Before)
	}
	// From the stored decisions, replay-1 and replay-2 were redacted.
	rep := replayJSON(t, args...)
	b := rep.Before
	if b.Source != "stored" || b.Stored != 3 || b.Live != 3 || b.OtherContent != 1 || b.OtherRevision != 3 || b.OtherModels != 0 {
		t.Errorf("before %+v", b)
	}
	d := rep.Diff
	if rep.Events != 6 || d.Compared != 6 || d.Differing != 2 || len(d.Transitions) != 1 || d.Transitions[0].Live != engine.ActionRedact || d.Transitions[0].Candidate != engine.ActionAllow || d.Transitions[0].N != 2 {
		t.Errorf("diff: %d events, %d compared, %d differ, %+v", rep.Events, d.Compared, d.Differing, d.Transitions)
	}
	differing := map[string]bool{}
	for _, ex := range d.Examples {
		differing[ex.EventID] = true
	}
	if len(differing) != 2 || !differing["replay-1"] || !differing["replay-2"] {
		t.Errorf("examples %+v", d.Examples)
	}
	wantAction := map[string][2]int64{"allow": {3, 5}, "redact": {3, 1}}
	for _, row := range d.Dims["action"] {
		if w := wantAction[row.Key]; row.Live != w[0] || row.Candidate != w[1] {
			t.Errorf("action %s: %d → %d, want %v", row.Key, row.Live, row.Candidate, w)
		}
	}
	out, _, err := run(t, "", append([]string{"policy", "replay"}, args...)...)
	for _, want := range []string{"before from stored decisions: 3; before from live: 3", "1 stored for other content", "another policy revision than", ": 3; with other model versions: 0", "without history", "2 differ"} {
		if err != nil || !strings.Contains(out, want) {
			t.Errorf("replay output lacks %q: %v\n%s", want, err, out)
		}
	}
}

func TestReplayFlags(t *testing.T) {
	cand := candidateBundle(t, nil)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad before", []string{"--before", "yesterday"}, `--before: want stored or live, got "yesterday"`},
		{"empty before", []string{"--before", ""}, `--before: want stored or live, got ""`},
		{"stored without a database", []string{"--data-dir", t.TempDir()}, "--before stored: no database at"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"policy", "replay", "--candidate", cand, "--events", "testdata/replay/events.jsonl"}, tc.args...)
			if _, _, err := run(t, "", args...); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// readEvents reads a JSON-lines file of events by id, skipping lines
// that are not valid events.
func readEvents(t *testing.T, path string) map[string]*engine.Event {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*engine.Event{}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if ev, err := engine.DecodeEvent([]byte(line)); err == nil {
			out[ev.ID] = ev
		}
	}
	return out
}

// TestReplayTopicsByTime writes events to the embedded broker's input
// topics with timestamps on three days and replays the middle one.
func TestReplayTopicsByTime(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := broker.Start(broker.Config{Addr: "127.0.0.1:0", Partitions: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	brokers := []string{b.Addr()}
	if err := pipelines.EnsureTopics(ctx, brokers, pipelines.DefaultTopics, 1); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("../../fixtures/events/chat_en_pii.json")
	if err != nil {
		t.Fatal(err)
	}
	day := func(d int) time.Time { return time.Date(2026, 11, d, 9, 0, 0, 0, time.UTC) }
	w := &kafka.Writer{Addr: kafka.TCP(brokers...), Topic: pipelines.DefaultTopics.Chat, Balancer: &kafka.Hash{}, RequiredAcks: kafka.RequireAll}
	defer w.Close()
	var msgs []kafka.Message
	for i, d := range []int{20, 20, 21, 21, 21, 22} {
		ev, err := engine.DecodeEvent(raw)
		if err != nil {
			t.Fatal(err)
		}
		ev.ID = "topic-" + string(rune('a'+i))
		ev.Sender.ID = "citizen-" + string(rune('a'+i))
		value, _ := pipelines.EncodeEvent(ev)
		msgs = append(msgs, kafka.Message{Key: []byte(ev.Sender.ID), Value: value, Time: day(d)})
	}
	msgs = append(msgs, kafka.Message{Key: []byte("x"), Value: []byte(`{"schema_version":1,"event":5}`), Time: day(21)})
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	cand := candidateBundle(t, allowContactsAtLegalDesks)
	rep := replayJSON(t, "--before", "live", "--candidate", cand, "--kafka-brokers", b.Addr(), "--from", "2026-11-21T00:00:00Z", "--to", "2026-11-22T00:00:00Z")
	if rep.Events != 3 || rep.Bad != 1 || rep.Diff.Differing != 3 || rep.Before.Source != "live" || rep.Before.Stored != 0 {
		t.Errorf("the 21st: %d events, %d bad %q, %d differ", rep.Events, rep.Bad, rep.BadExamples, rep.Diff.Differing)
	}
	// Nothing was committed: no consumer group holds offsets.
	client := &kafka.Client{Addr: kafka.TCP(brokers...)}
	groups, err := client.ListGroups(ctx, &kafka.ListGroupsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(groups.Groups) != 0 {
		t.Errorf("replay left consumer groups: %+v", groups.Groups)
	}
}

func TestEachLine(t *testing.T) {
	in := "ab\n" + strings.Repeat("x", 200) + "\n\nlast"
	var got []string
	err := eachLine(strings.NewReader(in), 10, func(line int, raw []byte, tooLong bool) error {
		got = append(got, fmt.Sprintf("%d:%s:%v", line, raw, tooLong))
		return nil
	})
	want := []string{"1:ab:false", "2:" + strings.Repeat("x", 11) + ":true", "3::false", "4:last:false"}
	if err != nil || len(got) != len(want) {
		t.Fatalf("eachLine: %v %q", err, got)
	}
	for i := range want {
		if i != 1 && got[i] != want[i] || i == 1 && !strings.HasSuffix(got[i], ":true") {
			t.Errorf("line %d: %q, want %q", i+1, got[i], want[i])
		}
	}
}
