package reviewerui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"time"
)

//go:embed static
var staticFS embed.FS

// staticTypes are the assets' media types, fixed here rather than read
// from the system's tables: with nosniff, a script served as anything
// else does not run.
var staticTypes = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
	".svg": "image/svg+xml",
}

// staticFile is one embedded asset with its validator.
type staticFile struct {
	body  []byte
	etag  string
	ctype string
}

// staticFiles are the embedded assets by name (no folders).
type staticFiles struct{ files map[string]staticFile }

// loadStatic reads every file of static/ and hashes it for its ETag.
func loadStatic() (*staticFiles, error) {
	out := &staticFiles{files: map[string]staticFile{}}
	entries, err := fs.ReadDir(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("reviewerui: static: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := staticFS.ReadFile("static/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("reviewerui: static: %w", err)
		}
		sum := sha256.Sum256(b)
		ctype, ok := staticTypes[path.Ext(e.Name())]
		if !ok {
			ctype = "text/plain; charset=utf-8" // licences
		}
		out.files[e.Name()] = staticFile{body: b, etag: `"` + hex.EncodeToString(sum[:16]) + `"`, ctype: ctype}
	}
	return out, nil
}

// serveStatic sends an embedded asset. Browsers revalidate on every use
// (no-cache), which costs a 304 and never leaves an old script running
// against a new page after an upgrade.
func (s *Server) serveStatic(w http.ResponseWriter, r *http.Request) {
	f, ok := s.static.files[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("ETag", f.etag)
	h.Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}
