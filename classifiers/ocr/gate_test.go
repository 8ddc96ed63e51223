package ocr

import (
	"fmt"
	"image"
	"image/draw"
	"path/filepath"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/internal/racetest"
)

// gateCase is one image the gate is measured on.
type gateCase struct {
	name string
	img  image.Image
	text bool
}

// gateCases are the fixtures, each also at half and double size (text
// from 7 to 640 px high), the repository's one real photo (the PDQ
// conformance bridge, in its eight orientations) and 24 made-up photos
// and textures with other seeds than the fixtures', and the bridge with
// three of the fixtures pasted into it.
func gateCases(t testing.TB) []gateCase {
	var cs []gateCase
	for _, f := range loadManifest(t) {
		img := loadImage(t, filepath.Join(imageDir, f.File))
		g := grey(img)
		cs = append(cs,
			gateCase{f.File, g, len(f.Text) > 0},
			gateCase{f.File + "@0.5", resize(g, 0.5), len(f.Text) > 0},
			gateCase{f.File + "@2", resize(g, 2), len(f.Text) > 0},
		)
	}
	for _, name := range []string{
		"bridge-1-original.jpg", "bridge-2-rotate-90.jpg", "bridge-3-rotate-180.jpg", "bridge-4-rotate-270.jpg",
		"bridge-5-flipx.jpg", "bridge-6-flipy.jpg", "bridge-7-flip-plus-1.jpg", "bridge-8-flip-minus-1.jpg",
	} {
		cs = append(cs, gateCase{name, loadImage(t, filepath.Join("..", "pdq", "testdata", "pdq", name)), false})
	}
	// A document or a notice photographed in a scene: the real photo
	// with a fixture pasted over a fifth of it.
	bridge := grey(loadImage(t, filepath.Join("..", "pdq", "testdata", "pdq", "bridge-1-original.jpg")))
	for _, name := range []string{"id-card.png", "notice-ko.png", "poster-phone-bank.png"} {
		doc := grey(loadImage(t, filepath.Join(imageDir, name)))
		scene := image.NewGray(bridge.Rect)
		copy(scene.Pix, bridge.Pix)
		draw.Draw(scene, doc.Rect.Add(image.Pt(900, 500)), doc, image.Point{}, draw.Src)
		cs = append(cs, gateCase{"bridge+" + name, scene, true})
	}
	for seed := uint64(10); seed < 22; seed++ {
		cs = append(cs,
			gateCase{fmt.Sprintf("photo-%d", seed), photo(640, 480, seed), false},
			gateCase{fmt.Sprintf("texture-%d", seed), texture(480, 360, seed), false},
		)
	}
	return cs
}

// TestGate measures the gate: a false skip (text the gate misses) is
// text that goes unread, a false pass only costs an OCR run. The test
// allows no false skip on the fixtures and reports both rates.
func TestGate(t *testing.T) {
	racetest.Heavy(t)
	fontsInstalled(t) // the made-up photos need no fonts, but the manifest's images were rendered with them
	var texts, photos, falseSkips, falsePasses int
	var slowest time.Duration
	for _, c := range gateCases(t) {
		start := time.Now()
		g := detectText(grey(c.img))
		slowest = max(slowest, time.Since(start))
		if testing.Verbose() {
			t.Logf("%-26s text %-5v passed %-5v lines %2d longest %2d share %.2f", c.name, c.text, g.Text, g.Lines, g.Longest, float64(g.Glyphs)/float64(max(g.Shapes, 1)))
		}
		if c.text {
			texts++
			if !g.Text {
				falseSkips++
				t.Errorf("%s: text not seen (%+v)", c.name, g)
			}
		} else {
			photos++
			if g.Text {
				falsePasses++
				t.Logf("%s: false pass (%+v)", c.name, g)
			}
		}
	}
	t.Logf("gate: %d of %d images with text skipped (false skips), %d of %d without text passed (false passes); slowest %v",
		falseSkips, texts, falsePasses, photos, slowest)
	if falsePasses*4 > photos {
		t.Errorf("%d of %d images without text passed the gate: it saves little", falsePasses, photos)
	}
}

// TestGatePolarity holds the gate to the fixtures' text colour.
func TestGatePolarity(t *testing.T) {
	for _, f := range loadManifest(t) {
		if len(f.Text) == 0 || f.Kind == "meme" {
			continue // a meme's white letters have a black outline: both ways are right
		}
		g := detectText(grey(loadImage(t, filepath.Join(imageDir, f.File))))
		if want := f.Background != "dark"; g.DarkText != want {
			t.Errorf("%s: dark text %v, want %v", f.File, g.DarkText, want)
		}
	}
}
