package reviewerui

import (
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/haechi-tns/haechi/engine/store"
)

// Reviewers look at harm all day; the UI keeps some of it off them.
// Content arrives masked and blurred (content.go, image.go) and the
// header counts what the reviewer revealed today (reveal.go). Besides:
//
//   - A cap on the youth_safety queue: a reviewer who has claimed
//     YouthSafetyCases of its cases today (in KST), or held its cases for
//     YouthSafetyTime, may claim no more there until tomorrow. The day is
//     counted from the audit log (the reviewer's claims, the cases
//     colleagues reassigned to them, and what ended each hold), so there
//     is no counter to keep in step with it.
//   - A break reminder: after BreakAfter of work in one session (a
//     session ends after 30 idle minutes, so its age is how long the
//     reviewer has worked without a real break) a banner suggests a
//     break. "Snooze" silences it for breakSnooze, "dismiss" for another
//     BreakAfter; the choice is kept in a cookie the page's script sets.

// Defaults of the wellbeing limits (Config).
const (
	DefaultYouthSafetyCases = 40
	DefaultYouthSafetyTime  = 2 * time.Hour
	DefaultBreakAfter       = 60 * time.Minute
)

// breakSnooze is how long "snooze" silences the break reminder.
const breakSnooze = 15 * time.Minute

// breakCookie holds, in Unix ms of the server's clock, when the break
// reminder may show again. static/app.js sets it; it is not HttpOnly,
// and a forged one only silences the reviewer's own reminder.
const breakCookie = "haechi_break"

// dayWork is a reviewer's work in one queue today.
type dayWork struct {
	Cases int           // cases claimed
	Time  time.Duration // how long they held them
}

// maxDayEntries bounds how much of a reviewer's day workToday reads.
const maxDayEntries = 5000

// endsHold are the audit actions of a reviewer that end their hold on a
// case.
var endsHold = []string{"case.decided", "case.escalated", "case.released", "case.reassigned",
	"appeal.decided", "appeal.overturn_proposed"}

// holdStep is a step of a reviewer's day in one queue, from the audit
// log: they took a case (claimed it, or a colleague reassigned it to
// them), took it back (undid their decision), or let it go.
type holdStep struct {
	at   time.Time
	seq  int64
	id   string // the case
	kind int    // stepTake, stepResume or stepEnd
}

const (
	stepTake = iota
	stepResume
	stepEnd
)

// workToday counts the cases of queue a took since the start of the day
// in KST, by claiming them or by a colleague reassigning them to a, and
// how long a held them: from each claim or reassignment to the decision,
// escalation, release or reassignment that ended it, or to now for a case
// a still holds. A hold that ended without a word (the lease ran out)
// counts one lease, as far as the log can tell.
func (s *Server) workToday(ctx context.Context, a *Account, queue string, now time.Time) (dayWork, error) {
	day := store.AuditQuery{From: kstDay(now), To: now.Add(time.Millisecond)}
	own := day
	own.Actor = a.ID
	entries, err := s.auditEntries(ctx, own)
	if err != nil {
		return dayWork{}, err
	}
	var steps []holdStep
	for _, e := range entries {
		st := holdStep{at: e.At, seq: e.Seq, id: e.Subject, kind: stepEnd}
		switch {
		case e.Action == "case.claimed":
			var d struct {
				Queue string `json:"queue"`
			}
			if json.Unmarshal([]byte(e.Details), &d) != nil || d.Queue != queue {
				continue
			}
			st.kind = stepTake
		case e.Action == "case.undone":
			st.kind = stepResume
		case !slices.Contains(endsHold, e.Action):
			continue
		}
		steps = append(steps, st)
	}
	// Reassignments are few: the day's, by anyone, are read, and those
	// to a in queue kept.
	given := day
	given.Action = "case.reassigned"
	if entries, err = s.auditEntries(ctx, given); err != nil {
		return dayWork{}, err
	}
	for _, e := range entries {
		var d struct {
			To    string `json:"to"`
			Queue string `json:"queue"`
		}
		// (Entries from before reassignments named their queue name
		// none, and count in no queue.)
		if json.Unmarshal([]byte(e.Details), &d) == nil && d.To == a.ID && d.Queue == queue {
			steps = append(steps, holdStep{at: e.At, seq: e.Seq, id: e.Subject, kind: stepTake})
		}
	}
	slices.SortFunc(steps, func(x, y holdStep) int {
		if c := x.at.Compare(y.at); c != 0 {
			return c
		}
		return cmp.Compare(x.seq, y.seq)
	})
	var w dayWork
	held, counted := map[string]time.Time{}, map[string]bool{}
	for _, st := range steps {
		switch {
		case st.kind == stepTake:
			if !counted[st.id] {
				counted[st.id] = true
				w.Cases++
			}
			held[st.id] = st.at
		case st.kind == stepResume && counted[st.id]:
			held[st.id] = st.at // back in the reviewer's hands
		case st.kind == stepEnd:
			if start, ok := held[st.id]; ok {
				w.Time += st.at.Sub(start)
				delete(held, st.id)
			}
		}
	}
	for id, start := range held {
		end := start.Add(s.cfg.Lease)
		if end.After(now) {
			end = now
		}
		if c, err := s.cfg.Store.Case(ctx, id); err == nil && c.Open() && c.ClaimedBy == a.ID && c.LeaseUntil.After(now) {
			end = now
		}
		w.Time += max(0, end.Sub(start))
	}
	return w, nil
}

