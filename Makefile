# chatgroup: every target installs what it needs into .venv first.
SHELL := /bin/bash
# The Lambda runtime's Python: pyenv's 3.13 where there is one, else a python3.13 on PATH, else python3.
PYTHON ?= $(firstword $(wildcard $(shell pyenv root 2>/dev/null)/versions/3.13*/bin/python3.13) $(shell command -v python3.13 2>/dev/null) $(shell command -v python3))
VENV := .venv
BIN := $(VENV)/bin
# sam build looks for the Lambda runtime's interpreter (python3.13) on PATH.
export PATH := $(abspath $(BIN)):$(dir $(PYTHON)):$(PATH)
export SAM_CLI_TELEMETRY := 0
PYTEST_ARGS ?=

.PHONY: install test lint typecheck validate build clean run invoke token e2e build-host openapi
# make run BUILT=1 serves this `sam build` output instead of the sources.
BUILD_DIR ?= .aws-sam/build

install: $(VENV)/.installed

# What CI tested, exactly: every package pinned with its hashes in requirements-dev.lock (make lock). pip is
# the one the venv module bundles with this Python; upgrading it from the index would install an unpinned file.
$(VENV)/.installed: requirements-dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	touch $@

# The lock files from the pins we choose: requirements-dev.txt (universal, any platform), the layer's
# requirements.txt for each Lambda architecture, checkov's (universal) and the bench's plots (universal, held to
# the dev lock's versions, since they go into the same .venv). Run after changing a pin; a test fails when a lock
# is stale.
LOCK := $(BIN)/uv pip compile --quiet --generate-hashes --python-version 3.13
.PHONY: lock
lock: install
	$(LOCK) --universal requirements-dev.txt -o requirements-dev.lock
	$(LOCK) --python-platform aarch64-manylinux_2_28 layers/shared/requirements.txt -o layers/shared/requirements-arm64.lock
	$(LOCK) --python-platform x86_64-manylinux_2_28 layers/shared/requirements.txt -o layers/shared/requirements-x86_64.lock
	$(LOCK) --universal requirements-checkov.txt -o requirements-checkov.lock
	$(LOCK) --universal bench/plot-requirements.txt -c requirements-dev.lock -o bench/plot-requirements.lock

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

validate: install
	$(BIN)/sam validate --lint --template-file template.yaml

# Line coverage of the layer, with a floor at the figure it had when the floor was set (raise it, never lower it).
COVERAGE_FLOOR := 93
test: lint typecheck validate checkov browser
	COVERAGE_CORE=sysmon $(BIN)/python -m pytest --cov=layers/shared/chatgroup --cov-report=term:skip-covered \
		--cov-fail-under=$(COVERAGE_FLOOR) $(PYTEST_ARGS)

# Debian's Chromium and ChromeDriver for tests/browser (Selenium is given both by path and downloads nothing):
# installed with apt-get when missing and make runs as root (as in CI); otherwise tests/browser fail and say so.
CHROMIUM_PACKAGES := /usr/bin/chromium /usr/bin/chromedriver
.PHONY: browser
browser:
	@if ! ls $(CHROMIUM_PACKAGES) >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "make: installing Debian's chromium and chromium-driver for tests/browser"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
		else \
			echo "make: $(CHROMIUM_PACKAGES) missing and not root: install Debian's chromium and chromium-driver" >&2; \
		fi; \
	fi

# The web app's config.json for a deployed stack, from its CloudFormation outputs (AWS credentials and region from
# the usual AWS settings): make -s web-config STACK=chatgroup-prod > config.json
.PHONY: web-config
web-config: install
	$(if $(STACK),,$(error usage: make -s web-config STACK=<stack name> > config.json))
	@$(BIN)/python -m devstack.web --stack "$(STACK)"

# The README's pictures of the web app (docs/web-app*.png), taken in headless Chromium from a stack of its own.
.PHONY: screenshot
screenshot: install browser
	$(BIN)/python -m tests.browser.screenshot docs

# checkov over template.yaml from a virtual environment of its own (its pins clash with ours). What does not
# apply is suppressed in the template, each with its reason (`Metadata: checkov: skip:`).
CHECKOV_VENV := .venv-checkov
.PHONY: checkov
checkov: $(CHECKOV_VENV)/.installed
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation --file template.yaml

