// Package search finds decisions, cases, reports, appeals and audit
// entries by user, space, category, action, rule, queue, time and the
// text of case snapshots, reports and appeals. It defines the contract
// every backend keeps (Index), the documents they hold (Doc), how a query
// is checked (Query.Validate) and paged (Cursor), and the two things all
// backends must do alike: split text into index terms (Terms) and mask
// personal information before any text reaches an index (Masker).
//
// Backends: the store's own full-text index (SQLite FTS5, or PostgreSQL
// text search), in engine/store, and Elasticsearch, in
// engine/search/elastic. The store stays the source of truth: an index
// can always be rebuilt from it (Feed, Rebuild).
package search

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Kind is what a document is.
type Kind string

// The kinds of document.
const (
	KindDecision Kind = "decision"
	KindCase     Kind = "case"
	KindReport   Kind = "report"
	KindAppeal   Kind = "appeal"
	KindAudit    Kind = "audit"
)

// Kinds lists every kind.
var Kinds = []Kind{KindDecision, KindCase, KindReport, KindAppeal, KindAudit}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool { return slices.Contains(Kinds, k) }

// Ref names one document: its kind and the id of the record it is made
// from (a decision, case, report or appeal id; an audit entry's number).
type Ref struct {
	Kind Kind   `json:"kind"`
	ID   string `json:"id"`
}

// Key is the document's key in every index: kind, colon, id. Keys order
// documents of the same time (see Cursor).
func (r Ref) Key() string { return string(r.Kind) + ":" + r.ID }

// ParseKey reads a key made by Ref.Key.
func ParseKey(key string) (Ref, error) {
	k, id, ok := strings.Cut(key, ":")
	if !ok || !Kind(k).Valid() || id == "" {
		return Ref{}, fmt.Errorf("search: bad document key %q", key)
	}
	return Ref{Kind: Kind(k), ID: id}, nil
}

// ReporterPrefix marks a reporter among a document's users. Whom a report
// is about is found by their id; who reported is found only as
// Reporter(id), so that a search for a user does not tell who reported
// them, which reviewers other than operators never learn (the case page
// shows reports without their reporters).
const ReporterPrefix = "reporter:"

// Reporter is how a reporter stands among a document's users; "" for
// none.
func Reporter(id string) string {
	if id == "" {
		return ""
	}
	return ReporterPrefix + id
}

// Doc is what an index keeps of one record. Text is already masked
// (Masker): no backend ever sees the personal information it held.
type Doc struct {
	Ref
	// At is when the record was made (a decision's time, when a case
	// opened, a report or appeal was filed, an audit entry written), to
	// the millisecond, as every backend keeps it.
	At time.Time `json:"at"`
	// Users are the people the record is about or by: a decision's
	// sender, a case's subject, a report's subject and reporter (as
	// Reporter has it), an appellant, an audit entry's actor and the
	// user it names.
	Users      []string `json:"users,omitempty"`
	Space      string   `json:"space,omitempty"`
	Categories []string `json:"categories,omitempty"`
	// Action is a decision's action, a case's or appeal's outcome once
	// decided, an audit entry's action.
	Action string   `json:"action,omitempty"`
	Rules  []string `json:"rules,omitempty"`
	Queue  string   `json:"queue,omitempty"`
	// CaseID is the case the record belongs to: the case itself, the
	// case a report was added to, the case reviewing an appeal. Deleting
	// a case from an index (Index.DeleteCase) deletes them all.
	CaseID string `json:"case_id,omitempty"`
	// Text is the masked text, at most MaxText bytes.
	Text string `json:"text,omitempty"`
}

// MaxText bounds the text an index keeps of one document, in bytes; a
// case's snapshots with 20 messages of context fit.
const MaxText = 16 << 10

// Hit is one document found, with a snippet of its masked text around
// the first term searched for.
type Hit struct {
	Doc
	Snippet string `json:"snippet,omitempty"`
}

// Page is one page of hits, newest first; Next is where the next page
// starts, nil on the last.
type Page struct {
	Hits []Hit
	Next *Cursor
}

// Index is a search backend. Every method is safe for concurrent use.
// Put and Delete are idempotent; a document Put again replaces the one
// with its key.
type Index interface {
	// Search returns the page of documents that match every filter of
	// q, newest first, then by key descending. q must be valid.
	Search(ctx context.Context, q Query) (*Page, error)
	Put(ctx context.Context, docs []Doc) error
	Delete(ctx context.Context, refs []Ref) error
	// DeleteCase deletes every document whose CaseID is caseID: what a
	// retention job calls once a case's content may no longer be kept.
	DeleteCase(ctx context.Context, caseID string) error
}

