package textmodel

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/haechi-tns/haechi/classifiers/textnorm"
)

// TrainConfig sets the model's shape and the optimiser.
type TrainConfig struct {
	Features FeatureConfig
	Dim      int
	Hidden   int
	Epochs   int
	// EmbeddingLR is Adagrad's learning rate for the embedding rows;
	// DenseLR is Adam's for the two dense layers.
	EmbeddingLR float64
	DenseLR     float64
	// MaxPosWeight caps how much a rare head's positives are up-weighted.
	MaxPosWeight float64
	// Dropout is the chance that a feature is left out of a training
	// example, so the model cannot lean on one rare n-gram per text.
	Dropout float64
	// InitScale bounds the random initial embedding values.
	InitScale float64
	// ChecksPerEpoch is how often validation loss is measured; the best
	// checkpoint is kept.
	ChecksPerEpoch int
	Seed           uint64
}

// DefaultTrain is the configuration the committed model was trained with.
var DefaultTrain = TrainConfig{
	Features: DefaultFeatures, Dim: 32, Hidden: 64, Epochs: 3,
	EmbeddingLR: 0.01, DenseLR: 0.0005, MaxPosWeight: 1.5, Dropout: 0.3, InitScale: 0.01,
	ChecksPerEpoch: 4, Seed: 20261122,
}

// Progress reports one finished epoch.
type Progress struct {
	Epoch                float64
	TrainLoss, ValidLoss float64
	Best                 bool
}

// prepared is an example turned into features once, before training.
type prepared struct {
	ids     []int32
	weights []float32
	labels  []int8
}

// FeaturizeAll turns examples into feature bags, in parallel.
func (c FeatureConfig) FeaturizeAll(examples []Example) []prepared {
	out := make([]prepared, len(examples))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			var t textnorm.Text
			var bag Bag
			for i := w; i < len(examples); i += workers {
				t.Reset(examples[i].Text)
				c.Featurize(&t, &bag)
				out[i] = prepared{
					ids:     append([]int32(nil), bag.IDs...),
					weights: append([]float32(nil), bag.Weights...),
					labels:  examples[i].Labels,
				}
			}
		})
	}
	wg.Wait()
	return out
}

// Train fits a model on the Train split and keeps the epoch with the lowest
// loss on the Valid split. It never sees the Test split. It is
// deterministic for a given configuration and data.
func Train(ctx context.Context, examples []Example, cfg TrainConfig, progress func(Progress)) (*MLP, error) {
	train, valid, _ := Splits(examples)
	if len(train) == 0 || len(valid) == 0 {
		return nil, fmt.Errorf("textmodel: need training and validation examples, have %d and %d", len(train), len(valid))
	}
	tr := cfg.Features.FeaturizeAll(train)
	va := cfg.Features.FeaturizeAll(valid)

	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	m := NewMLP(cfg.Features.Buckets, cfg.Dim, cfg.Hidden, Heads)
	initUniform(rng, m.Embedding, cfg.InitScale)
	initUniform(rng, m.W1, math.Sqrt(6/float64(cfg.Dim+cfg.Hidden)))
	initUniform(rng, m.W2, math.Sqrt(6/float64(cfg.Hidden+len(Heads))))

	posWeight := positiveWeights(tr, cfg.MaxPosWeight)
	opt := newOptimizer(m, cfg)
	var best *MLP
	bestLoss := math.Inf(1)
	order := make([]int, len(tr))
	for i := range order {
		order[i] = i
	}
	g := newGrads(m)
	checkEvery := max(1, len(order)/max(1, cfg.ChecksPerEpoch))
	var dropped prepared
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		var total float64
		seen := 0
		for n, i := range order {
			if n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
			}
			ex := dropout(rng, &tr[i], cfg.Dropout, &dropped)
			total += g.step(m, ex, posWeight)
			opt.apply(m, g)
			seen++
			if (n+1)%checkEvery == 0 || n == len(order)-1 {
				vloss := meanLoss(m, va, posWeight)
				p := Progress{Epoch: float64(epoch-1) + float64(n+1)/float64(len(order)), TrainLoss: total / float64(seen), ValidLoss: vloss}
				if vloss < bestLoss {
					bestLoss, p.Best = vloss, true
					best = m.clone()
				}
				if progress != nil {
					progress(p)
				}
				total, seen = 0, 0
			}
		}
	}
	return best, nil
}

