package textmodel

import (
	"bufio"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"
)

// Heads are the labels examples carry and the models' outputs, in column
// order. A model may have fewer (the first model has no spam head); a head
// a model lacks is left out of its evaluation.
var Heads = []string{"toxic", "insult", "profanity", "hate", "harassment", "sexual", "threat", "self_harm", "spam"}

// Head indices.
const (
	HeadToxic = iota
	HeadInsult
	HeadProfanity
	HeadHate
	HeadHarassment
	HeadSexual
	HeadThreat
	HeadSelfHarm
	HeadSpam
)

// Label values: a head can be known positive, known negative or unknown (a
// source that says a text is offensive but not whether it is an insult).
// Unknown heads do not count in the loss or in evaluation.
const (
	Unknown  int8 = -1
	Negative int8 = 0
	Positive int8 = 1
)

// Split says what an example is used for.
type Split uint8

// Splits.
const (
	SplitTrain Split = iota
	SplitValid       // early stopping and threshold choice
	SplitTest        // never trained or tuned on; the model card reports on it
)

func (s Split) String() string { return [...]string{"train", "valid", "test"}[s] }

// Example is one labelled text.
type Example struct {
	ID, Lang, Source, Text string
	Labels                 []int8 // one per head
	Split                  Split
}

// splitOf assigns an example to a split by a hash of its id, so the split
// is the same on every run and every machine: 15 % test, 10 % validation.
func splitOf(id string) Split {
	h := fnv.New32a()
	h.Write([]byte(id))
	switch v := h.Sum32() % 100; {
	case v < 15:
		return SplitTest
	case v < 25:
		return SplitValid
	}
	return SplitTrain
}

// Splits returns the examples of each split, in order.
func Splits(examples []Example) (train, valid, test []Example) {
	for _, e := range examples {
		switch e.Split {
		case SplitTrain:
			train = append(train, e)
		case SplitValid:
			valid = append(valid, e)
		case SplitTest:
			test = append(test, e)
		}
	}
	return train, valid, test
}

// rawRow is a line of ../shared/datasets/text/*.jsonl.
type rawRow struct {
	ID     string         `json:"id"`
	Lang   string         `json:"lang"`
	Source string         `json:"source"`
	Text   string         `json:"text"`
	Labels map[string]any `json:"labels"`
}

// datasetFiles are the shared datasets this package knows how to map.
var datasetFiles = []string{
	"beep_train.jsonl", "kmhas_valid.jsonl", "curse.jsonl",
	"davidson.jsonl", "olid_train.jsonl", "hatexplain_val.jsonl",
	"kosbi_valid.jsonl", "zizun.jsonl", "sms_spam.jsonl",
}

// LoadShared reads the public datasets in dir (../shared/datasets/text)
// and maps each source's labels onto the heads (see mapLabels).
func LoadShared(dir string) ([]Example, error) {
	var out []Example
	for _, name := range datasetFiles {
		rows, err := readRows(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			labels, err := mapLabels(r.Source, r.Labels)
			if err != nil {
				return nil, fmt.Errorf("textmodel: %s %s: %w", name, r.ID, err)
			}
			out = append(out, Example{ID: r.ID, Lang: r.Lang, Source: r.Source, Text: r.Text, Labels: labels, Split: splitOf(r.ID)})
		}
	}
	return out, nil
}

// LoadLabelled reads JSON lines {"id","text","lang","labels":{head: 0|1}}
// (Haechi's seed data and evaluation files); heads a line does not name are
// unknown. source labels the examples.
func LoadLabelled(path, source string) ([]Example, error) {
	rows, err := readRows(path)
	if err != nil {
		return nil, err
	}
	out := make([]Example, 0, len(rows))
	for _, r := range rows {
		labels := unknownLabels()
		for k, v := range r.Labels {
			i := headIndex(k)
			if i < 0 {
				continue
			}
			n, ok := v.(float64)
			if !ok || (n != 0 && n != 1) {
				return nil, fmt.Errorf("textmodel: %s %s: label %s must be 0 or 1", path, r.ID, k)
			}
			labels[i] = int8(n)
		}
		src := r.Source
		if src == "" {
			src = source
		}
		out = append(out, Example{ID: r.ID, Lang: r.Lang, Source: src, Text: r.Text, Labels: labels, Split: splitOf(r.ID)})
	}
	return out, nil
}

func readRows(path string) ([]rawRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("textmodel: %w", err)
	}
	defer f.Close()
	var rows []rawRow
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		var r rawRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("textmodel: %s:%d: %w", path, line, err)
		}
		if r.ID == "" || r.Text == "" {
			return nil, fmt.Errorf("textmodel: %s:%d: id and text are required", path, line)
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("textmodel: %s: %w", path, err)
	}
	return rows, nil
}

func headIndex(name string) int {
	for i, h := range Heads {
		if h == name {
			return i
		}
	}
	return -1
}

