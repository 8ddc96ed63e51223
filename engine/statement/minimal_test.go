package statement

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
)

// fullDecision is a decision with every field of evidence set.
func fullDecision(kind engine.Kind, action engine.Action) *engine.Decision {
	d := decision(kind, action)
	d.Lang = "ko"
	d.Queue = "general"
	d.Scores = engine.Scores{engine.Insult: 0.91}
	d.Evidence = engine.Scores{engine.Insult: 0.93}
	d.PII = []engine.PIISpan{{Type: engine.PIIPhone, Start: 3, End: 16, Score: 0.9}}
	d.Terms = []engine.TermSpan{{Category: engine.Insult, Start: 0, End: 2}}
	d.HashMatches = []engine.HashMatch{{Bank: "known_bad", Algorithm: "pdq", Distance: 4}}
	d.Links = []engine.LinkSpan{{Domain: "example.com", Start: 20, End: 31}}
	d.ImageText = &engine.ImageTextEvidence{Words: 4, Evidence: engine.Scores{engine.Threat: 0.91}}
	d.Behaviour = &engine.BehaviourSignals{Rate10s: 12, DomainSenders: map[string]int{"example.com": 6}}
	d.Fired = []engine.FiredRule{{RuleID: "safe_experience.insult.block", Action: action, Principle: "inclusiveness", Severity: "medium"}}
	d.ModelVersions = map[string]string{"text": "v3"}
	d.Fingerprint = "fp"
	d.Content = &engine.Content{Kind: kind, Text: "the content"}
	return d
}

// TestMinimalGivesTheSameStatement: a statement built from Minimal(d)
// is the one built from d, for every action and kind, with and without
// a person's decision.
func TestMinimalGivesTheSameStatement(t *testing.T) {
	reviewed := decidedAt.Add(time.Hour)
	humans := []*HumanDecision{nil,
		{Outcome: OutcomeRemove, DecidedAt: reviewed},
		{Outcome: OutcomeDismiss, DecidedAt: reviewed, FromReport: true},
		{Outcome: OutcomeSuspend, DecidedAt: reviewed, Until: reviewed.Add(72 * time.Hour), Ground: "fairness"},
		{Outcome: OutcomeBan, DecidedAt: reviewed},
	}
	for _, kind := range []engine.Kind{engine.KindChat, engine.KindVoice, engine.KindImage} {
		for _, action := range engine.Actions {
			for _, h := range humans {
				d := fullDecision(kind, action)
				want, _ := json.Marshal(Build(d, h, appealURL))
				got, _ := json.Marshal(Build(Minimal(d), h, appealURL))
				if string(got) != string(want) {
					t.Errorf("%s %s %+v:\n got %s\nwant %s", kind, action, h, got, want)
				}
			}
		}
	}
}

// TestMinimalDropsTheEvidence names every field of engine.Decision as
// kept or dropped, so that a field added to decisions must be placed on
// one side here, and checks Minimal does what the lists say.
func TestMinimalDropsTheEvidence(t *testing.T) {
	kept := []string{"ID", "EventID", "EventKind", "Lang", "World", "Space", "SenderID", "Action", "Categories", "RuleIDs",
		"Principle", "Value", "Severity", "Reasons", "Queue", "PolicyRevision", "DecidedAt", "Supersedes"}
	dropped := []string{"RedactedText", "RedactedImage", "Pending", "Scores", "Evidence", "PII", "Terms", "HashMatches", "Links", "Fired", "ModelVersions",
		"Fingerprint", "Content", "ImageText", "Behaviour"}
	d := fullDecision(engine.KindChat, engine.ActionRedact)
	m := Minimal(d)
	full, min := reflect.ValueOf(d).Elem(), reflect.ValueOf(m).Elem()
	for i := range full.NumField() {
		name := full.Type().Field(i).Name
		switch {
		case slices.Contains(kept, name):
			if !reflect.DeepEqual(full.Field(i).Interface(), min.Field(i).Interface()) {
				t.Errorf("%s not kept", name)
			}
		case slices.Contains(dropped, name):
			if full.Field(i).IsZero() {
				t.Errorf("%s is not set in the test decision", name)
			}
			if !min.Field(i).IsZero() {
				t.Errorf("%s kept", name)
			}
		default:
			t.Errorf("engine.Decision.%s is neither kept nor dropped: say which in Minimal and this test", name)
		}
	}
	b, _ := json.Marshal(m)
	for _, s := range []string{"secret content never shown", "example.com", "known_bad", "0.91"} {
		if strings.Contains(string(b), s) {
			t.Errorf("the minimal decision holds %q: %s", s, b)
		}
	}
}
