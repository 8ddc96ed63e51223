package reviewerui

import (
	"slices"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
)

// reasonTemplate is a reason a reviewer may start from: picking one on
// the decision form puts its text in the reason (static/app.js), where
// the reviewer finishes it. It is never sent to anyone by itself.
type reasonTemplate struct {
	Outcome  string
	Category engine.Category // "" for a case of any category
	KO, EN   string
}

// reasonTemplates are the decision form's reason templates, by outcome,
// the general ones first.
var reasonTemplates = []reasonTemplate{
	{store.OutcomeDismiss, "", "행동강령 위반이 확인되지 않았습니다. 맥락상 허용되는 표현입니다.", "No breach of the code of ethics: in context, the message is acceptable."},
	{store.OutcomeDismiss, "", "신고 내용을 확인했으나 위반으로 볼 근거가 부족합니다.", "The report was checked; there is not enough to call it a breach."},
	{store.OutcomeDismiss, engine.Insult, "친구 사이의 농담으로, 누군가를 모욕하려는 의도가 보이지 않습니다.", "Banter between friends; no intent to insult anyone is apparent."},
	{store.OutcomeDismiss, engine.Profanity, "특정인을 향하지 않은 가벼운 비속어로, 공간의 연령 기준에 맞습니다.", "Mild swearing aimed at nobody, within the space's age rating."},

	{store.OutcomeRemove, "", "행동강령을 위반하는 내용이라 삭제합니다.", "The content breaches the code of ethics and is removed."},
	{store.OutcomeRemove, engine.Insult, "다른 이용자를 모욕하는 표현이라 삭제합니다.", "The message insults another user and is removed."},
	{store.OutcomeRemove, engine.Profanity, "공간의 연령 기준에 맞지 않는 욕설이라 삭제합니다.", "Swearing beyond the space's age rating; removed."},
	{store.OutcomeRemove, engine.Hate, "특정 집단에 대한 혐오 표현이라 삭제합니다.", "Hate speech against a group; removed."},
	{store.OutcomeRemove, engine.Harassment, "특정 이용자를 반복해서 괴롭히는 내용이라 삭제합니다.", "The message harasses a user again and again; removed."},
	{store.OutcomeRemove, engine.Sexual, "공개 공간에 맞지 않는 성적인 내용이라 삭제합니다.", "Sexual content, not allowed in a public space; removed."},
	{store.OutcomeRemove, engine.SexualMinors, "미성년자와 관련된 성적인 내용이라 삭제합니다.", "Sexual content involving a minor; removed."},
	{store.OutcomeRemove, engine.Grooming, "미성년자에게 부적절하게 접근하는 내용이라 삭제합니다.", "An inappropriate approach to a minor; removed."},
	{store.OutcomeRemove, engine.Threat, "다른 이용자에게 해를 가하겠다는 위협이라 삭제합니다.", "A threat of harm to another user; removed."},
	{store.OutcomeRemove, engine.SelfHarm, "자해를 부추기거나 묘사하는 내용이라 삭제하고, 작성자에게 도움받을 곳을 안내합니다.", "Content encouraging or depicting self-harm is removed; the author is shown where to find help."},
	{store.OutcomeRemove, engine.Scam, "금전이나 개인정보를 노리는 사기성 메시지라 삭제합니다.", "A scam after money or personal information; removed."},
	{store.OutcomeRemove, engine.Spam, "반복적인 광고·도배 메시지라 삭제합니다.", "Repeated advertising or flooding; removed."},
	{store.OutcomeRemove, engine.Impersonation, "다른 사람을 사칭하는 내용이라 삭제합니다.", "Impersonates someone else; removed."},
	{store.OutcomeRemove, engine.PIICategory, "다른 사람의 개인정보를 동의 없이 공개해 삭제합니다.", "Shares someone's personal information without their consent; removed."},
	{store.OutcomeRemove, engine.Nudity, "공개 공간에 맞지 않는 노출 이미지라 삭제합니다.", "A nude image, not allowed in a public space; removed."},

	{store.OutcomeWarn, "", "행동강령 위반에 대해 경고합니다. 반복되면 더 강한 조치를 받게 됩니다.", "A warning for breaching the code of ethics; repeated breaches lead to stronger measures."},
	{store.OutcomeWarn, engine.Insult, "모욕적인 표현에 대해 경고합니다. 서로 존중하는 대화를 부탁드립니다.", "A warning for insulting language. Please keep conversations respectful."},
	{store.OutcomeWarn, engine.Spam, "도배 행위에 대해 경고합니다.", "A warning for flooding the chat."},

	{store.OutcomeMute, "", "위반이 반복되어 일정 기간 발언을 제한합니다.", "Repeated breaches: the account may not speak for a while."},
	{store.OutcomeMute, engine.Harassment, "다른 이용자를 계속 괴롭혀 일정 기간 발언을 제한합니다.", "Kept harassing another user: muted for a while."},
	{store.OutcomeMute, engine.Spam, "도배가 계속되어 일정 기간 발언을 제한합니다.", "Kept flooding the chat: muted for a while."},

	{store.OutcomeSuspend, "", "심각한 위반으로 계정을 일정 기간 정지합니다.", "A serious breach: the account is suspended for a while."},
	{store.OutcomeSuspend, engine.Threat, "위협 행위로 계정을 일정 기간 정지합니다.", "Threats: the account is suspended for a while."},
	{store.OutcomeSuspend, engine.Scam, "사기 시도로 계정을 일정 기간 정지합니다.", "A scam attempt: the account is suspended for a while."},

	{store.OutcomeBan, "", "심각하고 반복된 위반으로 계정을 영구 정지합니다.", "Serious, repeated breaches: the account is closed permanently."},
	{store.OutcomeBan, engine.Grooming, "미성년자에게 부적절하게 접근해 계정을 영구 정지합니다.", "Approached minors inappropriately: the account is closed permanently."},
	{store.OutcomeBan, engine.SexualMinors, "미성년자와 관련된 성적인 내용을 공유해 계정을 영구 정지합니다.", "Shared sexual content involving a minor: the account is closed permanently."},

	{store.OutcomeRestore, "", "검토 결과 위반이 아니므로 콘텐츠를 복원합니다.", "On review, no breach: the content is restored."},

	{store.OutcomeEscalate, "", "판단에 상급 검토가 필요해 이관합니다.", "The judgement needs a senior reviewer; escalated."},
	{store.OutcomeEscalate, engine.SelfHarm, "이용자의 안전이 우려되어 상담 대기열로 이관합니다.", "Concern for the user's safety: moved to the counsellors."},
	{store.OutcomeEscalate, engine.Minors, "미성년자가 관련된 사안이라 상담 대기열로 이관합니다.", "A minor is involved: moved to the counsellors."},

	{store.OutcomeNote, "", "맥락을 더 확인한 뒤 결정하겠습니다.", "Checking more context before deciding."},

	{outcomeUphold, "", "이의 제기를 검토했으나 원래 결정이 타당합니다.", "The appeal was reviewed; the original decision stands."},
	{outcomeOverturn, "", "이의 제기를 검토한 결과 원래 결정이 잘못되어 번복합니다.", "On review of the appeal, the original decision was wrong and is overturned."},
	{outcomeOverturn, "", "맥락상 위반이 아니었습니다(인용, 농담 등).", "In context it was no breach (a quotation, a joke)."},
}

// reasonGroup is the reason templates of one outcome the form offers.
type reasonGroup struct {
	Outcome   string
	Templates []reasonTemplate
}

// reasonGroups lists, for each outcome the form offers, the templates
// for the case's categories and then the general ones.
func reasonGroups(ch decisionChoices, cats []engine.Category) []reasonGroup {
	var out []reasonGroup
	for _, o := range ch.Outcomes {
		g := reasonGroup{Outcome: o.Kind}
		for _, specific := range []bool{true, false} {
			for _, t := range reasonTemplates {
				if t.Outcome == o.Kind && (t.Category != "") == specific && (!specific || slices.Contains(cats, t.Category)) {
					g.Templates = append(g.Templates, t)
				}
			}
		}
		if len(g.Templates) > 0 {
			out = append(out, g)
		}
	}
	return out
}
