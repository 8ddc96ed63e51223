# Offensive imagery: images matching a bank of known abusive images, nudity
# anywhere, suggestive images where minors are. A match in a negative bank
# (known-good images) cancels bank matches, so a benign image that happens
# to collide with a bank entry is not blocked for it.
package haechi.principles.imagery

import data.haechi.config
import data.haechi.lib
import data.haechi.principles.personal_information

# bank_matches are the matches in banks that are not negative.
bank_matches contains m if {
	some m in input.signals.hash_matches
	not m.negative
}

known_good if {
	some m in input.signals.hash_matches
	m.negative
}

# bank_action is what a bank asks for: its own action in data.json, else
# the default.
bank_action(bank) := a if {
	a := config.images.banks[bank].action
} else := config.images.default_bank_action

violation contains {
	"rule_id": "imagery.hash_match",
	"action": bank_action(m.bank),
	"category": "hash_match",
	"principle": "inclusiveness",
	"value": "safe_experience",
	"severity": "critical",
	"queue": object.get(config.images.banks, [m.bank, "queue"], "senior"),
	"reason": {
		"ko": "알려진 유해 이미지와 일치하여 차단되었습니다.",
		"en": "The image matches a known harmful image and was stopped.",
	},
} if {
	input.event.kind == "image"
	some m in bank_matches
	not known_good
}

by_threshold.nudity.block := {
	"rule_id": "imagery.nudity.block",
	"action": "block",
	"category": "nudity",
	"principle": "inclusiveness",
	"value": "safe_experience",
	"severity": "high",
	"reason": {
		"ko": "노출이 심한 이미지라 차단되었습니다.",
		"en": "The image was blocked for nudity.",
	},
}

by_threshold.suggestive.hold := {
	"rule_id": "imagery.suggestive.hold",
	"action": "hold",
	"category": "suggestive",
	"principle": "responsibility_for_the_future",
	"value": "safe_experience",
	"severity": "medium",
	"reason": {
		"ko": "선정적일 수 있는 이미지라 검토를 기다립니다.",
		"en": "The image may be sexually suggestive and awaits review.",
	},
}

violation contains v if {
	some cat, levels in lib.reached
	some level, _ in levels
	v := by_threshold[cat][level]
}

# Text in images (OCR). input.signals.image_text is there when the image's
# text was read (signals.analysed names "image_text"; words 0 when it had
# none): its evidence per category, built by the engine as signals.evidence
# is but from the image's text alone, its PII as {type, score} and its
# number of words. It is not in lib.reached, which stays the caption's: the
# rules below compare it with the space's thresholds themselves
# (lib.threshold, lib.reaches), so the thresholds are the chat's.
#
# Profanity that chat would mask holds an image in the space types of
# config.images.text.profanity_hold_spaces. Personal information that chat
# would mask is masked in the image too: the decision redacts, and the
# engine delivers a copy of the image with the words' boxes filled
# (imagery.text.pii.redact). Where the space type must not risk a copy
# (config.images.text.pii_hold_spaces: youth, legal, HR), where a piece of
# it lies partly outside the boxes the reader gave (signals.image_text.pii
# boxed false), or when the copy could not be made (the engine asks again
# with signals.image_text.redaction_failed), the image is held: a redact
# without a copy would deliver the original.

# text_rule.<category>.<level> is the rule that fires when the image's text
# reaches that level of the category in this space.
text_rule.threat.hold := {
	"rule_id": "imagery.text.threat.hold",
	"action": "hold",
	"category": "threat",
	"principle": "reciprocity",
	"value": "safe_experience",
	"severity": "medium",
	"reason": {
		"ko": "이미지 속 글에 폭력을 암시하는 표현이 있어 검토를 기다립니다.",
		"en": "The text in the image suggests violence and awaits review.",
	},
}

text_rule.threat.block := {
	"rule_id": "imagery.text.threat.block",
	"action": "block",
	"category": "threat",
	"principle": "reciprocity",
	"value": "safe_experience",
	"severity": "high",
	"reason": {
		"ko": "이미지 속 글에 다른 사람을 해치겠다는 위협이 있어 차단되었습니다.",
		"en": "The image was blocked because its text threatens to harm someone.",
	},
}

text_rule.hate.hold := {
	"rule_id": "imagery.text.hate.hold",
	"action": "hold",
	"category": "hate",
	"principle": "inclusiveness",
	"value": "safe_experience",
	"severity": "medium",
	"reason": {
		"ko": "이미지 속 글이 혐오 표현일 수 있어 검토를 기다립니다.",
		"en": "The text in the image may attack people for who they are and awaits review.",
	},
}

