#!/usr/bin/env python3
"""Claim benchmark (issue 6): many telesales agents pressing "next lead" over HTTP, on PostgreSQL and SQLite.

Usage: .venv/bin/python scripts/bench/claims.py [--pg URL] [--agents 50] [--leads 2000] [--think 1.0]
                                                [--workers 2] [--threads 8] [--backends postgresql,sqlite]

For each backend: `web:create_app()` under gunicorn on 127.0.0.1 (--workers, gthread with --threads), a queue of
--leads qualified leads (scores with many ties) and --agents telesales users, each signed in through the login
form with a requests.Session of its own. Every agent takes the next lead (POST /telesales/next) and closes it
(POST …/disposition), again and again, until the queue is empty. Two phases:
- paced: an agent thinks --think seconds (randomised ±50 %) between closing a lead and taking the next, as people
  do; the goal, p99 of "next lead" < 50 ms on PostgreSQL, is read here.
- saturated: no thinking: the most claims per second the server gives that many agents.
It prints p50/p99/max of the claim and of the disposition (connect + request + response), the claims per second,
and checks that no lead was claimed twice and none was lost.

--pg takes a PostgreSQL URL whose database is only for this benchmark (created if missing, emptied every run; never
`test`), by default postgresql+psycopg://postgres@127.0.0.1:5432/callbot_bench_claims. SQLite uses
var/bench/claims.db (recreated every run).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from callbot import campaigns, db, users  # noqa: E402
from callbot.models import Lead, QueueItem, User  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/callbot_bench_claims"
SQLITE_PATH = ROOT / "var" / "bench" / "claims.db"
PASSWORD = "bench-password-0123456789"
SECRET = "bench-secret-key-" + "x" * 32
P99_GOAL = 0.050
CLOSING = ("won", "not_interested", "unreachable", "wrong_number")
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_ITEM = re.compile(r"/telesales/items/(\d+)$")


# --- database --------------------------------------------------------------------------------------------


def prepare_postgres(url: str) -> None:
    """Create the benchmark's database if missing, empty it, migrate it."""
    target = sa.make_url(url)
    if target.get_backend_name() != "postgresql" or target.database in (None, "", "test", "postgres"):
        sys.exit(f"--pg must name a PostgreSQL database of its own, not {target.database!r}")
    db.empty_database(url)
    db.upgrade(url)


def prepare_sqlite() -> str:
    """A fresh, migrated SQLite file for the benchmark."""
    url = f"sqlite:///{SQLITE_PATH}"
    db.empty_database(url)
    db.upgrade(url)
    return url


def seed(url: str, leads: int, agents: int, round_no: int) -> tuple[set[int], list[str]]:
    """`leads` queued leads with their queue items and `agents` telesales users: the item ids and the emails."""
    engine = db.make_engine(url)
    now = db.utcnow()
    try:
        with db.make_sessionmaker(engine).begin() as s:
            campaign = campaigns.create_campaign(
                s, f"bench {round_no}", now, preset="permissive", company="Công ty ABC", service="bảo hiểm"
            )
            s.flush()
            rows = [
                {
                    "campaign_id": campaign.id,
                    "name": f"Nguyễn Thị Lan {n}",
                    "phone_e164": f"+8491{round_no}{n:06d}",
                    "verdict": "ok",
                    "status": "queued",
                    "score": 40 + n % 7 * 10,
                }
                for n in range(leads)
            ]
            made = s.execute(sa.insert(Lead).returning(Lead.id, Lead.score, sort_by_parameter_order=True), rows)
            items = s.scalars(
                sa.insert(QueueItem).returning(QueueItem.id),
                [
                    {"lead_id": lead, "campaign_id": campaign.id, "score": score, "enqueued_at": now}
                    for lead, score in made.all()
                ],
            ).all()
            emails = [f"agent{round_no}-{n}@bench.vn" for n in range(agents)]
            # One argon2 hash for every agent (same password): hashing is not what is measured.
            first = users.create_user(s, emails[0], emails[0], PASSWORD, "telesales", now)
            if len(emails) > 1:
                s.execute(
                    sa.insert(User),
                    [
                        {
                            "email": e,
                            "name": e,
                            "password_hash": first.password_hash,
                            "role": "telesales",
                            "created_at": now,
                        }
                        for e in emails[1:]
                    ],
                )
        return set(items), emails
    finally:
        engine.dispose()


