# dangvien: `make demo` and `make test` are all a fresh machine needs (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_MEMBERS ?= 20000
DEMO_SEED ?= 2026
DEMO_PASSWORD ?= dangvien-demo-2026
# The demo's card keys (a file keyring under var/keys): a demo passphrase, never a real keyring's.
DEMO_KEY_PASSPHRASE ?= dangvien-demo-keys-2026
# The demo's population extract: the members' true data plus as many other citizens (2 rows a member).
DEMO_CITIZENS ?= $(shell echo $$((2 * $(DEMO_MEMBERS))))
DEMO_EXTRACT := var/demo-extract.parquet
HOST ?= 127.0.0.1
PORT ?= 8000
# PostgreSQL for the second test run; `make test` makes sure one answers there (scripts/test-services).
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/dangvien
PYTEST_WORKERS ?= 2

A11Y := tools/a11y
# The meetings' QR decoder (jsQR from npm), served as a static file of the meetings app, not in git.
QR := tools/qr
QR_DECODER := src/dangvien/meetings/static/meetings/vendor/jsQR.js
# The card verifier page's libraries (tools/qr/package.json too), served by the credentials app.
VERIFIER_VENDOR := src/dangvien/credentials/static/credentials/vendor
VERIFIER_LIBS := $(VERIFIER_VENDOR)/cbor-x.js $(VERIFIER_VENDOR)/x509.js $(VERIFIER_VENDOR)/reflect-metadata.js

.PHONY: demo serve test a11y-deps qr-deps test-sqlite test-postgres lint bench bench-reconcile lock messages system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Runtime only for the demo (fast); dev adds test tools and PyICU (compiled: needs libicu-dev).
$(VENV)/.main: requirements/main.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --disable-pip-version-check --require-hashes -r requirements/main.txt
	$(BIN)/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.dev: requirements/dev.txt $(VENV)/.main
	$(BIN)/pip install -q --disable-pip-version-check --require-hashes -r requirements/dev.txt
	touch $@

# Debian packages the build needs: gettext (msgfmt) for translations, ICU headers for PyICU, Pango
# (WeasyPrint lays out the campaign report's PDF with it) and a font with Vietnamese glyphs.
system-deps:
	@missing=""; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	command -v pkg-config >/dev/null || missing="$$missing pkg-config"; \
	dpkg -s libicu-dev >/dev/null 2>&1 || missing="$$missing libicu-dev"; \
	for pkg in libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core; do \
	  dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi

messages: $(VENV)/.main
	@command -v msgfmt >/dev/null || $(MAKE) -s system-deps
	cd src/dangvien && ../../$(BIN)/dangvien compilemessages -v0

demo: system-deps $(VENV)/.main messages qr-deps
	$(BIN)/dangvien migrate -v0
	$(BIN)/dangvien collectstatic --noinput -v0
	$(BIN)/dangvien demo-data --reset --members $(DEMO_MEMBERS) --seed $(DEMO_SEED) --password $(DEMO_PASSWORD)
	$(BIN)/dangvien demo-library --seed $(DEMO_SEED)
	@# A small extract, noise written into the fresh records, then one reconciliation of the province.
	@# --replace: the same file again keeps snapshot "demo"; another file replaces it (the reset above
	@# removed the runs that used it).
	$(BIN)/dangvien population generate --members-from GL -o $(DEMO_EXTRACT) --truth var/demo-truth.csv \
	  --apply-noise --citizens $(DEMO_CITIZENS) --noise-seed $(DEMO_SEED)
	$(BIN)/dangvien population import $(DEMO_EXTRACT) --snapshot demo --replace --no-progress
	$(BIN)/dangvien reconcile --unit GL --snapshot demo
	@echo "Reconciliation pages, http://$(HOST):$(PORT)/reconcile/ : tinh (province committee officer: the whole"
	@echo "review queue and every discrepancy), xa (commune committee officer), canbothe (card officer: links"
	@echo "and rejects, does not correct records). bithu and dangvien have no access."
	@# The card exchange campaign, ten weeks in: needs the reconciliation (blocked comparisons).
	$(BIN)/dangvien demo-campaign --seed $(DEMO_SEED)
	$(BIN)/dangvien demo-fieldwork --seed $(DEMO_SEED)
	@# Party cards for the members sent to production, with synthetic photos: needs the campaign. The
	@# keys sign the card faces' QR, the handbook's phone QR and the status lists (`keys init` again on
	@# the same keyring makes only what it lacks).
	DANGVIEN_KEY_PASSPHRASE=$(DEMO_KEY_PASSPHRASE) $(BIN)/dangvien keys init --authority GL
	$(BIN)/dangvien demo-cards --seed $(DEMO_SEED)
	@# Six months of cell and committee meetings, this month's and next month's schedule (docs/meetings-demo.md).
	$(BIN)/dangvien demo-meetings --seed $(DEMO_SEED)
	@# Handbook accounts and months of their use, by commune as the meetings (docs/meetings-demo.md).
	$(BIN)/dangvien demo-adoption --seed $(DEMO_SEED) --password $(DEMO_PASSWORD)
	@echo "Campaign pages, http://$(HOST):$(PORT)/campaigns/ : tinh (province committee officer: every commune"
	@echo "ranked, the lagging ones to urge, the provincial working group that answers difficulties), xa (commune"
	@echo "committee officer: Phường Pleiku's organizations and cells, leads its working group), canbothe (card"
	@echo "officer: records Phường Pleiku's steps, whose discrepancies are still open, and its home visits), bithu"
	@echo "(cell secretary: their cell's members, signatures and hand-overs). dangvien has no access."
	@echo "Party cards, http://$(HOST):$(PORT)/cards/ : canbothe (card officer: Phường Pleiku's cards, the members"
	@echo "waiting for one, re-issue and revoke), tinh and xa (see, suspend and revoke), bithu (the cell's cards);"
	@echo "dangvien sees their own card on their record."
	@echo "Member handbook, http://$(HOST):$(PORT)/handbook/ : dangvien (a party member: logging in lands there);"
	@echo "bithu (cell secretary) sees the cell's handbook accounts, issues codes, records evaluations and fees at"
	@echo "http://$(HOST):$(PORT)/handbook/cell/; a member without an account activates at /handbook/activate/ (above)."
	@echo "Cell meetings, http://$(HOST):$(PORT)/meetings/ : bithu (cell secretary: the cell's meetings of six months"
	@echo "and the next one registered, attendance by QR code and marks, minutes, two members near the rule of three"
	@echo "months absent without reason), dangvien (a member: the next meeting with its invitation, a document and"
	@echo "their opinions, the meetings held and their own attendance); xa and tinh see every meeting below them."
	@echo "Adoption report, http://$(HOST):$(PORT)/adoption/ : tinh (the province, near the 80% goal of cells holding"
	@echo "their meetings in the app; by commune from about 30% in mountain communes to 100%: look at last month),"
	@echo "xa (Phường Pleiku). See docs/meetings-demo.md. About half the members hold a handbook account (more"
	@echo "against the target: a third of the demo's members have no smartphone); any of them logs in with their"
	@echo "citizen ID and the password $(DEMO_PASSWORD)."
	@echo "Serving on http://$(HOST):$(PORT)/ with a background worker (Ctrl+C to stop)"
	export DANGVIEN_KEY_PASSPHRASE=$(DEMO_KEY_PASSPHRASE); \
	$(BIN)/dangvien db_worker --no-reload -v0 & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn dangvien.wsgi:application --bind $(HOST):$(PORT) --workers 3 --access-logfile - --error-logfile -

