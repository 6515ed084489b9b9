#!/usr/bin/env python3
"""Dialer benchmark (issue 4): pacing of a big campaign, and the cost of one tick as the campaign grows.

Usage: .venv/bin/python scripts/bench/dialer.py [--leads N] [--cps 50] [--cap 500] [--pg URL] [--skip-campaign]
                                                [--skip-ticks] [--campaign-db sqlite|pg] [--keep DIR]

(a) Campaign: N leads (default 100,000) called once each through the simulator, every process on 127.0.0.1: the
    simulator (`callbot simulator`), the web app (the webhooks: gunicorn with --web-workers workers, as in production,
    or with --web-workers 0 `callbot serve`) and the dialer (`callbot dialer`,
    CALLBOT_CALLS_PER_SECOND=--cps, CALLBOT_MAX_CONCURRENT_CALLS=--cap), each a child process. The simulator counts
    the calls it is asked for and the most live at once. Goals: achieved/allowed CPS between 0.95 and 1.00;
    concurrency never above the cap.
(b) Tick cost: the median time of one `Dialer.tick()` at 1,000 and at 1,000,000 leads waiting to be called (plus
    a tenth more waiting for a retry, each with the finished call it retries), on SQLite and (with --pg) on
    PostgreSQL: ticks that place --per-tick calls (the campaign's concurrency allows that many), through the
    simulator and through a provider that costs nothing, and ticks with nothing to place (the campaign is full).
    The sizes take turns tick by tick, so that other load on the machine hits them alike. Goal: the larger at most
    1.5x the smaller. The SQL of the ticks is timed statement by statement at both sizes; statements that grow are
    printed (with --explain, with their query plan: EXPLAIN QUERY PLAN / EXPLAIN (ANALYZE, BUFFERS)).

--pg takes a PostgreSQL URL whose database is only for this benchmark (created if missing, emptied every run),
e.g. postgresql+psycopg://postgres@127.0.0.1:5432/callbot_bench_dialer; the smaller tick size gets a sibling
database (callbot_bench_dialer_1000), so that both sizes can take turns.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from callbot import campaigns, db  # noqa: E402
from callbot.dialer import Dialer  # noqa: E402
from callbot.models import CallAttempt, Lead  # noqa: E402
from callbot.settings import Settings  # noqa: E402
from callbot.simulator import Simulator  # noqa: E402
from callbot.telephony import CallInfo, TwilioTelephony  # noqa: E402

ACCOUNT_SID = "AC" + "5" * 32
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
CALLER_ID = "+842873000000"
SECRET = "bench-secret-key-" + "x" * 32
# Short calls at time_scale 0.05: a conversation ~2 s, a ring-out ~1.5 s, busy ~0.1 s.
MIXES = {
    "light": {"interested": 20, "not_interested": 15, "wrong_person": 5, "no_answer": 20, "busy": 30, "voicemail": 10},
    # Busy lines only: two webhooks per call (initiated, completed), the least work for the web app.
    "busy": {"busy": 1},
}


# ---- shared: databases and leads -------------------------------------------------------------------------


def fresh_database(url: str) -> None:
    """An empty, migrated database: a new SQLite file, or the PostgreSQL database emptied (created if missing)."""
    sa_url = sa.make_url(url)
    if sa_url.get_backend_name() != "sqlite" and sa_url.database in (None, "", "test", "postgres"):
        sys.exit(f"--pg must name a database used only by this benchmark, not {sa_url.database!r}")
    db.empty_database(url)
    db.upgrade(url)


def create_campaign(engine: sa.Engine, name: str, **fields: object) -> int:
    now = db.utcnow()
    with db.make_sessionmaker(engine).begin() as session:
        campaign = campaigns.create_campaign(session, name, now, preset="permissive", **fields)
        campaigns.change_status(campaign, "running", now)
        return campaign.id


def insert_leads(engine: sa.Engine, campaign_id: int, ready: int, waiting: int = 0, seed: int = 1) -> float:
    """Minimal callable leads, fast (executemany / COPY): `ready` due now, `waiting` due tomorrow for a retry
    (each with the finished call it retries, in call_attempts).

    Each has a distinct Vietnamese mobile number, a score and a registration time; returns the seconds taken.
    """
    started = time.perf_counter()
    rng = random.Random(seed)
    now = db.utcnow()
    tomorrow = now + dt.timedelta(days=1)
    columns = (
        "campaign_id, raw, phone_e164, verdict, reasons, status, attempts, next_attempt_at, wait_reason, priority, "
        "pre_score, score, tier, score_reasons, registered_at, created_at, updated_at"
    )

    def rows() -> Iterator[tuple[Any, ...]]:
        for i in range(ready + waiting):
            registered = now - dt.timedelta(seconds=rng.randrange(30 * 86400))
            later = tomorrow if i >= ready else None
            score = rng.randrange(101)
            tier = "hot" if score >= 70 else "warm" if score >= 40 else "cold"
            yield (
                campaign_id, "{}", f"+8491{i:07d}", "ok", "[]", "callable", 1 if later else 0, later,
                "retry" if later else None, 0, score, score, tier, "[]", registered, now, now,
            )  # fmt: skip

    raw = engine.raw_connection()
    try:
        if engine.dialect.name == "postgresql":
            with raw.cursor() as cursor, cursor.copy(f"COPY leads ({columns}) FROM STDIN") as copy:
                for row in rows():
                    copy.write_row(row)
        else:

            def sqlite_rows() -> Iterator[tuple[Any, ...]]:
                for row in rows():
                    yield tuple(
                        v.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, dt.datetime) else v
                        for v in row
                    )

            cursor = raw.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            marks = ", ".join("?" * len(columns.split(",")))
            cursor.executemany(f"INSERT INTO leads ({columns}) VALUES ({marks})", sqlite_rows())
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as conn:
        if waiting:
            an_hour_ago = sa.literal(now - dt.timedelta(hours=1), CallAttempt.created_at.type)
            history = sa.select(
                Lead.id, Lead.campaign_id, sa.literal(1), sa.literal("no-answer"), sa.false(), sa.literal("no_answer"),
                sa.cast(sa.literal("{}"), sa.JSON), an_hour_ago, an_hour_ago, Lead.phone_e164,
                sa.literal("CA") + sa.cast(Lead.id, sa.String),
            ).where(Lead.campaign_id == campaign_id, Lead.next_attempt_at.is_not(None))  # fmt: skip
            columns_of_history = [
                "lead_id", "campaign_id", "attempt_no", "status", "live", "outcome", "flow_state", "created_at",
                "ended_at", "to_number", "call_sid",
            ]  # fmt: skip
            conn.execute(sa.insert(CallAttempt.__table__).from_select(columns_of_history, history))
        conn.exec_driver_sql("ANALYZE" if engine.dialect.name == "sqlite" else "ANALYZE leads, call_attempts")
    return time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"a child process exited early ({proc.args})")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    sys.exit(f"nothing listens on port {port} after {timeout:.0f} s")


# ---- (a) the campaign ------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its live children, e.g. gunicorn's workers (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0  # gone (a worker replaced since)
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(int(child)) for child in children)


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


@dataclass
class Sample:
    at: float  # wall clock
    created: int
    sim_live: int
    db_live: int


@dataclass
class Children:
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(
        self, name: str, args: list[str], env: dict[str, str], logdir: Path, module: str = "callbot.cli"
    ) -> subprocess.Popen[bytes]:
        log = (logdir / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", module, *args], env=env, cwd=logdir, stdout=log, stderr=subprocess.STDOUT
        )
        self.procs[name] = proc
        return proc

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def run_campaign(args: argparse.Namespace, url: str, workdir: Path) -> None:
    print(f"\n== (a) campaign: {args.leads:,} leads at {args.cps:g} calls/s, cap {args.cap} live calls, "
          f"time_scale {args.time_scale}, {sa.make_url(url).get_backend_name()} ==")  # fmt: skip
    fresh_database(url)
    engine = db.make_engine(url)
    campaign_id = create_campaign(
        engine, "bench", max_attempts=1, max_concurrent_calls=args.cap, ring_timeout_seconds=30
    )
    took = insert_leads(engine, campaign_id, args.leads)
    print(f"inserted {args.leads:,} leads in {took:.1f} s")
    personas = workdir / "personas.json"
    personas.write_text(json.dumps({"mix": MIXES.get(args.mix)}))
    sim_port, web_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CALLBOT_", "TWILIO_"))}
    env.update(
        CALLBOT_SECRET_KEY=SECRET,
        CALLBOT_PUBLIC_URL=f"http://127.0.0.1:{web_port}",
        CALLBOT_DATABASE_URL=url,
        CALLBOT_SESSION_COOKIE_SECURE="false",
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_CALLER_ID=CALLER_ID,
        TWILIO_API_BASE_URL=f"http://127.0.0.1:{sim_port}",
        CALLBOT_CALLS_PER_SECOND=str(args.cps),
        CALLBOT_MAX_CONCURRENT_CALLS=str(args.cap),
        CALLBOT_DIALER_TICK_SECONDS=str(args.tick),
        PYTHONUNBUFFERED="1",
    )
    children = Children()
    stats_url = f"http://127.0.0.1:{sim_port}/2010-04-01/Accounts/{ACCOUNT_SID}/Simulator/Stats.json"
    http = requests.Session()
    http.trust_env = False
    live_query = sa.select(sa.func.count()).select_from(CallAttempt).where(sa.text("call_attempts.live"))
    samples: list[Sample] = []
    try:
        sim_args = ["simulator", "--port", str(sim_port), "--time-scale", str(args.time_scale)]
        if args.mix in MIXES:
            sim_args += ["--personas", str(personas)]
        wait_for_port(sim_port, children.start("simulator", sim_args, env, workdir))
        if args.web_workers:
            # As in production (docs/deployment.md, deploy/gunicorn.conf.py): gunicorn, --web-workers workers of
            # --web-threads threads.
            web_args = ["--workers", str(args.web_workers), "--threads", str(args.web_threads)]
            web_args += ["--bind", f"127.0.0.1:{web_port}", "--backlog", "2048"]
            web = children.start(
                "web", [*web_args, "--pythonpath", str(ROOT), "web:create_app()"], env, workdir, "gunicorn"
            )
        else:
            web = children.start("web", ["serve", "--port", str(web_port)], env, workdir)  # the development server
        wait_for_port(web_port, web)
        cpu_before = {name: cpu_seconds(p.pid) for name, p in children.procs.items()}
        busy_before = machine_busy()
        dialer = children.start("dialer", ["dialer"], env, workdir)
        started = time.time()
        last_print = started
        stop: list[int] = []  # Ctrl-C or SIGTERM: stop dialling and print the figures of the calls so far
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda number, _frame: stop.append(number))
        while not stop:
            time.sleep(1.0)
            if dialer.poll() is not None:
                sys.exit(f"the dialer exited: see {workdir / 'dialer.log'}")
            stats = http.get(stats_url, auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=30).json()
            with engine.connect() as conn:
                db_live = int(conn.scalar(live_query) or 0)
            samples.append(Sample(time.time(), stats["created"], stats["live"], db_live))
            if time.time() - last_print >= 60:
                last_print = time.time()
                recent = [x for x in samples if x.at >= last_print - 60.5]
                rate = (recent[-1].created - recent[0].created) / max(1e-9, recent[-1].at - recent[0].at)
                print(f"  {last_print - started:6.0f} s: {stats['created']:>7,} calls ({rate:5.1f}/s in the last "
                      f"minute), {stats['live']:>4} live at the simulator, {db_live:>4} live in the database",
                      flush=True)  # fmt: skip
            if stats["created"] >= args.leads:
                break
            if time.time() - started > args.max_seconds:
                stop.append(0)
        if stop:
            print(f"stopped after {time.time() - started:.0f} s ({'time limit' if stop[0] == 0 else 'signal'}), "
                  f"{samples[-1].created if samples else 0:,} of {args.leads:,} leads dialled")  # fmt: skip
        dialled_at = time.time()
        cpu_after = {name: cpu_seconds(p.pid) for name, p in children.procs.items()}
        busy_after = machine_busy()
        dialer.terminate()
        # Let the last calls end and their webhooks land.
        while time.time() - dialled_at < 120:
            stats = http.get(stats_url, auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=30).json()
            with engine.connect() as conn:
                db_live = int(conn.scalar(live_query) or 0)
            if stats["live"] == 0 and db_live == 0:
                break
            time.sleep(0.5)
        drained = time.time() - dialled_at
        final = http.get(stats_url, auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=30).json()
    finally:
        children.stop()
    with engine.connect() as conn:
        outcome = dict(
            conn.execute(sa.select(Lead.status, sa.func.count()).group_by(Lead.status)).all()  # type: ignore[arg-type]
        )
        attempts = conn.scalar(sa.select(sa.func.count()).select_from(CallAttempt))
        still_live = conn.scalar(live_query)
    engine.dispose()

    calls = final["created"]
    span = final["last_created"] - final["first_created"]
    achieved = (calls - 1) / span if span > 0 else float("nan")
    steady = [s for s in samples if s.at - samples[0].at >= 10 and s.created < calls]
    steady_cps = (steady[-1].created - steady[0].created) / (steady[-1].at - steady[0].at) if len(steady) > 2 else 0
    per_second = [(b.created - a.created) / (b.at - a.at) for a, b in zip(samples, samples[1:], strict=False)]
    wall = dialled_at - started
    print(f"calls placed: {calls:,} in {span:.1f} s (first to last call at the simulator); attempts in the "
          f"database: {attempts:,}; still live: {still_live}; drained {drained:.1f} s after the last call")  # fmt: skip
    print(f"achieved CPS over the run: {achieved:.2f} / allowed {args.cps:g} = {achieved / args.cps:.3f} "
          f"(goal 0.95–1.00)")  # fmt: skip
    print(f"achieved CPS in steady state (from 10 s on): {steady_cps:.2f} = {steady_cps / args.cps:.3f}; "
          f"1-s samples min {min(per_second, default=0):.1f} · median {statistics.median(per_second or [0]):.1f}"
          f" · max {max(per_second, default=0):.1f}")  # fmt: skip
    print(f"max concurrent calls at the simulator: {final['max_live']} (cap {args.cap}: "
          f"{'never above' if final['max_live'] <= args.cap else 'ABOVE THE CAP'}); max live in the database "
          f"(1-s samples): {max((s.db_live for s in samples), default=0)}; max live to one number: "
          f"{final['max_live_per_number']}")  # fmt: skip
    used = {name: cpu_after[name] - cpu_before.get(name, 0.0) for name in cpu_after}
    busy = (busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1])
    print("CPU while dialling (cores): " + ", ".join(f"{n} {s / wall:.2f}" for n, s in used.items())
          + f"; whole machine {busy * 100:.0f} % busy of {os.cpu_count()} cores")  # fmt: skip
    print("lead statuses: " + ", ".join(f"{k} {v:,}" for k, v in sorted(outcome.items())))


# ---- (b) the cost of one tick ------------------------------------------------------------------------------


class FreeProvider:
    """A provider that accepts every call at once and costs nothing: the tick's own cost, without HTTP."""

    def place_call(self, **_: object) -> str:
        return f"CA{uuid.uuid4().hex}"

    def fetch_call(self, sid: str) -> CallInfo:
        return CallInfo(sid=sid, status="in-progress", duration=None, answered_by=None)

    def hangup(self, sid: str) -> None:
        pass

    def find_calls(self, **_: object) -> list[CallInfo]:
        return []


