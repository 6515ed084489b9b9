"""Crash safety: the dialer, a real child process, is killed with SIGKILL again and again during a campaign.

The simulator and the web app (webhooks) run in this process on 127.0.0.1; the dialer runs as `python -m
callbot.cli dialer`, so that SIGKILL is real: it can land between the claim's commit and the API call, in the
middle of the API call, or while the CallSid is being saved. After every kill the dialer is started again; at the
end the invariants of issue 4 ("7. Crash safety") are checked at the simulator and in the database.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from callbot.dialer import ORPHAN_AFTER
from callbot.models import CallAttempt, Lead
from callbot.runtime import ServerThread
from callbot.settings import Settings
from callbot.simulator import Simulator
from tests.conftest import make_campaign, make_leads

pytestmark = pytest.mark.e2e

# Where each persona's lead must end. "callback" is left out: a lead waiting for its callback is not terminal.
EXPECTED = {
    "interested": "queued",
    "not_interested": "not_interested",
    "wrong_person": "wrong_number",
    "opt_out": "opted_out",
    "no_answer": "unreachable",
    "busy": "unreachable",
    "voicemail": "unreachable",
    "hang_up": "unreachable",
    "silent": "unreachable",
}
TERMINAL = frozenset(EXPECTED.values())
MAX_ATTEMPTS = 3
# Real seconds per simulated second: a call lasts from about 0.1 s (busy) to about 2.5 s (a whole conversation).
TIME_SCALE = 0.04
# An attempt that never got its CallSid is settled this soon (the default, 2 minutes, is longer than the test).
ORPHAN_AFTER_SECONDS = 2


def _rows(count: int, offset: int = 0) -> tuple[list[dict[str, str]], dict[str, str]]:
    """`count` leads cycling through the personas, with distinct numbers; and each number's persona."""
    rows, personas = [], {}
    names = sorted(EXPECTED)
    for i in range(count):
        national = f"091{((i + offset) * 7919 + 1234567) % 10**7:07d}"
        rows.append({"name": f"Trần Thị {chr(65 + i % 26)}", "phone": national, "service": "bảo hiểm"})
        personas["+84" + national[1:]] = names[i % len(names)]
    return rows, personas


@dataclass
class DialerProcess:
    """`python -m callbot.cli dialer` as a child process, its output in a log file."""

    env: dict[str, str]
    cwd: Path
    name: str
    runs: int = 0
    proc: subprocess.Popen[bytes] | None = None
    logs: list[Path] = field(default_factory=list)

    def start(self) -> None:
        self.runs += 1
        log = self.cwd / f"{self.name}-{self.runs}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "callbot.cli", "dialer"],
                env=self.env,
                cwd=self.cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_running(self, timeout: float = 20) -> None:
        """Until the process says it runs (imports done, scheduler starting)."""
        deadline = time.monotonic() + timeout
        while b"dialer running" not in self.logs[-1].read_bytes():
            assert self.proc is not None and self.proc.poll() is None, self.output()
            assert time.monotonic() < deadline, "the dialer did not start: " + self.output()
            time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL: no cleanup of any kind, as when the machine or the OOM killer takes the process."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
            assert self.proc.returncode == -signal.SIGKILL

    def output(self) -> str:
        return "\n".join(log.read_text(errors="replace")[-3000:] for log in self.logs[-2:])

    def log_text(self) -> str:
        return "".join(log.read_text(errors="replace") for log in self.logs)


