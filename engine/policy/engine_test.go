package policy

import (
	"context"
	"os"
	"testing"

	"github.com/haechi-tns/haechi/engine"
)

func loadRepoPolicies(t testing.TB) *Bundle {
	t.Helper()
	b, err := LoadFS(os.DirFS("../../policies"))
	if err != nil {
		t.Fatal(err)
	}
	return b
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

func BenchmarkEvaluate(b *testing.B) {
	ctx := context.Background()
	e, err := New(ctx, loadRepoPolicies(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		in   *engine.PolicyInput
	}{
		{"benign", chatInput(engine.SpacePlaza, engine.Scores{engine.Toxic: 0})},
		{"profanity", chatInput(engine.SpacePlaza, engine.Scores{engine.Profanity: 0.95, engine.Toxic: 0.95})},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Evaluate(ctx, bc.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
