package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/haechi-tns/haechi/engine"
)

// The operators' dashboards read figures kept as things happen, by
// SampleStats, which housekeeping calls every half minute, so that a
// page reads a few thousand small rows for its window however many
// decisions and cases the window holds.
//
//   - Queue depth and the oldest case's age are sampled every five
//     minutes (queue_samples). A case records only its current queue, so
//     a past queue's depth cannot be derived from the cases: escalations
//     and moves to youth safety would be counted in the queue the case
//     ended in. Sampling costs one grouped count of the open cases (on
//     their partial index) per five minutes; 14 days are 16,128 rows. The
//     price is no history from before sampling started, and gaps while no
//     process runs housekeeping, which the charts show as gaps.
//   - Automated decisions are counted per hour, action and space type,
//     and restricting ones per category too (decision_counts). Decisions
//     are the engine's output, every chat line among them; counting 14
//     days of them for each page view would read millions of rows, and
//     the categories sit in each decision's JSON.
//   - Cases closed by people are counted per hour by outcome and by
//     reviewer, and SLA breaches per hour by queue (case_counts,
//     migration 14). Read from the cases at each view, 100,000 cases
//     closed in a fortnight cost the page 0.6 s on SQLite.
//
// Both counts read each decision or case once, an hour or less at a time
// from where they last stopped (stats_progress), on indexes of the time
// they count by (decisions (action, decided_at); cases closed_at and
// sla_due_at, migration 12), and stay statsLag behind the clock. Appeals
// decided, far fewer, are read from their table (on its decided_at
// index).
//
// Every window is whole days: Days days from From, which the caller
// chooses (the UI: midnight in Korea). Days are counted in milliseconds
// from From, so the same SQL buckets them on both databases.

// QueueSampleEvery is how often each queue's depth is sampled: calls of
// SampleStats in the same five minutes after the first sample nothing.
const QueueSampleEvery = 5 * time.Minute

// StatsRetention is how long samples and hourly counts are kept.
const StatsRetention = 90 * 24 * time.Hour

// MaxStatsDays bounds a dashboard's window.
const MaxStatsDays = 31

const (
	// statsLag is how long after a decision (or a case's closing) it is
	// counted. A decision is stored within a batch's 30 s deadline of
	// being decided (an API request's 10 s), and one not stored by then
	// is decided again with a new time, so none is stored later than
	// this behind its time; a case is closed in a transaction of its own
	// (or of 50, in bulk) stamped when it starts.
	statsLag = 5 * time.Minute
	// statsBackfill is where the first rollup starts: far enough back
	// for the longest window.
	statsBackfill = MaxStatsDays * 24 * time.Hour
	// maxRollupSteps bounds one call's rollup (each step an hour or
	// less); a backfill catches up over several calls.
	maxRollupSteps = 48
	hourMS         = int64(time.Hour / time.Millisecond)
	dayMS          = 24 * hourMS
	// The rollups' names in stats_progress.
	decisionsProgress = "decisions"
	casesProgress     = "cases"
)

// statsTables are the dashboards' tables and the indexes their queries
// need (migration 12). In decision_counts a row counts an hour's
// decisions of one action either in one space type (with an empty
// category) or with one category (with an empty space type; restricting
// actions only): a
// decision with two categories counts once in the first kind and once
// per category in the second.
const statsTables = `CREATE TABLE queue_samples (
		slot          BIGINT NOT NULL,
		queue         TEXT NOT NULL,
		at            BIGINT NOT NULL,
		open_cases    INTEGER NOT NULL,
		claimed       INTEGER NOT NULL,
		overdue       INTEGER NOT NULL,
		oldest_age_ms BIGINT NOT NULL,
		PRIMARY KEY (slot, queue)
	);
	CREATE TABLE decision_counts (
		hour       BIGINT NOT NULL,
		action     TEXT NOT NULL,
		category   TEXT NOT NULL,
		space_type TEXT NOT NULL,
		n          BIGINT NOT NULL,
		PRIMARY KEY (hour, action, category, space_type)
	);
	CREATE TABLE stats_progress (
		name       TEXT PRIMARY KEY,
		done_until BIGINT NOT NULL
	);
	CREATE INDEX cases_closed ON cases (closed_at);
	CREATE INDEX cases_sla_due ON cases (sla_due_at);
	CREATE INDEX appeals_decided ON appeals (decided_at)`

// caseCountsTable is migration 14: per hour, cases closed by outcome
// (kind "outcome") and by reviewer ("reviewer", the user id), and SLA
// breaches by queue ("sla_breach").
const caseCountsTable = `CREATE TABLE case_counts (
		hour BIGINT NOT NULL,
		kind TEXT NOT NULL,
		key  TEXT NOT NULL,
		n    BIGINT NOT NULL,
		PRIMARY KEY (kind, hour, key)
	)`

