package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/haechi-tns/haechi/engine"
)

// A transparency report counts one calendar month of moderation, in the
// platform's time zone, after the fields of the EU Digital Services Act's
// transparency reports (Art. 15(1)(b)–(e) and 24(1); the templates of
// Implementing Regulation (EU) 2024/2835): notices received and acted
// on, own-initiative decisions, complaints (appeals), account
// restrictions and indicators of the accuracy of automated means. It
// holds counts and durations only: no user ids, no texts.
//
// Every figure counts what happened inside the month (a report filed, a
// case closed, an appeal decided, a restriction started), never a state
// read later, so the figures of a month that has ended do not move. The
// report is nevertheless frozen once its month has ended (stored in
// transparency_reports, migration 17) and read from there ever after:
// retention minimises and deletes the rows it counted, a reporter
// ignored later marks their old reports, and a report once published
// must read the same however it was computed.

// TransparencyZone is the time zone months are counted in: the
// platform's, Korea (+09:00 all year since 1988, so a fixed zone needs
// no time zone database). It is named in every report.
var TransparencyZone = time.FixedZone("KST", 9*60*60)

// TransparencyVersion is the report format's version, stored with each
// frozen report.
const TransparencyVersion = 1

// transparencyTables is migration 17: frozen transparency reports; what
// retention has deleted that the search index must forget, and how far
// its passes have gone; indexes of the times the report counts by and
// of the texts retention looks for.
const transparencyTables = `CREATE TABLE transparency_reports (
		month       TEXT PRIMARY KEY,
		version     INTEGER NOT NULL,
		computed_at BIGINT NOT NULL,
		body        TEXT NOT NULL
	);
	CREATE TABLE retention_forgotten (
		kind TEXT NOT NULL,
		id   TEXT NOT NULL,
		at   BIGINT NOT NULL,
		PRIMARY KEY (kind, id)
	);
	CREATE TABLE retention_progress (
		name     TEXT PRIMARY KEY,
		position TEXT NOT NULL,
		id       TEXT NOT NULL
	);
	CREATE INDEX reports_created ON reports (created_at);
	CREATE INDEX appeals_created ON appeals (created_at);
	CREATE INDEX restrictions_starts ON restrictions (starts_at);
	CREATE INDEX reports_text ON reports (case_id) WHERE details <> '' OR location <> '';
	CREATE INDEX appeals_text ON appeals (decided_at) WHERE reason <> '' OR proposal_note <> ''`

// Month is a calendar month in TransparencyZone.
type Month struct {
	Year  int
	Month time.Month
}

var monthPattern = regexp.MustCompile(`^([0-9]{4})-([0-9]{2})$`)

// ParseMonth reads a month written YYYY-MM, from 2000-01 to 9999-12,
// and nothing else.
func ParseMonth(s string) (Month, error) {
	m := monthPattern.FindStringSubmatch(s)
	if m == nil {
		return Month{}, fmt.Errorf("month %q: want YYYY-MM, such as 2026-11", s)
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	if y < 2000 || mo < 1 || mo > 12 {
		return Month{}, fmt.Errorf("month %q: want a year from 2000 and a month from 01 to 12", s)
	}
	return Month{Year: y, Month: time.Month(mo)}, nil
}

// MonthOf is the month t falls in, in TransparencyZone.
func MonthOf(t time.Time) Month {
	y, m, _ := t.In(TransparencyZone).Date()
	return Month{Year: y, Month: m}
}

func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month)) }

// Start is the month's first instant.
func (m Month) Start() time.Time { return time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, TransparencyZone) }

// End is the next month's first instant.
func (m Month) End() time.Time { return m.Start().AddDate(0, 1, 0) }

// Prev is the month before.
func (m Month) Prev() Month { return MonthOf(m.Start().AddDate(0, 0, -1)) }

// TransparencyReport is one month's figures. Maps are keyed by the
// taxonomy's names (categories, actions, outcomes, space types) and hold
// every known key, zero or not, so that months compare line by line.
type TransparencyReport struct {
	Version int          `json:"version"`
	Period  ReportPeriod `json:"reporting_period"`
	// GeneratedAt is when the figures were computed.
	GeneratedAt time.Time `json:"generated_at"`
	// Final is true for a month that had ended when it was computed: the
	// report is frozen and reads the same ever after. A report of the
	// current month is provisional.
	Final         bool                 `json:"final"`
	Notices       NoticeFigures        `json:"notices"`
	OwnInitiative OwnInitiativeFigures `json:"own_initiative"`
	Human         HumanFigures         `json:"human_decisions"`
	Complaints    ComplaintFigures     `json:"complaints"`
	Restrictions  RestrictionFigures   `json:"account_restrictions"`
	Automated     AutomatedFigures     `json:"automated_means"`
}

