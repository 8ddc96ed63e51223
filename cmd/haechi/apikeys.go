package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/engine/store"
)

func apikeysCommand() *cli.Command {
	flags := []cli.Flag{dataDirFlag, databaseFlag}
	return &cli.Command{
		Name:  "apikeys",
		Usage: "API keys of the world platform and other clients of the in-world API",
		Description: `Keys are stored hashed; the secret is shown once, at creation. Scopes:
` + strings.Join(store.Scopes, ", ") + `.`,
		Subcommands: []*cli.Command{
			{
				Name:      "create",
				Usage:     "create a key and print its secret",
				ArgsUsage: " ",
				Flags: append(flags,
					&cli.StringFlag{Name: "name", Required: true, Usage: "who the key is for, e.g. world-platform"},
					&cli.StringSliceFlag{Name: "scope", Required: true, Usage: "a scope the key grants (repeatable)"},
				),
				Action: func(c *cli.Context) error {
					st, err := openStore(c)
					if err != nil {
						return err
					}
					defer st.Close()
					secret, k, err := st.CreateAPIKey(c.Context, c.String("name"), c.StringSlice("scope"), time.Now())
					if err != nil {
						return err
					}
					fmt.Fprintf(c.App.Writer, "%s\n", secret)
					fmt.Fprintf(c.App.ErrWriter, "key %s (%s) with scopes %s; the secret above is not shown again\n", k.ID, k.Name, strings.Join(k.Scopes, ","))
					return nil
				},
			},
			{
				Name:  "list",
				Usage: "list keys (never their secrets)",
				Flags: flags,
				Action: func(c *cli.Context) error {
					st, err := openStore(c)
					if err != nil {
						return err
					}
					defer st.Close()
					keys, err := st.ListAPIKeys(c.Context)
					if err != nil {
						return err
					}
					w := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
					fmt.Fprintln(w, "KEY\tNAME\tSCOPES\tCREATED\tREVOKED")
					for _, k := range keys {
						revoked := ""
						if !k.RevokedAt.IsZero() {
							revoked = k.RevokedAt.Format(time.RFC3339)
						}
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, strings.Join(k.Scopes, ","), k.CreatedAt.Format(time.RFC3339), revoked)
					}
					return w.Flush()
				},
			},
			{
				Name:      "revoke",
				Usage:     "revoke a key; requests with it are refused at once",
				ArgsUsage: "KEY_ID",
				Flags:     flags,
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return fmt.Errorf("revoke takes one key id, got %d arguments", c.NArg())
					}
					st, err := openStore(c)
					if err != nil {
						return err
					}
					defer st.Close()
					if err := st.RevokeAPIKey(c.Context, c.Args().First(), time.Now()); err != nil {
						return err
					}
					fmt.Fprintf(c.App.ErrWriter, "revoked %s\n", c.Args().First())
					return nil
				},
			},
		},
	}
}
