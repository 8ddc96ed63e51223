package policy

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Loading a bundle compiles it, runs the load-time checks and proofs
// (prepare) and its Rego tests: about 0.4 s of CPU for the default bundle,
// ten times that under the race detector. A process often loads the same
// files more than once: a rollback to the revision that served before, a
// shadow revision promoted, the serving bundle read again by another
// component or command. Each revision that passed is kept, by a digest of
// its content as Load was given it, so that loading it again costs the
// digest and Check alone.
//
// The digest covers what prepare and the tests read: the revision string,
// every module and test module as OPA prints it, and the data as JSON. A
// bundle changed after it was read (its fields are exported) therefore
// never meets the checks of the bundle it was before.

// revisionCacheSize is how many passed revisions are kept: the serving one,
// the one before it (rollback) and a shadow, with room to spare. A
// prepared default bundle holds about 1.5 MB of heap.
const revisionCacheSize = 6

type cachedRevision struct {
	key [sha256.Size]byte
	p   *prepared
}

var revisions struct {
	sync.Mutex
	// last used last; at most revisionCacheSize.
	entries []cachedRevision
}

// digest is the content key of b (see above).
func digest(b *Bundle) ([sha256.Size]byte, error) {
	h := sha256.New()
	fmt.Fprintf(h, "revision\x00%s\x00", b.Revision)
	for _, set := range []struct {
		kind    string
		modules map[string]*ast.Module
	}{{"module", b.Modules}, {"test", b.Tests}} {
		for _, path := range slices.Sorted(maps.Keys(set.modules)) {
			src := set.modules[path].String()
			fmt.Fprintf(h, "%s\x00%s\x00%d\x00%s", set.kind, path, len(src), src)
		}
	}
	data, err := json.Marshal(b.Data)
	if err != nil {
		return [sha256.Size]byte{}, fmt.Errorf("policy: revision %s: data: %w", b.Revision, err)
	}
	fmt.Fprintf(h, "data\x00%d\x00", len(data))
	h.Write(data)
	return [sha256.Size]byte(h.Sum(nil)), nil
}

// preparedTested returns b, whose digest is key, prepared and with its
// tests passed, and says how: "run" when it prepared and tested b (and
// keeps it if both succeeded), "passed before" when a bundle with the same
// digest had passed them in this process.
func preparedTested(ctx context.Context, b *Bundle, key [sha256.Size]byte) (*prepared, string, error) {
	if p := cachedPrepared(key); p != nil {
		// The same content under another *Bundle: serve it as b, so that
		// Engine.Bundle returns what Load was given.
		cp := *p
		cp.bundle = b
		return &cp, "passed before", nil
	}
	p, err := prepare(ctx, b)
	if err != nil {
		return nil, "", err
	}
	if err := b.TestsPass(ctx); err != nil {
		return nil, "", err
	}
	p.key = key
	keepPrepared(key, p)
	return p, "run", nil
}

func cachedPrepared(key [sha256.Size]byte) *prepared {
	revisions.Lock()
	defer revisions.Unlock()
	i := slices.IndexFunc(revisions.entries, func(e cachedRevision) bool { return e.key == key })
	if i < 0 {
		return nil
	}
	e := revisions.entries[i]
	revisions.entries = append(slices.Delete(revisions.entries, i, i+1), e)
	return e.p
}

func keepPrepared(key [sha256.Size]byte, p *prepared) {
	revisions.Lock()
	defer revisions.Unlock()
	if slices.ContainsFunc(revisions.entries, func(e cachedRevision) bool { return e.key == key }) {
		return
	}
	if len(revisions.entries) == revisionCacheSize {
		revisions.entries = slices.Delete(revisions.entries, 0, 1)
	}
	revisions.entries = append(revisions.entries, cachedRevision{key, p})
}
