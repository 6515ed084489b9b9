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


def test_next_lead_while_holding_one_renews_its_lease_and_keeps_its_claim_time(session):  # type: ignore[no-untyped-def]
    queued(session, [80, 60])
    agent = make_user(session, "telesales")
    first = queue.claim_next(session, agent.id, NOW)
    again = queue.claim_next(session, agent.id, NOW + dt.timedelta(minutes=10))
    assert again.id == first.id
    assert again.claimed_at == NOW and again.lease_expires_at == NOW + dt.timedelta(minutes=10) + queue.LEASE
    later = NOW + dt.timedelta(minutes=40)  # the lease ran out: the agent takes the best open lead afresh
    retaken = queue.claim_next(session, agent.id, later)
    assert retaken.id == first.id and retaken.claimed_at == later


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


def agents(session, *names: str) -> list[int]:  # type: ignore[no-untyped-def]
    return [make_user(session, "telesales", f"{name}@x.vn").id for name in names]


MIN = dt.timedelta(minutes=1)


def test_ties_on_score_go_to_the_freshest_lead(session):  # type: ignore[no-untyped-def]
    leads = queued(session, [70, 70, 70])
    (a,) = agents(session, "a")
    order = []
    for _ in leads:
        item = queue.claim_next(session, a, NOW)
        order.append(item.lead_id)
        queue.dispose(session, item.id, a, "won", NOW)
    assert order == [lead.id for lead in reversed(leads)]


def test_a_follow_up_comes_back_to_its_agent_first_then_to_anyone_after_the_grace(session):  # type: ignore[no-untyped-def]
    leads = queued(session, [60, 50, 40, 30])
    a, b = agents(session, "a", "b")
    grace = dt.timedelta(minutes=30)
    item = queue.claim_next(session, a, NOW, grace=grace)
    assert item.lead_id == leads[0].id
    at = NOW + dt.timedelta(hours=2)
    queue.dispose(session, item.id, a, "follow_up", NOW, note="gọi lại sau 2 giờ", follow_up_at=at)

    # Before its time nobody gets it, not even its agent: the queue's next best is offered.
    assert queue.claim_next(session, b, at - MIN, grace=grace).lead_id == leads[1].id
    # At its time, its agent gets it before the better-scored leads still queued ...
    back = queue.claim_next(session, a, at, grace=grace)
    assert back.id == item.id and back.disposition is None and back.claimed_by_id == a
    assert queue.held_by(session, a, at).id == item.id
    queue.dispose(session, item.id, a, "follow_up", at, note="máy bận", follow_up_at=at + dt.timedelta(days=1))
    # ... and within the grace period nobody else does.
    later = at + dt.timedelta(days=1)
    other = queue.claim_next(session, b, later + grace - MIN, grace=grace)
    assert other is None or other.id != item.id
    with pytest.raises(InvalidTransition):  # one lead at a time: b still holds leads[1]
        queue.dispose(session, item.id, b, "won", later)

    c = agents(session, "c")[0]
    taken = queue.claim_next(session, c, later + grace, grace=grace)
    assert taken.id == item.id and taken.claimed_by_id == c
    queue.dispose(session, item.id, c, "won", later + grace, note="chốt")
    assert [(h["by"], h["disposition"], h["note"]) for h in item.history] == [
        (a, "follow_up", "gọi lại sau 2 giờ"),
        (a, "follow_up", "máy bận"),
        (c, "won", "chốt"),
    ]
    assert item.history[0]["follow_up_at"] == at.isoformat() and item.history[0]["by_name"] == "Telesales"
    assert item.lead.status == "won"


def test_an_overdue_follow_up_goes_before_fresh_leads_and_the_agents_own_before_others(session):  # type: ignore[no-untyped-def]
    leads = queued(session, [90, 80, 70, 10])
    a, b = agents(session, "a", "b")
    for agent, lead_index in ((a, 0), (b, 1)):
        item = queue.claim_next(session, agent, NOW)
        assert item.lead_id == leads[lead_index].id
        queue.dispose(session, item.id, agent, "follow_up", NOW, follow_up_at=NOW + dt.timedelta(hours=1))
    due = NOW + dt.timedelta(hours=3)  # both follow-ups are past the grace period
    assert queue.claim_next(session, b, due).lead_id == leads[1].id  # b's own first
    assert queue.claim_next(session, agents(session, "c")[0], due).lead_id == leads[0].id  # a's, overdue
    assert queue.claim_next(session, a, due).lead_id == leads[2].id  # then the queue, best first


def test_the_holder_renews_the_lease_and_nobody_else_can(session):  # type: ignore[no-untyped-def]
    queued(session, [80, 70])
    a, b = agents(session, "a", "b")
    item = queue.claim_next(session, a, NOW)
    renewed = queue.renew(session, item.id, a, NOW + dt.timedelta(minutes=10))
    assert renewed.lease_expires_at == NOW + dt.timedelta(minutes=25)
    assert queue.renew(session, item.id, b, NOW + dt.timedelta(minutes=11)) is None
    # Still held at minute 24 thanks to the renewal: b gets the other lead.
    assert queue.claim_next(session, b, NOW + dt.timedelta(minutes=24)).id != item.id


