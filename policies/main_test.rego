package haechi.main_test

import data.haechi.testlib as tl

# An empty-signal chat message is allowed with nothing to explain.

test_empty_signals_allow if {
	d := tl.decide(tl.chat({}))
	d == {
		"action": "allow",
		"categories": [],
		"rule_ids": [],
		"principle": "",
		"value": "",
		"severity": "none",
		"queue": "",
		"redact": {"pii": [], "categories": []},
		"reasons": [],
		"fired": [],
	}
}

test_low_scores_and_toxic_alone_allow if {
	d := tl.decide(tl.chat({"toxic": 0.99, "insult": 0.1, "hate": 0.1}))
	d.action == "allow"
	d.rule_ids == []
	d.severity == "none"
}

# Precedence: escalate > block > hold > redact > allow.

test_block_beats_redact if {
	d := tl.decide(tl.chat({"insult": 0.5, "hate": 0.7}))
	d.action == "block"
	d.rule_ids == ["respect.hate.block", "respect.hate.hold", "respect.insult.redact"]
	d.categories == ["hate", "insult"]
	d.queue == ""
}

test_block_beats_pii_redact if {
	d := tl.decide(tl.with_pii(tl.chat({"harassment": 0.9}), ["phone"]))
	d.action == "block"
	d.rule_ids == ["safety.harassment.block", "safety.harassment.hold", "pii.redact"]
	d.categories == ["harassment", "pii"]
}

test_escalate_beats_block if {
	d := tl.decide(tl.chat({"hate": 0.7, "self_harm": 0.5}))
	d.action == "escalate"
	d.rule_ids == ["safety.self_harm.escalate", "respect.hate.block", "respect.hate.hold"]
	d.queue == "youth_safety"
	d.severity == "critical"
}

test_hold_beats_redact if {
	d := tl.decide(tl.chat({"harassment": 0.6, "profanity": 0.5}))
	d.action == "hold"
	d.rule_ids == ["safety.harassment.hold", "respect.profanity.redact"]
	d.queue == "general"
}

# Ordering: most restrictive first, then by rule id; reasons and fired
# follow the same order; top rule gives principle and value.

test_deterministic_ordering if {
	inp := tl.with_pii(
		tl.chat({"hate": 0.7, "harassment": 0.9, "insult": 0.5, "profanity": 0.5, "threat": 0.96}),
		["phone"],
	)
	d := tl.decide(inp)
	expected := [
		"safety.threat.escalate",
		"respect.hate.block",
		"safety.harassment.block",
		"safety.threat.block",
		"respect.hate.hold",
		"safety.harassment.hold",
		"safety.threat.hold",
		"pii.redact",
		"respect.insult.redact",
		"respect.profanity.redact",
	]
	d.rule_ids == expected
	[r.rule_id | some r in d.reasons] == expected
	[f.rule_id | some f in d.fired] == expected
	d.action == "escalate"
	d.categories == ["harassment", "hate", "insult", "pii", "profanity", "threat"]
	d.severity == "critical"
	d.queue == "senior"
	d.principle == "reciprocity"
	d.value == "safe_experience"
	d.redact == {"pii": ["phone"], "categories": ["insult", "profanity"]}
}

test_principle_from_top_rule if {
	d := tl.decide(tl.with_pii(tl.chat({"insult": 0.5}), ["phone"]))
	d.rule_ids == ["pii.redact", "respect.insult.redact"]
	d.principle == "personal_information_protection"
	d.value == "safe_experience"
}

test_severity_is_highest_fired if {
	d := tl.decide(tl.chat({"profanity": 0.5, "hate": 0.5}))
	d.severity == "medium"
	d2 := tl.decide(tl.chat({"profanity": 0.5, "spam": 0.7}))
	d2.severity == "low"
}