// dropout returns p with each feature left out with probability rate and
// the rest scaled up to keep the bag's expected size, reusing buf.
func dropout(rng *rand.Rand, p *prepared, rate float64, buf *prepared) *prepared {
	if rate <= 0 {
		return p
	}
	buf.ids, buf.weights, buf.labels = buf.ids[:0], buf.weights[:0], p.labels
	scale := float32(1 / (1 - rate))
	for i, id := range p.ids {
		if rng.Float64() >= rate {
			buf.ids = append(buf.ids, id)
			buf.weights = append(buf.weights, p.weights[i]*scale)
		}
	}
	return buf
}

func initUniform(rng *rand.Rand, w []float32, limit float64) {
	for i := range w {
		w[i] = float32((rng.Float64()*2 - 1) * limit)
	}
}

// positiveWeights up-weights each head's positives by √(negatives /
// positives), capped, so rare heads are not drowned out; thresholds are
// chosen afterwards on validation data, so calibration is not needed.
func positiveWeights(data []prepared, maxWeight float64) []float64 {
	pos := make([]float64, len(Heads))
	neg := make([]float64, len(Heads))
	for _, p := range data {
		for k, l := range p.labels {
			switch l {
			case Positive:
				pos[k]++
			case Negative:
				neg[k]++
			}
		}
	}
	w := make([]float64, len(Heads))
	for k := range w {
		w[k] = 1
		if pos[k] > 0 {
			w[k] = min(maxWeight, max(1, math.Sqrt(neg[k]/pos[k])))
		}
	}
	return w
}

func (m *MLP) clone() *MLP {
	c := *m
	c.Heads = append([]string(nil), m.Heads...)
	c.Embedding = append([]float32(nil), m.Embedding...)
	c.W1 = append([]float32(nil), m.W1...)
	c.B1 = append([]float32(nil), m.B1...)
	c.W2 = append([]float32(nil), m.W2...)
	c.B2 = append([]float32(nil), m.B2...)
	return &c
}

// grads holds one example's activations and gradients.
type grads struct {
	bag, pre, hidden, z, gz, gh, gbag []float32
	w1, b1, w2, b2                    []float32
	ids                               []int32
	weights                           []float32
}

func newGrads(m *MLP) *grads {
	k := len(m.Heads)
	return &grads{
		bag: make([]float32, m.Dim), pre: make([]float32, m.Hidden), hidden: make([]float32, m.Hidden),
		z: make([]float32, k), gz: make([]float32, k), gh: make([]float32, m.Hidden), gbag: make([]float32, m.Dim),
		w1: make([]float32, m.Dim*m.Hidden), b1: make([]float32, m.Hidden),
		w2: make([]float32, m.Hidden*k), b2: make([]float32, k),
	}
}

