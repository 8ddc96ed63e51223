#!/usr/bin/env bash
# Runs the whole test suite: vet, Go tests with the race detector (which
# include the Rego policy tests and fuzz seed corpora), the policy tests
# through the CLI, and a smoke test of the built binary. The Go tests get a
# scratch PostgreSQL cluster of their own (see start_postgres), and must pass
# from a clone of the repository alone: they run with the datasets folder
# beside the checkout hidden (see check_test_data and run_hidden).
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

# The datasets folders a test must not read: ../shared beside the checkout
# and /work/shared, each printed once (by physical path) if it exists. They
# hold training data; a test that needs a file commits it to its package's
# testdata/.
shared_dirs() {
	local d seen=" "
	for d in "$(cd .. && pwd -P)/shared" /work/shared; do
		[ -d "$d" ] || continue
		d="$(cd "$d" && pwd -P)"
		case "$seen" in *" $d "*) continue ;; esac
		seen="$seen$d "
		printf '%s\n' "$d"
	done
}

# check_test_data is the static half of the guard, and runs everywhere: it
# fails, naming the lines, if a test file or a file under a testdata/ folder
# refers to the datasets folder.
check_test_data() {
	local hits
	hits="$(find . \( -path ./.git -o -path ./.deps -o -name node_modules \) -prune -o \
		-type f \( -name '*_test.go' -o -path '*/testdata/*' \) -print0 |
		xargs -0 -r grep -nIE '\.\./shared|shared/datasets|/work/shared|"shared", *"datasets"' || true)"
	if [ -n "$hits" ]; then
		echo "test: these tests or test data refer to the datasets folder outside the repository (../shared), which a clone does not have; commit the files they need to the package's testdata/ instead:" >&2
		printf '%s\n' "$hits" >&2
		return 1
	fi
}

# MASK_AND_RUN is a bash script for inside a new mount namespace: given N
# DIR... CMD..., it covers each of the N folders with an empty read-only
# tmpfs, then runs CMD. Mounts in the namespace are private: nothing outside
# sees them, and they vanish with its last process.
MASK_AND_RUN='n=$1; shift
for ((i = 0; i < n; i++)); do
	mount -t tmpfs -o ro,size=4k,mode=0555 haechi-hidden "$1" || exit 1
	shift
done
exec "$@"'

# hide_mode picks how run_hidden makes its namespace, checking that the
# folders in HIDE really come out empty: "root" (a plain mount namespace,
# which needs CAP_SYS_ADMIN) for root, else "user" (a user namespace in which
# the caller is root only to mount, then a nested one that maps them back to
# themselves, so that the tests run with their own uid and no capabilities).
# Root in an unprivileged container falls back to "user". Prints nothing if
# neither works here (no unshare, or namespaces not allowed).
hide_mode() {
	local mode empty='for d; do [ -d "$d" ] && [ -z "$(ls -A "$d")" ] || exit 1; done'
	command -v unshare >/dev/null 2>&1 || return 0
	for mode in root user; do
		[ "$mode" = root ] && [ "$(id -u)" -ne 0 ] && continue
		if run_hidden_as "$mode" bash -c "$empty" empty "${HIDE[@]}" >/dev/null 2>&1; then
			echo "$mode"
			return 0
		fi
	done
}

# run_hidden_as MODE CMD... runs CMD in a namespace of that mode (see
# hide_mode) with the folders in HIDE masked.
run_hidden_as() {
	local mode="$1"
	shift
	if [ "$mode" = root ]; then
		unshare --mount -- bash -c "$MASK_AND_RUN" mask "${#HIDE[@]}" "${HIDE[@]}" "$@"
	else
		unshare --user --map-root-user --mount -- bash -c "$MASK_AND_RUN" mask "${#HIDE[@]}" "${HIDE[@]}" \
			unshare --user --map-user="$(id -u)" --map-group="$(id -g)" -- "$@"
	fi
}

# run_hidden runs its arguments with the datasets folders hidden, so that a
# test reading them fails here as it would in a clone. Where no folder
# exists there is nothing to hide; where no namespace can be made it says so
# and runs them as they are, guarded by check_test_data alone.
run_hidden() {
	local mode
	mapfile -t HIDE < <(shared_dirs)
	if [ ${#HIDE[@]} -eq 0 ]; then
		echo "== (no ../shared or /work/shared here: nothing to hide from the tests)"
		"$@"
		return
	fi
	mode="$(hide_mode)"
	if [ -z "$mode" ]; then
		echo "test: warning: cannot hide ${HIDE[*]} from the tests (unshare missing or mount namespaces not allowed here); only the static check of test files guards against tests reading it" >&2
		"$@"
		return
	fi
	echo "== (hidden from the tests: ${HIDE[*]})"
	run_hidden_as "$mode" "$@"
}

# heavy_tests prints "PACKAGE_DIR TEST" for every top-level test that
# calls racetest.Heavy on its first line (internal/racetest): pure
# computation, skipped under -race and run by the plain pass below. It
# fails, naming them, if a call is anywhere else, where this would not find
# it and the test would run in neither pass.
heavy_tests() {
	local files found calls
	mapfile -t files < <(find . \( -path ./.git -o -path ./.deps -o -name node_modules \) -prune -o \
		-type f -name '*_test.go' -print | sort)
	found="$(awk '
		FNR == 1 { name = "" }
		name != "" && /^\tracetest\.Heavy\(t\)$/ { d = FILENAME; sub(/\/[^\/]*$/, "", d); print d, name }
		{ name = "" }
		/^func Test[A-Za-z0-9_]*\(t \*testing\.T\) \{$/ { name = $2; sub(/\(.*/, "", name) }
	' "${files[@]}")"
	calls="$(cat "${files[@]}" | grep -c 'racetest\.Heavy(' || true)"
	if [ "$calls" -ne "$(printf '%s' "$found" | grep -c . || true)" ]; then
		echo "test: racetest.Heavy must be the first line of a top-level test func TestX(t *testing.T); the calls, with the line before each:" >&2
		grep -n -B1 'racetest\.Heavy(' "${files[@]}" >&2
		return 1
	fi
	printf '%s\n' "$found"
}

echo "== test data stays in the repository"
check_test_data
echo "== go vet"
go vet ./...
start_postgres
HEAVY_LIST="$(heavy_tests)"
mapfile -t HEAVY < <(printf '%s' "$HEAVY_LIST" | grep . || true)
echo "== go test -race"
run_hidden go test -race -timeout 25m -count=1 ./...
echo "== go test, without -race: the ${#HEAVY[@]} tests of pure computation it skipped"
if [ ${#HEAVY[@]} -gt 0 ]; then
	run_hidden go test -timeout 10m -count=1 \
		-run "^($(printf '%s\n' "${HEAVY[@]}" | cut -d' ' -f2 | sort -u | paste -sd'|'))\$" \
		$(printf '%s\n' "${HEAVY[@]}" | cut -d' ' -f1 | sort -u)
fi
echo "== haechi policy test"
go build -o bin/haechi ./cmd/haechi
bin/haechi policy test --policies policies
echo "== smoke: classify"
printf '%s\n' '{"id":"smoke-1","text":"시1발 뭐야"}' '{"id":"smoke-2","text":"광장에서 만나요"}' |
	bin/haechi classify >bin/smoke.jsonl
grep -q '"id":"smoke-1".*"flagged":true' bin/smoke.jsonl
grep -q '"id":"smoke-2".*"flagged":false' bin/smoke.jsonl
echo "all tests passed"
