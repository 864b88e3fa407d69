"""The operator's files agree with the code and with each other: every alert has a runbook,
every metric an alert or a panel reads is one the services export, the dashboard is
provisioning-ready, the gateway makes request ids, and Prometheus scrapes the ports the
services listen on. (promtool checks the rules themselves: `make test-rules`.)"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.web.metrics import AuthMetrics, VendingMetrics

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
RULES = yaml.safe_load((DEPLOY / "prometheus/alerts.yml").read_text())
ALERTS = [rule for group in RULES["groups"] for rule in group["rules"]]
DASHBOARD = json.loads((DEPLOY / "grafana/dashboards/lanyard.json").read_text())
TARGETS = [t for panel in DASHBOARD["panels"] for t in panel.get("targets", [])]
OPERATIONS = (ROOT / "docs/operations.md").read_text()
# Names PromQL uses that are not metrics: functions, keywords, label names, and so on.
_WORD = re.compile(r"\b(lanyard_[a-z_]+|process_[a-z_]+|up|ALERTS)\b(?!\s*[=~!]|\s*\()")


def exported() -> set[str]:
    """Every sample name the two services' registries can produce (after a request, and
    with the gauges fed by a callback given a value)."""
    auth, vending = AuthMetrics(), VendingMetrics()
    auth.observe("/login", "POST", 200, 0.01)
    auth.signing_key_age.watch(lambda: 1.0)
    vending.revocation_list_age.watch(lambda: 1.0)
    vending.jwks_keys.watch(lambda: 1.0)
    names = set()
    for metrics in (auth, vending):
        for family in metrics.registry.collect():
            names |= {sample.name for sample in family.samples}
    return names


def metric_names(expr: str) -> set[str]:
    return set(_WORD.findall(expr)) - {"up", "ALERTS"}


@pytest.mark.parametrize("rule", ALERTS, ids=[rule["alert"] for rule in ALERTS])
def test_every_alert_has_a_runbook_heading_it_links_to(rule: dict[str, Any]) -> None:
    """`runbook_url` is docs/operations.md#<name>, and that page has the heading."""
    name = rule["alert"]
    assert rule["annotations"]["runbook_url"] == f"docs/operations.md#{name.lower()}"
    assert f"\n### {name}\n" in OPERATIONS
    assert rule["labels"]["severity"] in ("page", "ticket")


def test_the_issues_alerts_are_all_there() -> None:
    """JWKS or revocation list stale, refusals above normal, login surge, refresh reuse,
    quota failing open, 5xx, a replica down."""
    assert {
        "LanyardJWKSStale",
        "LanyardRevocationListStale",
        "LanyardTokenRefusalsAboveNormal",
        "LanyardLoginFailureSurge",
        "LanyardRefreshTokenReuse",
        "LanyardQuotaFailingOpen",
        "LanyardServerErrors",
        "LanyardReplicaDown",
    } <= {rule["alert"] for rule in ALERTS}


@pytest.mark.parametrize(
    "expr",
    [rule["expr"] for rule in ALERTS] + [target["expr"] for target in TARGETS],
)
def test_every_metric_an_alert_or_panel_reads_is_exported(expr: str) -> None:
    """No expression names a family the services do not export (a typo would be silent)."""
    names = metric_names(expr)
    assert names <= exported(), names - exported()


def test_the_dashboard_is_provisioning_ready() -> None:
    """A fixed uid, a Prometheus data-source variable every query uses, and the golden
    signals and the token lifecycle in it."""
    assert DASHBOARD["uid"] == "lanyard-overview"
    (variable,) = DASHBOARD["templating"]["list"]
    assert (variable["type"], variable["query"]) == ("datasource", "prometheus")
    for target in TARGETS:
        assert target["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
    titles = " ".join(panel["title"] for panel in DASHBOARD["panels"])
    for word in (
        "Traffic",
        "Errors",
        "Latency",
        "CPU",
        "Logins",
        "Token verifications",
        "JWKS",
        "Signing key age",
        "Revocation list age",
        "Quota",
        "Refresh",
    ):
        assert word in titles, word
    provisioning = yaml.safe_load(
        (DEPLOY / "grafana/provisioning/dashboards/lanyard.yml").read_text()
    )
    assert provisioning["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"


def test_the_gateway_makes_forwards_and_logs_request_ids_but_never_a_query_string() -> None:
    """nginx sends `$request_id` on as X-Request-ID and logs JSON lines without `$args`,
    `$request_uri` or an Authorization header."""
    conf = (DEPLOY / "nginx.conf").read_text()
    assert "proxy_set_header X-Request-ID $request_id;" in conf
    log_format = conf[conf.index("log_format") : conf.index(";", conf.index("log_format"))]
    assert '"request_id":"$request_id"' in log_format
    for leak in ("$request_uri", "$args", "$query_string", "$http_authorization", '$request"'):
        assert leak not in log_format
    assert "access_log /dev/stdout lanyard_json;" in conf


def test_prometheus_scrapes_the_ports_the_stack_sets_and_nothing_publishes_them() -> None:
    """The management ports in prometheus.yml are the stack's METRICS_PORTs; only
    Prometheus's own port is published, on the loopback address."""
    config = yaml.safe_load((DEPLOY / "prometheus/prometheus.yml").read_text())
    ports = {
        job["job_name"]: sd["port"]
        for job in config["scrape_configs"]
        for sd in job.get("dns_sd_configs", [])
    }
    assert ports == {"lanyard-auth": 9001, "lanyard-vending": 9002}
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert services["auth"]["environment"]["METRICS_PORT"] == "9001"
    assert services["vending"]["environment"]["METRICS_PORT"] == "9002"
    assert "ports" not in services["auth"]
    assert "ports" not in services["vending"]
    assert services["prometheus"]["profiles"] == ["observability"]
    assert services["prometheus"]["image"] == "prom/prometheus:v2.53.3"
    assert services["prometheus"]["ports"] == ["127.0.0.1:${PROMETHEUS_PORT:-9090}:9090"]