// Kinds of case_counts rows.
const (
	countOutcome   = "outcome"
	countReviewer  = "reviewer"
	countSLABreach = "sla_breach"
)

// SampleStats keeps what the dashboards cannot read back later or would
// read too slowly: it samples every queue's depth (once per
// QueueSampleEvery, however many processes call it), counts the
// decisions stored and the cases closed or overdue since the last call
// (up to five minutes ago; a first call counts the last 31 days, over
// several calls), and deletes samples and counts older than
// StatsRetention. Housekeeping calls it every half minute. Concurrent
// calls, from one process or several, count everything once.
func (s *Store) SampleStats(ctx context.Context, now time.Time) error {
	if err := s.sampleQueues(ctx, now); err != nil {
		return fmt.Errorf("store: sample stats: queues: %w", err)
	}
	for _, r := range []struct {
		name  string
		count func(ctx context.Context, tx *sql.Tx, hour, from, to int64) error
	}{{decisionsProgress, s.countDecisions}, {casesProgress, s.countCases}} {
		if err := s.rollup(ctx, now, r.name, r.count); err != nil {
			return fmt.Errorf("store: sample stats: %s: %w", r.name, err)
		}
	}
	cut := ms(now.Add(-StatsRetention))
	for _, del := range []struct {
		query string
		arg   int64
	}{
		{`DELETE FROM queue_samples WHERE slot < ?`, cut / QueueSampleEvery.Milliseconds()},
		{`DELETE FROM decision_counts WHERE hour < ?`, cut},
		{`DELETE FROM case_counts WHERE kind IN ('` + countOutcome + `', '` + countReviewer + `', '` + countSLABreach + `') AND hour < ?`, cut},
	} {
		if _, err := s.db.ExecContext(ctx, s.q(del.query), del.arg); err != nil {
			return fmt.Errorf("store: sample stats: prune: %w", err)
		}
	}
	return nil
}

// sampleQueues stores every queue's open, claimed and overdue cases and
// its oldest case's age now, unless this five minutes' slot has them.
func (s *Store) sampleQueues(ctx context.Context, now time.Time) error {
	qs, err := s.QueueSummaries(ctx, now)
	if err != nil {
		return err
	}
	slot := ms(now) / QueueSampleEvery.Milliseconds()
	return s.retryTx(ctx, func(tx *sql.Tx) error {
		for _, q := range qs {
			var age int64
			if !q.Oldest.IsZero() {
				age = max(0, ms(now)-ms(q.Oldest))
			}
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO queue_samples (slot, queue, at, open_cases, claimed, overdue, oldest_age_ms)
				VALUES (?,?,?,?,?,?,?) ON CONFLICT (slot, queue) DO NOTHING`), slot, q.Queue, ms(now), q.Open, q.Claimed, q.Overdue, age); err != nil {
				return err
			}
		}
		return nil
	})
}

// rollup runs the rollup name step by step until it reaches statsLag
// before now, or has taken maxRollupSteps.
func (s *Store) rollup(ctx context.Context, now time.Time, name string, count func(ctx context.Context, tx *sql.Tx, hour, from, to int64) error) error {
	for range maxRollupSteps {
		done, err := s.rollupStep(ctx, now, name, count)
		if err != nil || done {
			return err
		}
	}
	return nil
}

// rollupStep has count add what happened from where the rollup name
// stopped to the end of that hour (or statsLag before now, if sooner) to
// that hour's counts, in one transaction, which holds the rollup's
// progress row: a concurrent step waits and then starts where this one
// ended. It reports whether the rollup has caught up.
func (s *Store) rollupStep(ctx context.Context, now time.Time, name string, count func(ctx context.Context, tx *sql.Tx, hour, from, to int64) error) (bool, error) {
	caughtUp := false
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		caughtUp = false
		start := ms(now.Add(-statsBackfill))
		start -= start % hourMS
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO stats_progress (name, done_until) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`),
			name, start); err != nil {
			return err
		}
		var from int64
		if err := tx.QueryRowContext(ctx, s.q(`SELECT done_until FROM stats_progress WHERE name = ?`+s.forUpdate()), name).Scan(&from); err != nil {
			return err
		}
		hour := from - from%hourMS
		to := min(hour+hourMS, ms(now.Add(-statsLag)))
		if to <= from {
			caughtUp = true
			return nil
		}
		if err := count(ctx, tx, hour, from, to); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`UPDATE stats_progress SET done_until = ? WHERE name = ?`), to, name)
		return err
	})
	return caughtUp, err
}