test_reasons_and_fired_shape if {
	d := tl.decide(tl.with_pii(tl.chat({"profanity": 0.5}), ["phone"]))
	d.reasons == [
		{
			"rule_id": "pii.redact",
			"ko": "메시지에 개인정보가 포함되어 해당 부분을 가렸습니다.",
			"en": "The message contained personal information, which was masked.",
		},
		{
			"rule_id": "respect.profanity.redact",
			"ko": "욕설이 포함되어 해당 표현을 가렸습니다.",
			"en": "The message contained profanity, which was masked.",
		},
	]
	d.fired[0] == {
		"rule_id": "pii.redact",
		"action": "redact",
		"category": "pii",
		"principle": "personal_information_protection",
		"value": "safe_experience",
		"severity": "low",
	}
	every f in d.fired {
		object.get(f, "reason", null) == null
		object.get(f, "redact", null) == null
	}
}

# Redact lists exactly the masked PII types and categories of fired rules.

test_redact_lists_masked_pii_and_categories if {
	spans := [
		tl.pii_span("phone", 0.95),
		tl.pii_span("email", 0.9),
		tl.pii_span("card", 0.2),
	]
	d := tl.decide(tl.with_spans(tl.chat({"profanity": 0.6, "insult": 0.5}), spans))
	d.action == "redact"
	d.rule_ids == ["pii.redact", "respect.insult.redact", "respect.profanity.redact"]
	d.redact == {"pii": ["email", "phone"], "categories": ["insult", "profanity"]}
}

test_redact_omits_allowed_pii if {
	inp := tl.with_pii(tl.input_for("business", "business", {"profanity": 0.6}), ["phone", "kr_rrn"])
	d := tl.decide(inp)
	d.redact == {"pii": ["kr_rrn"], "categories": ["profanity"]}
}

# Default queue per action; a rule's own queue wins among the top action.

test_default_queue_per_action if {
	tl.decide(tl.chat({})).queue == ""
	tl.decide(tl.chat({"profanity": 0.6})).queue == ""
	tl.decide(tl.chat({"harassment": 0.7})).queue == "general"
	tl.decide(tl.chat({"hate": 0.8})).queue == ""
	tl.decide(tl.chat({"threat": 0.99})).queue == "senior"
}

test_rule_queue_wins_over_default if {
	d := tl.decide(tl.with_pii(tl.in_space("youth", {"spam": 0.8}), ["phone"]))
	d.action == "hold"
	d.rule_ids == ["minors.contact_exchange", "prosperity.spam.contact", "pii.redact"]
	d.queue == "youth_safety"
}

test_lower_ranked_rule_queue_not_used if {
	d := tl.decide(tl.with_pii(tl.in_space("youth", {"hate": 0.6}), ["phone"]))
	d.action == "block"
	"minors.contact_exchange" in d.rule_ids
	d.queue == ""
}

test_queue_of_first_escalation_in_order if {
	d := tl.decide(tl.chat({"sexual_minors": 0.9, "threat": 0.99}))
	d.rule_ids[0] == "minors.sexual_minors.escalate"
	d.queue == "youth_safety"
}

# Repeat offenders: strikes >= 3 scale thresholds by 0.8.

test_repeat_offender_lower_thresholds if {
	tl.decide(tl.chat({"insult": 0.75})).action == "redact"
	tl.decide(tl.with_strikes(tl.chat({"insult": 0.75}), 2)).action == "redact"
	d := tl.decide(tl.with_strikes(tl.chat({"insult": 0.75}), 3))
	d.action == "block"
	d.rule_ids == ["respect.insult.block", "respect.insult.redact"]
	tl.decide(tl.with_strikes(tl.chat({"insult": 0.75}), 7)).action == "block"
}

test_repeat_offender_hold_level if {
	tl.decide(tl.chat({"hate": 0.45})).action == "allow"
	tl.decide(tl.with_strikes(tl.chat({"hate": 0.45}), 3)).action == "hold"
	tl.decide(tl.with_strikes(tl.chat({"hate": 0.39}), 3)).action == "allow"
}

