#!/usr/bin/env bash
# `make e2e`: build the images, start the stack scaled to auth=2 vending=3 with the
# observability profile (Prometheus on 127.0.0.1:$PROMETHEUS_PORT), wait for health, run
# tests/e2e/compose against http://127.0.0.1:$GATEWAY_PORT, and always tear the stack down,
# printing the logs of failed services when something went wrong.
set -euo pipefail
cd "$(dirname "$0")/.."

if docker compose version >/dev/null 2>&1; then COMPOSE=(docker compose); else COMPOSE=(docker-compose); fi
export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-lanyard_e2e}
export LANYARD_COMPOSE="${COMPOSE[*]}"
# Keys published 5 s, signing 10 s after a rotation, vending following the JWKS max-age:
# the rotation tests run in seconds rather than the production defaults' minutes.
export JWKS_MAX_AGE=${JWKS_MAX_AGE:-5} KEY_PUBLICATION_MARGIN=${KEY_PUBLICATION_MARGIN:-5}
export JWKS_MIN_TTL=${JWKS_MIN_TTL:-1}
# A confidential client for the OAuth tests (introspection needs one).
export OAUTH_CLIENTS=${OAUTH_CLIENTS:-e2e-gateway:e2e-gateway-secret-0123456789}
# Every test user is registered from this one address.
export REGISTER_PER_ADDRESS=${REGISTER_PER_ADDRESS:-100000}
# The suites log in and register from one address, far faster than a person: the gateway's
# per-address limit on those routes is raised for them (its own test sets it low).
export GATEWAY_AUTH_RATE=${GATEWAY_AUTH_RATE:-1000}
PYTHON=${PYTHON:-.venv/bin/python}
GATEWAY=http://127.0.0.1:${GATEWAY_PORT:-8080}
export LANYARD_GATEWAY=$GATEWAY
export COMPOSE_PROFILES=observability
# The addresses the stack writes into tokens and image URLs follow the gateway's port.
export PUBLIC_URL=${PUBLIC_URL:-$GATEWAY} CORS_ORIGINS=${CORS_ORIGINS:-$GATEWAY}
export LANYARD_PROMETHEUS=http://127.0.0.1:${PROMETHEUS_PORT:-9090}

teardown() {
    status=$?
    if [ "$status" -ne 0 ]; then
        echo "== the stack, after a failure =="
        "${COMPOSE[@]}" ps || true
        for id in $("${COMPOSE[@]}" ps -q); do
            state=$(docker inspect -f '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$id")
            case "$state" in
                "running healthy"|"running "|"exited ") ;;
                *) name=$(docker inspect -f '{{.Name}}' "$id")
                   echo "== logs of $name ($state) =="
                   docker logs --tail 80 "$id" 2>&1 || true ;;
            esac
        done
    fi
    "${COMPOSE[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
    exit "$status"
}
trap teardown EXIT

"${COMPOSE[@]}" build
"${COMPOSE[@]}" up -d --scale auth=2 --scale vending=3

echo "== waiting for the gateway =="
deadline=$((SECONDS + 240))
until curl -fsS "$GATEWAY/auth/readyz" >/dev/null 2>&1 && curl -fsS "$GATEWAY/api/readyz" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then echo "the stack did not become ready"; exit 1; fi
    sleep 1
done

"$PYTHON" -m pytest -rP tests/e2e/compose tests/e2e/gateway "$@"  # -rP: the measured figures
