package textcnn

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
)

// A corpus file set is how ids reach the trainer: NAME.units holds every
// unit's UnitWidth ids as little-endian int16, NAME.offsets the unit offset
// of each text and the total (n+1 little-endian int64), and for labelled
// sets NAME.labels one int8 per head per text (-1 unknown) and
// NAME.sources one byte per text, an index into Meta.Sources.

// corpusWriter writes one corpus file set.
type corpusWriter struct {
	units, offsets, labels, sources *os.File
	ub, ob, lb, sb                  *bufio.Writer
	n, total                        int64
	heads                           int
}

func newCorpusWriter(dir, name string, labelled bool, heads int) (*corpusWriter, error) {
	w := &corpusWriter{heads: heads}
	var err error
	open := func(ext string) (*os.File, *bufio.Writer) {
		if err != nil {
			return nil, nil
		}
		var f *os.File
		f, err = os.Create(filepath.Join(dir, name+"."+ext))
		if err != nil {
			return nil, nil
		}
		return f, bufio.NewWriterSize(f, 1<<16)
	}
	w.units, w.ub = open("units")
	w.offsets, w.ob = open("offsets")
	if labelled {
		w.labels, w.lb = open("labels")
		w.sources, w.sb = open("sources")
	}
	if err != nil {
		w.close()
		return nil, fmt.Errorf("textcnn: %w", err)
	}
	return w, w.writeOffset()
}

func (w *corpusWriter) writeOffset() error {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(w.total))
	_, err := w.ob.Write(b[:])
	return err
}

// add writes one text's units (and labels and source, for labelled sets).
func (w *corpusWriter) add(units []int64, labels []int8, source byte) error {
	var b [2]byte
	for _, id := range units {
		if id < 0 || id > math.MaxInt16 {
			return fmt.Errorf("textcnn: id %d does not fit the corpus format", id)
		}
		binary.LittleEndian.PutUint16(b[:], uint16(id))
		if _, err := w.ub.Write(b[:]); err != nil {
			return err
		}
	}
	w.total += int64(len(units) / UnitWidth)
	w.n++
	if err := w.writeOffset(); err != nil {
		return err
	}
	if w.lb != nil {
		if len(labels) != w.heads {
			return fmt.Errorf("textcnn: %d labels for %d heads", len(labels), w.heads)
		}
		for _, l := range labels {
			if err := w.lb.WriteByte(byte(l)); err != nil {
				return err
			}
		}
		if err := w.sb.WriteByte(source); err != nil {
			return err
		}
	}
	return nil
}

func (w *corpusWriter) close() error {
	var first error
	for _, p := range []struct {
		f *os.File
		b *bufio.Writer
	}{{w.units, w.ub}, {w.offsets, w.ob}, {w.labels, w.lb}, {w.sources, w.sb}} {
		if p.f == nil {
			continue
		}
		if err := p.b.Flush(); err != nil && first == nil {
			first = err
		}
		if err := p.f.Close(); err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return fmt.Errorf("textcnn: %w", first)
	}
	return nil
}

// Meta tells the trainer how to read the corpus files and what the ids
// mean. It is written as meta.json next to them.
type Meta struct {
	UnitWidth     int            `json:"unit_width"`
	PadID         int            `json:"pad_id"`
	SepID         int            `json:"sep_id"`
	MaskID        int            `json:"mask_id"`
	FirstLetterID int            `json:"first_letter_id"`
	Letters       int            `json:"letters"` // vocabulary size, reserved ids included
	Initials      int            `json:"initials"`
	Medials       int            `json:"medials"`
	Finals        int            `json:"finals"`
	MaxUnits      int            `json:"max_units"`
	Heads         []string       `json:"heads"`
	Sources       []string       `json:"sources"`
	Sets          map[string]int `json:"sets"` // corpus name → texts
	Seed          int64          `json:"seed"`
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
