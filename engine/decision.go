package engine

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Action is what happens to a piece of content.
type Action string

// Content actions, from least to most restrictive.
const (
	ActionAllow    Action = "allow"
	ActionRedact   Action = "redact"
	ActionHold     Action = "hold"
	ActionBlock    Action = "block"
	ActionEscalate Action = "escalate"
)

// Actions lists content actions in order of precedence, lowest first.
var Actions = []Action{ActionAllow, ActionRedact, ActionHold, ActionBlock, ActionEscalate}

// Rank orders actions by precedence: escalate > block > hold > redact > allow.
// An unknown action ranks -1.
func (a Action) Rank() int {
	for i, x := range Actions {
		if x == a {
			return i
		}
	}
	return -1
}

// Restricts reports whether the action keeps content from being delivered
// as sent.
func (a Action) Restricts() bool { return a.Rank() > ActionAllow.Rank() }

// Reason explains one fired rule in Korean and English, in words that can be
// shown to the user in a statement of reasons.
type Reason struct {
	RuleID string `json:"rule_id"`
	KO     string `json:"ko"`
	EN     string `json:"en"`
}

// FiredRule is one policy rule that matched the event.
type FiredRule struct {
	RuleID    string   `json:"rule_id"`
	Action    Action   `json:"action"`
	Category  Category `json:"category,omitempty"`
	Principle string   `json:"principle"`
	Value     string   `json:"value,omitempty"`
	Severity  string   `json:"severity"`
	Queue     string   `json:"queue,omitempty"`
	// DowngradedFrom is set when a rule's action was softened, such as a
	// block held for a person because the voice transcript is uncertain.
	DowngradedFrom Action `json:"downgraded_from,omitempty"`
}

// Redaction says what to mask when the action is redact.
type Redaction struct {
	PII        []PIIType  `json:"pii,omitempty"`
	Categories []Category `json:"categories,omitempty"`
}

// PolicyEvent is the part of an event that the policy sees: everything but
// the content itself, so that decision logs never hold message text.
type PolicyEvent struct {
	ID         string  `json:"id"`
	Kind       Kind    `json:"kind"`
	World      string  `json:"world"`
	Space      Space   `json:"space"`
	Sender     Party   `json:"sender"`
	Recipient  *Party  `json:"recipient,omitempty"`
	Lang       string  `json:"lang,omitempty"`
	TextLength int     `json:"text_length"`
	Confidence float64 `json:"asr_confidence,omitempty"`
}

// PolicyInput is the document the code-of-ethics policy evaluates.
type PolicyInput struct {
	Event   PolicyEvent `json:"event"`
	Signals *Signals    `json:"signals"`
	User    UserContext `json:"user"`
}

// PolicyResult is the policy's verdict for one input.
type PolicyResult struct {
	Action     Action     `json:"action"`
	Categories []Category `json:"categories"`
	RuleIDs    []string   `json:"rule_ids"`
	Principle  string     `json:"principle"`
	// Value is the core value of the code of ethics the principle serves:
	// sincere_identity, safe_experience or sustainable_prosperity.
	Value    string      `json:"value"`
	Severity string      `json:"severity"`
	Reasons  []Reason    `json:"reasons"`
	Queue    string      `json:"queue,omitempty"`
	Redact   Redaction   `json:"redact"`
	Fired    []FiredRule `json:"fired"`
	// Evidence is each category's score on the policy's scale, combining
	// rule-based scores with learned models' probabilities as the policy
	// weighed them.
	Evidence Scores `json:"evidence,omitempty"`
	// ImageTextEvidence is the same for the text in the event's image,
	// when it was read (signals.image_text.evidence).
	ImageTextEvidence Scores `json:"image_text_evidence,omitempty"`
	// Revision is the content hash of the policy bundle that decided.
	Revision string `json:"revision"`
}

// Policy evaluates the code of ethics. Implementations are safe for
// concurrent use and may swap revisions between calls.
type Policy interface {
	Evaluate(ctx context.Context, in *PolicyInput) (*PolicyResult, error)
}

