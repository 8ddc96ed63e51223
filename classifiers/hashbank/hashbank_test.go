package hashbank

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"fmt"
	"image"
	"image/color"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/classifiers/pdq"
)

// photo is a smooth synthetic image with enough structure for PDQ; seeds
// give unrelated images.
func photo(seed int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	fs := float64(seed)
	for y := range 240 {
		for x := range 320 {
			fx, fy := float64(x), float64(y)
			v := 128 + 50*math.Sin(fx/(9+fs)+fs) + 50*math.Cos(fy/(7+fs/2)-fs*fx/300)
			img.Set(x, y, color.RGBA{uint8(v), uint8(255 - v), uint8(v / 2), 255})
		}
	}
	return img
}

func rotate90(src *image.RGBA) *image.RGBA {
	b := src.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dy(), b.Dx()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			dst.Set(y, b.Dx()-1-x, src.At(x, y))
		}
	}
	return dst
}

func query(t *testing.T, img image.Image, data []byte) *Query {
	t.Helper()
	hs, q, err := pdq.DihedralFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	if q < MinQuality {
		t.Fatalf("test image has PDQ quality %d, too low to match", q)
	}
	return &Query{PDQ: hs, Quality: q, MD5: md5.Sum(data), SHA256: sha256.Sum256(data)}
}

func TestImportAndMatch(t *testing.T) {
	dir := t.TempDir()
	bad := photo(3)
	badHash, _, err := pdq.FromImage(bad)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("some image bytes")
	md := md5.Sum(data)
	sh := sha256.Sum256(data)
	csv := fmt.Sprintf("hash,label\n%s,test-bad\nmd5:%x,by-md5\nsha256:%x,by-sha\n", badHash, md, sh)
	res, err := Import(dir, "known_bad", strings.NewReader(csv), ImportOptions{})
	if err != nil || res.Added != 3 {
		t.Fatalf("Import = %+v, %v", res, err)
	}
	// Importing again adds nothing.
	res, err = Import(dir, "known_bad", strings.NewReader(csv), ImportOptions{})
	if err != nil || res.Added != 0 || res.Duplicates != 3 {
		t.Fatalf("re-Import = %+v, %v", res, err)
	}
	if _, err := Import(dir, "good", strings.NewReader(pdqHex(photo(2))+",logo\n"), ImportOptions{Negative: true}); err != nil {
		t.Fatal(err)
	}
	set, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Banks()) != 2 {
		t.Fatalf("banks %+v", set.Banks())
	}

	t.Run("pdq rotated", func(t *testing.T) {
		ms := set.Match(query(t, rotate90(bad), []byte("other")), DefaultMaxDistance)
		if len(ms) != 1 || ms[0].Bank != "known_bad" || ms[0].Label != "test-bad" || ms[0].Algorithm != "pdq" || ms[0].Distance > 10 {
			t.Errorf("matches %+v, want the rotated image found within 10 bits", ms)
		}
	})
	t.Run("exact", func(t *testing.T) {
		ms := set.Match(query(t, photo(4), data), DefaultMaxDistance)
		if len(ms) != 2 || ms[0].Distance != 0 || ms[0].Algorithm == "pdq" || ms[1].Algorithm == "pdq" {
			t.Errorf("matches %+v, want md5 and sha256", ms)
		}
	})
	t.Run("no match", func(t *testing.T) {
		if ms := set.Match(query(t, photo(4), []byte("x")), DefaultMaxDistance); len(ms) != 0 {
			t.Errorf("unrelated image matched %+v", ms)
		}
	})
	t.Run("negative bank", func(t *testing.T) {
		ms := set.Match(query(t, photo(2), []byte("x")), DefaultMaxDistance)
		if len(ms) != 1 || !ms[0].Negative || ms[0].Bank != "good" {
			t.Errorf("matches %+v, want the negative bank", ms)
		}
	})
	t.Run("low quality ignored", func(t *testing.T) {
		q := query(t, bad, []byte("x"))
		q.Quality = MinQuality - 1
		if ms := set.Match(q, DefaultMaxDistance); len(ms) != 0 {
			t.Errorf("low-quality hash matched %+v", ms)
		}
	})
}

func pdqHex(img image.Image) string {
	h, _, err := pdq.FromImage(img)
	if err != nil {
		panic(err)
	}
	return h.String()
}

func TestImportErrors(t *testing.T) {
	tests := []struct{ name, bank, csv, want string }{
		{"bad name", "Bad Name", "", "bank name"},
		{"not hex", "b", "zz" + strings.Repeat("0", 62) + "\n", "line 1"},
		{"wrong length", "b", "abcd\n", "hex digits"},
		{"unknown kind", "b", "sha1:" + strings.Repeat("0", 40) + "\n", "unknown hash kind"},
		{"too many fields", "b", strings.Repeat("0", 32) + ",a,b\n", "fields"},
		{"bad second row", "b", strings.Repeat("0", 32) + "\nxyz\n", "line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := Import(dir, tt.bank, strings.NewReader(tt.csv), ImportOptions{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Import error = %v, want %q", err, tt.want)
			}
			if set, err := Load(dir); err != nil || len(set.Banks()) != 0 {
				t.Errorf("a failed import left banks behind: %v %v", set, err)
			}
		})
	}
	dir := t.TempDir()
	if _, err := Import(dir, "b", strings.NewReader(strings.Repeat("0", 32)+"\n"), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Import(dir, "b", strings.NewReader(strings.Repeat("1", 32)+"\n"), ImportOptions{Negative: true}); err == nil {
		t.Error("changing a bank to negative was accepted")
	}
	res, err := Import(dir, "s", strings.NewReader(strings.Repeat("a", 64)+"\n"), ImportOptions{Kind64: SHA256})
	if err != nil || res.Added != 1 {
		t.Fatal(err)
	}
	set, _ := Load(dir)
	for _, b := range set.Banks() {
		if b.Name == "s" && b.Counts[SHA256] != 1 {
			t.Errorf("64-digit hash with Kind64 sha256 stored as %v", b.Counts)
		}
	}
}

func TestLoadMissingFolder(t *testing.T) {
	set, err := Load(t.TempDir() + "/nope")
	if err != nil || len(set.Banks()) != 0 {
		t.Errorf("Load of a missing folder = %v, %v", set, err)
	}
	if ms := set.Match(&Query{Quality: 100}, DefaultMaxDistance); len(ms) != 0 {
		t.Error("empty set matched")
	}
}

func TestWatchReloads(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	sets := make(chan *Set, 4)
	go Watch(ctx, dir, func(s *Set) { sets <- s }, func(err error) { t.Errorf("watch: %v", err) })
	time.Sleep(200 * time.Millisecond) // let the watcher start
	if _, err := Import(dir, "late", strings.NewReader(strings.Repeat("a", 32)+",x\n"), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-sets:
		if b := s.Banks(); len(b) != 1 || b[0].Name != "late" {
			t.Errorf("reloaded banks %+v", b)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no reload after an import")
	}
}
