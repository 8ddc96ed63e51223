package reviewerui

import (
	"embed"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Languages the UI speaks; the first is the default.
var languages = []string{"ko", "en"}

//go:embed messages/*.json
var messageFS embed.FS

// catalogues holds every message by language, then key.
type catalogues map[string]map[string]string

// loadCatalogues reads messages/<lang>.json for every language and
// checks that they hold the same keys, so that no page shows a key in
// one language that the other lacks.
func loadCatalogues() (catalogues, error) {
	out := catalogues{}
	for _, lang := range languages {
		b, err := messageFS.ReadFile("messages/" + lang + ".json")
		if err != nil {
			return nil, fmt.Errorf("reviewerui: messages: %w", err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("reviewerui: messages/%s.json: %w", lang, err)
		}
		out[lang] = m
	}
	base := out[languages[0]]
	for _, lang := range languages[1:] {
		if missing := missingKeys(base, out[lang]); len(missing) > 0 {
			return nil, fmt.Errorf("reviewerui: messages/%s.json lacks %s", lang, strings.Join(missing, ", "))
		}
		if extra := missingKeys(out[lang], base); len(extra) > 0 {
			return nil, fmt.Errorf("reviewerui: messages/%s.json lacks %s", languages[0], strings.Join(extra, ", "))
		}
	}
	return out, nil
}

// missingKeys returns the keys of a that b lacks, sorted.
func missingKeys(a, b map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(a)) {
		if _, ok := b[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}

// missingMessage marks a key no catalogue holds; tests look for it in
// every rendered page.
const missingMessage = "⟦missing:"

// text returns the message key in lang, formatted with args (fmt verbs)
// when there are any.
func (c catalogues) text(lang, key string, args ...any) string {
	msg, ok := c[lang][key]
	if !ok {
		return missingMessage + key + "⟧"
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// langCookie keeps the reviewer's language choice.
const langCookie = "haechi_lang"

// language picks the page's language: ?lang= when it names one (and the
// choice is kept in a cookie), else the cookie, else Korean.
func language(w http.ResponseWriter, r *http.Request, secure bool) string {
	if l := r.URL.Query().Get("lang"); slices.Contains(languages, l) {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: basePath, MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode})
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && slices.Contains(languages, c.Value) {
		return c.Value
	}
	return languages[0]
}

// kst is Korea Standard Time. Korea has kept +09:00 all year since 1988,
// so a fixed zone needs no time zone database.
var kst = time.FixedZone("KST", 9*60*60)

// formatTime shows t in KST to the minute; the zero time is a dash.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(kst).Format("2006-01-02 15:04 KST")
}