def test_a_just_expired_lease_is_renewed_if_nobody_took_the_lead(session):  # type: ignore[no-untyped-def]
    queued(session, [80])
    (a,) = agents(session, "a")
    item = queue.claim_next(session, a, NOW)
    woke = NOW + dt.timedelta(minutes=20)  # expired 5 minutes ago, still unclaimed
    assert queue.renew(session, item.id, a, woke).lease_expires_at == woke + queue.LEASE
    assert queue.held_by(session, a, woke).id == item.id
    # Expired longer ago than a whole lease: the hold is over even if nobody took it.
    assert queue.renew(session, item.id, a, woke + dt.timedelta(minutes=31)) is None


def test_an_expired_lease_taken_by_someone_else_is_not_renewed(session):  # type: ignore[no-untyped-def]
    queued(session, [80])
    a, b = agents(session, "a", "b")
    item = queue.claim_next(session, a, NOW)
    late = NOW + dt.timedelta(minutes=16)
    assert queue.claim_next(session, b, late).id == item.id
    assert queue.renew(session, item.id, a, late + MIN) is None
    assert queue.held_by(session, b, late + MIN).id == item.id


def test_no_renewal_once_disposed_or_while_holding_another_lead(session):  # type: ignore[no-untyped-def]
    queued(session, [80, 70])
    (a,) = agents(session, "a")
    first = queue.claim_next(session, a, NOW)
    later = NOW + dt.timedelta(minutes=16)  # first expired; a takes the next lead (first again: best, free)
    second = queue.claim_next(session, a, later)
    assert second.id == first.id
    queue.dispose(session, first.id, a, "not_interested", later)
    assert queue.renew(session, first.id, a, later) is None
    third = queue.claim_next(session, a, later)
    assert third.id != first.id and queue.renew(session, third.id, a, later + MIN) is not None


def test_an_old_tab_cannot_renew_a_lead_while_the_agent_holds_another(session):  # type: ignore[no-untyped-def]
    leads = queued(session, [80, 70])
    (a,) = agents(session, "a")
    first = queue.claim_next(session, a, NOW)
    later = NOW + dt.timedelta(minutes=16)  # first expired, nobody took it; then a live transfer hands a the other
    queue.hand_to(session, leads[1].id, a, later)
    assert queue.held_by(session, a, later).lead_id == leads[1].id != first.lead_id
    assert queue.renew(session, first.id, a, later + MIN) is None  # one lead at a time
    assert queue.renew(session, queue.held_by(session, a, later).id, a, later + MIN) is not None


def test_the_agents_day_in_the_deployments_time_zone(session):  # type: ignore[no-untyped-def]
    tz = "Asia/Ho_Chi_Minh"  # NOW is 10:00 there; the day began at 17:00 UTC the day before
    leads = queued(session, [90, 80, 70, 60, 50, 40])
    a, b = agents(session, "a", "b")
    yesterday = NOW - dt.timedelta(hours=11)  # 23:00 local, the day before
    item = queue.claim_next(session, a, yesterday)
    queue.dispose(session, item.id, a, "won", yesterday)
    empty = queue.agent_day(session, a, NOW, tz)
    assert (empty.claimed, empty.done, empty.won, empty.conversion) == (0, 0, 0, None)

    for disposition in ("won", "not_interested", "follow_up"):
        item = queue.claim_next(session, a, NOW)
        at = NOW + dt.timedelta(hours=3) if disposition == "follow_up" else None
        queue.dispose(session, item.id, a, disposition, NOW, follow_up_at=at)
    queue.claim_next(session, a, NOW)  # claimed, not done yet
    item = queue.claim_next(session, b, NOW)
    queue.dispose(session, item.id, b, "follow_up", NOW, follow_up_at=NOW + dt.timedelta(hours=1))  # b's
    day = queue.agent_day(session, a, NOW, tz)
    assert (day.claimed, day.done, day.won) == (4, 3, 1)
    assert day.conversion == pytest.approx(1 / 3)
    assert [c.follow_up_at for c in day.callbacks] == [NOW + dt.timedelta(hours=3)]
    assert day.later_callbacks == 0
    assert {c.lead_id for c in day.callbacks} <= {lead.id for lead in leads}


def test_callbacks_on_later_days_are_counted_not_listed(session):  # type: ignore[no-untyped-def]
    queued(session, [90, 80])
    (a,) = agents(session, "a")
    for hours in (2, 30):
        item = queue.claim_next(session, a, NOW)
        queue.dispose(session, item.id, a, "follow_up", NOW, follow_up_at=NOW + dt.timedelta(hours=hours))
    day = queue.agent_day(session, a, NOW, "Asia/Ho_Chi_Minh")
    assert [c.follow_up_at for c in day.callbacks] == [NOW + dt.timedelta(hours=2)]
    assert day.later_callbacks == 1


def test_local_day_follows_the_time_zone() -> None:
    start, end = queue.local_day(NOW, "Asia/Ho_Chi_Minh")
    assert (start, end) == (dt.datetime(2026, 11, 24, 17, tzinfo=dt.UTC), dt.datetime(2026, 11, 25, 17, tzinfo=dt.UTC))
    start, _ = queue.local_day(NOW, "America/New_York")  # 22:00 on the 24th there
    assert start == dt.datetime(2026, 11, 24, 5, tzinfo=dt.UTC)
