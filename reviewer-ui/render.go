package reviewerui

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/haechi-tns/haechi/engine"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages are the parsed templates by page name: each page's file parsed
// with the layout and the shared partials, executed as "layout".
type pages map[string]*template.Template

// parsePages parses templates/_*.html (the layout and partials) once and
// every other templates/*.html as a page on a copy of them.
func parsePages() (pages, error) {
	base, err := template.New("").Option("missingkey=error").Funcs(funcs).ParseFS(templateFS, "templates/_*.html")
	if err != nil {
		return nil, fmt.Errorf("reviewerui: templates: %w", err)
	}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("reviewerui: templates: %w", err)
	}
	out := pages{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if strings.HasPrefix(name, "_") {
			continue
		}
		t, err := base.Clone()
		if err != nil {
			return nil, fmt.Errorf("reviewerui: templates: %w", err)
		}
		if t, err = t.ParseFS(templateFS, f); err != nil {
			return nil, fmt.Errorf("reviewerui: templates: %w", err)
		}
		out[name] = t
	}
	return out, nil
}

// funcs are the templates' few functions; everything that needs the
// language is a method of view.
var funcs = template.FuncMap{
	// deref reads a time that may be absent (the zero time when nil).
	"deref": func(t *time.Time) time.Time {
		if t == nil {
			return time.Time{}
		}
		return *t
	},
	// seconds turns a count of seconds into a duration.
	"seconds": func(n int) time.Duration { return time.Duration(n) * time.Second },
}

// view is what every template gets: the page's data and what the layout
// needs, with methods for text in the reviewer's language and times in
// KST. Templates reach the methods as $.T, $.Time and so on.
type view struct {
	Lang    string
	Account *Account
	CSRF    string // the session's token, for forms and the meta tag
	Path    string // the request's path and query, for the language switch
	Title   string // the page title's message key
	Data    any
	msgs    catalogues
	now     time.Time

	reveals   func() int            // counts the reviewer's reveals today (reveal.go)
	wellbeing func() *wellbeingView // the break reminder and the day's cap (wellbeing.go)
	// Searchable is set when the UI has a search index (search.go).
	Searchable bool
}

// T returns the message key in the page's language.
func (v *view) T(key string, args ...any) string { return v.msgs.text(v.Lang, key, args...) }

// OtherLang is the language the switch offers.
func (v *view) OtherLang() string {
	if v.Lang == "en" {
		return "ko"
	}
	return "en"
}

// LangURL is the current page in the other language.
func (v *view) LangURL() string {
	p, q, _ := strings.Cut(v.Path, "?")
	vals, _ := url.ParseQuery(q)
	vals.Set("lang", v.OtherLang())
	return p + "?" + vals.Encode()
}

// Time shows t in KST.
func (v *view) Time(t time.Time) string { return formatTime(t) }

// ISO is t for a machine (a <time datetime> attribute).
func (v *view) ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Age is how long ago t was, roughly: "3시간 12분" or "3 h 12 min".
func (v *view) Age(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return v.Duration(v.now.Sub(t))
}

// Duration shows d to the minute, or to the hour beyond a day.
func (v *view) Duration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	d = d.Truncate(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return v.T("duration.days_hours", days, hours)
	case hours > 0:
		return v.T("duration.hours_minutes", hours, mins)
	}
	return v.T("duration.minutes", mins)
}

// Seconds is how many whole seconds remain until t (0 once it passed).
func (v *view) Seconds(t time.Time) int { return max(0, int(t.Sub(v.now)/time.Second)) }

// Past reports whether t is before now.
func (v *view) Past(t time.Time) bool { return !t.IsZero() && t.Before(v.now) }

// Queue, Category, Source, Space, Outcome and Action name values of the
// review model in the page's language.
func (v *view) Queue(q string) string             { return v.T("queue." + q) }
func (v *view) Category(c engine.Category) string { return v.T("category." + string(c)) }
func (v *view) Source(src string) string          { return v.T("source." + src) }
func (v *view) Outcome(o string) string           { return v.T("outcome." + o) }
func (v *view) Action(a engine.Action) string     { return v.T("action." + string(a)) }

// Space, Severity, Principle and Value name values that policy data may
// add to: a value the catalogues do not know is shown as it is (escaped
// like everything else).
func (v *view) Space(t string) string     { return v.known("space.", t) }
func (v *view) Severity(s string) string  { return v.known("severity.", s) }
func (v *view) Principle(p string) string { return v.known("principle.", p) }
func (v *view) Value(val string) string   { return v.known("value.", val) }

func (v *view) known(prefix, name string) string {
	if name == "" {
		return "—"
	}
	if msg, ok := v.msgs[v.Lang][prefix+name]; ok {
		return msg
	}
	return name
}

// Categories names a list of categories, comma-separated.
func (v *view) Categories(cs []engine.Category) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = v.Category(c)
	}
	if len(names) == 0 {
		return "—"
	}
	return strings.Join(names, ", ")
}

// Pick returns the English or the Korean of a pair, for text that comes
// in both (policy reasons, statements).
func (v *view) Pick(ko, en string) string {
	if v.Lang == "en" {
		return en
	}
	return ko
}

// Score shows a score in [0,1] with two decimals.
func (v *view) Score(f float64) string { return fmt.Sprintf("%.2f", f) }

// newView starts the view of a page for rc.
func (s *Server) newView(r *http.Request, rc *reqContext, title string, data any) *view {
	v := &view{Lang: rc.Lang, Account: rc.Account, Path: r.URL.RequestURI(), Title: title, Data: data, msgs: s.msgs, now: s.cfg.Now(),
		Searchable: s.cfg.Search != nil}
	v.reveals = func() int { return s.revealsToday(r.Context(), rc) }
	v.wellbeing = s.wellbeingFor(r, rc)
	if rc.Session != nil {
		v.CSRF = rc.Session.CSRF
	}
	return v
}

// render executes a page into a buffer, then sends it with status; a
// template error is a 500 with nothing of the page sent.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, v *view) {
	s.execute(w, r, status, page, "layout", v)
}

// execute renders the named template of a page's set: "layout" for the
// whole page, or a partial (htmx swaps).
func (s *Server) execute(w http.ResponseWriter, r *http.Request, status int, page, name string, v *view) {
	t, ok := s.pages[page]
	if !ok {
		s.cfg.Log.Error("no such page template", "page", page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, v); err != nil {
		s.cfg.Log.Error("template failed", "page", page, "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", v.Lang)
	w.WriteHeader(status)
	// The status line is sent; a failed write means the client went away.
	_, _ = buf.WriteTo(w)
}

// errorData is the error page's data.
type errorData struct {
	Status  int
	Message string // a message key
}

// fail answers with the error page: status and a message key.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, rc *reqContext, status int, key string) {
	s.render(w, r, status, "error", s.newView(r, rc, "error.title", errorData{Status: status, Message: key}))
}
