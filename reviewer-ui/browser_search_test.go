package reviewerui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/haechi-tns/haechi/classifiers/pii"
	"github.com/haechi-tns/haechi/engine"
	"github.com/haechi-tns/haechi/engine/search"
	"github.com/haechi-tns/haechi/engine/store"
	reviewerui "github.com/haechi-tns/haechi/reviewer-ui"
)

// TestBrowserSearchShowsMaskedSnippets: in Chromium, a moderator searches
// a Korean word found inside a longer one; the hit links to its case,
// the phone number beside it is neither in the HTML nor in the DOM, the
// page passes axe, and the form keeps the filters.
func TestBrowserSearchShowsMaskedSnippets(t *testing.T) {
	u := newFlowUI(t, func(c *reviewerui.Config) { c.Search = c.Store.(*store.Store).SearchIndex() })
	if _, err := u.store.SaveDecisions(t.Context(), []*engine.Decision{flowDecision("scam", "저 사기꾼 아니에요, 010-2345-6789 로 입금하세요")}); err != nil {
		t.Fatal(err)
	}
	ix := &search.Indexer{Feed: u.store, Index: u.store.SearchIndex(), Masker: search.NewMasker(pii.New()), Consumer: store.SearchConsumer}
	if _, err := ix.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	u.addUser("mina", store.RoleModerator)
	p := browser.NewPage(t)
	if status := u.signIn(p, "mina", browserPassword, ""); status != http.StatusOK {
		t.Fatalf("sign-in: status %d", status)
	}
	if status := p.Navigate(u.url + "/ui/search?lang=en&text=" + url.QueryEscape("사기")); status != http.StatusOK {
		t.Fatalf("search page: status %d", status)
	}
	text := p.Text("table.search")
	if !strings.Contains(text, "저 사기꾼 아니에요") || !strings.Contains(text, "[phone number masked]") {
		t.Errorf("hits: %q", text)
	}
	for _, secret := range []string{"2345", "6789"} {
		if strings.Contains(p.HTML(), secret) {
			t.Errorf("the page holds %s", secret)
		}
	}
	if got, _ := p.Attr(`input[name="text"]`, "value"); got != "사기" {
		t.Errorf("the form lost the words: %q", got)
	}
	checkPageWithDateInputs(t, p, u.url, "the search page")
	p.Screenshot("search")
}
