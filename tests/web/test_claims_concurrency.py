"""50 agents press "next lead" at once over real HTTP until the queue is empty: no lead twice, none lost."""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterator

import pytest
import requests
import sqlalchemy as sa

from callbot import db
from callbot.models import Lead, QueueItem, User
from callbot.runtime import ServerThread
from tests.conftest import NOW, make_campaign, make_user
from tests.web.conftest import PASSWORD

AGENTS = 50
LEADS = 150  # three rounds for every agent
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_ITEM = re.compile(r"/telesales/items/(\d+)$")
# Dispositions that close a lead at once (a follow-up would come back later and keep the queue from emptying).
CLOSING = ("won", "not_interested", "unreachable", "wrong_number")


@pytest.fixture
def server(settings, database_url: str) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The web app on 127.0.0.1 with a connection pool big enough for 50 agents at once."""
    from web import create_app

    engine = db.make_engine(database_url, pool_size=10, max_overflow=30, pool_timeout=60)
    web = ServerThread(create_app(settings, engine=engine)).start()
    try:
        yield web.url
    finally:
        web.stop()
        engine.dispose()


def seed(sessions) -> tuple[set[int], list[str]]:  # type: ignore[no-untyped-def]
    """LEADS queued leads (scores with many ties) and AGENTS telesales users; the item ids and the emails."""
    with sessions.begin() as s:
        campaign = make_campaign(s)
        rows = [
            {
                "campaign_id": campaign.id,
                "name": f"Khách {n}",
                "phone_e164": f"+8491{n:07d}",
                "verdict": "ok",
                "status": "queued",
                "score": 40 + n % 7 * 10,
            }
            for n in range(LEADS)
        ]
        leads = s.execute(sa.insert(Lead).returning(Lead.id, Lead.score, sort_by_parameter_order=True), rows).all()
        items = s.scalars(
            sa.insert(QueueItem).returning(QueueItem.id),
            [{"lead_id": i, "campaign_id": campaign.id, "score": score, "enqueued_at": NOW} for i, score in leads],
        ).all()
        # One argon2 hash for everyone (same password): hashing 50 times would only slow the test down.
        first = make_user(s, "telesales", "agent0@example.vn")
        emails = [f"agent{n}@example.vn" for n in range(AGENTS)]
        s.execute(
            sa.insert(User),
            [
                {"email": e, "name": e, "password_hash": first.password_hash, "role": "telesales", "created_at": NOW}
                for e in emails[1:]
            ],
        )
    return set(items), emails


def sign_in(base: str, email: str) -> tuple[requests.Session, str]:
    """A browser of its own, signed in through the login form; with the CSRF token of its workspace."""
    browser = requests.Session()
    token = _CSRF.search(browser.get(f"{base}/login", timeout=30).text)
    assert token
    response = browser.post(
        f"{base}/login",
        data={"csrf_token": token.group(1), "email": email, "password": PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text
    page = _CSRF.search(browser.get(f"{base}/telesales/", timeout=30).text)
    assert page
    return browser, page.group(1)


def work_the_queue(base: str, browser: requests.Session, token: str, n: int, start: threading.Barrier) -> list[int]:
    """Take the next lead and close it, again and again, until the queue is empty; the item ids taken."""
    taken: list[int] = []
    start.wait()
    while True:
        response = browser.post(f"{base}/telesales/next", data={"csrf_token": token}, allow_redirects=False, timeout=60)
        assert response.status_code == 302, response.text
        match = _ITEM.search(response.headers["Location"])
        if match is None:
            return taken  # back to the workspace: the queue is empty
        item_id = int(match.group(1))
        taken.append(item_id)
        disposition = CLOSING[(n + len(taken)) % len(CLOSING)]
        done = browser.post(
            f"{base}/telesales/items/{item_id}/disposition",
            data={"csrf_token": token, "disposition": disposition},
            allow_redirects=False,
            timeout=60,
        )
        assert done.status_code == 302 and done.headers["Location"].endswith("/telesales/"), done.headers


def test_fifty_agents_empty_the_queue_without_sharing_or_losing_a_lead(server, sessions) -> None:  # type: ignore[no-untyped-def]
    items, emails = seed(sessions)
    browsers = [sign_in(server, email) for email in emails]
    start = threading.Barrier(AGENTS)
    taken: dict[int, list[int]] = {}
    errors: list[BaseException] = []

    def agent(n: int) -> None:
        try:
            taken[n] = work_the_queue(server, *browsers[n], n, start)
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)
            start.abort()

    threads = [threading.Thread(target=agent, args=(n,)) for n in range(AGENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors[0]
    assert len(taken) == AGENTS

    claims = Counter(item for items_taken in taken.values() for item in items_taken)
    assert [item for item, count in claims.items() if count > 1] == []  # no lead claimed twice
    assert set(claims) == items  # none lost
    assert sum(1 for t in taken.values() if t) > 1  # the work was shared out, not done by one agent
    with sessions() as s:
        owner = {i: c for i, c in s.execute(sa.select(QueueItem.id, User.email).join(User, QueueItem.claimed_by))}
        open_items = s.scalar(sa.select(sa.func.count()).where(QueueItem.disposition.is_(None)))
        leads_left = s.scalar(sa.select(sa.func.count()).where(Lead.status == "queued"))
    assert open_items == 0 and leads_left == 0
    for n, items_taken in taken.items():  # each item is recorded as disposed by the agent who claimed it
        assert all(owner[item] == emails[n] for item in items_taken)
