package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/classifiers/pii"
	"github.com/haechi-tns/haechi/engine/search"
	"github.com/haechi-tns/haechi/engine/search/elastic"
	"github.com/haechi-tns/haechi/engine/store"
	"github.com/haechi-tns/haechi/pipelines"
)

// Search flags, shared by the commands that search or keep an index:
// serve, api, worker, search.
var (
	elasticsearchFlag = &cli.StringFlag{Name: "elasticsearch-url", Usage: "search with Elasticsearch 8 at this URL (http://user:password@host:9200) instead of the store's own index",
		EnvVars: []string{"HAECHI_ELASTICSEARCH_URL"}}
	elasticsearchIndexFlag = &cli.StringFlag{Name: "elasticsearch-index", Value: "haechi-search", Usage: "the Elasticsearch alias searched (writes go to NAME-write, indexes are NAME-<time>)"}
)

func searchFlags() []cli.Flag { return []cli.Flag{elasticsearchFlag, elasticsearchIndexFlag} }

// searchBackend is the index searched and what keeps it in step with the
// store.
type searchBackend struct {
	index   search.Index
	indexer *search.Indexer
	es      bool
}

// openSearch opens the index the flags name: Elasticsearch with
// --elasticsearch-url, else the store's own.
func openSearch(c *cli.Context, st *store.Store, log *slog.Logger) (*searchBackend, error) {
	masker := search.NewMasker(pii.New())
	b := &searchBackend{index: st.SearchIndex()}
	consumer := store.SearchConsumer
	if u := c.String("elasticsearch-url"); u != "" {
		x, err := elastic.New(c.Context, elastic.Config{URL: u, Name: c.String("elasticsearch-index"), Log: log})
		if err != nil {
			return nil, fmt.Errorf("--elasticsearch-url: %w", err)
		}
		b.index, b.es, consumer = x, true, "elasticsearch:"+c.String("elasticsearch-index")
	}
	b.indexer = &search.Indexer{Feed: st, Index: b.index, Masker: masker, Consumer: consumer, Log: log}
	return b, nil
}

// run keeps the index in step until ctx ends: the store's change feed,
// every second, and with Elasticsearch the decisions topic on brokers
// (none: the feed alone). wait returns once both stopped.
func (b *searchBackend) run(ctx context.Context, brokers []string, topic string, log *slog.Logger) (wait func()) {
	var wg sync.WaitGroup
	wg.Go(func() { b.indexer.Run(ctx, time.Second) })
	if b.es && len(brokers) > 0 {
		wg.Go(func() {
			d := &pipelines.DecisionIndexer{Brokers: brokers, Topic: topic, Index: b.index, Masker: b.indexer.Masker, Log: log}
			if err := d.Run(ctx); err != nil {
				log.Error("indexing published decisions stopped; the change feed still brings them", "err", err)
			}
		})
	}
	return wg.Wait
}

// openStoreAndSearch opens the store and the index of a search command.
func openStoreAndSearch(c *cli.Context) (*store.Store, *searchBackend, error) {
	log, err := logger(c)
	if err != nil {
		return nil, nil, err
	}
	st, err := openStore(c)
	if err != nil {
		return nil, nil, err
	}
	b, err := openSearch(c, st, log)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, b, nil
}

func searchCommand() *cli.Command {
	flags := append([]cli.Flag{dataDirFlag, databaseFlag}, searchFlags()...)
	return &cli.Command{
		Name:      "search",
		Usage:     "find decisions, cases, reports, appeals and audit entries",
		ArgsUsage: " ",
		Description: `Finds the records that match every filter given, newest first, a page at a
time: --user (a decision's sender, a case's subject, a report's subject or
reporter, an appellant, an audit entry's actor), --space, --category,
--action (a decision's action, a case's or appeal's outcome, an audit
action), --rule, --queue and --kind (each repeatable), --from and --to
(RFC 3339 or YYYY-MM-DD, UTC), and --text: words of the case snapshots,
reports' details, appeals' reasons and audit details, whose personal
information is masked before it is indexed and stays masked here. Korean
is matched inside words ("사기" finds "사기꾼"), other words by their
beginning. A page ends with the --cursor of the next.

The store's own index (SQLite FTS5, or PostgreSQL text search) is brought
up to date before searching; with --elasticsearch-url the cluster is
searched as haechi serve and worker keep it.`,
		Flags: append(flags,
			&cli.StringFlag{Name: "user", Usage: "a user id: sender, subject, reporter, appellant or audit actor"},
			&cli.StringFlag{Name: "space", Usage: "a space id"},
			&cli.StringFlag{Name: "category", Usage: "a category (scam, insult, …)"},
			&cli.StringFlag{Name: "action", Usage: "a decision's action, a case's or appeal's outcome, an audit action"},
			&cli.StringFlag{Name: "rule", Usage: "a policy rule id"},
			&cli.StringSliceFlag{Name: "queue", Usage: "a review queue (repeatable)"},
			&cli.StringSliceFlag{Name: "kind", Usage: "decision, case, report, appeal or audit (repeatable)"},
			&cli.StringFlag{Name: "from", Usage: "from this time on (RFC 3339 or YYYY-MM-DD)"},
			&cli.StringFlag{Name: "to", Usage: "before this time"},
			&cli.StringFlag{Name: "text", Usage: "words the text holds"},
			&cli.IntFlag{Name: "page-size", Value: search.DefaultPageSize, Usage: fmt.Sprintf("hits a page, 1 to %d", search.MaxPageSize)},
			&cli.StringFlag{Name: "cursor", Usage: "where the page starts: the cursor the page before ended with"},
			&cli.BoolFlag{Name: "json", Usage: "print the page as JSON"},
		),
		Action: searchAction,
		Subcommands: []*cli.Command{{
			Name:  "reindex",
			Usage: "rebuild the search index from the store",
			Description: `Reads every decision, case, report, appeal and audit entry from the store
and indexes it anew, masked, with a progress bar on a terminal (plain lines
otherwise). The store's own index is emptied and refilled; an Elasticsearch
index is rebuilt into a new index that replaces the old one behind its
alias only when it is full, so searches go on meanwhile. Changes made while
it runs are indexed after it by the next sync.`,
			Flags:  flags,
			Action: reindexAction,
		}},
	}
}