@dataclass
class StatementTimes:
    """Seconds spent per SQL statement (its text, parameters elided) while recording."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    examples: dict[str, tuple[str, Any]] = field(default_factory=dict)
    on: bool = False

    def attach(self, engine: sa.Engine) -> None:
        @sa.event.listens_for(engine, "before_cursor_execute")
        def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            conn.info["bench_started"] = time.perf_counter()

        @sa.event.listens_for(engine, "after_cursor_execute")
        def after(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            if not self.on:
                return
            key = re.sub(r"\s+", " ", statement).strip()
            self.seconds[key] += time.perf_counter() - conn.info["bench_started"]
            self.calls[key] += 1
            self.examples.setdefault(key, (statement, parameters))


def reset_calls(engine: sa.Engine) -> None:
    """Undo the last tick's calls (not timed): the same leads are due again, no call is live."""
    with engine.begin() as conn:
        conn.execute(sa.delete(CallAttempt).where(CallAttempt.live))  # the history of finished calls stays
        conn.execute(sa.update(Lead).where(Lead.status == "dialing").values(status="callable", attempts=0, priority=0))
        conn.exec_driver_sql("DELETE FROM rate_limits")


@dataclass
class TickBed:
    """One database holding one campaign of `size` leads due now, and dialers for it."""

    size: int
    url: str
    engine: sa.Engine
    dialers: dict[str, Dialer]
    statements: StatementTimes
    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def tick(self, kind: str, expected: int) -> None:
        dialer = self.dialers["free" if kind == "full" else kind]
        started = time.perf_counter()
        placed = dialer.tick()
        self.seconds[kind].append(time.perf_counter() - started)
        if placed != expected:
            sys.exit(f"a tick at {self.size:,} leads placed {placed} calls, expected {expected}")


