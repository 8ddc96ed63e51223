package policy

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/haechi-tns/haechi/engine"
)

// modelThresholds holds, per learned model, per head and per language
// ("ko", "en", "all"), the probability at which the bundle's data says the
// model's evidence for that head reaches 0.5 on the policy's scale. It is
// read from data.models.<name>.thresholds when a revision is prepared.
type modelThresholds map[string]map[string]map[string]float64

// readModelThresholds extracts the thresholds from a bundle's data.
func readModelThresholds(data map[string]any) (modelThresholds, error) {
	models, _ := data["models"].(map[string]any)
	out := modelThresholds{}
	for name, v := range models {
		m, _ := v.(map[string]any)
		raw, ok := m["thresholds"]
		if !ok {
			continue
		}
		b, err := json.Marshal(raw)
		if err != nil {
			return nil, err
		}
		var th map[string]map[string]float64
		if err := json.Unmarshal(b, &th); err != nil {
			return nil, fmt.Errorf("policy: data.models.%s.thresholds: want {head: {lang: number}}: %w", name, err)
		}
		for head, langs := range th {
			for lang, t := range langs {
				if !(t > 0 && t < 1) {
					return nil, fmt.Errorf("policy: data.models.%s.thresholds.%s.%s is %v, want a number between 0 and 1", name, head, lang, t)
				}
			}
		}
		out[name] = th
	}
	return out, nil
}

// threshold returns the threshold of a model's head for a language,
// falling back to the pooled one ("all") and then to 0.5.
func (mt modelThresholds) threshold(model, head, lang string) float64 {
	langs := mt[model][head]
	if t, ok := langs[lang]; ok {
		return t
	}
	if t, ok := langs["all"]; ok {
		return t
	}
	return 0.5
}

// ScaleProbability maps a model probability p onto the policy's scale so
// that the model's threshold t lands at 0.5, 0 stays 0 and 1 stays 1,
// linearly on each side. Policy thresholds, written for rule-based scores
// such as lexicon weights, then apply to the model too: a score of 0.5 is
// "as sure as the model's chosen operating point", 0.9 is well beyond it.
func ScaleProbability(p, t float64) float64 {
	switch {
	case p <= 0:
		return 0
	case p >= 1:
		return 1
	case p < t:
		return 0.5 * p / t
	}
	return 0.5 + 0.5*(p-t)/(1-t)
}

// evidence combines an input's rule-based scores with its models'
// probabilities on the policy's scale: per category, the highest of the
// rule-based score and each model's scaled probability. OPA's arithmetic
// works on arbitrary-precision decimals and costs tens of microseconds per
// operation, so the mapping is done here, with the bundle's thresholds.
func (mt modelThresholds) evidence(sig *engine.Signals) engine.Scores {
	if len(sig.Models) == 0 {
		return sig.Scores
	}
	out := make(engine.Scores, len(sig.Scores)+8)
	for c, v := range sig.Scores {
		out[c] = v
	}
	lang := sig.Lang
	if lang != "ko" && lang != "en" {
		lang = "all"
	}
	for name, probs := range sig.Models {
		for c, p := range probs {
			out.Raise(c, ScaleProbability(p, mt.threshold(name, string(c), lang)))
		}
	}
	return out
}

// levels is data.haechi.config's thresholds and repeat-offender rule,
// read once per revision, so the engine can tell which action levels a
// score reaches without asking OPA to compare numbers. The policy defines
// the same (lib.computed_reached in policies/lib.rego); prepare refuses a
// bundle on whose data the two disagree (checkReached).
type levels struct {
	def        map[string]map[string]float64
	spaces     map[string]map[string]map[string]float64
	minStrikes int
	factor     float64
}

// tolerance matches lib.tolerance: rounding slack for scaled thresholds.
const tolerance = 1e-6

// floor is the lowest score at which any level of any category is reached
// in any space for any sender: the smallest threshold, scaled by the
// repeat-offender factor when that is below 1, less the tolerance.
// Evidence under it cannot fire a threshold rule, so the engine does not
// look at it.
func (l *levels) floor() float64 {
	floor := math.Inf(1)
	for _, lv := range l.def {
		for _, t := range lv {
			floor = min(floor, t)
		}
	}
	for _, cats := range l.spaces {
		for _, lv := range cats {
			for _, t := range lv {
				floor = min(floor, t)
			}
		}
	}
	if math.IsInf(floor, 1) {
		return 0
	}
	if l.factor > 0 && l.factor < 1 {
		floor *= l.factor
	}
	return max(0, floor-tolerance)
}

// graded reports whether data.json gives category c levels, by default
// or in some space; only graded categories can reach a level.
func (l *levels) graded(c engine.Category) bool {
	if _, ok := l.def[string(c)]; ok {
		return true
	}
	for _, cats := range l.spaces {
		if _, ok := cats[string(c)]; ok {
			return true
		}
	}
	return false
}

func readLevels(data map[string]any) (*levels, error) {
	haechi, _ := data["haechi"].(map[string]any)
	config, _ := haechi["config"].(map[string]any)
	var doc struct {
		Thresholds struct {
			Default map[string]map[string]float64            `json:"default"`
			Spaces  map[string]map[string]map[string]float64 `json:"spaces"`
		} `json:"thresholds"`
		RepeatOffender struct {
			MinStrikes      int     `json:"min_strikes"`
			ThresholdFactor float64 `json:"threshold_factor"`
		} `json:"repeat_offender"`
	}
	b, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("policy: data.haechi.config: %w", err)
	}
	return &levels{
		def: doc.Thresholds.Default, spaces: doc.Thresholds.Spaces,
		minStrikes: doc.RepeatOffender.MinStrikes, factor: doc.RepeatOffender.ThresholdFactor,
	}, nil
}

// reached returns, per category of candidates, the levels its score
// reaches in a space for a sender with the given strikes.
func (l *levels) reached(candidates engine.Scores, space engine.SpaceType, strikes int) map[engine.Category][]string {
	strict := l.factor != 0 && l.factor != 1 && l.minStrikes > 0 && strikes >= l.minStrikes
	var out map[engine.Category][]string
	for c, s := range candidates {
		cat := string(c)
		over := l.spaces[string(space)][cat]
		var got []string
		check := func(level string, t float64) {
			if strict {
				t *= l.factor
			}
			if s >= t || (strict && s >= t-tolerance) {
				got = append(got, level)
			}
		}
		for level, t := range l.def[cat] {
			if ot, ok := over[level]; ok {
				t = ot
			}
			check(level, t)
		}
		for level, t := range over {
			if _, ok := l.def[cat][level]; !ok {
				check(level, t)
			}
		}
		if len(got) > 0 {
			if out == nil {
				out = map[engine.Category][]string{}
			}
			out[c] = got
		}
	}
	return out
}