func unknownLabels() []int8 {
	l := make([]int8, len(Heads))
	for i := range l {
		l[i] = Unknown
	}
	return l
}

func allNegative() []int8 { return make([]int8, len(Heads)) }

// mapLabels maps a source's own labels onto the heads. A text a source
// calls clean is negative on every head. An abusive text is positive on
// toxic and on the heads the source's labels imply, and unknown on the
// rest: most sources do not say whether abuse is profane or insulting.
func mapLabels(source string, raw map[string]any) ([]int8, error) {
	str := func(k string) string { s, _ := raw[k].(string); return s }
	num := func(k string) float64 { n, _ := raw[k].(float64); return n }
	l := unknownLabels()
	switch source {
	case "beep":
		// hate: none | offensive | hate (BEEP's "hate" is strong hostility,
		// not necessarily at a protected group); bias: gender | others | none.
		switch str("hate") {
		case "none":
			return allNegative(), nil
		case "offensive", "hate":
			l[HeadToxic] = Positive
			l[HeadInsult] = Positive
			if b := str("bias"); b == "gender" || b == "others" {
				l[HeadHate] = Positive
			} else if b == "none" {
				l[HeadHate] = Negative
			}
		default:
			return nil, fmt.Errorf("beep hate label %q", str("hate"))
		}
	case "kmhas":
		// Multi-label news-comment hate. Attacks on origin, appearance or
		// disability, age, gender, race or religion are hate on a protected
		// identity; politics is abuse of a political side (insult).
		if num("not_hate") == 1 {
			return allNegative(), nil
		}
		l[HeadToxic] = Positive
		protected := false
		for _, k := range []string{"origin", "physical", "age", "gender", "race", "religion"} {
			protected = protected || num(k) == 1
		}
		l[HeadHate] = b2l(protected)
		l[HeadProfanity] = b2l(num("profanity") == 1)
		if num("politics") == 1 {
			l[HeadInsult] = Positive
		}
	case "curse":
		// curse covers abuse, slurs and sexual or sexist remarks.
		if num("curse") == 0 {
			return allNegative(), nil
		}
		l[HeadToxic] = Positive
	case "davidson":
		switch str("class") {
		case "neither":
			return allNegative(), nil
		case "offensive":
			l[HeadToxic] = Positive
			l[HeadHate] = Negative
		case "hate":
			l[HeadToxic] = Positive
			l[HeadHate] = Positive
		default:
			return nil, fmt.Errorf("davidson class %q", str("class"))
		}
	case "olid":
		// a: OFF/NOT; b: TIN (targeted insult) / UNT (untargeted, i.e.
		// profanity); c: IND (one person: harassment) / GRP / OTH.
		if str("a") == "NOT" {
			return allNegative(), nil
		}
		l[HeadToxic] = Positive
		switch str("b") {
		case "TIN":
			l[HeadInsult] = Positive
			l[HeadHarassment] = b2l(str("c") == "IND")
		case "UNT":
			l[HeadInsult] = Negative
			l[HeadHarassment] = Negative
			l[HeadProfanity] = Positive
		}
	case "hatexplain":
		switch str("class") {
		case "normal":
			return allNegative(), nil
		case "offensive":
			l[HeadToxic] = Positive
			l[HeadHate] = Negative
		case "hatespeech":
			l[HeadToxic] = Positive
			l[HeadHate] = Positive
		default:
			return nil, fmt.Errorf("hatexplain class %q", str("class"))
		}
	case "kosbi":
		// Sentences about social groups, written to be safe or unsafe.
		// Explicit stereotypes, prejudice and discrimination are hate on a
		// protected identity and toxic. Implicit or unexplained "unsafe"
		// ones ("this generation talks by smartphone") read like neutral
		// mentions of a group: taught as hate they made the model flag
		// neutral sentences about groups (8.6 % of KoSBi's safe test
		// sentences), so they count on no head.
		switch str("sentence_label") {
		case "safe":
			return allNegative(), nil
		case "unsafe":
			subs, _ := raw["sentence_sub_label"].([]any)
			for _, sub := range subs {
				if s, _ := sub.(string); strings.HasSuffix(s, "_explicit") {
					l[HeadToxic] = Positive
					l[HeadHate] = Positive
				}
			}
		default:
			return nil, fmt.Errorf("kosbi sentence_label %q", str("sentence_label"))
		}
	case "zizun":
		if num("malicious") == 0 {
			return allNegative(), nil
		}
		l[HeadToxic] = Positive
	case "sms_spam":
		// Spam is rarely abusive, but the source does not say.
		if num("spam") == 0 {
			return allNegative(), nil
		}
		l[HeadSpam] = Positive
	default:
		return nil, fmt.Errorf("unknown source %q", source)
	}
	return l, nil
}

func b2l(b bool) int8 {
	if b {
		return Positive
	}
	return Negative
}