def size_url(url: str, size: int, largest: int) -> str:
    """The database for one size: the given one for the largest, a sibling for each smaller (PostgreSQL)."""
    sa_url = sa.make_url(url)
    if sa_url.get_backend_name() == "sqlite":
        return str(sa_url.set(database=str(Path(sa_url.database or "").with_suffix(f".{size}.db"))))
    if size == largest:
        return url
    return sa_url.set(database=f"{sa_url.database}_{size}").render_as_string(hide_password=False)


def prepare(url: str, size: int, args: argparse.Namespace, sim_url: str) -> TickBed:
    fresh_database(url)
    engine = db.make_engine(url)
    # The per-number cap is on (as in the vn and us presets) so that its query is part of every claim.
    campaign_id = create_campaign(
        engine, f"bench-{size}", max_concurrent_calls=args.per_tick, max_calls_per_number=1, max_attempts=3
    )
    waiting = size // 10
    took = insert_leads(engine, campaign_id, size, waiting)
    print(f"  {size:>9,} leads due + {waiting:,} waiting for a retry (and their {waiting:,} finished calls) "
          f"inserted in {took:.1f} s")  # fmt: skip
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE leads, call_attempts")
    settings = Settings(
        secret_key=SECRET,
        public_url="http://127.0.0.1:9",  # the simulator's webhooks go nowhere: every call stays live for us
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_caller_id=CALLER_ID,
        database_url=url,
        calls_per_second=1e6,
        max_concurrent_calls=10**6,
    )
    sessions = db.make_sessionmaker(engine)
    simulator = TwilioTelephony(ACCOUNT_SID, AUTH_TOKEN, api_base_url=sim_url)
    dialers = {"sim": Dialer(sessions, simulator, settings), "free": Dialer(sessions, FreeProvider(), settings)}
    statements = StatementTimes()
    statements.attach(engine)
    return TickBed(size, url, engine, dialers, statements)


