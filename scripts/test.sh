#!/usr/bin/env bash
# Runs the whole test suite: vet, Go tests with the race detector (which
# include the Rego policy tests and fuzz seed corpora), the policy tests
# through the CLI, and a smoke test of the built binary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="/usr/local/go/bin:$PATH"

echo "== go vet"
go vet ./...
echo "== go test -race"
go test -race -timeout 15m -count=1 ./...
echo "== haechi policy test"
go build -o bin/haechi ./cmd/haechi
bin/haechi policy test --policies policies
echo "== smoke: classify"
printf '%s\n' '{"id":"smoke-1","text":"시1발 뭐야"}' '{"id":"smoke-2","text":"광장에서 만나요"}' |
	bin/haechi classify >bin/smoke.jsonl
grep -q '"id":"smoke-1".*"flagged":true' bin/smoke.jsonl
grep -q '"id":"smoke-2".*"flagged":false' bin/smoke.jsonl
echo "all tests passed"
