package reviewerui

import (
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
)

// Appeal outcomes, as the decision form names them.
const (
	outcomeUphold   = "uphold"
	outcomeOverturn = "overturn"
)

// maxReason bounds a decision's reason, in characters.
const maxReason = 2000

// outcomeChoice is one outcome the form offers, with its shortcut key.
type outcomeChoice struct {
	Kind string
	Key  string // the number key that picks it
}

// durationChoice is a length a mute or suspension may have.
type durationChoice struct {
	Name string // also the message key duration.choice.<name>
	For  time.Duration
}

var (
	muteDurations    = []durationChoice{{"1h", time.Hour}, {"1d", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}}
	suspendDurations = []durationChoice{{"1d", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}, {"30d", 30 * 24 * time.Hour}}
)

// caseOutcomes are the outcomes of a case that is not an appeal, in the
// order of their number keys.
var caseOutcomes = []string{store.OutcomeDismiss, store.OutcomeRemove, store.OutcomeWarn, store.OutcomeMute,
	store.OutcomeSuspend, store.OutcomeBan, store.OutcomeRestore, store.OutcomeEscalate, store.OutcomeNote}

// appealOutcomes are an appeal's outcomes.
var appealOutcomes = []string{outcomeUphold, outcomeOverturn}

// decisionChoices are what the decision form offers a reviewer on a case.
type decisionChoices struct {
	Appeal     bool
	Outcomes   []outcomeChoice
	MuteFor    []durationChoice
	SuspendFor []durationChoice
	EscalateTo []string // queues other than the case's own
	// Grounds are the principles a case's outcome may rest on (not on an
	// appeal, whose ground is the decision appealed).
	Grounds []string
	// Also are the outcomes about the account that may follow removing
	// the content (store.AlsoOutcomes), each with its length.
	Also []alsoChoice
	// AlsoAfter names the outcomes an account action may follow,
	// space-separated, for the page's script.
	AlsoAfter string
	CanBan    bool
}

// alsoChoice is an outcome about the account that the form offers beside
// removing the content: its value in the form ("mute:1d"), its kind and
// its length's name (empty for warn and ban).
type alsoChoice struct {
	Value, Kind, Duration string
	For                   time.Duration
}

// closes reports whether an outcome closes a case, and so needs a
// ground and may be undone.
func closes(kind string) bool { return kind != store.OutcomeNote && kind != store.OutcomeEscalate }

// choicesFor lists the outcomes a may record on c: bans only for senior
// reviewers; escalation to any other queue but appeals.
func choicesFor(a *Account, c *store.Case) decisionChoices {
	ch := decisionChoices{Appeal: c.Source == store.SourceAppeal, MuteFor: muteDurations, SuspendFor: suspendDurations, CanBan: canBan(a)}
	kinds := caseOutcomes
	if ch.Appeal {
		kinds = appealOutcomes
	}
	for i, k := range kinds {
		if k == store.OutcomeBan && !canBan(a) {
			continue
		}
		ch.Outcomes = append(ch.Outcomes, outcomeChoice{Kind: k, Key: string(rune('1' + i))})
	}
	for _, q := range store.QueueOrder {
		if q != c.Queue && q != store.QueueAppeals {
			ch.EscalateTo = append(ch.EscalateTo, q)
		}
	}
	if ch.Appeal {
		return ch
	}
	ch.Grounds = engine.Principles
	ch.AlsoAfter = strings.Join(slices.Sorted(maps.Keys(store.AlsoOutcomes)), " ")
	for _, k := range store.AlsoOutcomes[store.OutcomeRemove] {
		switch k {
		case store.OutcomeMute, store.OutcomeSuspend:
			ds := muteDurations
			if k == store.OutcomeSuspend {
				ds = suspendDurations
			}
			for _, d := range ds {
				ch.Also = append(ch.Also, alsoChoice{Value: k + ":" + d.Name, Kind: k, Duration: d.Name, For: d.For})
			}
		case store.OutcomeBan:
			if ch.CanBan {
				ch.Also = append(ch.Also, alsoChoice{Value: k, Kind: k})
			}
		default:
			ch.Also = append(ch.Also, alsoChoice{Value: k, Kind: k})
		}
	}
	return ch
}

// Ground is the principle the form shows chosen: the one submitted, or
// else the one the engine's decision rests on.
func (d *caseData) Ground() string {
	switch {
	case d.Form.Ground != "" || d.Form.Error != "":
		return d.Form.Ground
	case d.Decision == nil:
		return ""
	case d.Decision.Principle != "":
		return d.Decision.Principle
	}
	for _, f := range d.Decision.Fired {
		if f.Principle != "" {
			return f.Principle
		}
	}
	return ""
}

// UndoSeconds is how long a decision that closes the case may be undone.
func (d *caseData) UndoSeconds() int {
	return int(store.UndoDeadline(time.Time{}).Sub(time.Time{}) / time.Second)
}

// ReasonTemplates are the reason templates the form offers on the case.
func (d *caseData) ReasonTemplates() []reasonGroup { return reasonGroups(d.Choices, d.Case.Categories) }

