// Package statement writes statements of reasons: what Haechi (or a
// moderator) did to a user's content or account, on what ground in the
// platform's code of ethics, how it was detected and decided, and how to
// appeal, in Korean and English. The fields follow the EU Digital Services
// Act's transparency database (decision_visibility, account restriction,
// decision_ground, facts, automated_detection, automated_decision,
// content type, dates, redress) so that statements can be exported there
// or to a Korean equivalent without reinterpreting them.
//
// Build is pure: the same decision gives the same statement, with the same
// statement id, every time; callers may build it on every request.
package statement

import (
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/haechi-tns/haechi/engine"
)

// Version is the statement format's version.
const Version = 1

// AppealWindow is how long after the decision its user may appeal. It
// equals store.AppealWindow (a test in engine/api checks), which is what
// the appeals API enforces.
const AppealWindow = 183 * 24 * time.Hour // six months

// Statement is a statement of reasons for one decision.
type Statement struct {
	Version     int    `json:"version"`
	StatementID string `json:"statement_id"`
	DecisionID  string `json:"decision_id"`
	// ContentID is the world platform's id of the content (the event id).
	ContentID string `json:"content_id"`
	// Visibility is what happened to the content; nil when nothing did.
	Visibility *Visibility `json:"decision_visibility,omitempty"`
	// Account is the restriction on the user's account; nil when none.
	Account *AccountRestriction `json:"account_restriction,omitempty"`
	Ground  Ground              `json:"decision_ground"`
	// Facts are the facts and circumstances relied on, in plain language.
	Facts Text `json:"facts"`
	// Source is own_initiative (Haechi's detection) or user_report.
	Source string `json:"source_type"`
	// AutomatedDetection is true when automated means found the content.
	AutomatedDetection bool `json:"automated_detection"`
	// AutomatedDecision is true when no person took part in the decision.
	AutomatedDecision bool `json:"automated_decision"`
	// ContentType is text, voice_transcript or image.
	ContentType string `json:"content_type"`
	// ContentLanguage is the BCP 47 language of the content, when known.
	ContentLanguage string `json:"content_language,omitempty"`
	// ContentDate is when the content was posted, when known.
	ContentDate  time.Time `json:"content_date,omitzero"`
	DecisionDate time.Time `json:"decision_date"`
	Redress      Redress   `json:"redress"`
}

// Text is a sentence or paragraph in Korean and English.
type Text struct {
	KO string `json:"ko"`
	EN string `json:"en"`
}

// Content visibility restrictions.
const (
	ContentRemoved         = "content_removed"
	ContentDisabled        = "content_disabled"
	ContentPartiallyMasked = "content_partially_masked"
)

// Visibility is a restriction of the content's visibility.
type Visibility struct {
	Restriction string `json:"restriction"`
	// PendingReview is true while the content waits for a person.
	PendingReview bool `json:"pending_review,omitempty"`
}

// Account restrictions, named as moderators' outcomes are.
const (
	AccountMute    = "mute"
	AccountSuspend = "suspend"
	AccountBan     = "ban"
)

// AccountRestriction is a restriction of the user's account.
type AccountRestriction struct {
	Restriction string `json:"restriction"`
	// EndDate is when it ends; absent for a ban.
	EndDate time.Time `json:"end_date,omitzero"`
}

// GroundIncompatible is the ground of every statement Haechi writes: the
// content is incompatible with the platform's code of ethics (its terms),
// not found illegal (which only a competent authority decides).
const GroundIncompatible = "incompatible_content"

// Ground is the rule in the code of ethics the decision rests on.
type Ground struct {
	Type string `json:"type"`
	// Reference names the clause: code_of_ethics/<value>/<principle>.
	Reference  string   `json:"reference"`
	Value      string   `json:"value,omitempty"`
	Principle  string   `json:"principle,omitempty"`
	RuleIDs    []string `json:"rule_ids"`
	Categories []string `json:"categories"`
	// Explanation says in plain language why the content is incompatible.
	Explanation Text `json:"explanation"`
}

