package reviewerui_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/haechi-tns/haechi/engine/store"
)

// TestBrowserOperatorStartsAndStopsTheShadow: an operator puts an uploaded
// revision in the shadow from the policy page and stops it, each time
// ticking the confirmation first; the page passes the checks every page
// does.
func TestBrowserOperatorStartsAndStopsTheShadow(t *testing.T) {
	u := newBrowserUI(t)
	if err := u.store.SavePolicyRevision(t.Context(), store.PolicyRevision{Revision: "0123456789abcdef", Files: map[string]string{"main.rego": "package x\n"}, UploadedBy: "cli:op", UploadedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	u.addUser("ohyun", store.RoleOperator)
	en := messages(t, "en")
	p := browser.NewPage(t)
	p.Navigate(u.url + "/ui/login?lang=en")
	if status := u.signIn(p, "ohyun", browserPassword, ""); status != http.StatusOK {
		t.Fatalf("sign-in: status %d", status)
	}
	if status := p.ClickNavigate(`nav a[href="/ui/policy"]`); status != http.StatusOK {
		t.Fatalf("policy page: status %d", status)
	}
	checkPage(t, p, u.url, "the policy page")
	p.Click(`form[action="/ui/policy/start"] input[name=confirm]`)
	if status := p.ClickNavigate(`form[action="/ui/policy/start"] button`); status != http.StatusOK {
		t.Fatalf("start: status %d", status)
	}
	if got := p.Text("p.notice"); got != en["policy.notice.started"] {
		t.Errorf("notice %q", got)
	}
	p.Click(`form[action="/ui/policy/stop"] input[name=confirm]`)
	if status := p.ClickNavigate(`form[action="/ui/policy/stop"] button`); status != http.StatusOK {
		t.Fatalf("stop: status %d", status)
	}
	if got := p.Text("p.notice"); !strings.Contains(got, en["policy.notice.stopped"]) {
		t.Errorf("notice %q", got)
	}
	checkPage(t, p, u.url, "the policy page after stopping")
	p.Screenshot("policy-en")
}