$(CHECKOV_VENV)/.installed: requirements-checkov.lock
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --require-hashes -r requirements-checkov.lock
	touch $@

# A stack's chat queues whose group no longer exists (scripts/orphan_queues.py): STACK=<stack name> for a deployed
# stack (your AWS credentials), LOCAL=1 for the running `make run`; DELETE=1 deletes them.
.PHONY: orphan-queues
orphan-queues: install
	$(if $(or $(STACK),$(LOCAL)),,$(error usage: make orphan-queues STACK=<stack name> [DELETE=1], or LOCAL=1 [DELETE=1]))
	@$(BIN)/python -m scripts.orphan_queues $(if $(LOCAL),--local,--stack "$(STACK)") $(if $(DELETE),--delete)

build: install
	$(BIN)/sam build --template-file template.yaml

# The whole stack locally, without Docker: PORT (3000) for the API, WS_PORT (3001) for the WebSocket, WEB_PORT (3002)
# for the web app, AWS_PORT (4566) for the embedded AWS.
run: install
	@$(BIN)/python -m devstack.run $(if $(BUILT),--built-dir $(BUILD_DIR))

# One function, one event: make invoke FUNCTION=GetInboxFunction EVENT=events/get_inbox.json
invoke: install
	$(if $(and $(FUNCTION),$(EVENT)),,$(error usage: make invoke FUNCTION=<logical id> EVENT=events/<file>.json))
	@$(BIN)/python -m devstack.invoke $(if $(BUILT),--built-dir $(BUILD_DIR)) "$(FUNCTION)" "$(EVENT)"

# A fresh ID token of a user of the running stack: make token USER=bob (alice unless USER is given here).
token: install
	@$(BIN)/python -m devstack.signin $(if $(filter command line,$(origin USER)),"$(USER)",alice)

# The end-to-end tests: against a local stack, or with STACK_NAME against that deployed stack (its
# CloudFormation outputs; AWS credentials and region from the usual AWS settings). Only tests/e2e's
# conftest is loaded then, so the embedded AWS of the other tests' conftest does not shadow the real one.
e2e: install
	$(if $(STACK_NAME),E2E_STACK_NAME=$(STACK_NAME)) $(BIN)/python -m pytest tests/e2e \
		$(if $(STACK_NAME),--confcutdir=tests/e2e) $(PYTEST_ARGS)

# template.yaml builds for arm64; this builds a copy for this machine's architecture, never to be deployed.
build-host: install
	$(BIN)/python -m devstack.build .aws-sam/build-host

# Cold start, AWS calls per operation, write cost vs group size, the chat fan-out and its cost: one run, side by
# side. Prints the tables, writes docs/BENCHMARKS.md (+ plots, results.json in docs/benchmarks/). BENCH_ARGS=--quick
# to try it.
.PHONY: bench
bench: install $(VENV)/.bench-installed
	$(BIN)/python -m bench $(BENCH_ARGS)

$(VENV)/.bench-installed: $(VENV)/.installed bench/plot-requirements.lock
	$(BIN)/python -m pip install --quiet --require-hashes -r bench/plot-requirements.lock
	touch $@

# Schemathesis against a local stack of its own, long: FUZZ_EXAMPLES fuzzed cases per operation (plus its
# coverage phase and non-JSON bodies), thousands in all; FUZZ_SEED=<n> for other cases. `make test` runs 15.
.PHONY: fuzz
FUZZ_EXAMPLES ?= 400
FUZZ_SEED ?= 20261124
fuzz: install
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_SEED=$(FUZZ_SEED) FUZZ_REPORT=.local/reliability/make-fuzz.txt \
		$(BIN)/python -m pytest tests/reliability/test_fuzz.py -s $(PYTEST_ARGS)

# docs/openapi.json from the functions' resolvers; a test fails when it is stale.
openapi: install
	$(BIN)/python -m devstack.openapi > docs/openapi.json

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .aws-sam .local .pytest_cache .mypy_cache .ruff_cache
