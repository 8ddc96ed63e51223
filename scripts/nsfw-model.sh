#!/usr/bin/env bash
# Converts nsfwjs's MobileNetV2 (MIT licence) to ONNX for classifiers/nsfw,
# idempotently: fetches the pinned nsfwjs tarball with `npm pack` (a
# download only, no install scripts), checks npm's sha512 integrity against
# the pinned value, and runs `haechi models import-nsfwjs`, which
# writes model.onnx and model.json to .deps/models/nsfw (not committed) and
# does nothing when they already hold a conversion of the same files.
#
#   scripts/nsfw-model.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'nsfw-model: %s\n' "$*" >&2; }

# Keep in step with PinnedVersion / PinnedIntegrity in classifiers/nsfw.
NSFWJS_VERSION=4.4.0
NSFWJS_INTEGRITY=sha512-krC1fgeTLXtZwgdpKJ0jm7hqv0gTSRQQRL+FhOaxaJ9Wj92t42BO3csO2odwgTAgZgf2RvkwPtp0R8Aa7dc+MA==
CACHE=.deps/npm
TARBALL="$CACHE/nsfwjs-$NSFWJS_VERSION.tgz"
OUT="${1:-.deps/models/nsfw}"

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
	export PATH="/usr/local/go/bin:$PATH"
fi
command -v go >/dev/null 2>&1 || { log "Go is not installed: run scripts/setup.sh first"; exit 1; }

integrity_of() { printf 'sha512-%s' "$(openssl dgst -sha512 -binary "$1" | base64 -w0)"; }

if [ ! -f "$TARBALL" ] || [ "$(integrity_of "$TARBALL")" != "$NSFWJS_INTEGRITY" ]; then
	command -v npm >/dev/null 2>&1 || { log "npm is not installed: apt-get install npm"; exit 1; }
	log "fetching nsfwjs@$NSFWJS_VERSION with npm pack"
	mkdir -p "$CACHE"
	rm -f "$TARBALL"
	npm pack --silent --pack-destination "$CACHE" "nsfwjs@$NSFWJS_VERSION" >/dev/null
	got="$(integrity_of "$TARBALL")"
	if [ "$got" != "$NSFWJS_INTEGRITY" ]; then
		rm -f "$TARBALL"
		log "nsfwjs-$NSFWJS_VERSION.tgz has integrity $got, want $NSFWJS_INTEGRITY: refusing to use it"
		exit 1
	fi
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
tar -xzf "$TARBALL" -C "$tmp" package/package.json package/dist/esm/nsfw_classes.js package/dist/models/mobilenet_v2
go run ./cmd/haechi models import-nsfwjs \
	--package-dir "$tmp/package" --out "$OUT" --integrity "$NSFWJS_INTEGRITY"
