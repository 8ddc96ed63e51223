package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/engine/store"
)

var auditKeyFlag = &cli.StringFlag{
	Name: "audit-key",
	Usage: "Ed25519 key (PEM) that signs checkpoints of the audit log's head, kept outside the database; created (mode 0600) with its public key beside it (.pub) " +
		"if missing; instances sharing a database must be given the same key (default: <data-dir>/" + store.KeyFileName + ")",
	EnvVars: []string{"HAECHI_AUDIT_KEY"},
}

var auditPubkeyFlag = &cli.StringFlag{
	Name:    "audit-pubkey",
	Usage:   "public key the audit checkpoints are signed with (default: <data-dir>/" + store.PublicKeyFileName + ")",
	EnvVars: []string{"HAECHI_AUDIT_PUBKEY"},
}

var auditJournalFlag = &cli.StringFlag{
	Name:  "audit-journal",
	Usage: "journal of signed checkpoints to check as well (default: " + store.JournalName + " beside --audit-pubkey, if there is one)",
}

// auditCheckpointEvery is how often the audit log's head is signed while
// it moves.
const auditCheckpointEvery = time.Minute

// auditCloseTimeout bounds the last checkpoint at shutdown.
const auditCloseTimeout = 10 * time.Second

// auditSigning is the audit log's signing as a process runs it: the public
// key and journal verification uses (the reviewer UI's audit view shows
// the verdict), and Stop, which writes the last checkpoint.
type auditSigning struct {
	Public  ed25519.PublicKey
	Journal string
	Stop    func()
}

// startAuditCheckpoints signs the audit log's head now, every minute while
// it moves, and when the returned stop is called, with the --audit-key
// key (created if missing), journalling the checkpoints beside the key.
// serve and worker defer stop right after opening the store: it runs once
// they have stopped writing, before the store closes.
//
// A key that cannot be read or made is a configuration mistake and stops
// the process at start-up. A database that cannot take checkpoints (or
// whose log no longer holds the last one signed) is logged as an error
// and the process runs on without them: moderation does not stop for the
// audit log's signatures, and haechi audit verify reports what was left
// unsigned.
func startAuditCheckpoints(c *cli.Context, st *store.Store, log *slog.Logger) (*auditSigning, error) {
	log = log.With("component", "audit_checkpoints")
	path := c.String("audit-key")
	if path == "" {
		path = filepath.Join(c.String("data-dir"), store.KeyFileName)
	}
	key, created, err := store.LoadOrCreateAuditKey(path)
	if err != nil {
		return nil, fmt.Errorf("--audit-key: %w", err)
	}
	if created {
		log.Info("audit signing key created; verifying needs only its public key", "key", path, "public_key", store.PublicKeyPath(path), "key_id", store.KeyID(key.Public().(ed25519.PublicKey)))
	}
	signing := &auditSigning{Public: key.Public().(ed25519.PublicKey), Journal: filepath.Join(filepath.Dir(path), store.JournalName), Stop: func() {}}
	w, err := st.StartCheckpoints(c.Context, store.CheckpointerConfig{
		Key:      key,
		Journal:  signing.Journal,
		Interval: auditCheckpointEvery,
		Log:      log,
	})
	if err != nil {
		log.Error("audit log head not signed", "err", err)
		return signing, nil
	}
	signing.Stop = func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Context), auditCloseTimeout)
		defer cancel()
		if err := w.Close(ctx); err != nil {
			log.Error("audit log head not signed at shutdown", "err", err)
		}
	}
	return signing, nil
}
