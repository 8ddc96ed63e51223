// Package blob fetches the images that events refer to by URI (image.uri)
// from the world platform's blob store, over HTTP(S) and only from the URL
// prefixes an operator allowed: the URIs come from users' events, and
// anything else would let them make Haechi request internal addresses.
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/haechi-tns/haechi/engine"
)

// Fetcher fetches the bytes an image event refers to.
type Fetcher interface {
	// Fetch returns the blob's bytes. A *Error with Permanent set means
	// retrying cannot help (not allowed, not found, too large); other errors
	// are worth retrying.
	Fetch(ctx context.Context, uri string) ([]byte, error)
}

// Error is a fetch that failed for a reason the blob store or this
// fetcher gave. Its message names the URI without query, fragment or
// password, so that signed URLs do not end up in logs.
type Error struct {
	URI       string
	Permanent bool
	Reason    string
}

func (e *Error) Error() string {
	return fmt.Sprintf("blob %q: %s", redactURI(e.URI), e.Reason)
}

// IsPermanent reports whether err says that fetching a blob again
// cannot help.
func IsPermanent(err error) bool {
	var be *Error
	return errors.As(err, &be) && be.Permanent
}

// DefaultTimeout bounds one fetch when HTTP has no Client.
const DefaultTimeout = 10 * time.Second

// maxRedirects is how many redirects one fetch follows, as net/http
// does by default.
const maxRedirects = 10

// HTTP fetches blobs over HTTP(S) from allowed URL prefixes only: the
// URIs come from users' events, so anything else would let them make
// Haechi request internal addresses (SSRF). Redirects are followed only
// while they stay under the prefixes, whatever Client is used. An
// HTTP is safe for concurrent use as long as its fields are not
// changed.
type HTTP struct {
	// Prefixes are the allowed URI prefixes, such as
	// "https://blobs.world.example/". A URI is allowed when its scheme and
	// host (with port) equal a prefix's and its path starts with the
	// prefix's path; a prefix path not ending in "/" matches only whole
	// segments. URIs with user info, dot segments or encoded slashes are
	// never allowed. Prefixes that do not parse match nothing; Validate
	// reports them.
	Prefixes []string
	// Client makes the requests; nil means a client with
	// DefaultTimeout and http.DefaultTransport.
	Client *http.Client
	// MaxBytes is the largest blob accepted; 0 means engine.MaxImageBytes.
	MaxBytes int64
}

// Validate reports prefixes that cannot be used, so that a configuration
// mistake fails at start-up instead of refusing every image.
func (h *HTTP) Validate() error {
	if len(h.Prefixes) == 0 {
		return errors.New("blobs: no allowed prefixes")
	}
	for _, p := range h.Prefixes {
		if _, err := parsePrefix(p); err != nil {
			return fmt.Errorf("blobs: prefix %q: %w", p, err)
		}
	}
	if h.MaxBytes < 0 {
		return fmt.Errorf("blobs: MaxBytes %d is negative", h.MaxBytes)
	}
	return nil
}

// Fetch gets uri if it lies under one of the prefixes. It makes no request
// for any other URI.
func (h *HTTP) Fetch(ctx context.Context, uri string) ([]byte, error) {
	u, reason := h.check(uri)
	if reason != "" {
		return nil, &Error{URI: uri, Permanent: true, Reason: reason}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, &Error{URI: uri, Permanent: true, Reason: "not a valid request URI"}
	}
	resp, err := h.client(uri).Do(req)
	if err != nil {
		var be *Error
		if errors.As(err, &be) {
			return nil, be
		}
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("blob %q: %w", redactURI(uri), cerr)
		}
		// url.Error repeats the full URL, signature and all.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("blob %q: %w", redactURI(uri), err)
	}
	defer resp.Body.Close()
	if reason, permanent := statusProblem(resp.StatusCode); reason != "" {
		return nil, &Error{URI: uri, Permanent: permanent, Reason: reason}
	}
	limit := h.maxBytes()
	if resp.ContentLength > limit {
		return nil, &Error{URI: uri, Permanent: true,
			Reason: fmt.Sprintf("too large: %d bytes, over the limit of %d", resp.ContentLength, limit)}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("blob %q: read: %w", redactURI(uri), err)
	}
	switch {
	case int64(len(data)) > limit:
		return nil, &Error{URI: uri, Permanent: true, Reason: fmt.Sprintf("too large: over the limit of %d bytes", limit)}
	case len(data) == 0:
		return nil, &Error{URI: uri, Permanent: true, Reason: "empty"}
	}
	return data, nil
}

// statusProblem says what is wrong with a response status, if anything,
// and whether asking again could help. Only 200 carries a blob: with no
// Range header sent, other 2xx answers are not the whole blob.
func statusProblem(code int) (reason string, permanent bool) {
	switch {
	case code == http.StatusOK:
		return "", false
	case code == http.StatusNotFound || code == http.StatusGone:
		return fmt.Sprintf("not found (status %d)", code), true
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests:
		// The store asks to be asked again later.
		return fmt.Sprintf("status %d", code), false
	case code >= 500:
		return fmt.Sprintf("status %d", code), false
	default:
		return fmt.Sprintf("status %d", code), true
	}
}

func (h *HTTP) maxBytes() int64 {
	if h.MaxBytes > 0 {
		return h.MaxBytes
	}
	return engine.MaxImageBytes
}

