#!/usr/bin/env bash
# Retrains the text models: `make train-text`, or scripts/train-text.sh with
# `haechi train text` flags (--arch bag-mlp for the first model). Installs
# what training needs, idempotently: everything scripts/setup.sh installs,
# and Debian's PyTorch (CPU) with numpy and the pthread OpenBLAS (Debian's
# torch uses whichever BLAS provides libblas.so.3; the reference one is
# about 20 times slower). The public datasets are read from
# ../shared/datasets (--data and --pretrain name others). The test suite
# never needs any of this: it runs the committed models.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
missing=()
for p in python3-torch python3-numpy libopenblas0-pthread; do
	dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	printf 'train-text: installing %s from Debian\n' "${missing[*]}" >&2
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
export PATH="/usr/local/go/bin:$PATH"
go build -o bin/haechi ./cmd/haechi
exec bin/haechi train text "$@"
