package store

import (
	"testing"

	"github.com/haechi-tns/haechi/engine/search/searchtest"
)

// TestSearchIndexKeepsTheContract: the store's own index, FTS5 on SQLite
// and text search on PostgreSQL, finds what the reference finds by
// every filter, Korean substrings included, page by page, and forgets
// what is deleted.
func TestSearchIndexKeepsTheContract(t *testing.T) {
	backends(t, func(t *testing.T, s *Store) {
		searchtest.Run(t, s.SearchIndex())
	})
}