def measure(beds: list[TickBed], args: argparse.Namespace) -> None:
    """Every kind of tick, the sizes taking turns tick by tick (the machine's other load hits them alike)."""
    for bed in beds:  # warm up: caches, connections, prepared plans
        for _ in range(3):
            reset_calls(bed.engine)
            bed.tick("free", args.per_tick)
    for kind in ("sim", "free"):
        for _ in range(args.ticks):
            for bed in beds:
                reset_calls(bed.engine)
                bed.tick(kind, args.per_tick)
    for _ in range(args.ticks):  # the last ticks filled each campaign: nothing to place
        for bed in beds:
            bed.tick("full", 0)
    for _ in range(args.ticks):
        for bed in beds:
            reset_calls(bed.engine)
            bed.statements.on = True
            bed.tick("free", args.per_tick)
            bed.statements.on = False


def explain(engine: sa.Engine, statement: str, parameters: Any) -> str:
    with engine.connect() as conn:
        try:
            if engine.dialect.name == "postgresql":
                rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).all()
                return "\n".join(f"      {r[0]}" for r in rows)
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            return "\n".join(f"      {r[-1]}" for r in rows)
        finally:
            conn.rollback()  # EXPLAIN ANALYZE runs the statement: undo it


KINDS = {
    "sim": "tick placing {n} calls via the simulator",
    "free": "tick placing {n} calls, provider free",
    "full": "tick with nothing to place (campaign full)",
}


