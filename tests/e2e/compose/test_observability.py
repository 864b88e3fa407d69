"""The observability profile against the running stack: Prometheus finds and scrapes every
replica, the counters move when tokens are forged and passwords are wrong, every PromQL
expression of the dashboard and the alert rules runs on the live data, and the logs of
every container hold request ids and no secret."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.e2e.compose.conftest import (
    GATEWAY,
    PASSWORD,
    PROMETHEUS,
    STACK,
    bearer,
    new_user,
    wait_until,
)
from tests.e2e.orchestrators import ROOT

DEPLOY = ROOT / "deploy"
SCRAPED = 'up{job=~"lanyard-auth|lanyard-vending"}'
DEADLINE = 120.0


def query(expr: str) -> dict[str, Any]:
    """The answer of Prometheus's instant query API for `expr` (status and data)."""
    response = httpx.get(f"{PROMETHEUS}/api/v1/query", params={"query": expr}, timeout=10)
    answer: dict[str, Any] = response.json()
    return answer


def value(expr: str) -> float:
    """The value of a one-series (or empty: 0) instant query."""
    answer = query(expr)
    assert answer["status"] == "success", answer
    result = answer["data"]["result"]
    return float(result[0]["value"][1]) if result else 0.0


def eventually(check: Callable[[], bool], what: str, deadline: float = DEADLINE) -> None:
    """Poll `check()` until it is true (scrapes come every 15 s); fail naming `what`."""
    wait_until(check, deadline, what)


@pytest.fixture(scope="module", autouse=True)
def every_replica_scraped() -> None:
    """Prometheus is ready and scrapes five service targets (the tests below read them)."""

    def five_up() -> bool:
        answer = query(SCRAPED)
        return answer["status"] == "success" and len(answer["data"]["result"]) == 5

    eventually(five_up, "Prometheus to discover the five replicas")


def test_prometheus_reports_all_five_replicas_up() -> None:
    """`up == 1` for two auth and three vending targets, found by DNS discovery."""

    def all_up() -> bool:
        result = query(SCRAPED)["data"]["result"]
        return len(result) == 5 and all(series["value"][1] == "1" for series in result)

    eventually(all_up, "every target to be up")
    jobs = [series["metric"]["job"] for series in query(SCRAPED)["data"]["result"]]
    assert sorted(jobs) == ["lanyard-auth"] * 2 + ["lanyard-vending"] * 3
    ports = {
        series["metric"]["instance"].rpartition(":")[2]
        for series in query(SCRAPED)["data"]["result"]
    }
    assert ports == {"9001", "9002"}


def forged(token: str, other: str) -> str:
    """`token`'s header and claims under `other`'s signature: a known kid, a bad signature."""
    return token.rpartition(".")[0] + "." + other.rpartition(".")[2]


def test_a_forged_token_moves_bad_signature_under_its_route() -> None:
    """Forged tokens are counted as bad_signature, and their 401s under `/cats`."""
    _, token = new_user("forger")
    _, other = new_user("victim")
    verifications = 'sum(lanyard_token_verifications_total{outcome="bad_signature"})'
    refused = 'sum(lanyard_http_requests_total{job="lanyard-vending",route="/cats",status="401"})'
    before, refused_before = value(verifications), value(refused)
    for _ in range(6):
        response = httpx.get(
            f"{GATEWAY}/api/cats?count=1", headers=bearer(forged(token, other)), timeout=30
        )
        assert response.status_code == 401
    eventually(lambda: value(verifications) >= before + 6, "bad_signature to move by 6")
    eventually(lambda: value(refused) >= refused_before + 6, "/cats 401s to move by 6")


def test_a_wrong_password_moves_logins_by_outcome() -> None:
    """A wrong password is counted in lanyard_logins_total as bad_credentials."""
    username, _ = new_user("typo")
    failures = 'sum(lanyard_logins_total{outcome="bad_credentials"})'
    before = value(failures)
    for _ in range(2):
        response = httpx.post(
            f"{GATEWAY}/auth/login",
            json={"username": username, "password": "not the password"},
            timeout=30,
        )
        assert response.status_code == 401
    eventually(lambda: value(failures) >= before + 2, "bad_credentials to move by 2")
    assert value('sum(lanyard_logins_total{outcome="success"})') >= 1


def dashboard_expressions() -> list[str]:
    document = json.loads((DEPLOY / "grafana/dashboards/lanyard.json").read_text())
    return [
        target["expr"].replace("$__rate_interval", "1m")
        for panel in document["panels"]
        for target in panel.get("targets", [])
    ]


def rule_expressions() -> list[str]:
    document = yaml.safe_load((DEPLOY / "prometheus/alerts.yml").read_text())
    return [rule["expr"] for group in document["groups"] for rule in group["rules"]]


@pytest.mark.parametrize("expr", [*dashboard_expressions(), *rule_expressions()])
def test_every_dashboard_and_rule_expression_runs_on_the_live_prometheus(expr: str) -> None:
    """Each PromQL expression of the dashboard and the rules is a successful query."""
    answer = query(expr)
    assert answer["status"] == "success", answer
    assert answer["data"]["resultType"] in ("vector", "scalar")


