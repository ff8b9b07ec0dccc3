# Every target sets itself up: it creates .venv and installs the pinned
# environment (offline-capable: torch and torchvision come from the local
# wheel cache) before doing its work.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PROFILE ?= quick
BUILD := _build/$(PROFILE)
NB_DIR := _build/notebooks/$(PROFILE)
export REPGEOM_PROFILE := $(PROFILE)
export PYTHONHASHSEED := 0
# Batch runs: no progress bars (they go to stderr, which a strict build reports).
export REPGEOM_QUIET ?= 1

.PHONY: help setup test imports unit nbval determinism book-strict browser book chapter bench clean clean-cache

help:
	@echo "make book      build the HTML book (PROFILE=quick|full)"
	@echo "make test      unit tests + every chapter under nbval + strict book build"
	@echo "make chapter CHAPTER=<id>   execute one chapter headless"
	@echo "make bench     speed comparisons against peer implementations"

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; set PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[book]'
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" >/dev/null
	touch $@

setup: $(VENV)/.installed
	@$(PY) -m repgeom check

# The package layers of DESIGN.md (import-linter contracts in pyproject.toml).
imports: setup
	$(VENV)/bin/lint-imports --no-cache

unit: setup
	REPGEOM_THREADS=1 $(PY) -m pytest -q -p no:cacheprovider -n 2 --ignore=tests/browser tests

# Chapters listed in _toc.yml, converted to notebooks by jupytext, executed by nbval.
nbval: setup
	$(PY) -m repgeom notebooks --out $(NB_DIR)
	REPGEOM_THREADS=1 $(PY) -m pytest -q -p no:cacheprovider --nbval-lax --nbval-cell-timeout=900 \
	    -n 2 --dist loadfile $(NB_DIR)

book-strict: setup
	$(VENV)/bin/jupyter-book build . --path-output $(BUILD) -W -n --keep-going
	@echo "HTML: $(BUILD)/_build/html/index.html"

# Every page of the built book opened in headless Chromium (skipped, with the reason, without Chromium).
browser: setup
	$(PY) -m pytest -q -p no:cacheprovider -rs tests/browser

# Determinism (DESIGN.md, "CI and tests"): the cheapest chapter executed once more, into an output folder of
# its own (no checkpoints to resume), must write the same claims as its nbval run, times aside.
DETERMINISM_CHAPTER ?= neural_race
DETERMINISM_OUT := $(CURDIR)/_build/determinism
determinism: nbval
	rm -rf $(DETERMINISM_OUT)/$(PROFILE)
	REPGEOM_THREADS=1 REPGEOM_OUTPUT=$(DETERMINISM_OUT) $(PY) -m repgeom run $(DETERMINISM_CHAPTER) --profile $(PROFILE) --slowest 0
	$(PY) -m repgeom compare $(BUILD)/repgeom/claims/$(DETERMINISM_CHAPTER).json \
	    $(DETERMINISM_OUT)/$(PROFILE)/claims/$(DETERMINISM_CHAPTER).json

test: imports unit nbval determinism book-strict browser

book: setup
	$(VENV)/bin/jupyter-book build . --path-output $(BUILD)
	@echo "HTML book: $(abspath $(BUILD))/_build/html/index.html"

# A person follows one chapter: its progress bars are shown unless the caller set REPGEOM_QUIET.
chapter: REPGEOM_QUIET := $(if $(filter file,$(origin REPGEOM_QUIET)),0,$(REPGEOM_QUIET))
chapter: setup
	@test -n "$(CHAPTER)" || { echo "usage: make chapter CHAPTER=<id> (see: $(PY) -m repgeom list)"; exit 2; }
	$(PY) -m repgeom run $(CHAPTER) --profile $(PROFILE)

$(VENV)/.bench-installed: $(VENV)/.installed
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[book,bench]'
	touch $@

# Every kernel against its peer, and the scaling sweeps; JSON into _build/bench/.
bench: setup $(VENV)/.bench-installed
	$(PY) bench/run.py --profile $(PROFILE)

clean-cache:
	rm -rf $(BUILD)/_build/.jupyter_cache

clean:
	rm -rf _build