def _dialer_env(
    settings: Settings,
    *,
    caller_id: str | None = None,
    orphan_after: float | None = ORPHAN_AFTER_SECONDS,
    **values: object,
) -> dict[str, str]:
    """The environment of `callbot dialer`: our settings, the simulator's URL, and CALLBOT_<NAME> for each value."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CALLBOT_", "TWILIO_"))}
    env.update(
        CALLBOT_SECRET_KEY=settings.secret_key,
        CALLBOT_PUBLIC_URL=settings.public_url,
        CALLBOT_DATABASE_URL=settings.database_url,
        CALLBOT_SESSION_COOKIE_SECURE="false",
        TWILIO_ACCOUNT_SID=settings.twilio_account_sid,
        TWILIO_AUTH_TOKEN=settings.twilio_auth_token,
        TWILIO_CALLER_ID=caller_id or settings.twilio_caller_id,
        TWILIO_API_BASE_URL=str(settings.twilio_api_base_url),
        CALLBOT_DIALER_TICK_SECONDS="0.1",
        PYTHONUNBUFFERED="1",
    )
    if orphan_after is not None:
        env["CALLBOT_ORPHAN_AFTER_SECONDS"] = str(orphan_after)
    env.update({f"CALLBOT_{k.upper()}": str(v) for k, v in values.items()})
    return env


@dataclass
class World:
    sim: Simulator
    settings: Settings
    web: ServerThread
    app: object  # the web app (webhooks), served by `web`


def _web_down(environ: dict[str, object], start_response) -> list[bytes]:  # type: ignore[no-untyped-def]
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"down"]


@pytest.fixture
def world(sessions: sessionmaker[Session], settings: Settings) -> Iterator[World]:
    """The simulator and the web app on 127.0.0.1, and the settings that point at them."""
    from web import create_app

    sim = Simulator(settings.twilio_account_sid, settings.twilio_auth_token, time_scale=TIME_SCALE, seed=4)
    sim_url = sim.start()
    web = ServerThread()
    settings = settings.with_overrides(public_url=web.url, twilio_api_base_url=sim_url)
    app = create_app(settings, engine=sessions.kw["bind"])
    web.attach(app)
    web.start()
    try:
        yield World(sim, settings, web, app)
    finally:
        sim.stop()
        web.stop()


def _unfinished(sessions: sessionmaker[Session], campaign_id: int) -> tuple[int, int]:
    """Callable leads not yet in a terminal status, and live attempts."""
    with sessions() as s:
        leads = s.scalar(
            sa.select(sa.func.count()).where(
                Lead.campaign_id == campaign_id, Lead.verdict.in_(("ok", "suspect")), Lead.status.not_in(TERMINAL)
            )
        )
        live = s.scalar(sa.select(sa.func.count()).select_from(CallAttempt).where(CallAttempt.live.is_(True)))
    return int(leads or 0), int(live or 0)


def _wait_until_done(sessions, campaign_id, sim, dialers, timeout: float) -> float:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    while True:
        if _unfinished(sessions, campaign_id) == (0, 0) and sim.wait_idle(0):
            return time.monotonic() - started
        for dialer in dialers:
            assert dialer.proc.poll() is None, "a dialer died by itself: " + dialer.output()
        if time.monotonic() - started > timeout:
            leads, live = _unfinished(sessions, campaign_id)
            pytest.fail(f"not finished after {timeout:.0f} s: {leads} leads not terminal, {live} live attempts")
        time.sleep(0.1)


def _check_invariants(sessions, campaign_id, sim, personas, unheard=()) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Every invariant of crash safety, at the simulator and in the database; returns a few counts.

    `unheard`: CallSids of calls whose webhooks failed on purpose (the web app was down).
    """
    calls = sim.calls
    stats = sim.stats()
    # No lead was ever in two live calls at once, as the callee's phone saw it.
    assert stats.overlapping == {} and stats.max_live_per_number == 1, stats
    assert stats.live == 0 and stats.created == len(calls)
    errors = [c.errors for sid, c in calls.items() if c.errors and sid not in unheard]
    assert errors == [], errors[:3]

    with sessions() as s:
        leads = list(s.scalars(sa.select(Lead).where(Lead.campaign_id == campaign_id)))
        attempts = list(s.scalars(sa.select(CallAttempt).where(CallAttempt.campaign_id == campaign_id)))
    callable_leads = [lead for lead in leads if lead.verdict in ("ok", "suspect")]
    assert {lead.phone_e164 for lead in callable_leads} == set(personas)  # every imported lead is there
    by_lead: dict[int, list[CallAttempt]] = {}
    for attempt in attempts:
        by_lead.setdefault(attempt.lead_id, []).append(attempt)

    # No attempt left live; every call at the simulator has exactly one attempt, and each attempt with a CallSid
    # a call at the simulator, with the status the simulator gave it.
    assert [a.id for a in attempts if a.live] == []
    sids = Counter(a.call_sid for a in attempts if a.call_sid)
    assert set(sids) == set(calls) and max(sids.values()) == 1
    for attempt in attempts:
        if attempt.call_sid:
            assert attempt.status == calls[attempt.call_sid].status, attempt.id
            assert attempt.to_number == calls[attempt.call_sid].to
        else:  # claimed, then the dialer died before the call reached the simulator
            assert (attempt.status, attempt.outcome) == ("failed", "failed")
            assert "never reached" in (attempt.error or "")

    # No lead lost: every lead ends where its persona leads, within max_attempts.
    for lead in callable_leads:
        tries = by_lead.get(lead.id, [])
        reached = [a for a in tries if a.call_sid]
        persona = personas[lead.phone_e164]
        assert lead.status in TERMINAL, (lead.id, lead.status, persona)
        assert lead.attempts == len(tries) <= MAX_ATTEMPTS, (lead.id, lead.attempts, len(tries))
        assert sorted(a.attempt_no for a in tries) == list(range(1, len(tries) + 1))
        assert Counter(c.to for c in calls.values())[lead.phone_e164] == len(reached)
        if EXPECTED[persona] == "unreachable" or reached:
            assert lead.status == EXPECTED[persona], (lead.id, persona, lead.status, [a.status for a in tries])
        else:  # every attempt died before the call: given up as unreachable after max_attempts failures
            assert (lead.status, len(tries)) == ("unreachable", MAX_ATTEMPTS)
        if EXPECTED[persona] == "unreachable":
            assert len(tries) == MAX_ATTEMPTS
    return {
        "calls": len(calls),
        "attempts": len(attempts),
        "orphans": sum(1 for a in attempts if not a.call_sid),
        "max_live": stats.max_live,
    }


