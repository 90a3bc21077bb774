# The two commands: `make run` and `make test`. Both create .venv when missing and install what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
MO     := survey/translations/en/LC_MESSAGES/messages.mo
PO     := $(wildcard survey/translations/*/LC_MESSAGES/messages.po)
AXE    := tests/vendor/axe.min.js

.PHONY: run test bench translations extract-messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

$(MO): $(PO) $(STAMP)
	$(BIN)/pybabel -q compile -d survey/translations

# axe-core, the accessibility checker the browser tests run, pinned by version and hash (npm registry)
$(AXE):
	$(BIN)/python tests/tools/fetch_axe.py $(AXE)

translations: $(MO)

## make run: set up the instance with demo data and serve it (port 5000, or make run PORT=5001)
run: $(STAMP) $(MO)
	$(BIN)/wir-survey demo $(if $(PORT),--port $(PORT))
	$(BIN)/gunicorn -c python:survey.gunicorn_conf 'survey:create_app()'

## make test: the whole test suite
test: $(STAMP) $(MO) $(AXE)
	$(BIN)/python -m pytest

## make bench: throughput, latency, print-file, disclosure-control and release figures;
## with a PostgreSQL server (make bench POSTGRES=postgresql+psycopg://…, or WIR_SURVEY_TEST_POSTGRES) also the payroll day on two nodes
POSTGRES ?= $(WIR_SURVEY_TEST_POSTGRES)
bench: $(STAMP) $(MO)
	$(BIN)/python bench/bench_flow.py
	$(if $(POSTGRES),$(BIN)/python bench/bench_payroll.py --postgres '$(POSTGRES)',@echo "payroll day on PostgreSQL with two nodes: skipped (give a server: make bench POSTGRES=postgresql+psycopg://postgres@127.0.0.1:5432/postgres)")
	$(BIN)/python bench/bench_issue.py
	$(BIN)/python bench/bench_slips.py
	$(BIN)/python bench/bench_protect.py

## refresh the message catalogue after changing interface text
extract-messages: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -o survey/translations/messages.pot survey
	$(BIN)/pybabel -q update --ignore-obsolete -i survey/translations/messages.pot -d survey/translations

clean:
	rm -rf $(VENV) build *.egg-info
