package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// progress reports a long command's progress on w: a bar redrawn in place
// with the rate and the time left when w is a terminal, else a plain line
// every few seconds (logs and CI keep every line). Work is counted in two
// ways: events done, and units of the input read (bytes of a file,
// messages of a topic), of which the total may be known.
type progress struct {
	w        io.Writer
	label    string
	terminal bool
	start    time.Time
	events   atomic.Int64
	units    atomic.Int64
	total    atomic.Int64
	unit     atomic.Value // string
	stop     chan struct{}
	done     sync.WaitGroup
	once     sync.Once
}

// isTerminal reports whether w is a character device, such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func newProgress(w io.Writer, label string) *progress {
	every := 5 * time.Second
	if isTerminal(w) {
		every = 200 * time.Millisecond
	}
	return newProgressEvery(w, label, isTerminal(w), every)
}

// newProgressEvery reports every so often, as a bar on a terminal.
func newProgressEvery(w io.Writer, label string, terminal bool, every time.Duration) *progress {
	p := &progress{w: w, label: label, terminal: terminal, start: time.Now(), stop: make(chan struct{})}
	p.unit.Store("")
	p.done.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.print(false)
			}
		}
	})
	return p
}

func (p *progress) setTotal(n int64, unit string) {
	p.total.Store(n)
	p.unit.Store(unit)
}

// add counts events done and units of input read.
func (p *progress) add(events, units int64) {
	p.events.Add(events)
	p.units.Add(units)
}

// finish stops the reports; on a terminal the bar's line is ended.
func (p *progress) finish() {
	p.once.Do(func() {
		close(p.stop)
		p.done.Wait()
		if p.terminal {
			p.print(true)
		}
	})
}

func (p *progress) print(last bool) {
	elapsed := time.Since(p.start)
	events, units, total := p.events.Load(), p.units.Load(), p.total.Load()
	rate := float64(events) / max(elapsed.Seconds(), 1e-9)
	frac, eta := -1.0, ""
	if total > 0 {
		frac = min(1, float64(units)/float64(total))
		if frac > 0 && frac < 1 {
			eta = " ETA " + (time.Duration(float64(elapsed) * (1 - frac) / frac)).Round(time.Second).String()
		}
	}
	if !p.terminal {
		pct := ""
		if frac >= 0 {
			pct = fmt.Sprintf(" (%.0f %% of %d %s)", 100*frac, total, p.unit.Load())
		}
		fmt.Fprintf(p.w, "%s: %d events%s, %.0f/s%s\n", p.label, events, pct, rate, eta)
		return
	}
	const width = 30
	bar := strings.Repeat("?", width)
	if frac >= 0 {
		n := int(frac * width)
		bar = strings.Repeat("#", n) + strings.Repeat(".", width-n)
	}
	end := ""
	if last {
		end = "\n"
	}
	fmt.Fprintf(p.w, "\r%s [%s] %3.0f%%  %d events  %.0f/s%s\033[K%s", p.label, bar, 100*max(frac, 0), events, rate, eta, end)
}

// set reports done of total, where the input is counted in the events
// themselves (records to index, say).
func (p *progress) set(done, total int) {
	p.total.Store(int64(total))
	p.events.Store(int64(done))
	p.units.Store(int64(done))
}
