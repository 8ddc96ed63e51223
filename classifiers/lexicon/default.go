package lexicon

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sync"
)

// data holds the curated lexicons; see data/README.md for how they are made.
//
//go:embed data/*.tsv
var data embed.FS

// Default returns the lexicon of the curated files compiled into Haechi.
// It is built once per process (about 0.3 s: the matcher's automaton) and
// shared: a Lexicon is read-only once made, and Entries must not be
// changed by its callers.
func Default() (*Lexicon, error) { return defaultLexicon() }

var defaultLexicon = sync.OnceValues(func() (*Lexicon, error) { return FromFS(data, "data") })

// FromFS builds a lexicon from every *.tsv file in dir of fsys, in name
// order. Operators use it to load their own lexicons.
func FromFS(fsys fs.FS, dir string) (*Lexicon, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.tsv"))
	if err != nil {
		return nil, fmt.Errorf("lexicon: %w", err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("lexicon: no .tsv files in %s", dir)
	}
	slices.Sort(names)
	var entries []Entry
	var files [][]byte
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("lexicon: %w", err)
		}
		es, err := Parse(bytes.NewReader(b), path.Base(name))
		if err != nil {
			return nil, err
		}
		entries = append(entries, es...)
		files = append(files, []byte(name), b)
	}
	return New(entries, Hash(files...))
}
