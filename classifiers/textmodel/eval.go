package textmodel

import (
	"cmp"
	"slices"
)

// Scored is one example's gold labels and a classifier's probabilities.
type Scored struct {
	Source string
	Lang   string
	Labels []int8
	Probs  []float32
}

// Metrics describes one head on one language's examples with known labels.
type Metrics struct {
	Head      string  `json:"head"`
	Lang      string  `json:"lang"`
	N         int     `json:"n"`
	Positives int     `json:"positives"`
	AUC       float64 `json:"roc_auc"`
	Threshold float64 `json:"threshold"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
}

// Langs are the languages metrics are reported for; "all" pools them.
var Langs = []string{"ko", "en", "all"}

// Evaluate computes metrics per head and language. threshold(head, lang)
// gives the decision threshold; heads with no positive or no negative
// example in a language are skipped.
func Evaluate(scored []Scored, threshold func(head, lang string) float64) []Metrics {
	var out []Metrics
	for k, head := range Heads {
		for _, lang := range Langs {
			s, y := column(scored, k, lang)
			pos := 0
			for _, b := range y {
				if b {
					pos++
				}
			}
			if pos == 0 || pos == len(y) {
				continue
			}
			thr := threshold(head, lang)
			p, r, f := prf(s, y, thr)
			out = append(out, Metrics{Head: head, Lang: lang, N: len(y), Positives: pos,
				AUC: auc(s, y), Threshold: thr, Precision: p, Recall: r, F1: f})
		}
	}
	return out
}

// column extracts one head's known labels and scores for a language.
func column(scored []Scored, k int, lang string) ([]float64, []bool) {
	var s []float64
	var y []bool
	for _, e := range scored {
		if (lang != "all" && e.Lang != lang) || k >= len(e.Probs) || e.Labels[k] == Unknown {
			continue
		}
		s = append(s, float64(e.Probs[k]))
		y = append(y, e.Labels[k] == Positive)
	}
	return s, y
}

// auc is the area under the ROC curve: the chance that a random positive
// scores above a random negative, ties counting half.
func auc(s []float64, y []bool) float64 {
	idx := make([]int, len(s))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(s[a], s[b]) })
	var pos, rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && s[idx[j]] == s[idx[i]] {
			j++
		}
		avgRank := float64(i+j+1) / 2
		for _, t := range idx[i:j] {
			if y[t] {
				pos++
				rankSum += avgRank
			}
		}
		i = j
	}
	neg := float64(len(s)) - pos
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

func prf(s []float64, y []bool, thr float64) (p, r, f float64) {
	var tp, fp, fn float64
	for i, v := range s {
		switch {
		case v >= thr && y[i]:
			tp++
		case v >= thr:
			fp++
		case y[i]:
			fn++
		}
	}
	if tp+fp > 0 {
		p = tp / (tp + fp)
	}
	if tp+fn > 0 {
		r = tp / (tp + fn)
	}
	if p+r > 0 {
		f = 2 * p * r / (p + r)
	}
	return p, r, f
}

// ChooseThreshold picks a decision threshold from validation scores: the
// lowest threshold whose precision is at least target (the most recall at
// that precision); if no threshold reaches it, the one with the best F1.
// minPositives guards against choosing on too little evidence: with fewer
// positives it returns fallback.
func ChooseThreshold(s []float64, y []bool, target float64, minPositives int, fallback float64) float64 {
	pos := 0
	for _, b := range y {
		if b {
			pos++
		}
	}
	if pos < minPositives || pos == len(y) {
		return fallback
	}
	idx := make([]int, len(s))
	for i := range idx {
		idx[i] = i
	}
	// Walk thresholds from the highest score down, tracking counts.
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(s[b], s[a]) })
	var tp, fp float64
	bestF1, bestF1Thr := -1.0, fallback
	chosen := -1.0
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && s[idx[j]] == s[idx[i]] {
			if y[idx[j]] {
				tp++
			} else {
				fp++
			}
			j++
		}
		thr := s[idx[i]]
		p := tp / (tp + fp)
		r := tp / float64(pos)
		if f := 2 * p * r / (p + r); p+r > 0 && f > bestF1 {
			bestF1, bestF1Thr = f, thr
		}
		if p >= target {
			chosen = thr
		}
		i = j
	}
	if chosen >= 0 {
		return chosen
	}
	return bestF1Thr
}

// ChooseThresholdAcrossSources picks a threshold that holds on several
// domains: the lowest at which the precision averaged over the sources
// (each with at least minPositives positives and as many negatives) is at
// least target, so that a large source cannot set the threshold for all;
// if none reaches it, the one with the best average F1. With fewer than two
// such sources it falls back to ChooseThreshold on the pooled scores.
func ChooseThresholdAcrossSources(scored []Scored, head, lang string, target float64, minPositives int, fallback float64) float64 {
	k := headIndex(head)
	type src struct {
		s   []float64 // sorted descending
		y   []bool
		pos int
	}
	bySrc := map[string]*src{}
	var names []string
	for _, e := range scored {
		if (lang != "all" && e.Lang != lang) || k >= len(e.Probs) || e.Labels[k] == Unknown {
			continue
		}
		g := bySrc[e.Source]
		if g == nil {
			g = &src{}
			bySrc[e.Source] = g
			names = append(names, e.Source)
		}
		g.s = append(g.s, float64(e.Probs[k]))
		g.y = append(g.y, e.Labels[k] == Positive)
	}
	var groups []*src
	var cands []float64
	slices.Sort(names)
	for _, n := range names {
		g := bySrc[n]
		for _, b := range g.y {
			if b {
				g.pos++
			}
		}
		if g.pos < minPositives || len(g.y)-g.pos < minPositives {
			continue
		}
		idx := make([]int, len(g.s))
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(g.s[b], g.s[a]) })
		s2, y2 := make([]float64, len(idx)), make([]bool, len(idx))
		for i, j := range idx {
			s2[i], y2[i] = g.s[j], g.y[j]
		}
		g.s, g.y = s2, y2
		groups = append(groups, g)
		cands = append(cands, g.s...)
	}
	if len(groups) < 2 {
		s, y := column(scored, k, lang)
		return ChooseThreshold(s, y, target, minPositives, fallback)
	}
	slices.Sort(cands)
	cands = slices.Compact(cands)
	chosen, bestF1, bestF1Thr := -1.0, -1.0, fallback
	// From the highest candidate down; each source's counts at t are
	// found by walking its sorted scores alongside.
	at := make([]int, len(groups)) // scores ≥ t seen so far, per source
	tp := make([]int, len(groups))
	for c := len(cands) - 1; c >= 0; c-- {
		t := cands[c]
		var sumP, sumF float64
		for i, g := range groups {
			for at[i] < len(g.s) && g.s[at[i]] >= t {
				if g.y[at[i]] {
					tp[i]++
				}
				at[i]++
			}
			p := 1.0 // nothing flagged, nothing wrong
			if at[i] > 0 {
				p = float64(tp[i]) / float64(at[i])
			}
			r := float64(tp[i]) / float64(g.pos)
			sumP += p
			if p+r > 0 {
				sumF += 2 * p * r / (p + r)
			}
		}
		n := float64(len(groups))
		if sumP/n >= target {
			chosen = t
		}
		if sumF/n > bestF1 {
			bestF1, bestF1Thr = sumF/n, t
		}
	}
	if chosen >= 0 {
		return chosen
	}
	return bestF1Thr
}

// Column exposes one head's known labels and scores for a language, for
// threshold choice by callers.
func Column(scored []Scored, head, lang string) ([]float64, []bool) {
	return column(scored, headIndex(head), lang)
}
