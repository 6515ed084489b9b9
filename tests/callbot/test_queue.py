"""The telesales queue: best first, one agent per lead even under concurrent claims, leases expire."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa

from callbot import queue
from callbot.errors import InvalidTransition
from callbot.models import Lead, QueueItem
from tests.conftest import NOW, make_campaign, make_leads, make_user


def queued(session, scores: list[int]) -> list[Lead]:  # type: ignore[no-untyped-def]
    rows = [{"name": f"Khách {i}", "phone": f"0913{i:03d}4{i:02d}5"} for i in range(len(scores))]
    leads = make_leads(session, make_campaign(session), rows)
    for i, (lead, score) in enumerate(zip(leads, scores, strict=True)):
        lead.status, lead.score = "queued", score
        queue.enqueue(session, lead, NOW + dt.timedelta(seconds=i))
    return leads


def test_agents_get_the_best_lead_first_and_keep_it(session):  # type: ignore[no-untyped-def]
    leads = queued(session, [40, 90, 90, 70])
    a, b = make_user(session, "telesales", "a@x.vn"), make_user(session, "telesales", "b@x.vn")
    first = queue.claim_next(session, a.id, NOW)
    assert first.lead_id == leads[2].id  # 90, and the fresher of the two 90s
    assert queue.claim_next(session, a.id, NOW).id == first.id  # one at a time: the same lead again
    assert queue.claim_next(session, b.id, NOW).lead_id == leads[1].id


def test_expired_lease_returns_the_lead_to_the_queue(session):  # type: ignore[no-untyped-def]
    (lead,) = queued(session, [80])
    a, b = make_user(session, "telesales", "a@x.vn"), make_user(session, "telesales", "b@x.vn")
    queue.claim_next(session, a.id, NOW)
    assert queue.claim_next(session, b.id, NOW + dt.timedelta(minutes=14)) is None
    taken = queue.claim_next(session, b.id, NOW + dt.timedelta(minutes=16))
    assert taken.lead_id == lead.id and taken.claimed_by_id == b.id
    with pytest.raises(InvalidTransition):
        queue.dispose(session, taken.id, a.id, "won", NOW)  # a no longer holds it


def test_disposition_moves_the_lead(session):  # type: ignore[no-untyped-def]
    (lead,) = queued(session, [80])
    agent = make_user(session, "telesales")
    item = queue.claim_next(session, agent.id, NOW)
    with pytest.raises(InvalidTransition):
        queue.dispose(session, item.id, agent.id, "follow_up", NOW)
    with pytest.raises(InvalidTransition):
        queue.dispose(session, item.id, agent.id, "maybe", NOW)
    queue.dispose(session, item.id, agent.id, "won", NOW, note="  chốt gói 12 tháng ")
    assert (lead.status, item.disposition, item.note) == ("won", "won", "chốt gói 12 tháng")


def test_concurrent_agents_never_share_a_lead(sessions):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        queued(s, [50, 60, 70])
        agents = [make_user(s, "telesales", f"agent{i}@x.vn").id for i in range(8)]
    results: dict[int, int | None] = {}
    barrier = threading.Barrier(len(agents))

    def claim(agent_id: int) -> None:
        barrier.wait()
        with sessions.begin() as s:
            item = queue.claim_next(s, agent_id, NOW)
            results[agent_id] = item.lead_id if item else None

    threads = [threading.Thread(target=claim, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    got = [lead for lead in results.values() if lead is not None]
    assert len(results) == 8 and len(got) == 3 and len(set(got)) == 3
    with sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).where(QueueItem.claimed_by_id.is_not(None))) == 3
