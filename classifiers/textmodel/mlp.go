// Package textmodel is Haechi's learned text classifier: features hashed
// from normalised text, an embedding bag, one hidden layer and a sigmoid
// head per category. It is trained in Go (Train), exported as an ONNX graph
// (Export) and served with ONNX Runtime; the Go forward pass (Forward) is
// the reference the exported graph is checked against.
package textmodel

import (
	"errors"
	"fmt"
	"math"
)

// MLP holds the weights of the model. All matrices are row-major float32.
//
//	bag    = Σ_i weights[i] · Embedding[ids[i]]          [Dim]
//	hidden = relu(bag · W1 + B1)                          [Hidden]
//	probs  = sigmoid(hidden · W2 + B2)                    [len(Heads)]
//
// The ONNX graph computes the same with Gather, Unsqueeze, Mul, ReduceSum,
// Gemm, Relu, Gemm and Sigmoid.
type MLP struct {
	Buckets int      // rows of Embedding: hashed feature ids are in [0, Buckets)
	Dim     int      // embedding width
	Hidden  int      // hidden layer width
	Heads   []string // output names, in column order of W2
	// Embedding is [Buckets][Dim].
	Embedding []float32
	// W1 is [Dim][Hidden]; B1 is [Hidden].
	W1, B1 []float32
	// W2 is [Hidden][len(Heads)]; B2 is [len(Heads)].
	W2, B2 []float32
}

// NewMLP allocates a model with zero weights.
func NewMLP(buckets, dim, hidden int, heads []string) *MLP {
	k := len(heads)
	return &MLP{
		Buckets: buckets, Dim: dim, Hidden: hidden, Heads: heads,
		Embedding: make([]float32, buckets*dim),
		W1:        make([]float32, dim*hidden), B1: make([]float32, hidden),
		W2: make([]float32, hidden*k), B2: make([]float32, k),
	}
}

// Validate checks that the weight slices have the sizes the shape implies.
func (m *MLP) Validate() error {
	k := len(m.Heads)
	switch {
	case m.Buckets <= 0 || m.Dim <= 0 || m.Hidden <= 0 || k == 0:
		return fmt.Errorf("textmodel: bad shape buckets=%d dim=%d hidden=%d heads=%d", m.Buckets, m.Dim, m.Hidden, k)
	case len(m.Embedding) != m.Buckets*m.Dim:
		return errors.New("textmodel: embedding size does not match buckets×dim")
	case len(m.W1) != m.Dim*m.Hidden || len(m.B1) != m.Hidden:
		return errors.New("textmodel: W1/B1 sizes do not match dim×hidden")
	case len(m.W2) != m.Hidden*k || len(m.B2) != k:
		return errors.New("textmodel: W2/B2 sizes do not match hidden×heads")
	}
	return nil
}

// Forward computes the head probabilities for one feature bag. ids and
// weights have the same length; ids are in [0, Buckets).
func (m *MLP) Forward(ids []int32, weights []float32) []float32 {
	bag := make([]float32, m.Dim)
	for i, id := range ids {
		row := m.Embedding[int(id)*m.Dim : int(id+1)*m.Dim]
		w := weights[i]
		for d, v := range row {
			bag[d] += w * v
		}
	}
	hidden := make([]float32, m.Hidden)
	copy(hidden, m.B1)
	for d, x := range bag {
		if x == 0 {
			continue
		}
		row := m.W1[d*m.Hidden : (d+1)*m.Hidden]
		for h, w := range row {
			hidden[h] += x * w
		}
	}
	k := len(m.Heads)
	out := make([]float32, k)
	copy(out, m.B2)
	for h, x := range hidden {
		if x <= 0 {
			continue
		}
		row := m.W2[h*k : (h+1)*k]
		for j, w := range row {
			out[j] += x * w
		}
	}
	for j, z := range out {
		out[j] = sigmoid(z)
	}
	return out
}

func sigmoid(z float32) float32 { return float32(1 / (1 + math.Exp(-float64(z)))) }
