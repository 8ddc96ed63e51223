package ocr

import (
	"bufio"
	"context"
	"errors"
	"image"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkRead reads a mix where one image in five has text (the
// fixtures with text, and the photo-like ones and the bridge for the
// rest), with and without the gate, and reports p50 and p99 per image.
func BenchmarkRead(b *testing.B) {
	var texts, photos []image.Image
	for _, f := range loadManifest(b) {
		img := loadImage(b, filepath.Join(imageDir, f.File))
		if len(f.Text) > 0 {
			texts = append(texts, img)
		} else {
			photos = append(photos, img)
		}
	}
	photos = append(photos, loadImage(b, filepath.Join("..", "pdq", "testdata", "pdq", "bridge-1-original.jpg")))
	var mix []image.Image
	for i := range 5 * len(texts) {
		if i%5 == 0 {
			mix = append(mix, texts[i/5])
		} else {
			mix = append(mix, photos[i%len(photos)])
		}
	}
	for _, bc := range []struct {
		name string
		cfg  Config
		set  []image.Image
	}{
		{"mix/gate", Config{}, mix},
		{"mix/no-gate", Config{NoGate: true}, mix},
		{"text-only", Config{}, texts},
		{"photos-only/gate", Config{}, photos},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p := newPool(b, bc.cfg)
			var times []time.Duration
			i, timeouts := 0, 0
			// b.N rather than b.Loop: go1.26.8's compiler fails on this
			// loop body under b.Loop (internal compiler error in
			// sync/atomic).
			for range b.N {
				start := time.Now()
				_, err := p.Read(context.Background(), bc.set[i%len(bc.set)])
				switch {
				case errors.Is(err, context.DeadlineExceeded):
					timeouts++ // the 3 s limit: counted at what it cost
				case err != nil:
					b.Fatal(err)
				}
				times = append(times, time.Since(start))
				i++
			}
			b.ReportMetric(float64(timeouts), "timeouts")
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(times[len(times)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

// TestEngineMemory measures what one engine adds to the process's
// resident memory: the kor and eng models and Tesseract's buffers after
// one read.
func TestEngineMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("starts eight engines")
	}
	img := loadImage(t, filepath.Join(imageDir, "notice-ko.png"))
	rss := func() int {
		runtime.GC()
		f, err := os.Open("/proc/self/status")
		if err != nil {
			t.Skip("no /proc/self/status")
		}
		defer f.Close()
		s := bufio.NewScanner(f)
		for s.Scan() {
			if v, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
				kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
				return kb
			}
		}
		return 0
	}
	// One engine first, so the process-wide caches are counted apart.
	base := rss()
	first := newPool(t, Config{})
	if _, err := first.Read(context.Background(), img); err != nil {
		t.Fatal(err)
	}
	one := rss()
	const n = 8
	p := newPool(t, Config{Engines: n, NoGate: true})
	// Every engine reads once; reads hold engines in turn, so run n at once.
	done := make(chan error, n)
	for range n {
		go func() { _, err := p.Read(context.Background(), img); done <- err }()
	}
	for range n {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	all := rss()
	t.Logf("resident memory: first engine %d MiB (with shared caches), each further engine %.1f MiB (%d engines: %d MiB)",
		(one-base)/1024, float64(all-one)/1024/n, n, (all-one)/1024)
}