# --- server ----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(url: str, args: argparse.Namespace) -> tuple[subprocess.Popen[bytes], str]:
    """`web:create_app()` under gunicorn on a free port of 127.0.0.1, once it answers /healthz."""
    port = free_port()
    env = {
        **os.environ,
        "CALLBOT_DATABASE_URL": url,
        "CALLBOT_SECRET_KEY": SECRET,
        "CALLBOT_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "CALLBOT_SESSION_COOKIE_SECURE": "false",
        "TWILIO_ACCOUNT_SID": "AC" + "7" * 32,
        "TWILIO_AUTH_TOKEN": "bench-auth-token-0123456789abcdef",
        "TWILIO_CALLER_ID": "+842873000000",
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(args.workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(args.threads),
        "--bind",
        f"127.0.0.1:{port}",
        # Agents keep their connection between leads (as browsers do); gunicorn's 2 s default would close it
        # just as an agent comes back after thinking, and the request would meet a reset connection.
        "--keep-alive",
        "75",
        "--log-level",
        "warning",
        "--pythonpath",
        str(ROOT),
        "web:create_app()",
    ]
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited with {process.returncode}")
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base
        except requests.RequestException:
            time.sleep(0.1)
    stop(process)
    sys.exit("gunicorn did not answer in 30 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- agents ----------------------------------------------------------------------------------------------


@dataclass
class Agent:
    """One signed-in browser and what it measured."""

    browser: requests.Session
    token: str
    taken: list[int] = field(default_factory=list)
    claim_seconds: list[float] = field(default_factory=list)
    dispose_seconds: list[float] = field(default_factory=list)


def sign_in(base: str, email: str) -> Agent:
    """Sign in through the login form, as a browser does; keep the workspace's CSRF token."""
    browser = requests.Session()
    token = _CSRF.search(browser.get(f"{base}/login", timeout=30).text)
    assert token, "no CSRF token on the login page"
    data = {"csrf_token": token.group(1), "email": email, "password": PASSWORD}
    response = browser.post(f"{base}/login", data=data, allow_redirects=False, timeout=30)
    if response.status_code != 302:
        sys.exit(f"sign-in failed for {email}: {response.status_code}")
    page = _CSRF.search(browser.get(f"{base}/telesales/", timeout=30).text)
    assert page, "no CSRF token on the workspace"
    return Agent(browser, page.group(1))


def work(base: str, agent: Agent, n: int, think: float, start: threading.Barrier, rng: random.Random) -> None:
    """Take the next lead and close it until the queue is empty, timing both requests."""
    start.wait()
    time.sleep(rng.uniform(0, think))  # agents do not all press at the same instant
    while True:
        began = time.perf_counter()
        response = agent.browser.post(
            f"{base}/telesales/next", data={"csrf_token": agent.token}, allow_redirects=False, timeout=60
        )
        agent.claim_seconds.append(time.perf_counter() - began)
        match = _ITEM.search(response.headers.get("Location", ""))
        if response.status_code != 302 or match is None:
            return
        item_id = int(match.group(1))
        agent.taken.append(item_id)
        began = time.perf_counter()
        agent.browser.post(
            f"{base}/telesales/items/{item_id}/disposition",
            data={"csrf_token": agent.token, "disposition": CLOSING[(n + len(agent.taken)) % len(CLOSING)]},
            allow_redirects=False,
            timeout=60,
        )
        agent.dispose_seconds.append(time.perf_counter() - began)
        if think:
            time.sleep(think * rng.uniform(0.5, 1.5))


def rank(ordered: list[float], fraction: float) -> float:
    """The nearest-rank percentile of sorted values."""
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)] if ordered else float("nan")


def ms(value: float) -> str:
    return f"{value * 1000:.1f}"


@dataclass
class Result:
    """What one phase measured."""

    seconds: float
    claims: list[float]
    disposals: list[float]
    leads: int
    twice: int
    lost: int


def drive(base: str, url: str, leads: int, agents: int, think: float, round_no: int) -> Result:
    """Seed a queue, sign the agents in, let them empty it; the sorted latencies and the checks."""
    items, emails = seed(url, leads, agents, round_no)
    signed_in = [sign_in(base, email) for email in emails]
    start = threading.Barrier(len(signed_in))
    threads = [
        threading.Thread(target=work, args=(base, a, n, think, start, random.Random(n)), daemon=True)
        for n, a in enumerate(signed_in)
    ]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - began
    taken = Counter(i for a in signed_in for i in a.taken)
    return Result(
        seconds,
        sorted(s for a in signed_in for s in a.claim_seconds),
        sorted(s for a in signed_in for s in a.dispose_seconds),
        len(taken),
        sum(1 for count in taken.values() if count > 1),
        len(items - set(taken)),
    )


def report(backend: str, phase: str, r: Result) -> None:
    print(
        f"  {backend:<10} {phase:<9} {len(r.claims):>5} claims  p50 {ms(rank(r.claims, 0.5)):>6} ms  "
        f"p99 {ms(rank(r.claims, 0.99)):>7} ms  max {ms(r.claims[-1]):>7} ms  {r.leads / r.seconds:>6.1f} leads/s  "
        f"| disposition p50 {ms(rank(r.disposals, 0.5))} ms p99 {ms(rank(r.disposals, 0.99))} ms  "
        f"({r.seconds:.1f} s; claimed twice {r.twice}, lost {r.lost})",
        flush=True,
    )
    if r.twice or r.lost:
        sys.exit("FAILED: a lead was claimed twice or lost")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL URL of a database only for this benchmark")
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--leads", type=int, default=2000, help="queued leads per phase")
    parser.add_argument("--think", type=float, default=1.0, help="seconds between two leads in the paced phase")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--backends", default="postgresql,sqlite")
    args = parser.parse_args()

    print(
        f"{args.agents} agents, {args.leads} leads per phase; gunicorn --workers {args.workers} gthread "
        f"--threads {args.threads}; paced think time {args.think:g} s",
        flush=True,
    )
    p99: dict[str, float] = {}
    for backend in args.backends.split(","):
        if backend == "postgresql":
            prepare_postgres(args.pg)
            url = args.pg
        elif backend == "sqlite":
            SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
            url = prepare_sqlite()
        else:
            sys.exit(f"unknown backend {backend!r}")
        process, base = start_gunicorn(url, args)
        try:
            drive(base, url, 40, min(args.agents, 4), 0.0, 0)  # warm-up (imports, pools, caches), not reported
            for round_no, phase in enumerate(("paced", "saturated"), start=1):
                result = drive(base, url, args.leads, args.agents, args.think if phase == "paced" else 0.0, round_no)
                report(backend, phase, result)
                if phase == "paced":
                    p99[backend] = rank(result.claims, 0.99)
        finally:
            stop(process)
    if "postgresql" in p99:
        met = "met" if p99["postgresql"] < P99_GOAL else "NOT met"
        print(f"goal p99 < {P99_GOAL * 1000:.0f} ms on PostgreSQL (paced): {ms(p99['postgresql'])} ms — {met}")


if __name__ == "__main__":
    main()