serve: $(VENV)/.main messages qr-deps
	$(BIN)/dangvien migrate -v0
	$(BIN)/dangvien collectstatic --noinput -v0
	$(BIN)/dangvien db_worker --no-reload -v0 & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn dangvien.wsgi:application --bind $(HOST):$(PORT) --workers 3

# Installs Chromium, PostgreSQL and SoftHSM2 when missing and makes sure a PostgreSQL server answers
# (scripts/test-services: the machine's own, started if stopped, else a throwaway one under var/).
test: system-deps $(VENV)/.dev messages a11y-deps qr-deps
	@url=$$(TEST_POSTGRES_URL='$(TEST_POSTGRES_URL)' scripts/test-services) && \
	$(MAKE) -s test-sqlite && $(MAKE) -s test-postgres TEST_POSTGRES_URL="$$url"

# axe-core for the accessibility browser tests, from the npm registry at its pinned exact version
# (tools/a11y/package.json); no lock file is written, as npm's would record download addresses.
a11y-deps: $(A11Y)/node_modules/axe-core/axe.min.js

$(A11Y)/node_modules/axe-core/axe.min.js: $(A11Y)/package.json
	cd $(A11Y) && npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error
	touch $@

# jsQR for the meeting check-in page, and the card verifier page's CBOR and X.509 libraries, from the
# npm registry at their pinned exact versions (tools/qr/package.json), copied where collectstatic finds
# them; the check-in page works without jsQR (the browser's BarcodeDetector, the camera app, the plain
# link), the verifier page without its libraries checks on the server only.
qr-deps: $(QR_DECODER) $(VERIFIER_LIBS)

$(QR)/node_modules/.installed: $(QR)/package.json
	cd $(QR) && npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error
	touch $@

$(QR_DECODER): $(QR)/node_modules/.installed
	mkdir -p $(dir $@)
	cp $(QR)/node_modules/jsqr/dist/jsQR.js $@

$(VERIFIER_LIBS): $(QR)/node_modules/.installed
	mkdir -p $(VERIFIER_VENDOR)
	cp $(QR)/node_modules/cbor-x/dist/index-no-eval.min.js $(VERIFIER_VENDOR)/cbor-x.js
	@# with the source map it names (collectstatic's manifest follows the reference)
	cp $(QR)/node_modules/cbor-x/dist/index-no-eval.min.js.map $(VERIFIER_VENDOR)/
	cp $(QR)/node_modules/@peculiar/x509/build/x509.js $(VERIFIER_VENDOR)/x509.js
	cp $(QR)/node_modules/reflect-metadata/Reflect.js $(VERIFIER_VENDOR)/reflect-metadata.js

test-sqlite:
	@echo "== test suite on SQLite =="
	env -u DATABASE_URL $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup -q tests

test-postgres:
	@echo "== test suite on PostgreSQL ($(TEST_POSTGRES_URL)) =="
	DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup -q tests

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy src/dangvien

bench: $(VENV)/.dev messages
	$(BIN)/python bench/run.py

# Reconciliation of the demo province against its generated 2.6 M-row extract: quality and time.
bench-reconcile: $(VENV)/.dev messages
	$(BIN)/python bench/reconcile_bench.py

# uv pins the locks (hashes, no download addresses); it is installed into the virtualenv for this only.
lock: | $(BIN)/python
	@$(BIN)/python -m uv --version >/dev/null 2>&1 || $(BIN)/pip install -q --disable-pip-version-check uv
	$(BIN)/python -m uv pip compile -q requirements/main.in --generate-hashes --python-version 3.11 -o requirements/main.txt
	$(BIN)/python -m uv pip compile -q requirements/dev.in --generate-hashes --python-version 3.11 -o requirements/dev.txt

clean:
	rm -rf $(VENV) var
