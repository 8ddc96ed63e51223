package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
)

// ocrFixtures is the OCR test set, committed in package ocr's testdata.
const ocrFixtures = "../../classifiers/ocr/testdata/"

// ocrFixture is one entry of its manifest.
type ocrFixture struct {
	File       string   `json:"file"`
	Text       []string `json:"text"`
	Categories []string `json:"categories"`
	PII        []string `json:"pii"`
}

func loadOCRFixtures(t testing.TB) []ocrFixture {
	t.Helper()
	b, err := os.ReadFile(ocrFixtures + "manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var fs []ocrFixture
	if err := json.Unmarshal(b, &fs); err != nil {
		t.Fatal(err)
	}
	return fs
}

func imageEvent(t testing.TB, file string, space engine.SpaceType) *engine.Event {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(ocrFixtures, "images", file))
	if err != nil {
		t.Fatal(err)
	}
	return &engine.Event{
		ID: "img-" + file, Kind: engine.KindImage, World: "w", Space: engine.Space{ID: "s", Type: space},
		Sender: engine.Party{ID: "u1", Role: engine.RoleCitizen, AgeBand: "adult"}, SentAt: time.Now().UTC(),
		Image: &engine.ImageUpload{Data: data},
	}
}

// TestImageTextDecisions decides every OCR fixture through the whole
// engine (Tesseract, the chat text classifier with its ONNX models, the
// Rego policy) as an image posted to a plaza and to a youth space. The
// harmful ones are restricted with the manifest's categories and PII
// types, the benign ones allowed; the decision names categories, PII types
// and boxes, never the text. The same engine without OCR gives the same
// hash and nudity signals, holds every image in the space types that wait
// for their text, and decides elsewhere on the rest.
func TestImageTextDecisions(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	withOCR, err := newCore(ctx, Config{DataDir: t.TempDir(), OCR: OCRConfig{Engines: 2}}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer withOCR.close()
	without, err := newCore(ctx, Config{DataDir: t.TempDir(), OCR: OCRConfig{Off: true}}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer without.close()

	for _, f := range loadOCRFixtures(t) {
		for _, space := range []engine.SpaceType{engine.SpacePlaza, engine.SpaceYouth} {
			t.Run(f.File+"/"+string(space), func(t *testing.T) {
				d, err := withOCR.pipeline.Decide(ctx, imageEvent(t, f.File, space))
				if err != nil {
					t.Fatal(err)
				}
				if d.ImageText == nil || d.ImageText.Error != "" {
					t.Fatalf("image text not read: %+v", d.ImageText)
				}
				var pii []string
				for _, p := range d.ImageText.PII {
					pii = append(pii, string(p.Type))
					if len(p.Boxes) == 0 {
						t.Errorf("PII %s without a box", p.Type)
					}
				}
				for _, want := range f.PII {
					if !slices.Contains(pii, want) {
						t.Errorf("PII %s not found (found %v)", want, pii)
					}
				}
				// Profanity holds an image only where chat would mask it
				// and a space holds images for it: youth spaces.
				want := f.Categories
				if space != engine.SpaceYouth && slices.Equal(want, []string{"profanity"}) {
					want = nil
				}
				switch {
				case len(want) == 0 && d.Action != engine.ActionAllow:
					t.Errorf("benign image: %s %v", d.Action, d.RuleIDs)
				case len(want) > 0 && !d.Action.Restricts():
					t.Errorf("harmful image allowed (text evidence %v, PII %v)", d.ImageText.Evidence, pii)
				}
				for _, c := range want {
					if !slices.Contains(d.Categories, engine.Category(c)) {
						t.Errorf("categories %v lack %s", d.Categories, c)
					}
				}
				t.Logf("%s %v %v; words %d, PII %v", d.Action, d.Categories, d.RuleIDs, d.ImageText.Words, pii)

				base, err := without.pipeline.Decide(ctx, imageEvent(t, f.File, space))
				if err != nil {
					t.Fatal(err)
				}
				// No word of the text is in the decision's strings, unless
				// a decision made without reading it has it too ("kind" in
				// event_kind); the reasons are the policy's words ("who
				// they are"); the id and time are random digits. Numbers
				// (scores, evidence, offsets) are not text: a short number
				// of the image's ("110") turns up among their digits.
				bare := *d
				bare.Reasons, bare.ID, bare.DecidedAt = nil, "", time.Time{}
				b := decisionStrings(t, bare)
				base.ID, base.DecidedAt = "", time.Time{}
				bb := decisionStrings(t, *base)
				for _, line := range f.Text {
					for _, w := range strings.Fields(line) {
						if len([]rune(w)) >= 3 && strings.Contains(b, w) && !strings.Contains(bb, w) {
							t.Errorf("the decision holds %q of the image's text", w)
						}
					}
				}
				if !scoresEqual(base.Scores, d.Scores) || len(base.HashMatches) != len(d.HashMatches) {
					t.Errorf("image signals changed by OCR: %v %v, without OCR %v %v", d.Scores, d.HashMatches, base.Scores, base.HashMatches)
				}
				switch {
				case space == engine.SpaceYouth && (base.Action != engine.ActionHold || !slices.Contains(base.RuleIDs, "imagery.text.unanalysed")):
					t.Errorf("without OCR in a youth space: %s %v, want held as unanalysed", base.Action, base.RuleIDs)
				case space != engine.SpaceYouth && slices.Contains(base.RuleIDs, "imagery.text.unanalysed"):
					t.Errorf("without OCR in a plaza: held as unanalysed")
				}
			})
		}
	}
}

// decisionStrings is every string of d as JSON, keys and values, one a
// line: what a decision could hold of a text.
func decisionStrings(t *testing.T, d engine.Decision) string {
	t.Helper()
	raw, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			out.WriteString(v + "\n")
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			for k, x := range v {
				out.WriteString(k + "\n")
				walk(x)
			}
		}
	}
	walk(v)
	return out.String()
}

