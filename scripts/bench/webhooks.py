#!/usr/bin/env python3
"""Webhook benchmark (issue 5): the web app under gunicorn on PostgreSQL, driven by the simulator, next to a bare
Flask endpoint under the same gunicorn settings, in the same run, at the same concurrency.

Usage: .venv/bin/python scripts/bench/webhooks.py [--pg URL] [--calls 500] [--rounds 2] [--time-scales 1,0.25]
                                                  [--workers 2] [--worker-class gthread] [--threads 4]

Two gunicorn servers on 127.0.0.1 with the same settings, by default those of deploy/gunicorn.conf.py (2 workers of
4 threads each: a webhook spends about half its time waiting on PostgreSQL, and threads overlap those waits):
`web:create_app()` on PostgreSQL, and a bare Flask app whose every route is `return "ok"`. The simulator (in this
process) keeps --calls (500) calls live at once against each in turn, --rounds calls per slot, and times every
webhook it sends (connect + request + response, as Twilio would see it). Each call is what the dialer leaves behind:
a lead `dialing` with a live attempt, called with the dialer's URLs (answer, status callback with every event,
fallback) and answering-machine detection; who answers follows the simulator's default persona mix. For the bare
endpoint the answer "ok" is not TwiML, so a call there is: answer URL, fallback URL, status callbacks.

Phases per server:
- paced, once per --time-scales value: calls take their simulated time (real seconds per simulated second; the slots
  start spread over one call's length), as a call centre's traffic would. At 1, the 500 calls are live at once as
  in life: the goal p99 < 50 ms is judged there. At 0.25 every call is four times shorter, the request rate that of
  2,000 calls at once: a stress figure, printed with its own verdict.
- saturated: time scale 0, every call as fast as the server answers (closed loop): the most requests per second
  the server gives 500 callers. Goal: the app's at least half the bare endpoint's.

--pg takes a PostgreSQL URL whose database is only for this benchmark (created if missing, emptied every run; never
`test`), by default postgresql+psycopg://postgres@127.0.0.1:5432/callbot_bench_webhooks.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa
from flask import Flask

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from callbot import campaigns, db  # noqa: E402
from callbot.calls import CallUrls  # noqa: E402
from callbot.models import CallAttempt, CallEvent, Lead  # noqa: E402
from callbot.simulator import Simulator, WebhookStats  # noqa: E402
from callbot.simulator.calls import CallOptions  # noqa: E402
from callbot.telephony import STATUS_EVENTS  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/callbot_bench_webhooks"
ACCOUNT_SID = "AC" + "7" * 32
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
CALLER_ID = "+842873000000"
SECRET = "bench-secret-key-" + "x" * 32
MEAN_CALL_SECONDS = 35.0  # simulated; the ramp over which the paced slots start
P99_GOAL = 0.050
THROUGHPUT_GOAL = 0.5


def bare_app() -> Flask:
    """The bare endpoint: every path answers "ok" (gunicorn 'webhooks:bare_app()')."""
    app = Flask("bare")

    @app.route("/", defaults={"path": ""}, methods=["GET", "POST"])
    @app.route("/<path:path>", methods=["GET", "POST"])
    def ok(path: str) -> str:
        return "ok"

    return app


# --- database --------------------------------------------------------------------------------------------


def prepare_database(url: str) -> None:
    """Create the benchmark's database if missing, empty it, migrate it."""
    target = sa.make_url(url)
    if target.get_backend_name() != "postgresql" or target.database in (None, "", "test", "postgres"):
        sys.exit(f"--pg must name a PostgreSQL database of its own, not {target.database!r}")
    db.empty_database(url)
    db.upgrade(url)


def seed_calls(url: str, count: int) -> list[tuple[int, str]]:
    """`count` leads dialing, each with a live attempt (what the dialer leaves before the API call): (id, number)."""
    engine = db.make_engine(url)
    now = db.utcnow()
    try:
        with db.make_sessionmaker(engine).begin() as s:
            campaign = campaigns.create_campaign(
                s, "bench", now, preset="permissive", company="Công ty ABC", service="khóa học tiếng Anh"
            )
            campaign.status = "running"
            s.flush()
            numbers = [f"+8491{n:07d}" for n in range(count)]
            leads = s.scalars(
                sa.insert(Lead).returning(Lead.id, sort_by_parameter_order=True),
                [
                    {
                        "campaign_id": campaign.id,
                        "name": f"Nguyễn Thị Lan {n}",
                        "phone_raw": "0" + number[3:],
                        "phone_e164": number,
                        "service": "bảo hiểm",
                        "verdict": "ok",
                        "status": "dialing",
                        "attempts": 1,
                    }
                    for n, number in enumerate(numbers)
                ],
            ).all()
            attempts = s.scalars(
                sa.insert(CallAttempt).returning(CallAttempt.id, sort_by_parameter_order=True),
                [
                    {"lead_id": lead, "campaign_id": campaign.id, "attempt_no": 1, "to_number": number}
                    for lead, number in zip(leads, numbers, strict=True)
                ],
            ).all()
        return list(zip(attempts, numbers, strict=True))
    finally:
        engine.dispose()


