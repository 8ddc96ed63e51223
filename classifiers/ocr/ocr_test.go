package ocr

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/haechi-tns/haechi/classifiers/imagedecode"
)

// newPool starts a pool for a test and closes it after.
func newPool(t testing.TB, cfg Config) *Pool {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return p
}

var decoded sync.Map // file → image.Image

// loadImage decodes a fixture the way uploads are decoded.
func loadImage(t testing.TB, path string) image.Image {
	t.Helper()
	if im, ok := decoded.Load(path); ok {
		return im.(image.Image)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	im, err := imagedecode.Decode(b, imagedecode.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	decoded.Store(path, im.Image)
	return im.Image
}

// charAccuracy is 1 − (edit distance ÷ length of want), over the texts
// with white space removed: Tesseract's spacing of Hangul varies, and
// spacing changes no meaning the classifiers read. It is at least 0.
func charAccuracy(want, got string) float64 {
	strip := func(s string) []rune {
		var out []rune
		for _, r := range s {
			if !unicode.IsSpace(r) {
				out = append(out, r)
			}
		}
		return out
	}
	w, g := strip(want), strip(got)
	if len(w) == 0 {
		if len(g) == 0 {
			return 1
		}
		return 0
	}
	prev := make([]int, len(g)+1)
	cur := make([]int, len(g)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(w); i++ {
		cur[0] = i
		for j := 1; j <= len(g); j++ {
			cost := 1
			if w[i-1] == g[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return max(0, 1-float64(prev[len(g)])/float64(len(w)))
}

func TestCharAccuracy(t *testing.T) {
	for _, tc := range []struct {
		want, got string
		acc       float64
	}{
		{"abc", "abc", 1},
		{"a b c", "abc", 1},
		{"abcd", "abxd", 0.75},
		{"abcd", "", 0},
		{"ab", "abcdef", 0},
		{"", "", 1},
	} {
		if got := charAccuracy(tc.want, tc.got); got != tc.acc {
			t.Errorf("charAccuracy(%q, %q) = %v, want %v", tc.want, tc.got, got, tc.acc)
		}
	}
}

// TestReadFixtures reads every fixture with the default configuration and
// holds each to its accuracy floor; images without text must be skipped
// by the gate.
func TestReadFixtures(t *testing.T) {
	p := newPool(t, Config{})
	for _, f := range loadManifest(t) {
		t.Run(f.File, func(t *testing.T) {
			img := loadImage(t, filepath.Join(imageDir, f.File))
			start := time.Now()
			res, err := p.Read(context.Background(), img)
			if err != nil {
				t.Fatal(err)
			}
			took := time.Since(start)
			if len(f.Text) == 0 {
				if res.Read || len(res.Words) > 0 {
					t.Errorf("an image without text was read (gate %+v)", res.Gate)
				}
				return
			}
			if !res.Read {
				t.Fatalf("the gate skipped an image with text (gate %+v)", res.Gate)
			}
			acc := charAccuracy(strings.Join(f.Text, "\n"), res.Text)
			t.Logf("accuracy %.3f in %v (gate %+v, inverted %v, scale %.2f, %d words)", acc, took.Round(time.Millisecond), res.Gate, res.Inverted, res.Scale, len(res.Words))
			if acc < f.MinCharAccuracy {
				t.Errorf("character accuracy %.3f, below the floor %.3f", acc, f.MinCharAccuracy)
			}
			checkWords(t, res, img.Bounds())
		})
	}
}

// checkWords holds the word boxes inside the image and the offsets to the
// text.
func checkWords(t *testing.T, res *Result, bounds image.Rectangle) {
	t.Helper()
	runes := []rune(res.Text)
	for _, w := range res.Words {
		if w.Box.Empty() || !w.Box.In(bounds.Inset(-2)) {
			t.Errorf("word box %v outside the image %v", w.Box, bounds)
		}
		if w.Start < 0 || w.End > len(runes) || string(runes[w.Start:w.End]) != w.Text {
			t.Errorf("word offsets %d-%d do not point at the word", w.Start, w.End)
		}
		if w.Confidence < DefaultConfig.MinConfidence || w.Confidence > 100 {
			t.Errorf("word confidence %v", w.Confidence)
		}
	}
}

// TestPreprocessingSteps measures what each step adds: mean character
// accuracy over the fixtures with text, for plain Tesseract (grey pixels
// as they are) and with each step alone and all together. Every step must
// help or at least not hurt, and all together must beat plain Tesseract.
func TestPreprocessingSteps(t *testing.T) {
	if testing.Short() {
		t.Skip("reads every fixture six times")
	}
	none := Steps{NoContrast: true, NoInvert: true, NoScale: true}
	configs := []struct {
		name  string
		steps Steps
	}{
		{"plain", none},
		{"contrast", Steps{NoInvert: true, NoScale: true}},
		{"invert", Steps{NoContrast: true, NoScale: true}},
		{"scale", Steps{NoContrast: true, NoInvert: true}},
		{"all", Steps{}},
	}
	fs := loadManifest(t)
	mean := map[string]float64{}
	for _, c := range configs {
		p := newPool(t, Config{Steps: c.steps, NoGate: true})
		var sum float64
		n := 0
		var per []string
		for _, f := range fs {
			if len(f.Text) == 0 {
				continue
			}
			res, err := p.Read(context.Background(), loadImage(t, filepath.Join(imageDir, f.File)))
			if err != nil {
				t.Fatal(err)
			}
			acc := charAccuracy(strings.Join(f.Text, "\n"), res.Text)
			sum += acc
			n++
			per = append(per, fmt.Sprintf("%s=%.2f", strings.TrimSuffix(f.File, filepath.Ext(f.File)), acc))
		}
		mean[c.name] = sum / float64(n)
		t.Logf("%-8s mean accuracy %.3f: %s", c.name, mean[c.name], strings.Join(per, " "))
	}
	for _, c := range configs[1:] {
		if mean[c.name] < mean["plain"]-0.01 {
			t.Errorf("%s: mean accuracy %.3f, below plain Tesseract's %.3f", c.name, mean[c.name], mean["plain"])
		}
	}
	if mean["all"] <= mean["plain"] {
		t.Errorf("all steps: %.3f, not above plain Tesseract's %.3f", mean["all"], mean["plain"])
	}
}

func TestReadDeadline(t *testing.T) {
	p := newPool(t, Config{})
	img := loadImage(t, filepath.Join(imageDir, "coin-scam.png"))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := p.Read(ctx, img)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline", err)
	}
	// Layout analysis cannot be interrupted; recognition stops between
	// words. The bound is loose for loaded CI machines, and well under
	// the pool's 3 s limit, which would otherwise be what stopped it.
	if took := time.Since(start); took > 1500*time.Millisecond {
		t.Errorf("a 20 ms deadline took %v to stop the read", took)
	}
	// The engine is still usable afterwards.
	if _, err := p.Read(context.Background(), img); err != nil {
		t.Fatal(err)
	}
}

func TestReadCancelled(t *testing.T) {
	p := newPool(t, Config{})
	img := loadImage(t, filepath.Join(imageDir, "coin-scam.png"))
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	if _, err := p.Read(ctx, img); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want cancelled", err)
	}
}

func TestTooLarge(t *testing.T) {
	p := newPool(t, Config{MaxPixels: 100 * 100})
	if _, err := p.Read(context.Background(), image.NewGray(image.Rect(0, 0, 101, 100))); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
}

func TestTinyAndBlank(t *testing.T) {
	p := newPool(t, Config{})
	for _, r := range []image.Rectangle{image.Rect(0, 0, 1, 1), image.Rect(0, 0, 3, 500), image.Rect(0, 0, 640, 480)} {
		res, err := p.Read(context.Background(), image.NewGray(r))
		if err != nil {
			t.Fatalf("%v: %v", r, err)
		}
		if res.Read || res.Text != "" {
			t.Errorf("%v: a blank image was read", r)
		}
	}
	// Forced past the gate, a blank image reads as no words.
	q := newPool(t, Config{NoGate: true})
	res, err := q.Read(context.Background(), image.NewGray(image.Rect(0, 0, 64, 64)))
	if err != nil || res.Text != "" {
		t.Fatalf("blank image: %q, %v", res.Text, err)
	}
}

// TestOffsetImage reads an image whose bounds do not start at (0,0): the
// boxes are in its own coordinates.
func TestOffsetImage(t *testing.T) {
	p := newPool(t, Config{})
	img := loadImage(t, filepath.Join(imageDir, "notice-en.png")).(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(image.Rect(20, 100, 760, 380))
	res, err := p.Read(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Read || len(res.Words) == 0 {
		t.Fatal("nothing read")
	}
	checkWords(t, res, img.Bounds())
}

func TestClose(t *testing.T) {
	p, err := New(Config{Engines: 2})
	if err != nil {
		t.Fatal(err)
	}
	img := loadImage(t, filepath.Join(imageDir, "notice-en.png"))
	// A read in flight holds an engine; Close waits for it.
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		close(started)
		_, err := p.Read(context.Background(), img)
		done <- err
	}()
	<-started
	time.Sleep(5 * time.Millisecond)
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil && !errors.Is(err, ErrClosed) {
		t.Fatalf("read during close: %v", err)
	}
	if _, err := p.Read(context.Background(), img); !errors.Is(err, ErrClosed) {
		t.Fatalf("read after close: %v, want ErrClosed", err)
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatalf("second close: %v", err)
	}
}

func TestCloseDeadline(t *testing.T) {
	p, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	tk, err := p.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := p.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("close with an engine out: %v, want the deadline", err)
	}
	p.free <- tk
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"zero", Config{}, true},
		{"too many engines", Config{Engines: 65}, false},
		{"confidence", Config{MinConfidence: 101}, false},
		{"psm", Config{PageSegMode: 14}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate() = %v", err)
			}
		})
	}
	if _, err := New(Config{Languages: "xyz"}); err == nil {
		t.Error("a pool with a language that is not installed started")
	}
}
