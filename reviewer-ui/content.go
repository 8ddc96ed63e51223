package reviewerui

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/haechi-tns/haechi/classifiers/pii"
	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
)

// The case page shows the content a case is about as it was when the
// case opened (its snapshots: the decided event's text, transcript or
// image, the earlier messages the platform sent with it, the context a
// report supplied), with personal information masked on the server: the
// masked parts never reach the browser until a reviewer allowed to
// reveal them asks, with a reason (reveal.go). Images arrive blurred and
// greyscale (image.go).

// contentData is the content section of a case page.
type contentData struct {
	Snapshots []snapshotView
	// FromAppealed is set when the snapshots are those of the case an
	// appeal reviews (an appeal's own case keeps none).
	FromAppealed bool
	// Masked counts the personal information masked on the page (or
	// shown, once revealed): in the snapshots, the reports' details and
	// the appeal's reason.
	Masked   int
	Revealed bool
	// CanReveal is whether the reviewer may reveal (revealRoles).
	CanReveal bool
	// Reason and Error are the reveal form as submitted, shown again
	// with its error (a message key).
	Reason string
	Error  string
	// Reports are the reports' details, in the order of caseData.Reports;
	// AppealReason the appellant's reason. Both are user text, masked
	// like the snapshots.
	Reports      []maskedText
	AppealReason maskedText
	// ReblurMS is how long an original image shows before it is
	// blurred again, in milliseconds.
	ReblurMS int
}

// ReblurSeconds is ReblurMS in whole seconds, rounded up, for the page to
// say.
func (ct *contentData) ReblurSeconds() int { return (ct.ReblurMS + 999) / 1000 }

// snapshotView is one snapshot: the messages of a conversation, oldest
// first, the one the case is about marked.
type snapshotView struct {
	Source   string // store.SourceDecision or store.SourceReport
	At       time.Time
	Messages []messageView
}

// messageView is one message of a snapshot.
type messageView struct {
	SenderID string
	At       time.Time // zero when the platform did not say
	Text     maskedText
	// About marks the message the case is about.
	About bool
	// Kind, ASRConfidence and Image describe the decided event's own
	// content; they are empty for context messages.
	Kind          engine.Kind
	ASRConfidence float64
	Image         *imageView
}

// imageView is the image of a snapshot.
type imageView struct {
	// Kept is true when the snapshot holds the image's bytes; an image
	// sent by URI that was never fetched (the blob budget ran out) has
	// none, and the page says so.
	Kept        bool
	BlurredURL  string
	OriginalURL string
}

// maskedText is user text split around its personal information.
type maskedText struct {
	Parts []textPart
}

// Empty reports whether there is no text.
func (m maskedText) Empty() bool { return len(m.Parts) == 0 }

// textPart is a run of user text: plain, or personal information. A
// masked part holds no text at all, only its label, so that nothing of
// it can reach the page.
type textPart struct {
	Text string
	// PII is set on personal information: Shown when it was revealed,
	// else Label names what was masked ("[phone number masked]").
	PII   engine.PIIType
	Shown bool
	Label string
}

// span is a masked range of a text in code points.
type span struct {
	start, end int
	typ        engine.PIIType
}

// splitPII splits text around spans (code-point offsets as engine.PIISpan
// counts them, in any order, possibly overlapping or out of range) and
// keeps the personal information when reveal is set, or else replaces
// each span by label(type). Overlapping spans merge; the merged span
// keeps the type of the one that starts first.
func splitPII(text string, spans []engine.PIISpan, reveal bool, label func(engine.PIIType) string) (maskedText, int) {
	if text == "" {
		return maskedText{}, 0
	}
	// A for range loop counts each byte of invalid UTF-8 as one code
	// point, as the detector does; []rune does the same.
	runes := []rune(text)
	var ss []span
	for _, s := range spans {
		start, end := max(s.Start, 0), min(s.End, len(runes))
		if start < end {
			ss = append(ss, span{start, end, s.Type})
		}
	}
	slices.SortFunc(ss, func(a, b span) int { return a.start - b.start })
	var merged []span
	for _, s := range ss {
		if n := len(merged); n > 0 && s.start <= merged[n-1].end {
			merged[n-1].end = max(merged[n-1].end, s.end)
			continue
		}
		merged = append(merged, s)
	}
	var out maskedText
	at := 0
	for _, s := range merged {
		if at < s.start {
			out.Parts = append(out.Parts, textPart{Text: string(runes[at:s.start])})
		}
		p := textPart{PII: s.typ, Shown: reveal}
		if reveal {
			p.Text = string(runes[s.start:s.end])
		} else {
			p.Label = label(s.typ)
		}
		out.Parts = append(out.Parts, p)
		at = s.end
	}
	if at < len(runes) {
		out.Parts = append(out.Parts, textPart{Text: string(runes[at:])})
	}
	return out, len(merged)
}

// masker masks the user texts of one page in one language.
type masker struct {
	detect *pii.Detector
	reveal bool
	label  func(engine.PIIType) string
	count  int
}