def test_a_call_whose_callsid_was_lost_is_adopted(sessions, world, tmp_path):  # type: ignore[no-untyped-def]
    """Killed after the provider created the call but before the dialer saved its CallSid, while no webhook could
    tell it either (the web app was down): the restarted dialer finds the call at the provider and adopts it."""
    sim, settings = world.sim, world.settings
    rows, personas = _rows(1, offset=900)
    ((number, _),) = personas.items()
    personas[number] = "busy"
    sim.set_persona(number, "busy")
    sim.api_latency = 0.5  # the call exists half a second before the dialer hears its CallSid: kill meanwhile
    with sessions.begin() as s:
        campaign = make_campaign(s, max_attempts=MAX_ATTEMPTS, retry_delay_seconds=0)
        make_leads(s, campaign, rows)
        campaign_id = campaign.id
    dialer = DialerProcess(_dialer_env(settings), tmp_path, "dialer")
    world.web.attach(_web_down)
    try:
        dialer.start()
        deadline = time.monotonic() + 20
        while sim.stats().created == 0:
            assert time.monotonic() < deadline and dialer.proc.poll() is None, dialer.output()
            time.sleep(0.0005)
        dialer.kill()
        assert sim.wait_idle(10)  # the call ended unheard: its status callbacks failed
        ((lost_sid, lost),) = sim.calls.items()
        assert lost.status == "busy" and lost.errors
        with sessions() as s:
            (attempt,) = s.scalars(sa.select(CallAttempt))
            assert (attempt.live, attempt.call_sid, attempt.status) == (True, None, "created")
        world.web.attach(world.app)
        sim.api_latency = 0.0
        dialer.start()
        _wait_until_done(sessions, campaign_id, sim, [dialer], timeout=20)
    finally:
        dialer.kill()
    counts = _check_invariants(sessions, campaign_id, sim, personas, unheard={lost_sid})
    assert counts == {"calls": MAX_ATTEMPTS, "attempts": MAX_ATTEMPTS, "orphans": 0, "max_live": 1}
    with sessions() as s:
        first, *later = s.scalars(sa.select(CallAttempt).order_by(CallAttempt.id))
        assert (first.call_sid, first.status, first.outcome) == (lost_sid, "busy", "busy")
        assert [a.outcome for a in later] == ["busy"] * (MAX_ATTEMPTS - 1)
    assert f"adopted call {lost_sid}" in dialer.log_text()


# When a kill falls: at a random moment; just after a claim was committed (before or during the API call);
# just after the simulator created a call (before the dialer saved its CallSid).
KILL_MOMENTS = ("random", "after_claim", "after_call_created")


def _await_kill_moment(moment: str, rng: random.Random, sim: Simulator, watch: sa.Engine) -> None:
    time.sleep(rng.uniform(0.05, 1.2) if moment == "random" else rng.uniform(0.0, 0.5))
    deadline = time.monotonic() + 3
    if moment == "after_claim":
        query = sa.select(sa.func.max(CallAttempt.id))
        with watch.connect() as conn:
            last = conn.scalar(query)
            while conn.scalar(query) == last and time.monotonic() < deadline:
                conn.rollback()  # a fresh snapshot for the next read
                time.sleep(0.0005)
    elif moment == "after_call_created":
        last = sim.stats().created
        while sim.stats().created == last and time.monotonic() < deadline:
            time.sleep(0.0005)