// client is h.Client, or the default, made to refuse redirects that leave
// the prefixes. Copying the client keeps the caller's transport and
// connection pool while overriding only the redirect policy.
func (h *HTTP) client(uri string) *http.Client {
	c := http.Client{Timeout: DefaultTimeout}
	if h.Client != nil {
		c = *h.Client
	}
	next := c.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if reason := h.allowed(req.URL); reason != "" {
			return &Error{URI: uri, Permanent: true, Reason: "redirected: " + reason}
		}
		if len(via) >= maxRedirects {
			return &Error{URI: uri, Permanent: true, Reason: fmt.Sprintf("more than %d redirects", maxRedirects)}
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	return &c
}

// check parses uri and returns it if allowed, or why it is not.
func (h *HTTP) check(uri string) (*url.URL, string) {
	if len(uri) > engine.MaxURIBytes {
		return nil, fmt.Sprintf("not allowed: longer than %d bytes", engine.MaxURIBytes)
	}
	u, err := url.Parse(uri)
	if err != nil {
		return nil, "not allowed: not a valid URL"
	}
	if reason := h.allowed(u); reason != "" {
		return nil, reason
	}
	return u, ""
}

// allowed returns "" if u lies under one of the prefixes, or why not.
func (h *HTTP) allowed(u *url.URL) string {
	if u.Scheme != "http" && u.Scheme != "https" {
		return "not allowed: scheme is not http or https"
	}
	if u.Opaque != "" || u.Host == "" {
		return "not allowed: no host"
	}
	if u.User != nil {
		return "not allowed: has user info"
	}
	if reason := unsafePath(u); reason != "" {
		return "not allowed: " + reason
	}
	for _, p := range h.Prefixes {
		pu, err := parsePrefix(p)
		if err != nil {
			continue
		}
		if u.Scheme == pu.Scheme && strings.EqualFold(u.Host, pu.Host) && underPath(u.Path, pu.Path) {
			return ""
		}
	}
	return "not allowed: outside the allowed prefixes"
}

// unsafePath rejects paths that a server might resolve to somewhere else
// than their text says: dot segments (also "..;", which some servers
// treat as ".."), encoded slashes and backslashes.
func unsafePath(u *url.URL) string {
	if esc := strings.ToLower(u.EscapedPath()); strings.Contains(esc, "%2f") || strings.Contains(esc, "%5c") {
		return "encoded slash in path"
	}
	if strings.ContainsAny(u.Path, "\\\x00") {
		return "backslash or NUL in path"
	}
	for seg := range strings.SplitSeq(u.Path, "/") {
		seg, _, _ = strings.Cut(seg, ";")
		if seg == "." || seg == ".." {
			return "dot segment in path"
		}
	}
	return ""
}

// underPath reports whether path lies under the prefix path pp.
func underPath(path, pp string) bool {
	if path == "" {
		path = "/"
	}
	if strings.HasSuffix(pp, "/") {
		return strings.HasPrefix(path, pp)
	}
	return path == pp || strings.HasPrefix(path, pp+"/")
}

// parsePrefix parses an allowed prefix; its path is "/" when empty.
func parsePrefix(p string) (*url.URL, error) {
	u, err := url.Parse(p)
	switch {
	case err != nil:
		return nil, errors.New("not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errors.New("scheme must be http or https")
	case u.Opaque != "" || u.Host == "":
		return nil, errors.New("no host")
	case u.User != nil:
		return nil, errors.New("must not have user info")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, errors.New("must not have a query or fragment")
	}
	if reason := unsafePath(u); reason != "" {
		return nil, errors.New(reason)
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u, nil
}

// redactURI is uri fit for an error message or log: without query,
// fragment or password, and cut short.
func redactURI(uri string) string {
	const most = 256
	if u, err := url.Parse(uri); err == nil {
		u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = "", false, "", ""
		uri = u.Redacted()
	} else if i := strings.IndexAny(uri, "?#@"); i >= 0 {
		uri = uri[:i]
	}
	if len(uri) > most {
		uri = uri[:most] + "..."
	}
	return uri
}

// FetchImages fills in Data for every image event in evs that has a URI and
// no data, fetching up to parallel (at least 1) at once; it returns, per
// event, the error of its fetch (nil for events that needed none or
// succeeded). Events sharing a URI share one fetch and the same byte
// slice. When an event gives a SHA256, bytes that do not match it are
// refused with a permanent *Error and Data stays empty. All fetches
// have ended when FetchImages returns.
func FetchImages(ctx context.Context, f Fetcher, evs []*engine.Event, parallel int) []error {
	errs := make([]error, len(evs))
	byURI := map[string][]int{}
	var uris []string
	for i, ev := range evs {
		if ev == nil || ev.Image == nil || len(ev.Image.Data) > 0 || ev.Image.URI == "" {
			continue
		}
		u := ev.Image.URI
		if _, ok := byURI[u]; !ok {
			uris = append(uris, u)
		}
		byURI[u] = append(byURI[u], i)
	}
	type result struct {
		data []byte
		sum  string
		err  error
	}
	results := make([]result, len(uris))
	sem := make(chan struct{}, max(parallel, 1))
	var wg sync.WaitGroup
	for j, u := range uris {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			results[j].err = fmt.Errorf("blob %q: %w", redactURI(u), ctx.Err())
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			data, err := f.Fetch(ctx, u)
			if err != nil {
				results[j].err = err
				return
			}
			sum := sha256.Sum256(data)
			results[j] = result{data: data, sum: hex.EncodeToString(sum[:])}
		})
	}
	wg.Wait()
	for j, u := range uris {
		r := results[j]
		for _, i := range byURI[u] {
			im := evs[i].Image
			switch {
			case r.err != nil:
				errs[i] = r.err
			case im.SHA256 != "" && !strings.EqualFold(im.SHA256, r.sum):
				errs[i] = &Error{URI: u, Permanent: true, Reason: "content does not match the event's sha256"}
			default:
				im.Data = r.data
			}
		}
	}
	return errs
}