// parseSearchTime reads --from and --to.
func parseSearchTime(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--%s %q: want RFC 3339 (2026-11-22T09:00:00Z) or a date (2026-11-22)", name, v)
}

// queryFrom reads the search flags into a valid query.
func queryFrom(c *cli.Context) (search.Query, error) {
	if c.NArg() > 0 {
		return search.Query{}, fmt.Errorf("unexpected argument %q: text to search for goes in --text", c.Args().First())
	}
	q := search.Query{User: c.String("user"), Space: c.String("space"), Category: c.String("category"), Action: c.String("action"),
		Rule: c.String("rule"), Queues: c.StringSlice("queue"), Text: c.String("text"), Limit: c.Int("page-size")}
	if q.Limit == 0 {
		return q, errors.New("--page-size must be at least 1")
	}
	for _, k := range c.StringSlice("kind") {
		q.Kinds = append(q.Kinds, search.Kind(k))
	}
	var err error
	if q.From, err = parseSearchTime("from", c.String("from")); err != nil {
		return q, err
	}
	if q.To, err = parseSearchTime("to", c.String("to")); err != nil {
		return q, err
	}
	if v := c.String("cursor"); v != "" {
		if q.After, err = search.ParseCursor(v); err != nil {
			return q, fmt.Errorf("--cursor: %w", err)
		}
	}
	return q, q.Validate()
}

func searchAction(c *cli.Context) error {
	q, err := queryFrom(c)
	if err != nil {
		return err
	}
	st, b, err := openStoreAndSearch(c)
	if err != nil {
		return err
	}
	defer st.Close()
	if !b.es {
		if _, err := b.indexer.Sync(c.Context); err != nil {
			return err
		}
	}
	page, err := b.index.Search(c.Context, q)
	if err != nil {
		return err
	}
	return printPage(c.App.Writer, page, c.Bool("json"))
}

// printPage prints hits one a line, or the page as JSON.
func printPage(w io.Writer, page *search.Page, asJSON bool) error {
	if asJSON {
		out := struct {
			Hits []search.Hit `json:"hits"`
			Next string       `json:"next,omitempty"`
		}{Hits: page.Hits}
		if out.Hits == nil {
			out.Hits = []search.Hit{}
		}
		if page.Next != nil {
			out.Next = page.Next.String()
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(page.Hits) == 0 {
		fmt.Fprintln(w, "nothing found")
		return nil
	}
	for _, h := range page.Hits {
		fmt.Fprintf(w, "%s  %-8s %s", h.At.UTC().Format(time.RFC3339), h.Kind, h.ID)
		for _, f := range []struct{ name, v string }{{"action", h.Action}, {"queue", h.Queue}, {"space", h.Space},
			{"users", strings.Join(h.Users, ",")}, {"categories", strings.Join(h.Categories, ",")}, {"rules", strings.Join(h.Rules, ",")}, {"case", h.CaseID}} {
			if f.v != "" && !(f.name == "case" && h.Kind == search.KindCase) {
				fmt.Fprintf(w, "  %s=%s", f.name, printable(f.v))
			}
		}
		fmt.Fprintln(w)
		if h.Snippet != "" {
			fmt.Fprintf(w, "    %s\n", printable(h.Snippet))
		}
	}
	if page.Next != nil {
		fmt.Fprintf(w, "more: --cursor %s\n", page.Next.String())
	}
	return nil
}

// printable replaces control characters (a message's own escape
// sequences, line breaks) by spaces, so that user text cannot drive the
// terminal or forge lines.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}

func reindexAction(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", c.Args().First())
	}
	st, b, err := openStoreAndSearch(c)
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	bar := newProgress(c.App.Writer, "indexed")
	var total int
	err = search.Rebuild(c.Context, st, b.index, b.indexer.Masker, b.indexer.Consumer, func(done, all int) {
		total = done
		bar.set(done, all)
	})
	bar.finish()
	if err != nil {
		return err
	}
	where := "the store's own index (" + st.Dialect() + ")"
	if b.es {
		where = "Elasticsearch alias " + c.String("elasticsearch-index")
	}
	fmt.Fprintf(c.App.Writer, "reindexed %d records into %s in %s\n", total, where, time.Since(start).Round(time.Millisecond))
	return nil
}
