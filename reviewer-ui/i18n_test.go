package reviewerui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/template/parse"
	"time"

	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/store"
)

func TestCataloguesHoldTheSameKeys(t *testing.T) {
	c, err := loadCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range languages {
		for _, other := range languages {
			if missing := missingKeys(c[lang], c[other]); len(missing) > 0 {
				t.Errorf("keys in %s only, not in %s: %v", lang, other, missing)
			}
		}
		for k, v := range c[lang] {
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s: %s is empty", lang, k)
			}
		}
	}
}

// templateKeys returns the message keys the templates name literally
// ($.T "key" or .T "key") and the prefixes of those they build
// ($.T (print "prefix." x)).
func templateKeys(t *testing.T, p pages) (keys, prefixes []string) {
	t.Helper()
	var walk func(n parse.Node)
	isT := func(n parse.Node) bool {
		switch n := n.(type) {
		case *parse.FieldNode:
			return n.Ident[len(n.Ident)-1] == "T"
		case *parse.VariableNode:
			return len(n.Ident) == 2 && n.Ident[1] == "T"
		}
		return false
	}
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					walk(c)
				}
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.PipeNode:
			if n != nil {
				for _, c := range n.Cmds {
					walk(c)
				}
			}
		case *parse.CommandNode:
			if len(n.Args) >= 2 && isT(n.Args[0]) {
				switch a := n.Args[1].(type) {
				case *parse.StringNode:
					keys = append(keys, a.Text)
				case *parse.PipeNode:
					if len(a.Cmds) == 1 && len(a.Cmds[0].Args) >= 2 {
						if f, ok := a.Cmds[0].Args[0].(*parse.IdentifierNode); ok && f.Ident == "print" {
							if s, ok := a.Cmds[0].Args[1].(*parse.StringNode); ok {
								prefixes = append(prefixes, s.Text)
							}
						}
					}
				}
			}
			for _, a := range n.Args {
				walk(a)
			}
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.TemplateNode:
			walk(n.Pipe)
		}
	}
	for _, set := range p {
		for _, tmpl := range set.Templates() {
			if tmpl.Tree != nil {
				walk(tmpl.Tree.Root)
			}
		}
	}
	slices.Sort(keys)
	slices.Sort(prefixes)
	return slices.Compact(keys), slices.Compact(prefixes)
}

func TestTemplatesNameOnlyKnownMessages(t *testing.T) {
	c, err := loadCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	p, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	keys, prefixes := templateKeys(t, p)
	if len(keys) < 100 {
		t.Fatalf("found only %d keys in the templates: is the walk broken?", len(keys))
	}
	for _, k := range keys {
		for _, lang := range languages {
			if _, ok := c[lang][k]; !ok {
				t.Errorf("templates use %q, missing from messages/%s.json", k, lang)
			}
		}
	}
	// Every prefix the templates build keys from is one the next test
	// checks value by value.
	checked := []string{"appeal.status.", "cue.", "duration.choice.", "filter.age.", "pii."}
	for _, p := range prefixes {
		if !slices.Contains(checked, p) {
			t.Errorf("templates build keys from %q, which no test checks", p)
		}
	}
}

// TestEveryValueHasAName checks the keys the UI builds from values: each
// queue, category, source, space type, severity, action, outcome,
// principle and value, PII type, appeal status, notice, refusal, duration
// and age filter has a message in both languages.
func TestEveryValueHasAName(t *testing.T) {
	c, err := loadCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range builtKeys() {
		for _, lang := range languages {
			if _, ok := c[lang][k]; !ok {
				t.Errorf("messages/%s.json has no %q", lang, k)
			}
		}
	}
}

// TestEveryMessageIsUsed: each key of the catalogues is named by a
// template, by a string in the package's code, or built from a value
// (builtKeys); a message nothing shows is dead weight that translators
// would keep up for nobody.
func TestEveryMessageIsUsed(t *testing.T) {
	c, err := loadCatalogues()
	if err != nil {
		t.Fatal(err)
	}
	p, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	keys, _ := templateKeys(t, p)
	for _, k := range slices.Concat(keys, builtKeys()) {
		used[k] = true
	}
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if v, err := strconv.Unquote(lit.Value); err == nil {
					used[v] = true
				}
			}
			return true
		})
	}
	for _, lang := range languages {
		for k := range c[lang] {
			if !used[k] {
				t.Errorf("messages/%s.json: %q is used nowhere", lang, k)
			}
		}
	}
}

