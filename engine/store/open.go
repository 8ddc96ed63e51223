package store

import (
	"net/url"
	"path/filepath"
)

// sqliteURI is the driver's DSN for the SQLite file at path with the given
// query. The path is made absolute and escaped: modernc.org/sqlite splits
// the DSN at its first '?' and SQLite reads it as a URI, so a '#', '?' or
// '%' left bare in a folder's name would open another file.
func sqliteURI(path, query string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: query}
	return u.String(), nil
}
