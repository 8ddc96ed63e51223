package textcnn

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/haechi-tns/haechi/classifiers/onnxrt"
	"github.com/haechi-tns/haechi/classifiers/textmodel"
	"github.com/haechi-tns/haechi/classifiers/textnorm"
)

const committed = "../models/text-cnn/manifest.json"

func openCommitted(t testing.TB) *Model {
	t.Helper()
	if err := onnxrt.Init(onnxrt.DefaultLibPath()); err != nil {
		t.Fatal(err)
	}
	m, err := Open(committed, onnxrt.SessionConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// TestOpenRefusesTampering: a model file that is not the one the manifest
// names, or a manifest whose self-check the model does not reproduce, stops
// Open.
func TestOpenRefusesTampering(t *testing.T) {
	m := openCommitted(t)
	man := *m.Manifest()
	dir := t.TempDir()
	data, err := os.ReadFile("../models/text-cnn/" + man.File)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/"+man.File, data, 0o644); err != nil {
		t.Fatal(err)
	}
	bad := man
	bad.SelfCheck.Expected = [][]float32{}
	for _, row := range man.SelfCheck.Expected {
		r := append([]float32(nil), row...)
		r[0] = 1 - r[0]
		bad.SelfCheck.Expected = append(bad.SelfCheck.Expected, r)
	}
	if err := bad.WriteFile(dir + "/manifest.json"); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir+"/manifest.json", onnxrt.SessionConfig{}); err == nil || !strings.Contains(err.Error(), "self-check") {
		t.Errorf("a wrong self-check opened: %v", err)
	}
	bad = man
	bad.SHA256 = strings.Repeat("0", 64)
	if err := bad.WriteFile(dir + "/manifest.json"); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir+"/manifest.json", onnxrt.SessionConfig{}); err == nil {
		t.Error("a model with another checksum opened")
	}
	bad = man
	bad.Letters = "가가"
	if err := bad.Validate(); err == nil {
		t.Error("a vocabulary with a repeated letter validated")
	}
}

// TestDegenerateInput: repeated letters and words, very long messages and
// messages of only emoji or punctuation are not flagged by the model. (A
// wall of digits is not here: the spam head, trained on text messages full
// of phone numbers, scores 1,000 digits as spam, and that flood is one.)
func TestDegenerateInput(t *testing.T) {
	m := openCommitted(t)
	th := m.Manifest().Thresholds
	clean := map[string]string{
		"laughter":          strings.Repeat("ㅋ", 500),
		"spaced laughter":   strings.Repeat("ㅋ ", 300),
		"crying":            strings.Repeat("ㅠㅠ ", 100),
		"one letter":        strings.Repeat("a ", 500),
		"article":           strings.Repeat("the ", 200),
		"repeated greeting": strings.Repeat("안녕하세요 ", 200),
		"repeated sentence": strings.Repeat("도서관은 아홉 시에 문을 엽니다. ", 100),
		"long notice":       strings.Repeat("시청 민원실은 평일 오전 9시부터 오후 6시까지 운영합니다. ", 60),
		"emoji":             strings.Repeat("😀🎉👍", 100),
		"punctuation":       strings.Repeat("!?.,~", 200),
		"exclamations":      "!!!!!!!!!!!!!!!!!!!!",
		"question marks":    "???",
		"hangul vowels":     strings.Repeat("ㅏㅓㅗㅜ", 100),
	}
	for name, text := range clean {
		probs, err := m.PredictStrings([]string{text})
		if err != nil {
			t.Fatal(err)
		}
		lang := "ko"
		if strings.ContainsAny(text, "aeiou") {
			lang = "en"
		}
		for k, h := range m.Manifest().Heads {
			if h == "toxic" {
				continue // not a category the policy acts on alone
			}
			if p := float64(probs[0][k]); p >= textmodel.Threshold(th, h, lang) {
				t.Errorf("%s: %s = %.3f, at or over its threshold %.3f", name, h, p, textmodel.Threshold(th, h, lang))
			}
		}
	}
}

// TestAbuseSurvivesNoise: abuse still scores over its threshold when
// repeated, spaced out or buried in a long message.
func TestAbuseSurvivesNoise(t *testing.T) {
	m := openCommitted(t)
	th := m.Manifest().Thresholds
	filler := strings.Repeat("오늘 광장에서 축제가 열린대요 ", 40)
	texts := []string{
		strings.Repeat("씨발 ", 50),
		"씨 발 놈 아",
		filler + "이 씨발놈아 꺼져" + filler,
	}
	probs, err := m.PredictStrings(texts)
	if err != nil {
		t.Fatal(err)
	}
	toxic := 0
	for k, h := range m.Manifest().Heads {
		if h == "toxic" {
			toxic = k
		}
	}
	for i, p := range probs {
		if thr := textmodel.Threshold(th, "toxic", "ko"); float64(p[toxic]) < thr {
			t.Errorf("text %d: toxic %.3f under its threshold %.3f", i, p[toxic], thr)
		}
	}
}

