"""Prometheus metrics: one registry per app, requests counted by route template."""

from __future__ import annotations

from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client import generate_latest as _generate_latest
from starlette.responses import Response

__all__ = ["HTTPMetrics", "metrics_response"]


class HTTPMetrics:
    """The request counters and latency histogram of one service."""

    def __init__(self, service: str, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
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
        return _generate_latest(self.registry)


def metrics_response(metrics: HTTPMetrics) -> Response:
    """The Prometheus text exposition of `metrics`."""
    return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)
