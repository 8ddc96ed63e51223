package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/haechi-tns/haechi/engine"
)

func classifyCommand() *cli.Command {
	return &cli.Command{
		Name:  "classify",
		Usage: "score JSON lines {\"id\",\"text\",\"lang\"?} from stdin, one JSON line out per line in",
		Description: `Each output line is
   {"id", "scores": {category: score, ..., "toxic"}, "flagged", "action", "pii": [{"type","start","end","score"}]}
where flagged says an abuse category (anything but personal information) is
over its threshold, and action is what the serving policy does with the text
as a chat message in a plaza. Output order follows input order. A line that
cannot be read gets {"id","error"} and the command exits non-zero at the end.`,
		Flags: engineFlags(
			&cli.IntFlag{Name: "workers", Value: runtime.GOMAXPROCS(0), Usage: "texts classified in parallel"},
			&cli.BoolFlag{Name: "images", Usage: `read {"id","path"} image lines (optionally "space", a space type) instead and write {"id","scores","pdq","matches","text","action","categories","rule_ids"}, and "redacted" where the policy redacts`},
			&cli.PathFlag{Name: "redacted-dir", Usage: "with --images, write each redacted copy to this folder as <its SHA-256>.png or .jpg and name the file in the line's \"redacted\" (without it the line names the copy's id alone)"},
		),
		Action: func(c *cli.Context) error {
			log, err := logger(c)
			if err != nil {
				return err
			}
			k, err := newCore(c.Context, configFrom(c), log)
			if err != nil {
				return err
			}
			batch, handle := classifyBatch, func(ls []inputLine) []lineResult { return classifyLines(c, k, ls) }
			if dir := c.Path("redacted-dir"); dir != "" {
				if !c.Bool("images") {
					return fmt.Errorf("--redacted-dir is for --images")
				}
				if err := os.MkdirAll(dir, 0o750); err != nil {
					return fmt.Errorf("--redacted-dir: %w", err)
				}
			}
			if c.Bool("images") {
				batch, handle = 1, func(ls []inputLine) []lineResult { return []lineResult{classifyImageLine(c, k, ls[0])} }
			}
			failed, err := classifyStream(c.App.Reader, c.App.Writer, max(1, c.Int("workers")), batch, handle)
			if err != nil {
				return err
			}
			if failed > 0 {
				return fmt.Errorf("%d input lines could not be classified", failed)
			}
			return nil
		},
	}
}

// classifyInput is one input line.
type classifyInput struct {
	ID   string `json:"id"`
	Text string `json:"text"`
	Lang string `json:"lang"`
}

// classifyOutput is one output line; its shape is a contract other tools
// and evaluations read.
type classifyOutput struct {
	ID      string             `json:"id"`
	Scores  map[string]float64 `json:"scores,omitempty"`
	Flagged bool               `json:"flagged"`
	Action  engine.Action      `json:"action,omitempty"`
	PII     []engine.PIISpan   `json:"pii"`
	Error   string             `json:"error,omitempty"`
}

// maxLineBytes bounds an input line: the text limit with room for JSON
// escapes and the other fields.
const maxLineBytes = engine.MaxTextBytes*6 + 4096

// classifyBatch is how many lines a worker classifies together: the text
// model runs once per batch.
const classifyBatch = 32

// inputLine is one line of input.
type inputLine struct {
	n       int
	line    []byte
	tooLong bool
}

// classifyStream reads input lines, hands them in batches of batchSize to
// several workers running handle, and writes the results in input order.
// It returns how many lines failed.
func classifyStream(in io.Reader, out io.Writer, workers, batchSize int, handle func([]inputLine) []lineResult) (int, error) {
	type job struct {
		lines []inputLine
		res   chan []lineResult
	}
	jobs := make(chan job, workers*4)
	order := make(chan chan []lineResult, workers*4)
	readErr := make(chan error, 1)

	go func() {
		defer close(jobs)
		defer close(order)
		r := bufio.NewReaderSize(in, 1<<16)
		var batch []inputLine
		flush := func() {
			if len(batch) == 0 {
				return
			}
			res := make(chan []lineResult, 1)
			order <- res
			jobs <- job{lines: batch, res: res}
			batch = nil
		}
		for n := 1; ; n++ {
			line, tooLong, err := readLine(r)
			if tooLong || len(bytes.TrimSpace(line)) > 0 {
				batch = append(batch, inputLine{n: n, line: line, tooLong: tooLong})
				if len(batch) == batchSize {
					flush()
				}
			}
			if err != nil {
				flush()
				if errors.Is(err, io.EOF) {
					err = nil
				}
				readErr <- err
				return
			}
		}
	}()
	for range workers {
		go func() {
			for j := range jobs {
				j.res <- handle(j.lines)
			}
		}()
	}
	w := bufio.NewWriterSize(out, 1<<16)
	failed := 0
	for res := range order {
		for _, r := range <-res {
			if r.failed {
				failed++
			}
			if _, err := w.Write(r.line); err != nil {
				return failed, err
			}
		}
	}
	if err := <-readErr; err != nil {
		return failed, fmt.Errorf("read stdin: %w", err)
	}
	return failed, w.Flush()
}