test_repeat_offender_with_space_override if {
	tl.decide(tl.in_space("youth", {"hate": 0.49})).action == "hold"
	tl.decide(tl.with_strikes(tl.in_space("youth", {"hate": 0.49}), 3)).action == "block"
}

test_repeat_offender_missing_level_stays_unreachable if {
	d := tl.decide(tl.with_strikes(tl.chat({"profanity": 1, "spam": 0.5}), 10))
	d.rule_ids == ["respect.profanity.redact"]
	d.action == "redact"
}

# Scaled thresholds are compared with a tolerance: 0.6 * 0.8 is
# 0.48000000000000000002 in OPA arithmetic, and a repeat offender scoring
# exactly 0.48 must still reach it.
test_repeat_offender_exact_scaled_threshold if {
	d := tl.decide(tl.with_strikes(tl.in_space("youth", {"hate": 0.48}), 3))
	d.action == "block"
	"respect.hate.block" in d.rule_ids
	tl.decide(tl.with_strikes(tl.chat({"insult": 0.72}), 3)).action == "block"
	tl.decide(tl.with_strikes(tl.in_space("youth", {"hate": 0.47}), 3)).action == "hold"
}

# Space overrides.

test_youth_stricter_than_plaza if {
	scores := {"insult": 0.45, "hate": 0.45, "sexual": 0.45, "threat": 0.45}
	tl.decide(tl.chat(scores)).action == "allow"
	d := tl.decide(tl.in_space("youth", scores))
	d.action == "hold"
	d.rule_ids == ["respect.hate.hold", "safety.sexual.hold", "safety.threat.hold", "respect.insult.redact"]
}

test_scam_block_lower_in_business if {
	tl.decide(tl.in_space("business", {"scam": 0.65})).action == "block"
	tl.decide(tl.chat({"scam": 0.65})).action == "hold"
}

test_unlisted_space_uses_defaults if {
	tl.decide(tl.in_space("library", {"insult": 0.9})).action == "block"
	tl.decide(tl.in_space("library", {"insult": 0.45})).action == "allow"
}

# Voice: a block on a low-confidence transcript becomes a hold.

test_voice_low_confidence_block_downgraded if {
	d := tl.decide(tl.as_voice(tl.chat({"hate": 0.7}), 0.5))
	d.action == "hold"
	d.rule_ids == ["respect.hate.block", "respect.hate.hold"]
	d.queue == "general"
	d.fired[0] == {
		"rule_id": "respect.hate.block",
		"action": "hold",
		"downgraded_from": "block",
		"category": "hate",
		"principle": "inclusiveness",
		"value": "safe_experience",
		"severity": "high",
	}
	object.get(d.fired[1], "downgraded_from", null) == null
}

test_voice_confident_block_kept if {
	d := tl.decide(tl.as_voice(tl.chat({"hate": 0.7}), 0.6))
	d.action == "block"
	every f in d.fired {
		object.get(f, "downgraded_from", null) == null
	}
}

test_voice_low_confidence_escalate_kept if {
	d := tl.decide(tl.as_voice(tl.chat({"threat": 0.99}), 0.1))
	d.action == "escalate"
	d.rule_ids == ["safety.threat.escalate", "safety.threat.block", "safety.threat.hold"]
	d.fired[1].action == "hold"
	d.fired[1].downgraded_from == "block"
	d.queue == "senior"
}

test_voice_low_confidence_hold_and_redact_untouched if {
	d := tl.decide(tl.as_voice(tl.chat({"harassment": 0.7, "profanity": 0.6}), 0.2))
	d.action == "hold"
	d.rule_ids == ["safety.harassment.hold", "respect.profanity.redact"]
}

test_chat_not_downgraded if {
	tl.decide(tl.chat({"hate": 0.7})).action == "block"

	# only voice events are downgraded, whatever else the event carries
	inp := object.union(tl.chat({"hate": 0.7}), {"event": {"asr_confidence": 0.1}})
	tl.decide(inp).action == "block"
}
