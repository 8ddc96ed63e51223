package textmodel

import (
	"math"
	"slices"

	"github.com/haechi-tns/haechi/classifiers/textnorm"
)

// FeatureConfig fixes how text becomes features. It is stored in the model
// manifest: a model must be served with the settings it was trained with.
type FeatureConfig struct {
	// Version names the feature recipe below; bump it when the recipe
	// changes so that old models are refused rather than misread.
	Version int `json:"version"`
	// Buckets is the size of the hashed feature space.
	Buckets int `json:"buckets"`
	// MaxLetters bounds how much of a long message is featurised.
	MaxLetters int `json:"max_letters"`
}

// FeatureVersion is the version of the recipe Featurize implements.
const FeatureVersion = 1

// DefaultFeatures are the settings new models are trained with.
var DefaultFeatures = FeatureConfig{Version: FeatureVersion, Buckets: 1 << 17, MaxLetters: 1024}

// Bag is a text's features: distinct hashed ids with their weights, sorted
// by id. Its slices are reused by Featurize.
type Bag struct {
	IDs     []int32
	Weights []float32
	raw     []uint32
	jamo    []rune
	padded  []rune
}

// Feature kinds, mixed into the hash so that the same string as a word and
// as a character n-gram are different features.
const (
	kindWord byte = iota + 1
	kindWordPair
	kindChar
	kindJamo
)

const (
	bow = '\x02' // marks the start of a token in character n-grams
	eow = '\x03' // marks its end
)

// Featurize turns normalised text into a feature bag: word unigrams and
// bigrams; character 2-, 3- and 4-grams of every token with its boundaries
// (Hangul syllables and Latin letters alike); and jamo trigrams of Hangul
// tokens, so that spellings that differ in one jamo (씨발, 시발, 씨빨) share
// most features. Each distinct feature weighs count/√total, so long and
// short texts give bags of the same scale. Training and serving both call
// this one function.
func (c FeatureConfig) Featurize(t *textnorm.Text, bag *Bag) {
	bag.raw = bag.raw[:0]
	letters := t.Letters()
	n := min(len(letters), c.MaxLetters)
	var prev []rune
	for i := 0; i < n; {
		j := i + 1
		for j < n && !t.TokenStart(j) {
			j++
		}
		tok := letters[i:j]
		bag.raw = append(bag.raw, hash(kindWord, tok, nil))
		if prev != nil {
			bag.raw = append(bag.raw, hash(kindWordPair, prev, tok))
		}
		prev = tok

		bag.padded = append(append(append(bag.padded[:0], bow), tok...), eow)
		bag.raw = appendGrams(bag.raw, kindChar, bag.padded, 2, 4)

		bag.jamo = append(bag.jamo[:0], bow)
		hangul := false
		for _, r := range tok {
			if r >= 0xAC00 && r <= 0xD7A3 {
				s := r - 0xAC00
				bag.jamo = append(bag.jamo, 0x1100+s/588, 0x1161+(s%588)/28)
				if f := s % 28; f > 0 {
					bag.jamo = append(bag.jamo, 0x11A7+f)
				}
				hangul = true
			} else {
				bag.jamo = append(bag.jamo, r)
			}
		}
		if hangul {
			bag.jamo = append(bag.jamo, eow)
			bag.raw = appendGrams(bag.raw, kindJamo, bag.jamo, 3, 3)
		}
		i = j
	}
	bag.finish(c.Buckets)
}

func appendGrams(dst []uint32, kind byte, s []rune, lo, hi int) []uint32 {
	for size := lo; size <= hi; size++ {
		for i := 0; i+size <= len(s); i++ {
			dst = append(dst, hash(kind, s[i:i+size], nil))
		}
	}
	return dst
}

// finish maps raw hashes to buckets and merges duplicates.
func (b *Bag) finish(buckets int) {
	b.IDs, b.Weights = b.IDs[:0], b.Weights[:0]
	if len(b.raw) == 0 {
		return
	}
	for i, h := range b.raw {
		b.raw[i] = h % uint32(buckets)
	}
	slices.Sort(b.raw)
	scale := float32(1 / math.Sqrt(float64(len(b.raw))))
	for i := 0; i < len(b.raw); {
		j := i + 1
		for j < len(b.raw) && b.raw[j] == b.raw[i] {
			j++
		}
		b.IDs = append(b.IDs, int32(b.raw[i]))
		b.Weights = append(b.Weights, float32(j-i)*scale)
		i = j
	}
}

// hash is FNV-1a over a kind byte and the runes of one or two strings, one
// step per rune, finished with murmur3's mixer so that the low bits used as
// the bucket are as random as the high ones.
func hash(kind byte, a, b []rune) uint32 {
	const prime = 16777619
	h := uint32(2166136261)
	h = (h ^ uint32(kind)) * prime
	for _, r := range a {
		h = (h ^ uint32(r)) * prime
	}
	if b != nil {
		h = (h ^ 0xffffffff) * prime
		for _, r := range b {
			h = (h ^ uint32(r)) * prime
		}
	}
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}
