"""Operations endpoints: `/healthz` (public: the app and its database answer) and `/metrics` (Prometheus; only for
allowed networks or a bearer token), plus the request hooks that time webhooks and tag log lines with call ids.

Counts (calls by status, queue lengths, dialer lag) are read from the database at scrape time, so every gunicorn
worker answers the same. Webhook latency is measured in the workers: with several workers set
PROMETHEUS_MULTIPROC_DIR (prometheus_client's multiprocess mode, see docs/deployment.md) and every worker's
measurements are summed at scrape time; without it each worker reports its own.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Iterator

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.orm import Session, sessionmaker

from callbot import logs
from callbot.db import utcnow
from callbot.dialer import LEASE_FOR, SCHEDULER_LEASE
from callbot.models import WAITING, CallAttempt, Campaign, Lead, Lease, QueueItem
from callbot.settings import Settings

bp = Blueprint("ops", __name__)
WEBHOOK_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0)


@bp.get("/healthz")
def healthz() -> tuple[str, int, dict[str, str]]:
    """Liveness and readiness: 200 when the database answers, 503 when it does not (no details: it is public)."""
    engine = current_app.extensions["callbot.engine"]
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        current_app.logger.warning("health check: the database does not answer")
        return "database unavailable", 503, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


@bp.get("/metrics")
def metrics() -> Response | tuple[str, int]:
    """Prometheus metrics, for allowed networks (CALLBOT_METRICS_NETWORKS) or `Authorization: Bearer <token>`
    (CALLBOT_METRICS_TOKEN)."""
    settings: Settings = current_app.extensions["callbot.settings"]
    if not _allowed(settings):
        return "forbidden", 403
    registry = current_app.extensions["callbot.metrics_registry"]
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        registry.register(DatabaseCollector(current_app.extensions["callbot.sessions"]))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def _allowed(settings: Settings) -> bool:
    if settings.metrics_token:
        sent = request.headers.get("Authorization", "")
        if hmac.compare_digest(sent.encode(), f"Bearer {settings.metrics_token}".encode()):
            return True
    if "X-Forwarded-For" in request.headers and not settings.trusted_proxies:
        # Proxied, but we were not told to trust the proxy: the address we see is the proxy's, not the client's.
        return False
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in settings.metrics_networks)


class DatabaseCollector:
    """Gauges read from the database at scrape time: the same answer from every worker."""

    def __init__(self, sessions: sessionmaker[Session]):
        self.sessions = sessions

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = utcnow()
        with self.sessions() as session:
            calls = GaugeMetricFamily("callbot_calls", "Call attempts by status (all time).", labels=["status"])
            for status, count in session.execute(
                sa.select(CallAttempt.status, sa.func.count()).group_by(CallAttempt.status)
            ):
                calls.add_metric([status], count)
            yield calls
            live = session.scalar(sa.select(sa.func.count()).select_from(CallAttempt).where(CallAttempt.live))
            yield GaugeMetricFamily("callbot_live_calls", "Calls live now.", value=live or 0)
            yield self._queues(session)
            running = sa.select(Campaign.id).where(Campaign.status == "running")
            oldest_due = session.scalar(
                sa.select(sa.func.min(Lead.next_attempt_at)).where(
                    sa.text(WAITING), Lead.next_attempt_at <= now, Lead.campaign_id.in_(running)
                )
            )
            lag = (now - oldest_due).total_seconds() if oldest_due else 0.0
            yield GaugeMetricFamily(
                "callbot_dialer_lag_seconds",
                "How long the most overdue waiting lead of a running campaign has been due (0: the dialer keeps up).",
                value=max(lag, 0.0),
            )
            lease = session.get(Lease, SCHEDULER_LEASE)
            if lease is not None:
                age = (now - (lease.expires_at - LEASE_FOR)).total_seconds()
                yield GaugeMetricFamily(
                    "callbot_dialer_heartbeat_age_seconds",
                    "Seconds since the dialer holding the scheduler last ticked.",
                    value=max(age, 0.0),
                )

    @staticmethod
    def _queues(session: Session) -> GaugeMetricFamily:
        queues = GaugeMetricFamily("callbot_queue_length", "Items waiting, by queue.", labels=["queue"])
        telesales = session.scalar(
            sa.select(sa.func.count()).select_from(QueueItem).where(QueueItem.disposition.is_(None))
        )
        queues.add_metric(["telesales"], telesales or 0)
        by_status = dict(
            session.execute(
                sa.select(Lead.status, sa.func.count())
                .join(Campaign, Campaign.id == Lead.campaign_id)
                .where(Campaign.status == "running", Lead.status.in_(("callable", "callback")))
                .group_by(Lead.status)
            ).all()
        )
        queues.add_metric(["dial"], sum(by_status.values()))
        return queues


# ---- request hooks -----------------------------------------------------------------------------------------


def _start() -> None:
    g.ops_started = time.perf_counter()
    if request.blueprint == "twilio_hooks":
        g.ops_log_token = logs.bind_current(
            call_sid=request.form.get("CallSid"), attempt_id=request.args.get("attempt", type=int)
        )


def _finish(response: Response) -> Response:
    started = g.pop("ops_started", None)
    if started is not None and request.blueprint == "twilio_hooks" and request.endpoint:
        histogram = current_app.extensions["callbot.webhook_latency"]
        histogram.labels(request.endpoint.removeprefix("twilio_hooks.")).observe(time.perf_counter() - started)
    return response


def _teardown(exc: BaseException | None) -> None:
    token = g.pop("ops_log_token", None)
    if token is not None:
        logs.unbind(token)


def init_app(app: Flask) -> None:
    """Register the endpoints and hooks; set up logs (unless the host did) and this app's metrics."""
    settings: Settings = app.extensions["callbot.settings"]
    logs.configure(settings.log_format)
    registry = CollectorRegistry()
    app.extensions["callbot.webhook_latency"] = Histogram(
        "callbot_webhook_duration_seconds",
        "Time to answer a Twilio webhook, by endpoint.",
        ["endpoint"],
        buckets=WEBHOOK_BUCKETS,
        registry=registry,
    )
    registry.register(DatabaseCollector(app.extensions["callbot.sessions"]))
    app.extensions["callbot.metrics_registry"] = registry
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_teardown)
    app.register_blueprint(bp)
