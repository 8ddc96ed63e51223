package main

import (
	"os"
	"testing"

	"github.com/haechi-tns/haechi/engine/store"
)

// TestMain hashes the passwords of the accounts the tests create cheaply
// (store.UseTestPasswordCost): the commands run in this process. Those run
// as a separate process (buildHaechi) hash with the real costs.
func TestMain(m *testing.M) {
	store.UseTestPasswordCost()
	os.Exit(m.Run())
}
