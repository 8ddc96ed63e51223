#!/usr/bin/env bash
# Vendors htmx for the reviewer UI: fetches the pinned htmx.org tarball with
# `npm pack` (a download only, no install scripts, no Node build step),
# checks npm's sha512 integrity of the tarball, copies dist/htmx.min.js and
# the licence to reviewer-ui/static/, and checks the minified file against
# the SHA-256 pinned in reviewer-ui/vendor.go (HTMXSHA256), which a Go test
# checks again against the embedded file.
#
#   scripts/vendor-htmx.sh          re-fetch and verify (changes nothing when all is well)
#
# To move to another version: change HTMX_VERSION and HTMX_INTEGRITY here
# (npm view htmx.org@VERSION dist.integrity), run this script with
# HTMX_ACCEPT_NEW=1, which prints the new file's SHA-256 instead of
# refusing it, and put that value in reviewer-ui/vendor.go.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'vendor-htmx: %s\n' "$*" >&2; }

HTMX_VERSION=2.0.11
HTMX_INTEGRITY=sha512-Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELTNt636dtamA==
DEST=reviewer-ui/static
PINNED="$(sed -n 's/^const HTMXSHA256 = "\([0-9a-f]\{64\}\)"$/\1/p' reviewer-ui/vendor.go)"
[ -n "$PINNED" ] || { log "no HTMXSHA256 constant in reviewer-ui/vendor.go"; exit 1; }

command -v npm >/dev/null 2>&1 || { log "npm is not installed: apt-get install npm"; exit 1; }
integrity_of() { printf 'sha512-%s' "$(openssl dgst -sha512 -binary "$1" | base64 -w0)"; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
log "fetching htmx.org@$HTMX_VERSION with npm pack"
npm pack --silent --pack-destination "$tmp" "htmx.org@$HTMX_VERSION" >/dev/null
tarball="$tmp/htmx.org-$HTMX_VERSION.tgz"
got="$(integrity_of "$tarball")"
if [ "$got" != "$HTMX_INTEGRITY" ]; then
	log "htmx.org-$HTMX_VERSION.tgz has integrity $got, want $HTMX_INTEGRITY: refusing to use it"
	exit 1
fi
tar -xzf "$tarball" -C "$tmp" package/dist/htmx.min.js package/LICENSE
sum="$(sha256sum "$tmp/package/dist/htmx.min.js" | cut -d' ' -f1)"
if [ "$sum" != "$PINNED" ]; then
	if [ "${HTMX_ACCEPT_NEW:-}" = 1 ]; then
		log "new htmx.min.js SHA-256: $sum; set HTMXSHA256 in reviewer-ui/vendor.go to it"
	else
		log "htmx.min.js has SHA-256 $sum, want $PINNED (reviewer-ui/vendor.go): refusing to use it"
		exit 1
	fi
fi
cp "$tmp/package/dist/htmx.min.js" "$DEST/htmx.min.js"
cp "$tmp/package/LICENSE" "$DEST/htmx.LICENSE"
log "htmx $HTMX_VERSION in $DEST/htmx.min.js (sha256 $sum)"
