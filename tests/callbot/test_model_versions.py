"""Model versions in the database (SQLite and PostgreSQL): trained on telesales outcomes, promoted only when at least
as good on the most recent outcomes, rolled back; applied to leads; segments; campaign weights; the nightly job."""

from __future__ import annotations

import datetime as dt
import types

import numpy as np
import pytest
import sqlalchemy as sa

from callbot import lead_segments, model_versions, retraining, score_weights
from callbot.errors import CallbotError, NotFound
from callbot.models import Lead, QueueItem
from scoring.learn import train
from tests.callbot.conftest import failed, ok
from tests.conftest import NOW, make_campaign, make_leads

HOUR = dt.timedelta(hours=1)


def import_leads(session, n: int, plans: list[str], start: int = 0) -> list[Lead]:  # type: ignore[no-untyped-def]
    """n leads of one campaign from a file with its own columns: `Gói` (the plan they asked about) and `Budget`."""
    rows = [
        {
            "name": f"Khách {i}",
            "phone": f"09{12 + i % 7}{314159 + 37 * i:06d}",
            "Gói": plans[i - start],
            "Budget": str(i - start + 1),
        }
        for i in range(start, start + n)
    ]
    campaign = make_campaign(session, name=f"Chiến dịch {start}")
    return make_leads(session, campaign, rows)


def settle(session, leads: list[Lead], labels: list[int], first: dt.datetime) -> None:  # type: ignore[no-untyped-def]
    """Telesales outcomes, one an hour from `first`: won (1) or not interested (0)."""
    for i, (lead, label) in enumerate(zip(leads, labels, strict=True)):
        at = first + i * HOUR
        lead.status = "won" if label else "not_interested"
        session.add(
            QueueItem(
                lead_id=lead.id,
                campaign_id=lead.campaign_id,
                score=lead.score,
                enqueued_at=at,
                disposition="won" if label else "not_interested",
                disposed_at=at,
            )
        )
    session.flush()


def plans_and_labels(n: int, seed: int, *, follow_plan: bool) -> tuple[list[str], list[int]]:
    rng = np.random.default_rng(seed)
    plans = [("vàng", "thường")[int(rng.integers(0, 2))] for _ in range(n)]
    if follow_plan:  # "vàng" (gold) buyers win nine times in ten, the others one time in ten
        labels = [int(rng.random() < (0.9 if p == "vàng" else 0.1)) for p in plans]
    else:
        labels = [int(rng.random() < 0.5) for _ in plans]
    return plans, labels


def test_too_few_outcomes_train_nothing(session) -> None:  # type: ignore[no-untyped-def]
    plans, labels = plans_and_labels(60, 1, follow_plan=True)
    settle(session, import_leads(session, 60, plans), labels, NOW - 100 * HOUR)
    result = model_versions.retrain(session, NOW)
    assert result.status == "not_enough" and "need 200" in result.message
    assert model_versions.versions(session) == []


def test_a_model_learns_from_outcomes_and_ranks_the_leads_not_yet_called(session) -> None:  # type: ignore[no-untyped-def]
    plans, labels = plans_and_labels(240, 2, follow_plan=True)
    settle(session, import_leads(session, 240, plans), labels, NOW - 300 * HOUR)
    result = model_versions.retrain(session, NOW, min_rows=200, min_wins=30)
    assert result.status == "active"
    version = model_versions.active(session)
    assert version is not None and version.n_rows == 240 and version.metrics["auc"] > 0.8
    assert version.top_features[0][0] == "file: Gói"
    assert "file: name" not in version.params["features"] and "file: phone" not in version.params["features"]

    fresh = import_leads(session, 2, ["vàng", "thường"], start=500)
    assert model_versions.apply_active(session, NOW) == 2
    gold, plain = fresh
    assert gold.score > plain.score + 30
    assert gold.score_reasons == [{"code": "model", "points": gold.score, "version": version.id}]
    reasons = session.get(lead_segments.LeadSegment, gold.id).model_reasons
    assert reasons[0]["feature"] == "file: Gói" and reasons[0]["value"] == "vàng" and reasons[0]["effect"] > 0


def test_a_candidate_worse_on_the_recent_outcomes_is_rejected(session) -> None:  # type: ignore[no-untyped-def]
    # Older outcomes say nothing about the plan; the 80 most recent follow it, as the active model knew.
    old_plans, old_labels = plans_and_labels(200, 3, follow_plan=False)
    new_plans, new_labels = plans_and_labels(80, 4, follow_plan=True)
    leads = import_leads(session, 280, old_plans + new_plans)
    settle(session, leads, old_labels + new_labels, NOW - 400 * HOUR)
    oracle_rows = [{"file: Gói": p} for p in new_plans] * 3
    oracle = train(oracle_rows, new_labels * 3, ["file: Gói"], time_ordered=False, families=("logistic",))
    trained_until = (NOW - 400 * HOUR + 199 * HOUR).isoformat()
    current = model_versions.ModelVersion(
        kind="pre_call",
        status="candidate",
        params={"trained_until": trained_until},
        metrics={},
        top_features=[],
        blob=oracle.to_bytes(),
        n_rows=240,
        n_positive=120,
        created_at=NOW - 2 * HOUR,
    )
    session.add(current)
    session.flush()
    model_versions.activate(session, current.id, NOW - HOUR)

    result = model_versions.retrain(session, NOW)
    assert result.status == "rejected"
    assert result.version.metrics["recent_from"] == (NOW - 400 * HOUR + 200 * HOUR).isoformat()
    assert result.version.metrics["auc"] < result.version.metrics["auc_active"]
    assert model_versions.active(session).id == current.id


