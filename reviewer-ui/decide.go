package reviewerui

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

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
}

// choicesFor lists the outcomes a may record on c: bans only for senior
// reviewers; escalation to any other queue but appeals.
func choicesFor(a *Account, c *store.Case) decisionChoices {
	ch := decisionChoices{Appeal: c.Source == store.SourceAppeal, MuteFor: muteDurations, SuspendFor: suspendDurations}
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
	return ch
}

// decisionForm is the decision form as submitted, kept to show it again
// with its error.
type decisionForm struct {
	Outcome    string
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
// returns the outcome to record, or the form with an error key.
func parseDecision(r *http.Request, ch decisionChoices) (decisionForm, store.Outcome) {
	f := decisionForm{
		Outcome: r.PostForm.Get("outcome"), Reason: strings.TrimSpace(r.PostForm.Get("reason")),
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

// decide records the reviewer's outcome on a case they hold. A form that
// does not check out is shown again with its error (400); a lease that
// ran out or passed to someone else is a 409 page; a ban by a reviewer
// who may not ban is refused (403, audited). After a note the case page
// shows again; after any other outcome the reviewer gets the queue's
// next case, or the overview.
func (s *Server) decide(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	d, ok := s.loadCase(w, r, rc)
	if !ok {
		return
	}
	c := d.Case
	if r.PostForm.Get("outcome") == store.OutcomeBan && !canBan(rc.Account) {
		s.deny(w, r, rc, "ban_role", c.ID)
		return
	}
	if !d.Held {
		s.conflict(w, r, rc, "conflict.lease_lost")
		return
	}
	form, o := parseDecision(r, d.Choices)
	if form.Error != "" {
		d.Form = form
		s.render(w, r, http.StatusBadRequest, "case", s.newView(r, rc, "case.title", d))
		return
	}
	m, now := rc.Account.Moderator(), s.cfg.Now()
	var err error
	if d.Choices.Appeal {
		err = s.cfg.Store.DecideAppeal(r.Context(), c.ID, m, o.Kind == outcomeOverturn, o.Note, now)
	} else {
		err = s.cfg.Store.Decide(r.Context(), c.ID, m, o, now)
	}
	if err != nil {
		s.decideFailed(w, r, rc, d, err)
		return
	}
	s.cfg.Log.Info("case decided", "case_id", c.ID, "outcome", o.Kind, "user_id", rc.Account.ID)
	switch {
	case o.Kind == store.OutcomeNote:
		http.Redirect(w, r, casePath(c.ID), http.StatusSeeOther)
	case o.Kind == store.OutcomeEscalate:
		s.next(w, r, rc, c.Queue, form.ClaimNext, "escalated")
	case d.Choices.Appeal && o.Kind == outcomeOverturn && s.stillOpen(r, c.ID):
		// The first overturn is a proposal, back in the queue for a
		// second reviewer to approve (four eyes).
		s.next(w, r, rc, c.Queue, form.ClaimNext, "overturn_proposed")
	case d.Choices.Appeal:
		s.next(w, r, rc, c.Queue, form.ClaimNext, "appeal_decided")
	default:
		s.next(w, r, rc, c.Queue, form.ClaimNext, "decided")
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
// otherwise (or when the queue is empty) returns to the overview with a
// notice.
func (s *Server) next(w http.ResponseWriter, r *http.Request, rc *reqContext, queue string, claim bool, notice string) {
	if claim && canWork(rc.Account, queue) {
		c, err := s.cfg.Store.ClaimNext(r.Context(), queue, rc.Account.Moderator(), s.cfg.Lease, s.cfg.Now())
		switch {
		case err == nil:
			http.Redirect(w, r, casePath(c.ID)+"?"+url.Values{"notice": {notice}}.Encode(), http.StatusSeeOther)
			return
		case errors.Is(err, store.ErrNoCase):
			notice = "queue_empty"
		default:
			s.internalError(w, r, rc, err)
			return
		}
	}
	http.Redirect(w, r, basePath+"?notice="+notice, http.StatusSeeOther)
}
