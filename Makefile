# One command each: `make run` (set up and serve), `make test` (set up and test),
# `make serve` (set up and serve for production under gunicorn; see docs/deployment.md),
# `make proxy` (nginx in front of it on this machine; docs/deployment.md).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PROXY_PORT ?= 8080

.PHONY: install run serve proxy token test check check-deploy clean bench

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[openapi,redis]" --group demo --group test
	touch $@

# With no AUTH0_DOMAIN (no .env needed), DEBUG on means the built-in local issuer: print curl
# lines with fresh tokens, then serve.
run: install
	@DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(PY) manage.py curl_examples --url http://$(HOST):$(PORT)
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(PY) manage.py runserver $(HOST):$(PORT)

# Production: collect the browsable API's static files, then gunicorn (config/gunicorn.conf.py
# reads PORT, WEB_CONCURRENCY...). exec: gunicorn gets the signals (TERM, HUP) directly.
serve: install
	$(PY) manage.py collectstatic --noinput --verbosity 0
	exec $(VENV)/bin/gunicorn -c config/gunicorn.conf.py config.wsgi

# The production topology on one machine, unprivileged: nginx with deploy/nginx/gunicorn_proxy.conf
# on HOST:PROXY_PORT in front of `make serve` on 127.0.0.1:PORT (run that one with
# GUNICORN_HOST=127.0.0.1 DJANGO_BEHIND_PROXY=true). Files under .local/nginx/.
proxy:
	exec $(PYTHON) -m deploy.local_proxy --listen $(HOST):$(PROXY_PORT) --upstream 127.0.0.1:$(PORT)

# A local-issuer token: make token ARGS='--scope read:messages --claim org_id=org_123'
token: install
	@DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(PY) manage.py mint_token $(ARGS)

# The app's suite under its own settings (tests/app), then the demo's under config.settings
# (tests/demo); both run, and the target fails if either does.
test: install
	status=0; $(PY) -m pytest tests/app || status=1; \
	$(PY) -m pytest --ds=config.settings tests/demo || status=1; exit $$status

check: install
	$(PY) manage.py check

check-deploy: install
	$(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) staticfiles

# Benchmark (docs/performance.md): in process, then ours, its peers, Express and DPoP under wrk
# on 127.0.0.1; about 6 minutes. BENCH_ARGS="--quick" (about 3), "--smoke" (every part once,
# no figures), "--no-peers", "--no-express" to shorten it.
bench: install
	$(PY) -m bench.run $(BENCH_ARGS)