def run_ticks(args: argparse.Namespace, urls: dict[str, str]) -> None:
    sizes = args.tick_sizes
    print(f"\n== (b) one dialer tick at {' and '.join(f'{n:,}' for n in sizes)} waiting leads: "
          f"median of {args.ticks} ticks, each placing {args.per_tick} calls ==")  # fmt: skip
    sim = Simulator(ACCOUNT_SID, AUTH_TOKEN, default_mix={"no_answer": 1}, time_scale=0.01)
    sim_url = sim.start()
    try:
        for backend, url in urls.items():
            print(f"{backend}:")
            beds = [prepare(size_url(url, size, sizes[-1]), size, args, sim_url) for size in sizes]
            measure(beds, args)
            small, large = beds[0], beds[-1]
            print(f"  {'':<50} {small.size:>9,} {large.size:>11,}")
            for kind, label in KINDS.items():
                a, b = statistics.median(small.seconds[kind]), statistics.median(large.seconds[kind])
                verdict = "ok" if b / a <= 1.5 else "GOAL MISSED"
                print(f"  {label.format(n=args.per_tick):<50} {a * 1000:6.2f} ms {b * 1000:8.2f} ms"
                      f"   x{b / a:.2f}  {verdict}")  # fmt: skip
            grown = []
            for key, seconds in large.statements.seconds.items():
                before = small.statements.seconds.get(key, 0.0)
                if seconds > 1.5 * before and (seconds - before) / args.ticks > 0.0003:  # > 0.3 ms more per tick
                    grown.append((seconds / before if before else float("inf"), key))
            print(f"  statements taking 1.5x longer (and 0.3 ms more per tick) at {large.size:,}: {len(grown)}")
            for ratio, key in sorted(grown, reverse=True):
                statement, parameters = large.statements.examples[key]
                print(f"  x{ratio:.1f}: {key[:400]}")
                if args.explain:
                    print(explain(large.engine, statement, parameters))
            for bed in beds:
                bed.engine.dispose()
    finally:
        sim.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=100_000, help="leads in the campaign run (default 100000)")
    parser.add_argument("--cps", type=float, default=50, help="CALLBOT_CALLS_PER_SECOND (default 50)")
    parser.add_argument("--cap", type=int, default=500, help="CALLBOT_MAX_CONCURRENT_CALLS (default 500)")
    parser.add_argument("--tick", type=float, default=0.1, help="CALLBOT_DIALER_TICK_SECONDS (default 0.1)")
    parser.add_argument("--time-scale", type=float, default=0.05, help="simulator seconds per simulated second")
    parser.add_argument(
        "--mix",
        choices=(*MIXES, "default"),
        default="light",
        help="persona mix: light (short calls, the default), busy (busy lines only), default (the simulator's)",
    )
    parser.add_argument(
        "--web-workers", type=int, default=2, help="gunicorn workers of the web app (default 2; 0: `callbot serve`)"
    )
    parser.add_argument("--web-threads", type=int, default=4, help="threads per gunicorn worker (default 4)")
    parser.add_argument("--max-seconds", type=float, default=7200, help="give up the campaign run after this")
    parser.add_argument("--pg", metavar="URL", help="a PostgreSQL database for this benchmark only")
    parser.add_argument("--campaign-db", choices=("sqlite", "pg"), default="sqlite")
    parser.add_argument(
        "--tick-sizes",
        type=lambda text: sorted(int(n) for n in text.split(",")),
        default=[1_000, 1_000_000],
        help="waiting leads for the tick figures, smallest first (default 1000,1000000)",
    )
    parser.add_argument("--ticks", type=int, default=15, help="ticks timed per figure (default 15)")
    parser.add_argument("--per-tick", type=int, default=10, help="calls each timed tick places (default 10)")
    parser.add_argument("--explain", action="store_true", help="print the plan of every statement that grows")
    parser.add_argument("--skip-campaign", action="store_true")
    parser.add_argument("--skip-ticks", action="store_true")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (logs, SQLite files)")
    args = parser.parse_args()
    if args.campaign_db == "pg" and not args.pg:
        parser.error("--campaign-db pg needs --pg URL")
    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-dialer-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} CPUs · Python {sys.version.split()[0]} · work dir {workdir}")
    try:
        if not args.skip_campaign:
            url = args.pg if args.campaign_db == "pg" else f"sqlite:///{workdir / 'campaign.db'}"
            run_campaign(args, url, workdir)
        if not args.skip_ticks:
            urls = {"SQLite": f"sqlite:///{workdir / 'ticks.db'}"}
            if args.pg:
                urls["PostgreSQL"] = args.pg
            run_ticks(args, urls)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
