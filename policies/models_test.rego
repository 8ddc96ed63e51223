package haechi.models_test

import data.haechi.lib
import data.haechi.testlib as tl

# Pinned model thresholds, so these tests do not move when the model is
# retrained and policies/models/data.json rewritten.
thresholds := {
	"toxic": {"ko": 0.4, "en": 0.2, "all": 0.3},
	"insult": {"ko": 0.6, "en": 0.7, "all": 0.65},
	"self_harm": {"all": 0.5},
}

with_model(inp, probs, lang) := object.union(inp, {"signals": {"models": {"text": probs}, "lang": lang}})

test_model_at_threshold_reaches_first_level if {
	d := tl.decide(with_model(tl.chat({}), {"insult": 0.6}, "ko")) with data.models.text.thresholds as thresholds
	d.action == "redact"
	d.rule_ids == ["respect.insult.redact"]
	d.evidence.insult == 0.5
}

test_model_below_threshold_allows if {
	d := tl.decide(with_model(tl.chat({}), {"insult": 0.59}, "ko")) with data.models.text.thresholds as thresholds
	d.action == "allow"
	d.evidence.insult < 0.5
}

test_model_threshold_per_language if {
	# 0.65 is over the Korean insult threshold but under the English one.
	ko := tl.decide(with_model(tl.chat({}), {"insult": 0.65}, "ko")) with data.models.text.thresholds as thresholds
	ko.action == "redact"
	en := tl.decide(with_model(tl.chat({}), {"insult": 0.65}, "en")) with data.models.text.thresholds as thresholds
	en.action == "allow"
}

test_model_unknown_language_uses_pooled_threshold if {
	d := tl.decide(with_model(tl.chat({}), {"insult": 0.66}, "")) with data.models.text.thresholds as thresholds
	d.action == "redact"
	lib.model_lang == "all" with input as with_model(tl.chat({}), {}, "ja")
}

test_model_head_without_language_threshold if {
	d := tl.decide(with_model(tl.chat({}), {"self_harm": 0.55}, "ko")) with data.models.text.thresholds as thresholds
	d.action == "escalate"
	d.queue == "youth_safety"
}

test_confident_model_blocks if {
	# 0.98 maps to 0.5 + 0.5 × 0.38 / 0.4 = 0.975 ≥ the insult block level 0.9.
	d := tl.decide(with_model(tl.chat({}), {"insult": 0.98}, "ko")) with data.models.text.thresholds as thresholds
	d.action == "block"
}

test_rule_based_score_wins_when_higher if {
	d := tl.decide(with_model(tl.chat({"profanity": 0.9}), {"profanity": 0.1}, "ko")) with data.models.text.thresholds as thresholds
	d.evidence.profanity == 0.9
	d.action == "redact"
}

test_model_toxic_alone_does_not_act if {
	# toxic is the overall score; rules act on categories.
	d := tl.decide(with_model(tl.chat({}), {"toxic": 0.99}, "en")) with data.models.text.thresholds as thresholds
	d.action == "allow"
	d.evidence.toxic > 0.9
}

test_model_without_threshold_uses_half if {
	d := tl.decide(with_model(tl.chat({}), {"threat": 0.5}, "ko")) with data.models.text.thresholds as thresholds
	d.evidence.threat == 0.5
	d.action == "hold"
}
