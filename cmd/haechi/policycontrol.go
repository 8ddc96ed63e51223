package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/engine/policy"
	"github.com/haechi-tns/haechi/engine/shadow"
	"github.com/haechi-tns/haechi/engine/store"
)

// policyPollFlag is how often an instance reads the policy control row.
var policyPollFlag = &cli.DurationFlag{Name: "policy-poll", Value: time.Second, Usage: "how often to read the store's policy control (promotions, rollbacks, shadow candidates) and store shadow counts"}

// policyControl makes this instance follow the store's policy control
// row (engine/store/policycontrol.go): it serves the live revision the row
// names, or its own start-up bundle when the row names none, and runs the
// row's candidate in the shadow. Each change is applied whole: the policy
// engine swaps revisions atomically, so a decision is made by one
// revision or the other, never a mix.
//
// While the row names a live revision, every other bundle is refused by
// the engine's Check (the --policies watcher logs the refusal): an
// operator's edit is never silently overridden, nor silently served on
// one instance only. At start-up, --policies naming another revision than
// the row's live one is an error.
type policyControl struct {
	st  *store.Store
	k   *core
	sh  *shadow.Shadow
	dir string // --policies; "" for the embedded bundle
	id  string
	log *slog.Logger
	// want is the live revision the store imposes; nil when none.
	want atomic.Pointer[string]

	mu         sync.Mutex // serialises apply
	gen        int64
	candidate  string // the candidate revision last applied ("" none)
	problem    string
	reported   time.Time
	reportedAs store.PolicyInstance

	cancel context.CancelFunc
	done   chan struct{}
}

// startPolicyControl applies the control row once (an error stops the
// start-up), then follows it every interval until close.
func startPolicyControl(ctx context.Context, st *store.Store, k *core, sh *shadow.Shadow, dir string, interval time.Duration, log *slog.Logger) (*policyControl, error) {
	if interval <= 0 {
		return nil, errors.New("--policy-poll must be positive")
	}
	pc := &policyControl{st: st, k: k, sh: sh, dir: dir, id: instanceID(), log: log.With("component", "policy_control"), gen: -1, done: make(chan struct{})}
	inner := k.policy.Check
	k.policy.Check = func(b *policy.Bundle) error {
		if want := pc.want.Load(); want != nil && b.Revision != *want {
			return fmt.Errorf("revision %s is live on every instance by the store's policy control: put this bundle in the shadow (haechi policy shadow start DIR) and promote it, or roll back", *want)
		}
		if inner != nil {
			return inner(b)
		}
		return nil
	}
	c, err := st.PolicyControl(ctx)
	if err != nil {
		return nil, err
	}
	if dir != "" && c.LiveRevision != "" && k.policy.Revision() != c.LiveRevision {
		return nil, fmt.Errorf("--policies %s holds revision %s, but revision %s was promoted by %s on %s and is live on every instance: start without --policies, or put the folder in the shadow (haechi policy shadow start %s) and promote it",
			dir, k.policy.Revision(), c.LiveRevision, c.UpdatedBy, c.UpdatedAt.Format(time.RFC3339), dir)
	}
	if err := pc.apply(ctx); err != nil {
		return nil, err
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	pc.cancel = cancel
	go pc.run(rctx, interval)
	return pc, nil
}

func instanceID() string {
	host, _ := os.Hostname()
	var b [3]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

func (pc *policyControl) run(ctx context.Context, interval time.Duration) {
	defer close(pc.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			pc.flush(context.Background())
			return
		case <-t.C:
		}
		// Counts are stored before a change of candidate drops them.
		pc.flush(ctx)
		if err := pc.apply(ctx); err != nil && ctx.Err() == nil {
			pc.log.Error("policy control not read; trying again", "err", err)
		}
	}
}

// close stops following the control row, storing the shadow's last counts.
func (pc *policyControl) close() {
	if pc == nil || pc.cancel == nil {
		return
	}
	pc.cancel()
	<-pc.done
}

// apply brings this instance in line with the control row if its
// generation moved. A revision this instance refuses is reported (status
// shows it) and not tried again until the row changes; a store that
// cannot be read is an error, and the next round tries again.
func (pc *policyControl) apply(ctx context.Context) error {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	c, err := pc.st.PolicyControl(ctx)
	if err != nil {
		return err
	}
	if c.Generation == pc.gen {
		return pc.report(ctx, false)
	}
	var problems []string
	switch want := pc.want.Load(); {
	case c.LiveRevision == "" && want != nil:
		// Rolled back past the first promotion: each instance serves its
		// own bundle again, as it was started with.
		pc.want.Store(nil)
		b, err := loadBundle(Config{PolicyDir: pc.dir})
		if err == nil {
			err = pc.k.policy.Load(ctx, b)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("own bundle refused: %v", err))
		}
	case c.LiveRevision != "" && (want == nil || *want != c.LiveRevision || pc.k.policy.Revision() != c.LiveRevision):
		rev := c.LiveRevision
		b, err := pc.revision(ctx, rev)
		if err != nil {
			return err
		}
		pc.want.Store(&rev)
		before := pc.k.policy.Revision()
		if err := pc.k.policy.Load(ctx, b); err != nil {
			problems = append(problems, fmt.Sprintf("live revision %s refused: %v", rev, err))
			pc.log.Error("promoted policy revision refused on this instance; it serves its previous revision", "revision", rev, "serving", before, "err", err)
		} else if before != rev {
			pc.log.Info("promoted policy revision serving instead of this instance's own bundle or the previous promotion", "revision", rev, "instead_of", before, "changed_by", c.UpdatedBy)
		}
	}
	if c.CandidateRevision != pc.candidate {
		if c.CandidateRevision == "" {
			pc.sh.SetCandidate(nil)
			pc.log.Info("shadow stopped")
		} else {
			cand, err := pc.candidateEngine(ctx, c.CandidateRevision)
			var refused *refusedError
			switch {
			case errors.As(err, &refused):
				pc.sh.SetCandidate(nil)
				problems = append(problems, refused.Error())
				pc.log.Error("shadow candidate refused on this instance", "revision", c.CandidateRevision, "err", err)
			case err != nil:
				return err
			default:
				pc.sh.SetCandidate(&shadow.Candidate{Policy: cand, Revision: c.CandidateRevision})
				pc.log.Info("shadow started", "candidate", c.CandidateRevision, "live", pc.k.policy.Revision())
			}
		}
		pc.candidate = c.CandidateRevision
	}
	pc.gen, pc.problem = c.Generation, strings.Join(problems, "; ")
	return pc.report(ctx, true)
}

