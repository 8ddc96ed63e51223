package reviewerui

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
	"github.com/haechi-tns/haechi/internal/imagepreview"
)

// testPNG is a w×h image of red and blue squares: colour and detail that
// the blurred preview must lose.
func testPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{220, 20, 20, 255}
			if (x/8+y/8)%2 == 1 {
				c = color.RGBA{20, 20, 230, 255}
			}
			m.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// imageDecision holds an image for the general queue.
func imageDecision(id string, data []byte) *engine.Decision {
	d := decision(id, "", engine.Nudity)
	d.EventKind = engine.KindImage
	d.Content = &engine.Content{Kind: engine.KindImage, ContentType: "image/png", Image: data}
	return d
}

// getImage fetches an image route and decodes the JPEG it answers.
func getImage(t *testing.T, c *client, path string) (*response, image.Image) {
	t.Helper()
	r := c.get(path)
	if r.status != http.StatusOK {
		return r, nil
	}
	for name, want := range map[string]string{"Content-Type": "image/jpeg", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"} {
		if got := r.header.Get(name); got != want {
			t.Errorf("%s: %s %q, want %q", path, name, got, want)
		}
	}
	m, err := jpeg.Decode(strings.NewReader(r.body))
	if err != nil {
		t.Fatalf("%s: not a JPEG: %v", path, err)
	}
	return r, m
}

func TestImagesArriveBlurredAndTheOriginalIsAudited(t *testing.T) {
	u := newTestUI(t)
	u.open(imageDecision("img", testPNG(t, 800, 600)))
	id := u.caseOf("e-img").ID
	kim := u.signIn("kim", store.RoleModerator)
	base := "/ui/cases/" + id + "/image/"

	page := kim.get("/ui/cases/" + id + "?lang=en").body
	for _, want := range []string{
		`data-image-preview`, `data-blurred-src="` + base + `blurred"`, `data-original-src="` + base + `original"`,
		`<img src="` + base + `blurred"`, `data-reblur-ms="10000"`, "The original is blurred again after 10 s.",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the case page lacks %q", want)
		}
	}
	if strings.Contains(page, ` src="`+base+`original`) {
		t.Error("the page loads the original")
	}

	_, blurred := getImage(t, kim, base+"blurred")
	if blurred == nil {
		t.Fatal("no blurred preview")
	}
	if _, grey := blurred.(*image.Gray); !grey {
		t.Errorf("the blurred preview is %T, not greyscale", blurred)
	}
	if b := blurred.Bounds(); b.Dx() != blurredSide || b.Dy() != blurredSide*3/4 {
		t.Errorf("blurred preview %v", b)
	}
	if n := u.ui.content.blurred.len(); n != 1 {
		t.Errorf("%d previews cached", n)
	}
	getImage(t, kim, base+"blurred")
	if n := len(u.audits(store.AuditImageRevealed)); n != 0 {
		t.Errorf("blurred previews audited %d times", n)
	}

	for look := 1; look <= 2; look++ {
		_, orig := getImage(t, kim, base+"original?look="+fmt.Sprint(look))
		if orig == nil {
			t.Fatal("no original")
		}
		if r, _, b, _ := orig.At(2, 2).RGBA(); r>>8 < 150 || b>>8 > 100 {
			t.Errorf("the original lost its colour: %v", orig.At(2, 2))
		}
		as := u.audits(store.AuditImageRevealed)
		if len(as) != look || as[look-1].Actor != "u-kim" || as[look-1].Subject != id {
			t.Fatalf("after look %d, image audits %+v", look, as)
		}
	}
	if !strings.Contains(kim.get("/ui/").body, "<strong data-reveal-count>2</strong>") {
		t.Error("the header does not count the two looks at the original")
	}
}

// imageReads is the store, counting the bytes of images read from it.
type imageReads struct {
	*store.Store
	mu    sync.Mutex
	bytes int
}

func (s *imageReads) add(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bytes += n
}

func (s *imageReads) read() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes
}

func (s *imageReads) SnapshotRefs(ctx context.Context, caseID string) ([]store.Snapshot, error) {
	sns, err := s.Store.SnapshotRefs(ctx, caseID)
	for _, sn := range sns {
		s.add(len(sn.Image))
	}
	return sns, err
}

func (s *imageReads) SnapshotImage(ctx context.Context, caseID, ref string) ([]byte, error) {
	b, err := s.Store.SnapshotImage(ctx, caseID, ref)
	s.add(len(b))
	return b, err
}

// TestImagesAreReadOnlyToBeShown: the case page reads no image from the
// store, nor does a blurred preview once cached; the preview's rendering
// and each look at the original read it once.
func TestImagesAreReadOnlyToBeShown(t *testing.T) {
	var reads *imageReads
	u := newTestUI(t, func(c *Config) {
		reads = &imageReads{Store: c.Store.(*store.Store)}
		c.Store = reads
	})
	data := testPNG(t, 800, 600)
	u.open(imageDecision("img", data))
	id := u.caseOf("e-img").ID
	kim := u.signIn("kim", store.RoleModerator)
	for _, step := range []struct {
		what, path string
		reads      int // images read by then
	}{
		{"the case page", "/ui/cases/" + id, 0},
		{"the blurred preview", "/ui/cases/" + id + "/image/blurred", 1},
		{"the blurred preview, cached", "/ui/cases/" + id + "/image/blurred", 1},
		{"the case page again", "/ui/cases/" + id, 1},
		{"the original", "/ui/cases/" + id + "/image/original", 2},
	} {
		if r := kim.get(step.path); r.status != http.StatusOK {
			t.Fatalf("%s: status %d", step.what, r.status)
		}
		if got := reads.read(); got != step.reads*len(data) {
			t.Errorf("after %s, %d bytes of image read, want %d", step.what, got, step.reads*len(data))
		}
	}
}