def test_prometheus_evaluates_every_alert_rule_without_error() -> None:
    """The rules file is loaded and each rule's last evaluation was healthy."""

    def all_healthy() -> bool:
        groups = httpx.get(f"{PROMETHEUS}/api/v1/rules", timeout=10).json()["data"]["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        return len(rules) == len(rule_expressions()) and all(r["health"] == "ok" for r in rules)

    eventually(all_healthy, "every rule to be evaluated healthy")


def _service(container: str) -> str | None:
    """The service a container's name says it runs: `<project>_<service>_<n>` (Compose) or
    `<stack>_<service>.<slot>.<task>` (Swarm)."""
    named = re.search(r"[_-](auth|vending|gateway)(?:[_-]\d+|\.\d+\.\w+)$", container)
    return named.group(1) if named else None


def container_logs() -> dict[str, str]:
    """Every container of the project (running or exited) by name: its whole log."""
    logs = {}
    for container in STACK.all_containers():
        name = subprocess.run(
            ["docker", "inspect", "-f", "{{.Name}}", container],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        result = subprocess.run(
            ["docker", "logs", container], capture_output=True, text=True, check=False
        )
        logs[name] = result.stdout + result.stderr
    return logs


def test_a_whole_flow_leaves_no_secret_in_any_log_and_an_id_on_every_request() -> None:
    """Register, log in, vend, refresh, reuse, mistype, forge, log out: no password or token
    in any container's log; each request's id is in its response, its gateway log line and
    its error body; the services write only JSON lines."""
    username = f"secretive-{int(time.time() * 1000) % 10**9}"
    password = f"{PASSWORD} {time.time_ns()}"
    secrets: list[str] = [password]
    answers: list[httpx.Response] = []

    def send(method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = httpx.request(method, f"{GATEWAY}{path}", timeout=30, **kwargs)
        answers.append(response)
        return response

    credentials = {"username": username, "password": password}
    assert send("POST", "/auth/register", json=credentials).status_code == 201
    login = send("POST", "/auth/login", json=credentials).json()
    secrets += [login["access_token"], login["refresh_token"]]
    if "device_token" in login:
        secrets.append(login["device_token"])
    access = login["access_token"]
    assert send("GET", "/api/cats?count=3", headers=bearer(access)).status_code == 200
    assert send("GET", "/api/me", headers=bearer(access)).status_code == 200
    renewed = send("POST", "/auth/refresh", json={"refresh_token": login["refresh_token"]})
    secrets += [renewed.json()["access_token"], renewed.json()["refresh_token"]]
    reuse = send("POST", "/auth/refresh", json={"refresh_token": login["refresh_token"]})
    assert reuse.status_code == 401
    mistyped = send("POST", "/auth/login", json={**credentials, "password": password + "!"})
    assert mistyped.status_code == 401
    bad = forged(access, renewed.json()["access_token"])
    assert send("GET", "/api/cats", headers=bearer(bad)).status_code == 401
    assert send("GET", f"/api/cats?access_token={access}").status_code == 400
    assert send("GET", "/api/me", headers={"X-Request-ID": access}).status_code == 401
    send("POST", "/auth/logout", json={"refresh_token": renewed.json()["refresh_token"]})

    ids = [response.headers["x-request-id"] for response in answers]
    assert all(re.fullmatch(r"[0-9a-f]{32}", rid) for rid in ids), ids
    assert len(set(ids)) == len(ids)
    for response in answers:
        if response.status_code >= 400:
            assert response.json()["request_id"] == response.headers["x-request-id"]

    def logged() -> bool:
        gateway = "".join(text for name, text in container_logs().items() if "gateway" in name)
        return all(f'"request_id":"{rid}"' in gateway for rid in ids)

    eventually(logged, "every request id in the gateway's log", deadline=30)
    logs = container_logs()
    for name, text in logs.items():
        for secret in secrets:
            assert secret not in text, f"a secret is in the log of {name}"
    gateway_lines = [
        json.loads(line)
        for name, text in logs.items()
        if "gateway" in name
        for line in text.splitlines()
        if line.startswith("{")
    ]
    by_id = {line["request_id"]: line for line in gateway_lines}
    for response in answers:
        line = by_id[response.headers["x-request-id"]]
        assert line["status"] == response.status_code
        assert line["path"] == response.request.url.path
    for name, text in logs.items():
        if _service(name) in ("auth", "vending"):
            for line in text.splitlines():
                assert isinstance(json.loads(line), dict), (name, line)
    service_lines = "".join(t for n, t in logs.items() if _service(n) == "auth")
    failed_login = mistyped.headers["x-request-id"]
    assert re.search(rf'"request_id":"{failed_login}".*"outcome":"bad_credentials"', service_lines)
    reused = reuse.headers["x-request-id"]
    assert re.search(rf'"request_id":"{reused}".*"event":"refresh_reuse"', service_lines)


def test_metrics_are_not_served_through_the_gateway() -> None:
    """The gateway reaches no management port: /metrics behind it is a 404 for both."""
    for prefix in ("/auth", "/api"):
        assert httpx.get(f"{GATEWAY}{prefix}/metrics", timeout=10).status_code == 404
    assert Path(DEPLOY / "nginx.conf").read_text().count("9001") == 0
