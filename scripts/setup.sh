#!/usr/bin/env bash
# Installs what Haechi needs to build, run and test, idempotently: a second
# run changes nothing. Called by `make run` and `make test`; safe to run by
# hand. Needs Go (see go.mod for the version); installs gcc for cgo and the
# race detector from Debian when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'setup: %s\n' "$*" >&2; }

need_go() {
	if ! command -v go >/dev/null 2>&1; then
		if [ -x /usr/local/go/bin/go ]; then
			export PATH="/usr/local/go/bin:$PATH"
		else
			log "Go is not installed: install Go $(sed -n 's/^go //p' go.mod) or newer from the Go website, then run this again"
			exit 1
		fi
	fi
}

apt_install() {
	# Installs Debian packages that are missing; needs root (or sudo).
	local missing=()
	for p in "$@"; do
		dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	log "installing ${missing[*]} from Debian"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

need_go
command -v gcc >/dev/null 2>&1 || apt_install gcc libc6-dev
log "downloading Go modules"
go mod download
log "ready"