func scoresEqual(a, b engine.Scores) bool {
	if len(a) != len(b) {
		return false
	}
	for c, v := range a {
		if w, ok := b[c]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestClassifyImagesWritesRedactedCopies: classify --images names the
// redacted copy of a poster with a phone number and a bank account in a
// plaza and, with --redacted-dir, writes it under its own hash, with the
// boxes filled and nothing else changed; the same poster in a legal space
// is held, with no copy.
func TestClassifyImagesWritesRedactedCopies(t *testing.T) {
	const poster = "../../classifiers/ocr/testdata/images/poster-phone-bank.png"
	dir := filepath.Join(t.TempDir(), "copies")
	in := fmt.Sprintf("{\"id\":\"plaza\",\"path\":%q}\n{\"id\":\"legal\",\"path\":%q,\"space\":\"legal\"}\n", poster, poster)
	out, _, err := run(t, in, "classify", "--images", "--data-dir", t.TempDir(), "--redacted-dir", dir)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines:\n%s", len(lines), out)
	}
	var plaza, legal imageOutput
	if err := json.Unmarshal([]byte(lines[0]), &plaza); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &legal); err != nil {
		t.Fatal(err)
	}
	if legal.Action != engine.ActionHold || legal.Redacted != nil {
		t.Errorf("legal space: %s with copy %+v, want a hold without one", legal.Action, legal.Redacted)
	}
	r := plaza.Redacted
	if plaza.Action != engine.ActionRedact || r == nil || len(r.Boxes) != 2 {
		t.Fatalf("plaza: %s with copy %+v, want a redact with two boxes", plaza.Action, r)
	}
	if r.Path != filepath.Join(dir, r.ID+".png") {
		t.Errorf("copy written to %q", r.Path)
	}
	data, err := os.ReadFile(r.Path)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != r.ID {
		t.Errorf("the copy's id is not its SHA-256")
	}
	orig := decodeFile(t, poster)
	copyImg, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	inside := func(x, y int) bool {
		for _, b := range r.Boxes {
			if x >= b.X0 && x < b.X1 && y >= b.Y0 && y < b.Y1 {
				return true
			}
		}
		return false
	}
	changedOutside, keptInside := 0, 0
	bounds := orig.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			or, og, ob, _ := orig.At(x, y).RGBA()
			cr, cg, cb, _ := copyImg.At(x, y).RGBA()
			same := or == cr && og == cg && ob == cb
			if inside(x, y) && cr|cg|cb != 0 {
				keptInside++
			}
			if !inside(x, y) && !same {
				changedOutside++
			}
		}
	}
	if changedOutside > 0 || keptInside > 0 {
		t.Errorf("%d pixels changed outside the boxes, %d not filled inside", changedOutside, keptInside)
	}
}

func decodeFile(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}