// Decision is Haechi's verdict on one event: what to do with the content and
// why. It is data the world platform enforces and reviewers read; it never
// holds the original content, only the redacted text when the action is
// redact.
type Decision struct {
	ID        string `json:"decision_id"`
	EventID   string `json:"event_id"`
	EventKind Kind   `json:"event_kind"`
	// Lang is the content's language as the classifier recognised it
	// ("ko", "en"), when it did.
	Lang       string     `json:"lang,omitempty"`
	World      string     `json:"world"`
	Space      Space      `json:"space"`
	SenderID   string     `json:"sender_id"`
	Action     Action     `json:"action"`
	Categories []Category `json:"categories"`
	RuleIDs    []string   `json:"rule_ids"`
	Principle  string     `json:"principle,omitempty"`
	Value      string     `json:"value,omitempty"`
	Severity   string     `json:"severity"`
	Reasons    []Reason   `json:"reasons"`
	Queue      string     `json:"queue,omitempty"`
	// RedactedText is the content with the masked parts replaced, set only
	// when Action is redact.
	RedactedText string `json:"redacted_text,omitempty"`
	// RedactedImage is the copy of the event's image with the personal
	// information in its text filled, to deliver instead of the original;
	// set only when Action is redact and the policy masked PII that the
	// image's text holds.
	RedactedImage *RedactedImage `json:"redacted_image,omitempty"`
	// Scores, PII and Terms are the evidence, without content: categories,
	// scores, types and offsets. Scores are the rule-based sources';
	// Evidence adds the learned models as the policy weighed them. Links
	// are kept only when the decision restricts the content (see LinkSpan).
	Scores      Scores      `json:"scores"`
	Evidence    Scores      `json:"evidence,omitempty"`
	PII         []PIISpan   `json:"pii,omitempty"`
	Terms       []TermSpan  `json:"terms,omitempty"`
	HashMatches []HashMatch `json:"hash_matches,omitempty"`
	Links       []LinkSpan  `json:"links,omitempty"`
	// ImageText is what the text in the image gave (see
	// ImageTextEvidence), for image events whose image was read or
	// should have been.
	ImageText *ImageTextEvidence `json:"image_text,omitempty"`
	// Behaviour is the pattern the event belonged to (rates, waves,
	// pile-ons, grooming cues), kept when the decision restricts content:
	// counts and labels only.
	Behaviour      *BehaviourSignals `json:"behaviour,omitempty"`
	Fired          []FiredRule       `json:"fired"`
	PolicyRevision string            `json:"policy_revision"`
	ModelVersions  map[string]string `json:"model_versions"`
	DecidedAt      time.Time         `json:"decided_at"`
	// Supersedes is the id of the decision this one follows up: the
	// first decision of an image decided before its text was read. Empty
	// for first decisions.
	Supersedes string `json:"supersedes,omitempty"`
	// Pending is the work a decision leaves for later: set by the
	// pipeline on a decision made before its image's text was read, and
	// completed by the moderation service, which stores it with the
	// decision; never encoded.
	Pending *PendingText `json:"-"`
	// Fingerprint is the decided event's Fingerprint. The store keeps it
	// beside the decision to tell a repeat of the event from other content
	// sent under its id; it is never encoded.
	Fingerprint string `json:"-"`
	// Content is the decided event's content, for the snapshot of the
	// case the decision may open; set by the moderation service, never
	// encoded, never stored with the decision.
	Content *Content `json:"-"`
}

// ImageTextEvidence is what a decision keeps of the text in an image:
// the categories the policy weighed with their evidence, the PII types
// with the pixel boxes they cover, the number of words, or why the text
// could not be read. Never the text: a moderator reads it in the image of
// the case snapshot.
type ImageTextEvidence struct {
	// Pending says the text is still to be read: a follow-up decision
	// will supersede this one if the text changes it.
	Pending  bool       `json:"pending,omitempty"`
	Error    string     `json:"error,omitempty"`
	Words    int        `json:"words"`
	Evidence Scores     `json:"evidence,omitempty"`
	PII      []ImagePII `json:"pii,omitempty"`
	// RedactionFailed says a redacted copy of the image could not be
	// made, so the policy held the image instead (see ImageText).
	RedactionFailed bool `json:"redaction_failed,omitempty"`
}