// restricting are the actions that restrict content: the decisions whose
// categories are counted, and the flags of the flag rate.
var restricting = slices.DeleteFunc(slices.Clone(engine.Actions), func(a engine.Action) bool { return a == engine.ActionAllow })

// countDecisions adds the decisions decided from from to to (Unix ms, in
// hour) to decision_counts: by action and space type, and the
// restricting ones by action and category.
func (s *Store) countDecisions(ctx context.Context, tx *sql.Tx, hour, from, to int64) error {
	lo, hi := fromMS(from).Format(sortableTime), fromMS(to).Format(sortableTime)
	type row struct {
		action, category, space string
		n                       int64
	}
	var rows []row
	all := actionArgs(engine.Actions)
	err := s.eachIn(ctx, tx, `SELECT action, space_type, count(*) FROM decisions
		WHERE action IN (`+placeholders(len(all))+`) AND decided_at >= ? AND decided_at < ? GROUP BY action, space_type`,
		append(all, lo, hi), func(r *sql.Rows) error {
			var x row
			err := r.Scan(&x.action, &x.space, &x.n)
			rows = append(rows, x)
			return err
		})
	if err != nil {
		return err
	}
	flagged := actionArgs(restricting)
	err = s.eachIn(ctx, tx, s.categoryCountsSQL(len(flagged)), append(flagged, lo, hi), func(r *sql.Rows) error {
		var x row
		err := r.Scan(&x.action, &x.category, &x.n)
		rows = append(rows, x)
		return err
	})
	if err != nil {
		return err
	}
	upsert := s.q(`INSERT INTO decision_counts (hour, action, category, space_type, n) VALUES (?,?,?,?,?)
		ON CONFLICT (hour, action, category, space_type) DO UPDATE SET n = decision_counts.n + excluded.n`)
	for _, x := range rows {
		if _, err := tx.ExecContext(ctx, upsert, hour, x.action, x.category, x.space, x.n); err != nil {
			return err
		}
	}
	return nil
}

// categoryCountsSQL counts decisions by action and category: n actions
// (placeholders), then the decided_at range [lo, hi). A decision counts
// once per category.
func (s *Store) categoryCountsSQL(n int) string {
	if s.postgres {
		// A decision without categories holds "categories": null.
		return `SELECT action, c, count(*) FROM decisions CROSS JOIN LATERAL jsonb_array_elements_text(
			CASE WHEN jsonb_typeof(body::jsonb -> 'categories') = 'array' THEN body::jsonb -> 'categories' ELSE '[]'::jsonb END) AS c
		WHERE action IN (` + placeholders(n) + `) AND decided_at >= ? AND decided_at < ? GROUP BY action, c`
	}
	return `SELECT d.action, j.value, count(*) FROM decisions d, json_each(d.body, '$.categories') j
		WHERE d.action IN (` + placeholders(n) + `) AND d.decided_at >= ? AND d.decided_at < ? AND j.type = 'text'
		GROUP BY d.action, j.value`
}

// countCases adds to case_counts the cases people closed from from to to
// (Unix ms, in hour), by outcome and by reviewer, and the cases whose SLA
// ran out then while they were open (as they are now, statsLag later:
// still open, or closed after it), by queue.
func (s *Store) countCases(ctx context.Context, tx *sql.Tx, hour, from, to int64) error {
	counts := map[[2]string]int64{}
	err := s.eachIn(ctx, tx, `SELECT outcome, decided_by, count(*) FROM cases
		WHERE closed_at >= ? AND closed_at < ? AND decided_by <> '' GROUP BY outcome, decided_by`,
		[]any{from, to}, func(r *sql.Rows) error {
			var outcome, by string
			var n int64
			if err := r.Scan(&outcome, &by, &n); err != nil {
				return err
			}
			counts[[2]string{countOutcome, outcome}] += n
			counts[[2]string{countReviewer, by}] += n
			return nil
		})
	if err != nil {
		return err
	}
	err = s.eachIn(ctx, tx, `SELECT queue, count(*) FROM cases
		WHERE sla_due_at >= ? AND sla_due_at < ? AND (closed_at IS NULL OR closed_at > sla_due_at) GROUP BY queue`,
		[]any{from, to}, func(r *sql.Rows) error {
			var queue string
			var n int64
			err := r.Scan(&queue, &n)
			counts[[2]string{countSLABreach, queue}] += n
			return err
		})
	if err != nil {
		return err
	}
	upsert := s.q(`INSERT INTO case_counts (hour, kind, key, n) VALUES (?,?,?,?)
		ON CONFLICT (kind, hour, key) DO UPDATE SET n = case_counts.n + excluded.n`)
	for k, n := range counts {
		if _, err := tx.ExecContext(ctx, upsert, hour, k[0], k[1], n); err != nil {
			return err
		}
	}
	return nil
}

