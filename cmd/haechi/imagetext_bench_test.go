package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
)

// BenchmarkImagePath decides images through the whole engine (decoding,
// hashes and banks, the NSFW model, the text-presence gate and OCR, the
// chat text classifier on the text, the policy) on a mix where one image
// in five has text: of every five, one OCR fixture with text (in turn the
// ID card, the threat meme, the Korean notice and the coin scam) and four
// without (the two photo-like OCR fixtures and Meta's PDQ reference
// photos). GOMAXPROCS goroutines decide at once, as many as OCR engines.
// It reports images/s and the latency's p50 and p99; "ocr-off" is the
// same engine without reading text.
//
//	go test -run '^$' -bench ImagePath -benchtime 200x ./cmd/haechi
func BenchmarkImagePath(b *testing.B) {
	text := []string{"id-card.png", "meme-threat.jpg", "notice-ko.png", "coin-scam.png"}
	photos := []string{
		ocrFixtures + "images/photo-hills.jpg", ocrFixtures + "images/photo-texture.jpg",
	}
	for _, n := range []string{"bridge-1-original.jpg", "bridge-2-rotate-90.jpg", "bridge-3-rotate-180.jpg", "bridge-4-rotate-270.jpg",
		"bridge-5-flipx.jpg", "bridge-6-flipy.jpg", "bridge-7-flip-plus-1.jpg", "bridge-8-flip-minus-1.jpg", "c.png"} {
		photos = append(photos, pdqImages+n)
	}
	read := func(path string) []byte {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		return data
	}
	var mix [][]byte
	for i := range 4 * len(text) {
		if i%4 == 0 {
			mix = append(mix, read(filepath.Join(ocrFixtures, "images", text[i/4])))
		}
		mix = append(mix, read(photos[i%len(photos)]))
	}
	for _, tc := range []struct {
		name string
		ocr  OCRConfig
	}{{"ocr", OCRConfig{}}, {"ocr-off", OCRConfig{Off: true}}} {
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			k, err := newCore(ctx, Config{DataDir: b.TempDir(), OCR: tc.ocr}, slog.New(slog.DiscardHandler))
			if err != nil {
				b.Fatal(err)
			}
			defer k.close()
			var next atomic.Int64
			var mu sync.Mutex
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				var mine []time.Duration
				for pb.Next() {
					i := next.Add(1) - 1
					ev := &engine.Event{
						ID: "b", Kind: engine.KindImage, World: "w", Space: engine.Space{ID: "s", Type: engine.SpacePlaza},
						Sender: engine.Party{ID: "u", Role: engine.RoleCitizen}, SentAt: time.Now().UTC(),
						Image: &engine.ImageUpload{Data: mix[int(i)%len(mix)]},
					}
					t0 := time.Now()
					if _, err := k.pipeline.Decide(ctx, ev); err != nil {
						b.Error(err)
						return
					}
					mine = append(mine, time.Since(t0))
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			})
			elapsed := time.Since(start)
			b.StopTimer()
			slices.Sort(lat)
			if len(lat) > 0 {
				b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "images/s")
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			}
		})
	}
}
