package textmodel

import (
	"bytes"
	"encoding/xml"
	"math"
	"testing"
)

func TestReliability(t *testing.T) {
	// Ten texts scored 0.85, eight of them positive: calibrated; ten scored
	// 0.15, all positive: badly under-confident.
	var sc []Scored
	for i := range 10 {
		sc = append(sc, Scored{Lang: "ko", Labels: []int8{b2l(i < 8)}, Probs: []float32{0.85}})
		sc = append(sc, Scored{Lang: "ko", Labels: []int8{Positive}, Probs: []float32{0.15}})
	}
	sc = append(sc, Scored{Lang: "ko", Labels: []int8{Unknown}, Probs: []float32{0.5}})
	bins := Reliability(sc, Heads[0], "ko", 10)
	if bins[8].N != 10 || math.Abs(bins[8].Positive-0.8) > 1e-9 || bins[1].N != 10 || bins[1].Positive != 1 || bins[5].N != 0 {
		t.Fatalf("bins %+v", bins)
	}
	// Half the texts are off by 0.05, half by 0.85.
	if ece := ExpectedCalibrationError(bins); math.Abs(ece-0.45) > 1e-6 {
		t.Errorf("ECE %v, want 0.45", ece)
	}
	var buf bytes.Buffer
	if err := WriteReliabilitySVG(&buf, "toxic <ko>", []Curve{{Name: "a & b", Bins: bins}}); err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(&buf)
	for {
		if _, err := d.Token(); err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("the SVG is not well-formed XML: %v", err)
			}
			break
		}
	}
}

// TestThresholdAcrossSources: a large easy source cannot set the threshold
// for a small hard one.
func TestThresholdAcrossSources(t *testing.T) {
	var sc []Scored
	add := func(src string, n int, p float32, pos bool) {
		for range n {
			sc = append(sc, Scored{Source: src, Lang: "en", Labels: []int8{b2l(pos)}, Probs: []float32{p}})
		}
	}
	// easy: every text at 0.6 or more is positive.
	add("easy", 900, 0.9, true)
	add("easy", 600, 0.2, false)
	// hard: at 0.6 and over, 59 % are positive; at 0.8, nine in ten. The
	// pooled precision at 0.6 is 0.96, the average over sources 0.80.
	add("hard", 20, 0.6, true)
	add("hard", 40, 0.6, false)
	add("hard", 45, 0.8, true)
	add("hard", 5, 0.8, false)
	s, y := Column(sc, Heads[0], "en")
	pooled := ChooseThreshold(s, y, 0.85, 10, 0.5)
	across := ChooseThresholdAcrossSources(sc, Heads[0], "en", 0.85, 10, 0.5)
	if math.Abs(pooled-0.6) > 1e-6 || math.Abs(across-0.8) > 1e-6 {
		t.Errorf("pooled %v, across sources %v; want 0.6 and 0.8", pooled, across)
	}
}
