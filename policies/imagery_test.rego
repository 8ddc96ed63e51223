package haechi.principles.imagery_test

import data.haechi.testlib as tl

image(scores, matches) := object.union(tl.as_image(tl.chat(scores), ["image"]), {"signals": {"hash_matches": matches}})

in_youth(inp) := object.union(inp, {"event": {"space": {"type": "youth"}}})

match(bank, negative) := {"bank": bank, "label": "x", "algorithm": "pdq", "distance": 12, "negative": negative}

test_bank_match_blocks if {
	d := tl.decide(image({}, [match("ncmec", false)]))
	d.action == "block"
	d.rule_ids == ["imagery.hash_match"]
	d.categories == ["hash_match"]
}

test_bank_action_from_data if {
	d := tl.decide(image({}, [match("csam", false)])) with data.haechi.config.images.banks as {"csam": {"action": "escalate", "queue": "youth_safety"}}
	d.action == "escalate"
	d.queue == "youth_safety"
}

test_negative_bank_cancels_match if {
	d := tl.decide(image({}, [match("ncmec", false), match("known_good", true)]))
	d.action == "allow"
}

test_negative_match_alone_allows if {
	tl.decide(image({}, [match("known_good", true)])).action == "allow"
}

test_bank_match_only_for_images if {
	# hash matches on a chat message (not expected) fire nothing here
	d := tl.decide(object.union(tl.chat({}), {"signals": {"hash_matches": [match("ncmec", false)]}}))
	d.action == "allow"
}

test_nudity_blocks_everywhere if {
	tl.decide(image({"nudity": 0.7}, [])).action == "block"
	tl.decide(in_youth(image({"nudity": 0.7}, []))).action == "block"
	tl.decide(image({"nudity": 0.69}, [])).action == "allow"
}

test_suggestive_held_in_youth_only if {
	d := tl.decide(in_youth(image({"suggestive": 0.6}, [])))
	d.action == "hold"
	d.rule_ids == ["imagery.suggestive.hold"]
	tl.decide(image({"suggestive": 0.95}, [])).action == "allow"
	tl.decide(in_youth(image({"suggestive": 0.59}, []))).action == "allow"
}

test_analysed_image_not_held_as_unanalysed if {
	d := tl.decide(image({}, []))
	not "content.image.unanalysed" in d.rule_ids
}
