"""The metrics module: each service's families, bounded labels, the process collector, and
the management port that serves them."""

from __future__ import annotations

import socket

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from shared.settings import SettingsError
from shared.tokens import errors as token_errors
from shared.web.management import management_server
from shared.web.metrics import (
    QUOTA_DECISIONS,
    AuthMetrics,
    CallbackGauge,
    HTTPMetrics,
    OutcomeCounter,
    VendingMetrics,
    token_outcomes,
)


def families(metrics: HTTPMetrics) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """Every family of `metrics` as Prometheus's own parser reads it: samples by labels."""
    parsed: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for sample in family.samples:
            key = tuple(sorted(sample.labels.items()))
            parsed.setdefault(sample.name, {})[key] = sample.value
    return parsed


def test_auth_exports_logins_reuse_requests_and_the_process() -> None:
    """The booth's families exist from the start, each login outcome at 0."""
    parsed = families(AuthMetrics())
    assert set(parsed["lanyard_logins_total"]) == {
        (("outcome", outcome),)
        for outcome in ("success", "bad_credentials", "throttled", "unavailable")
    }
    assert parsed["lanyard_refresh_reuse_total"] == {(): 0.0}
    assert "process_cpu_seconds_total" in parsed
    assert "process_resident_memory_bytes" in parsed
    assert "lanyard_signing_key_age_seconds" not in parsed  # no source watched yet
    assert not any(name.endswith("_created") for name in parsed)


def test_vending_exports_verifications_jwks_fetches_and_quota_decisions() -> None:
    """The machine's families exist from the start with every known label value at 0."""
    parsed = families(VendingMetrics())
    outcomes = {dict(key)["outcome"] for key in parsed["lanyard_token_verifications_total"]}
    assert {"valid", "revoked", "expired", "bad_signature", "unknown_kid", "malformed"} <= outcomes
    assert {dict(k)["outcome"] for k in parsed["lanyard_jwks_fetches_total"]} == {
        "ok",
        "not_modified",
        "error",
    }
    assert {dict(k)["decision"] for k in parsed["lanyard_quota_decisions_total"]} == set(
        QUOTA_DECISIONS
    )
    assert "process_open_fds" in parsed


def test_token_outcomes_are_valid_revoked_and_every_token_error_reason() -> None:
    """Each `TokenError` kind's `reason` is a label value, known before it is first seen."""
    reasons = {
        kind.reason
        for kind in vars(token_errors).values()
        if isinstance(kind, type) and issubclass(kind, token_errors.TokenError)
    }
    assert set(token_outcomes()) == reasons | {"valid", "revoked"}
    assert token_outcomes()[:2] == ("valid", "revoked")


def test_outcome_counter_counts_known_and_new_values() -> None:
    """Calling the counter with a value adds one to that value's series."""
    metrics = HTTPMetrics("test")
    counter = OutcomeCounter("lanyard_things", "Things.", "kind", ["a"], metrics.registry)
    counter("a")
    counter("a")
    counter("b")
    assert (counter.value("a"), counter.value("b"), counter.value("c")) == (2.0, 1.0, 0.0)
    assert families(metrics)["lanyard_things_total"][(("kind", "b"),)] == 1.0


def test_callback_gauge_is_absent_until_watched_then_reads_its_source() -> None:
    """A gauge set from a callback exports nothing before `watch`, then the source's value
    at each scrape (and nothing while the source says None)."""
    metrics = HTTPMetrics("test")
    gauge = CallbackGauge("lanyard_age_seconds", "An age.", metrics.registry)
    assert "lanyard_age_seconds" not in families(metrics)
    age: list[float | None] = [12.5]
    gauge.watch(lambda: age[0])
    assert families(metrics)["lanyard_age_seconds"] == {(): 12.5}
    age[0] = None
    assert "lanyard_age_seconds" not in families(metrics)


def test_the_lead_can_feed_the_key_and_revocation_ages() -> None:
    """`signing_key_age` (auth) and `revocation_list_age` (vending) take a callback."""
    auth, vending = AuthMetrics(), VendingMetrics()
    auth.signing_key_age.watch(lambda: 86400.0)
    vending.revocation_list_age.watch(lambda: 3.0)
    vending.token_verifications("revoked")
    assert families(auth)["lanyard_signing_key_age_seconds"] == {(): 86400.0}
    assert families(vending)["lanyard_revocation_list_age_seconds"] == {(): 3.0}
    assert vending.token_verifications.value("revoked") == 1.0


def test_the_management_port_serves_the_registry_and_closes() -> None:
    """`management_server` answers every scrape with the exposition, then stops listening."""
    metrics = AuthMetrics()
    metrics.logins("success")
    with management_server(metrics, "127.0.0.1", 0) as server:
        response = httpx.get(f"http://127.0.0.1:{server.port}/metrics", timeout=5)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        assert 'lanyard_logins_total{outcome="success"} 1.0' in response.text
        port = server.port
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)


def test_a_taken_management_port_is_a_settings_error_naming_it() -> None:
    """When METRICS_PORT is taken the service stops at start, saying which variable."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        taken = management_server(HTTPMetrics("test"), "127.0.0.1", port)
        with pytest.raises(SettingsError, match="METRICS_PORT"), taken:
            pass
