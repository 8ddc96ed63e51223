package engine

import "time"

// ActionSchemaVersion is the version of ActionMessage.
const ActionSchemaVersion = 1

// Sources of an action message.
const (
	SourceAutomated = "automated" // the policy decided, at once
	SourceModerator = "moderator" // a person decided a case
)

// ActionMessage is what the world platform must enforce: the one message
// type of the actions topic, written to the store's outbox in the same
// transaction as the decision or case outcome that caused it and published
// from there at least once. ActionID is stable across repeats, so the
// platform can ignore one it has applied.
//
// Automated actions (Source "automated") follow a decision that restricts
// content; Action is the decision's action (redact, hold, block,
// escalate). Moderators' actions (Source "moderator") follow a case's
// outcome; Action is remove, restore, warn, mute, suspend, ban or
// unrestrict, and Until ends a mute, suspension or ban.
type ActionMessage struct {
	SchemaVersion int    `json:"schema_version"`
	ActionID      string `json:"action_id"`
	Source        string `json:"source"`
	Action        string `json:"action"`
	DecisionID    string `json:"decision_id,omitempty"`
	CaseID        string `json:"case_id,omitempty"`
	EventID       string `json:"event_id,omitempty"`
	EventKind     Kind   `json:"event_kind,omitempty"`
	World         string `json:"world,omitempty"`
	Space         *Space `json:"space,omitempty"`
	// UserID is the user the action applies to: the sender of the content.
	UserID string `json:"user_id,omitempty"`
	// RedactedText replaces the content when Action is redact.
	RedactedText string `json:"redacted_text,omitempty"`
	// RedactedImage replaces the image when Action is redact and the
	// image's text held personal information (see Decision).
	RedactedImage *RedactedImage `json:"redacted_image,omitempty"`
	RuleIDs       []string       `json:"rule_ids,omitempty"`
	Reasons       []Reason       `json:"reasons,omitempty"`
	// Queue is the review queue a person will look at the content in.
	Queue     string    `json:"queue,omitempty"`
	Until     time.Time `json:"until,omitzero"`
	DecidedBy string    `json:"decided_by,omitempty"`
	IssuedAt  time.Time `json:"issued_at"`
}

// AutomatedAction is the action message for d, or nil when d restricts
// nothing. Its id is derived from the decision's, so a decision stored
// once yields one action however often it is published.
func AutomatedAction(d *Decision) *ActionMessage {
	if !d.Action.Restricts() {
		return nil
	}
	space := d.Space
	return &ActionMessage{
		SchemaVersion: ActionSchemaVersion,
		ActionID:      d.ID + ":" + string(d.Action),
		Source:        SourceAutomated,
		Action:        string(d.Action),
		DecisionID:    d.ID,
		EventID:       d.EventID,
		EventKind:     d.EventKind,
		World:         d.World,
		Space:         &space,
		UserID:        d.SenderID,
		RedactedText:  d.RedactedText,
		RedactedImage: d.RedactedImage,
		RuleIDs:       d.RuleIDs,
		Reasons:       d.Reasons,
		Queue:         d.Queue,
		IssuedAt:      d.DecidedAt,
	}
}
