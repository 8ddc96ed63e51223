package textmodel

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/haechi-tns/haechi/classifiers/textnorm"
)

func bagOf(t *testing.T, s string) Bag {
	t.Helper()
	var bag Bag
	DefaultFeatures.Featurize(textnorm.Normalize(s), &bag)
	return Bag{IDs: slices.Clone(bag.IDs), Weights: slices.Clone(bag.Weights)}
}

func TestFeaturize(t *testing.T) {
	a := bagOf(t, "씨발 진짜")
	if !slices.IsSorted(a.IDs) || len(a.IDs) != len(a.Weights) || len(a.IDs) == 0 {
		t.Fatalf("bag not sorted or empty: %v", a.IDs)
	}
	var sq float64
	for _, w := range a.Weights {
		sq += float64(w)
	}
	for _, id := range a.IDs {
		if id < 0 || int(id) >= DefaultFeatures.Buckets {
			t.Fatalf("id %d out of range", id)
		}
	}
	if b := bagOf(t, "씨발 진짜"); !slices.Equal(a.IDs, b.IDs) || !slices.Equal(a.Weights, b.Weights) {
		t.Error("featurize is not deterministic")
	}
	// Obfuscation is undone by the normaliser, so obfuscated spellings
	// give the same features.
	if b := bagOf(t, "씨@발 진ㅉㅏ"); !slices.Equal(a.IDs, b.IDs) {
		t.Error("obfuscated spelling gives other features")
	}
	// Spellings one jamo apart share jamo features; unrelated words share
	// few.
	overlap := func(x, y Bag) int {
		n := 0
		for _, id := range x.IDs {
			if _, ok := slices.BinarySearch(y.IDs, id); ok {
				n++
			}
		}
		return n
	}
	near, far := overlap(bagOf(t, "씨발"), bagOf(t, "시발")), overlap(bagOf(t, "씨발"), bagOf(t, "도서관"))
	if near <= far+2 {
		t.Errorf("씨발/시발 share %d features, 씨발/도서관 %d", near, far)
	}
	long := make([]rune, 5000)
	for i := range long {
		long[i] = '가' + rune(i%50)
	}
	if b := bagOf(t, string(long)); len(b.IDs) == 0 || len(b.IDs) > 12*DefaultFeatures.MaxLetters {
		t.Errorf("long text gives %d features", len(b.IDs))
	}
	if b := bagOf(t, "!!! ..."); len(b.IDs) != 0 {
		t.Errorf("text without letters gives features %v", b.IDs)
	}
}

