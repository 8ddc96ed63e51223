package statement

import "github.com/haechi-tns/haechi/engine"

// Minimal returns a copy of d holding only what a statement of reasons
// (Build) and an appeal of the decision need, for decisions kept past
// their evidence's retention (engine/store's retention). It keeps:
//
//   - what Build reads: the ids, the kind and language of the content,
//     the action, categories, rule ids, principle, value, reasons and
//     the time;
//   - whom the decision concerns and where (sender, world, space): the
//     statement is addressed to the sender, who alone may appeal, and an
//     appeal is routed by the space type;
//   - the severity and queue the case of an appeal is opened with, and
//     the policy revision, which names the rules' version;
//   - the decision a follow-up supersedes, which says why an event has
//     two.
//
// It drops the evidence: scores, the PII, lexicon and link spans, hash
// matches, the fired rules' details, model versions, the masked text of a
// redact, which is the content itself with personal data masked, and the
// reference to a redacted copy of an image, which retention deletes with
// it.
// The result gives the same statement as d for every human decision
// (a test holds Build to that).
func Minimal(d *engine.Decision) *engine.Decision {
	return &engine.Decision{
		ID:             d.ID,
		EventID:        d.EventID,
		EventKind:      d.EventKind,
		Lang:           d.Lang,
		World:          d.World,
		Space:          d.Space,
		SenderID:       d.SenderID,
		Action:         d.Action,
		Categories:     d.Categories,
		RuleIDs:        d.RuleIDs,
		Principle:      d.Principle,
		Value:          d.Value,
		Severity:       d.Severity,
		Reasons:        d.Reasons,
		Queue:          d.Queue,
		PolicyRevision: d.PolicyRevision,
		DecidedAt:      d.DecidedAt,
		Supersedes:     d.Supersedes,
	}
}
