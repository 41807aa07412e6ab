# `make run` and `make test` work on a fresh clone with Python 3.11 and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app directory
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run dev test lint format install setup clean translations compile-translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependencies change; a second `make run` reuses the venv.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

# The interface's languages: English is the source; each translations/<lang>/LC_MESSAGES has a
# messages.po (committed) and its compiled messages.mo (built here, never committed).
PYBABEL := $(BIN)/pybabel
CATALOGUES := $(wildcard translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGUES:.po=.mo)

%.mo: %.po | $(VENV)/.installed
	$(PYBABEL) compile --use-fuzzy -d translations -l $(word 2,$(subst /, ,$<)) -i $< -o $@

compile-translations: $(COMPILED)

# Extract every message to translations/messages.pot and merge it into each catalogue
# (new messages arrive untranslated: tests/test_i18n.py names them), then compile.
translations: $(VENV)/.installed
	$(PYBABEL) extract --no-location --sort-output -F babel.cfg -k lazy_gettext -k _l \
		-o translations/messages.pot directory templates
	$(PYBABEL) update --no-fuzzy-matching --ignore-obsolete -i translations/messages.pot -d translations
	$(MAKE) compile-translations

# Migrate, sync the vocabulary, load demo data when the database has no practitioners, and
# bring the search index up to date (built from the database the first time).
setup: install compile-translations
	$(FLASK) db upgrade
	$(FLASK) vocabulary sync
	$(FLASK) demo load --if-empty
	$(FLASK) search drain

# Plain HTTP on loopback: cookies cannot be Secure here (production keeps them Secure).
# Links in mail point at the address it serves on.
LOCAL := FLASK_SESSION_COOKIE_SECURE=false FLASK_REMEMBER_COOKIE_SECURE=false \
	FLASK_PUBLIC_URL=http://$(HOST):$(PORT)

# gunicorn (gunicorn.conf.py), with the search indexer beside it; Ctrl-C stops both.
run: setup
	$(LOCAL) DIRECTORY_BIND=$(HOST):$(PORT) $(BIN)/gunicorn --config gunicorn.conf.py \
		"directory:create_app()"

# Flask's reloading development server (no indexer: searches catch up by themselves).
dev: setup
	$(LOCAL) $(FLASK) run --debug --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test compile-translations
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