func TestImagesAreOnlyForTheQueuesReviewers(t *testing.T) {
	u := newTestUI(t)
	d := imageDecision("y", testPNG(t, 64, 64))
	d.Queue = store.QueueYouthSafety
	u.open(d, decision("text", "", engine.Insult), imageDecision("bad", []byte("\x89PNG not really")))
	id := u.caseOf("e-y").ID
	kim := u.signIn("kim", store.RoleModerator)
	for _, which := range []string{"blurred", "original"} {
		r := kim.get("/ui/cases/" + id + "/image/" + which)
		u.wantDenied(r, "u-kim", "queue_role")
		if r.header.Get("Content-Type") == "image/jpeg" {
			t.Errorf("%s: an image to a reviewer of another queue", which)
		}
	}
	if n := len(u.audits(store.AuditImageRevealed)); n != 0 {
		t.Errorf("%d refused looks audited as reveals", n)
	}
	if r := kim.get("/ui/cases/" + u.caseOf("e-text").ID + "/image/blurred"); r.status != http.StatusNotFound {
		t.Errorf("a case without an image: %d", r.status)
	}
	bad := u.caseOf("e-bad").ID
	for _, which := range []string{"blurred", "original"} {
		if r := kim.get("/ui/cases/" + bad + "/image/" + which); r.status != http.StatusUnprocessableEntity || r.body != "" {
			t.Errorf("an undecodable image (%s): %d %q", which, r.status, r.body)
		}
	}
	if n := len(u.audits(store.AuditImageRevealed)); n != 0 {
		t.Errorf("an original that could not be shown was audited")
	}
	if r := u.newClient().get("/ui/cases/" + id + "/image/blurred"); r.status != http.StatusSeeOther {
		t.Errorf("signed out: %d", r.status)
	}
}

func TestReblurDelayComesFromTheConfig(t *testing.T) {
	u := newTestUI(t, func(c *Config) { c.ReblurAfter = 1500 * time.Millisecond })
	u.open(imageDecision("img", testPNG(t, 32, 32)))
	body := u.signIn("kim", store.RoleModerator).get("/ui/cases/" + u.caseOf("e-img").ID + "?lang=en").body
	if !strings.Contains(body, `data-reblur-ms="1500"`) || !strings.Contains(body, "blurred again after 2 s") {
		t.Errorf("re-blur delay not taken from the config: %s", between(body, "<figure", "</figure>"))
	}
}

func TestPreviewCacheKeepsTheMostRecent(t *testing.T) {
	c := newPreviewCache(2)
	c.add("a", []byte("A"))
	c.add("b", []byte("B"))
	if _, ok := c.get("a"); !ok { // a is now the most recent
		t.Fatal("a lost")
	}
	c.add("c", []byte("C"))
	if _, ok := c.get("b"); ok {
		t.Error("b, the least recently used, was kept")
	}
	for _, k := range []string{"a", "c"} {
		if _, ok := c.get(k); !ok {
			t.Errorf("%s was dropped", k)
		}
	}
	c.add("c", []byte("C2"))
	if v, _ := c.get("c"); string(v) != "C2" || c.len() != 2 {
		t.Errorf("replacing: %q, %d kept", v, c.len())
	}
}

// photo is a w×h JPEG like a phone camera's: smooth gradients with sensor
// noise, which costs the decoder what a real photo does.
func photo(b *testing.B, w, h int) []byte {
	b.Helper()
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	rnd := rand.New(rand.NewPCG(1, 2))
	for y := range h {
		for x := range w {
			n := uint8(rnd.IntN(24))
			m.Set(x, y, color.RGBA{uint8(x*200/w) + n, uint8(y*200/h) + n, uint8((x+y)*100/(w+h)) + n, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkBlurredPreview measures rendering a 12-megapixel photo's
// blurred preview, the original as shown, and answering the blurred
// preview from the cache (the case read and the reviewer's session
// included).
func BenchmarkBlurredPreview(b *testing.B) {
	data := photo(b, 4032, 3024)
	b.Run("render blurred", func(b *testing.B) {
		for b.Loop() {
			if _, err := imagepreview.Blurred(data, blurredSide); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("render original", func(b *testing.B) {
		for b.Loop() {
			if _, err := imagepreview.Original(data, originalSide); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		ctx := b.Context()
		st, err := store.OpenSQLite(ctx, filepath.Join(b.TempDir(), store.FileName))
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		accounts := newFakeAccounts()
		kim := accounts.add("kim", store.RoleModerator)
		ui, err := New(Config{Store: st, Accounts: accounts, Now: func() time.Time { return t0 }})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.SaveDecisions(ctx, []*engine.Decision{imageDecision("img", data)}); err != nil {
			b.Fatal(err)
		}
		p, err := st.ListCases(ctx, store.CaseFilter{Queue: store.QueueGeneral, Now: t0, Limit: 1})
		if err != nil || len(p.Cases) != 1 {
			b.Fatalf("cases %v, %v", p, err)
		}
		sess, err := accounts.CreateSession(ctx, kim.ID, t0)
		if err != nil {
			b.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodGet, "/ui/cases/"+p.Cases[0].ID+"/image/blurred", nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: sess.Token})
		for b.Loop() {
			w := httptest.NewRecorder()
			ui.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
}