// auditEntries reads the entries q selects, newest first, up to
// maxDayEntries.
func (s *Server) auditEntries(ctx context.Context, q store.AuditQuery) ([]store.AuditEntry, error) {
	var entries []store.AuditEntry
	q.Limit = 500
	for {
		page, err := s.cfg.Store.SearchAudit(ctx, q)
		if err != nil {
			return nil, err
		}
		entries = append(entries, page.Entries...)
		if page.Next == nil || len(entries) >= maxDayEntries {
			return entries, nil
		}
		q.Before = page.Next
	}
}

// capReached reports whether a has done a day's work in queue: only the
// youth_safety queue has a cap.
func (s *Server) capReached(ctx context.Context, a *Account, queue string) (bool, error) {
	if queue != store.QueueYouthSafety {
		return false, nil
	}
	w, err := s.workToday(ctx, a, queue, s.cfg.Now())
	if err != nil {
		return false, err
	}
	return s.capped(w), nil
}

func (s *Server) capped(w dayWork) bool {
	return w.Cases >= s.cfg.YouthSafetyCases || w.Time >= s.cfg.YouthSafetyTime
}

// wellbeingView is what the layout shows for the reviewer's wellbeing
// (templates/_wellbeing.html).
type wellbeingView struct {
	// The break reminder shows once BreakInMS have passed (at once when
	// 0); ServerNowMS lets the script set its cookie on the server's
	// clock; SnoozeMS and AgainMS are how long snoozing and dismissing
	// silence it.
	BreakInMS, ServerNowMS, SnoozeMS, AgainMS int64
	WorkedFor                                 time.Duration
	// Youth is the reviewer's day in the youth_safety queue when the cap
	// is near (three quarters) or reached; nil otherwise, and for
	// reviewers who do not work it.
	Youth *youthDay
}

// youthDay is a day's work in the youth_safety queue against its cap.
type youthDay struct {
	Cases, MaxCases int
	Time, MaxTime   time.Duration
	Reached         bool
}

// wellbeingFor returns what the layout shows for rc's wellbeing, worked
// out once, when a page first asks: nil without a session.
func (s *Server) wellbeingFor(r *http.Request, rc *reqContext) func() *wellbeingView {
	var v *wellbeingView
	done := false
	return func() *wellbeingView {
		if !done {
			v, done = s.wellbeing(r, rc), true
		}
		return v
	}
}

func (s *Server) wellbeing(r *http.Request, rc *reqContext) *wellbeingView {
	if rc.Account == nil || rc.Session == nil {
		return nil
	}
	now := s.cfg.Now()
	due := rc.Session.CreatedAt.Add(s.cfg.BreakAfter)
	if c, err := r.Cookie(breakCookie); err == nil {
		// A time more than a day away is no choice the script made.
		if until, err := strconv.ParseInt(c.Value, 10, 64); err == nil && until > now.Add(-24*time.Hour).UnixMilli() && until < now.Add(24*time.Hour).UnixMilli() {
			if t := time.UnixMilli(until); t.After(due) {
				due = t
			}
		}
	}
	v := &wellbeingView{
		BreakInMS: max(0, due.Sub(now).Milliseconds()), ServerNowMS: now.UnixMilli(),
		SnoozeMS: breakSnooze.Milliseconds(), AgainMS: s.cfg.BreakAfter.Milliseconds(), WorkedFor: s.cfg.BreakAfter,
	}
	if canWork(rc.Account, store.QueueYouthSafety) {
		w, err := s.workToday(r.Context(), rc.Account, store.QueueYouthSafety, now)
		if err != nil {
			s.cfg.Log.Error("counting the day's youth-safety work failed", "user_id", rc.Account.ID, "err", err)
			return v
		}
		near := 4*w.Cases >= 3*s.cfg.YouthSafetyCases || 4*w.Time >= 3*s.cfg.YouthSafetyTime
		if near {
			v.Youth = &youthDay{Cases: w.Cases, MaxCases: s.cfg.YouthSafetyCases, Time: w.Time, MaxTime: s.cfg.YouthSafetyTime, Reached: s.capped(w)}
		}
	}
	return v
}

// Wellbeing is what the layout shows for the reviewer's wellbeing, or
// nil for nobody signed in.
func (v *view) Wellbeing() *wellbeingView {
	if v.wellbeing == nil {
		return nil
	}
	return v.wellbeing()
}
