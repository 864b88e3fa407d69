"""Prometheus metrics: one registry per app, every family the contract names, the process's.

Each service gets its own class: `AuthMetrics` (logins, refresh-token reuse, the signing
key's age) and `VendingMetrics` (token verifications, JWKS fetches, quota decisions, the
revocation list's age); both count HTTP requests by route template and carry the process
collector. Label values come from fixed sets in the code (outcomes, route templates,
methods, statuses), never from a request: no username, token or `kid` ever becomes a
label. The domain reports through plain callables (`OutcomeCounter` is one), so it never
imports this module.

Families are served on the management port (`shared.web.management`), never the service's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
)
from prometheus_client import generate_latest as _generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from shared.tokens.errors import TokenError

__all__ = [
    "QUOTA_DECISIONS",
    "AuthMetrics",
    "CallbackGauge",
    "HTTPMetrics",
    "OutcomeCounter",
    "VendingMetrics",
    "token_outcomes",
]

LOGIN_OUTCOMES = ("success", "bad_credentials", "throttled", "unavailable")
QUOTA_DECISIONS = ("allowed", "refused", "fail_open", "fail_closed")
JWKS_OUTCOMES = ("ok", "not_modified", "error")
REVOCATION_OUTCOMES = ("ok", "not_modified", "error", "rejected")


def token_outcomes() -> tuple[str, ...]:
    """`valid`, `revoked` and the `reason` of every `TokenError` kind the library has."""
    reasons: list[str] = []
    todo: list[type[TokenError]] = [TokenError]
    while todo:
        kind = todo.pop()
        reasons.append(kind.reason)
        todo.extend(kind.__subclasses__())
    return tuple(dict.fromkeys(["valid", "revoked", *sorted(reasons)]))


class OutcomeCounter(Collector):
    """A counter with one label, called with the label's value: `logins("success")`.

    The known values are there from the start, so every series exists (at 0) from the
    first scrape and a rate over it is defined; a value from elsewhere in the code is added
    when first seen. Callers pass constants, never input.

    A fast path (two of these run on every vending request): a call adds one to a plain
    integer, about a third of what a prometheus_client child's locked `inc()` costs; the
    scrape reads a copy. Calls come from the event loop only, so no increment is lost.
    """

    def __init__(
        self,
        name: str,
        documentation: str,
        label: str,
        values: Iterable[str],
        registry: CollectorRegistry,
    ) -> None:
        self.name = name
        self.documentation = documentation
        self.label = label
        self._counts: dict[str, int] = dict.fromkeys(values, 0)
        registry.register(self)

    def __call__(self, value: str) -> None:
        counts = self._counts
        counts[value] = counts.get(value, 0) + 1

    def value(self, label: str) -> float:
        """What has been counted for `label` (tests read it)."""
        return float(self._counts.get(label, 0))

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(self.name, self.documentation, labels=[self.label])
        for value, count in list(self._counts.items()):
            family.add_metric([value], count)
        yield family

    def describe(self) -> Iterator[Metric]:
        yield CounterMetricFamily(self.name, self.documentation, labels=[self.label])


class CallbackGauge(Collector):
    """A gauge whose value is read from a callback at each scrape; absent until one is set.

    For values that live elsewhere (a key's age, a list's age): `watch(lambda: ...)`. Until
    something is watched the family is not exported at all, so a dashboard shows "no data"
    rather than a made-up 0.
    """

    def __init__(self, name: str, documentation: str, registry: CollectorRegistry) -> None:
        self.name = name
        self.documentation = documentation
        self._source: Callable[[], float | None] | None = None
        registry.register(self)

    def watch(self, source: Callable[[], float | None]) -> None:
        """Read the value from `source()` from now on (None: no value at the moment)."""
        self._source = source

    def collect(self) -> Iterator[Metric]:
        value = self._source() if self._source is not None else None
        if value is not None:
            yield GaugeMetricFamily(self.name, self.documentation, value=value)

    def describe(self) -> Iterator[Metric]:
        return iter(())


class HTTPMetrics:
    """The request counters and latency histogram of one service, and the process's own."""

    def __init__(self, service: str, registry: CollectorRegistry | None = None) -> None:
        # `_created` samples would double every series; nothing here reads them. (A switch of
        # prometheus_client's for the whole process: every registry in it is one of these.)
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = registry or CollectorRegistry()
        ProcessCollector(registry=self.registry)
        self.requests = Counter(
            "lanyard_http_requests",
            "HTTP requests served, by route template, method and status.",
            ["service", "route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "lanyard_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template.",
            ["service", "route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
        )
        self.service = service
        # `labels()` hashes and locks on every call: keep each label set's children instead.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request and its duration."""
        children = self._children.get((route, method, status))
        if children is None:
            children = (
                self.requests.labels(self.service, route, method, str(status)),
                self.latency.labels(self.service, route),
            )
            self._children[route, method, status] = children
        requests, latency = children
        requests.inc()
        latency.observe(seconds)

    def render(self) -> bytes:
        """The Prometheus text exposition of every family in the registry."""
        return _generate_latest(self.registry)

    @property
    def content_type(self) -> str:
        return CONTENT_TYPE_LATEST


class AuthMetrics(HTTPMetrics):
    """The booth's families: logins by outcome, refresh-token reuse, the signing key's age."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        super().__init__("auth", registry)
        self.logins = OutcomeCounter(
            "lanyard_logins",
            "Password logins, by outcome (bad_credentials: unknown user or wrong password).",
            "outcome",
            LOGIN_OUTCOMES,
            self.registry,
        )
        self.refresh_reuse = Counter(
            "lanyard_refresh_reuse",
            "Refresh tokens presented a second time (each revoked its whole chain).",
            registry=self.registry,
        )
        self.signing_key_age = CallbackGauge(
            "lanyard_signing_key_age_seconds",
            "Seconds since the current signing key began signing.",
            self.registry,
        )
        self.signing_keys_unusable = CallbackGauge(
            "lanyard_signing_keys_unusable",
            "Rows of the key store this replica cannot open (another KEK, damaged): skipped.",
            self.registry,
        )


class VendingMetrics(HTTPMetrics):
    """The machine's families: token verifications, JWKS fetches, quota decisions and the
    revocation list's age."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        super().__init__("vending", registry)
        self.token_verifications = OutcomeCounter(
            "lanyard_token_verifications",
            "Access tokens presented, by outcome: valid, or why they were refused.",
            "outcome",
            token_outcomes(),
            self.registry,
        )
        self.jwks_fetches = OutcomeCounter(
            "lanyard_jwks_fetches",
            "Fetches of the auth service's JWKS, by outcome.",
            "outcome",
            JWKS_OUTCOMES,
            self.registry,
        )
        self.quota_decisions = OutcomeCounter(
            "lanyard_quota_decisions",
            "Quota charges, by decision (fail_open/fail_closed: the quota store was down).",
            "decision",
            QUOTA_DECISIONS,
            self.registry,
        )
        self.jwks_keys = CallbackGauge(
            "lanyard_jwks_keys", "Public keys held from the JWKS (0: not ready).", self.registry
        )
        self.revocation_list_age = CallbackGauge(
            "lanyard_revocation_list_age_seconds",
            "Seconds since the last good revocation list was fetched.",
            self.registry,
        )
        self.revocation_fetches = OutcomeCounter(
            "lanyard_revocation_fetches",
            "Fetches of the revocation list, by outcome (rejected: it arrived and was not"
            " believed: bad signature, wrong typ, expired, older than the one held).",
            "outcome",
            REVOCATION_OUTCOMES,
            self.registry,
        )