// Redress says how the user can contest the decision.
type Redress struct {
	// Appealable is false when the decision restricted nothing.
	Appealable bool `json:"appealable"`
	// Method and URL are how to appeal: POST with the decision id.
	Method     string    `json:"method,omitempty"`
	URL        string    `json:"url,omitempty"`
	DecisionID string    `json:"decision_id,omitempty"`
	Until      time.Time `json:"until,omitzero"`
	Text       Text      `json:"text"`
}

// Outcomes of a person's decision, as the review queue records them.
const (
	OutcomeRemove  = "remove"
	OutcomeDismiss = "dismiss"
	OutcomeRestore = "restore"
	OutcomeWarn    = "warn"
	OutcomeMute    = "mute"
	OutcomeSuspend = "suspend"
	OutcomeBan     = "ban"
)

// HumanDecision is what a moderator decided on the decision's content or
// its sender; nil in Build means no person took part.
type HumanDecision struct {
	// Outcome is one of the Outcome constants.
	Outcome   string
	DecidedAt time.Time
	// Until is when a mute or suspension ends.
	Until time.Time
	// FromReport is true when a user's report, not Haechi's detection,
	// brought the content to the moderator.
	FromReport bool
	// Ground is the principle of the code of ethics the moderator's
	// decision rests on, when they named one; it replaces the policy's.
	Ground string
}

// Build writes the statement of reasons for d, decided by the engine and,
// when human is not nil, by a moderator. appealURL is where to POST an
// appeal (the in-world API's /v1/appeals). d must not be nil.
func Build(d *engine.Decision, human *HumanDecision, appealURL string) Statement {
	st := Statement{
		Version:            Version,
		StatementID:        statementID(d, human),
		DecisionID:         d.ID,
		ContentID:          d.EventID,
		Source:             "own_initiative",
		AutomatedDetection: true,
		AutomatedDecision:  human == nil,
		ContentType:        contentType(d.EventKind),
		ContentLanguage:    d.Lang,
		DecisionDate:       d.DecidedAt.UTC(),
		Ground:             ground(d, human),
	}
	noun := nouns[d.EventKind]
	if noun.en == "" {
		noun = nouns[engine.KindChat]
	}
	st.Visibility = visibility(d.Action)
	done := actionText(d.Action, noun)
	if human != nil {
		st.DecisionDate = human.DecidedAt.UTC()
		if human.FromReport {
			st.Source, st.AutomatedDetection = "user_report", false
		}
		if st.Visibility != nil {
			st.Visibility.PendingReview = false
		}
		switch human.Outcome {
		case OutcomeRemove:
			st.Visibility = &Visibility{Restriction: ContentRemoved}
		case OutcomeDismiss, OutcomeRestore:
			st.Visibility = nil
		case OutcomeMute, OutcomeSuspend:
			st.Account = &AccountRestriction{Restriction: human.Outcome, EndDate: human.Until.UTC()}
		case OutcomeBan:
			st.Account = &AccountRestriction{Restriction: AccountBan}
		}
		done = humanText(human, noun)
	}

	var ko, en []string
	for _, r := range d.Reasons {
		if r.KO != "" {
			ko = append(ko, r.KO)
		}
		if r.EN != "" {
			en = append(en, r.EN)
		}
	}
	st.Facts = Text{
		KO: strings.Join(append(ko, done.KO), " "),
		EN: strings.Join(append(en, done.EN), " "),
	}
	st.Redress = redress(d, appealURL)
	return st
}

// statementID is a name-based UUID of the decision and the person's
// decision, so that rebuilding a statement keeps its id and a person's
// later decision gets a new one.
func statementID(d *engine.Decision, h *HumanDecision) string {
	name := "haechi:statement:" + d.ID
	if h != nil {
		name += ":" + h.Outcome + ":" + h.DecidedAt.UTC().Format(time.RFC3339Nano)
	}
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte(name)).String()
}

