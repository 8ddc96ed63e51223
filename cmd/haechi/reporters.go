package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/engine/store"
)

func reportersCommand() *cli.Command {
	return &cli.Command{
		Name:  "reporters",
		Usage: "reporters of violations",
		Subcommands: []*cli.Command{{
			Name:      "ignore",
			Usage:     "stop counting a reporter's reports (acting in bad faith)",
			ArgsUsage: "REPORTER_ID",
			Description: `The reporter's reports are kept and still reach the queue, but no longer
count as distinct reporters, so they stop raising cases' priority; the
priority of their open cases is recomputed at once. The change is audited.`,
			Flags: []cli.Flag{dataDirFlag, databaseFlag,
				&cli.StringFlag{Name: "reason", Required: true, Usage: "why, for the audit log"},
				&cli.StringFlag{Name: "by", Required: true, Usage: "the moderator or operator deciding it"},
			},
			Action: func(c *cli.Context) error {
				if c.NArg() != 1 {
					return fmt.Errorf("ignore takes one reporter id, got %d arguments", c.NArg())
				}
				st, err := openStore(c)
				if err != nil {
					return err
				}
				defer st.Close()
				if err := st.IgnoreReporter(c.Context, c.Args().First(), c.String("reason"), store.Moderator{ID: c.String("by")}, time.Now()); err != nil {
					return err
				}
				fmt.Fprintf(c.App.ErrWriter, "reports of %s no longer count\n", c.Args().First())
				return nil
			},
		}},
	}
}
