# One command each: `make run` (set up and serve), `make test` (set up and test).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test check clean bench

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

run: install
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(PY) manage.py runserver $(HOST):$(PORT)

test: install
	$(PY) -m pytest

check: install
	$(PY) manage.py check

clean:
	rm -rf $(VENV) staticfiles

# Benchmark: verification against the floor in process, then gunicorn (and Express) under wrk
# on 127.0.0.1; about 3 minutes. BENCH_ARGS="--quick" or "--no-express" to shorten it.
bench: install
	$(PY) -m bench.run $(BENCH_ARGS)