def test_kill_9_the_dialer_again_and_again(sessions, database_url, world, tmp_path):  # type: ignore[no-untyped-def]
    sim, settings = world.sim, world.settings
    rows, personas = _rows(54)
    for number, persona in personas.items():
        sim.set_persona(number, persona)
    with sessions.begin() as s:
        campaign = make_campaign(
            s, max_attempts=MAX_ATTEMPTS, retry_delay_seconds=1, ring_timeout_seconds=20, max_concurrent_calls=10
        )
        make_leads(s, campaign, rows)
        campaign_id = campaign.id
    env = _dialer_env(settings, calls_per_second=15, max_concurrent_calls=10)
    dialer = DialerProcess(env, tmp_path, "dialer")
    rng = random.Random(20261124)
    watch = sa.create_engine(database_url)  # plain reads (our SQLite engine would take the write lock to read)
    kills: list[tuple[str, int, int]] = []  # at each kill: when, calls placed so far, calls live at the simulator
    started = time.monotonic()
    try:
        dialer.start()
        for i in range(9):
            dialer.wait_running()
            moment = KILL_MOMENTS[i % len(KILL_MOMENTS)]
            _await_kill_moment(moment, rng, sim, watch)
            dialer.kill()
            stats = sim.stats()
            kills.append((moment, stats.created, stats.live))
            assert _unfinished(sessions, campaign_id)[0] > 0, f"the campaign ended before kill {len(kills)}"
            dialer.start()
        dialer.wait_running()
        tail = _wait_until_done(sessions, campaign_id, sim, [dialer], timeout=40)
    finally:
        dialer.kill()
        watch.dispose()
    counts = _check_invariants(sessions, campaign_id, sim, personas)
    # The kills fell during the campaign, with calls in flight (else this test would prove nothing).
    assert sum(1 for _, _, live in kills if live) >= 5, kills
    print(
        f"\n{len(kills)} kills (when, calls placed, calls live): {kills}\n{counts}; "
        f"adopted {dialer.log_text().count('adopted call')}; "
        f"{time.monotonic() - started:.1f} s, {tail:.1f} s after the last restart"
    )


def test_two_dialers_never_double_call_nor_exceed_the_account_cap(sessions, world, tmp_path):  # type: ignore[no-untyped-def]
    sim, settings = world.sim, world.settings
    rows, personas = _rows(27, offset=500)
    for number, persona in personas.items():
        sim.set_persona(number, persona)
    account_cap = 6
    with sessions.begin() as s:
        # The campaign's own cap is above the account's: the account cap is the one the dialers share.
        campaign = make_campaign(
            s, max_attempts=MAX_ATTEMPTS, retry_delay_seconds=0, ring_timeout_seconds=20, max_concurrent_calls=50
        )
        make_leads(s, campaign, rows)
        campaign_id = campaign.id
    # Each dialer calls from its own caller ID, so the simulator tells whose calls are whose. Nobody is killed, so
    # orphans keep their default delay: a short one would let one dialer fail the other's call in flight.
    callers = ("+842873000001", "+842873000002")
    dialers = [
        DialerProcess(
            _dialer_env(
                settings, caller_id=caller, orphan_after=None, calls_per_second=30, max_concurrent_calls=account_cap
            ),
            tmp_path,
            f"dialer{i}",
        )
        for i, caller in enumerate(callers)
    ]
    started = time.monotonic()
    try:
        for dialer in dialers:
            dialer.start()
        _wait_until_done(sessions, campaign_id, sim, dialers, timeout=45)
    finally:
        for dialer in dialers:
            dialer.kill()
    counts = _check_invariants(sessions, campaign_id, sim, personas)
    assert counts["orphans"] == 0  # nobody was killed: every claim reached the simulator
    assert sim.stats().max_live <= account_cap
    placed_by = Counter(call.from_ for call in sim.calls.values())
    # Both really dialled, at the same time: each dialer's first call came before the other's last. (A claim takes
    # as many calls as the room allows, up to 10, so whoever ticks first after calls end may fill the account's 6
    # slots alone: how the calls split between the two is not fixed, only that neither sat idle throughout.)
    assert set(placed_by) == set(callers), placed_by
    spans = {
        caller: [min(times), max(times)]
        for caller in callers
        for times in [[c.date_created for c in sim.calls.values() if c.from_ == caller]]
    }
    (first_a, last_a), (first_b, last_b) = spans.values()
    assert first_a < last_b and first_b < last_a, (placed_by, spans)
    print(f"\ntwo dialers: {counts}; calls by caller ID {dict(placed_by)}; {time.monotonic() - started:.1f} s")


def test_the_orphan_delay_is_a_setting_with_the_old_default() -> None:
    required = {
        "CALLBOT_SECRET_KEY": "x" * 40,
        "CALLBOT_PUBLIC_URL": "https://bot.example.vn",
        "TWILIO_ACCOUNT_SID": "AC1",
        "TWILIO_AUTH_TOKEN": "token",
        "TWILIO_CALLER_ID": "+842873000000",
    }
    assert Settings.from_env(required).orphan_after_seconds == ORPHAN_AFTER.total_seconds() == 120
    assert Settings.from_env(required | {"CALLBOT_ORPHAN_AFTER_SECONDS": "2.5"}).orphan_after_seconds == 2.5
