#!/usr/bin/env bash
# Runs Haechi on its embedded defaults: the embedded Kafka-protocol broker,
# a pipeline worker, SQLite under .haechi, the API on 127.0.0.1:8080 with
# the policies in ./policies watched for changes, and demo traffic at 20
# events a second (HAECHI_DEMO_RATE=0 turns it off).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="/usr/local/go/bin:$PATH"
go build -o bin/haechi ./cmd/haechi
exec bin/haechi serve --policies policies --demo-rate "${HAECHI_DEMO_RATE:-20}" "$@"
