# Personal information protection: personal data typed into chat is masked
# before delivery, except contact details that businesses and staff share
# as part of their role.
package haechi.principles.personal_information

import data.haechi.config
import data.haechi.lib

# allowed_types are the PII types this sender may share in this space.
allowed_types contains t if {
	some t in object.get(config.pii.allowed, [lib.sender_role, lib.space_type], [])
}

allowed_types contains t if {
	some t in object.get(config.pii.allowed, [lib.sender_role, "*"], [])
}

masked_types := lib.pii_types - allowed_types

violation contains {
	"rule_id": "pii.redact",
	"action": "redact",
	"category": "pii",
	"principle": "personal_information_protection",
	"value": "safe_experience",
	"severity": "low",
	"redact": {"pii": sort(masked_types)},
	"reason": {
		"ko": "메시지에 개인정보가 포함되어 해당 부분을 가렸습니다.",
		"en": "The message contained personal information, which was masked.",
	},
} if {
	lib.has_pii
	count(masked_types) > 0
}
