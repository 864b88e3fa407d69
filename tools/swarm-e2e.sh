#!/usr/bin/env bash
# `make swarm-e2e`: deploy deploy/swarm/stack.yml to a swarm, run the cross-container suite
# (tests/e2e/compose) through its gateway, then the scenarios under load (tests/e2e/swarm),
# print each scenario's request and failure counts, and remove everything it made.
#
# It joins the swarm this engine is in, or makes one (and leaves only a swarm it made). The
# secrets, the stack (its services, networks and configs) and its volumes are removed
# afterwards; the script then checks that no service, network, secret, config or volume
# is left that was not there before, and fails if one is.
set -euo pipefail
cd "$(dirname "$0")/.."

STACK=${LANYARD_STACK:-lanyard_e2e}
export LANYARD_STACK=$STACK
export GATEWAY_PORT=${SWARM_GATEWAY_PORT:-8080}
PROMETHEUS_PORT=${SWARM_PROMETHEUS_PORT:-9090}
export PUBLIC_URL=http://127.0.0.1:$GATEWAY_PORT
export CORS_ORIGINS=$PUBLIC_URL
# Rotation in seconds (as tools/e2e.sh); premium quotas out of the load's way.
export JWKS_MAX_AGE=${JWKS_MAX_AGE:-5} KEY_PUBLICATION_MARGIN=${KEY_PUBLICATION_MARGIN:-5}
export JWKS_MIN_TTL=${JWKS_MIN_TTL:-1} QUOTA_PREMIUM=${QUOTA_PREMIUM:-10000000}
# The confidential client the OAuth tests authenticate as (as tools/e2e.sh).
export OAUTH_CLIENTS=${OAUTH_CLIENTS:-e2e-gateway:e2e-gateway-secret-0123456789}
# Every test user is registered from this one address.
export REGISTER_PER_ADDRESS=${REGISTER_PER_ADDRESS:-100000}
# The suites log in and register from one address, far faster than a person: the gateway's
# per-address limit on those routes is raised for them (its own test sets it low).
export GATEWAY_AUTH_RATE=${GATEWAY_AUTH_RATE:-1000}
PYTHON=${PYTHON:-.venv/bin/python}
GATEWAY=http://127.0.0.1:$GATEWAY_PORT
REPORT=$(mktemp)
SECRETS=("${STACK}_kek" "${STACK}_postgres_password" "${STACK}_redis_password" "${STACK}_image_url_secret")
made_swarm=no
made_secrets=()

inventory() {
    # What a swarm and this stack can make, one per line, to compare before and after: the
    # swarm's state and its objects, overlay networks and docker_gwbridge, the stack's
    # volumes. (Other projects' bridge networks and volumes come and go on their own.)
    docker info --format 'swarm {{.Swarm.LocalNodeState}}'
    docker network ls -q --no-trunc --filter driver=overlay | sed 's/^/network /'
    docker network ls -q --no-trunc --filter name='^docker_gwbridge$' | sed 's/^/network /'
    docker volume ls -q --filter name="^${STACK}_" | sed 's/^/volume /'
    if [ "$(docker info --format '{{.Swarm.LocalNodeState}}')" = active ]; then
        docker service ls -q | sed 's/^/service /'
        docker secret ls -q | sed 's/^/secret /'
        docker config ls -q | sed 's/^/config /'
    fi
}

wait_for() {  # wait_for SECONDS WHAT COMMAND...: poll COMMAND until it succeeds
    local deadline=$((SECONDS + $1)) what=$2
    shift 2
    until "$@" >/dev/null 2>&1; do
        if [ "$SECONDS" -ge "$deadline" ]; then echo "timed out waiting for $what"; return 1; fi
        sleep 1
    done
}

stack_containers() {
    docker ps -aq --filter "label=com.docker.stack.namespace=$STACK"
}

no_stack_left() {
    [ -z "$(stack_containers)" ] \
        && [ -z "$(docker network ls -q --filter "label=com.docker.stack.namespace=$STACK")" ]
}