// ReportPeriod is the month a report covers: [Start, End) in TimeZone.
type ReportPeriod struct {
	Month    string    `json:"month"`
	TimeZone string    `json:"time_zone"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
}

// NoticeFigures are citizens' reports (DSA Art. 15(1)(b), 24(1)(b)).
type NoticeFigures struct {
	// Received counts the reports filed in the month.
	Received         int64            `json:"received"`
	ByCategory       map[string]int64 `json:"received_by_category"`
	BySpaceType      map[string]int64 `json:"received_by_space_type"`
	ByTarget         map[string]int64 `json:"received_by_target"`
	FromIgnored      int64            `json:"received_from_ignored_reporters"`
	ReportersIgnored int64            `json:"reporters_ignored"`
	// CasesClosed counts the cases with reports that a person closed in
	// the month, by outcome; Actioned those among them whose outcome
	// restricted the content or the account.
	CasesClosed int64            `json:"cases_closed"`
	ByOutcome   map[string]int64 `json:"cases_closed_by_outcome"`
	Actioned    int64            `json:"actions_taken"`
	// MedianSecondsToAction is the median time from a case's first
	// report to its closing with a restricting outcome; nil when none.
	MedianSecondsToAction *int64 `json:"median_seconds_to_action"`
}

// OwnInitiativeFigures are the engine's decisions (DSA Art. 15(1)(c)):
// every event decided in the month, and the restricting ones by action,
// category, type of restriction and space type. A decision with two
// categories counts once under each.
type OwnInitiativeFigures struct {
	Decisions          int64                       `json:"items_assessed"`
	Restricting        int64                       `json:"restricting_decisions"`
	ByAction           map[string]int64            `json:"by_action"`
	ByCategoryAction   map[string]map[string]int64 `json:"by_category_and_action"`
	ByRestriction      map[string]int64            `json:"by_restriction_type"`
	RestrictingBySpace map[string]int64            `json:"restricting_by_space_type"`
	SentToReview       int64                       `json:"sent_to_human_review"`
}

// HumanFigures are the cases people closed in the month, appeals apart.
type HumanFigures struct {
	Closed               int64            `json:"cases_closed"`
	ByOutcome            map[string]int64 `json:"by_outcome"`
	BySource             map[string]int64 `json:"by_source"`
	MedianSecondsToClose *int64           `json:"median_seconds_to_close"`
}

// ComplaintFigures are appeals (DSA Art. 15(1)(d)): filed in the month,
// decided in the month (whenever filed), and still open at its end.
type ComplaintFigures struct {
	Received              int64  `json:"received"`
	ReceivedOfAutomated   int64  `json:"received_of_automated_decisions"`
	Decided               int64  `json:"decided"`
	Upheld                int64  `json:"upheld"`
	Overturned            int64  `json:"reversed"`
	MedianSecondsToDecide *int64 `json:"median_seconds_to_decide"`
	OpenAtPeriodEnd       int64  `json:"open_at_period_end"`
}

// RestrictionFigures are the restrictions of accounts that started in
// the month, by kind (mute, suspend, ban).
type RestrictionFigures struct {
	Total  int64            `json:"total"`
	ByKind map[string]int64 `json:"by_kind"`
}

// AutomatedFigures indicate the accuracy of automated means (DSA Art.
// 15(1)(e)): how often a person released what the engine restricted,
// on review or on appeal. Rates are nil when nothing was decided.
type AutomatedFigures struct {
	Restrictions int64 `json:"automated_restrictions"`
	// Reviewed counts the cases opened by the engine's decisions that a
	// person closed in the month; Released those the person found no
	// violation in (dismiss, restore).
	Reviewed    int64    `json:"reviewed_by_person"`
	Released    int64    `json:"released_on_review"`
	ReleaseRate *float64 `json:"release_rate"`
	// AppealsDecided counts appeals of decisions no person had taken,
	// decided in the month; Overturned those reversed.
	AppealsDecided int64    `json:"appeals_of_automated_decided"`
	Overturned     int64    `json:"appeals_of_automated_reversed"`
	OverturnRate   *float64 `json:"appeal_reversal_rate"`
}

// restrictingOutcomes are the outcomes of a case that act against the
// content or the account.
var restrictingOutcomes = []string{OutcomeRemove, OutcomeWarn, OutcomeMute, OutcomeSuspend, OutcomeBan}

// releasingOutcomes are those that find no violation.
var releasingOutcomes = []string{OutcomeDismiss, OutcomeRestore}

// RestrictionKinds are the kinds of account restriction.
var RestrictionKinds = []string{OutcomeMute, OutcomeSuspend, OutcomeBan}

// CaseOutcomes are the outcomes that close a case other than an appeal.
var CaseOutcomes = []string{OutcomeDismiss, OutcomeRemove, OutcomeWarn, OutcomeMute, OutcomeSuspend, OutcomeBan, OutcomeRestore}

// RestrictionTypes name what an engine action did to the content, as
// statements of reasons do.
var RestrictionTypes = map[engine.Action]string{
	engine.ActionRedact:   "content_partially_masked",
	engine.ActionHold:     "content_disabled",
	engine.ActionEscalate: "content_disabled",
	engine.ActionBlock:    "content_removed",
}

// ErrMonthNotBegun is returned for a report of a month still to come.
var ErrMonthNotBegun = errors.New("store: the month has not begun")

// TransparencyReport returns month m's report at now. A month that
// ended (settled: statsLag after its end, when every decision of it is
// stored) is computed once, frozen, and read from the store after; the
// current month is computed afresh and not kept (Final is false).
func (s *Store) TransparencyReport(ctx context.Context, m Month, now time.Time) (*TransparencyReport, error) {
	if !now.After(m.Start()) {
		return nil, fmt.Errorf("%w: %s", ErrMonthNotBegun, m)
	}
	final := !now.Before(m.End().Add(statsLag))
	if final {
		if r, err := s.frozenReport(ctx, m); err == nil || !errors.Is(err, ErrNotFound) {
			return r, err
		}
	}
	r, err := s.computeTransparency(ctx, m, now)
	if err != nil {
		return nil, fmt.Errorf("store: transparency %s: %w", m, err)
	}
	if !final {
		return r, nil
	}
	r.Final = true
	body, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	// Another process may have frozen it meanwhile: the first one stays.
	if _, err := s.db.ExecContext(ctx, s.q(`INSERT INTO transparency_reports (month, version, computed_at, body) VALUES (?,?,?,?)
		ON CONFLICT (month) DO NOTHING`), m.String(), TransparencyVersion, ms(now), string(body)); err != nil {
		return nil, fmt.Errorf("store: transparency %s: freeze: %w", m, err)
	}
	return s.frozenReport(ctx, m)
}

func (s *Store) frozenReport(ctx context.Context, m Month) (*TransparencyReport, error) {
	var body string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT body FROM transparency_reports WHERE month = ?`), m.String()).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: transparency report %s", ErrNotFound, m)
	}
	if err != nil {
		return nil, fmt.Errorf("store: transparency %s: %w", m, err)
	}
	var r TransparencyReport
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return nil, fmt.Errorf("store: transparency %s: %w", m, err)
	}
	return &r, nil
}