// decisionForm is the decision form as submitted, kept to show it again
// with its error.
type decisionForm struct {
	Outcome    string
	Ground     string
	Also       string // an alsoChoice's value, or empty
	Reason     string
	MuteFor    string
	SuspendFor string
	ToQueue    string
	BanConfirm bool
	// ClaimNext is on unless the reviewer unticked it: after deciding,
	// take the queue's next case.
	ClaimNext bool
	Error     string // a message key, or empty
}

// parseDecision reads the form and checks it against the choices; it
// returns the outcomes to record (the first, then any about the account
// that follows it), or the form with an error key.
func parseDecision(r *http.Request, ch decisionChoices) (decisionForm, []store.Outcome) {
	f, o := parseOutcome(r, ch)
	if f.Error != "" {
		return f, []store.Outcome{o}
	}
	switch {
	case ch.Appeal:
	case slices.Contains(ch.Grounds, f.Ground):
		o.Ground = f.Ground
	case f.Ground != "" || closes(o.Kind):
		f.Error = "decide.error.ground"
		return f, []store.Outcome{o}
	}
	out := []store.Outcome{o}
	if f.Also != "" {
		i := slices.IndexFunc(ch.Also, func(a alsoChoice) bool { return a.Value == f.Also })
		if i < 0 || !slices.Contains(store.AlsoOutcomes[o.Kind], ch.Also[i].Kind) {
			f.Error = "decide.error.also"
			return f, out
		}
		also := ch.Also[i]
		if also.Kind == store.OutcomeBan && !f.BanConfirm {
			f.Error = "decide.error.ban_confirm"
			return f, out
		}
		out = append(out, store.Outcome{Kind: also.Kind, Duration: also.For, Ground: o.Ground})
	}
	return f, out
}

// parseOutcome reads the form's first outcome and its reason.
func parseOutcome(r *http.Request, ch decisionChoices) (decisionForm, store.Outcome) {
	f := decisionForm{
		Outcome: r.PostForm.Get("outcome"), Reason: strings.TrimSpace(r.PostForm.Get("reason")),
		Ground: r.PostForm.Get("ground"), Also: r.PostForm.Get("also"),
		MuteFor: r.PostForm.Get("mute_for"), SuspendFor: r.PostForm.Get("suspend_for"), ToQueue: r.PostForm.Get("to_queue"),
		BanConfirm: r.PostForm.Get("ban_confirm") == "yes", ClaimNext: r.PostForm.Get("claim_next") == "yes",
	}
	o := store.Outcome{Kind: f.Outcome, Note: f.Reason}
	if !slices.ContainsFunc(ch.Outcomes, func(c outcomeChoice) bool { return c.Kind == f.Outcome }) {
		f.Error = "decide.error.outcome"
		return f, o
	}
	switch f.Outcome {
	case store.OutcomeMute:
		i := slices.IndexFunc(ch.MuteFor, func(d durationChoice) bool { return d.Name == f.MuteFor })
		if i < 0 {
			f.Error = "decide.error.duration"
			return f, o
		}
		o.Duration = ch.MuteFor[i].For
	case store.OutcomeSuspend:
		i := slices.IndexFunc(ch.SuspendFor, func(d durationChoice) bool { return d.Name == f.SuspendFor })
		if i < 0 {
			f.Error = "decide.error.duration"
			return f, o
		}
		o.Duration = ch.SuspendFor[i].For
	case store.OutcomeBan:
		if !f.BanConfirm {
			f.Error = "decide.error.ban_confirm"
			return f, o
		}
	case store.OutcomeEscalate:
		if !slices.Contains(ch.EscalateTo, f.ToQueue) {
			f.Error = "decide.error.queue"
			return f, o
		}
		o.ToQueue = f.ToQueue
	}
	switch {
	case f.Reason == "":
		f.Error = "decide.error.reason"
	case utf8.RuneCountInString(f.Reason) > maxReason:
		f.Error = "decide.error.reason_long"
	}
	return f, o
}

