package main

import (
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/classifiers/hashbank"
	"github.com/haechi-tns/haechi/classifiers/imagedecode"
	"github.com/haechi-tns/haechi/classifiers/pdq"
)

var dataDirFlag = &cli.StringFlag{
	Name:    "data-dir",
	Value:   ".haechi",
	Usage:   "where Haechi keeps its state (hash banks under banks/)",
	EnvVars: []string{"HAECHI_DATA_DIR"},
}

func banksDir(c *cli.Context) string { return filepath.Join(c.String("data-dir"), "banks") }

func hashesCommand() *cli.Command {
	return &cli.Command{
		Name:  "hashes",
		Usage: "image hashes and hash banks",
		Subcommands: []*cli.Command{
			{
				Name:      "pdq",
				Usage:     "print hex,quality,file for each image, like Meta's pdq-photo-hasher",
				ArgsUsage: "FILE...",
				Action: func(c *cli.Context) error {
					if c.NArg() == 0 {
						return fmt.Errorf("name at least one image file")
					}
					failed := 0
					for _, name := range c.Args().Slice() {
						h, q, err := hashFile(name)
						if err != nil {
							fmt.Fprintf(c.App.ErrWriter, "haechi hashes pdq: %s: %v\n", name, err)
							failed++
							continue
						}
						fmt.Fprintf(c.App.Writer, "%s,%d,%s\n", h, q, name)
					}
					if failed > 0 {
						return fmt.Errorf("%d of %d files could not be hashed", failed, c.NArg())
					}
					return nil
				},
			},
			{
				Name:      "import",
				Usage:     "add hashes from a CSV (hash[,label]) to a bank",
				ArgsUsage: "FILE.csv",
				Description: `Each row is a hash and an optional label. A hash may name its kind
("pdq:…", "md5:…", "sha256:…"); bare 32-digit hashes are MD5, bare 64-digit
ones are PDQ unless --type sha256. Hashes already in the bank are skipped.
A bad row stops the import before anything is written.`,
				Flags: []cli.Flag{
					dataDirFlag,
					&cli.StringFlag{Name: "bank", Required: true, Usage: "bank name (lowercase letters, digits, - and _)"},
					&cli.BoolFlag{Name: "negative", Usage: "a bank of known-good images that must not be matched"},
					&cli.StringFlag{Name: "type", Value: "pdq", Usage: "kind of bare 64-digit hashes: pdq or sha256"},
				},
				Action: func(c *cli.Context) error {
					if c.NArg() != 1 {
						return fmt.Errorf("name one CSV file")
					}
					f, err := os.Open(c.Args().First())
					if err != nil {
						return err
					}
					defer f.Close()
					res, err := hashbank.Import(banksDir(c), c.String("bank"), f, hashbank.ImportOptions{
						Negative: c.Bool("negative"), Kind64: hashbank.Kind(c.String("type")),
					})
					if err != nil {
						return err
					}
					fmt.Fprintf(c.App.Writer, "bank %s: %d added, %d already there\n", c.String("bank"), res.Added, res.Duplicates)
					return nil
				},
			},
			{
				Name:  "list",
				Usage: "list the hash banks",
				Flags: []cli.Flag{dataDirFlag},
				Action: func(c *cli.Context) error {
					set, err := hashbank.Load(banksDir(c))
					if err != nil {
						return err
					}
					w := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
					fmt.Fprintln(w, "BANK\tNEGATIVE\tPDQ\tMD5\tSHA256")
					for _, b := range set.Banks() {
						fmt.Fprintf(w, "%s\t%v\t%d\t%d\t%d\n", b.Name, b.Negative, b.Counts[hashbank.PDQ], b.Counts[hashbank.MD5], b.Counts[hashbank.SHA256])
					}
					return w.Flush()
				},
			},
		},
	}
}

// hashFile decodes an image file and returns its PDQ hash and quality.
func hashFile(name string) (pdq.Hash, int, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return pdq.Hash{}, 0, err
	}
	im, err := imagedecode.Decode(data, imagedecode.DefaultLimits)
	if err != nil {
		return pdq.Hash{}, 0, err
	}
	return pdq.FromImage(im.Image)
}
