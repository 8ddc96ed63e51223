# Rules about how content reached Haechi rather than what it says.
package haechi.principles.content

import data.haechi.lib

# An image nobody could analyse is never delivered unseen.
violation contains {
	"rule_id": "content.image.unanalysed",
	"action": "hold",
	"principle": "responsibility_for_the_future",
	"value": "safe_experience",
	"severity": "low",
	"reason": {
		"ko": "이미지를 자동으로 검사하지 못해 검토를 기다립니다.",
		"en": "The image could not be checked automatically and awaits review.",
	},
} if {
	input.event.kind == "image"
	not lib.analysed("image")
}
