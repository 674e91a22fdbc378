# The living review, as a make-driven pipeline:
#   data/ -> validate -> analyse -> figures, tables, data package -> render -> _site/
# Each stage reads files and writes files under $(BUILD); make knows the dependencies,
# so a second `make` does nothing, `make -j2` is safe, and editing data/ re-runs only
# the stages downstream of it.
#
#   make                      build the site (_site/*.html) and the PDF brief (_site/brief.pdf)
#   make test                 run the test suite
#   make validate             check data/ only
#   make DATA=path/to/data    build another review's data folder
#   make RENDERER=embedded    auto (Quarto if on PATH, else embedded) | quarto | embedded

DATA     ?= data
BUILD    ?= build
SITE     ?= _site
RENDERER ?= auto
VENV     ?= .venv
PYTHON3  ?= python3

PY       := $(VENV)/bin/python
PIPELINE := $(PY) -m pipeline
INSTALLED := $(VENV)/.installed

DATA_FILES    := $(wildcard $(DATA)/*.csv $(DATA)/*.yaml $(DATA)/schema/*.json)
INPUTS_SRC    := $(wildcard pipeline/*.py pipeline/inputs/*.py)
STATS_SRC     := $(wildcard pipeline/stats/*.py) pipeline/analyse.py
FIGURES_SRC   := $(wildcard pipeline/figures/*.py)
TABLES_SRC    := $(wildcard pipeline/tables/*.py pipeline/report/*.py)
RENDER_SRC    := $(wildcard pipeline/render/*.py pipeline/render/templates/* pipeline/report/*.py)
REPORTS       := $(wildcard reports/*.qmd reports/*.html) reports/_quarto.yml
SITE_OUTPUTS  := $(SITE)/index.html $(SITE)/mortality.html $(SITE)/methods.html $(SITE)/brief.pdf

.PHONY: all validate test bench lint clean distclean
.DELETE_ON_ERROR:

all: $(SITE_OUTPUTS)

# --- environment -------------------------------------------------------------
$(INSTALLED): pyproject.toml
	$(PYTHON3) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

# --- stages -------------------------------------------------------------------
$(BUILD)/validated.stamp: $(DATA_FILES) $(INPUTS_SRC) | $(INSTALLED)
	$(PIPELINE) validate $(DATA) --stamp $@

$(BUILD)/results/index.json: $(BUILD)/validated.stamp $(STATS_SRC)
	$(PIPELINE) analyse $(DATA) --out $(BUILD)/results

$(BUILD)/figures.stamp: $(BUILD)/results/index.json $(FIGURES_SRC)
	$(PIPELINE) figures $(DATA) --results $(BUILD)/results --out $(BUILD)/figures
	touch $@

$(BUILD)/tables.stamp: $(BUILD)/results/index.json $(TABLES_SRC)
	$(PIPELINE) tables $(DATA) --results $(BUILD)/results --out $(BUILD)/tables
	touch $@

$(BUILD)/site-data.stamp: $(BUILD)/results/index.json pipeline/data_package.py
	$(PIPELINE) package $(DATA) --results $(BUILD)/results --out $(BUILD)/site-data
	touch $@

$(SITE_OUTPUTS) &: $(BUILD)/figures.stamp $(BUILD)/tables.stamp $(BUILD)/site-data.stamp $(REPORTS) $(RENDER_SRC)
	$(PIPELINE) render --reports reports --build $(BUILD) --site $(SITE) --renderer $(RENDERER)
	touch $(SITE_OUTPUTS)

# --- commands -------------------------------------------------------------------
validate: | $(INSTALLED)
	$(PIPELINE) validate $(DATA)

test: | $(INSTALLED)
	$(PY) -m pytest -ra

lint: | $(INSTALLED)
	$(PY) -m ruff check pipeline tests benchmarks validation

bench: | $(INSTALLED)
	$(VENV)/bin/pip install --quiet -e '.[bench]'
	$(PY) benchmarks/bench_pooling.py --out $(BUILD)/bench.md

clean:
	rm -rf $(BUILD) $(SITE) .$(SITE)-old reports/figures

distclean: clean
	rm -rf $(VENV)
