package reviewerui

import (
	"container/list"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/haechi-tns/haechi/classifiers/pii"
	"github.com/haechi-tns/haechi/engine/store"
	"github.com/haechi-tns/haechi/internal/imagepreview"
)

// Sizes of the images the case page shows, on their long side, and how
// many blurred previews are kept rendered.
const (
	// blurredSide is the blurred preview: it holds no detail to see
	// at any size, so it need only fill its place on the page.
	blurredSide = 640
	// originalSide is the original as shown: enough to judge detail on
	// a large screen, and never the uploaded file itself.
	originalSide = 1600
	// blurredCached bounds the cache of blurred previews: a preview is
	// a few kilobytes of greyscale JPEG, so 256 cost about a megabyte
	// and cover every image of the cases several reviewers have open.
	blurredCached = 256
)

// DefaultReblur is how long the original of an image shows after a click
// before the page blurs it again.
const DefaultReblur = 10 * time.Second

// contentTools are what the case page's content needs besides the store:
// the PII detector, the cache of blurred previews, and the re-blur delay.
// All are safe for concurrent use.
type contentTools struct {
	detect  *pii.Detector
	blurred *previewCache
	reblur  time.Duration
}

func newContentTools(cfg Config) *contentTools {
	reblur := cfg.ReblurAfter
	if reblur <= 0 {
		reblur = DefaultReblur
	}
	return &contentTools{detect: pii.New(pii.WithClock(cfg.Now)), blurred: newPreviewCache(blurredCached), reblur: reblur}
}

// blurredImage sends the blurred, greyscale preview of the case's image,
// rendered from the snapshot (and kept in memory: rendering a large photo
// costs tens of milliseconds, and reading it several) to reviewers who
// may work the case's queue.
func (s *Server) blurredImage(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	c, sn, ok := s.caseImage(w, r, rc)
	if !ok {
		return
	}
	key := sn.CaseID + "\x00" + sn.Ref
	b, ok := s.content.blurred.get(key)
	if !ok {
		data, ok := s.imageBytes(w, r, rc, sn)
		if !ok {
			return
		}
		var err error
		if b, err = imagepreview.Blurred(data, blurredSide); err != nil {
			s.undecodable(w, c, err)
			return
		}
		s.content.blurred.add(key, b)
	}
	writeImage(w, b)
}

// originalImage sends the case's image as it is (re-encoded, fitted
// within originalSide) after the reviewer clicked its blurred preview.
// It is written to the audit log (store.AuditImageRevealed) before it is
// sent, counts in the reviewer's reveals of the day, and is never cached:
// the page asks again, and is audited again, at every click.
func (s *Server) originalImage(w http.ResponseWriter, r *http.Request, rc *reqContext) {
	c, sn, ok := s.caseImage(w, r, rc)
	if !ok {
		return
	}
	data, ok := s.imageBytes(w, r, rc, sn)
	if !ok {
		return
	}
	b, err := imagepreview.Original(data, originalSide)
	if err != nil {
		s.undecodable(w, c, err)
		return
	}
	err = s.cfg.Store.Audit(r.Context(), s.cfg.Now(), rc.actor(), store.AuditImageRevealed, c.ID,
		map[string]any{"queue": c.Queue, "snapshot": sn.Ref})
	if err != nil {
		s.internalError(w, r, rc, err)
		return
	}
	s.cfg.Log.Info("case image revealed", "case_id", c.ID, "user_id", rc.Account.ID)
	writeImage(w, b)
}

// caseImage finds the snapshot holding the image of the request's case
// (without its bytes: imageBytes reads them); it answers the request
// itself (and returns false) when the case is unknown, not the reviewer's
// to see, or has no image kept.
func (s *Server) caseImage(w http.ResponseWriter, r *http.Request, rc *reqContext) (*store.Case, *store.Snapshot, bool) {
	c, ok := s.workableCase(w, r, rc)
	if !ok {
		return nil, nil, false
	}
	snaps, _, err := s.caseSnapshots(r.Context(), c, nil)
	if err != nil {
		s.internalError(w, r, rc, err)
		return nil, nil, false
	}
	for i := range snaps {
		if snaps[i].ImageSize > 0 {
			return c, &snaps[i], true
		}
	}
	s.fail(w, r, rc, http.StatusNotFound, "error.not_found")
	return nil, nil, false
}

// imageBytes reads the image sn keeps; it answers the request itself
// (and returns false) when it cannot.
func (s *Server) imageBytes(w http.ResponseWriter, r *http.Request, rc *reqContext, sn *store.Snapshot) ([]byte, bool) {
	b, err := s.cfg.Store.SnapshotImage(r.Context(), sn.CaseID, sn.Ref)
	switch {
	case errors.Is(err, store.ErrNotFound):
		// Purged between the two reads.
		s.fail(w, r, rc, http.StatusNotFound, "error.not_found")
		return nil, false
	case err != nil:
		s.internalError(w, r, rc, err)
		return nil, false
	}
	return b, true
}

// undecodable answers for an image the preview cannot decode (a format or
// size imagedecode refuses): there is nothing safe to show.
func (s *Server) undecodable(w http.ResponseWriter, c *store.Case, err error) {
	s.cfg.Log.Warn("case image cannot be shown", "case_id", c.ID, "err", err)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusUnprocessableEntity)
}

// writeImage sends a rendered JPEG: never stored by the browser or a
// proxy, never sniffed as anything else.
func writeImage(w http.ResponseWriter, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "image/jpeg")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	// The status line is sent; a failed write means the client went away.
	_, _ = w.Write(b)
}

// previewCache keeps the most recently used rendered previews, at most
// max of them.
type previewCache struct {
	mu    sync.Mutex
	max   int
	order *list.List // of *previewEntry, most recent first
	items map[string]*list.Element
}

type previewEntry struct {
	key  string
	data []byte
}

func newPreviewCache(max int) *previewCache {
	return &previewCache{max: max, order: list.New(), items: make(map[string]*list.Element, max)}
}

// get returns the preview kept for key, if any, and marks it used.
func (c *previewCache) get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*previewEntry).data, true
}

// add keeps a preview, forgetting the least recently used beyond max.
func (c *previewCache) add(key string, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		e.Value.(*previewEntry).data = data
		c.order.MoveToFront(e)
		return
	}
	c.items[key] = c.order.PushFront(&previewEntry{key: key, data: data})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*previewEntry).key)
	}
}

// len is how many previews are kept.
func (c *previewCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
