"""Health and metrics for operators: /healthz (the process answers), /readyz (database, schema, worker) and
/metrics in the Prometheus text format (request and engine-operation latency, open and overdue steps by
department, timer lag, worker heartbeats, mail outbox backlog).

Under gunicorn every web process counts its own requests; with PROMETHEUS_MULTIPROC_DIR set (`jointreview
serve` sets it) a scrape of any process adds them up. Set JOINTREVIEW_METRICS_TOKEN to require
`Authorization: Bearer <token>` on /metrics; otherwise expose it on an internal network only.
"""
from __future__ import annotations

import hmac
import logging
import os
import re
import time
import uuid

from flask import Blueprint, Flask, Response, abort, g, jsonify, request

from engine import health, logs

from .context import runtime

bp = Blueprint("health", __name__)
_access = logging.getLogger("jointreview.access")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_instruments: dict[str, object] = {}


def instruments() -> dict[str, object]:
    """This process's histograms, made on first use: prometheus_client reads PROMETHEUS_MULTIPROC_DIR when it
    is first imported, which under gunicorn is in the worker process, after `serve` set it."""
    if not _instruments:
        from prometheus_client import Histogram
        _instruments["requests"] = Histogram("jointreview_http_request_duration_seconds", "Time to answer an HTTP request",
                                             ["method", "route", "status"], buckets=BUCKETS, registry=None)
        _instruments["operations"] = Histogram("jointreview_engine_operation_duration_seconds",
                                               "Time of one engine operation on a case", ["kind"], buckets=BUCKETS,
                                               registry=None)
        health.on_operation(lambda kind, seconds: _instruments["operations"].labels(kind).observe(seconds))
    return _instruments


@bp.route("/healthz")
def healthz():
    """The process is alive (nothing else is checked)."""
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz():
    """Ready for traffic: the database answers, the schema is current, a worker beat recently."""
    ready, checks = health.readiness(runtime().db)
    return jsonify(ready=ready, checks=checks), 200 if ready else 503


class _Gauges:
    """Reads the engine's gauges at scrape time (one process answers for the whole installation)."""

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily
        with runtime().db.read() as session:
            figures = health.gauges(session)
        for name, text, key in (("jointreview_open_steps", "Open steps by department", "open_steps"),
                                ("jointreview_overdue_steps", "Open steps past their due time", "overdue_steps")):
            family = GaugeMetricFamily(name, text, labels=["department"])
            for department, count in sorted(figures[key].items()):
                family.add_metric([department], count)
            yield family
        yield GaugeMetricFamily("jointreview_timer_lag_seconds", "Now minus the oldest due timer of a running case",
                                value=figures["timer_lag_seconds"])
        yield GaugeMetricFamily("jointreview_mail_outbox_backlog", "Mails waiting to be sent",
                                value=figures["outbox_backlog"])
        family = GaugeMetricFamily("jointreview_worker_heartbeat_age_seconds", "Seconds since each worker beat",
                                   labels=["worker"])
        for worker, age in sorted(figures["worker_heartbeat_age_seconds"].items()):
            family.add_metric([worker], age)
        yield family


@bp.route("/metrics")
def metrics():
    """The Prometheus text format."""
    token = os.environ.get("JOINTREVIEW_METRICS_TOKEN")
    if token and not hmac.compare_digest(request.headers.get("Authorization", ""), f"Bearer {token}"):
        abort(401)
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
    from prometheus_client.multiprocess import MultiProcessCollector
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(_Local())
    registry.register(_Gauges())
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


class _Local:
    """This process's own histograms (without multiprocess mode)."""

    def collect(self):
        for histogram in instruments().values():
            yield from histogram.collect()


def init_app(app: Flask) -> None:
    """A request id on every request (taken from X-Request-Id when it is sane, else made), in the logs and in
    the answer; and each request's latency."""
    requests = instruments()["requests"]

    @app.before_request
    def _begin():
        given = request.headers.get("X-Request-Id", "")
        g.request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        g.request_token = logs.request_id.set(g.request_id)
        g.request_began = time.perf_counter()

    @app.after_request
    def _end(response):
        began = g.pop("request_began", None)
        if began is not None:
            route = request.url_rule.rule if request.url_rule is not None else "unmatched"
            seconds = time.perf_counter() - began
            requests.labels(request.method, route, str(response.status_code)).observe(seconds)
            _access.info("%s %s %s", request.method, route, response.status_code,
                         extra={"method": request.method, "path": request.path, "status": response.status_code,
                                "duration_ms": round(seconds * 1000, 1), "remote": request.remote_addr})
        if "request_id" in g:
            response.headers["X-Request-Id"] = g.request_id
        return response

    @app.teardown_request
    def _forget(_exc):
        token = g.pop("request_token", None)
        if token is not None:
            logs.request_id.reset(token)
