package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/behaviour"
	"github.com/haechi-tns/haechi/fixtures"
)

// conversation is one scenario of fixtures/behaviour/conversations.json.
type conversation struct {
	Name  string `json:"name"`
	Lang  string `json:"lang"`
	About string `json:"about"`
	Steps []struct {
		At   float64 `json:"at_s"`
		From struct {
			engine.Party
			JoinedHoursAgo float64 `json:"joined_hours_ago"`
		} `json:"from"`
		To       *engine.Party `json:"to"`
		Space    engine.Space  `json:"space"`
		Mentions []string      `json:"mentions"`
		Text     string        `json:"text"`
		Expect   string        `json:"expect"`
		Rule     string        `json:"rule"`
		NotRule  string        `json:"not_rule"`
	} `json:"steps"`
}

func loadConversations(t *testing.T) []conversation {
	t.Helper()
	b, err := fixtures.FS.ReadFile("behaviour/conversations.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		About     string         `json:"about"`
		Scenarios []conversation `json:"scenarios"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return doc.Scenarios
}

// TestBehaviourConversations plays each scripted conversation through the
// whole engine (classifiers, behaviour tracker, the built-in policy) and
// checks every step's action and rule: each pattern is caught and each
// look-alike spared.
func TestBehaviourConversations(t *testing.T) {
	ctx := context.Background()
	k, err := newCore(ctx, Config{DataDir: t.TempDir()}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	for _, sc := range loadConversations(t) {
		t.Run(sc.Name, func(t *testing.T) {
			tr, err := behaviour.NewTracker(behaviour.TrackerConfig{})
			if err != nil {
				t.Fatal(err)
			}
			p := engine.NewPipeline(k.policy, engine.WithTextClassifiers(k.text), engine.WithImageClassifiers(k.images), engine.WithBehaviour(tr))
			for i, s := range sc.Steps {
				at := start.Add(time.Duration(s.At * float64(time.Second)))
				sender := s.From.Party
				if s.From.JoinedHoursAgo > 0 {
					sender.JoinedAt = at.Add(-time.Duration(s.From.JoinedHoursAgo * float64(time.Hour)))
				}
				ev := &engine.Event{
					ID: fmt.Sprintf("%s-%d", sc.Name, i), Kind: engine.KindChat, World: "w", Space: s.Space,
					Sender: sender, Lang: sc.Lang, SentAt: at,
					Chat: &engine.ChatMessage{Text: s.Text, Recipient: s.To, Mentions: s.Mentions},
				}
				d, err := p.Decide(ctx, ev)
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				got := fmt.Sprintf("step %d: %s %v", i, d.Action, d.RuleIDs)
				switch {
				case s.Expect == "restrict" && !d.Action.Restricts(),
					s.Expect != "" && s.Expect != "restrict" && string(d.Action) != s.Expect:
					t.Errorf("%s, want %s", got, s.Expect)
				case s.Rule != "" && !slices.Contains(d.RuleIDs, s.Rule):
					t.Errorf("%s, want rule %s", got, s.Rule)
				case s.NotRule != "" && slices.Contains(d.RuleIDs, s.NotRule):
					t.Errorf("%s, want no rule %s", got, s.NotRule)
				default:
					t.Log(got)
				}
			}
		})
	}
}
