package ocr

import (
	"bytes"
	"encoding/json"
	"flag"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/haechi-tns/haechi/internal/racetest"
)

// The fixtures are rendered by this file, with Debian's Nanum fonts
// (fonts-nanum, SIL OFL 1.1), and committed under testdata/images with
// testdata/manifest.json. `go test -run TestFixtures -update` renders them
// again; TestFixturesMatchGenerator checks that the committed files are
// what the generator makes. Every name, number and account in them is
// invented.

var update = flag.Bool("update", false, "render the OCR fixtures again into testdata")

const fontDir = "/usr/share/fonts/truetype/nanum"

// fixture is one rendered test image and what it should yield.
type fixture struct {
	File string `json:"file"`
	// Kind, Background and TextSize describe the image for the reports.
	Kind       string `json:"kind"`
	Background string `json:"background"`
	TextSize   string `json:"text_size"`
	// Text is the text drawn, line by line; empty for images without text.
	Text []string `json:"text"`
	// Categories and PII are what classifying the drawn text should find
	// and what a decision on the image should name.
	Categories []string `json:"categories"`
	PII        []string `json:"pii"`
	// MinCharAccuracy is the floor the test holds OCR's character
	// accuracy on this image to, set a little under what was measured.
	MinCharAccuracy float64 `json:"min_char_accuracy"`

	draw func() image.Image `json:"-"`
}

// item is one line of text drawn on an image.
type item struct {
	s       string
	x, y    int // left end of the baseline
	size    float64
	font    string
	fg      color.Color
	outline color.Color // drawn around the glyphs when set (memes)
}

var (
	white  = color.RGBA{255, 255, 255, 255}
	black  = color.RGBA{0, 0, 0, 255}
	ink    = color.RGBA{30, 30, 40, 255}
	navy   = color.RGBA{18, 28, 64, 255}
	red    = color.RGBA{200, 20, 30, 255}
	yellow = color.RGBA{255, 214, 0, 255}
)