// step runs forward and backward for one example, leaving the gradients in
// g, and returns the example's weighted binary cross-entropy.
func (g *grads) step(m *MLP, p *prepared, posWeight []float64) float64 {
	k := len(m.Heads)
	clear(g.bag)
	for i, id := range p.ids {
		row := m.Embedding[int(id)*m.Dim : int(id+1)*m.Dim]
		w := p.weights[i]
		for d, v := range row {
			g.bag[d] += w * v
		}
	}
	copy(g.pre, m.B1)
	for d, x := range g.bag {
		row := m.W1[d*m.Hidden : (d+1)*m.Hidden]
		for h, w := range row {
			g.pre[h] += x * w
		}
	}
	for h, x := range g.pre {
		g.hidden[h] = max(x, 0)
	}
	copy(g.z, m.B2)
	for h, x := range g.hidden {
		if x == 0 {
			continue
		}
		row := m.W2[h*k : (h+1)*k]
		for j, w := range row {
			g.z[j] += x * w
		}
	}
	var loss float64
	for j, z := range g.z {
		g.gz[j] = 0
		y := p.labels[j]
		if y == Unknown {
			continue
		}
		prob := float64(sigmoid(z))
		wt := 1.0
		if y == Positive {
			wt = posWeight[j]
			loss -= wt * math.Log(max(prob, 1e-7))
		} else {
			loss -= math.Log(max(1-prob, 1e-7))
		}
		g.gz[j] = float32(wt * (prob - float64(y)))
	}
	// Backward.
	copy(g.b2, g.gz)
	clear(g.gh)
	for h, x := range g.hidden {
		row := m.W2[h*k : (h+1)*k]
		grow := g.w2[h*k : (h+1)*k]
		var s float32
		for j, gz := range g.gz {
			grow[j] = x * gz
			s += row[j] * gz
		}
		if g.pre[h] > 0 {
			g.gh[h] = s
		}
	}
	copy(g.b1, g.gh)
	clear(g.gbag)
	for d, x := range g.bag {
		row := m.W1[d*m.Hidden : (d+1)*m.Hidden]
		grow := g.w1[d*m.Hidden : (d+1)*m.Hidden]
		var s float32
		for h, gh := range g.gh {
			grow[h] = x * gh
			s += row[h] * gh
		}
		g.gbag[d] = s
	}
	g.ids, g.weights = p.ids, p.weights
	return loss
}

// optimizer applies Adagrad to the embedding rows an example touched and
// Adam to the dense layers.
type optimizer struct {
	cfg            TrainConfig
	embAcc         []float32
	m1, v1, m2, v2 [4][]float32 // Adam moments for W1, B1, W2, B2
	t              int
}

func newOptimizer(m *MLP, cfg TrainConfig) *optimizer {
	o := &optimizer{cfg: cfg, embAcc: make([]float32, len(m.Embedding))}
	for i, n := range []int{len(m.W1), len(m.B1), len(m.W2), len(m.B2)} {
		o.m1[i] = make([]float32, n)
		o.v1[i] = make([]float32, n)
	}
	return o
}

func (o *optimizer) apply(m *MLP, g *grads) {
	lr := float32(o.cfg.EmbeddingLR)
	for i, id := range g.ids {
		w := g.weights[i]
		base := int(id) * m.Dim
		for d, gb := range g.gbag {
			gr := w * gb
			if gr == 0 {
				continue
			}
			o.embAcc[base+d] += gr * gr
			m.Embedding[base+d] -= lr * gr / float32(math.Sqrt(float64(o.embAcc[base+d]))+1e-8)
		}
	}
	o.t++
	const b1, b2, eps = 0.9, 0.999, 1e-8
	c1 := 1 - math.Pow(b1, float64(o.t))
	c2 := 1 - math.Pow(b2, float64(o.t))
	alpha := float32(o.cfg.DenseLR * math.Sqrt(c2) / c1)
	for i, pair := range [4][2][]float32{{m.W1, g.w1}, {m.B1, g.b1}, {m.W2, g.w2}, {m.B2, g.b2}} {
		w, gr := pair[0], pair[1]
		mo, ve := o.m1[i], o.v1[i]
		for j, x := range gr {
			mo[j] = b1*mo[j] + (1-b1)*x
			ve[j] = b2*ve[j] + (1-b2)*x*x
			w[j] -= alpha * mo[j] / (float32(math.Sqrt(float64(ve[j]))) + eps)
		}
	}
}

// meanLoss is the average weighted cross-entropy over data, computed in
// parallel with the Go forward pass.
func meanLoss(m *MLP, data []prepared, posWeight []float64) float64 {
	workers := runtime.GOMAXPROCS(0)
	sums := make([]float64, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(data); i += workers {
				p := m.Forward(data[i].ids, data[i].weights)
				for j, y := range data[i].labels {
					switch y {
					case Positive:
						sums[w] -= posWeight[j] * math.Log(max(float64(p[j]), 1e-7))
					case Negative:
						sums[w] -= math.Log(max(1-float64(p[j]), 1e-7))
					}
				}
			}
		})
	}
	wg.Wait()
	var total float64
	for _, s := range sums {
		total += s
	}
	return total / float64(len(data))
}
