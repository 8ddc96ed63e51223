package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progress shows how far a long job is: on a terminal a bar redrawn in
// place with the rate and the time left, at most ten times a second;
// elsewhere (a pipe, a log file) a plain line every tenth of the way.
type progress struct {
	w        io.Writer
	what     string
	terminal bool
	start    time.Time
	last     time.Time
	lastStep int
	drawn    bool
	now      func() time.Time
}

func newProgress(w io.Writer, what string) *progress {
	p := &progress{w: w, what: what, start: time.Now(), lastStep: -1, now: time.Now}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.terminal = true
		}
	}
	return p
}

// set reports done of total.
func (p *progress) set(done, total int) {
	now := p.now()
	frac := 1.0
	if total > 0 {
		frac = float64(done) / float64(total)
	}
	elapsed := now.Sub(p.start)
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(done) / s
	}
	eta := "?"
	if rate > 0 {
		eta = time.Duration(float64(total-done) / rate * float64(time.Second)).Round(time.Second).String()
	}
	if p.terminal {
		if done < total && now.Sub(p.last) < 100*time.Millisecond {
			return
		}
		p.last = now
		const width = 30
		n := int(frac * width)
		fmt.Fprintf(p.w, "\r[%s%s] %d/%d %3.0f%% %.0f/s ETA %s  ", strings.Repeat("#", n), strings.Repeat(".", width-n), done, total, 100*frac, rate, eta)
		p.drawn = true
		return
	}
	if step := int(frac * 10); step > p.lastStep {
		p.lastStep = step
		fmt.Fprintf(p.w, "%s %d of %d (%.0f%%), %.0f a second, about %s left\n", p.what, done, total, 100*frac, rate, eta)
	}
}

// finish ends the bar's line.
func (p *progress) finish() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