text_rule.hate.block := {
	"rule_id": "imagery.text.hate.block",
	"action": "block",
	"category": "hate",
	"principle": "inclusiveness",
	"value": "safe_experience",
	"severity": "high",
	"reason": {
		"ko": "이미지 속 글에 혐오 표현이 있어 차단되었습니다.",
		"en": "The image was blocked because its text attacks people for who they are.",
	},
}

text_rule.scam.hold := {
	"rule_id": "imagery.text.scam.hold",
	"action": "hold",
	"category": "scam",
	"principle": "fairness",
	"value": "sustainable_prosperity",
	"severity": "medium",
	"reason": {
		"ko": "이미지 속 글이 사기나 불법 거래로 의심되어 검토를 기다립니다.",
		"en": "The text in the image may be a scam or illegal trade and awaits review.",
	},
}

text_rule.scam.block := {
	"rule_id": "imagery.text.scam.block",
	"action": "block",
	"category": "scam",
	"principle": "fairness",
	"value": "sustainable_prosperity",
	"severity": "high",
	"reason": {
		"ko": "이미지 속 글이 사기로 판단되어 차단되었습니다.",
		"en": "The image was blocked because its text is a scam.",
	},
}

# Profanity that chat would mask (its redact level) holds an image, only
# in the space types that data.json names.
text_rule.profanity.redact := {
	"rule_id": "imagery.text.profanity.hold",
	"action": "hold",
	"category": "profanity",
	"principle": "inclusiveness",
	"value": "safe_experience",
	"severity": "low",
	"reason": {
		"ko": "이미지 속 글에 이 공간에서 허용되지 않는 욕설이 있어 검토를 기다립니다.",
		"en": "The text in the image contains profanity not allowed in this space and awaits review.",
	},
} if lib.space_type in config.images.text.profanity_hold_spaces

violation contains v if {
	input.event.kind == "image"
	some cat, s in input.signals.image_text.evidence
	some level, v in text_rule[cat]
	lib.reaches(s, lib.threshold(cat, level))
}

# text_pii are the pieces of PII found in the image's text with enough
# confidence, of the types data.json names, that this sender may not
# share in this space (the allowances of personal information in chat).
text_pii contains p if {
	some p in input.signals.image_text.pii
	p.score >= config.pii.min_score
	p.type in config.images.text.pii_types
	not p.type in personal_information.allowed_types
}

text_pii_types := {p.type | some p in text_pii}

# pii_held_by_space holds where an image with personal information waits
# for a person rather than going out redacted.
pii_held_by_space if lib.space_type in config.images.text.pii_hold_spaces

# unredactable holds when no copy can hide all of the image's PII.
unredactable if {
	some p in text_pii
	not p.boxed
}

unredactable if input.signals.image_text.redaction_failed

violation contains {
	"rule_id": "imagery.text.pii.redact",
	"action": "redact",
	"category": "pii",
	"principle": "personal_information_protection",
	"value": "safe_experience",
	"severity": "low",
	"redact": {"pii": sort(text_pii_types)},
	"reason": {
		"ko": "이미지에 보이는 개인정보를 가렸습니다.",
		"en": "The personal information shown in the image was masked.",
	},
} if {
	input.event.kind == "image"
	count(text_pii) > 0
	not pii_held_by_space
	not unredactable
}

violation contains {
	"rule_id": "imagery.text.pii.hold",
	"action": "hold",
	"category": "pii",
	"principle": "personal_information_protection",
	"value": "safe_experience",
	"severity": "medium",
	"reason": {
		"ko": "이미지에 개인정보가 보여 검토를 기다립니다.",
		"en": "The image shows personal information and awaits review.",
	},
} if {
	input.event.kind == "image"
	count(text_pii) > 0
	pii_held_by_space
}

violation contains {
	"rule_id": "imagery.text.pii.unredactable",
	"action": "hold",
	"category": "pii",
	"principle": "personal_information_protection",
	"value": "safe_experience",
	"severity": "medium",
	"reason": {
		"ko": "이미지에 보이는 개인정보를 자동으로 가리지 못해 검토를 기다립니다.",
		"en": "The personal information shown in the image could not be masked automatically; the image awaits review.",
	},
} if {
	input.event.kind == "image"
	count(text_pii) > 0
	not pii_held_by_space
	unredactable
}

# An image whose text nobody read (the reading failed, took too long, or
# no reader is configured) is never delivered unseen in the space types
# that wait for it: a failure there must not mean allow.
violation contains {
	"rule_id": "imagery.text.unanalysed",
	"action": "hold",
	"principle": "responsibility_for_the_future",
	"value": "safe_experience",
	"severity": "low",
	"reason": {
		"ko": "이미지 속 글을 자동으로 확인하지 못해 검토를 기다립니다.",
		"en": "The text in the image could not be checked automatically and awaits review.",
	},
} if {
	input.event.kind == "image"
	lib.space_type in config.images.text.wait_spaces
	not lib.analysed("image_text")
}