func fixtures() []fixture {
	return []fixture{
		{
			File: "id-card.png", Kind: "document", Background: "light", TextSize: "normal",
			Text:       []string{"주민등록증", "홍길동 (洪吉童)", "900101-1234567", "서울특별시 중구 세종대로 110", "2020. 1. 1.", "서울특별시 중구청장"},
			Categories: []string{"pii"}, PII: []string{"kr_rrn"},
			draw: func() image.Image {
				img := canvas(720, 460, color.RGBA{226, 236, 244, 255})
				fill(img, image.Rect(500, 120, 680, 340), color.RGBA{180, 188, 196, 255}) // photo
				return render(img,
					item{s: "주민등록증", x: 40, y: 80, size: 44, font: "NanumGothicBold.ttf", fg: ink},
					item{s: "홍길동 (洪吉童)", x: 40, y: 160, size: 34, font: "NanumGothic.ttf", fg: ink},
					item{s: "900101-1234567", x: 40, y: 220, size: 34, font: "NanumGothic.ttf", fg: ink},
					item{s: "서울특별시 중구 세종대로 110", x: 40, y: 290, size: 26, font: "NanumGothic.ttf", fg: ink},
					item{s: "2020. 1. 1.", x: 40, y: 370, size: 24, font: "NanumGothic.ttf", fg: ink},
					item{s: "서울특별시 중구청장", x: 40, y: 420, size: 28, font: "NanumMyeongjoBold.ttf", fg: ink},
				)
			},
		},
		{
			File: "poster-phone-bank.png", Kind: "poster", Background: "light", TextSize: "normal",
			Text:       []string{"중고 자전거 팝니다", "상태 좋음 15만원", "연락처 010-1234-5678", "입금 계좌 국민은행 123456-78-901234"},
			Categories: []string{"pii"}, PII: []string{"phone", "bank_account"},
			draw: func() image.Image {
				img := canvas(760, 520, color.RGBA{255, 250, 235, 255})
				fill(img, image.Rect(0, 0, 760, 110), color.RGBA{255, 230, 160, 255})
				return render(img,
					item{s: "중고 자전거 팝니다", x: 60, y: 78, size: 52, font: "NanumSquareB.ttf", fg: ink},
					item{s: "상태 좋음 15만원", x: 60, y: 210, size: 36, font: "NanumGothic.ttf", fg: ink},
					item{s: "연락처 010-1234-5678", x: 60, y: 320, size: 36, font: "NanumGothicBold.ttf", fg: ink},
					item{s: "입금 계좌 국민은행 123456-78-901234", x: 60, y: 420, size: 32, font: "NanumGothic.ttf", fg: ink},
				)
			},
		},
		{
			File: "meme-threat.jpg", Kind: "meme", Background: "photo", TextSize: "large",
			Text:       []string{"너 내일 학교 오면", "진짜 죽여버린다"},
			Categories: []string{"threat"},
			draw: func() image.Image {
				img := photo(720, 540, 7)
				return render(img,
					item{s: "너 내일 학교 오면", x: 70, y: 110, size: 64, font: "NanumSquareB.ttf", fg: white, outline: black},
					item{s: "진짜 죽여버린다", x: 90, y: 490, size: 70, font: "NanumSquareB.ttf", fg: white, outline: black},
				)
			},
		},
		{
			File: "profanity.png", Kind: "meme", Background: "light", TextSize: "large",
			Text:       []string{"씨발 진짜 짜증나네", "다 꺼져"},
			Categories: []string{"profanity"},
			draw: func() image.Image {
				img := canvas(700, 380, white)
				return render(img,
					item{s: "씨발 진짜 짜증나네", x: 50, y: 160, size: 60, font: "NanumGothicBold.ttf", fg: black},
					item{s: "다 꺼져", x: 50, y: 290, size: 60, font: "NanumGothicBold.ttf", fg: black},
				)
			},
		},
		{
			File: "hate-en.png", Kind: "poster", Background: "dark", TextSize: "normal",
			Text:       []string{"GO BACK TO YOUR COUNTRY", "filthy immigrants are not welcome here"},
			Categories: []string{"hate"},
			draw: func() image.Image {
				img := canvas(820, 320, navy)
				return render(img,
					item{s: "GO BACK TO YOUR COUNTRY", x: 40, y: 130, size: 54, font: "NanumSquareB.ttf", fg: white},
					item{s: "filthy immigrants are not welcome here", x: 40, y: 230, size: 34, font: "NanumGothic.ttf", fg: white},
				)
			},
		},
		{
			File: "coin-scam.png", Kind: "banner", Background: "dark", TextSize: "normal",
			Text:       []string{"비트코인 원금 보장 투자", "하루 수익 300% 보장", "지금 입금하면 두 배로 돌려드립니다", "텔레그램 coinking77"},
			Categories: []string{"scam"},
			draw: func() image.Image {
				img := canvas(900, 420, color.RGBA{20, 20, 20, 255})
				fill(img, image.Rect(0, 0, 900, 120), red)
				return render(img,
					item{s: "비트코인 원금 보장 투자", x: 50, y: 85, size: 56, font: "NanumSquareB.ttf", fg: white},
					item{s: "하루 수익 300% 보장", x: 50, y: 200, size: 44, font: "NanumSquareB.ttf", fg: yellow},
					item{s: "지금 입금하면 두 배로 돌려드립니다", x: 50, y: 290, size: 38, font: "NanumGothicBold.ttf", fg: white},
					item{s: "텔레그램 coinking77", x: 50, y: 380, size: 38, font: "NanumGothicBold.ttf", fg: white},
				)
			},
		},
		{
			File: "notice-ko.png", Kind: "notice", Background: "light", TextSize: "normal",
			Text: []string{"알려드립니다", "시청 민원실은 12월 25일 휴무입니다.", "급한 민원은 온라인으로 신청해 주세요.", "감사합니다."},
			draw: func() image.Image {
				img := canvas(760, 400, white)
				return render(img,
					item{s: "알려드립니다", x: 50, y: 80, size: 44, font: "NanumGothicBold.ttf", fg: ink},
					item{s: "시청 민원실은 12월 25일 휴무입니다.", x: 50, y: 180, size: 32, font: "NanumGothic.ttf", fg: ink},
					item{s: "급한 민원은 온라인으로 신청해 주세요.", x: 50, y: 250, size: 32, font: "NanumGothic.ttf", fg: ink},
					item{s: "감사합니다.", x: 50, y: 340, size: 32, font: "NanumGothic.ttf", fg: ink},
				)
			},
		},
		{
			File: "notice-en.png", Kind: "notice", Background: "light", TextSize: "normal",
			Text: []string{"City Library", "Open Monday to Friday, 9 am to 6 pm", "Please return your books on time.", "Thank you!"},
			draw: func() image.Image {
				img := canvas(760, 380, color.RGBA{245, 245, 240, 255})
				return render(img,
					item{s: "City Library", x: 50, y: 80, size: 46, font: "NanumGothicBold.ttf", fg: ink},
					item{s: "Open Monday to Friday, 9 am to 6 pm", x: 50, y: 170, size: 32, font: "NanumGothic.ttf", fg: ink},
					item{s: "Please return your books on time.", x: 50, y: 240, size: 32, font: "NanumGothic.ttf", fg: ink},
					item{s: "Thank you!", x: 50, y: 320, size: 32, font: "NanumGothic.ttf", fg: ink},
				)
			},
		},
		{
			File: "event-dark.png", Kind: "notice", Background: "dark", TextSize: "normal",
			Text: []string{"제3회 시민 걷기 대회", "일시: 2026년 5월 10일 오전 10시", "장소: 한강공원 여의도 광장"},
			draw: func() image.Image {
				img := canvas(800, 340, navy)
				return render(img,
					item{s: "제3회 시민 걷기 대회", x: 50, y: 100, size: 52, font: "NanumSquareB.ttf", fg: white},
					item{s: "일시: 2026년 5월 10일 오전 10시", x: 50, y: 200, size: 32, font: "NanumGothic.ttf", fg: white},
					item{s: "장소: 한강공원 여의도 광장", x: 50, y: 270, size: 32, font: "NanumGothic.ttf", fg: white},
				)
			},
		},
		{
			File: "welcome-small.png", Kind: "notice", Background: "light", TextSize: "small",
			Text: []string{"Welcome to the Seoul Metaverse Plaza", "메타버스 광장에 오신 것을 환영합니다", "Be kind to each other."},
			draw: func() image.Image {
				img := canvas(900, 600, color.RGBA{236, 244, 236, 255})
				fill(img, image.Rect(560, 300, 860, 560), color.RGBA{150, 190, 150, 255})
				return render(img,
					item{s: "Welcome to the Seoul Metaverse Plaza", x: 30, y: 40, size: 14, font: "NanumGothic.ttf", fg: ink},
					item{s: "메타버스 광장에 오신 것을 환영합니다", x: 30, y: 62, size: 14, font: "NanumGothic.ttf", fg: ink},
					item{s: "Be kind to each other.", x: 30, y: 84, size: 14, font: "NanumGothic.ttf", fg: ink},
				)
			},
		},
		{
			File: "stop-large.png", Kind: "poster", Background: "light", TextSize: "large",
			Text: []string{"STOP", "멈춤"},
			draw: func() image.Image {
				img := canvas(1400, 900, white)
				return render(img,
					item{s: "STOP", x: 120, y: 380, size: 320, font: "NanumSquareB.ttf", fg: red},
					item{s: "멈춤", x: 160, y: 800, size: 320, font: "NanumSquareB.ttf", fg: red},
				)
			},
		},
		{
			File: "low-contrast.png", Kind: "notice", Background: "light", TextSize: "normal",
			Text: []string{"회의실 예약은 온라인으로 해 주세요", "Meeting rooms are booked online"},
			draw: func() image.Image {
				img := canvas(760, 260, color.RGBA{170, 170, 170, 255})
				return render(img,
					item{s: "회의실 예약은 온라인으로 해 주세요", x: 40, y: 110, size: 34, font: "NanumGothic.ttf", fg: color.RGBA{128, 128, 128, 255}},
					item{s: "Meeting rooms are booked online", x: 40, y: 190, size: 34, font: "NanumGothic.ttf", fg: color.RGBA{128, 128, 128, 255}},
				)
			},
		},
		{
			File: "photo-hills.jpg", Kind: "photo", Background: "photo", TextSize: "none",
			draw: func() image.Image { return photo(800, 600, 1) },
		},
		{
			File: "photo-texture.jpg", Kind: "photo", Background: "photo", TextSize: "none",
			draw: func() image.Image { return texture(640, 480, 2) },
		},
	}
}