// builtKeys are the message keys the UI builds from values.
func builtKeys() []string {
	var want []string
	add := func(prefix string, names ...string) {
		for _, n := range names {
			want = append(want, prefix+n)
		}
	}
	add("queue.", store.QueueOrder...)
	for _, cat := range allCategories {
		add("category.", string(cat))
	}
	for _, cat := range engine.ReportCategories {
		add("category.", string(cat))
	}
	add("source.", sources...)
	for _, sp := range engine.SpaceTypes {
		add("space.", string(sp))
	}
	add("severity.", store.Severities...)
	for _, a := range engine.Actions {
		add("action.", string(a))
	}
	add("outcome.", caseOutcomes...)
	add("outcome.", appealOutcomes...)
	add("outcome.", store.AppealUpheld, store.AppealOverturned)
	add("appeal.status.", store.AppealOpen, store.AppealUpheld, store.AppealOverturned)
	add("principle.", "authenticity", "autonomy", "reciprocity", "respect_for_privacy", "fairness",
		"personal_information_protection", "inclusiveness", "responsibility_for_the_future")
	add("value.", "sincere_identity", "safe_experience", "sustainable_prosperity")
	for _, p := range []engine.PIIType{engine.PIIResidentRegistration, engine.PIIForeignerRegistration, engine.PIIBusinessRegistration,
		engine.PIIPassport, engine.PIIDriverLicense, engine.PIIPhone, engine.PIIEmail, engine.PIICard, engine.PIIBankAccount} {
		add("pii.", string(p))
	}
	for _, c := range engine.GroomingCues {
		add("cue.", string(c))
	}
	add("notice.", notices...)
	add("error.forbidden.", denyReasons...)
	add("error.forbidden.", opsDenyReasons...)
	add("error.forbidden.", transparencyDenyReasons...)
	// The steps of a case's history besides its outcomes.
	add("outcome.", "overturn_proposed", "reassign", "help_requested", "undone")
	for _, d := range slices.Concat(muteDurations, suspendDurations, helpHolds) {
		add("duration.choice.", d.Name)
	}
	for _, a := range ageFilters {
		add("filter.age.", a.Name)
	}
	return want
}

func TestLanguageIsKoreanUnlessEnglishIsChosen(t *testing.T) {
	u := newTestUI(t)
	c := u.newClient()
	r := c.get("/ui/login")
	if r.header.Get("Content-Language") != "ko" || !strings.Contains(r.body, `<html lang="ko">`) || !strings.Contains(r.body, "로그인") {
		t.Errorf("default page is not Korean: %s", r.header.Get("Content-Language"))
	}
	r = c.get("/ui/login?lang=en")
	if r.header.Get("Content-Language") != "en" || !strings.Contains(r.body, "Sign in") {
		t.Errorf("?lang=en did not switch to English")
	}
	// The choice is kept.
	if r = c.get("/ui/login"); r.header.Get("Content-Language") != "en" {
		t.Errorf("the choice of English was not kept")
	}
	// An unknown language changes nothing.
	if r = c.get("/ui/login?lang=fr"); r.header.Get("Content-Language") != "en" {
		t.Errorf("?lang=fr: %s", r.header.Get("Content-Language"))
	}
	if r = c.get("/ui/login?lang=ko"); r.header.Get("Content-Language") != "ko" {
		t.Errorf("back to Korean: %s", r.header.Get("Content-Language"))
	}
	if r.status != http.StatusOK {
		t.Errorf("status %d", r.status)
	}
}

func TestTimesAreShownInKST(t *testing.T) {
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC), "2026-11-22 18:00 KST"},
		{time.Date(2026, 12, 31, 15, 30, 0, 0, time.UTC), "2027-01-01 00:30 KST"},
		{time.Date(2026, 7, 1, 0, 0, 0, 0, time.FixedZone("CEST", 7200)), "2026-07-01 07:00 KST"},
		{time.Time{}, "—"},
	}
	for _, tt := range tests {
		if got := formatTime(tt.in); got != tt.want {
			t.Errorf("formatTime(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
