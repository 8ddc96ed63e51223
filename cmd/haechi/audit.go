package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/engine/store"
)

func auditCommand() *cli.Command {
	return &cli.Command{
		Name:  "audit",
		Usage: "the audit log of actions, claims, reveals of personal data and appeal outcomes",
		Subcommands: []*cli.Command{{
			Name:  "verify",
			Usage: "check the audit log's hash chain",
			Description: `Every entry's hash covers its fields and the previous entry's hash.
verify recomputes the chain from the first entry and names the first entry
that was changed, removed or inserted; it exits non-zero if there is one.`,
			Flags: []cli.Flag{dataDirFlag, databaseFlag},
			Action: func(c *cli.Context) error {
				st, err := openStore(c)
				if err != nil {
					return err
				}
				defer st.Close()
				n, err := st.VerifyAudit(c.Context)
				var br *store.AuditBreak
				if errors.As(err, &br) {
					return fmt.Errorf("audit log tampered with: %w", err)
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(c.App.Writer, "audit log intact: %d entries\n", n)
				return nil
			},
		}},
	}
}
