package store

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// CheckpointerConfig is what a Checkpointer is built from.
type CheckpointerConfig struct {
	// Key signs the checkpoints. Instances sharing a database share it.
	Key ed25519.PrivateKey
	// Journal is a file each checkpoint is also appended to (see
	// ReadJournal); empty for none. One that cannot be written is
	// reported once and the checkpoints go to the database only.
	Journal string
	// Interval is how often the head is signed if it moved.
	Interval time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log receives what went wrong: entry numbers, times and key ids only.
	Log *slog.Logger
}

// Validate checks the configuration.
func (c CheckpointerConfig) Validate() error {
	switch {
	case len(c.Key) != ed25519.PrivateKeySize:
		return errors.New("store: checkpointer: no Ed25519 signing key")
	case c.Interval <= 0:
		return errors.New("store: checkpointer: the interval must be positive")
	case c.Log == nil:
		return errors.New("store: checkpointer: no logger")
	}
	return nil
}

// Checkpointer signs the audit chain's head (see Checkpoint) at start,
// every Interval while the head moves, and at Close. Before signing it
// checks that the chain still holds the newest checkpoint it knows with
// its hash and that every later entry links to it, so it never signs a
// chain that was cut short or rewritten: it reports that instead, each
// time, until someone looks. Several instances sharing a database and a
// key sign in turn: an instance skips a round when another signed within
// the last half interval.
type Checkpointer struct {
	st  *Store
	cfg CheckpointerConfig
	pub ed25519.PublicKey

	mu            sync.Mutex
	base          Checkpoint // the newest checkpoint known to be signed by the key
	journalFailed bool

	stop      context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// StartCheckpoints creates the checkpoints table if it is missing, signs
// the chain's head and starts signing it every cfg.Interval until Close.
// A chain that does not link to its last signed checkpoint does not stop
// it: that is logged, and logged again at every round, while the process
// keeps running. Other failures at start are returned.
func (s *Store) StartCheckpoints(ctx context.Context, cfg CheckpointerConfig) (*Checkpointer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	w := &Checkpointer{
		st: s, cfg: cfg, pub: cfg.Key.Public().(ed25519.PublicKey),
		base: Checkpoint{Seq: 0, Hash: genesisHash},
		done: make(chan struct{}),
	}
	if cfg.Journal != "" {
		journal, skipped, err := ReadJournal(cfg.Journal)
		if err != nil {
			cfg.Log.Warn("audit checkpoint journal unreadable; using the database's checkpoints only", "journal", cfg.Journal, "err", err)
		}
		if skipped > 0 {
			cfg.Log.Warn("audit checkpoint journal has unreadable lines", "journal", cfg.Journal, "lines", skipped)
		}
		for _, cp := range journal {
			switch {
			case cp.KeyID != KeyID(w.pub):
			case !cp.verify(w.pub):
				cfg.Log.Error("audit checkpoint journal holds a checkpoint not signed by its key", "journal", cfg.Journal, "seq", cp.Seq, "key_id", cp.KeyID)
			case cp.Seq > w.base.Seq:
				w.base = cp
			}
		}
	}
	if _, ok, err := s.latestCheckpoint(ctx, w.pub); err == nil && !ok {
		if others, err := s.otherCheckpointKeys(ctx, KeyID(w.pub)); err == nil && len(others) > 0 {
			cfg.Log.Warn("the database holds audit checkpoints signed by other keys: give every instance the same audit key",
				"key_id", KeyID(w.pub), "other_key_ids", others)
		}
	}
	cp, _, err := w.checkpoint(ctx, true)
	var br *AuditBreak
	switch {
	case errors.As(err, &br):
		w.logFailure(err)
	case err != nil:
		return nil, fmt.Errorf("store: checkpointer: %w", err)
	default:
		cfg.Log.Info("audit log head signed", "seq", cp.Seq, "key_id", cp.KeyID, "every", cfg.Interval)
	}
	loop, stop := context.WithCancel(context.WithoutCancel(ctx))
	w.stop = stop
	go w.run(loop)
	return w, nil
}

func (w *Checkpointer) run(ctx context.Context) {
	defer close(w.done)
	t := time.NewTicker(w.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, _, err := w.checkpoint(ctx, false); err != nil && ctx.Err() == nil {
			w.logFailure(err)
		}
	}
}

func (w *Checkpointer) logFailure(err error) {
	var br *AuditBreak
	if errors.As(err, &br) {
		w.cfg.Log.Error("audit log does not link to its last signed checkpoint; its head is not signed until this is looked into (haechi audit verify)",
			"seq", br.Seq, "problem", br.Problem)
		return
	}
	w.cfg.Log.Error("audit checkpoint not written", "err", err)
}

// Checkpoint signs the chain's head now if no checkpoint has signed it
// yet, and returns the newest checkpoint and whether it wrote it.
func (w *Checkpointer) Checkpoint(ctx context.Context) (Checkpoint, bool, error) {
	return w.checkpoint(ctx, true)
}

// checkpoint signs the head if it moved. Unless force, it leaves the
// round to another instance that signed within the last half interval.
func (w *Checkpointer) checkpoint(ctx context.Context, force bool) (Checkpoint, bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	latest, stored, err := w.st.latestCheckpoint(ctx, w.pub)
	if err != nil {
		return Checkpoint{}, false, err
	}
	if stored && latest.Seq > w.base.Seq {
		w.base = latest
	}
	if err := w.st.auditHolds(ctx, w.base); err != nil {
		return Checkpoint{}, false, err
	}
	seq, hash, err := w.st.walkAudit(ctx, w.base.Seq, w.base.Hash, nil)
	if err != nil {
		return Checkpoint{}, false, err
	}
	now := w.cfg.Now()
	if stored && (latest.Seq == seq || !force && now.Sub(latest.At) < w.cfg.Interval/2) {
		return latest, false, nil
	}
	cp := SignCheckpoint(w.cfg.Key, seq, hash, now)
	if err := w.st.saveCheckpoint(ctx, cp); err != nil {
		return Checkpoint{}, false, err
	}
	w.base = cp
	if w.cfg.Journal != "" {
		err := appendJournal(w.cfg.Journal, cp)
		switch {
		case err != nil && !w.journalFailed:
			w.cfg.Log.Warn("audit checkpoints not written to the journal, only to the database", "journal", w.cfg.Journal, "err", err)
		case err == nil && w.journalFailed:
			w.cfg.Log.Info("audit checkpoints written to the journal again", "journal", w.cfg.Journal)
		}
		w.journalFailed = err != nil
	}
	return cp, true, nil
}

// auditHolds checks that the chain holds cp's entry with cp's hash.
func (s *Store) auditHolds(ctx context.Context, cp Checkpoint) error {
	if cp.Seq == 0 {
		return nil
	}
	var hash string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT hash FROM audit_log WHERE seq = ?`), cp.Seq).Scan(&hash)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return &AuditBreak{cp.Seq, fmt.Sprintf("entry removed: it was signed in the checkpoint of %s", cp.At.Format(time.RFC3339))}
	case err != nil:
		return err
	case hash != cp.Hash:
		return &AuditBreak{cp.Seq, fmt.Sprintf("hash is not the one signed in the checkpoint of %s", cp.At.Format(time.RFC3339))}
	}
	return nil
}

// Close stops the rounds and signs the head a last time, within ctx. It
// returns what kept that last checkpoint from being written; later calls
// return the same.
func (w *Checkpointer) Close(ctx context.Context) error {
	w.closeOnce.Do(func() {
		w.stop()
		select {
		case <-w.done:
		case <-ctx.Done():
			w.closeErr = ctx.Err()
			return
		}
		if _, _, err := w.checkpoint(ctx, true); err != nil {
			w.closeErr = fmt.Errorf("store: final audit checkpoint: %w", err)
		}
	})
	return w.closeErr
}
