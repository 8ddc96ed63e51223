package main

import (
	"bytes"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a buffer the progress goroutine and the test share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestProgress(t *testing.T) {
	t.Run("plain lines", func(t *testing.T) {
		var out lockedBuffer
		p := newProgressEvery(&out, "replay", false, 5*time.Millisecond)
		p.setTotal(1000, "bytes")
		p.add(40, 250)
		time.Sleep(30 * time.Millisecond)
		p.finish()
		line := strings.SplitN(out.String(), "\n", 2)[0]
		if !regexp.MustCompile(`^replay: 40 events \(25 % of 1000 bytes\), \d+/s ETA \S+$`).MatchString(line) {
			t.Errorf("line %q", line)
		}
		if strings.Contains(out.String(), "\r") {
			t.Error("a bar was drawn where no terminal is")
		}
	})
	t.Run("bar", func(t *testing.T) {
		var out lockedBuffer
		p := newProgressEvery(&out, "replay", true, time.Hour)
		p.setTotal(100, "messages")
		p.add(50, 50)
		p.finish()
		got := out.String()
		if !strings.HasPrefix(got, "\rreplay [###############...............]  50%  50 events") || !strings.Contains(got, "ETA") || !strings.HasSuffix(got, "\n") {
			t.Errorf("bar %q", got)
		}
	})
}
