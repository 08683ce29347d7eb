"""GET /metrics: Prometheus metrics of one API process (prometheus-client, its text exposition format).

- ``crosscheck_http_requests_total{method,route,status}`` and ``crosscheck_http_request_duration_seconds``
  ``{method,route}``: every request, by route template (``/sources/{source_id}``, not one series per id);
- ``crosscheck_match_duration_seconds{mode}``: `POST /claims/match`, by mode, the matcher's own time;
- ``crosscheck_claims_ingested_total``: claims stored by this process (API ingest, URL ingest);
- ``crosscheck_index_vectors{encoder}``: vectors in each FAISS index, read at scrape time;
- ``crosscheck_change_log_lag`` and ``crosscheck_change_log_last_poll_age_seconds``: how far this instance is
  behind the change log that instances sharing a database follow (0 when it has applied all of it).

Each app has its own registry (tests start many apps in one process; a deployment runs one per process, so a
scrape of each replica, as the compose file publishes them, gives that replica's figures).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True, slots=True)
class RuntimeFigures:
    """What the scrape reads of the running service, each a callable (the service may change between scrapes)."""

    index_sizes: Callable[[], dict[str, int]]
    change_log: Callable[[], tuple[int, int, float | None]]  # (applied seq, newest seq, seconds since last poll)


class _RuntimeCollector(Collector):
    def __init__(self, figures: Callable[[], RuntimeFigures | None]) -> None:
        self._figures = figures

    def collect(self) -> Iterable[Metric]:
        figures = self._figures()
        if figures is None:
            return
        vectors = GaugeMetricFamily("crosscheck_index_vectors", "Vectors in the FAISS index", labels=["encoder"])
        for encoder, size in sorted(figures.index_sizes().items()):
            vectors.add_metric([encoder], size)
        yield vectors
        applied, newest, age = figures.change_log()
        yield GaugeMetricFamily(
            "crosscheck_change_log_lag",
            "Change-log entries this instance has not applied",
            value=max(0, newest - applied),
        )
        if age is not None:
            yield GaugeMetricFamily(
                "crosscheck_change_log_last_poll_age_seconds",
                "Seconds since this instance read the change log",
                value=age,
            )


class Metrics:
    """The metrics of one app, in their own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "crosscheck_http_requests", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "crosscheck_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.match_latency = Histogram(
            "crosscheck_match_duration_seconds",
            "Time the matcher spends on one POST /claims/match",
            ["mode"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.claims_ingested = Counter(
            "crosscheck_claims_ingested", "Claims stored through this process", registry=self.registry
        )
        self.figures: RuntimeFigures | None = None
        self.registry.register(_RuntimeCollector(lambda: self.figures))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts and times every HTTP request by method, route template and status."""

    def __init__(self, app: ASGIApp, *, metrics: Callable[[], Metrics | None]) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        metrics = self.metrics()
        if scope["type"] != "http" or metrics is None:
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = _route_of(scope)
            method = str(scope.get("method", ""))
            metrics.requests.labels(method, route, str(status)).inc()
            metrics.latency.labels(method, route).observe(time.perf_counter() - started)


def _route_of(scope: Scope) -> str:
    """The matched route's template; requests that matched none share one label (no label per unknown path)."""
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"
