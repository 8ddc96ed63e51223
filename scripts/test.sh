#!/usr/bin/env bash
# Runs the whole test suite: vet, Go tests with the race detector (which
# include the Rego policy tests and fuzz seed corpora), the policy tests
# through the CLI, and a smoke test of the built binary. The Go tests get a
# scratch PostgreSQL cluster of their own (see start_postgres).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="/usr/local/go/bin:$PATH"

# The directory of the PostgreSQL server binaries that scripts/setup.sh
# installed: Debian's newest /usr/lib/postgresql/<version>/bin, else the one
# on PATH.
pg_bindir() {
	local dir
	dir="$(compgen -G '/usr/lib/postgresql/*/bin' | sort -V | tail -n 1)" || true
	if [ -z "$dir" ] && command -v initdb >/dev/null 2>&1; then
		dir="$(dirname "$(command -v initdb)")"
	fi
	if [ -z "$dir" ]; then
		echo "test: PostgreSQL's initdb not found: run scripts/setup.sh" >&2
		return 1
	fi
	printf '%s\n' "$dir"
}

# Starts a throwaway PostgreSQL cluster in a new directory under /tmp (data,
# socket and log together), trusting local and loopback connections and
# listening on the first free port from 55432 on 127.0.0.1, and exports its
# URL as HAECHI_TEST_POSTGRES_URL for engine/store/pgtest. fsync is off: the
# data dies with the run. An EXIT trap stops the cluster and removes the
# directory however the script ends. initdb refuses to run as root, so root
# runs the server as the postgres user; anyone else runs it as themselves.
start_postgres() {
	local bin port
	bin="$(pg_bindir)"
	PG_AS=()
	PG_DIR="$(mktemp -d /tmp/haechi-test-pg.XXXXXX)"
	trap stop_postgres EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$PG_DIR"
		PG_AS=(runuser -u postgres --)
	fi
	# From inside PG_DIR: the postgres user may not be able to read the
	# current directory.
	(cd "$PG_DIR" && "${PG_AS[@]}" "$bin/initdb" -D "$PG_DIR/data" -U postgres \
		--auth=trust --encoding=UTF8 --no-sync >"$PG_DIR/initdb.log") || {
		cat "$PG_DIR/initdb.log" >&2
		return 1
	}
	cat >>"$PG_DIR/data/postgresql.conf" <<-EOF
		listen_addresses = '127.0.0.1'
		unix_socket_directories = '$PG_DIR'
		fsync = off
		max_connections = 200
	EOF
	PG_BIN="$bin"
	for port in $(seq 55432 55531); do
		# Something already answers there: try the next port.
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
		rm -f "$PG_DIR/postgres.log"
		if (cd "$PG_DIR" && "${PG_AS[@]}" "$bin/pg_ctl" start -w -s -D "$PG_DIR/data" \
			-l "$PG_DIR/postgres.log" -o "-p $port") >/dev/null 2>&1; then
			export HAECHI_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
			echo "== postgres: scratch cluster in $PG_DIR on 127.0.0.1:$port"
			return 0
		fi
		# Taken since the check above: try the next port; any other
		# failure is reported.
		grep -q 'Address already in use' "$PG_DIR/postgres.log" 2>/dev/null || break
	done
	echo "test: could not start PostgreSQL; its log:" >&2
	cat "$PG_DIR/postgres.log" >&2 || true
	return 1
}

stop_postgres() {
	if [ -n "${PG_BIN:-}" ]; then
		(cd "$PG_DIR" && "${PG_AS[@]}" "$PG_BIN/pg_ctl" stop -s -m immediate -D "$PG_DIR/data") >/dev/null 2>&1 || true
	fi
	if [ -n "${PG_DIR:-}" ]; then
		rm -rf "$PG_DIR"
	fi
}

echo "== go vet"
go vet ./...
start_postgres
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
