# The two commands of the README, plus helpers for development.
.PHONY: run test setup build bench fuzz train-text

run:   ## run Haechi on its embedded defaults
	scripts/run.sh

test:  ## run the whole test suite
	scripts/test.sh

setup: ## install what building and testing need
	scripts/setup.sh

train-text: ## retrain the text models from ../shared/datasets (installs PyTorch)
	scripts/train-text.sh

build:
	go build -o bin/haechi ./cmd/haechi

bench: build ## the benchmarks recorded in BENCHMARKS.md
	go test -run '^$$' -bench . -benchmem ./engine/... ./classifiers/...
	bin/haechi bench decide --cpus 1 --goroutines 1
	bin/haechi bench decide --goroutines 1,8

fuzz:  ## a longer fuzzing session than the seeds the tests run
	go test -fuzz FuzzNormalize -fuzztime 2m ./classifiers/textnorm
	go test -fuzz FuzzDecodeEvent -fuzztime 2m ./engine
	go test -fuzz FuzzExtract -fuzztime 2m ./classifiers/links
