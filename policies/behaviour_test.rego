package haechi.principles.behaviour_test

import data.haechi.testlib as tl

# quiet is the behaviour block of a message that belongs to no pattern:
# the first message of an established account.
quiet := {
	"rate_10s": 1, "rate_60s": 1, "rate_10m": 1,
	"repeats": 0, "near_repeats": 0, "wave_senders": 1,
	"account_age_hours": 5000, "pile_on_senders": 0,
}

# with_behaviour lays fields over quiet, with the gate open as the engine
# opens it for counts past the floors (engine.BehaviourSignals.Notable).
with_behaviour(inp, fields) := object.union(inp, {"signals": {"behaviour": object.union(object.union(quiet, {"notable": true}), fields)}})

with_cues(inp, cues) := object.union(inp, {"signals": {"cues": cues}})

unknown_link := tl.link("promo-example.com", "promo-example.com")

city_link := tl.link("www.seoul.go.kr", "seoul.go.kr")

test_quiet_message_allowed if {
	tl.decide(with_behaviour(tl.chat({}), {})).action == "allow"
}

test_patterns_skipped_when_not_notable if {
	# The engine marks no message with these counts quiet; if it did, the
	# gate would skip the pattern rules (and the bundle would be refused
	# at load, since they fire below the floors).
	inp := with_behaviour(tl.chat({}), {"rate_10s": 50, "notable": false})
	tl.decide(inp).action == "allow"
	tl.fires("prosperity.flood.rate", with_behaviour(tl.chat({}), {"rate_10s": 50}))
}

test_reported_sender_needs_no_behaviour if {
	# Repeat reports come from the store, with or without a tracker.
	tl.fires("reciprocity.reported_sender", object.union(tl.chat({"harassment": 0.32}), {"user": {"reporters": 4}}))
}

# Flooding

test_flood_rate_blocks_without_case if {
	d := tl.decide(with_behaviour(tl.chat({}), {"rate_10s": 10}))
	d.action == "block"
	d.rule_ids == ["prosperity.flood.rate"]
	d.categories == ["spam"]
	d.queue == ""
}

test_flood_rate_per_minute if {
	tl.fires("prosperity.flood.rate", with_behaviour(tl.chat({}), {"rate_10s": 3, "rate_60s": 30}))
}

test_flood_rate_below_threshold if {
	tl.decide(with_behaviour(tl.chat({}), {"rate_10s": 9, "rate_60s": 29})).action == "allow"
}

test_flood_rate_stricter_in_youth_space if {
	inp := with_behaviour(tl.in_space("youth", {}), {"rate_10s": 8})
	tl.fires("prosperity.flood.rate", inp)
	not tl.fires("prosperity.flood.rate", with_behaviour(tl.chat({}), {"rate_10s": 8}))
}

test_flood_repeat_needs_speed if {
	# The fourth copy within a minute is stopped.
	tl.fires("prosperity.flood.repeat", with_behaviour(tl.chat({}), {"near_repeats": 3, "rate_60s": 4}))
	# The same "ㅋㅋ" now and then over ten minutes is chat, not a flood.
	tl.decide(with_behaviour(tl.chat({}), {"near_repeats": 4, "rate_60s": 2})).action == "allow"
	# Saying it three times is not a flood either.
	tl.decide(with_behaviour(tl.chat({}), {"near_repeats": 2, "rate_60s": 6})).action == "allow"
}

# Waves

test_wave_with_unknown_link_held if {
	inp := tl.with_links(with_behaviour(tl.chat({}), {"wave_senders": 5}), [unknown_link], 0.3)
	d := tl.decide(inp)
	d.action == "hold"
	"prosperity.wave.link" in d.rule_ids
	d.categories == ["spam"]
}

test_wave_of_city_links_allowed if {
	inp := tl.with_links(with_behaviour(tl.chat({}), {"wave_senders": 12}), [city_link], 0.3)
	tl.decide(inp).action == "allow"
}

