package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/classifiers/imagedecode"
	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/internal/imageredact"
)

// TestRedactedImageThroughTheAPI posts the OCR fixture with a phone
// number and a bank account to POST /v1/moderate (haechi api, keys
// required): in a plaza the decision (the follow-up, once the text is
// read) redacts and names a copy, which
// GET /v1/redacted-images/{id} serves to a key with the moderate scope;
// inside the filled boxes no pixel is the original's, outside every pixel
// is; the decision names PII types and boxes, never the text. In a legal
// space the same image is held, with no copy.
func TestRedactedImageThroughTheAPI(t *testing.T) {
	dir := t.TempDir()
	secret, _, err := run(t, "", "apikeys", "create", "--data-dir", dir, "--name", "world-platform", "--scope", "moderate")
	if err != nil {
		t.Fatal(err)
	}
	secret = strings.TrimSpace(secret)
	other, _, err := run(t, "", "apikeys", "create", "--data-dir", dir, "--name", "reports-only", "--scope", "report:write")
	if err != nil {
		t.Fatal(err)
	}
	other = strings.TrimSpace(other)
	addr := startServing(t, "api", "--data-dir", dir, "--ocr-engines", "1")
	original, err := os.ReadFile(filepath.Join(ocrFixtures, "images", "poster-phone-bank.png"))
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, path, key string, body []byte) (int, http.Header, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, "http://"+addr+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, b
	}
	moderate := func(id string, space engine.SpaceType) *engine.Decision {
		t.Helper()
		ev := map[string]any{"id": id, "kind": "image", "world": "seoul-cityhall", "space": map[string]any{"id": "s-1", "type": space},
			"sender": map[string]any{"id": "citizen-3", "role": "citizen"}, "sent_at": "2026-11-22T09:21:00Z",
			"image": map[string]any{"content_type": "image/png", "data": base64.StdEncoding.EncodeToString(original)}}
		body, _ := json.Marshal(ev)
		code, _, b := do("POST", "/v1/moderate", secret, body)
		if code != 200 {
			t.Fatalf("moderate: %d %s", code, b)
		}
		for _, w := range []string{"010-1234-5678", "1234-5678", "123456-78-901234", "국민은행", "자전거"} {
			if strings.Contains(string(b), w) {
				t.Errorf("the decision holds %q of the image's text", w)
			}
		}
		var d engine.Decision
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatal(err)
		}
		return &d
	}

	// A plaza does not wait for the text: the first decision comes at
	// once, and a repeat answers the follow-up once the text is read.
	d := moderate("img-redact-1", engine.SpacePlaza)
	if d.ImageText == nil || !d.ImageText.Pending {
		t.Fatalf("plaza: first decision %s, image text %+v; want the text pending", d.Action, d.ImageText)
	}
	for deadline := time.Now().Add(60 * time.Second); d.Supersedes == ""; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no follow-up decision: %s %v", d.Action, d.RuleIDs)
		}
		d = moderate("img-redact-1", engine.SpacePlaza)
	}
	if d.Action != engine.ActionRedact || !slices.Contains(d.RuleIDs, "imagery.text.pii.redact") || d.RedactedImage == nil {
		t.Fatalf("plaza: %s %v, copy %+v; want a redact with a copy", d.Action, d.RuleIDs, d.RedactedImage)
	}
	var types []engine.PIIType
	for _, p := range d.ImageText.PII {
		types = append(types, p.Type)
	}
	if !slices.Contains(types, engine.PIIPhone) || !slices.Contains(types, engine.PIIBankAccount) {
		t.Errorf("PII in the decision %v, want phone and bank_account", types)
	}
	ri := d.RedactedImage
	if ri.ContentType != "image/png" || ri.URL != "/v1/redacted-images/"+ri.ID || len(ri.Boxes) == 0 {
		t.Fatalf("copy %+v", ri)
	}
	if code, _, _ := do("GET", ri.URL, "", nil); code != 401 {
		t.Errorf("copy without a key: %d, want 401", code)
	}
	if code, _, _ := do("GET", ri.URL, other, nil); code != 403 {
		t.Errorf("copy with a key without the moderate scope: %d, want 403", code)
	}
	if code, _, _ := do("GET", "/v1/redacted-images/"+strings.Repeat("0", 64), secret, nil); code != 404 {
		t.Errorf("unknown copy: %d, want 404", code)
	}
	code, h, copyBytes := do("GET", ri.URL, secret, nil)
	if code != 200 || h.Get("Content-Type") != "image/png" || len(copyBytes) != ri.Size {
		t.Fatalf("copy: %d %s, %d bytes (decision says %d)", code, h.Get("Content-Type"), len(copyBytes), ri.Size)
	}
	src, err := imagedecode.Decode(original, imagedecode.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	out, err := png.Decode(bytes.NewReader(copyBytes))
	if err != nil {
		t.Fatal(err)
	}
	if out.Bounds() != src.Image.Bounds() {
		t.Fatalf("copy is %v, the original %v", out.Bounds(), src.Image.Bounds())
	}
	var filled []image.Rectangle
	for _, b := range ri.Boxes {
		filled = append(filled, image.Rect(b.X0, b.Y0, b.X1, b.Y1))
	}
	// Every word box of the masked PII lies inside a filled box.
	for _, p := range d.ImageText.PII {
		for _, b := range p.Boxes {
			wb := image.Rect(b.X0, b.Y0, b.X1, b.Y1)
			if !slices.ContainsFunc(filled, func(f image.Rectangle) bool { return wb.In(f) }) {
				t.Errorf("%s box %v is not filled", p.Type, wb)
			}
		}
	}
	inside, changedInside, changedOutside := 0, 0, 0
	fill := color.NRGBAModel.Convert(imageredact.Fill)
	for y := out.Bounds().Min.Y; y < out.Bounds().Max.Y; y++ {
		for x := out.Bounds().Min.X; x < out.Bounds().Max.X; x++ {
			got := color.NRGBAModel.Convert(out.At(x, y))
			was := color.NRGBAModel.Convert(src.Image.At(x, y))
			if slices.ContainsFunc(filled, func(f image.Rectangle) bool { return image.Pt(x, y).In(f) }) {
				inside++
				if got != fill {
					t.Fatalf("pixel (%d,%d) in a filled box is %v", x, y, got)
				}
				if got != was {
					changedInside++
				}
			} else if got != was {
				changedOutside++
			}
		}
	}
	if changedOutside != 0 {
		t.Errorf("%d pixels outside the boxes changed", changedOutside)
	}
	if changedInside < inside/2 {
		t.Errorf("only %d of %d pixels in the boxes changed: the boxes miss the text", changedInside, inside)
	}

	held := moderate("img-redact-2", engine.SpaceLegal)
	if held.Action != engine.ActionHold || !slices.Contains(held.RuleIDs, "imagery.text.pii.hold") || held.RedactedImage != nil {
		t.Errorf("legal: %s %v, copy %+v; want held without a copy", held.Action, held.RuleIDs, held.RedactedImage)
	}
}