func contentType(k engine.Kind) string {
	switch k {
	case engine.KindVoice:
		return "voice_transcript"
	case engine.KindImage:
		return "image"
	}
	return "text"
}

// visibility maps the engine's action on the content.
func visibility(a engine.Action) *Visibility {
	switch a {
	case engine.ActionBlock:
		return &Visibility{Restriction: ContentRemoved}
	case engine.ActionHold, engine.ActionEscalate:
		// Escalated content is held (or blocked) for an urgent specialist.
		return &Visibility{Restriction: ContentDisabled, PendingReview: true}
	case engine.ActionRedact:
		return &Visibility{Restriction: ContentPartiallyMasked}
	}
	return nil
}

func ground(d *engine.Decision, human *HumanDecision) Ground {
	g := Ground{
		Type:       GroundIncompatible,
		Reference:  "code_of_ethics",
		Value:      d.Value,
		Principle:  d.Principle,
		RuleIDs:    append([]string{}, d.RuleIDs...),
		Categories: make([]string, len(d.Categories)),
	}
	if human != nil && human.Ground != "" && human.Ground != d.Principle {
		// The moderator's ground stands; the policy's value was the
		// policy principle's, so it is left out.
		g.Principle, g.Value = human.Ground, ""
	}
	for i, c := range d.Categories {
		g.Categories[i] = string(c)
	}
	if g.Value != "" {
		g.Reference += "/" + g.Value
	}
	if g.Principle != "" {
		g.Reference += "/" + g.Principle
	}
	p, v := principles[g.Principle], values[g.Value]
	switch {
	case p.en != "" && v.en != "":
		g.Explanation = Text{
			KO: "이 조치는 플랫폼 윤리 강령의 '" + v.ko + "' 가치 아래 '" + p.ko + "' 원칙에 근거합니다.",
			EN: "This decision rests on the principle of " + p.en + " under the value of " + v.en + " in the platform's code of ethics.",
		}
	case p.en != "":
		g.Explanation = Text{
			KO: "이 조치는 플랫폼 윤리 강령의 '" + p.ko + "' 원칙에 근거합니다.",
			EN: "This decision rests on the principle of " + p.en + " in the platform's code of ethics.",
		}
	default:
		g.Explanation = Text{
			KO: "이 조치는 플랫폼 윤리 강령에 근거합니다.",
			EN: "This decision rests on the platform's code of ethics.",
		}
	}
	return g
}

func redress(d *engine.Decision, appealURL string) Redress {
	court := Text{KO: " 법원에 구제를 청구할 수도 있습니다.", EN: " You may also seek redress in court."}
	if !d.Action.Restricts() {
		return Redress{Text: Text{
			KO: "이 결정은 콘텐츠를 제한하지 않았으므로 이의 신청 대상이 아닙니다." + court.KO,
			EN: "This decision restricted nothing, so there is nothing to appeal." + court.EN,
		}}
	}
	until := d.DecidedAt.Add(AppealWindow).UTC()
	day := until.Format(time.DateOnly)
	return Redress{
		Appealable: true,
		Method:     "POST",
		URL:        appealURL,
		DecisionID: d.ID,
		Until:      until,
		Text: Text{
			KO: "이 결정에 동의하지 않으면 " + day + "(UTC)까지 이의를 신청할 수 있습니다(결정 ID: " + d.ID + "). 처음 결정에 관여하지 않은 다른 운영자가 검토합니다." + court.KO,
			EN: "If you disagree, you may appeal until " + day + " (UTC) (decision id: " + d.ID + "). A moderator who did not take the original decision will review it." + court.EN,
		},
	}
}

type words struct{ ko, en string }