// text masks what the detector finds in text and, besides, the spans the
// engine found when it decided (known, which may be nil): the decision's
// spans are the evidence the reviewer judges, the detector's a second
// pass that also covers text the engine never saw (context, reports).
func (m *masker) text(text string, known []engine.PIISpan) maskedText {
	spans := m.detect.AppendDetect(slices.Clone(known), text)
	out, n := splitPII(text, spans, m.reveal, m.label)
	m.count += n
	return out
}

// newMasker masks in the reviewer's language, or reveals when reveal is
// set (the spans are then only marked).
func (s *Server) newMasker(rc *reqContext, reveal bool) *masker {
	return &masker{detect: s.content.detect, reveal: reveal, label: func(t engine.PIIType) string {
		return s.msgs.text(rc.Lang, "content.masked", s.msgs.text(rc.Lang, "pii."+string(t)))
	}}
}

// caseSnapshots returns the snapshots a case page shows, without their
// images' bytes (store.SnapshotRefs): the case's own, or, for an appeal,
// those of the case that decided the content (an appeal's case keeps none
// of its own), which fromAppealed says.
func (s *Server) caseSnapshots(ctx context.Context, c *store.Case, appeal *store.Appeal) (snaps []store.Snapshot, fromAppealed bool, err error) {
	if snaps, err = s.cfg.Store.SnapshotRefs(ctx, c.ID); err != nil || len(snaps) > 0 || c.AppealID == "" {
		return snaps, false, err
	}
	if appeal == nil {
		if appeal, err = s.cfg.Store.AppealByID(ctx, c.AppealID); err != nil {
			return nil, false, err
		}
	}
	if appeal.CaseID == "" {
		return nil, false, nil
	}
	snaps, err = s.cfg.Store.SnapshotRefs(ctx, appeal.CaseID)
	return snaps, len(snaps) > 0, err
}

// contentOf builds the content section of d's case from its snapshots,
// masked, or revealed when reveal is set.
func (s *Server) contentOf(rc *reqContext, d *caseData, snaps []store.Snapshot, reveal bool) *contentData {
	m := s.newMasker(rc, reveal)
	ct := &contentData{Revealed: reveal, CanReveal: canReveal(rc.Account), ReblurMS: int(s.content.reblur / time.Millisecond)}
	var known []engine.PIISpan
	if d.Decision != nil {
		known = d.Decision.PII
	}
	c := d.Case
	for _, sn := range snaps {
		v := snapshotView{Source: sn.Source, At: sn.CreatedAt}
		for _, cm := range sortedContext(sn.Context) {
			v.Messages = append(v.Messages, messageView{SenderID: cm.SenderID, At: cm.SentAt, Text: m.text(cm.Text, nil),
				About: cm.ID != "" && cm.ID == c.EventID})
		}
		if sn.Source == store.SourceDecision {
			// The decided event itself, newest: its context is what was
			// said before it. The decision's spans are offsets into
			// exactly this text.
			sender := c.SubjectUserID
			if d.Decision != nil {
				sender = d.Decision.SenderID
			}
			msg := messageView{SenderID: sender, At: sn.CreatedAt, Text: m.text(sn.Text, known), About: true, Kind: sn.Kind}
			if sn.Kind == engine.KindVoice {
				msg.ASRConfidence = sn.ASRConfidence
			}
			if sn.Kind == engine.KindImage || sn.ImageSize > 0 || sn.ImageURI != "" {
				msg.Image = &imageView{Kept: sn.ImageSize > 0, BlurredURL: casePath(c.ID) + "/image/blurred", OriginalURL: casePath(c.ID) + "/image/original"}
			}
			v.Messages = append(v.Messages, msg)
		}
		ct.Snapshots = append(ct.Snapshots, v)
	}
	for _, r := range d.Reports {
		ct.Reports = append(ct.Reports, m.text(r.Details, nil))
	}
	if d.Appeal != nil {
		ct.AppealReason = m.text(d.Appeal.Reason, nil)
	}
	ct.Masked = m.count
	return ct
}

// sortedContext orders context messages oldest first. The platform sends
// them so; when every message has a time, the times decide, and a
// message without one keeps its place otherwise.
func sortedContext(msgs []engine.ContextMessage) []engine.ContextMessage {
	if slices.ContainsFunc(msgs, func(m engine.ContextMessage) bool { return m.SentAt.IsZero() }) {
		return msgs
	}
	out := slices.Clone(msgs)
	slices.SortStableFunc(out, func(a, b engine.ContextMessage) int { return a.SentAt.Compare(b.SentAt) })
	return out
}

// loadContent fills in d.Content: the snapshots of d's case, masked or
// revealed.
func (s *Server) loadContent(ctx context.Context, rc *reqContext, d *caseData, reveal bool) error {
	snaps, fromAppealed, err := s.caseSnapshots(ctx, d.Case, d.Appeal)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	d.Content = s.contentOf(rc, d, snaps, reveal)
	d.Content.FromAppealed = fromAppealed
	return nil
}
