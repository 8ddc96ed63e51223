package haechi.principles.content_test

import data.haechi.testlib as tl

test_image_unanalysed_fires if {
	d := tl.decide(tl.as_image(tl.chat({}), ["text"]))
	d.action == "hold"
	d.rule_ids == ["content.image.unanalysed"]
	d.categories == []
	d.queue == "general"
	d.severity == "low"
	d.principle == "responsibility_for_the_future"
}

test_image_unanalysed_fires_without_analysed_list if {
	inp := json.remove(tl.as_image(tl.chat({}), []), ["signals/analysed"])
	tl.ids(inp) == ["content.image.unanalysed"]
}

test_image_analysed_not_held if {
	d := tl.decide(tl.as_image(tl.chat({}), ["text", "image"]))
	d.action == "allow"
	d.rule_ids == []
}

test_image_rule_only_for_images if {
	every kind in ["chat", "voice"] {
		inp := object.union(tl.chat({}), {"event": {"kind": kind, "asr_confidence": 0.9}, "signals": {"analysed": ["text"]}})
		tl.decide(inp).action == "allow"
	}
}

test_image_unanalysed_with_other_rules if {
	d := tl.decide(tl.as_image(tl.chat({"hate": 0.7}), ["text"]))
	d.action == "block"
	d.rule_ids == ["respect.hate.block", "content.image.unanalysed", "respect.hate.hold"]
	d.categories == ["hate"]
}
