# Lanyard's images, from one file: build from the repository root with a target.
#   docker build --target auth    -t lanyard-auth .      (the booth)
#   docker build --target vending -t lanyard-vending .   (the machine)
#   docker build --target gateway -t lanyard-gateway .   (nginx with the frontend, for Swarm
#                                                         and Kubernetes; its config is mounted)
#   docker build --target test    -t lanyard-test .      (unit + integration tests on the
#                                                         images' own Python; never shipped)
# Each service image holds shared/ and its own service only (never tests/, tools/, keys or
# data), runs as uid 10001, and installs its dependencies from the lock, with hashes, in a
# layer of their own.

FROM python:3.13-slim-trixie AS deps
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
COPY requirements.lock /tmp/requirements.lock
RUN /opt/venv/bin/pip install --require-hashes --no-deps -r /tmp/requirements.lock

FROM python:3.13-slim-trixie AS base
LABEL org.opencontainers.image.base.name="python:3.13-slim-trixie"
RUN groupadd --system --gid 10001 lanyard \
 && useradd --system --uid 10001 --gid lanyard --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin lanyard \
 && mkdir -p /data && chown lanyard:lanyard /data && chmod 0700 /data
COPY --from=deps /opt/venv /opt/venv
WORKDIR /app
COPY shared/ shared/
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 DATA_DIR=/data
USER lanyard

# The booth. Its key-encryption key is never baked in: it is mounted (read-only) at /keys,
# or given as a secret (KEY_ENCRYPTION_KEY_FILE).
FROM base AS auth
COPY auth_service/ auth_service/
ENV KEYS_DIR=/keys SERVICE_PORT=8001
# 8001 the service; 9001 the management port (/metrics, METRICS_PORT), for the scraper only.
EXPOSE 8001 9001
HEALTHCHECK --interval=5s --timeout=10s --start-period=60s --retries=5 \
  CMD ["python", "-m", "shared.web.healthcheck"]
CMD ["python", "-m", "auth_service", "serve", "--host", "0.0.0.0", "--port", "8001"]

# The machine: no private key and no auth code.
FROM base AS vending
COPY vending_service/ vending_service/
ENV SERVICE_PORT=8002
EXPOSE 8002 9002
HEALTHCHECK --interval=5s --timeout=10s --start-period=60s --retries=5 \
  CMD ["python", "-m", "shared.web.healthcheck"]
CMD ["python", "-m", "vending_service", "serve", "--host", "0.0.0.0", "--port", "8002"]

# The gateway: nginx with the browser app in it. Its config (deploy/nginx.conf) is mounted
# (a Swarm config, a Kubernetes ConfigMap); compose mounts frontend/ instead.
FROM nginx:1.26 AS gateway
COPY frontend/ /usr/share/nginx/html/
# Fills ${GATEWAY_AUTH_RATE} into the mounted config template, then runs nginx.
COPY deploy/gateway-entrypoint.sh /lanyard/gateway-entrypoint.sh
ENTRYPOINT ["sh", "/lanyard/gateway-entrypoint.sh"]
CMD ["nginx", "-g", "daemon off;"]

# The unit and integration tests on the Python the images run (`make test-container`):
# the same venv plus the development lock, and the sources the tests read.
FROM deps AS test-deps
COPY requirements-dev.lock /tmp/requirements-dev.lock
RUN /opt/venv/bin/pip install --require-hashes --no-deps -r /tmp/requirements-dev.lock

FROM base AS test
USER root
COPY --from=test-deps /opt/venv /opt/venv
RUN install -d -o lanyard -g lanyard /src
WORKDIR /src
COPY --chown=lanyard:lanyard . .
USER lanyard
ENV HOME=/tmp
CMD ["python", "-m", "pytest", "-p", "no:cacheprovider", "tests/unit", "tests/integration"]