// refusedError is a kept revision this instance will not run.
type refusedError struct {
	revision string
	err      error
}

func (e *refusedError) Error() string {
	return fmt.Sprintf("candidate revision %s refused: %v", e.revision, e.err)
}

func (e *refusedError) Unwrap() error { return e.err }

// revision reads a kept revision and makes it a bundle; a store that
// cannot be read is an error, a revision that does not load is refused.
func (pc *policyControl) revision(ctx context.Context, rev string) (*policy.Bundle, error) {
	r, err := pc.st.PolicyRevision(ctx, rev)
	if err != nil {
		return nil, err
	}
	b, err := policy.LoadFiles(r.Files)
	if err == nil && b.Revision != rev {
		err = fmt.Errorf("its files hash to revision %s", b.Revision)
	}
	if err != nil {
		return nil, &refusedError{rev, err}
	}
	return b, nil
}

// candidateEngine builds the engine of a kept candidate revision, through
// the gates a live bundle passes.
func (pc *policyControl) candidateEngine(ctx context.Context, rev string) (*policy.Engine, error) {
	b, err := pc.revision(ctx, rev)
	if err != nil {
		return nil, err
	}
	e, err := pc.k.candidateEngine(ctx, b)
	if err != nil {
		return nil, &refusedError{rev, err}
	}
	return e, nil
}

// candidateEngine compiles b, runs its tests and the agreement check of
// computed_reached (policy.New) and the checks every serving bundle
// passes (checkBundle), and returns its engine, or why b is refused.
func (k *core) candidateEngine(ctx context.Context, b *policy.Bundle) (*policy.Engine, error) {
	if err := k.checkBundle(b); err != nil {
		return nil, fmt.Errorf("policy: revision %s refused: %w", b.Revision, err)
	}
	return policy.New(ctx, b, nil)
}

// report tells the store what this instance applies: at once after a
// change, else every 10 s.
func (pc *policyControl) report(ctx context.Context, changed bool) error {
	now := time.Now()
	in := store.PolicyInstance{ID: pc.id, Generation: pc.gen, LiveRevision: pc.k.policy.Revision(), CandidateRevision: "", Problem: pc.problem, SeenAt: now}
	if c := pc.sh.Candidate(); c != nil {
		in.CandidateRevision = c.Revision
	}
	same := in.Generation == pc.reportedAs.Generation && in.LiveRevision == pc.reportedAs.LiveRevision && in.CandidateRevision == pc.reportedAs.CandidateRevision && in.Problem == pc.reportedAs.Problem
	if !changed && same && now.Sub(pc.reported) < 10*time.Second {
		return nil
	}
	if err := pc.st.ReportPolicyInstance(ctx, in); err != nil {
		return err
	}
	pc.reported, pc.reportedAs = now, in
	return nil
}

// flush stores what the shadow counted since the last flush.
func (pc *policyControl) flush(ctx context.Context) {
	rev, t := pc.sh.Drain()
	if rev == "" {
		return
	}
	if err := pc.st.AddShadowResults(ctx, rev, t.Counts(), t.Examples); err != nil {
		pc.log.Error("shadow counts not stored; they are lost", "candidate", rev, "compared", t.Compared, "err", err)
	}
}
