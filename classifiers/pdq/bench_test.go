package pdq

import (
	"image"
	"math/rand/v2"
	"testing"
)

// benchImage is a 1024×768 YCbCr 4:2:0 image, the type image/jpeg returns,
// filled with smooth shapes plus noise.
func benchImage() *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, 1024, 768), image.YCbCrSubsampleRatio420)
	rng := rand.New(rand.NewPCG(5, 6))
	for y := 0; y < 768; y++ {
		for x := 0; x < 1024; x++ {
			img.Y[img.YOffset(x, y)] = uint8((x*x/1024+y*3)%256) ^ uint8(rng.IntN(16))
		}
	}
	for i := range img.Cb {
		img.Cb[i] = uint8(96 + rng.IntN(64))
		img.Cr[i] = uint8(96 + rng.IntN(64))
	}
	return img
}

func BenchmarkFromImage(b *testing.B) {
	img := benchImage()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := FromImage(img); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDihedralFromImage(b *testing.B) {
	img := benchImage()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := DihedralFromImage(img); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFromImageRGBA(b *testing.B) {
	img := gradient(1024, 768)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := FromImage(img); err != nil {
			b.Fatal(err)
		}
	}
}