// TestNumbersAreNotSpam: the spam head learnt from text messages whose
// spam is full of phone numbers; a citizen who gives a number is not
// spam, while the wording of spam still is, whatever number it carries.
func TestNumbersAreNotSpam(t *testing.T) {
	m := openCommitted(t)
	spam := slices.Index(m.Manifest().Heads, "spam")
	if spam < 0 {
		t.Fatal("the committed model has no spam head")
	}
	th := m.Manifest().Thresholds
	tests := []struct {
		text, lang string
		spam       bool
	}{
		{"제 번호는 010-1234-5678이에요", "ko", false},
		{"계좌번호 110-123-456789 로 보내주시면 됩니다", "ko", false},
		{"민원 접수 번호 2026-11-00423 확인 부탁드립니다", "ko", false},
		{"my number is 07700 900123, call me after the meeting", "en", false},
		{"The legal desk is open until six, phone 02-2133-1234", "en", false},
		{"Call 09061701461 now to claim your £900 prize! Txt STOP to end", "en", true},
		{"URGENT! You have won a 2 week FREE holiday. To claim call 08712300220", "en", true},
	}
	texts := make([]string, len(tests))
	for i, tt := range tests {
		texts[i] = tt.text
	}
	probs, err := m.PredictStrings(texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, tt := range tests {
		thr := textmodel.Threshold(th, "spam", tt.lang)
		if got := float64(probs[i][spam]) >= thr; got != tt.spam {
			t.Errorf("%q: spam %.3f (threshold %.3f), want spam = %v", tt.text, probs[i][spam], thr, tt.spam)
		}
	}
}

// TestPredictBatchMatchesSingle: padding a text into a batch with longer
// ones does not change its scores.
func TestPredictBatchMatchesSingle(t *testing.T) {
	m := openCommitted(t)
	texts := []string{"좋은 아침", "you are a worthless idiot and everyone knows it", "", "ㅋㅋ", "시청 민원실은 평일 오전 9시부터 오후 6시까지 운영합니다"}
	// More than one chunk, lengths mixed, so texts run sorted by length
	// and must come back in their own places.
	for i := range 40 {
		texts = append(texts, strings.Repeat("이 씨발놈아 ", i%7)+strings.Repeat("광장에서 만나요 ", (i*5)%11))
	}
	batch, err := m.PredictStrings(texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range texts {
		one, err := m.PredictStrings([]string{s})
		if err != nil {
			t.Fatal(err)
		}
		for k := range one[0] {
			if d := one[0][k] - batch[i][k]; d > 1e-4 || d < -1e-4 {
				t.Errorf("text %d head %d: alone %.5f, in a batch %.5f", i, k, one[0][k], batch[i][k])
			}
		}
	}
	for k, v := range batch[2] {
		if v != 0 {
			t.Errorf("empty text scored %v on head %d", v, k)
		}
	}
}

var benchTexts = []string{
	"안녕하세요 오늘 축제 몇 시에 시작해요?",
	"시청 민원실은 몇 층인가요",
	"ㅋㅋㅋ 진짜 웃기다",
	"the library opens at nine",
	"이 씨발놈아 꺼져",
	"내일 회의 자료 공유 부탁드립니다",
	"you are a worthless idiot",
	"무료 쿠폰 받으세요 지금 바로 클릭",
}

func BenchmarkPredictOne(b *testing.B) {
	m := openCommitted(b)
	ts := make([]*textnorm.Text, len(benchTexts))
	for i, s := range benchTexts {
		ts[i] = textnorm.Normalize(s)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := m.Predict(ts[i%len(ts) : i%len(ts)+1]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPredictBatch64(b *testing.B) {
	m := openCommitted(b)
	ts := make([]*textnorm.Text, 64)
	for i := range ts {
		ts[i] = textnorm.Normalize(benchTexts[i%len(benchTexts)])
	}
	b.ReportAllocs()
	b.ResetTimer()
	// One batch per goroutine at a time, GOMAXPROCS goroutines: the
	// throughput of the machine's cores.
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := m.Predict(ts); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N*64)/b.Elapsed().Seconds(), "msgs/s")
}

// TestLoadManifestIsStrict: a manifest with a repeated key, a key in
// another case or an unknown key is refused, not read leniently.
func TestLoadManifestIsStrict(t *testing.T) {
	good, err := os.ReadFile(committed)
	if err != nil {
		t.Fatal(err)
	}
	body := strings.TrimPrefix(strings.TrimSpace(string(good)), "{")
	for name, doc := range map[string]string{
		"repeated key": `{"name": "other",` + body,
		"case":         `{"Name": "other",` + body,
		"unknown key":  `{"extra": 1,` + body,
	} {
		path := t.TempDir() + "/manifest.json"
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadManifest(path); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := LoadManifest(committed); err != nil {
		t.Errorf("the committed manifest: %v", err)
	}
}
