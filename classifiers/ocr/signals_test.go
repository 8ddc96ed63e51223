package ocr

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/haechi-tns/haechi/classifiers/lexicon"
	"github.com/haechi-tns/haechi/classifiers/pii"
	"github.com/haechi-tns/haechi/classifiers/textsignals"
	"github.com/haechi-tns/haechi/engine"
)

// TestTextSignalsOfFixtures puts each fixture's OCR'd text through the
// rule-based part of the chat classifier (normaliser, lexicon, PII
// detector; the ONNX models are left out here) and compares what it finds
// with the manifest: what the image path will see once OCR feeds it. It
// also checks that each PII finding leads back to word boxes. Every
// expected category is reached by the lexicon alone at 0.5 (the models
// would add to it) and no benign fixture reaches any.
func TestTextSignalsOfFixtures(t *testing.T) {
	lex, err := lexicon.Default()
	if err != nil {
		t.Fatal(err)
	}
	cls, err := textsignals.New(lex, pii.New())
	if err != nil {
		t.Fatal(err)
	}
	p := newPool(t, Config{})
	for _, f := range loadManifest(t) {
		if len(f.Text) == 0 {
			continue
		}
		t.Run(f.File, func(t *testing.T) {
			res, err := p.Read(context.Background(), loadImage(t, filepath.Join(imageDir, f.File)))
			if err != nil {
				t.Fatal(err)
			}
			tr, err := cls.ClassifyText(context.Background(), engine.TextInput{Text: res.Text, Space: engine.SpacePlaza})
			if err != nil {
				t.Fatal(err)
			}
			var gotPII []string
			for _, s := range tr.PII {
				gotPII = append(gotPII, string(s.Type))
				if len(wordsIn(res.Words, s.Start, s.End)) == 0 {
					t.Errorf("PII %s at %d-%d covers no word box", s.Type, s.Start, s.End)
				}
			}
			for _, want := range f.PII {
				if !slices.Contains(gotPII, want) {
					t.Errorf("PII %s not found in the OCR'd text (found %v)", want, gotPII)
				}
			}
			var cats []string
			for c, v := range tr.Sources[textsignals.SourceLexicon] {
				if v >= 0.5 {
					cats = append(cats, string(c))
				}
			}
			slices.Sort(cats)
			for _, want := range f.Categories {
				if want != "pii" && !slices.Contains(cats, want) {
					t.Errorf("category %s not reached by the lexicon (lexicon ≥ 0.5: %v)", want, cats)
				}
			}
			if len(f.Categories) == 0 && len(cats) > 0 {
				t.Errorf("benign fixture reached %v", cats)
			}
			t.Logf("lexicon ≥ 0.5: %v; PII: %v", cats, gotPII)
		})
	}
}

// wordsIn returns the words overlapping code points [start, end) of the
// text: the boxes a finding in the text covers in the image.
func wordsIn(ws []Word, start, end int) []Word {
	var out []Word
	for _, w := range ws {
		if w.Start < end && w.End > start {
			out = append(out, w)
		}
	}
	return out
}
