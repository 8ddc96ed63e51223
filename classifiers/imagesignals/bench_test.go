package imagesignals

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/image/draw"

	"github.com/haechi-tns/haechi/classifiers/hashbank"
	"github.com/haechi-tns/haechi/classifiers/imagedecode"
	"github.com/haechi-tns/haechi/classifiers/nsfw"
	"github.com/haechi-tns/haechi/classifiers/ocr"
	"github.com/haechi-tns/haechi/classifiers/onnxrt"
	"github.com/haechi-tns/haechi/engine"
)

// benchJPEG is a 1024×768 photo-like JPEG (smooth shapes and noise).
func benchJPEG(b *testing.B) []byte {
	b.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 1024, 768))
	rng := rand.New(rand.NewPCG(1, 1))
	for y := range 768 {
		for x := range 1024 {
			v := 128 + 60*math.Sin(float64(x)/37) + 50*math.Cos(float64(y)/23+float64(x)/300)
			n := rng.IntN(16)
			img.Set(x, y, color.RGBA{uint8(v) + uint8(n), uint8(255-v) + uint8(n), uint8(v / 2), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

var millionBank = sync.OnceValues(func() (*hashbank.Set, error) {
	dir, err := mkTemp()
	if err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	go func() {
		rng := rand.New(rand.NewPCG(2, 2))
		var h [32]byte
		w := bytes.Buffer{}
		for i := range 1_000_000 {
			for j := range h {
				h[j] = byte(rng.Uint32())
			}
			fmt.Fprintf(&w, "%s,r%d\n", hex.EncodeToString(h[:]), i)
			if w.Len() > 1<<20 {
				pw.Write(w.Bytes())
				w.Reset()
			}
		}
		pw.Write(w.Bytes())
		pw.Close()
	}()
	defer os.RemoveAll(dir)
	if _, err := hashbank.Import(dir, "random", pr, hashbank.ImportOptions{}); err != nil {
		return nil, err
	}
	return hashbank.Load(dir)
})

// BenchmarkAnalyse is the image path up to the content model: decode a
// 1024×768 JPEG, PDQ with its eight variants, MD5 and SHA-256, and match
// against one million bank hashes.
func BenchmarkAnalyse(b *testing.B) {
	data := benchJPEG(b)
	banks, err := millionBank()
	if err != nil {
		b.Fatal(err)
	}
	c := New(banks, imagedecode.DefaultLimits, hashbank.DefaultMaxDistance)
	var lat []time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		t := time.Now()
		if _, err := c.Analyse(context.Background(), engine.ImageInput{Image: &engine.ImageUpload{Data: data}}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
}

// BenchmarkAnalyseWithNSFW is the whole image path of issue 4: decode a
// 1024×768 JPEG, PDQ with its eight variants, MD5, SHA-256, one million
// bank hashes, and the NSFW model on ONNX Runtime (converted by
// scripts/setup.sh into .deps/models/nsfw). Run it with -cpu 1 for the
// one-core latency and with RunParallel's default for throughput. Each
// reports cpu-ms/image, the process's CPU time over the run per image:
// 100 images/s on two cores needs it under 20.
func BenchmarkAnalyseWithNSFW(b *testing.B) {
	inputs := []struct {
		name string
		data []byte
	}{{"synthetic", benchJPEG(b)}, {"photo", photoJPEG(b)}}
	banks, err := millionBank()
	if err != nil {
		b.Fatal(err)
	}
	if err := onnxrt.Init(onnxrt.DefaultLibPath()); err != nil {
		b.Fatal(err)
	}
	_, file, _, _ := runtime.Caller(0)
	model, err := nsfw.Open(filepath.Join(filepath.Dir(file), "../../.deps/models/nsfw", nsfw.ManifestFile))
	if err != nil {
		b.Fatalf("%v (run scripts/setup.sh)", err)
	}
	defer model.Close()
	plain := New(banks, imagedecode.DefaultLimits, hashbank.DefaultMaxDistance, WithContentModel("nsfw", model, "nsfw"))
	// The same with OCR's text-presence gate, as newCore wires it: one
	// Tesseract engine per core. The photos have no text, so the gate
	// turns them away and Tesseract never reads.
	pool, err := ocr.New(ocr.Config{Engines: runtime.GOMAXPROCS(0)})
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close(context.Background())
	gated := New(banks, imagedecode.DefaultLimits, hashbank.DefaultMaxDistance, WithContentModel("nsfw", model, "nsfw"),
		WithTextReader(pool, fakeText{}, 0))
	for _, in := range inputs {
		for _, variant := range []struct {
			suffix string
			c      *Classifier
		}{{"", plain}, {"+gate", gated}} {
			benchAnalyse(b, in.name+variant.suffix, variant.c, in.data)
		}
	}
}

// benchAnalyse runs the latency and throughput halves of
// BenchmarkAnalyseWithNSFW for one classifier and one input.
func benchAnalyse(b *testing.B, name string, c *Classifier, data []byte) {
	b.Run(name+"/latency", func(b *testing.B) {
		var lat []time.Duration
		cpu := cpuTime()
		for b.Loop() {
			t := time.Now()
			if _, err := c.Analyse(context.Background(), engine.ImageInput{Image: &engine.ImageUpload{Data: data}}); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t))
		}
		b.ReportMetric(float64(cpuTime()-cpu)/1e6/float64(b.N), "cpu-ms/image")
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	})
	b.Run(name+"/throughput", func(b *testing.B) {
		b.SetParallelism(2)
		cpu := cpuTime()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.Analyse(context.Background(), engine.ImageInput{Image: &engine.ImageUpload{Data: data}}); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(cpuTime()-cpu)/1e6/float64(b.N), "cpu-ms/image")
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
	})
}

// cpuTime is the process's user and system CPU time so far, every thread
// (ONNX Runtime's and libjpeg-turbo's calls included). On a shared
// machine it moves far less between runs than wall time does.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// photoJPEG is a real photograph (the PDQ conformance set's bridge, in
// package pdq's testdata, 1600×1004) scaled to 1024×768 and saved at quality
// 85, as a phone upload resized by a client would be: 1024×768 at about a
// third of benchJPEG's bytes, because benchJPEG's per-pixel noise is the
// worst case for entropy decoding, not a typical photo.
func photoJPEG(b *testing.B) []byte {
	b.Helper()
	path := filepath.Join(pdqDir, "bridge-1-original.jpg")
	raw, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	src, err := imagedecode.Decode(raw, imagedecode.DefaultLimits)
	if err != nil {
		b.Fatal(err)
	}
	dst := image.NewRGBA(image.Rect(0, 0, 1024, 768))
	draw.CatmullRom.Scale(dst, dst.Bounds(), src.Image, src.Image.Bounds(), draw.Src, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 85}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}
