package textcnn

import (
	"errors"
	"fmt"
	"slices"
)

// Blend records that a model's thresholds were chosen for its probabilities
// averaged with another model's: the strong stage of the cascade judges a
// message by both the letter CNN, which reads order, and the bag-of-n-grams
// model, which reads whole words, because together they rank abuse better
// than either alone (see classifiers/MODEL_CARD.md). Serving must blend
// with exactly that model, so its checksum is kept.
type Blend struct {
	// Name and SHA256 identify the other model's file.
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	// Weight is this model's share, in (0, 1]; the other gets the rest.
	Weight float64 `json:"weight"`
}

// Validate checks the blend on its own.
func (b *Blend) Validate() error {
	switch {
	case b.Name == "":
		return errors.New("blend: name is required")
	case !(b.Weight > 0 && b.Weight <= 1):
		return fmt.Errorf("blend: weight %v: want (0, 1]", b.Weight)
	}
	return nil
}

// BlendProbs averages this model's probabilities (heads in heads order)
// with the other model's (otherHeads order) by the blend's weight, head by
// head; heads the other model lacks keep this model's probability. It
// writes into and returns dst, which may be probs itself.
func (b *Blend) BlendProbs(dst, probs []float32, heads []string, other []float32, otherHeads []string) []float32 {
	dst = append(dst[:0], probs...)
	w := float32(b.Weight)
	for k, h := range heads {
		if j := slices.Index(otherHeads, h); j >= 0 && j < len(other) {
			dst[k] = w*probs[k] + (1-w)*other[j]
		}
	}
	return dst
}
