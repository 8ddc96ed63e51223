#!/usr/bin/env bash
# Installs what Haechi needs to build, run and test, idempotently: a second
# run changes nothing. Called by `make run` and `make test`; safe to run by
# hand. Needs Go (see go.mod for the version). Installs from Debian, when
# missing: gcc (cgo, the race detector), libjpeg-turbo, Tesseract with its
# Korean and English models (OCR), PostgreSQL (the server binaries only:
# scripts/test.sh starts its own scratch cluster), Chromium and the Nanum
# fonts (the reviewer UI's browser tests and the OCR fixtures). Fetches
# ONNX Runtime, axe-core and the nsfwjs model with npm pack and converts the
# model.
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

# ONNX Runtime's shared library for classifiers/onnxrt. It is taken from the
# npm package onnxruntime-node, which ships it prebuilt: `npm pack` only
# downloads the tarball (never `npm install` it: its install script fetches
# from hosts this machine cannot reach). Skipped when the file is already
# there with the expected checksum.
ORT_NPM_VERSION=1.30.0
ORT_LIB_SHA256=ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23
ORT_LIB=.deps/onnxruntime/libonnxruntime.so.1

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

need_onnxruntime() (
	# A subshell, so the EXIT trap cleans up the temporary directory.
	if [ -f "$ORT_LIB" ] && [ "$(sha256_of "$ORT_LIB")" = "$ORT_LIB_SHA256" ]; then
		return 0
	fi
	command -v npm >/dev/null 2>&1 || apt_install npm
	log "fetching ONNX Runtime from onnxruntime-node@$ORT_NPM_VERSION"
	tmp="$(mktemp -d)"
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && npm pack --silent "onnxruntime-node@$ORT_NPM_VERSION" >/dev/null)
	tar -xzf "$tmp/onnxruntime-node-$ORT_NPM_VERSION.tgz" -C "$tmp" \
		package/bin/napi-v6/linux/x64/libonnxruntime.so.1
	got="$(sha256_of "$tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1")"
	if [ "$got" != "$ORT_LIB_SHA256" ]; then
		log "libonnxruntime.so.1 from onnxruntime-node@$ORT_NPM_VERSION has sha256 $got, want $ORT_LIB_SHA256: refusing to install it"
		exit 1
	fi
	mkdir -p "$(dirname "$ORT_LIB")"
	install -m 0644 "$tmp/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" "$ORT_LIB.tmp"
	mv -f "$ORT_LIB.tmp" "$ORT_LIB"
	log "installed $ORT_LIB"
)

# PostgreSQL for the store tests. Debian keeps the server binaries in
# /usr/lib/postgresql/<version>/bin; any version will do. The package would
# also create a "main" cluster and start it on port 5432; nothing here uses
# it, so create_main_cluster is turned off before the server is installed.
need_postgres() {
	if compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || command -v initdb >/dev/null 2>&1; then
		return 0
	fi
	apt_install postgresql-common
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo pg_conftool /etc/postgresql-common/createcluster.conf set create_main_cluster off
	apt_install postgresql
}

# axe-core, the accessibility checker the reviewer UI's browser tests inject
# into each page (reviewer-ui/browsertest). Fetched like ONNX Runtime: `npm
# pack` downloads the tarball, and only axe.min.js is taken from it, checked
# against its pinned sha256. axe-core is MPL-2.0; it is used by the tests
# only and not shipped.
AXE_NPM_VERSION=4.14.1
AXE_JS_SHA256=29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c
AXE_JS=.deps/axe-core/axe.min.js

need_axe_core() (
	# A subshell, so the EXIT trap cleans up the temporary directory.
	if [ -f "$AXE_JS" ] && [ "$(sha256_of "$AXE_JS")" = "$AXE_JS_SHA256" ]; then
		return 0
	fi
	command -v npm >/dev/null 2>&1 || apt_install npm
	log "fetching axe-core@$AXE_NPM_VERSION"
	tmp="$(mktemp -d)"
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && npm pack --silent "axe-core@$AXE_NPM_VERSION" >/dev/null)
	tar -xzf "$tmp/axe-core-$AXE_NPM_VERSION.tgz" -C "$tmp" package/axe.min.js
	got="$(sha256_of "$tmp/package/axe.min.js")"
	if [ "$got" != "$AXE_JS_SHA256" ]; then
		log "axe.min.js from axe-core@$AXE_NPM_VERSION has sha256 $got, want $AXE_JS_SHA256: refusing to install it"
		exit 1
	fi
	mkdir -p "$(dirname "$AXE_JS")"
	install -m 0644 "$tmp/package/axe.min.js" "$AXE_JS.tmp"
	mv -f "$AXE_JS.tmp" "$AXE_JS"
	log "installed $AXE_JS"
)

# Chromium for the reviewer UI's browser tests, which drive it headless with
# chromedp (no ChromeDriver needed). HAECHI_CHROMIUM names another browser
# binary to use instead, and then Debian's is not installed. The Nanum fonts
# give the headless browser Korean glyphs, so screenshots show Hangul and
# not boxes.
need_chromium() {
	if [ -n "${HAECHI_CHROMIUM:-}" ] && [ -x "$HAECHI_CHROMIUM" ]; then
		apt_install fonts-nanum
		return 0
	fi
	apt_install chromium fonts-nanum
}

need_go
command -v gcc >/dev/null 2>&1 || apt_install gcc libc6-dev
# libjpeg-turbo decodes uploaded JPEGs (classifiers/imagedecode, cgo).
apt_install libturbojpeg0-dev
# Tesseract reads text in images (classifiers/ocr, cgo against its C API):
# the library and headers, pkg-config to find them, the Korean and English
# models. fonts-nanum renders the OCR fixtures again (go test -update).
apt_install libtesseract-dev pkg-config tesseract-ocr tesseract-ocr-kor tesseract-ocr-eng fonts-nanum
need_onnxruntime
command -v openssl >/dev/null 2>&1 || apt_install openssl
need_postgres
need_chromium
need_axe_core
log "downloading Go modules"
go mod download
scripts/nsfw-model.sh
log "ready"