// zeroes is a map holding keys, each 0.
func zeroes[K ~string](keys []K) map[string]int64 {
	out := make(map[string]int64, len(keys))
	for _, k := range keys {
		out[string(k)] = 0
	}
	return out
}

// unspecified keys a count whose space type was not given.
const unspecified = "unspecified"

func orUnspecified(s string) string {
	if s == "" {
		return unspecified
	}
	return s
}

// computeTransparency reads month m's figures. Each query reads the
// month only, on an index of the time it counts by.
func (s *Store) computeTransparency(ctx context.Context, m Month, now time.Time) (*TransparencyReport, error) {
	from, to := ms(m.Start()), ms(m.End())
	spaces := zeroes(engine.SpaceTypes)
	spaces[unspecified] = 0
	r := &TransparencyReport{
		Version:     TransparencyVersion,
		Period:      ReportPeriod{Month: m.String(), TimeZone: "Asia/Seoul (KST, UTC+09:00)", Start: m.Start(), End: m.End()},
		GeneratedAt: now.UTC(),
		Notices: NoticeFigures{ByCategory: zeroes(engine.ReportCategories), BySpaceType: maps.Clone(spaces),
			ByTarget: zeroes([]string{TargetMessage, TargetImage, TargetUser}), ByOutcome: zeroes(CaseOutcomes)},
		OwnInitiative: OwnInitiativeFigures{ByAction: zeroes(engine.Actions), ByCategoryAction: map[string]map[string]int64{},
			ByRestriction: map[string]int64{}, RestrictingBySpace: maps.Clone(spaces)},
		Human:        HumanFigures{ByOutcome: zeroes(CaseOutcomes), BySource: zeroes([]string{SourceDecision, SourceReport})},
		Restrictions: RestrictionFigures{ByKind: zeroes(RestrictionKinds)},
	}
	for _, t := range RestrictionTypes {
		r.OwnInitiative.ByRestriction[t] = 0
	}
	steps := []func(context.Context, *TransparencyReport, int64, int64) error{
		s.transparencyNotices, s.transparencyCases, s.transparencyDecisions, s.transparencyAppeals, s.transparencyRestrictions,
	}
	for _, step := range steps {
		if err := step(ctx, r, from, to); err != nil {
			return nil, err
		}
	}
	a := &r.Automated
	a.Restrictions = r.OwnInitiative.Restricting
	a.ReleaseRate, a.OverturnRate = rate(a.Released, a.Reviewed), rate(a.Overturned, a.AppealsDecided)
	return r, nil
}