// canvas is an image filled with bg.
func canvas(w, h int, bg color.Color) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(bg), image.Point{}, draw.Src)
	return img
}

func fill(img *image.RGBA, r image.Rectangle, c color.Color) {
	draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Src)
}

var faces = map[string]*opentype.Font{}

func face(name string, size float64) font.Face {
	f, ok := faces[name]
	if !ok {
		b, err := os.ReadFile(filepath.Join(fontDir, name))
		if err != nil {
			panic(err)
		}
		if f, err = opentype.Parse(b); err != nil {
			panic(err)
		}
		faces[name] = f
	}
	fc, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		panic(err)
	}
	return fc
}

// render draws the items on img.
func render(img *image.RGBA, items ...item) image.Image {
	for _, it := range items {
		fc := face(it.font, it.size)
		if it.outline != nil {
			// A meme's outline: the text drawn around the glyphs first.
			r := max(2, int(it.size/16))
			for dy := -r; dy <= r; dy++ {
				for dx := -r; dx <= r; dx++ {
					if dx*dx+dy*dy <= r*r {
						d := font.Drawer{Dst: img, Src: image.NewUniform(it.outline), Face: fc, Dot: fixed.P(it.x+dx, it.y+dy)}
						d.DrawString(it.s)
					}
				}
			}
		}
		d := font.Drawer{Dst: img, Src: image.NewUniform(it.fg), Face: fc, Dot: fixed.P(it.x, it.y)}
		d.DrawString(it.s)
	}
	return img
}

