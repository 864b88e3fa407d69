#!/usr/bin/env bash
# `make upgrade-e2e`: the upgrade from PostgreSQL 15 / Redis 7 to PostgreSQL 17 / Redis 8,
# done as docs/deploy.md says, on a compose stack of its own (tests/e2e/upgrade), which is
# always torn down afterwards with its volumes.
set -euo pipefail
cd "$(dirname "$0")/.."

if docker compose version >/dev/null 2>&1; then COMPOSE=(docker compose); else COMPOSE=(docker-compose); fi
export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-lanyard_upgrade}
export LANYARD_COMPOSE="${COMPOSE[*]}"
export GATEWAY_PORT=${UPGRADE_GATEWAY_PORT:-${GATEWAY_PORT:-8080}}
export PUBLIC_URL=http://127.0.0.1:$GATEWAY_PORT
export CORS_ORIGINS=$PUBLIC_URL
export LANYARD_GATEWAY=$PUBLIC_URL
# Every test user is registered from this one address.
export REGISTER_PER_ADDRESS=${REGISTER_PER_ADDRESS:-100000}
# The suites log in and register from one address, far faster than a person: the gateway's
# per-address limit on those routes is raised for them (its own test sets it low).
export GATEWAY_AUTH_RATE=${GATEWAY_AUTH_RATE:-1000}
PYTHON=${PYTHON:-.venv/bin/python}

teardown() {
    status=$?
    if [ "$status" -ne 0 ]; then
        "${COMPOSE[@]}" ps || true
        "${COMPOSE[@]}" logs --tail 40 2>&1 | tail -120 || true
    fi
    "${COMPOSE[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
    exit "$status"
}
trap teardown EXIT
trap 'exit 130' INT TERM

"${COMPOSE[@]}" build >/dev/null
"$PYTHON" -m pytest -s tests/e2e/upgrade "$@"
