package main

import (
	"fmt"
	"slices"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/engine/store"
	"github.com/haechi-tns/haechi/engine/transparency"
)

func transparencyCommand() *cli.Command {
	return &cli.Command{
		Name:  "transparency",
		Usage: "write a month's transparency report (CSV or JSON), with no personal data",
		Description: `Counts one calendar month in Korean time (KST, UTC+09:00), after the fields
of the EU Digital Services Act's transparency reports: notices (reports)
received by category and space type, those from ignored reporters, actions
taken on them and the median time to act; the engine's own-initiative
decisions by category and action; automated against human decisions;
complaints (appeals) received, decided, upheld and reversed, with the median
time to decide; account restrictions by kind; and how often people released
what the engine restricted. Counts and durations only: no user ids, no texts.

A month that has ended is computed once, stored, and written the same ever
after, whatever retention deletes later; the current month is provisional
("final": false). --month defaults to last month.`,
		Flags: []cli.Flag{dataDirFlag, databaseFlag,
			&cli.StringFlag{Name: "month", Usage: "the month, YYYY-MM in KST (default: last month)"},
			&cli.StringFlag{Name: "format", Value: "csv", Usage: "csv or json"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return fmt.Errorf("transparency takes no arguments, got %q", c.Args().First())
			}
			format := c.String("format")
			if !slices.Contains(transparency.Formats, format) {
				return fmt.Errorf("--format: want csv or json, got %q", format)
			}
			now := time.Now()
			month := store.MonthOf(now).Prev()
			if c.IsSet("month") {
				m, err := store.ParseMonth(c.String("month"))
				if err != nil {
					return fmt.Errorf("--month: %w", err)
				}
				month = m
			}
			st, err := openStore(c)
			if err != nil {
				return err
			}
			defer st.Close()
			r, err := st.TransparencyReport(c.Context, month, now)
			if err != nil {
				return err
			}
			return transparency.Write(c.App.Writer, r, format)
		},
	}
}
