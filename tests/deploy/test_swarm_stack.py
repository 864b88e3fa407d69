"""The Swarm stack file: what docs/deploy.md promises of it, checked on the file itself
(make swarm-e2e deploys it for real)."""

from __future__ import annotations

import pytest

from tests.deploy.conftest import Object, with_defaults

SERVICES = ("auth", "vending")


def test_every_service_is_dnsrr_with_limits_a_restart_policy_and_an_update_policy(
    stack_file: Object,
) -> None:
    """DNS round robin (no IPVS needed), CPU and memory limits, restart on any exit, and an
    update policy that rolls back on failure; the gateway's port is the node's own."""
    for name, service in stack_file["services"].items():
        deploy = service["deploy"]
        assert deploy["endpoint_mode"] == "dnsrr", name
        assert set(deploy["resources"]["limits"]) == {"cpus", "memory"}, name
        assert deploy["restart_policy"]["condition"] == "any", name
        assert deploy["update_config"]["failure_action"] == "rollback", name
    (port,) = stack_file["services"]["gateway"]["ports"]
    assert port["mode"] == "host"
    assert port["published"] == "${GATEWAY_PORT:-8080}"


@pytest.mark.parametrize("name", SERVICES)
def test_the_services_update_start_first_drain_and_have_healthchecks(
    stack_file: Object, name: str
) -> None:
    """auth and vending: a new replica healthy before an old one stops, a drain delay the
    stop grace period covers, a healthcheck on /readyz."""
    service = stack_file["services"][name]
    assert service["deploy"]["update_config"]["order"] == "start-first"
    env = {k: with_defaults(v) for k, v in service["environment"].items()}
    drain, timeout = float(env["SHUTDOWN_DRAIN_DELAY"]), float(env["SHUTDOWN_TIMEOUT"])
    assert drain >= 6  # the gateway caches DNS answers for 5 s
    assert drain + timeout < float(service["stop_grace_period"].rstrip("s"))
    assert service["healthcheck"]["test"] == ["CMD", "python", "-m", "shared.web.healthcheck"]


def test_stores_restart_stop_first_on_their_volumes(stack_file: Object) -> None:
    """PostgreSQL and Redis: one server per volume, so an update stops the old first."""
    for name in ("postgres", "redis"):
        service = stack_file["services"][name]
        assert service["deploy"]["update_config"]["order"] == "stop-first"
        assert "healthcheck" in service
        assert any(volume.startswith(f"{name}:") for volume in service["volumes"])


def test_only_auth_gets_the_key_encryption_key_and_passwords_are_secrets(
    stack_file: Object,
) -> None:
    """The KEK secret goes to auth alone, read-only for its user, the image-URL secret to
    vending alone; store passwords reach the services as secret files, never as values in
    the environment."""
    holders = {
        name
        for name, service in stack_file["services"].items()
        for secret in service.get("secrets", [])
        if (secret if isinstance(secret, str) else secret["source"]) == "kek"
    }
    assert holders == {"auth"}
    kek = next(s for s in stack_file["services"]["auth"]["secrets"] if s["source"] == "kek")
    assert (kek["uid"], kek["mode"]) == ("10001", 0o400)
    assert all(secret["external"] for secret in stack_file["secrets"].values())
    signers = {
        name
        for name, service in stack_file["services"].items()
        for secret in service.get("secrets", [])
        if (secret if isinstance(secret, str) else secret["source"]) == "image_url_secret"
    }
    assert signers == {"vending"}
    signing = stack_file["services"]["vending"]["environment"]["IMAGE_URL_SECRET_FILE"]
    assert signing == "/run/secrets/image_url_secret"
    for name in SERVICES:
        env = stack_file["services"][name]["environment"]
        assert env["DATABASE_PASSWORD_FILE"] == "/run/secrets/postgres_password"
        assert env["REDIS_PASSWORD_FILE"] == "/run/secrets/redis_password"
        assert "PASSWORD" not in env["DATABASE_URL"].upper()


@pytest.mark.parametrize("name", SERVICES)
def test_settings_match_the_compose_file(
    stack_file: Object, compose_file: Object, name: str
) -> None:
    """Every variable compose sets for a service, the stack sets with the same default
    (the database URL loses its password to DATABASE_PASSWORD_FILE)."""
    compose = compose_file["services"][name]["environment"]
    stack = stack_file["services"][name]["environment"]
    for variable, value in compose.items():
        assert variable in stack, variable
        if variable != "DATABASE_URL":
            assert with_defaults(stack[variable]) == with_defaults(value), variable
    assert stack["DATABASE_URL"] == compose["DATABASE_URL"].replace(
        ":${POSTGRES_PASSWORD:-lanyard}@", "@"
    )


def test_images_are_the_compose_files(stack_file: Object, compose_file: Object) -> None:
    """PostgreSQL 17, Redis 8 as in compose; the services' images by the same names."""
    images = {name: with_defaults(s["image"]) for name, s in stack_file["services"].items()}
    compose = {name: with_defaults(s["image"]) for name, s in compose_file["services"].items()}
    for name in ("postgres", "redis", "auth", "vending"):
        assert images[name] == compose[name], name
    assert images["postgres"] == "postgres:17"
    assert images["redis"] == "redis:8"
    assert images["prometheus"] == "prom/prometheus:v2.53.3"
