package api

import (
	"net/http"
	"strconv"
)

// getRedactedImage serves the redacted copy of an image that a redact
// decision names (engine.RedactedImage.URL), to callers with the moderate
// scope: whoever may send content to be moderated may fetch what it
// becomes. The id is the copy's SHA-256, so the bytes never change and
// may be cached; the copy holds the upload's pixels only, personal data
// filled.
func (s *Server) getRedactedImage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !isSHA256Hex(id) {
		s.writeError(w, r, notFound("redacted image", "", nil))
		return
	}
	contentType, data, err := s.cfg.Store.RedactedImage(r.Context(), id)
	if err != nil {
		s.writeError(w, r, storeError(err, "redacted image", id))
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("Cache-Control", "private, max-age=86400, immutable")
	h.Set("ETag", `"`+id+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Disposition", "inline")
	if r.Header.Get("If-None-Match") == `"`+id+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.WriteHeader(http.StatusOK)
	// The status line is sent; a failed write means the client went away.
	_, _ = w.Write(data)
}

// isSHA256Hex reports whether id is 64 lower-case hex digits, as the ids
// of redacted copies are.
func isSHA256Hex(id string) bool {
	if len(id) != 64 {
		return false
	}
	for i := range len(id) {
		if c := id[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
