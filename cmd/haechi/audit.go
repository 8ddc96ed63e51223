package main

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/engine/store"
)

func auditCommand() *cli.Command {
	return &cli.Command{
		Name:  "audit",
		Usage: "the audit log of actions, claims, reveals of personal data and appeal outcomes",
		Subcommands: []*cli.Command{{
			Name:  "verify",
			Usage: "check the audit log's hash chain against its signed checkpoints",
			Description: `Every entry's hash covers its fields and the previous entry's hash, and
haechi serve and haechi worker sign the chain's head (entry number and hash)
every minute while it moves and when they stop, with a key kept outside
the database (--audit-key). verify recomputes the chain from the first
entry, checks that it holds every signed entry with its signed hash, and
names the first entry that was changed, removed or inserted; it exits
non-zero if there is one, or if no checkpoint signed by the key is found.
It needs only the public key, and never writes to the database: a
database that does not exist is an error, not an empty log.

Entries written since the newest checkpoint are accepted as far as they
link to it; removing them leaves nothing to see until the next checkpoint.`,
			Flags: []cli.Flag{dataDirFlag, databaseFlag, auditPubkeyFlag, auditJournalFlag},
			Action: func(c *cli.Context) error {
				dsn := c.String("database-url")
				if dsn == "" {
					dsn = filepath.Join(c.String("data-dir"), store.FileName)
				}
				st, err := store.OpenReadOnly(c.Context, dsn)
				if err != nil {
					return fmt.Errorf("audit log cannot be verified: %w (are --data-dir and --database-url right?)", err)
				}
				defer st.Close()
				pubPath := c.String("audit-pubkey")
				if pubPath == "" {
					pubPath = filepath.Join(c.String("data-dir"), store.PublicKeyFileName)
				}
				pub, err := store.ReadAuditPublicKey(pubPath)
				if errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("audit log cannot be verified: no public key at %s; haechi serve and haechi worker create the signing key (--audit-key) "+
						"and its public key beside it on first start: pass that public key as --audit-pubkey", pubPath)
				}
				if err != nil {
					return fmt.Errorf("audit log cannot be verified: %w", err)
				}
				journalPath := c.String("audit-journal")
				if journalPath == "" {
					journalPath = filepath.Join(filepath.Dir(pubPath), store.JournalName)
				}
				journal, skipped, err := store.ReadJournal(journalPath)
				if err != nil {
					return fmt.Errorf("audit log cannot be verified: %w", err)
				}

				v, err := st.VerifyAuditSigned(c.Context, pub, journal)
				var br *store.AuditBreak
				switch {
				case errors.As(err, &br):
					return fmt.Errorf("audit log tampered with: %w", br)
				case err != nil:
					return fmt.Errorf("audit log cannot be verified: %w", err)
				}
				w := c.App.Writer
				fmt.Fprintf(w, "audit log intact: %d entries\n", v.Entries)
				fmt.Fprintf(w, "signed: entry %d, in the checkpoint of %s by key %s (checkpoints checked: %d)\n",
					v.Latest.Seq, v.Latest.At.Format(time.RFC3339), v.Latest.KeyID, v.Checkpoints)
				if n := v.Entries - v.Latest.Seq; n > 0 {
					fmt.Fprintf(w, "%d later entries link to it; they are signed at the next checkpoint\n", n)
				}
				switch {
				case journal == nil && skipped == 0:
					fmt.Fprintf(w, "no checkpoint journal at %s: checked the database's checkpoints only\n", journalPath)
				case skipped > 0:
					fmt.Fprintf(w, "checkpoint journal %s: %d unreadable lines skipped\n", journalPath, skipped)
				}
				if len(v.OtherKeys) > 0 {
					fmt.Fprintf(w, "not checked: checkpoints of other keys (%s)\n", strings.Join(v.OtherKeys, ", "))
				}
				return nil
			},
		}},
	}
}