// decide records the reviewer's outcomes on a case they hold: one, or
// removing the content and one outcome about the account besides
// (store.DecideMany), resting on a principle of the code of ethics. A
// form that does not check out is shown again with its error (400); a
// lease that ran out or passed to someone else is a 409 page; a ban by a
// reviewer who may not ban is refused (403, audited). After a note the
// case page shows again; after any other outcome the reviewer gets the
// queue's next case, or the overview, which offers to undo a decision
// that closed the case for as long as the store allows (undo.go).
func (s *Server) decide(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	d, ok := s.loadCase(w, r, rc)
	if !ok {
		return
	}
	c := d.Case
	if (r.PostForm.Get("outcome") == store.OutcomeBan || r.PostForm.Get("also") == store.OutcomeBan) && !canBan(rc.Account) {
		s.deny(w, r, rc, "ban_role", c.ID)
		return
	}
	if !d.Held {
		s.conflict(w, r, rc, "conflict.lease_lost")
		return
	}
	form, outcomes := parseDecision(r, d.Choices)
	if form.Error != "" {
		d.Form = form
		s.render(w, r, http.StatusBadRequest, "case", s.newView(r, rc, "case.title", d))
		return
	}
	o := outcomes[0]
	m, now := rc.Account.Moderator(), s.cfg.Now()
	var err error
	switch {
	case d.Choices.Appeal:
		err = s.cfg.Store.DecideAppeal(r.Context(), c.ID, m, o.Kind == outcomeOverturn, o.Note, now)
	case len(outcomes) > 1:
		err = s.cfg.Store.DecideMany(r.Context(), c.ID, m, outcomes, now)
	default:
		err = s.cfg.Store.Decide(r.Context(), c.ID, m, o, now)
	}
	if err != nil {
		s.decideFailed(w, r, rc, d, err)
		return
	}
	s.cfg.Log.Info("case decided", "case_id", c.ID, "outcome", o.Kind, "outcomes", len(outcomes), "user_id", rc.Account.ID)
	switch {
	case o.Kind == store.OutcomeNote:
		http.Redirect(w, r, casePath(c.ID), http.StatusSeeOther)
	case o.Kind == store.OutcomeEscalate:
		s.next(w, r, rc, c.Queue, form.ClaimNext, url.Values{"notice": {"escalated"}})
	case d.Choices.Appeal && o.Kind == outcomeOverturn && s.stillOpen(r, c.ID):
		// The first overturn is a proposal, back in the queue for a
		// second reviewer to approve (four eyes). Claiming next would
		// hand the proposer their own proposal, which they may not
		// approve: back to the overview.
		s.next(w, r, rc, c.Queue, false, url.Values{"notice": {"overturn_proposed"}})
	case d.Choices.Appeal:
		s.next(w, r, rc, c.Queue, form.ClaimNext, url.Values{"notice": {"appeal_decided"}})
	default:
		q := undoQuery(c.ID, store.UndoDeadline(now))
		q.Set("notice", "decided")
		s.next(w, r, rc, c.Queue, form.ClaimNext, q)
	}
}

// stillOpen reports whether a case is open; a failed read says no.
func (s *Server) stillOpen(r *http.Request, id string) bool {
	c, err := s.cfg.Store.Case(r.Context(), id)
	return err == nil && c.Open()
}

// decideFailed explains a decision the store refused. The store says
// ErrForbidden both when the lease was lost meanwhile and when the
// reviewer took part in what the appeal reviews (decided the original
// case, or proposed the overturn now to be approved): the case, read
// again, tells which.
func (s *Server) decideFailed(w http.ResponseWriter, r *http.Request, rc *reqContext, d *caseData, err error) {
	c := d.Case
	switch {
	case errors.Is(err, store.ErrConflict):
		s.conflict(w, r, rc, "conflict.appealed_case_open")
	case errors.Is(err, store.ErrForbidden):
		now := s.cfg.Now()
		c, err := s.cfg.Store.Case(r.Context(), c.ID)
		if err != nil {
			s.internalError(w, r, rc, err)
			return
		}
		if !c.Open() || c.ClaimedBy != rc.Account.ID || !c.LeaseUntil.After(now) {
			s.conflict(w, r, rc, "conflict.lease_lost")
			return
		}
		reason := "own_decision"
		if d.ProposedByMe {
			reason = "own_proposal"
		}
		s.deny(w, r, rc, reason, c.ID)
	default:
		s.internalError(w, r, rc, err)
	}
}

// conflict answers 409 with the page explaining what changed.
func (s *Server) conflict(w http.ResponseWriter, r *http.Request, rc *reqContext, key string) {
	s.render(w, r, http.StatusConflict, "error", s.newView(r, rc, "error.title", errorData{Status: http.StatusConflict, Message: key}))
}

// next claims the queue's next case when the reviewer asked for it, and
// otherwise (or when the queue is empty, or the reviewer's day in the
// youth_safety queue is over) returns to the overview; q holds the
// notice, and the undo offer of the decision just recorded, to which
// next adds the case it claimed.
func (s *Server) next(w http.ResponseWriter, r *http.Request, rc *reqContext, queue string, claim bool, q url.Values) {
	if claim && canWork(rc.Account, queue) {
		capped, err := s.capReached(r.Context(), rc.Account, queue)
		if err != nil {
			s.internalError(w, r, rc, err)
			return
		}
		if capped {
			q.Set("notice", "wellbeing_cap")
			http.Redirect(w, r, basePath+"?"+q.Encode(), http.StatusSeeOther)
			return
		}
		c, err := s.cfg.Store.ClaimNext(r.Context(), queue, rc.Account.Moderator(), s.cfg.Lease, s.cfg.Now())
		switch {
		case err == nil:
			if q.Has("undo") {
				// The offer names the case claimed with it, which an
				// undo gives back to the queue (undo.go).
				q.Set("undo_next", c.ID)
			}
			http.Redirect(w, r, casePath(c.ID)+"?"+q.Encode(), http.StatusSeeOther)
			return
		case errors.Is(err, store.ErrNoCase):
			q.Set("notice", "queue_empty")
		default:
			s.internalError(w, r, rc, err)
			return
		}
	}
	http.Redirect(w, r, basePath+"?"+q.Encode(), http.StatusSeeOther)
}
