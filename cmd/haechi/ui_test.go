package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestTheReviewerUIIsServedBesideTheAPI checks the wiring: haechi api
// (and so haechi serve) answers /ui/ on its listener, and /v1/ still
// reaches the API.
func TestTheReviewerUIIsServedBesideTheAPI(t *testing.T) {
	addr := startServing(t, "api", "--data-dir", t.TempDir(), "--ui-behind-tls")
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get("http://" + addr + "/ui/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/login" {
		t.Errorf("GET /ui/ signed out: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, err = http.Get("http://" + addr + "/ui/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `action="/ui/login"`) ||
		!strings.Contains(resp.Header.Get("Set-Cookie"), "Secure") || resp.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("GET /ui/login: %d, cookie %q", resp.StatusCode, resp.Header.Get("Set-Cookie"))
	}
	resp, err = http.Get("http://" + addr + "/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the API behind the UI: %d", resp.StatusCode)
	}
}
