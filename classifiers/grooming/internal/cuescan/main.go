// Command cuescan measures how often the grooming cue detector fires on
// ordinary text: the unlabelled Korean movie reviews (NSMC) and the benign
// rows of the labelled Korean and English sets described in the shared
// datasets' README. None of that text holds a grooming conversation, so
// every cue found there is a false cue or, at best, a cue out of context.
//
//	go run ./classifiers/grooming/internal/cuescan -data /work/shared/datasets
//
// It prints counts and shares per corpus and cue. With -samples N it also
// prints up to N matching lines per cue, for a person tuning the patterns;
// the datasets are public, and the lines go to the terminal, never to a
// log or to the repository. It is a tool, not a test: `go test ./...`
// does not run it and no test reads the datasets.
package main

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/haechi-tns/haechi/classifiers/grooming"
	"github.com/haechi-tns/haechi/classifiers/textnorm"
	"github.com/haechi-tns/haechi/engine"
)

// corpus is one file and which of its rows are benign.
type corpus struct {
	name, file string
	benign     func(labels map[string]any) bool // nil: a plain text file, every line
}

var corpora = []corpus{
	{name: "nsmc", file: "unlabelled/nsmc_reviews.txt.gz"},
	{name: "beep", file: "text/beep_train.jsonl", benign: is("hate", "none")},
	{name: "kmhas", file: "text/kmhas_valid.jsonl", benign: is("not_hate", 1.0)},
	{name: "curse", file: "text/curse.jsonl", benign: is("curse", 0.0)},
	{name: "kosbi", file: "text/kosbi_valid.jsonl", benign: is("sentence_label", "safe")},
	{name: "zizun", file: "text/zizun.jsonl", benign: is("malicious", 0.0)},
	{name: "davidson", file: "text/davidson.jsonl", benign: is("class", "neither")},
	{name: "olid", file: "text/olid_train.jsonl", benign: is("a", "NOT")},
	{name: "hatexplain", file: "text/hatexplain_val.jsonl", benign: is("class", "normal")},
	{name: "sms_ham", file: "text/sms_spam.jsonl", benign: is("spam", 0.0)},
}

func is(key string, want any) func(map[string]any) bool {
	return func(l map[string]any) bool { return l[key] == want }
}

func main() {
	data := flag.String("data", "/work/shared/datasets", "the shared datasets folder")
	samples := flag.Int("samples", 0, "print up to this many matching lines per cue and corpus")
	only := flag.String("corpus", "", "measure only this corpus")
	counts := flag.Bool("counts", false, "print numbers of lines rather than shares")
	profile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "cuescan:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "cuescan:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(os.Stdout, *data, *only, *samples, *counts); err != nil {
		fmt.Fprintln(os.Stderr, "cuescan:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

type tally struct {
	lines, any  int
	per         [9]int
	detect, cpu time.Duration // wall and thread CPU time in Detect
}

// block is how many lines are normalised before Detect is timed over
// them all: a clock read per line would cost a third of what it measures.
const block = 4096

func run(w io.Writer, data, only string, samples int, counts bool) error {
	fmt.Fprintf(w, "patterns %s; Detect's mean wall and thread CPU time per line, timed over blocks of %d normalised lines\n", grooming.Version(), block)
	fmt.Fprintln(w, "(the kernel counts thread CPU time in ticks: the column means something for the large corpus only)")
	runtime.LockOSThread() // for threadCPU
	defer runtime.UnlockOSThread()
	fmt.Fprintf(w, "%-10s %8s %7s", "corpus", "lines", "any")
	for _, c := range engine.GroomingCues {
		fmt.Fprintf(w, " %9.9s", c)
	}
	fmt.Fprintf(w, " %8s %8s\n", "ns/line", "cpu ns")
	for _, c := range corpora {
		if only != "" && c.name != only {
			continue
		}
		tl, shown, err := scan(c, filepath.Join(data, c.file), samples)
		if err != nil {
			return err
		}
		if counts {
			fmt.Fprintf(w, "%-10s %8d %7d", c.name, tl.lines, tl.any)
			for _, n := range tl.per {
				fmt.Fprintf(w, " %9d", n)
			}
		} else {
			fmt.Fprintf(w, "%-10s %8d %6.2f%%", c.name, tl.lines, pct(tl.any, tl.lines))
			for _, n := range tl.per {
				fmt.Fprintf(w, " %8.3f%%", pct(n, tl.lines))
			}
		}
		fmt.Fprintf(w, " %8.0f %8.0f\n", perLine(tl.detect, tl.lines), perLine(tl.cpu, tl.lines))
		for _, s := range shown {
			fmt.Fprintf(w, "    %-22s %s\n", s.cues, s.text)
		}
	}
	return nil
}

func pct(n, of int) float64 { return 100 * float64(n) / float64(max(of, 1)) }

func perLine(d time.Duration, lines int) float64 {
	return float64(d.Nanoseconds()) / float64(max(lines, 1))
}

// threadCPU is the CPU time the calling thread has used (Linux): on a
// shared machine it does not count the time other processes ran.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type sample struct {
	cues grooming.Set
	text string
}

func scan(c corpus, path string, samples int) (tally, []sample, error) {
	var tl tally
	var shown []sample
	perShown := [9]int{}
	f, err := os.Open(path)
	if err != nil {
		return tl, nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if filepath.Ext(path) == ".gz" {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return tl, nil, fmt.Errorf("%s: %w", path, err)
		}
		defer gz.Close()
		r = gz
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	texts := make([]textnorm.Text, block)
	lines := make([]string, 0, block)
	sets := make([]grooming.Set, block)
	flush := func() {
		for i, s := range lines {
			texts[i].Reset(s)
		}
		t0, c0 := time.Now(), threadCPU()
		for i := range lines {
			sets[i] = grooming.Detect(&texts[i])
		}
		tl.detect += time.Since(t0)
		tl.cpu += threadCPU() - c0
		for i, text := range lines {
			tl.lines++
			set := sets[i]
			if set == 0 {
				continue
			}
			tl.any++
			take := false
			for k, cue := range engine.GroomingCues {
				if set.Has(cue) {
					tl.per[k]++
					if perShown[k] < samples {
						perShown[k]++
						take = true
					}
				}
			}
			if take {
				shown = append(shown, sample{cues: set, text: text})
			}
		}
		lines = lines[:0]
	}
	for sc.Scan() {
		text := sc.Text()
		if c.benign != nil {
			var row struct {
				Text   string         `json:"text"`
				Labels map[string]any `json:"labels"`
			}
			if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
				return tl, nil, fmt.Errorf("%s: %w", path, err)
			}
			if !c.benign(row.Labels) {
				continue
			}
			text = row.Text
		}
		if lines = append(lines, text); len(lines) == block {
			flush()
		}
	}
	flush()
	return tl, shown, sc.Err()
}