def make_version(session, status: str = "candidate") -> model_versions.ModelVersion:  # type: ignore[no-untyped-def]
    version = model_versions.ModelVersion(
        kind="pre_call",
        status=status,
        params={},
        metrics={},
        top_features=[],
        blob=b"",
        n_rows=0,
        n_positive=0,
        created_at=NOW,
    )
    session.add(version)
    session.flush()
    return version


def test_rollback_puts_the_previous_version_back(session) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFound):
        model_versions.rollback(session, NOW)
    first, second, never_used = make_version(session), make_version(session), make_version(session, "rejected")
    model_versions.activate(session, first.id, NOW)
    with pytest.raises(NotFound, match="no earlier"):
        model_versions.rollback(session, NOW)
    model_versions.activate(session, second.id, NOW + HOUR)
    assert first.status == "retired"
    assert model_versions.rollback(session, NOW + 2 * HOUR).id == first.id
    assert (first.status, second.status, never_used.status) == ("active", "retired", "rejected")
    assert "rolled back" in second.note


def test_segments_of_every_lead_and_the_filter(session) -> None:  # type: ignore[no-untyped-def]
    leads = import_leads(session, 100, ["thường"] * 100)  # Budget 1 … 100
    leads[0].status = "won"
    assert lead_segments.refresh(session, NOW) == 100
    tiers = {lead.id: session.get(lead_segments.LeadSegment, lead.id).value_tier for lead in leads}
    assert tiers[leads[99].id] == "top_1" and tiers[leads[95].id] == "next_4" and tiers[leads[0].id] == "rest_80"
    first = session.get(lead_segments.LeadSegment, leads[0].id)
    assert (first.lifecycle, first.relationship) == ("current", "loyal")
    query = lead_segments.filtered(sa.select(Lead.id), {"value_tier": "next_4", "lifecycle": "prospect"})
    assert sorted(session.scalars(query)) == [lead.id for lead in leads[95:99]]
    unknown = lead_segments.filtered(sa.select(Lead.id), {"value_tier": "platinum"})
    assert len(list(session.scalars(unknown))) == 100
    later = lead_segments.refresh(session, NOW + dt.timedelta(days=400))
    assert later == 100 and session.get(lead_segments.LeadSegment, leads[0].id).lifecycle == "inactive"


def test_campaign_weights_rescore_its_leads_with_reasons(session) -> None:  # type: ignore[no-untyped-def]
    lead = import_leads(session, 1, ["vàng"])[0]
    before = lead.score
    with pytest.raises(CallbotError, match="unknown score weights: bogus"):
        score_weights.set_weights(session, lead.campaign_id, {"bogus": 3}, NOW)
    score_weights.set_weights(session, lead.campaign_id, {"base": 60}, NOW)
    assert lead.score == before + 20
    assert sum(r["points"] for r in lead.score_reasons) == lead.score
    assert score_weights.weights_of(session, lead.campaign_id) == {"base": 60}


def test_the_nightly_job_runs_only_in_the_leading_dialer(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as session:
        plans, labels = plans_and_labels(240, 5, follow_plan=True)
        settle(session, import_leads(session, 240, plans), labels, NOW - 300 * HOUR)
    service = types.SimpleNamespace(leader=False, dialer=types.SimpleNamespace(sessions=sessions))
    assert retraining.run_nightly(service) is None
    service.leader = True
    result = retraining.run_nightly(service)
    assert result is not None and result.retrained.status == "active" and result.segmented == 240
    with sessions() as session:
        assert model_versions.active(session) is not None


def test_the_dialer_schedules_the_nightly_job(settings, sessions) -> None:  # type: ignore[no-untyped-def]
    from callbot.dialer import Dialer, DialerService
    from callbot.telephony import TwilioTelephony

    telephony = TwilioTelephony(
        settings.twilio_account_sid, settings.twilio_auth_token, api_base_url="http://127.0.0.1:9"
    )
    service = DialerService(Dialer(sessions, telephony, settings), interval=3600)
    scheduler = service.start()
    try:
        job = scheduler.get_job("nightly-ranking")
        assert job is not None and job.func is retraining.run_nightly and job.args == (service,)
        fire = job.trigger.get_next_fire_time(None, dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC))
        assert fire.astimezone(dt.UTC) == dt.datetime(2026, 11, 25, 19, 30, tzinfo=dt.UTC)  # 02:30 in Ho Chi Minh City
    finally:
        service.stop()


def test_model_commands_on_the_database(cli_db) -> None:  # type: ignore[no-untyped-def]
    assert "0 outcomes" in ok(cli_db("model", "retrain"))
    assert "no active model" in failed(cli_db("model", "rollback"))
    assert ok(cli_db("model", "versions")) == ""
    assert "no campaign 99" in failed(cli_db("model", "weights", "99", "base=10"))
    assert "0 leads segmented" in ok(cli_db("model", "segments"))
