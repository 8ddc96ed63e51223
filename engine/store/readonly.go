package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
)

// OpenReadOnly opens an existing store to read it, as haechi audit verify
// does: it never creates a file, a database or a table, and runs no
// migrations. dsn is what Open takes. A SQLite file that does not exist,
// or a database without Haechi's schema, is an error that says so.
func OpenReadOnly(ctx context.Context, dsn string) (*Store, error) {
	var s *Store
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return nil, fmt.Errorf("store: postgres URL: %w", err)
		}
		q := u.Query()
		q.Del("max_conns") // Haechi's own parameter, see OpenPostgres
		// pgx passes parameters it does not know to the server: every
		// transaction of this pool is read-only.
		q.Set("default_transaction_read_only", "on")
		u.RawQuery = q.Encode()
		db, err := sql.Open("pgx", u.String())
		if err != nil {
			return nil, fmt.Errorf("store: postgres: %w", err)
		}
		db.SetMaxOpenConns(2)
		s = &Store{db: db, postgres: true}
	} else {
		st, err := os.Stat(dsn)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("store: no database at %s", dsn)
		}
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("store: %s is not a database file", dsn)
		}
		uri, err := sqliteURI(dsn, "mode=ro&_pragma=busy_timeout(10000)&_pragma=query_only(1)")
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		db, err := sql.Open("sqlite", uri)
		if err != nil {
			return nil, fmt.Errorf("store: open %s: %w", dsn, err)
		}
		s = &Store{db: db}
	}
	if _, err := s.SchemaVersion(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: %s is not a Haechi database: %w", redactDSN(dsn), err)
	}
	return s, nil
}

// redactDSN hides a PostgreSQL URL's password.
func redactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" {
		return u.Redacted()
	}
	return dsn
}
