"""The demo: SQLite, the local Twilio simulator, the dialer and the web app in one process, one campaign run."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from callbot import campaigns, compliance, intake, users
from callbot.db import make_engine, make_sessionmaker, upgrade, utcnow
from callbot.dialer import Dialer, start_scheduler
from callbot.runtime import ServerThread
from callbot.sample import sample_rows, write_csv
from callbot.settings import Settings
from callbot.simulator import Simulator
from callbot.telephony import TwilioTelephony

CAMPAIGN = "Demo – xác minh khách đăng ký"


@dataclass(frozen=True)
class DemoResult:
    campaign_id: int
    funnel: campaigns.Funnel
    seconds: float
    finished: bool


def demo_settings(var_dir: Path, web_url: str) -> Settings:
    """Settings for a self-contained run: fresh secrets, SQLite under var/, the simulator as Twilio."""
    return Settings(
        secret_key=secrets.token_hex(32),
        public_url=web_url,
        twilio_account_sid="AC" + secrets.token_hex(16),
        twilio_auth_token=secrets.token_hex(16),
        twilio_caller_id="+842873000000",
        database_url=f"sqlite:///{var_dir / 'demo.db'}",
        calls_per_second=25,
        max_concurrent_calls=25,
        dialer_tick_seconds=0.2,
        session_cookie_secure=False,  # plain HTTP on 127.0.0.1
    )


def run(
    create_app: Callable[..., Any],
    *,
    var_dir: Path = Path("var"),
    port: int = 5000,
    serve: bool = True,
    leads: int = 200,
    timeout: float = 55.0,
    say: Callable[[str], None] = print,
) -> DemoResult:
    """Run the demo campaign to its end, print the funnel, then (if `serve`) serve the panel until Ctrl-C."""
    started = time.monotonic()
    for suffix in ("", "-wal", "-shm"):
        (var_dir / f"demo.db{suffix}").unlink(missing_ok=True)
    web = ServerThread(port=port if serve else 0)
    settings = demo_settings(var_dir, web.url)
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    now = utcnow()
    admin_password, agent_password = secrets.token_urlsafe(9), secrets.token_urlsafe(9)
    with sessions.begin() as session:
        users.create_user(session, "admin@callbot.local", "Quản trị viên", admin_password, "admin", now)
        users.create_user(session, "agent@callbot.local", "Nhân viên telesales", agent_password, "telesales", now)
        campaign = campaigns.create_campaign(
            session,
            CAMPAIGN,
            now,
            preset="permissive",
            company="Công ty Demo ABC",
            service="khóa học tiếng Anh",
            retry_policy=compliance.uniform_retries(2, 3),
            max_attempts=3,
            max_concurrent_calls=25,
            ring_timeout_seconds=20,
        )
        path = write_csv(var_dir / "demo-leads.csv", sample_rows(leads, now=now))
        report = intake.import_file(session, campaign, path, now)
        campaigns.change_status(campaign, "running", now)
        campaign_id = campaign.id
    say(f"Database: {settings.database_url}")
    say(f"Admin login: admin@callbot.local / {admin_password}")
    say(f"Telesales login: agent@callbot.local / {agent_password}")
    say(
        f"Imported {report.total} leads from {path}: "
        + ", ".join(f"{verdict} {count}" for verdict, count in sorted(report.by_verdict.items()))
    )
    say(
        "Calling rules: permissive preset (demo only: calls at any hour; real campaigns default to "
        "Vietnam's 08:00–17:00 window)."
    )

    sim = Simulator(settings.twilio_account_sid, settings.twilio_auth_token, time_scale=0.02, seed=7)
    sim_url = sim.start()
    settings = settings.with_overrides(twilio_api_base_url=sim_url)
    web.attach(create_app(settings))
    web.start()
    telephony = TwilioTelephony(settings.twilio_account_sid, settings.twilio_auth_token, api_base_url=sim_url)
    # The demo ticks every 0.2 s, so a tick still running when the next is due is normal, not news.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    scheduler = start_scheduler(Dialer(sessions, telephony, settings))
    say(f"Twilio simulator at {sim_url}; web app at {web.url}; dialing…")
    finished = _wait_until_done(sessions, campaign_id, started + timeout)
    scheduler.shutdown(wait=True)
    sim.wait_idle(10)
    with sessions.begin() as session:
        result = DemoResult(campaign_id, campaigns.funnel(session, campaign_id), time.monotonic() - started, finished)
        statuses = campaigns.status_counts(session, campaign_id)
    _print_funnel(result, statuses, say)
    try:
        if serve:
            say(f"\nPanel: {web.url}  (Ctrl-C to stop)")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                say("stopping")
    finally:
        web.stop()
        sim.stop()
        engine.dispose()
    return result


def _wait_until_done(sessions: Any, campaign_id: int, deadline: float) -> bool:
    idle_checks = 0
    while time.monotonic() < deadline:
        time.sleep(0.5)
        with sessions.begin() as session:
            pending = campaigns.pending_now(session, campaign_id, utcnow(), horizon=dt.timedelta(minutes=1))
        idle_checks = idle_checks + 1 if pending == 0 else 0
        if idle_checks >= 2:
            return True
    return False


def _print_funnel(result: DemoResult, statuses: dict[str, int], say: Callable[[str], None]) -> None:
    f = result.funnel
    say("")
    say(f"Funnel ({'finished' if result.finished else 'NOT finished'} in {result.seconds:.1f} s, {f.calls} calls):")
    rows = [
        ("imported", f.imported),
        (
            f"junk (junk {f.junk} · duplicate {f.duplicate} · blocked {f.blocked})",
            f.junk + f.duplicate + f.blocked,
        ),
        ("called", f.called),
        ("answered", f.answered),
        ("identity confirmed", f.identity_confirmed),
        ("interested", f.interested),
        ("queued for telesales", f.queued),
    ]
    for label, count in rows:
        say(f"  {label:<48} {count:>5}")
    say("Lead statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
