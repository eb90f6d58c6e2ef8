# The two commands a newcomer needs:  make run   and   make test
# Both set up everything they need first (Python packages, front-end assets).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test setup assets browser lint migrate seed worker beat web bench clean-db

run: setup ## Set up, migrate, seed the demo tenants and serve on http://127.0.0.1:$(PORT)
	DEBUG=$${DEBUG:-true} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-true} $(PY) manage.py seed_demo --if-empty --score
	DEBUG=$${DEBUG:-true} $(PY) manage.py runserver 0.0.0.0:$(PORT)

test: setup browser ## Set up and run the whole test suite (unit, isolation, worker, browser)
	@if [ -n "$$DATABASE_ADMIN_URL" ]; then DJANGO_SETTINGS_MODULE=crm.settings.test $(PY) manage.py bootstrap_db; fi
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy crm customers interactions analytics followups notifications mail sms inbox campaigns imports service_desk support sla feedback segments audit privacy workspace security integrations shipments operator_console
	$(PY) -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

setup: $(VENV)/.installed node_modules/.installed assets

$(VENV)/.installed: requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	touch $@

node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: node_modules/.installed ## Copy front-end packages into static/vendor (git-ignored)
	mkdir -p static/vendor/bootstrap static/vendor/bootstrap-icons static/vendor/htmx static/vendor/echarts
	cp node_modules/bootstrap/dist/css/bootstrap.min.css* node_modules/bootstrap/dist/js/bootstrap.bundle.min.js* static/vendor/bootstrap/
	cp -r node_modules/bootstrap-icons/font/bootstrap-icons.min.css node_modules/bootstrap-icons/font/fonts static/vendor/bootstrap-icons/
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx/
	cp node_modules/echarts/dist/echarts.min.js static/vendor/echarts/

browser: ## Debian's Chromium for the browser tests (never `playwright install`), gettext for the translation tests
	@test -x /usr/bin/chromium || { apt-get update -qq && apt-get install -y -qq chromium chromium-driver; }
	@command -v msgattrib >/dev/null || { apt-get update -qq && apt-get install -y -qq gettext; }  # translation tests

lint: setup ## ruff and mypy (also part of make test)
	$(PY) -m ruff check . && $(PY) -m ruff format --check . && $(PY) -m mypy crm customers interactions analytics followups notifications mail sms inbox campaigns imports service_desk support sla feedback segments audit privacy workspace security integrations shipments operator_console

migrate: setup
	$(PY) manage.py migrate --noinput

seed: setup
	$(PY) manage.py seed_demo

web: setup ## Full stack: gunicorn (needs DATABASE_URL, DATABASE_OWNER_URL, REDIS_URL, SECRET_KEY)
	$(PY) manage.py collectstatic --noinput
	$(VENV)/bin/gunicorn crm.wsgi --bind 0.0.0.0:$(PORT) --workers 2

worker: setup
	$(VENV)/bin/celery -A crm worker --loglevel INFO --queues default

beat: setup
	$(VENV)/bin/celery -A crm beat --loglevel INFO

bench: setup ## Benchmarks (not in CI); results go to docs/benchmarks.md
	$(PY) bench/seed_demo.py
	$(PY) bench/pages.py
	$(PY) bench/duplicates.py
	$(PY) bench/analytics_core.py --contacts 1000000
	$(PY) bench/analytics_run.py

clean-db: ## Stop and delete the embedded PostgreSQL data folder
	rm -rf .pgdata
