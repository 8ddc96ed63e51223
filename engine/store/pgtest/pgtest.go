// Package pgtest gives a test a PostgreSQL database of its own: fresh and
// empty, on the server named by HAECHI_TEST_POSTGRES_URL, and dropped when
// the test ends. scripts/test.sh (make test) starts a scratch server and sets
// the variable, so tests of PostgreSQL code run against a real server.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// EnvURL names the environment variable holding the URL of a PostgreSQL
// server and a database to connect to as a user allowed to create and drop
// databases, such as postgres://postgres@127.0.0.1:55432/postgres?sslmode=disable.
const EnvURL = "HAECHI_TEST_POSTGRES_URL"

// hint tells a developer without a server how to get one.
const hint = "pgtest: PostgreSQL is required: run `make test`, which starts a scratch server, " +
	"or set " + EnvURL + " to postgres://USER@HOST:PORT/postgres?sslmode=disable for a server where USER may create databases"

// timeout bounds creating and dropping a database.
const timeout = 30 * time.Second

// URL returns a connection URL to a fresh, empty PostgreSQL database for this
// test, dropped at cleanup.
//
// It reads HAECHI_TEST_POSTGRES_URL (scripts/test.sh sets it). When unset:
// with CI set (any non-empty CI env), t.Fatal with a message saying
// PostgreSQL is required and how to get it (make test starts one); otherwise
// t.Skip with the same hint. Every call makes a new database named
// haechi_test_<random hex>, so parallel tests and packages do not share
// state. The database is dropped WITH (FORCE), closing connections the test
// left open; this needs PostgreSQL 13 or newer.
func URL(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(EnvURL)
	if admin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal(hint)
		}
		t.Skip(hint)
	}
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("pgtest: %s is not a postgres:// URL", EnvURL)
	}

	var b [8]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	name := "haechi_test_" + hex.EncodeToString(b[:])
	// name is letters, digits and underscores: it needs no quoting.
	if err := exec(admin, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database on %s: %v", u.Redacted(), err)
	}
	t.Cleanup(func() {
		if err := exec(admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s on %s: %v", name, u.Redacted(), err)
		}
	})

	u.Path = "/" + name
	u.RawPath = ""
	return u.String()
}

// exec runs one statement on a connection of its own to the server at
// adminURL. CREATE and DROP DATABASE cannot run in a transaction, so there is
// none.
func exec(adminURL, stmt string) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	db, err := sql.Open("pgx", adminURL)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, stmt)
	return err
}