teardown() {
    status=$?
    trap - EXIT
    if [ "$status" -ne 0 ] && [ "$(docker info --format '{{.Swarm.LocalNodeState}}')" = active ]; then
        echo "== the stack, after a failure =="
        docker stack ps --no-trunc "$STACK" 2>/dev/null | head -40 || true
        for service in $(docker stack services -q "$STACK" 2>/dev/null); do
            echo "== logs of $(docker service inspect -f '{{.Spec.Name}}' "$service") =="
            docker service logs --tail 40 "$service" 2>&1 | tail -40 || true
        done
    fi
    echo "== removing the stack and everything it made =="
    docker stack rm "$STACK" >/dev/null 2>&1 || true
    wait_for 180 "the stack's containers and networks to go" no_stack_left || status=1
    docker volume rm "${STACK}_postgres" "${STACK}_redis" "${STACK}_prometheus" >/dev/null 2>&1 || true
    for secret in "${made_secrets[@]}"; do docker secret rm "$secret" >/dev/null || status=1; done
    if [ "$made_swarm" = yes ]; then
        docker swarm leave --force >/dev/null || status=1
        # Made for the swarm and kept by `swarm leave`: ours to remove if it was not there.
        if [ "$had_gwbridge" = no ]; then docker network rm docker_gwbridge >/dev/null 2>&1 || true; fi
    fi
    if ! diff <(sort "$BEFORE") <(inventory | sort) >"$REPORT.left"; then
        echo "left behind (or gone) since the start:"; cat "$REPORT.left"; status=1
    else
        echo "the engine is as it was: no stack, service, network, secret, config, volume or swarm left"
        echo "(compared before and after: the swarm state, overlay networks, docker_gwbridge, the stack's volumes, and any services, secrets and configs)"
    fi
    if [ -s "$REPORT" ]; then echo "== scenarios under load =="; cat "$REPORT"; fi
    rm -f "$REPORT" "$REPORT.left" "$BEFORE"
    exit "$status"
}

BEFORE=$(mktemp)
inventory >"$BEFORE"
had_gwbridge=no
if docker network inspect docker_gwbridge >/dev/null 2>&1; then had_gwbridge=yes; fi
trap teardown EXIT
trap 'exit 130' INT TERM

case "$(docker info --format '{{.Swarm.LocalNodeState}}')" in
    inactive)
        echo "== docker swarm init (left again at the end) =="
        docker swarm init --advertise-addr 127.0.0.1 >/dev/null
        made_swarm=yes ;;
    active)
        echo "== using the swarm this engine is in (it stays) =="
        if docker stack ls --format '{{.Name}}' | grep -qx "$STACK"; then
            echo "a stack named $STACK is already deployed: not ours to replace"; exit 1
        fi ;;
    *) echo "this engine's swarm state is $(docker info --format '{{.Swarm.LocalNodeState}}')"; exit 1 ;;
esac

echo "== secrets =="
for secret in "${SECRETS[@]}"; do
    if docker secret inspect "$secret" >/dev/null 2>&1; then
        echo "$secret exists: kept"; continue
    fi
    # 32 random bytes, base64url: the KEK as `keys ensure` writes it, the passwords, and
    # the image-URL signing secret.
    "$PYTHON" -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())' \
        | docker secret create "$secret" - >/dev/null
    made_secrets+=("$secret")
done

echo "== images =="
for target in auth vending gateway; do
    docker build -q --target "$target" -t "lanyard-$target:local" . >/dev/null
done

echo "== docker stack deploy -c deploy/swarm/stack.yml $STACK (gateway on :$GATEWAY_PORT) =="
# The images are this machine's own: no registry is asked for their digests.
docker stack deploy --detach=true --resolve-image never -c deploy/swarm/stack.yml "$STACK"

converged() {
    local want
    for line in $(docker stack services "$STACK" --format '{{.Name}}={{.Replicas}}'); do
        want=${line#*=}
        [ "${want%%/*}" = "${want##*/}" ] || return 1
    done
}
gateway_ready() {
    curl -fsS "$GATEWAY/auth/readyz" && curl -fsS "$GATEWAY/api/readyz"
}
echo "== waiting for every replica and the gateway =="
wait_for 300 "the stack to converge" converged
wait_for 120 "the gateway" gateway_ready
docker stack services "$STACK" --format '{{.Name}} {{.Replicas}} {{.Image}}'

# The stack keeps Prometheus unpublished (it has no authentication); the suite reads it, so
# this run publishes it on the node for its own duration (the stack is removed at the end).
echo "== Prometheus published on :$PROMETHEUS_PORT for the suite =="
docker service update -q --detach=false \
    --publish-add "mode=host,target=9090,published=$PROMETHEUS_PORT" "${STACK}_prometheus" >/dev/null
prometheus_ready() { curl -fsS "http://127.0.0.1:$PROMETHEUS_PORT/-/ready"; }
wait_for 120 "Prometheus" prometheus_ready
export LANYARD_PROMETHEUS=http://127.0.0.1:$PROMETHEUS_PORT

echo "== the cross-container suite, through the Swarm gateway =="
export LANYARD_SWARM_STACK=$STACK LANYARD_GATEWAY=$GATEWAY LANYARD_SWARM_REPORT=$REPORT
"$PYTHON" -m pytest -rP tests/e2e/compose "$@"
echo "== changes under load =="
"$PYTHON" -m pytest -s tests/e2e/swarm "$@"
