"""The ranking pages (admin only): versions, evaluation, top features, rollback, a lead's reasons; the segment
filters of the leads list and of the JSON API."""

from __future__ import annotations

import re

import sqlalchemy as sa

from callbot import lead_segments, model_versions, score_weights, tokens
from callbot.models import AuditLog, Lead
from scoring.learn import train
from tests.conftest import NOW, make_campaign, make_leads, make_user
from tests.scoring.ranking_data import make_rows
from tests.web.conftest import login, submit


def versions(sessions) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    """Two model versions (the second active, the first retired) and a lead with segments; returns their ids."""
    rows, labels = make_rows(120)
    blob = train(rows, labels, list(rows[0]), families=("logistic",)).to_bytes()
    with sessions.begin() as s:
        make_user(s, "admin")
        make_user(s, "viewer")
        ids = []
        for auc in (0.71, 0.74):
            v = model_versions.ModelVersion(
                kind="pre_call",
                status="candidate",
                params={"dropped": {"duration": "excluded"}},
                metrics={"auc": auc, "calibration_bins": [[0.1, 0.12, 40]]},
                top_features=[["file: Gói", 0.21], ["source", 0.05]],
                blob=blob,
                n_rows=300,
                n_positive=40,
                created_at=NOW,
            )
            s.add(v)
            s.flush()
            model_versions.activate(s, v.id, NOW)
            ids.append(v.id)
        rows = [{"name": f"Khách {i}", "phone": f"0913{271828 + 11 * i:06d}", "Budget": str(i)} for i in range(1, 41)]
        leads = make_leads(s, make_campaign(s), rows)
        lead_segments.refresh(s, NOW)
        segment = s.get(lead_segments.LeadSegment, leads[-1].id)
        segment.model_reasons = [{"feature": "file: Gói", "value": "vàng", "effect": 1.2}]
        segment.model_probability = 0.42
        return ids[0], ids[1], leads[-1].id


def test_only_admins_see_the_models(client, sessions) -> None:  # type: ignore[no-untyped-def]
    _, _, lead_id = versions(sessions)
    assert client.get("/models").status_code == 302
    login(client, "viewer@example.vn")
    for page in ("/models", "/models/1", f"/models/leads/{lead_id}"):
        assert client.get(page).status_code == 403, page


def test_versions_evaluation_and_top_features(client, sessions) -> None:  # type: ignore[no-untyped-def]
    first, second, _ = versions(sessions)
    login(client, "admin@example.vn")
    page = client.get("/models").get_data(as_text=True)
    assert f'data-version="{second}" data-status="active"' in page
    assert f'data-version="{first}" data-status="retired"' in page
    assert "file: Gói" in page and "Mô hình xếp hạng" in page
    assert "/leads?value_tier=top_1" in page
    english = client.get(f"/models/{second}?lang=en").get_data(as_text=True)
    assert "ROC AUC on the most recent outcomes" in english and "0.74" in english and "duration: excluded" in english
    assert client.get("/models/999").status_code == 404


def test_rollback_from_the_panel_is_audited(client, sessions) -> None:  # type: ignore[no-untyped-def]
    first, second, _ = versions(sessions)
    login(client, "admin@example.vn")
    response = submit(client, "/models", "/models/rollback")
    assert response.status_code == 302
    with sessions() as s:
        assert model_versions.active(s).id == first
        assert s.get(model_versions.ModelVersion, second).status == "retired"
        assert s.scalars(sa.select(AuditLog.action)).all()[-1] == "model_rollback"
    page = submit(client, "/models", f"/models/{second}/activate")
    assert page.status_code == 302
    with sessions() as s:
        assert model_versions.active(s).id == second


def test_a_leads_reasons_and_segments(client, sessions) -> None:  # type: ignore[no-untyped-def]
    _, _, lead_id = versions(sessions)
    login(client, "admin@example.vn")
    page = client.get(f"/models/leads/{lead_id}?lang=en").get_data(as_text=True)
    assert 'data-value-tier="top_1"' in page and "file: Gói = vàng: raises the score" in page and "42.0 %" in page


def test_the_leads_list_filters_by_segment(client, sessions) -> None:  # type: ignore[no-untyped-def]
    _, _, lead_id = versions(sessions)
    login(client, "admin@example.vn")
    everyone = client.get("/leads").get_data(as_text=True)
    top = client.get("/leads?value_tier=top_1").get_data(as_text=True)
    assert re.findall(r'href="/leads/(\d+)"', top) == [str(lead_id)]
    assert len(re.findall(r'href="/leads/(\d+)"', everyone)) == 40


def test_the_api_lists_leads_by_segment(client, sessions) -> None:  # type: ignore[no-untyped-def]
    _, _, lead_id = versions(sessions)
    with sessions.begin() as s:
        reader = tokens.create(s, "crm", ["leads:read"], NOW).secret
        writer = tokens.create(s, "form", ["leads:write"], NOW).secret
    assert client.get("/api/leads", headers={"Authorization": f"Bearer {writer}"}).status_code == 403
    answer = client.get("/api/leads?value_tier=top_1", headers={"Authorization": f"Bearer {reader}"})
    assert answer.status_code == 200
    leads = answer.get_json()["leads"]
    assert [lead["id"] for lead in leads] == [lead_id]
    assert leads[0]["value_tier"] == "top_1" and leads[0]["model_reasons"][0]["value"] == "vàng"
    page = client.get("/api/leads?limit=30", headers={"Authorization": f"Bearer {reader}"}).get_json()
    assert len(page["leads"]) == 30 and page["next_after"] == page["leads"][-1]["id"]
    rest = client.get(f"/api/leads?after={page['next_after']}", headers={"Authorization": f"Bearer {reader}"})
    assert len(rest.get_json()["leads"]) == 10 and rest.get_json()["next_after"] is None


def test_a_campaigns_rule_weights_from_the_panel(client, sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        make_user(s, "admin")
        make_user(s, "viewer")
        campaign = make_campaign(s)
        lead = make_leads(s, campaign, [{"name": "Trần Thị Mai", "phone": "0912 345 678"}])[0]
        campaign_id, lead_id, before = campaign.id, lead.id, lead.score
    login(client, "viewer@example.vn")
    assert client.get(f"/models/weights/{campaign_id}").status_code == 403
    client = client.application.test_client()
    login(client, "admin@example.vn")
    page = f"/models/weights/{campaign_id}"
    assert "fresh_1h" in client.get(page).get_data(as_text=True)
    assert submit(client, page, page, {"base": "abc"}).status_code == 302
    with sessions() as s:
        assert score_weights.weights_of(s, campaign_id) == {}
    assert submit(client, page, page, {"base": "50", "has_name": "4"}).status_code == 302  # 4 is the default
    with sessions() as s:
        assert score_weights.weights_of(s, campaign_id) == {"base": 50}
        assert s.get(Lead, lead_id).score == before + 10
        assert s.scalars(sa.select(AuditLog.action)).all()[-1] == "score_weights"
    assert 'name="base" value="50"' in client.get(page).get_data(as_text=True)
    assert client.get("/models/weights/999").status_code == 404