test_wave_without_link_from_old_accounts_allowed if {
	# Many people saying the same greeting at a festival.
	tl.decide(with_behaviour(tl.chat({}), {"wave_senders": 30})).action == "allow"
}

test_wave_from_new_accounts_held if {
	inp := with_behaviour(tl.chat({}), {"wave_senders": 6, "account_age_hours": 2})
	tl.fires("prosperity.wave.new_accounts", inp)
	not tl.fires("prosperity.wave.new_accounts", with_behaviour(tl.chat({}), {"wave_senders": 6, "account_age_hours": -1}))
	not tl.fires("prosperity.wave.new_accounts", with_behaviour(tl.chat({}), {"wave_senders": 4, "account_age_hours": 2}))
}

test_wave_by_staff_allowed if {
	inp := tl.with_links(with_behaviour(tl.input_for("plaza", "staff", {}), {"wave_senders": 9, "account_age_hours": 1}), [unknown_link], 0.3)
	tl.decide(inp).action == "allow"
}

test_wave_threshold_per_space if {
	inp := tl.with_links(with_behaviour(tl.in_space("youth", {}), {"wave_senders": 3}), [unknown_link], 0.3)
	tl.fires("prosperity.wave.link", inp)
	not tl.fires("prosperity.wave.link", tl.with_links(with_behaviour(tl.chat({}), {"wave_senders": 3}), [unknown_link], 0.3))
}

# Link domains spread by many senders

test_domain_spread_by_new_account_held if {
	inp := tl.with_links(with_behaviour(tl.chat({}), {"account_age_hours": 30, "domain_senders": {"promo-example.com": 5}}), [unknown_link], 0.3)
	tl.fires("prosperity.domain.spread", inp)
}

test_domain_spread_by_old_account_allowed if {
	inp := tl.with_links(with_behaviour(tl.chat({}), {"domain_senders": {"promo-example.com": 9}}), [unknown_link], 0.3)
	not tl.fires("prosperity.domain.spread", inp)
}

test_domain_spread_of_city_site_allowed if {
	inp := tl.with_links(with_behaviour(tl.chat({}), {"account_age_hours": 1, "domain_senders": {"seoul.go.kr": 40}}), [city_link], 0.3)
	tl.decide(inp).action == "allow"
}

# New accounts posting links

test_new_account_link_in_youth_space_held if {
	inp := tl.with_links(with_behaviour(tl.in_space("youth", {}), {"account_age_hours": 3}), [unknown_link], 0.3)
	d := tl.decide(inp)
	d.action == "hold"
	"prosperity.new_account.link" in d.rule_ids
}

test_new_account_link_in_plaza_allowed if {
	inp := tl.with_links(with_behaviour(tl.chat({}), {"account_age_hours": 3}), [unknown_link], 0.3)
	not tl.fires("prosperity.new_account.link", inp)
}

test_new_account_city_link_allowed if {
	inp := tl.with_links(with_behaviour(tl.in_space("youth", {}), {"account_age_hours": 0}), [city_link], 0.3)
	tl.decide(inp).action == "allow"
}

# Pile-ons

test_pile_on_holds_a_mild_insult if {
	inp := with_behaviour(tl.chat({"insult": 0.35}), {"pile_on_senders": 3})
	d := tl.decide(inp)
	d.action == "hold"
	"reciprocity.pile_on" in d.rule_ids
	"harassment" in d.categories
}

test_pile_on_spares_a_kind_message if {
	tl.decide(with_behaviour(tl.chat({"insult": 0.1}), {"pile_on_senders": 8})).action == "allow"
}

test_mild_insult_without_pile_on_allowed if {
	tl.decide(with_behaviour(tl.chat({"insult": 0.35}), {"pile_on_senders": 2})).action == "allow"
}

