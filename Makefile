# Hài Lòng — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
WORKERS ?= 4
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

export FLASK_APP := survey:create_app

.PHONY: run test lint install setup-db demo-urls translations chromium testdeps bench clean help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Cần Python 3.11 ($(PYTHON) không có)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@rm -f $(VENV)/.installed-*; touch $@

install: $(STAMP) translations ## create .venv and install the project

# The UI source language is Vietnamese; survey/translations/en/LC_MESSAGES/messages.po is the only store of English,
# edited by hand. Extraction follows babel.cfg; file-only locations and the ignored POT date keep the .po unchanged
# unless a msgid is added or removed; entries whose msgid left the sources are dropped, not kept as #~.
# --ignore-dirs replaces the default, which also skips directories starting with "_" (templates/_macros).
translations: $(STAMP) ## extract the UI strings, update the English catalog, compile it
	$(BIN)/pybabel -q extract -F babel.cfg --ignore-dirs '.* __pycache__' --add-location=file --project "Hài Lòng" \
		-o survey/translations/messages.pot .
	$(BIN)/pybabel -q update -i survey/translations/messages.pot -d survey/translations -l en \
		--no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date
	$(BIN)/pybabel -q compile -d survey/translations

.PHONY: translations-check
translations-check: $(STAMP) ## fail, naming them, on msgids without English in the catalog (writes nothing)
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/foundation/test_translations.py

setup-db: install ## create/upgrade the SQLite database, load the bank, seed the demo province
	$(BIN)/hailong db upgrade
	$(BIN)/hailong questionnaires load questionnaires/
	$(BIN)/hailong seed demo

# Links and QR codes point at the address served (HOST=0.0.0.0: this machine's network address), unless
# HAILONG_PUBLIC_URL says otherwise; gunicorn warns at start when that names this machine on another port.
run: setup-db ## install, set up the database and demo, serve under gunicorn on 127.0.0.1:5000
	@host='$(HOST)'; [ "$$host" != 0.0.0.0 ] || host=$$(hostname -I 2>/dev/null | cut -d' ' -f1); \
	public="$${HAILONG_PUBLIC_URL:-http://$${host:-127.0.0.1}:$(PORT)}"; \
	$(BIN)/hailong seed urls --base "$$public" && \
	echo "HAILONG_PUBLIC_URL=$$public" && \
	HAILONG_PUBLIC_URL="$$public" exec $(BIN)/gunicorn -c python:survey.gunicorn_conf --workers $(WORKERS) \
		--bind $(HOST):$(PORT) --access-logfile - wsgi:app

# Debian packages some tests need: Chromium (real-browser tests), R's survey (the pack's R syntax recomputes
# a publication), GNU PSPP (the pack's SPSS syntax). Installed when root; without them those tests skip.
testdeps: ## install Chromium, r-cran-survey and pspp for the tests that use them (needs root; else they skip)
	@missing=""; [ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	Rscript -e 'library(survey)' >/dev/null 2>&1 || missing="$$missing r-cran-survey"; \
	command -v pspp >/dev/null || missing="$$missing pspp"; \
	if [ -z "$$missing" ]; then echo "test packages present: chromium, r-cran-survey, pspp"; \
	elif [ "$$(id -u)" = "0" ]; then (apt-get install -y -q $$missing || (apt-get update -q && apt-get install -y -q $$missing)) >/dev/null && echo "installed:$$missing"; \
	else echo "missing and not root:$$missing (the tests that need them will be skipped)"; fi

chromium: testdeps

lint: $(STAMP) ## ruff (pyproject.toml [tool.ruff]) and the layering contracts (import-linter)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: install lint testdeps ## lint, layering check, then the whole suite (SQLite, and PostgreSQL when TEST_DATABASE_URL is set)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install ## run the benchmarks (prints figures)
	$(BIN)/python bench/analysis.py
	$(BIN)/python bench/intake.py
	$(BIN)/python bench/load_submit.py
	$(BIN)/python bench/report.py

clean:
	rm -rf $(VENV) instance/*.sqlite*
