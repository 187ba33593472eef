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

.PHONY: install test lint typecheck validate unit build clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.txt layers/shared/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

validate: install
	$(BIN)/sam validate --lint --template-file template.yaml

test: lint typecheck validate
	$(BIN)/python -m pytest $(PYTEST_ARGS)

build: install
	$(BIN)/sam build --template-file template.yaml

clean:
	rm -rf $(VENV) .aws-sam .local .pytest_cache .mypy_cache .ruff_cache