test_pile_on_stricter_in_youth_space if {
	tl.fires("reciprocity.pile_on", with_behaviour(tl.in_space("youth", {"harassment": 0.26}), {"pile_on_senders": 2}))
}

# Repeat reports

test_reported_sender_held_at_lower_bar if {
	inp := object.union(tl.chat({"harassment": 0.32}), {"user": {"reporters": 3}})
	tl.fires("reciprocity.reported_sender", inp)
	not tl.fires("reciprocity.reported_sender", object.union(tl.chat({"harassment": 0.32}), {"user": {"reporters": 2}}))
	not tl.fires("reciprocity.reported_sender", object.union(tl.chat({"harassment": 0.1}), {"user": {"reporters": 9}}))
}

# Grooming

# to_minor is an adult's direct message to a teen with this message's
# cues and the conversation's.
to_minor(now, history) := with_cues(with_behaviour(tl.with_recipient(tl.chat({}), "teen"), {"grooming": {"cues": history, "messages": 4, "cue_messages": count(history), "days": 1}}), now)

test_grooming_single_strong_cue_held if {
	d := tl.decide(to_minor(["contact_request"], ["contact_request"]))
	d.action == "hold"
	d.rule_ids == ["minors.grooming.hold"]
	d.categories == ["grooming"]
	d.queue == "youth_safety"
}

test_grooming_age_question_alone_held_in_private if {
	# An adult asking a child's age in a direct message waits for a
	# counsellor.
	d := tl.decide(to_minor(["age_question"], ["age_question"]))
	d.action == "hold"
	d.rule_ids == ["minors.grooming.hold"]
}

test_grooming_age_question_alone_allowed_in_youth_space if {
	# In the youth space's public chat one weak cue is not enough.
	inp := with_cues(with_behaviour(tl.in_space("youth", {}), {"grooming": {"cues": ["age_question"], "messages": 1, "cue_messages": 1, "days": 1}}), ["age_question"])
	tl.decide(inp).action == "allow"
	inp2 := with_cues(with_behaviour(tl.in_space("youth", {}), {"grooming": {"cues": ["age_question", "whereabouts_question"], "messages": 2, "cue_messages": 2, "days": 1}}), ["whereabouts_question"])
	tl.decide(inp2).action == "hold"
}

test_grooming_sequence_held if {
	# Age asked earlier, flattery now: the conversation, not the message.
	tl.decide(to_minor(["flattery"], ["age_question", "flattery"])).action == "hold"
}

test_grooming_sequence_escalated if {
	d := tl.decide(to_minor(["meeting_offline"], ["age_question", "flattery", "gift_offer", "meeting_offline"]))
	d.action == "escalate"
	d.rule_ids == ["minors.grooming.escalate", "minors.grooming.hold"]
	d.queue == "youth_safety"
	d.severity == "critical"
}

test_grooming_message_without_cue_delivered if {
	# Below the escalation level an ordinary message still reaches the
	# minor.
	tl.decide(to_minor([], ["age_question", "secrecy", "flattery"])).action == "allow"
}

test_grooming_escalated_conversation_held if {
	# Past it, the sender's further messages wait for the counsellor.
	d := tl.decide(to_minor([], ["age_question", "secrecy", "platform_move", "photo_request"]))
	d.action == "hold"
	d.rule_ids == ["minors.grooming.conversation_held"]
	d.queue == "youth_safety"
}

test_grooming_staff_counsellor_allowed if {
	inp := object.union(to_minor(["age_question", "whereabouts_question"], ["age_question", "whereabouts_question", "secrecy"]), {"event": {"sender": {"role": "staff"}}})
	tl.decide(inp).action == "allow"
}

test_grooming_without_conversation_allowed if {
	# Cues outside a conversation with a minor (adults among themselves)
	# carry no grooming history.
	tl.decide(with_cues(with_behaviour(tl.chat({}), {}), ["contact_request", "meeting_offline"])).action == "allow"
}
