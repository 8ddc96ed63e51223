package imagesignals

import (
	"context"
	"errors"
	"image"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/haechi-tns/haechi/classifiers/hashbank"
	"github.com/haechi-tns/haechi/classifiers/imagedecode"
	"github.com/haechi-tns/haechi/engine"
)

// pdqDir holds Meta's PDQ reference photos, committed once in package pdq's
// testdata and shared by the image packages' tests.
const pdqDir = "../pdq/testdata/pdq"

// sharedImage reads one of the PDQ reference photos; a missing file fails
// the test.
func sharedImage(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(pdqDir, name))
	if err != nil {
		t.Fatalf("PDQ reference photo: %v", err)
	}
	return data
}

func newClassifier(t *testing.T) *Classifier {
	t.Helper()
	dir := t.TempDir()
	probe := New(mustLoad(t, dir), imagedecode.DefaultLimits, hashbank.DefaultMaxDistance)
	r, err := probe.Analyse(context.Background(), engine.ImageInput{Image: &engine.ImageUpload{Data: sharedImage(t, "bridge-1-original.jpg")}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hashbank.Import(dir, "known_bad", strings.NewReader(r.PDQ.String()+",bridge\n"), hashbank.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	return New(mustLoad(t, dir), imagedecode.DefaultLimits, hashbank.DefaultMaxDistance)
}

func mustLoad(t *testing.T, dir string) *hashbank.Set {
	t.Helper()
	s, err := hashbank.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestClassifyImage(t *testing.T) {
	c := newClassifier(t)
	ctx := context.Background()
	for _, name := range []string{"bridge-2-rotate-90.jpg", "bridge-5-flipx.jpg", "bridge-8-flip-minus-1.jpg"} {
		res, err := c.ClassifyImage(ctx, engine.ImageInput{Image: &engine.ImageUpload{Data: sharedImage(t, name)}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.HashMatches) != 1 || res.HashMatches[0].Bank != "known_bad" || res.HashMatches[0].Distance > 16 {
			t.Errorf("%s: matches %+v, want the bridge photo's bank entry", name, res.HashMatches)
		}
		if len(res.Analysed) != 1 || res.Analysed[0] != AnalysedHashes {
			t.Errorf("analysed %v", res.Analysed)
		}
	}
	res, err := c.ClassifyImage(ctx, engine.ImageInput{Image: &engine.ImageUpload{Data: sharedImage(t, "c.png")}})
	if err != nil || len(res.HashMatches) != 0 {
		t.Errorf("unrelated image: %+v, %v", res, err)
	}
}

func TestClassifyImageErrors(t *testing.T) {
	c := newClassifier(t)
	ctx := context.Background()
	jpeg := sharedImage(t, "bridge-1-original.jpg")
	tests := []struct {
		name  string
		img   *engine.ImageUpload
		field string
	}{
		{"truncated", &engine.ImageUpload{Data: jpeg[:len(jpeg)/2]}, "image.data"},
		{"not an image", &engine.ImageUpload{Data: []byte("hello, this is text")}, "image.data"},
		{"wrong sha256", &engine.ImageUpload{Data: jpeg, SHA256: strings.Repeat("0", 64)}, "image.sha256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.ClassifyImage(ctx, engine.ImageInput{Image: tt.img})
			var v *engine.ValidationError
			if !errors.As(err, &v) || v.Fields[0].Field != tt.field {
				t.Errorf("error = %v, want a validation error on %s", err, tt.field)
			}
		})
	}
	if _, err := c.ClassifyImage(ctx, engine.ImageInput{Image: &engine.ImageUpload{URI: "blob://x"}}); !errors.Is(err, engine.ErrNotAnalysed) {
		t.Errorf("URI-only upload: %v, want ErrNotAnalysed", err)
	}
}

func mkTemp() (string, error) { return os.MkdirTemp("", "haechi-bank-") }

// fakeContent scores every image the same.
type fakeContent struct{ nudity float32 }

func (f fakeContent) CategoryScores(image.Image) (map[string]float32, error) {
	return map[string]float32{"nudity": f.nudity, "suggestive": 0.1}, nil
}

func TestContentModel(t *testing.T) {
	c := New(mustLoad(t, t.TempDir()), imagedecode.DefaultLimits, hashbank.DefaultMaxDistance,
		WithContentModel("fake", fakeContent{nudity: 0.9}, "fake"), WithContentModel("other", fakeContent{nudity: 0.2}, "other"))
	res, err := c.ClassifyImage(context.Background(), engine.ImageInput{Image: &engine.ImageUpload{Data: sharedImage(t, "c.png")}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sources["fake"][engine.Nudity] != float64(float32(0.9)) || res.Sources["other"][engine.Nudity] != float64(float32(0.2)) ||
		!slices.Contains(res.Analysed, AnalysedContent) {
		t.Errorf("result %+v, want the content model's scores and the content marked analysed", res)
	}
	if !strings.HasSuffix(c.Version(), "+fake+other") {
		t.Errorf("version %q does not name the content model", c.Version())
	}
}