func rate(n, of int64) *float64 {
	if of == 0 {
		return nil
	}
	f := float64(n) / float64(of)
	return &f
}

// medianSeconds is the median of durations in milliseconds, in whole
// seconds (the mean of the middle two for an even count, rounded down);
// nil for none.
func medianSeconds(ds []int64) *int64 {
	if len(ds) == 0 {
		return nil
	}
	slices.Sort(ds)
	mid := len(ds) / 2
	v := ds[mid]
	if len(ds)%2 == 0 {
		v = (ds[mid-1] + ds[mid]) / 2
	}
	v /= 1000
	return &v
}

// transparencyNotices counts the reports filed and the reporters
// ignored in [from, to).
func (s *Store) transparencyNotices(ctx context.Context, r *TransparencyReport, from, to int64) error {
	n := &r.Notices
	err := s.each(ctx, `SELECT category, space_type, target_kind, counted, count(*) FROM reports
		WHERE created_at >= ? AND created_at < ? GROUP BY category, space_type, target_kind, counted`,
		[]any{from, to}, func(rows *sql.Rows) error {
			var cat, space, target string
			var counted int
			var c int64
			if err := rows.Scan(&cat, &space, &target, &counted, &c); err != nil {
				return err
			}
			n.Received += c
			n.ByCategory[cat] += c
			n.BySpaceType[orUnspecified(space)] += c
			n.ByTarget[target] += c
			if counted == 0 {
				n.FromIgnored += c
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("notices: %w", err)
	}
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT count(*) FROM ignored_reporters WHERE at >= ? AND at < ?`), from, to).Scan(&n.ReportersIgnored); err != nil {
		return fmt.Errorf("ignored reporters: %w", err)
	}
	return nil
}

// transparencyCases counts the cases people closed in [from, to): those
// with reports (notices acted on), those the engine's decisions opened
// (automated means reviewed) and all but appeals (human decisions).
func (s *Store) transparencyCases(ctx context.Context, r *TransparencyReport, from, to int64) error {
	var toAction, toClose []int64
	err := s.each(ctx, `SELECT c.source, c.outcome, c.created_at, c.closed_at,
		coalesce((SELECT min(rp.created_at) FROM reports rp WHERE rp.case_id = c.case_id), 0)
		FROM cases c WHERE c.closed_at >= ? AND c.closed_at < ? AND c.decided_by <> ''`,
		[]any{from, to}, func(rows *sql.Rows) error {
			var source, outcome string
			var created, closed, firstReport int64
			if err := rows.Scan(&source, &outcome, &created, &closed, &firstReport); err != nil {
				return err
			}
			if source == SourceAppeal {
				return nil // counted with the complaints
			}
			h := &r.Human
			h.Closed++
			h.ByOutcome[outcome]++
			h.BySource[source]++
			toClose = append(toClose, closed-created)
			if firstReport != 0 {
				n := &r.Notices
				n.CasesClosed++
				n.ByOutcome[outcome]++
				if slices.Contains(restrictingOutcomes, outcome) {
					n.Actioned++
					toAction = append(toAction, closed-firstReport)
				}
			}
			if source == SourceDecision {
				r.Automated.Reviewed++
				if slices.Contains(releasingOutcomes, outcome) {
					r.Automated.Released++
				}
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("cases: %w", err)
	}
	r.Notices.MedianSecondsToAction = medianSeconds(toAction)
	r.Human.MedianSecondsToClose = medianSeconds(toClose)
	return nil
}

// transparencyDecisions counts the engine's decisions of [from, to): by
// action, space type and whether they went to a person, and the
// restricting ones by category (on the decisions (action, decided_at)
// index, as the dashboards' rollup does).
func (s *Store) transparencyDecisions(ctx context.Context, r *TransparencyReport, from, to int64) error {
	o := &r.OwnInitiative
	lo, hi := fromMS(from).Format(sortableTime), fromMS(to).Format(sortableTime)
	all := actionArgs(engine.Actions)
	err := s.each(ctx, `SELECT action, space_type, CASE WHEN queue <> '' THEN 1 ELSE 0 END, count(*) FROM decisions
		WHERE action IN (`+placeholders(len(all))+`) AND decided_at >= ? AND decided_at < ? GROUP BY 1, 2, 3`,
		append(all, lo, hi), func(rows *sql.Rows) error {
			var action, space string
			var queued int
			var n int64
			if err := rows.Scan(&action, &space, &queued, &n); err != nil {
				return err
			}
			a := engine.Action(action)
			o.Decisions += n
			o.ByAction[action] += n
			if !a.Restricts() {
				return nil
			}
			o.Restricting += n
			o.RestrictingBySpace[orUnspecified(space)] += n
			o.ByRestriction[RestrictionTypes[a]] += n
			d := engine.Decision{Action: a}
			if queued == 1 {
				d.Queue = "queued" // any: NeedsReview asks whether there is one
			}
			if NeedsReview(&d) {
				o.SentToReview += n
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("decisions: %w", err)
	}
	flagged := actionArgs(restricting)
	err = s.each(ctx, s.categoryCountsSQL(len(flagged)), append(flagged, lo, hi), func(rows *sql.Rows) error {
		var action, cat string
		var n int64
		if err := rows.Scan(&action, &cat, &n); err != nil {
			return err
		}
		byAction := o.ByCategoryAction[cat]
		if byAction == nil {
			byAction = zeroes(restricting)
			o.ByCategoryAction[cat] = byAction
		}
		byAction[action] += n
		return nil
	})
	if err != nil {
		return fmt.Errorf("decisions by category: %w", err)
	}
	return nil
}

// transparencyAppeals counts the appeals filed in [from, to), those
// decided in it and those open at its end.
func (s *Store) transparencyAppeals(ctx context.Context, r *TransparencyReport, from, to int64) error {
	c := &r.Complaints
	err := s.each(ctx, `SELECT CASE WHEN case_id = '' THEN 1 ELSE 0 END, count(*) FROM appeals WHERE created_at >= ? AND created_at < ? GROUP BY 1`,
		[]any{from, to}, func(rows *sql.Rows) error {
			var automated int
			var n int64
			if err := rows.Scan(&automated, &n); err != nil {
				return err
			}
			c.Received += n
			if automated == 1 {
				c.ReceivedOfAutomated += n
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("appeals received: %w", err)
	}
	var toDecide []int64
	err = s.each(ctx, `SELECT status, CASE WHEN case_id = '' THEN 1 ELSE 0 END, created_at, decided_at FROM appeals
		WHERE decided_at >= ? AND decided_at < ? AND status IN (?, ?)`,
		[]any{from, to, AppealUpheld, AppealOverturned}, func(rows *sql.Rows) error {
			var status string
			var automated int
			var created, decided int64
			if err := rows.Scan(&status, &automated, &created, &decided); err != nil {
				return err
			}
			c.Decided++
			overturned := status == AppealOverturned
			if overturned {
				c.Overturned++
			} else {
				c.Upheld++
			}
			toDecide = append(toDecide, decided-created)
			if automated == 1 {
				r.Automated.AppealsDecided++
				if overturned {
					r.Automated.Overturned++
				}
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("appeals decided: %w", err)
	}
	c.MedianSecondsToDecide = medianSeconds(toDecide)
	// Open at the end: filed before it and not decided before it.
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT count(*) FROM appeals WHERE created_at < ? AND (decided_at = 0 OR decided_at >= ?)`),
		to, to).Scan(&c.OpenAtPeriodEnd); err != nil {
		return fmt.Errorf("appeals open: %w", err)
	}
	return nil
}

// transparencyRestrictions counts the account restrictions that started
// in [from, to).
func (s *Store) transparencyRestrictions(ctx context.Context, r *TransparencyReport, from, to int64) error {
	err := s.each(ctx, `SELECT kind, count(*) FROM restrictions WHERE starts_at >= ? AND starts_at < ? GROUP BY kind`,
		[]any{from, to}, func(rows *sql.Rows) error {
			var kind string
			var n int64
			if err := rows.Scan(&kind, &n); err != nil {
				return err
			}
			r.Restrictions.Total += n
			r.Restrictions.ByKind[kind] += n
			return nil
		})
	if err != nil {
		return fmt.Errorf("restrictions: %w", err)
	}
	return nil
}