func TestMapLabels(t *testing.T) {
	U, N, P := Unknown, Negative, Positive
	tests := []struct {
		source string
		raw    map[string]any
		want   []int8 // toxic insult profanity hate harassment sexual threat self_harm spam
	}{
		{"beep", map[string]any{"hate": "none", "bias": "none"}, []int8{N, N, N, N, N, N, N, N, N}},
		{"beep", map[string]any{"hate": "hate", "bias": "gender"}, []int8{P, P, U, P, U, U, U, U, U}},
		{"beep", map[string]any{"hate": "offensive", "bias": "none"}, []int8{P, P, U, N, U, U, U, U, U}},
		{"kmhas", map[string]any{"not_hate": 1.0}, []int8{N, N, N, N, N, N, N, N, N}},
		{"kmhas", map[string]any{"not_hate": 0.0, "religion": 1.0, "profanity": 1.0}, []int8{P, U, P, P, U, U, U, U, U}},
		{"kmhas", map[string]any{"not_hate": 0.0, "politics": 1.0}, []int8{P, P, N, N, U, U, U, U, U}},
		{"curse", map[string]any{"curse": 1.0}, []int8{P, U, U, U, U, U, U, U, U}},
		{"davidson", map[string]any{"class": "hate"}, []int8{P, U, U, P, U, U, U, U, U}},
		{"olid", map[string]any{"a": "OFF", "b": "TIN", "c": "IND"}, []int8{P, P, U, U, P, U, U, U, U}},
		{"olid", map[string]any{"a": "OFF", "b": "UNT", "c": "NULL"}, []int8{P, N, P, U, N, U, U, U, U}},
		{"hatexplain", map[string]any{"class": "normal"}, []int8{N, N, N, N, N, N, N, N, N}},
		{"kosbi", map[string]any{"sentence_label": "safe"}, []int8{N, N, N, N, N, N, N, N, N}},
		{"kosbi", map[string]any{"sentence_label": "unsafe", "sentence_sub_label": []any{"stereotype_implicit"}}, []int8{U, U, U, U, U, U, U, U, U}},
		{"kosbi", map[string]any{"sentence_label": "unsafe", "sentence_sub_label": []any{"stereotype_explicit"}}, []int8{P, U, U, P, U, U, U, U, U}},
		{"zizun", map[string]any{"malicious": 1.0}, []int8{P, U, U, U, U, U, U, U, U}},
		{"sms_spam", map[string]any{"spam": 1.0}, []int8{U, U, U, U, U, U, U, U, P}},
		{"sms_spam", map[string]any{"spam": 0.0}, []int8{N, N, N, N, N, N, N, N, N}},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%s-%d", tt.source, i), func(t *testing.T) {
			got, err := mapLabels(tt.source, tt.raw)
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("mapLabels = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	if _, err := mapLabels("beep", map[string]any{"hate": "maybe"}); err == nil {
		t.Error("unknown label value accepted")
	}
	if _, err := mapLabels("reddit", nil); err == nil {
		t.Error("unknown source accepted")
	}
}

func TestSplitIsStable(t *testing.T) {
	counts := map[Split]int{}
	for i := range 10000 {
		id := fmt.Sprintf("ex-%d", i)
		if splitOf(id) != splitOf(id) {
			t.Fatal("split not deterministic")
		}
		counts[splitOf(id)]++
	}
	if counts[SplitTest] < 1300 || counts[SplitTest] > 1700 || counts[SplitValid] < 800 || counts[SplitValid] > 1200 {
		t.Errorf("split sizes %v, want about 15 %% test and 10 %% validation", counts)
	}
}

func TestAUCAndThreshold(t *testing.T) {
	s := []float64{0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9}
	y := []bool{false, false, false, true, false, true, true, true}
	if got := auc(s, y); math.Abs(got-15.0/16) > 1e-9 {
		t.Errorf("auc = %v, want 15/16", got)
	}
	if got := auc([]float64{0.5, 0.5}, []bool{true, false}); got != 0.5 {
		t.Errorf("auc with a tie = %v, want 0.5", got)
	}
	// Precision ≥ 0.75 holds down to 0.4 (4 of 5 at ≥0.4 … 4/5=0.8).
	if got := ChooseThreshold(s, y, 0.75, 1, 0.5); got != 0.4 {
		t.Errorf("threshold for precision 0.75 = %v, want 0.4", got)
	}
	if got := ChooseThreshold(s, y, 0.75, 10, 0.33); got != 0.33 {
		t.Errorf("with too few positives = %v, want the fallback", got)
	}
	p, r, f := prf(s, y, 0.4)
	if p != 0.8 || r != 1 || math.Abs(f-2*0.8/1.8) > 1e-9 {
		t.Errorf("prf = %v %v %v", p, r, f)
	}
}

// TestTrainLearns trains on a small synthetic task: texts with 욕설 words
// are toxic. The model must separate held-out texts it never saw.
func TestTrainLearns(t *testing.T) {
	bad := []string{"씨발", "병신", "개새끼", "fuck", "idiot"}
	good := []string{"도서관", "광장", "행사", "library", "festival"}
	var ex []Example
	for i := range 600 {
		word, toxic := good[i%len(good)], int8(0)
		if i%2 == 0 {
			word, toxic = bad[i%len(bad)], 1
		}
		labels := allNegative()
		labels[HeadToxic] = toxic
		ex = append(ex, Example{ID: fmt.Sprint(i), Lang: "ko", Text: fmt.Sprintf("오늘 %s 이야기 %d", word, i%7), Labels: labels, Split: []Split{SplitTrain, SplitTrain, SplitTrain, SplitValid}[i%4]})
	}
	cfg := DefaultTrain
	cfg.Features.Buckets = 1 << 12
	cfg.Dim, cfg.Hidden, cfg.Epochs = 8, 8, 8
	cfg.EmbeddingLR, cfg.DenseLR = 0.1, 0.01
	m, err := Train(context.Background(), ex, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	score := func(s string) float32 {
		var bag Bag
		cfg.Features.Featurize(textnorm.Normalize(s), &bag)
		return m.Forward(bag.IDs, bag.Weights)[HeadToxic]
	}
	if hi, lo := score("오늘 병신 이야기 9"), score("오늘 광장 이야기 9"); hi < 0.7 || lo > 0.3 {
		t.Errorf("toxic score %.2f for abuse, %.2f for benign", hi, lo)
	}
	// Training is deterministic.
	m2, err := Train(context.Background(), ex, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.W2, m2.W2) {
		t.Error("two trainings on the same data differ")
	}
}
