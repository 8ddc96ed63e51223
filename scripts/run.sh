#!/usr/bin/env bash
# Runs Haechi on its embedded defaults: the API on 127.0.0.1:8080 with the
# policies in ./policies watched for changes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="/usr/local/go/bin:$PATH"
go build -o bin/haechi ./cmd/haechi
exec bin/haechi serve --policies policies "$@"
