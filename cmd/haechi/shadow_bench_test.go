package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/moderation"
	"github.com/haechi-tns/haechi/engine/shadow"
	"github.com/haechi-tns/haechi/engine/store"
)

// BenchmarkShadowAndReplay measures, per fixture chat message (the
// messages of haechi bench decide, in a plaza):
//
//	decide         the whole decision, as haechi bench decide runs it;
//	decide+shadow  the same with a candidate in the shadow, its
//	               evaluations waited for, so the cost is all counted;
//	policy         the live policy's evaluation alone (its share);
//	replay         classifying once and deciding with live and candidate,
//	               as haechi policy replay --before live does;
//	replay-stored  classifying once, reading the stored decisions of the
//	               batch and deciding with the candidate only, as
//	               haechi policy replay --before stored does.
//
// Shadow evaluation may cost at most the policy's share again:
// decide+shadow - decide <= policy. Each also reports cpu-ns/op, the
// process's CPU time (user and system, every thread) per message, which a
// busy machine disturbs far less than the elapsed time (BENCHMARKS.md).
func BenchmarkShadowAndReplay(b *testing.B) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	evs, err := fixtureEvents("all")
	if err != nil {
		b.Fatal(err)
	}
	sh := shadow.New(shadow.Config{Queue: 1 << 16})
	defer sh.Close(ctx)
	dir := b.TempDir()
	k, err := newCore(ctx, Config{DataDir: dir, Shadow: sh}, log)
	if err != nil {
		b.Fatal(err)
	}
	// The messages' decisions are stored, for replay-stored.
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, store.FileName))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	svc, err := moderation.New(moderation.Config{Decider: k.pipeline, Store: st})
	if err != nil {
		b.Fatal(err)
	}
	for start := 0; start < len(evs); start += replayBatch {
		batch, err := svc.Decide(ctx, evs[start:min(start+replayBatch, len(evs))])
		if err == nil {
			err = svc.Save(ctx, batch)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	cand, err := loadCandidate(ctx, k, candidateBundle(b, allowContactsAtLegalDesks), "")
	if err != nil {
		b.Fatal(err)
	}
	inputs := make([]*engine.PolicyInput, len(evs))
	for i, ev := range evs {
		sig, err := k.pipeline.Signals(ctx, ev)
		if err != nil {
			b.Fatal(err)
		}
		inputs[i] = &engine.PolicyInput{Event: engine.PolicyEvent{ID: ev.ID, Kind: ev.Kind, World: ev.World, Space: ev.Space, Sender: ev.Sender, Lang: ev.Lang}, Signals: sig}
	}
	// each runs op on the i-th message until the benchmark has enough,
	// then waits for the shadow and reports the CPU time per message.
	each := func(op func(i int) error) func(b *testing.B) {
		return func(b *testing.B) {
			cpu := cpuTime()
			n := 0
			for ; b.Loop(); n++ {
				if err := op(n); err != nil {
					b.Fatal(err)
				}
			}
			if err := sh.Wait(ctx); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(n), "cpu-ns/op")
		}
	}
	decide := each(func(i int) error {
		_, err := k.pipeline.Decide(ctx, evs[i%len(evs)])
		return err
	})
	b.Run("decide", decide)
	sh.SetCandidate(&shadow.Candidate{Policy: cand.Policy, Revision: cand.Revision})
	b.Run("decide+shadow", decide)
	sh.SetCandidate(nil)
	b.Run("policy", each(func(i int) error {
		_, err := k.policy.Evaluate(ctx, inputs[i%len(inputs)])
		return err
	}))
	replay := func(stored storedDecisions) func(b *testing.B) {
		return func(b *testing.B) {
			r := newReplayer(k, cand, 0, 1)
			r.stored = stored
			t := shadow.NewTally(0)
			var bc beforeCount
			bad := func(reason string) { b.Fatal(reason) }
			n := 0
			cpu := cpuTime()
			for b.Loop() {
				start := n % len(evs)
				batch := evs[start:min(start+replayBatch, len(evs))]
				if _, err := r.decide(ctx, batch, t, &bc, bad); err != nil {
					b.Fatal(err)
				}
				n += len(batch)
			}
			if stored != nil && bc.Live != 0 {
				b.Fatalf("%d events without a stored decision", bc.Live)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/event")
			b.ReportMetric(float64(cpuTime()-cpu)/float64(n), "cpu-ns/event")
		}
	}
	b.Run("replay", replay(nil))
	b.Run("replay-stored", replay(st))
}
