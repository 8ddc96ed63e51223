package policy

import (
	"testing"

	"github.com/haechi-tns/haechi/engine"
)

// typicalInput is a benign chat message's policy input with the text
// model's probabilities, as the engine sends it.
func typicalInput() (*engine.PolicyInput, engine.Scores) {
	in := chatInput(engine.SpacePlaza, engine.Scores{engine.Toxic: 0})
	in.Signals.Lang = "ko"
	in.Signals.Sources = map[string]engine.Scores{"lexicon": {}}
	in.Signals.Models = map[string]engine.Scores{"text": {"toxic": 0.2, "insult": 0.05, "profanity": 0.03, "hate": 0.03, "harassment": 0.09, "sexual": 0.14, "threat": 0.06, "self_harm": 0.18}}
	ev := engine.Scores{"toxic": 0.3, "insult": 0.04, "profanity": 0.03, "hate": 0.03, "harassment": 0.06, "sexual": 0.1, "threat": 0.06, "self_harm": 0.27}
	return in, ev
}

func BenchmarkInputValue(b *testing.B) {
	in, ev := typicalInput()
	b.ReportAllocs()
	for b.Loop() {
		inputValue(in, ev, nil, nil)
	}
}