# --- servers ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_gunicorn(name: str, spec: str, env: dict[str, str], port: int, args: argparse.Namespace) -> Server:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(args.workers),
        "--worker-class",
        args.worker_class,
        "--threads",
        str(args.threads),
        "--bind",
        f"127.0.0.1:{port}",
        "--backlog",
        "2048",
        "--log-level",
        "warning",
        "--pythonpath",
        f"{ROOT},{ROOT / 'scripts' / 'bench'}",
        spec,
    ]
    process = subprocess.Popen(command, env={**os.environ, **env}, cwd=ROOT)
    server = Server(name, f"http://127.0.0.1:{port}", process)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn ({name}) exited with {process.returncode}")
        try:
            if requests.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return server
        except requests.RequestException:
            time.sleep(0.1)
    server.stop()
    sys.exit(f"gunicorn ({name}) did not answer in 30 s")


# --- driving ---------------------------------------------------------------------------------------------


@dataclass
class Phase:
    server: str
    phase: str
    calls: int
    seconds: float
    stats: WebhookStats
    by_kind: dict[str, tuple[int, float, float]]  # kind -> (count, p50, p99)
    failed_calls: int


def _rank(ordered: list[float], fraction: float) -> float:
    """The nearest-rank percentile of sorted values."""
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)] if ordered else float("nan")


