# The living review, as a make-driven pipeline:
#   data/ -> validate -> analyse -> figures, tables, data package, editions -> pages -> render -> _site/
# Each stage reads files and writes files under $(BUILD) and touches a stamp when it succeeded;
# make knows the dependencies, so a second `make` does nothing, stages run in parallel, and an edit
# re-runs only the stages downstream of it. Which source files each stage depends on is derived
# from its imports (pipeline/build_system/stage_deps.py writes build/stages.mk).
#
#   make                        build the site (_site/*.html) and the PDF brief (_site/brief.pdf)
#   make test                   run the test suite
#   make validate               check the data only
#   make DATA=examples/bcg      build another review: its build and site folders are its own
#   make edition NOTE="..."     freeze the current build as the next edition (editions/NNN/)
#   make surveil                search the registries for new trials (needs the network)
#   make RENDERER=embedded      auto (Quarto if on PATH, else embedded) | quarto | embedded

DATA     ?= data
SLUG     := $(subst /,-,$(patsubst ./%,%,$(patsubst %/,%,$(DATA))))
BUILD    ?= build/$(SLUG)
SITE     ?= $(if $(filter data,$(SLUG)),_site,_sites/$(SLUG))
EDITIONS ?= $(if $(filter data,$(SLUG)),editions,$(patsubst %/,%,$(DATA))-editions)
RENDERER ?= auto
VENV     ?= .venv
PYTHON3  ?= python3
NOTE     ?=
SURVEIL_ARGS ?=

# Independent stages run side by side (figures beside tables, data package, editions and pages):
# one job per core. `make JOBS=1` runs them one after another.
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
MAKEFLAGS += -j$(JOBS)

PY        := $(VENV)/bin/python
PIPELINE  := $(PY) -m pipeline
INSTALLED := $(VENV)/.installed-build
TESTING   := $(VENV)/.installed-test
STAGES_MK := build/stages.mk

DATA_FILES    := $(shell find $(DATA) -type f -not -path '*/.*' 2>/dev/null)
EDITION_FILES := $(wildcard $(EDITIONS)/*/manifest.json)
REPORTS       := $(wildcard reports/*.qmd reports/*.html reports/templates/*.qmd) reports/_quarto.yml
PIPELINE_PY   := $(wildcard pipeline/*.py pipeline/*/*.py)

.PHONY: all validate test bench lint edition surveil clean distclean FORCE
.DELETE_ON_ERROR:

all: $(BUILD)/site.stamp

-include $(STAGES_MK)

$(STAGES_MK): $(PIPELINE_PY)
	@$(PYTHON3) pipeline/build_system/stage_deps.py $@

# --- environment: exact versions from the lock files -----------------------------------------
$(INSTALLED): pyproject.toml requirements/build.lock
	$(PYTHON3) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements/build.lock
	$(VENV)/bin/pip install --quiet --no-deps -e .
	touch $@

$(TESTING): $(INSTALLED) requirements/test.lock
	$(VENV)/bin/pip install --quiet -r requirements/test.lock
	touch $@

# Bytecode of the pipeline, compiled once: every stage is a new Python process, and where
# PYTHONDONTWRITEBYTECODE is set (as on CI machines) each would otherwise compile it again.
BYTECODE := build/bytecode.stamp
$(BYTECODE): $(PIPELINE_PY) | $(INSTALLED)
	@$(PY) -m compileall -q pipeline
	@touch $@

# --- stages ----------------------------------------------------------------------------------
$(BUILD)/review.json: $(DATA_FILES) $(VALIDATE_SRC) | $(INSTALLED) $(BYTECODE)
	@$(PIPELINE) validate $(DATA) --out $@

$(BUILD)/analyse.stamp: $(BUILD)/review.json $(ANALYSE_SRC)
	@$(PIPELINE) analyse --review $< --out $(BUILD)/results
	@touch $@

$(BUILD)/figures.stamp: $(BUILD)/analyse.stamp $(FIGURES_SRC)
	@$(PIPELINE) figures --review $(BUILD)/review.json --results $(BUILD)/results --out $(BUILD)/figures
	@touch $@

$(BUILD)/tables.stamp: $(BUILD)/analyse.stamp $(TABLES_SRC)
	@$(PIPELINE) tables --review $(BUILD)/review.json --results $(BUILD)/results --out $(BUILD)/tables
	@touch $@

$(BUILD)/package.stamp: $(BUILD)/analyse.stamp $(PACKAGE_SRC)
	@$(PIPELINE) package --review $(BUILD)/review.json --results $(BUILD)/results --out $(BUILD)/site-data
	@touch $@

$(BUILD)/changes.stamp: $(BUILD)/tables.stamp $(EDITION_FILES) $(CHANGES_SRC)
	@$(PIPELINE) changes --review $(BUILD)/review.json --results $(BUILD)/results --tables $(BUILD)/tables --editions $(EDITIONS) --out $(BUILD)/changes
	@touch $@

$(BUILD)/pages.stamp: $(BUILD)/review.json $(REPORTS) $(PAGES_SRC)
	@$(PIPELINE) pages --reports reports --review $(BUILD)/review.json --out $(BUILD)/site-src
	@touch $@

# The site is never a make target itself, so make never deletes a page of the last good site
# (on an error or Ctrl-C); the render swaps a complete staging folder in, or leaves the site alone.
$(BUILD)/site.stamp: $(BUILD)/figures.stamp $(BUILD)/tables.stamp $(BUILD)/package.stamp $(BUILD)/changes.stamp \
		$(BUILD)/pages.stamp $(RENDER_SRC) $(if $(wildcard $(SITE)/index.html),,FORCE)
	@$(PIPELINE) render --project $(BUILD)/site-src --build $(BUILD) --site $(SITE) --renderer $(RENDERER) --stamp $@

FORCE:

# --- commands --------------------------------------------------------------------------------
validate: | $(INSTALLED)
	@$(PIPELINE) validate $(DATA)

edition: all
	@$(PIPELINE) edition --note "$(NOTE)" --data-dir $(DATA) --build $(BUILD) --site $(SITE) --editions $(EDITIONS)

surveil: $(BUILD)/review.json
	@$(PIPELINE) surveil $(DATA) --out $(BUILD)/surveillance.md $(SURVEIL_ARGS)

test: $(TESTING)
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL $(PY) -m pytest -ra

lint: $(TESTING)
	$(PY) -m ruff check pipeline tests benchmarks validation

bench: $(TESTING)
	$(VENV)/bin/pip install --quiet -e '.[bench]'
	$(PY) benchmarks/bench_pooling.py --out build/bench.md
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL $(PY) benchmarks/bench_build.py --out build/bench-build.md

clean:
	rm -rf build _site _sites .*-staging-* reports/figures

distclean: clean
	rm -rf $(VENV)