// photo is a made-up landscape: a sky gradient, a sun, hills, trees and
// sensor noise, like an outdoor photo without any writing.
func photo(w, h int, seed uint64) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, 99))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	sunX, sunY, sunR := float64(w)*0.72, float64(h)*0.22, float64(h)*0.08
	type tree struct{ x, y, r float64 }
	var trees []tree
	for range 14 {
		trees = append(trees, tree{rng.Float64() * float64(w), float64(h) * (0.62 + 0.3*rng.Float64()), 12 + 30*rng.Float64()})
	}
	for y := range h {
		for x := range w {
			fy := float64(y) / float64(h)
			r, g, b := 120+80*fy, 170+50*fy, 235-20*fy
			if d := math.Hypot(float64(x)-sunX, float64(y)-sunY); d < sunR*3 {
				k := math.Max(0, 1-d/(sunR*3))
				r, g, b = r+(255-r)*k*k, g+(245-g)*k*k, b+(200-b)*k*k
			}
			hill := 0.55 + 0.06*math.Sin(float64(x)/90) + 0.03*math.Sin(float64(x)/23+1)
			if fy > hill {
				k := (fy - hill) * 2
				r, g, b = 70+30*k, 120-30*k, 50+10*k
			}
			for _, t := range trees {
				if math.Hypot(float64(x)-t.x, (float64(y)-t.y)*0.7) < t.r {
					r, g, b = 30, 80, 35
				}
			}
			n := rng.NormFloat64() * 6
			img.SetRGBA(x, y, color.RGBA{clamp8(r + n), clamp8(g + n), clamp8(b + n), 255})
		}
	}
	return img
}

// texture is a made-up close-up: soft blobs of colour under fine noise,
// like foliage or gravel out of focus.
func texture(w, h int, seed uint64) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, 7))
	type blob struct{ x, y, r, cr, cg, cb float64 }
	var blobs []blob
	for range 60 {
		blobs = append(blobs, blob{rng.Float64() * float64(w), rng.Float64() * float64(h), 20 + 60*rng.Float64(),
			60 + 150*rng.Float64(), 60 + 150*rng.Float64(), 40 + 120*rng.Float64()})
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			var r, g, b, wsum float64
			for _, bl := range blobs {
				d := math.Hypot(float64(x)-bl.x, float64(y)-bl.y) / bl.r
				k := math.Exp(-d * d)
				r, g, b, wsum = r+bl.cr*k, g+bl.cg*k, b+bl.cb*k, wsum+k
			}
			if wsum > 0 {
				r, g, b = r/wsum, g/wsum, b/wsum
			}
			n := rng.NormFloat64() * 10
			img.SetRGBA(x, y, color.RGBA{clamp8(r + n), clamp8(g + n), clamp8(b + n), 255})
		}
	}
	return img
}

func clamp8(v float64) uint8 { return uint8(min(max(math.Round(v), 0), 255)) }

// encode writes an image as PNG or, for photo-like images, JPEG.
func encode(name string, img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	var err error
	if strings.HasSuffix(name, ".jpg") {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 82})
	} else {
		err = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img)
	}
	return buf.Bytes(), err
}

const (
	imageDir     = "testdata/images"
	manifestPath = "testdata/manifest.json"
)

// loadManifest reads the committed manifest.
func loadManifest(t testing.TB) []fixture {
	t.Helper()
	b, err := os.ReadFile(manifestPath)
	if err != nil {
		t.Fatal(err)
	}
	var fs []fixture
	if err := json.Unmarshal(b, &fs); err != nil {
		t.Fatal(err)
	}
	return fs
}

func fontsInstalled(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(fontDir, "NanumGothic.ttf")); err != nil {
		t.Skip("fonts-nanum is not installed (scripts/setup.sh installs it)")
	}
}

// TestFixturesMatchGenerator renders every fixture and compares it with
// the committed file; with -update it writes them and the manifest, keeping
// the accuracy floors the manifest holds.
func TestFixturesMatchGenerator(t *testing.T) {
	racetest.Heavy(t)
	fontsInstalled(t)
	floors := map[string]float64{}
	if b, err := os.ReadFile(manifestPath); err == nil {
		var old []fixture
		if json.Unmarshal(b, &old) == nil {
			for _, f := range old {
				floors[f.File] = f.MinCharAccuracy
			}
		}
	}
	fs := fixtures()
	for i := range fs {
		f := &fs[i]
		f.MinCharAccuracy = floors[f.File]
		if f.Categories == nil {
			f.Categories = []string{}
		}
		if f.PII == nil {
			f.PII = []string{}
		}
		if f.Text == nil {
			f.Text = []string{}
		}
		t.Run(f.File, func(t *testing.T) {
			got, err := encode(f.File, f.draw())
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(imageDir, f.File)
			if *update {
				if err := os.MkdirAll(imageDir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from what the generator renders; run go test -run TestFixturesMatchGenerator -update", path)
			}
		})
	}
	if *update {
		b, err := json.MarshalIndent(fs, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(manifestPath, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