func actionArgs(as []engine.Action) []any {
	out := make([]any, len(as))
	for i, a := range as {
		out[i] = string(a)
	}
	return out
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }

// eachIn is each on q, a transaction or the database.
func (s *Store) eachIn(ctx context.Context, q queryer, query string, args []any, scan func(*sql.Rows) error) error {
	rows, err := q.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// StatsWindow is the whole days a dashboard covers: Days days (1 to
// MaxStatsDays) from From, the start of a day where the viewer is.
type StatsWindow struct {
	From time.Time
	Days int
}

// End is the end of the window's last day.
func (w StatsWindow) End() time.Time { return w.From.Add(time.Duration(w.Days) * 24 * time.Hour) }

// DayCount is a count on one day of the window (0 is the first) for one
// key: a queue, an action, a category, an outcome or a reviewer.
type DayCount struct {
	Day int
	Key string
	N   int64
}

// QueuePoint is a queue in one hour of the window (0 is the first): its
// largest sampled depth and oldest case's age in that hour.
type QueuePoint struct {
	Hour      int
	Queue     string
	Open      int
	OldestAge time.Duration
}

// AppealDay counts the appeals decided on one day: of automated decisions
// (no person had decided the content) or of people's decisions.
type AppealDay struct {
	Day        int
	Automated  bool
	Upheld     int
	Overturned int
}

// SpaceFlags counts a space type's automated decisions and the
// restricting ones among them.
type SpaceFlags struct {
	SpaceType string
	Decisions int64
	Flagged   int64
}

// Dashboard is what the operators' dashboards show of a window.
type Dashboard struct {
	Window StatsWindow
	// LastSample is the newest queue sample in the window; zero when
	// there is none (nothing has called SampleStats).
	LastSample time.Time
	// CountedUntil is how far decisions and cases have been counted
	// (the earlier of the two); zero when never.
	CountedUntil time.Time
	// Queues are the hours with samples, by hour then queue.
	Queues []QueuePoint
	// SLABreaches counts, by day and queue, the cases whose SLA ran out
	// that day while they were still open.
	SLABreaches []DayCount
	// Decisions counts automated decisions by day and action.
	Decisions []DayCount
	// Categories counts restricting automated decisions by day and
	// category.
	Categories []DayCount
	// Outcomes counts cases people closed, by day and outcome.
	Outcomes []DayCount
	// Reviewers counts cases people closed, by day and reviewer's user id.
	Reviewers []DayCount
	Appeals   []AppealDay
	// Spaces are the automated decisions of the window by space type.
	Spaces []SpaceFlags
}

// Dashboard reads the figures of window w: SampleStats' samples and
// counts, and the appeals decided in it. Each query reads only the
// window, in the order of an index.
func (s *Store) Dashboard(ctx context.Context, w StatsWindow) (*Dashboard, error) {
	if w.Days < 1 || w.Days > MaxStatsDays {
		return nil, fmt.Errorf("store: dashboard: %d days, want 1 to %d", w.Days, MaxStatsDays)
	}
	from, to := ms(w.From), ms(w.End())
	d := &Dashboard{Window: w, Queues: []QueuePoint{}, SLABreaches: []DayCount{}, Decisions: []DayCount{}, Categories: []DayCount{},
		Outcomes: []DayCount{}, Reviewers: []DayCount{}, Appeals: []AppealDay{}, Spaces: []SpaceFlags{}}
	wrap := func(what string, err error) error { return fmt.Errorf("store: dashboard: %s: %w", what, err) }

	slot := QueueSampleEvery.Milliseconds()
	var last sql.NullInt64
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT max(at) FROM queue_samples WHERE slot >= ? AND slot < ?`), from/slot, (to+slot-1)/slot).Scan(&last); err != nil {
		return nil, wrap("queue samples", err)
	}
	d.LastSample = fromMS(last.Int64)
	err := s.each(ctx, `SELECT (at - ?) / ?, queue, max(open_cases), max(oldest_age_ms) FROM queue_samples
		WHERE slot >= ? AND slot < ? AND at >= ? AND at < ? GROUP BY 1, queue ORDER BY 1, queue`,
		[]any{from, hourMS, from / slot, (to + slot - 1) / slot, from, to}, func(r *sql.Rows) error {
			var p QueuePoint
			var age int64
			err := r.Scan(&p.Hour, &p.Queue, &p.Open, &age)
			p.OldestAge = time.Duration(age) * time.Millisecond
			d.Queues = append(d.Queues, p)
			return err
		})
	if err != nil {
		return nil, wrap("queue samples", err)
	}

	err = s.each(ctx, `SELECT (hour - ?) / ?, kind, key, CAST(sum(n) AS BIGINT) FROM case_counts
		WHERE kind IN (?, ?, ?) AND hour >= ? AND hour < ? GROUP BY 1, kind, key ORDER BY 1, kind, key`,
		[]any{from, dayMS, countOutcome, countReviewer, countSLABreach, from, to}, func(r *sql.Rows) error {
			var c DayCount
			var kind string
			if err := r.Scan(&c.Day, &kind, &c.Key, &c.N); err != nil {
				return err
			}
			switch kind {
			case countOutcome:
				d.Outcomes = append(d.Outcomes, c)
			case countReviewer:
				d.Reviewers = append(d.Reviewers, c)
			case countSLABreach:
				d.SLABreaches = append(d.SLABreaches, c)
			}
			return nil
		})
	if err != nil {
		return nil, wrap("case counts", err)
	}

	err = s.each(ctx, `SELECT (decided_at - ?) / ?, CASE WHEN case_id = '' THEN 1 ELSE 0 END, status, count(*) FROM appeals
		WHERE decided_at >= ? AND decided_at < ? AND status IN (?, ?) GROUP BY 1, 2, status ORDER BY 1, 2`,
		[]any{from, dayMS, from, to, AppealUpheld, AppealOverturned}, func(r *sql.Rows) error {
			var day, automated, n int
			var status string
			if err := r.Scan(&day, &automated, &status, &n); err != nil {
				return err
			}
			if k := len(d.Appeals) - 1; k < 0 || d.Appeals[k].Day != day || d.Appeals[k].Automated != (automated == 1) {
				d.Appeals = append(d.Appeals, AppealDay{Day: day, Automated: automated == 1})
			}
			a := &d.Appeals[len(d.Appeals)-1]
			if status == AppealOverturned {
				a.Overturned += n
			} else {
				a.Upheld += n
			}
			return nil
		})
	if err != nil {
		return nil, wrap("appeals", err)
	}

	var counted sql.NullInt64
	err = s.db.QueryRowContext(ctx, s.q(`SELECT min(done_until) FROM stats_progress WHERE name IN (?, ?)`), decisionsProgress, casesProgress).Scan(&counted)
	if err != nil {
		return nil, wrap("counts", err)
	}
	d.CountedUntil = fromMS(counted.Int64)

	// One pass over the window's decision counts: by day and action, by
	// day and category, and by space type.
	byAction, byCategory := map[dayKey]int64{}, map[dayKey]int64{}
	spaces := map[string]*SpaceFlags{}
	err = s.each(ctx, `SELECT (hour - ?) / ?, action, category, space_type, CAST(sum(n) AS BIGINT) FROM decision_counts
		WHERE hour >= ? AND hour < ? GROUP BY 1, action, category, space_type`,
		[]any{from, dayMS, from, to}, func(r *sql.Rows) error {
			var day int
			var action, category, space string
			var n int64
			if err := r.Scan(&day, &action, &category, &space, &n); err != nil {
				return err
			}
			if category != "" {
				byCategory[dayKey{day, category}] += n
				return nil
			}
			byAction[dayKey{day, action}] += n
			f := spaces[space]
			if f == nil {
				f = &SpaceFlags{SpaceType: space}
				spaces[space] = f
			}
			f.Decisions += n
			if action != string(engine.ActionAllow) {
				f.Flagged += n
			}
			return nil
		})
	if err != nil {
		return nil, wrap("decision counts", err)
	}
	d.Decisions, d.Categories = sortedDayCounts(byAction), sortedDayCounts(byCategory)
	for _, f := range spaces {
		d.Spaces = append(d.Spaces, *f)
	}
	slices.SortFunc(d.Spaces, func(a, b SpaceFlags) int { return strings.Compare(a.SpaceType, b.SpaceType) })
	return d, nil
}

type dayKey struct {
	day int
	key string
}

// sortedDayCounts turns counts by day and key into DayCounts ordered by
// day, then key.
func sortedDayCounts(m map[dayKey]int64) []DayCount {
	out := make([]DayCount, 0, len(m))
	for k, n := range m {
		out = append(out, DayCount{Day: k.day, Key: k.key, N: n})
	}
	slices.SortFunc(out, func(a, b DayCount) int {
		if a.Day != b.Day {
			return a.Day - b.Day
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}