def drive(
    sim: Simulator, base: str, calls: list[tuple[int, str]], concurrency: int, ramp: float
) -> tuple[float, int, dict[str, tuple[int, float, float]]]:
    """Keep `concurrency` calls live until `calls` are used up; returns seconds taken, failed calls, per kind."""
    urls = CallUrls(base)
    pending = list(reversed(calls))
    lock = threading.Lock()
    made = []

    def slot(index: int) -> None:
        time.sleep(ramp * index / concurrency)
        while True:
            with lock:
                if not pending:
                    return
                attempt_id, number = pending.pop()
            options = CallOptions(
                to=number,
                from_=CALLER_ID,
                url=urls.voice(attempt_id),
                method="POST",
                twiml=None,
                fallback_url=urls.fallback(attempt_id),
                fallback_method="POST",
                status_callback=urls.status(attempt_id),
                status_callback_method="POST",
                events=frozenset(STATUS_EVENTS),
                timeout=30,
                time_limit=None,
                machine_detection="Enable",
                record=False,
            )
            call = sim.create_call(options)
            call.released.set()  # created in-process: no API answer to wait for
            call.done.wait()
            with lock:
                made.append(call)

    started = time.monotonic()
    threads = [threading.Thread(target=slot, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    latencies: dict[str, list[float]] = defaultdict(list)
    failed = 0
    for call in made:
        failed += bool(call.errors)
        for request in call.requests:
            if request["seconds"] is not None:
                latencies[urlsplit(request["url"]).path.rsplit("/", 1)[-1]].append(request["seconds"])
    by_kind = {}
    for kind, values in sorted(latencies.items()):
        values.sort()
        by_kind[kind] = (len(values), _rank(values, 0.5), _rank(values, 0.99))
    return seconds, failed, by_kind


def run_phase(
    name: str, phase: str, base: str, calls: list[tuple[int, str]], concurrency: int, time_scale: float, seed: int
) -> Phase:
    sim = Simulator(ACCOUNT_SID, AUTH_TOKEN, time_scale=time_scale, seed=seed)
    ramp = MEAN_CALL_SECONDS * time_scale
    try:
        seconds, failed, by_kind = drive(sim, base, calls, concurrency, ramp)
        stats = sim.webhook_stats()
    finally:
        sim.stop(timeout=30)
    return Phase(name, phase, len(calls), seconds, stats, by_kind, failed)


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.1f}"


def report(phase: Phase) -> None:
    s = phase.stats
    print(
        f"  {phase.server:<6} {phase.phase:<11} {phase.calls:>5} calls  {s.sent:>6} webhooks  "
        f"p50 {ms(s.p50):>6} ms  p99 {ms(s.p99):>7} ms  max {ms(s.max):>7} ms  "
        f"{s.per_second or 0:>7.1f} req/s  ({phase.seconds:.1f} s; failed webhooks {s.failed}, "
        f"calls with errors {phase.failed_calls})"
    )
    for kind, (count, p50, p99) in phase.by_kind.items():
        print(f"           {kind:<9} {count:>6} × p50 {ms(p50):>6} ms  p99 {ms(p99):>7} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL URL of a database only for this benchmark")
    parser.add_argument("--calls", type=int, default=500, help="calls live at once")
    parser.add_argument("--rounds", type=int, default=2, help="calls per slot in each phase")
    parser.add_argument(
        "--time-scales", default="1,0.25", help="of the paced phases, comma-separated; the goal is judged at the first"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    scales = [float(value) for value in args.time_scales.split(",") if value.strip()]
    if not scales or min(scales) <= 0:
        parser.error("--time-scales takes positive numbers, e.g. 1,0.25")

    per_phase = args.calls * args.rounds
    warmup = min(args.calls, 100)
    phase_count = len(scales) + 1
    print(f"preparing {args.pg.rsplit('/', 1)[-1]}: {phase_count * per_phase + warmup:,} leads dialing …", flush=True)
    prepare_database(args.pg)
    pool = seed_calls(args.pg, phase_count * per_phase + warmup)
    random.Random(args.seed).shuffle(pool)  # numbers (so personas) in no particular order

    app_port, bare_port = free_port(), free_port()
    env = {
        "CALLBOT_DATABASE_URL": args.pg,
        "CALLBOT_SECRET_KEY": SECRET,
        "CALLBOT_PUBLIC_URL": f"http://127.0.0.1:{app_port}",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_CALLER_ID": CALLER_ID,
    }
    settings = f"gunicorn --workers {args.workers} --worker-class {args.worker_class} --threads {args.threads}"
    print(f"servers: {settings}; simulator: {args.calls} calls live at once, {args.rounds} per slot", flush=True)
    servers = [
        start_gunicorn("app", "web:create_app()", env, app_port, args),
        start_gunicorn("bare", "webhooks:bare_app()", {}, bare_port, args),
    ]
    app, bare = servers
    phases: list[Phase] = []
    try:
        # Warm-up (imports, connection pools, caches), not measured.
        run_phase("app", "warm-up", app.url, pool[:warmup], min(args.calls, 50), 0.0, args.seed)
        run_phase("bare", "warm-up", bare.url, pool[:warmup], min(args.calls, 50), 0.0, args.seed)
        plan = [(f"paced {scale:g}", scale) for scale in scales] + [("saturated", 0.0)]
        for number, (phase, scale) in enumerate(plan):
            calls = pool[warmup + number * per_phase : warmup + (number + 1) * per_phase]
            print(f"{phase} (time scale {scale:g}):", flush=True)
            for server in servers:
                result = run_phase(server.name, phase, server.url, calls, args.calls, scale, args.seed)
                phases.append(result)
                report(result)
    finally:
        for server in servers:
            server.stop()

    engine = db.make_engine(args.pg)
    with engine.connect() as conn:
        events = conn.scalar(sa.select(sa.func.count()).select_from(CallEvent))
        live = conn.scalar(sa.select(sa.func.count()).where(CallAttempt.live, CallAttempt.call_sid.is_not(None)))
    engine.dispose()
    print(f"app journal: {events:,} events; attempts called and still live: {live}")

    def get(server: str, phase: str) -> WebhookStats:
        return next(p.stats for p in phases if (p.server, p.phase) == (server, phase))

    ratio = (get("app", "saturated").per_second or 0) / (get("bare", "saturated").per_second or float("inf"))
    for number, scale in enumerate(scales):
        p99 = get("app", f"paced {scale:g}").p99 or float("inf")
        what = "goal" if number == 0 else "stress"
        print(
            f"{what} p99 < {P99_GOAL * 1000:.0f} ms (paced, time scale {scale:g}): {ms(p99)} ms — "
            f"{'met' if p99 < P99_GOAL else 'NOT met'}"
        )
    print(
        f"goal throughput ≥ {THROUGHPUT_GOAL}× bare (saturated): {ratio:.2f}× — "
        f"{'met' if ratio >= THROUGHPUT_GOAL else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
