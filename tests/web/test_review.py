"""Intake review in the panel: upload a file, see its verdicts and reasons, override one (audited)."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa

from callbot import dnc
from callbot.models import AuditLog, Lead
from tests.conftest import NOW, make_campaign, make_user
from tests.web.conftest import csrf_token, login

CSV = (
    "Họ và tên,Số điện thoại,Email\n"
    "Trần Thị Mai,0912 345 678,mai@gmail.com\n"
    "test,0987 123 456,\n"
    "Lê Văn Hùng,#N/A,\n"
    "Mai Trần,+84912345678,\n"
)


@pytest.fixture
def campaign_id(sessions) -> int:  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        make_user(s, "admin", "admin@example.vn")
        make_user(s, "viewer", "viewer@example.vn")
        return make_campaign(s).id


def upload(client, campaign_id: int, content: bytes, filename: str = "leads.csv"):  # type: ignore[no-untyped-def]
    page = client.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    return client.post(
        f"/campaigns/{campaign_id}/upload",
        data={"csrf_token": csrf_token(page), "leads_file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def test_admin_uploads_a_file_and_reviews_every_rejected_row(client, sessions, campaign_id):  # type: ignore[no-untyped-def]
    login(client, "admin@example.vn")
    response = upload(client, campaign_id, CSV.encode("utf-8-sig"))
    assert response.status_code == 302
    summary_url = response.headers["Location"]
    assert re.fullmatch(rf"/campaigns/{campaign_id}/uploads/[0-9a-f]{{12}}", summary_url)
    html = client.get(summary_url).get_data(as_text=True)
    counts = dict(re.findall(r'data-verdict="(\w+)">(\d+)<', html))
    assert counts == {"ok": "1", "suspect": "1", "junk": "1", "duplicate": "1", "blocked": "0"}
    assert 'data-reason="phone_placeholder">1<' in html and 'data-reason="duplicate_phone">1<' in html
    # every row that is not plainly ok is listed with its line and reasons
    assert re.findall(r'<td class="num">(\d+)</td>', html) == ["3", "4", "5"]
    assert 'title="name_fake"' in html
    with sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Lead)) == 4
        audit = s.scalar(sa.select(AuditLog).where(AuditLog.action == "leads_uploaded"))
        assert audit.detail["rows"] == 4 and audit.detail["file"] == "leads.csv"
        # the consent each lead gave is traced to the uploaded file (the server's temporary name never shows)
        assert set(s.scalars(sa.select(Lead.consent_source))) == {"upload: leads.csv"}
        lead_id = s.scalar(sa.select(Lead.id).where(Lead.row_number == 2))
    assert summary_url in client.get(f"/campaigns/{campaign_id}").get_data(as_text=True)  # listed on the campaign
    consent = re.search(r"<dd data-consent>([^<]*)</dd>", client.get(f"/leads/{lead_id}").get_data(as_text=True))
    assert consent and consent.group(1).startswith("upload: leads.csv")


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"Ho ten,Lien lac\nMai,0912345678\n", "leads.csv", "no phone column found"),
        (b"\x89PNG\r\n\x1a\n", "leads.png", "Chỉ nhận tệp CSV"),
        (b"Ho ten,SDT\nTr\xe2n,0912345678\n", "leads.csv", "not UTF-8 or UTF-16 text"),
    ],
)
def test_a_bad_file_is_refused_with_a_reason_and_nothing_stored(
    client,
    sessions,
    campaign_id,
    content,
    filename,  # type: ignore[no-untyped-def]
    message,
):
    login(client, "admin@example.vn")
    response = upload(client, campaign_id, content, filename)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert message in page and "/tmp/" not in page
    with sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Lead)) == 0


def test_only_admins_upload_and_override(client, sessions, campaign_id):  # type: ignore[no-untyped-def]
    login(client, "viewer@example.vn")
    page = client.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    assert "leads_file" not in page
    token = csrf_token(page)
    response = client.post(f"/campaigns/{campaign_id}/upload", data={"csrf_token": token})
    assert response.status_code == 403
    assert client.post("/leads/1/verdict", data={"csrf_token": token, "verdict": "ok"}).status_code == 403


def test_admin_overrides_a_verdict_and_it_is_audited(client, sessions, campaign_id):  # type: ignore[no-untyped-def]
    login(client, "admin@example.vn")
    upload(client, campaign_id, CSV.encode())
    with sessions() as s:
        fake = s.scalar(sa.select(Lead).where(Lead.row_number == 3))
        junk = s.scalar(sa.select(Lead).where(Lead.row_number == 4))
        duplicate = s.scalar(sa.select(Lead).where(Lead.row_number == 5))
    assert fake.verdict == "suspect" and fake.status == "callable"

    def override(lead_id: int, verdict: str) -> str:
        page = client.get(f"/leads/{lead_id}").get_data(as_text=True)
        response = client.post(
            f"/leads/{lead_id}/verdict",
            data={"csrf_token": csrf_token(page), "verdict": verdict, "note": "đã kiểm tra"},
        )
        return client.get(response.headers["Location"]).get_data(as_text=True)

    assert "Đã lưu." in override(fake.id, "junk")
    assert "without a usable number" in override(junk.id, "ok")
    assert "already holds this number" in override(duplicate.id, "ok")
    with sessions() as s:
        lead = s.get(Lead, fake.id)
        assert (lead.verdict, lead.status) == ("junk", "rejected")
        entries = s.scalars(sa.select(AuditLog).where(AuditLog.action == "verdict_override")).all()
        assert [(e.detail["previous"], e.detail["verdict"], e.detail["note"]) for e in entries] == [
            ("suspect", "junk", "đã kiểm tra")
        ]
        dnc.add(s, lead.phone_e164, "manual", NOW)
        s.commit()
    assert "do-not-call list" in override(fake.id, "ok")


def test_a_lead_that_was_called_keeps_its_verdict(client, sessions, campaign_id):  # type: ignore[no-untyped-def]
    login(client, "admin@example.vn")
    upload(client, campaign_id, CSV.encode())
    with sessions.begin() as s:
        lead = s.scalar(sa.select(Lead).where(Lead.row_number == 2))
        lead.attempts = 1  # called once, no answer, back to callable for a retry
        lead_id = lead.id
    page = client.get(f"/leads/{lead_id}").get_data(as_text=True)
    assert "/verdict" not in page  # no override form
    response = client.post(f"/leads/{lead_id}/verdict", data={"csrf_token": csrf_token(page), "verdict": "junk"})
    assert "has been called already" in client.get(response.headers["Location"]).get_data(as_text=True)
    with sessions() as s:
        assert s.get(Lead, lead_id).verdict == "ok"
