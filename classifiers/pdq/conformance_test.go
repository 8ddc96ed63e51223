package pdq

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/haechi-tns/haechi/internal/racetest"
)

// conformanceBar is Meta's bar for a PDQ implementation: within 10 bits of
// the reference hash for every image of quality 80 or more.
const (
	conformanceBar     = 10
	conformanceQuality = 80
)

// TestConformance checks the hashes of the reference images against Meta's.
// cpp-reference rows must meet the bar as hashed here, at full size.
// wasm-port rows come from a port that first squashes images with a side
// over 512 pixels to 512×512: they must meet the bar too, and for those the
// log also shows the distance after the same squashing (0 for c.png: the
// evidence that the rest of the pipeline matches the reference exactly).
func TestConformance(t *testing.T) {
	racetest.Heavy(t)
	vectors := loadVectors(t)
	if len(vectors) == 0 {
		t.Fatal("no conformance vectors")
	}
	for _, v := range vectors {
		t.Run(v.file, func(t *testing.T) {
			img := loadImage(t, v.file)
			h, q, err := FromImage(img)
			if err != nil {
				t.Fatal(err)
			}
			d := Distance(h, v.hash)
			b := img.Bounds()
			msg := ""
			if v.source == "wasm-port" {
				if b.Dx() > 512 || b.Dy() > 512 {
					hs, _, _ := FromImage(squash(img, 512))
					msg = " squashed to 512×512 as the port does: distance " + strconv.Itoa(Distance(hs, v.hash))
				}
			}
			t.Logf("%-26s %-13s %4dx%-4d distance %3d quality %3d%s", v.file, v.source, b.Dx(), b.Dy(), d, q, msg)
			if q != v.quality {
				t.Errorf("quality %d, want %d", q, v.quality)
			}
			if q >= conformanceQuality && d > conformanceBar {
				t.Errorf("distance %d to the %s hash, want ≤ %d\n got %v\nwant %v", d, v.source, conformanceBar, h, v.hash)
			}
		})
	}
}

// TestConformanceDihedral hashes bridge-1 once and compares each of the
// eight derived hashes with the full hash of the file the reference made by
// transforming it, and with the reference hash of that file.
func TestConformanceDihedral(t *testing.T) {
	racetest.Heavy(t)
	ref := map[string]Hash{}
	for _, v := range loadVectors(t) {
		ref[v.file] = v.hash
	}
	hs, q, err := DihedralFromImage(loadImage(t, bridgeFile(Original)))
	if err != nil {
		t.Fatal(err)
	}
	if q != 100 {
		t.Errorf("quality %d, want 100", q)
	}
	for d := Original; d <= FlipMinus1; d++ {
		name := bridgeFile(d)
		h, _, err := FromImage(loadImage(t, name))
		if err != nil {
			t.Fatal(err)
		}
		dImg, dRef := Distance(hs[d], h), Distance(hs[d], ref[name])
		t.Logf("%-10v vs %-26s: distance %3d to its hash here, %3d to the reference's", d, name, dImg, dRef)
		if dImg > conformanceBar || dRef > conformanceBar {
			t.Errorf("%v: distances %d and %d, want ≤ %d", d, dImg, dRef, conformanceBar)
		}
	}
}

// TestVectorsMatchReference checks that testdata/conformance.csv, which adds
// the qualities, holds exactly the files, hashes and sources of Meta's
// expected.csv as committed beside the images.
func TestVectorsMatchReference(t *testing.T) {
	f, err := os.Open(filepath.Join(refDir, "expected.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]vector{}
	for _, row := range rows[1:] {
		h, err := ParseHash(row[1])
		if err != nil {
			t.Fatal(err)
		}
		want[row[0]] = vector{file: row[0], hash: h, source: row[2]}
	}
	vectors := loadVectors(t)
	if len(vectors) != len(want) {
		t.Errorf("%d vectors, expected.csv has %d", len(vectors), len(want))
	}
	for _, v := range vectors {
		w, ok := want[v.file]
		if !ok || v.hash != w.hash || v.source != w.source {
			t.Errorf("%s: %v %s, expected.csv has %v %s", v.file, v.hash, v.source, w.hash, w.source)
		}
	}
}