// readLine reads one line of any length. A line over maxLineBytes is
// consumed and reported as too long rather than held in memory.
func readLine(r *bufio.Reader) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := r.ReadSlice('\n')
		if !tooLong {
			if len(line)+len(chunk) > maxLineBytes {
				tooLong, line = true, nil
			} else {
				line = append(line, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return bytes.TrimRight(line, "\r\n"), tooLong, err
	}
}

// lineResult is one output line and whether it reports a failure.
type lineResult struct {
	line   []byte
	failed bool
}

// classifyLines classifies a batch of lines: each is parsed and checked
// on its own, the valid ones are scored together, and each is decided by
// the policy as a chat message in a plaza.
func classifyLines(c *cli.Context, k *core, lines []inputLine) []lineResult {
	out := make([]lineResult, len(lines))
	var evs []*engine.Event
	var idx []int
	for i, l := range lines {
		ev, res, ok := parseLine(c, l)
		if !ok {
			out[i] = res
			continue
		}
		evs = append(evs, ev)
		idx = append(idx, i)
	}
	if len(evs) == 0 {
		return out
	}
	sigs, err := k.pipeline.SignalsBatch(c.Context, evs)
	if err != nil {
		for j, i := range idx {
			out[i] = failLine(c, lines[i].n, evs[j].ID, err.Error())
		}
		return out
	}
	for j, i := range idx {
		d, err := k.pipeline.DecideWith(c.Context, evs[j], sigs[j], engine.UserContext{})
		if err != nil {
			out[i] = failLine(c, lines[i].n, evs[j].ID, err.Error())
			continue
		}
		out[i] = outputLine(c, lines[i].n, d)
	}
	return out
}

// failLine reports one line that could not be classified.
func failLine(c *cli.Context, n int, id, msg string) lineResult {
	if id == "" {
		id = "line-" + strconv.Itoa(n)
	}
	fmt.Fprintf(c.App.ErrWriter, "haechi classify: line %d: %s\n", n, msg)
	b, _ := json.Marshal(map[string]string{"id": id, "error": msg})
	return lineResult{line: append(b, '\n'), failed: true}
}

// parseLine reads one input line into a chat event.
func parseLine(c *cli.Context, l inputLine) (*engine.Event, lineResult, bool) {
	if l.tooLong {
		return nil, failLine(c, l.n, "", fmt.Sprintf("line is longer than %d bytes", maxLineBytes)), false
	}
	if !utf8.Valid(l.line) {
		return nil, failLine(c, l.n, "", "line is not valid UTF-8"), false
	}
	var in classifyInput
	if err := engine.DecodeJSON(l.line, &in); err != nil {
		return nil, failLine(c, l.n, "", strings.TrimPrefix(err.Error(), "invalid JSON: ")), false
	}
	switch {
	case in.ID == "":
		return nil, failLine(c, l.n, "", "id: required"), false
	case in.Text == "":
		return nil, failLine(c, l.n, in.ID, "text: required"), false
	case len(in.Text) > engine.MaxTextBytes:
		return nil, failLine(c, l.n, in.ID, fmt.Sprintf("text: is %d bytes, over the limit of %d", len(in.Text), engine.MaxTextBytes)), false
	}
	ev := chatEvent(in.ID, in.Text, in.Lang, engine.SpacePlaza, engine.RoleCitizen)
	if err := ev.Validate(); err != nil {
		return nil, failLine(c, l.n, in.ID, err.Error()), false
	}
	return ev, lineResult{}, true
}

// outputLine renders a decision in classify's output contract.
func outputLine(c *cli.Context, n int, d *engine.Decision) lineResult {
	out := classifyOutput{ID: d.EventID, PII: []engine.PIISpan{}}
	// Scores are the evidence as the policy weighed it: rule-based scores
	// and the text model's probabilities on one scale, where 0.5 is the
	// model's threshold for the text's language.
	evidence := d.Evidence
	if evidence == nil {
		evidence = d.Scores
	}
	out.Scores = make(map[string]float64, len(engine.TextCategories)+1)
	toxic := evidence[engine.Toxic]
	for _, cat := range engine.TextCategories {
		out.Scores[string(cat)] = round4(evidence[cat])
		if slices.Contains(engine.AbuseCategories, cat) {
			toxic = max(toxic, evidence[cat])
		}
	}
	out.Scores[string(engine.Toxic)] = round4(toxic)
	out.Flagged = slices.ContainsFunc(d.Fired, func(f engine.FiredRule) bool {
		return f.Category != "" && f.Category != engine.PIICategory
	})
	out.Action = d.Action
	if d.PII != nil {
		out.PII = d.PII
	}
	b, err := json.Marshal(out)
	if err != nil {
		return failLine(c, n, d.EventID, err.Error())
	}
	return lineResult{line: append(b, '\n')}
}

func round4(x float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 4, 64), 64)
	return v
}