// nouns name the content by kind. Each Korean noun ends in a vowel, so
// the particles below (는, 가, 를) fit every one.
var nouns = map[engine.Kind]words{
	engine.KindChat:  {"메시지", "message"},
	engine.KindVoice: {"음성 발화", "voice message"},
	engine.KindImage: {"이미지", "image"},
}

func actionText(a engine.Action, n words) Text {
	switch a {
	case engine.ActionBlock:
		return Text{KO: "이 " + n.ko + "는 자동으로 삭제되어 전달되지 않았습니다.", EN: "The " + n.en + " was removed automatically and not delivered."}
	case engine.ActionHold:
		return Text{KO: "이 " + n.ko + "는 운영자가 검토할 때까지 보류되어 전달되지 않습니다.", EN: "The " + n.en + " is held and will not be delivered until a moderator has reviewed it."}
	case engine.ActionEscalate:
		return Text{KO: "이 " + n.ko + "는 전달이 중지되었고 전문 검토자가 긴급히 검토합니다.", EN: "The " + n.en + " was withheld and passed to a specialist reviewer as urgent."}
	case engine.ActionRedact:
		return Text{KO: "이 " + n.ko + "는 일부가 가려진 채로 전달되었습니다.", EN: "The " + n.en + " was delivered with parts masked."}
	}
	return Text{KO: "이 " + n.ko + "에는 제한 조치가 적용되지 않았습니다.", EN: "No restriction was applied to the " + n.en + "."}
}

func humanText(h *HumanDecision, n words) Text {
	until := h.Until.UTC().Format(time.DateOnly)
	switch h.Outcome {
	case OutcomeRemove:
		return Text{KO: "운영자가 검토한 후 이 " + n.ko + "를 삭제했습니다.", EN: "After review, a moderator removed the " + n.en + "."}
	case OutcomeDismiss, OutcomeRestore:
		return Text{KO: "운영자가 검토한 결과 위반이 없다고 판단하여 이 " + n.ko + "를 복원했습니다.", EN: "After review, a moderator found no violation and restored the " + n.en + "."}
	case OutcomeWarn:
		return Text{KO: "운영자가 검토한 후 계정에 경고를 주었습니다.", EN: "After review, a moderator warned the account."}
	case OutcomeMute:
		return Text{KO: "운영자가 검토한 후 계정의 발언을 " + until + "(UTC)까지 제한했습니다.", EN: "After review, a moderator muted the account until " + until + " (UTC)."}
	case OutcomeSuspend:
		return Text{KO: "운영자가 검토한 후 계정을 " + until + "(UTC)까지 정지했습니다.", EN: "After review, a moderator suspended the account until " + until + " (UTC)."}
	case OutcomeBan:
		return Text{KO: "운영자가 검토한 후 계정을 영구히 정지했습니다.", EN: "After review, a moderator closed the account permanently."}
	}
	return Text{KO: "운영자가 이 " + n.ko + "를 검토했습니다.", EN: "A moderator reviewed the " + n.en + "."}
}

// values and principles name the code of ethics' three core values and
// eight principles (the Ministry of Science and ICT's metaverse ethics
// guidelines) as users read them.
var values = map[string]words{
	"sincere_identity":       {"성실한 자아", "sincere identity"},
	"safe_experience":        {"안전한 경험", "safe experience"},
	"sustainable_prosperity": {"지속가능한 번영", "sustainable prosperity"},
}

var principles = map[string]words{
	"authenticity":                    {"진정성", "authenticity"},
	"autonomy":                        {"자율성", "autonomy"},
	"reciprocity":                     {"호혜성", "reciprocity"},
	"respect_for_privacy":             {"사생활 존중", "respect for privacy"},
	"fairness":                        {"공정성", "fairness"},
	"personal_information_protection": {"개인정보 보호", "personal information protection"},
	"inclusiveness":                   {"포용성", "inclusiveness"},
	"responsibility_for_the_future":   {"미래 책임성", "responsibility for the future"},
}
