# Offensive imagery: images matching a bank of known abusive images, nudity
# anywhere, suggestive images where minors are. A match in a negative bank
# (known-good images) cancels bank matches, so a benign image that happens
# to collide with a bank entry is not blocked for it.
package haechi.principles.imagery

import data.haechi.config
import data.haechi.lib

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
