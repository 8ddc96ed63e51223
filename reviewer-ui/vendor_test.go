package reviewerui

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func TestEmbeddedHTMXIsThePinnedFile(t *testing.T) {
	b, err := staticFS.ReadFile("static/htmx.min.js")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != HTMXSHA256 {
		t.Errorf("static/htmx.min.js has SHA-256 %s, want %s (HTMXSHA256); re-run scripts/vendor-htmx.sh", got, HTMXSHA256)
	}
	if !strings.Contains(string(b), `version:"`+HTMXVersion+`"`) {
		t.Errorf("static/htmx.min.js is not htmx %s", HTMXVersion)
	}
	lic, err := staticFS.ReadFile("static/htmx.LICENSE")
	if err != nil || !strings.Contains(string(lic), "Zero-Clause BSD") {
		t.Errorf("htmx's licence is not beside it: %v", err)
	}
}
