# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test lint translations translations-update clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d translations --statistics 2>&1 | grep -v '^compiling' || true

translations-update: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--project inclusion_app -o translations/messages.pot inclusion_app
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --width 100
	$(MAKE) translations

run: $(VENV)/.installed translations
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	@echo "Serving on http://127.0.0.1:$(PORT)  (Ctrl-C to stop)"
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

test: $(VENV)/.dev-installed translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check inclusion_app tests bench config.py wsgi.py
	$(BIN)/mypy

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
