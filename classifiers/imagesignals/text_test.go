package imagesignals

import (
	"context"
	"errors"
	"image"
	"slices"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/classifiers/hashbank"
	"github.com/haechi-tns/haechi/classifiers/imagedecode"
	"github.com/haechi-tns/haechi/classifiers/ocr"
	"github.com/haechi-tns/haechi/engine"
)

// fakeReader answers Read with res and err, or, when block is set, waits
// for the context.
type fakeReader struct {
	res   *ocr.Result
	err   error
	block bool
}

func (f fakeReader) Read(ctx context.Context, _ image.Image) (*ocr.Result, error) {
	if f.block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return f.res, f.err
}

// fakeText finds a phone number at code points 4-17 and scores scam.
type fakeText struct{ err error }

func (fakeText) Name() string    { return "text" }
func (fakeText) Version() string { return "1" }
func (f fakeText) ClassifyText(_ context.Context, in engine.TextInput) (engine.TextResult, error) {
	if f.err != nil {
		return engine.TextResult{}, f.err
	}
	return engine.TextResult{
		Lang:    "ko",
		Sources: map[string]engine.Scores{"lexicon": {engine.Scam: 0.7}},
		Models:  map[string]engine.Scores{"text": {engine.Scam: 0.4, engine.Threat: 0.1}},
		PII:     []engine.PIISpan{{Type: "phone", Start: 4, End: 17, Score: 0.95}},
	}, nil
}

// TestTextReading checks what the classifier reports of an image's text
// for each outcome of the reading: scores and PII with the boxes of the
// words they cover; failures of the image's reading as ImageText.Error
// without "image_text" in Analysed; the caller's end and the text
// classifier's failure as errors.
func TestTextReading(t *testing.T) {
	read := &ocr.Result{
		Text: "연락처 010-1234-5678 입금",
		Words: []ocr.Word{
			{Box: image.Rect(0, 0, 30, 10), Start: 0, End: 3},
			{Box: image.Rect(35, 0, 120, 10), Start: 4, End: 17},
			{Box: image.Rect(125, 0, 150, 10), Start: 18, End: 20},
		},
		Read: true,
	}
	tests := []struct {
		name     string
		reader   fakeReader
		text     fakeText
		cancel   bool
		wantErr  bool
		wantText *engine.ImageText
	}{
		{name: "read", reader: fakeReader{res: read}, wantText: &engine.ImageText{
			Words: 3, Lang: "ko",
			Scores:  engine.Scores{engine.Scam: 0.7},
			Sources: map[string]engine.Scores{"lexicon": {engine.Scam: 0.7}},
			Models:  map[string]engine.Scores{"text": {engine.Scam: 0.4, engine.Threat: 0.1}},
			PII:     []engine.ImagePII{{Type: "phone", Score: 0.95, Boxes: []engine.Box{{X0: 35, Y0: 0, X1: 120, Y1: 10}}}},
		}},
		{name: "no text", reader: fakeReader{res: &ocr.Result{}}, wantText: &engine.ImageText{}},
		{name: "timeout", reader: fakeReader{block: true}, wantText: &engine.ImageText{Error: TextTimeout}},
		{name: "too large", reader: fakeReader{err: ocr.ErrTooLarge}, wantText: &engine.ImageText{Error: TextTooLarge}},
		{name: "tesseract failure", reader: fakeReader{err: errors.New("ocr: tesseract: boom")}, wantText: &engine.ImageText{Error: TextFailed}},
		{name: "closed", reader: fakeReader{err: ocr.ErrClosed}, wantErr: true},
		{name: "caller gone", reader: fakeReader{block: true}, cancel: true, wantErr: true},
		{name: "text classifier fails", reader: fakeReader{res: read}, text: fakeText{err: errors.New("onnx")}, wantErr: true},
	}
	data := sharedImage(t, "bridge-1-original.jpg")
	plain := New(mustLoad(t, t.TempDir()), imagedecode.DefaultLimits, hashbank.DefaultMaxDistance)
	base, err := plain.Analyse(context.Background(), engine.ImageInput{Image: &engine.ImageUpload{Data: data}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(mustLoad(t, t.TempDir()), imagedecode.DefaultLimits, hashbank.DefaultMaxDistance,
				WithTextReader(tt.reader, tt.text, 50*time.Millisecond))
			ctx, cancel := context.WithCancel(context.Background())
			if tt.cancel {
				time.AfterFunc(10*time.Millisecond, cancel)
			}
			defer cancel()
			r, err := c.Analyse(ctx, engine.ImageInput{Image: &engine.ImageUpload{Data: data}, Space: engine.SpaceYouth})
			if tt.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := r.Text, tt.wantText; !equalText(got, want) {
				t.Errorf("text %+v, want %+v", got, want)
			}
			if got := slices.Contains(r.Analysed, engine.AnalysedImageText); got != (tt.wantText.Error == "") {
				t.Errorf("analysed %v", r.Analysed)
			}
			if r.PDQ != base.PDQ || r.Quality != base.Quality {
				t.Error("reading the text changed the hashes")
			}
		})
	}
}

func equalText(a, b *engine.ImageText) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Error != b.Error || a.Words != b.Words || a.Lang != b.Lang || len(a.PII) != len(b.PII) ||
		len(a.Scores) != len(b.Scores) || len(a.Sources) != len(b.Sources) || len(a.Models) != len(b.Models) {
		return false
	}
	for c, v := range b.Scores {
		if a.Scores[c] != v {
			return false
		}
	}
	for i, p := range b.PII {
		q := a.PII[i]
		if q.Type != p.Type || q.Score != p.Score || !slices.Equal(q.Boxes, p.Boxes) {
			return false
		}
	}
	return true
}

// TestCovered: a PII span is covered only when each of its characters but
// spaces lies in a word the reader gave a box for.
func TestCovered(t *testing.T) {
	text := []rune("연락처 010-1234 5678 끝")
	words := []ocr.Word{{Start: 0, End: 3}, {Start: 4, End: 12}, {Start: 13, End: 17}, {Start: 18, End: 19}}
	for _, tc := range []struct {
		name       string
		start, end int
		want       bool
	}{
		{"two words and the space between", 4, 17, true},
		{"one word", 4, 12, true},
		{"past the end of the text", 4, 20, false},
		{"a leading space", 3, 12, true},
		{"empty", 5, 5, false},
		{"negative", -1, 4, false},
	} {
		if got := covered(text, tc.start, tc.end, words); got != tc.want {
			t.Errorf("%s: covered(%d, %d) = %v, want %v", tc.name, tc.start, tc.end, got, tc.want)
		}
	}
	gap := []ocr.Word{{Start: 4, End: 8}, {Start: 10, End: 12}}
	if covered(text, 4, 12, gap) {
		t.Error("a span with characters outside every word is covered")
	}
}
