package textcnn

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"
)

// Vocab maps letters to ids. Letter i of Letters has id FirstLetterID+i.
// It is learned from the pretraining text and stored in the manifest.
type Vocab struct {
	Letters []rune
	index   map[rune]int32
}

// NewVocab makes a vocabulary of the given letters, which must be distinct
// valid runes.
func NewVocab(letters []rune) (*Vocab, error) {
	v := &Vocab{Letters: letters, index: make(map[rune]int32, len(letters))}
	for i, r := range letters {
		if !utf8.ValidRune(r) || r == utf8.RuneError {
			return nil, fmt.Errorf("textcnn: vocabulary letter %d is not a valid rune", i)
		}
		if _, dup := v.index[r]; dup {
			return nil, fmt.Errorf("textcnn: vocabulary letter %q appears twice", r)
		}
		v.index[r] = int32(FirstLetterID + i)
	}
	return v, nil
}

// ID returns the id of letter r.
func (v *Vocab) ID(r rune) int {
	if id, ok := v.index[r]; ok {
		return int(id)
	}
	return unknownID(r)
}

// Size is the number of letter ids, reserved ones included.
func (v *Vocab) Size() int { return FirstLetterID + len(v.Letters) }

// LetterCounts counts letters for BuildVocab.
type LetterCounts map[rune]int

// Add counts the letters of one normalised text.
func (c LetterCounts) Add(letters []rune) {
	for _, r := range letters {
		c[r]++
	}
}

// BuildVocab keeps the letters seen at least minCount times, most frequent
// first (ties by code point, so the result does not depend on map order),
// at most maxSize of them.
func BuildVocab(c LetterCounts, minCount, maxSize int) (*Vocab, error) {
	if maxSize <= 0 {
		return nil, errors.New("textcnn: vocabulary size must be positive")
	}
	letters := make([]rune, 0, len(c))
	for r, n := range c {
		if n >= minCount {
			letters = append(letters, r)
		}
	}
	slices.SortFunc(letters, func(a, b rune) int {
		return cmp.Or(cmp.Compare(c[b], c[a]), cmp.Compare(a, b))
	})
	if len(letters) > maxSize {
		letters = letters[:maxSize]
	}
	return NewVocab(letters)
}