// Limits of a query, checked before any work.
const (
	MaxPageSize     = 200
	DefaultPageSize = 50
	MaxTextQuery    = 200 // characters of text searched for
	MaxFilter       = 200 // characters of one filter value
	MaxTerms        = 16  // terms the text yields (Terms)
)

// Query is a search: every filter set must match. Empty filters match
// everything.
type Query struct {
	// Kinds and Queues, when set, are the only kinds and queues
	// searched: what the caller asked for, narrowed to what they may
	// see. A document without a queue matches Queues only when they
	// hold "".
	Kinds  []Kind
	Queues []string
	// User matches any of a document's users; Category and Rule any of
	// its categories and rules.
	User, Space, Category, Action, Rule string
	// From and To bound At: From <= At < To; zero is unbounded.
	From, To time.Time
	// Text matches documents whose text holds every term (Terms).
	Text string
	// Limit is the page size, 1..MaxPageSize; 0 means DefaultPageSize.
	Limit int
	// After is where the page starts: the Next of the page before.
	After *Cursor
}

// ErrInvalid wraps every problem Validate finds: the caller's fault, its
// message fit to show them.
var ErrInvalid = errors.New("invalid search")

// Validate checks q's limits and that its text is valid UTF-8, and sets
// its default page size.
func (q *Query) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
	}
	for _, k := range q.Kinds {
		if !k.Valid() {
			return bad("unknown kind %q", k)
		}
	}
	for name, v := range map[string]string{"user": q.User, "space": q.Space, "category": q.Category, "action": q.Action, "rule": q.Rule} {
		if !utf8.ValidString(v) {
			return bad("%s is not valid UTF-8", name)
		}
		if utf8.RuneCountInString(v) > MaxFilter {
			return bad("%s is longer than %d characters", name, MaxFilter)
		}
	}
	for _, v := range q.Queues {
		if !utf8.ValidString(v) || utf8.RuneCountInString(v) > MaxFilter {
			return bad("queue is not valid UTF-8 of at most %d characters", MaxFilter)
		}
	}
	if !utf8.ValidString(q.Text) {
		return bad("text is not valid UTF-8")
	}
	if utf8.RuneCountInString(q.Text) > MaxTextQuery {
		return bad("text is longer than %d characters", MaxTextQuery)
	}
	if strings.TrimSpace(q.Text) != "" && len(Terms(q.Text)) == 0 {
		return bad("text has no letters or digits to search for")
	}
	if len(Terms(q.Text)) > MaxTerms {
		return bad("text has more than %d terms", MaxTerms)
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return bad("the time range ends before it starts")
	}
	switch {
	case q.Limit == 0:
		q.Limit = DefaultPageSize
	case q.Limit < 0 || q.Limit > MaxPageSize:
		return bad("page size %d is not within 1..%d", q.Limit, MaxPageSize)
	}
	return nil
}

// Allows reports whether q's Kinds and Queues let d be found: the check
// a backend makes in its query, and tests make of its answers.
func (q *Query) Allows(d *Doc) bool {
	return (len(q.Kinds) == 0 || slices.Contains(q.Kinds, d.Kind)) &&
		(len(q.Queues) == 0 || slices.Contains(q.Queues, d.Queue))
}

// Cursor is where a page ends: its last document's time and key. Pages
// are ordered by time, newest first, then by key descending, so a page
// starts strictly after its cursor and no document is shown twice or
// skipped, however many share a millisecond.
type Cursor struct {
	At  time.Time
	Key string
}

// String encodes the cursor for a URL or a command line.
func (c Cursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.At.UnixMilli(), 10) + "." + c.Key))
}

// ParseCursor reads a cursor made by Cursor.String.
func ParseCursor(s string) (*Cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(s) > 2*MaxFilter+64 {
		return nil, fmt.Errorf("%w: unreadable cursor", ErrInvalid)
	}
	at, key, ok := strings.Cut(string(b), ".")
	n, err := strconv.ParseInt(at, 10, 64)
	if !ok || err != nil {
		return nil, fmt.Errorf("%w: unreadable cursor", ErrInvalid)
	}
	if _, err := ParseKey(key); err != nil || !utf8.ValidString(key) {
		return nil, fmt.Errorf("%w: unreadable cursor", ErrInvalid)
	}
	return &Cursor{At: time.UnixMilli(n).UTC(), Key: key}, nil
}

// Truncate is t as every backend keeps it: UTC, to the millisecond.
func Truncate(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }
