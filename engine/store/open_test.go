package store

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/haechi-tns/haechi/engine"
)

// TestOpenSQLiteOpensExactlyThePathNamed: characters that mean something
// in a URI (# ? % and spaces) are part of the file's name, not a fragment,
// a query or an escape.
func TestOpenSQLiteOpensExactlyThePathNamed(t *testing.T) {
	for _, tc := range []struct{ name, dir string }{
		{"all at once", "a#b?c%d e"},
		{"fragment", "x#y"},
		{"query", "x?mode=memory"},
		{"escape", "x%41y"},
		{"space", "x y"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			path := filepath.Join(root, tc.dir, FileName)
			ctx := context.Background()
			s, err := OpenSQLite(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.SaveDecisions(ctx, []*engine.Decision{decision("d1", "e1", engine.ActionAllow)}); err != nil {
				t.Fatal(err)
			}
			s.Close()

			head := make([]byte, 16)
			f, err := os.Open(path)
			if err != nil {
				t.Fatalf("no database at the path named: %v", err)
			}
			_, err = f.Read(head)
			f.Close()
			if err != nil || string(head) != "SQLite format 3\x00" {
				t.Fatalf("%s is not a SQLite database: %q, %v", path, head, err)
			}
			var files []string
			filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					rel, _ := filepath.Rel(root, p)
					files = append(files, rel)
				}
				return err
			})
			if want := []string{filepath.Join(tc.dir, FileName)}; !slices.Equal(files, want) {
				t.Errorf("files under the root: %q, want only %q", files, want)
			}

			s, err = OpenSQLite(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if n, err := s.CountDecisions(ctx); err != nil || n != 1 {
				t.Errorf("reopened: %d decisions, %v; want 1", n, err)
			}
		})
	}
}
