# Lanyard: `make run` runs both services; `make test` passes the tests. See README.md.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PYTEST := $(BIN)/python -m pytest

.PHONY: run test test-unit test-integration test-e2e-local test-services e2e lint check lock clean

$(VENV)/.runtime: requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	touch $@

$(VENV)/.dev: requirements-dev.lock $(VENV)/.runtime
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements-dev.lock
	touch $@

## run: create the environment, a key if none, and start auth (8001) and vending (8002)
run: $(VENV)/.runtime
	$(BIN)/python -m tools.run_local

## test: unit, integration, the store contracts (in memory and SQLite) and local end-to-end
## tests (real uvicorn processes); Python only
test: $(VENV)/.dev
	$(PYTEST) -m "not services" tests/unit tests/integration tests/backends tests/e2e/local

## test-services: the store contracts and scale-out against real PostgreSQL and Redis servers
## (needs the Debian packages postgresql and redis-server)
test-services: $(VENV)/.dev
	$(PYTEST) -m services tests/backends

## test-browser: the frontend in headless Chromium against the services as real processes
## (needs Debian's chromium at /usr/bin/chromium; failure screenshots go to test-artifacts/)
.PHONY: test-browser
test-browser: $(VENV)/.dev
	$(PYTEST) -m browser tests/browser

## test-fuzz: schemathesis against both services as real processes, from the OpenAPI documents
## they serve: over 10,000 generated requests, fixed seed (FUZZ_SEED=<n> to change it)
.PHONY: test-fuzz
test-fuzz: $(VENV)/.dev
	$(PYTEST) -m fuzz tests/fuzz

## bench: the vending machine's throughput, CPU per request and latency against a bare
## Starlette route, its own stack without auth and a naive reference, a py-spy profile by
## layer, start-up and memory, all in one run (needs wrk and redis-server; about 14 minutes);
## prints a table, writes bench/results/<time>.json, .png and .profile.txt (docs/benchmarks.md)
.PHONY: bench bench-smoke
bench: $(VENV)/.dev
	$(BIN)/python -m bench

## bench-ab: this checkout's vending service against the one committed at BASE, in the
## same run (rounds alternate; prints the ratios of medians and the per-pair spread)
.PHONY: bench-ab
bench-ab: $(VENV)/.runtime
	$(BIN)/python -m bench.ab $(BASE)

## bench-smoke: the same in about a minute, to prove it still runs (its figures mean nothing)
bench-smoke: $(VENV)/.dev
	$(BIN)/python -m bench --smoke

test-unit: $(VENV)/.dev
	$(PYTEST) tests/unit

test-integration: $(VENV)/.dev
	$(PYTEST) tests/integration

test-e2e-local: $(VENV)/.dev
	$(PYTEST) tests/e2e/local

## e2e: the compose stack scaled to auth=2 vending=3, tested across containers, torn down
## (needs Docker with Compose; uses `docker compose`, or `docker-compose` where that is missing)
e2e: $(VENV)/.dev
	tools/e2e.sh

## test-rules: the Prometheus configuration and alert rules checked, and the alerts' unit tests
## (deploy/prometheus/alerts.test.yml) run, with promtool: the one on PATH, else the one in the
## prom/prometheus image (needs Docker)
PROMETHEUS_IMAGE ?= prom/prometheus:v2.53.3
PROMTOOL ?= $(shell command -v promtool 2>/dev/null || echo "docker run --rm -v $(CURDIR)/deploy/prometheus:/rules:ro -w /rules --entrypoint /bin/promtool $(PROMETHEUS_IMAGE)")
.PHONY: test-rules
test-rules:
	cd deploy/prometheus && $(PROMTOOL) check config prometheus.yml
	cd deploy/prometheus && $(PROMTOOL) test rules alerts.test.yml

## swarm-e2e: the Swarm stack (deploy/swarm/stack.yml): joins this engine's swarm or makes
## one, deploys, runs the cross-container suite through the gateway, then a rolling update,
## a killed container, scaling and a key rotation under load (each scenario's requests and
## failures printed), and removes everything it made. SWARM_GATEWAY_PORT (default 8080).
.PHONY: swarm-e2e
swarm-e2e: $(VENV)/.dev
	tools/swarm-e2e.sh

## test-deploy: the Kubernetes dev overlay rendered with kustomize (kubectl kustomize) and
## validated with kubernetes-validate --strict against Kubernetes $(K8S_VERSION), then the
## policy tests on the rendered objects and the Swarm stack file (tests/deploy)
K8S_VERSION := 1.32.0
.PHONY: test-deploy
test-deploy: $(VENV)/.dev
	@mkdir -p build
	kubectl kustomize deploy/k8s/overlays/dev > build/k8s-dev.yaml
	$(BIN)/kubernetes-validate --strict --quiet -k $(K8S_VERSION) build/k8s-dev.yaml
	@echo "$$(grep -c '^kind:' build/k8s-dev.yaml) objects valid (strict) for Kubernetes $(K8S_VERSION)"
	$(PYTEST) tests/deploy

## upgrade-e2e: a compose stack on PostgreSQL 15 and Redis 7, written to, moved to
## PostgreSQL 17 and Redis 8 as docs/deploy.md says, checked for anything lost, torn down
## (UPGRADE_GATEWAY_PORT, default 8080)
.PHONY: upgrade-e2e
upgrade-e2e: $(VENV)/.dev
	tools/upgrade-e2e.sh

## test-container: the unit and integration tests on the images' own Python (3.13), in a
## container built from the Dockerfile's test stage
.PHONY: test-container
test-container:
	docker build -q --target test -t lanyard-test:local . >/dev/null
	docker run --rm lanyard-test:local python --version
	docker run --rm lanyard-test:local

## lint: ruff and mypy --strict
lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

check: lint test

## lock: re-pin dependencies with hashes (needs uv; the lock records no download addresses)
lock:
	uv pip compile pyproject.toml --generate-hashes --python-version 3.11 --no-header -o requirements.lock
	uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 --no-header -o requirements-dev.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