// RedactedImage is a copy of an image with the boxes of personal
// information filled solid: what the world platform delivers instead of
// the original when a decision redacts an image. The copy is decoded and
// encoded anew, so nothing of the upload but its pixels survives (no
// EXIF, whose GPS position is personal data too). The store keeps its
// bytes under ID, and the API serves them at URL to callers with the
// moderate scope; a decision carries only the reference.
type RedactedImage struct {
	// ID is the hex SHA-256 of the copy's bytes: the same copy has the
	// same id, and whoever fetches it can check what they got.
	ID          string `json:"id"`
	ContentType string `json:"content_type"`
	Size        int    `json:"size"`
	// URL is the copy's path on the in-world API.
	URL string `json:"url"`
	// Boxes are the rectangles filled, padded beyond the words' boxes.
	Boxes []Box `json:"boxes"`
	// Data is the copy's bytes, for the store; never encoded.
	Data []byte `json:"-"`
}

// PendingText is the reading of an image's text left for after its
// first decision, and what is needed to decide the event again then.
type PendingText struct {
	// Event is the event as JSON, its image's bytes inline (fetched if
	// it was sent by reference): the event to decide again.
	Event []byte
	// Behaviour is the event's behavioural signals when it was first
	// decided: the follow-up is judged on them again, not on the event
	// observed twice.
	Behaviour *BehaviourSignals
	// Lease, when set, names who will read the text (a token of the
	// moderation service's queue) and until when; an unleased reading
	// is taken by whoever looks for readings left over.
	Lease      string
	LeaseUntil time.Time
}

// RedactedImagePath is where the in-world API serves a redacted copy.
func RedactedImagePath(id string) string { return "/v1/redacted-images/" + id }

// ImageRedactor makes redacted copies of images. Implementations are
// safe for concurrent use. An error means no copy: the pipeline then
// asks the policy again, telling it so, and never delivers the original
// under a redact.
type ImageRedactor interface {
	RedactImage(ctx context.Context, img *ImageUpload, boxes []Box) (*RedactedImage, error)
}

// TermSpan is where a lexicon match lies, without the matched term.
type TermSpan struct {
	Category Category `json:"category"`
	Start    int      `json:"start"`
	End      int      `json:"end"`
}

// LinkSpan is where a link lies and the registrable domain it points to.
//
// A decision may name the domain although it never holds content: the
// registrable domain (bit.ly, example.com) is a public name in the DNS,
// not a person's data, and a moderator, an appeal or an operator tuning
// the allow-list needs it to judge the decision. The host's other labels,
// the path and the query are never kept: they can hold a user name, a
// token or an e-mail address. Domains are kept only in decisions that
// restrict the content, so the record of allowed messages does not become
// a list of the sites each citizen shares.
type LinkSpan struct {
	Domain string `json:"domain"`
	Start  int    `json:"start"`
	End    int    `json:"end"`
}

// Validate checks a policy result before it becomes a decision: a policy
// that returns nonsense must fail loudly, never allow by default.
func (r *PolicyResult) Validate() error {
	if r.Action.Rank() < 0 {
		return fmt.Errorf("policy returned unknown action %q", r.Action)
	}
	if r.Action != ActionAllow && len(r.RuleIDs) == 0 {
		return fmt.Errorf("policy returned action %q without a rule id", r.Action)
	}
	// A restriction rests on a principle of the code of ethics, which the
	// statement of reasons names to the user.
	if r.Action != ActionAllow && !slices.Contains(Principles, r.Principle) {
		return fmt.Errorf("policy returned action %q on %q, not a principle of the code of ethics", r.Action, r.Principle)
	}
	if r.Value != "" && !slices.Contains(Values, r.Value) {
		return fmt.Errorf("policy returned the value %q, not a value of the code of ethics", r.Value)
	}
	if r.Revision == "" {
		return fmt.Errorf("policy result has no revision")
	}
	return nil
}
